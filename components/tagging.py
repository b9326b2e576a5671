"""The tag set every taggable AWS resource of a component carries."""

from __future__ import annotations

from collections.abc import Mapping

# The tag the AWS Backup plan selects on (exactly this key and value); data services carry it.
BACKUP_TAG = ("backup", "true")


def component_tags(base: Mapping[str, str], component: str, **extra: str) -> dict[str, str]:
    """Stack tags plus the component's own name, so a bill or an alarm leads back to its owner.

    The provider's default_tags carry the stack tags too; repeating them on the resource makes them
    visible to policies and reviewers in the program's inputs, not only after the provider merged them.
    """
    return {**base, "component": component, **extra}
