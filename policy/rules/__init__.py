"""The rule modules, one per service: `aws/<service>.py`, `k8s/<area>.py`, and `stack/<concern>.py` for
the stack-wide rules that span both providers. Importing this package imports every module under it,
sub-packages included, which registers their rules in `policy.framework.REGISTRY`: a new file in any
of these folders is picked up without being listed anywhere."""

import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.walk_packages(__path__, prefix=f"{__name__}.")):
    importlib.import_module(_module)
