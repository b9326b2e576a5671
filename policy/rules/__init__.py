"""Rule modules by area. Importing this package imports every module in it and in its sub-packages
(`aws/`, `k8s/`, ...), which registers their rules in `policy.framework.REGISTRY`."""

import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.walk_packages(__path__, prefix=f"{__name__}.")):
    importlib.import_module(_module)
