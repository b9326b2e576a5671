"""Types for args fields that the wiring fills from other resources' outputs.

A field typed `StrInput` takes a plain string or a `pulumi.Output` (which pydantic checks only with
isinstance, never resolves): components pass it straight into resource arguments.
"""

from __future__ import annotations

import pulumi

StrInput = str | pulumi.Output
