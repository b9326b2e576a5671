"""Rule modules by area. Importing this package imports every module in it, which registers
their rules in `policy.framework.REGISTRY`."""

import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
