"""Rule modules by area, here and in the sub-packages (`aws/`, `k8s/`). Importing this package imports
every module under it, which registers their rules in `policy.framework.REGISTRY`."""

import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.walk_packages(__path__, prefix=f"{__name__}.")):
    importlib.import_module(_module)
