"""Kubernetes resource quantities as numbers, so requests can be compared with limits and quotas.

Only the forms a stack file uses are accepted: CPU as cores (`2`, `0.5`) or millicores (`250m`),
memory as bytes with a binary (`512Mi`, `4Gi`) or decimal (`500M`, `1G`) suffix. Pure functions, no
resources: the config checks and the App component share them.
"""

from __future__ import annotations

import re
from decimal import Decimal

_CPU = re.compile(r"^(?P<number>\d+(?:\.\d+)?)(?P<milli>m?)$")
_MEMORY = re.compile(r"^(?P<number>\d+(?:\.\d+)?)(?P<suffix>Ki|Mi|Gi|Ti|k|M|G|T)?$")
_MEMORY_FACTORS = {
    None: 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


def millicores(value: str) -> int:
    """`250m` -> 250, `2` -> 2000, `0.5` -> 500. Raises ValueError for anything else."""
    match = _CPU.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a CPU quantity such as 250m, 0.5 or 2")
    number = Decimal(match["number"])
    return int(number if match["milli"] else number * 1000)


def memory_bytes(value: str) -> int:
    """`512Mi` -> 536870912, `1G` -> 10**9. Raises ValueError for anything else."""
    match = _MEMORY.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a memory quantity such as 256Mi or 2Gi")
    return int(Decimal(match["number"]) * _MEMORY_FACTORS[match["suffix"]])


def cpu_text(value: int) -> str:
    """Millicores back to the shortest quantity: 2000 -> `2`, 500 -> `500m`."""
    return str(value // 1000) if value % 1000 == 0 else f"{value}m"
