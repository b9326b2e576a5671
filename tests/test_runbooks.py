"""The runbooks exist and their cross-links land on real pages and headings."""

from __future__ import annotations

import re

import pytest

from tests.test_monitoring import RUNBOOKS, github_anchors

REQUIRED = (
    "deploy.md",
    "rollback.md",
    "restore-postgres-pitr.md",
    "restore-from-vault.md",
    "dr-failover.md",
    "alerts.md",
)
LINK = re.compile(r"\]\(([^)#\s]*)(?:#([^)\s]+))?\)")


def test_required_runbooks_exist():
    assert all((RUNBOOKS / name).is_file() for name in REQUIRED)


@pytest.mark.parametrize("page", sorted(p.name for p in RUNBOOKS.glob("*.md")))
def test_links_resolve(page):
    text = (RUNBOOKS / page).read_text()
    for target, anchor in LINK.findall(text):
        if target.startswith("http"):
            continue
        linked = RUNBOOKS / target if target else RUNBOOKS / page
        assert linked.is_file(), f"{page}: broken link {target}"
        if anchor:
            assert anchor in github_anchors(linked.read_text()), f"{page}: no #{anchor} in {linked.name}"


def test_rollback_runbook_has_the_exact_commands():
    text = (RUNBOOKS / "rollback.md").read_text()
    assert "kubectl -n apps rollout undo deployment/" in text and "pulumi stack history" in text


@pytest.mark.parametrize("page", ["README.md", "restore-postgres-pitr.md", "dr-failover.md"])
def test_recovery_runbooks_state_rto_and_rpo(page):
    text = (RUNBOOKS / page).read_text()
    assert "RTO" in text and "RPO" in text


def test_every_page_is_indexed():
    index = (RUNBOOKS / "README.md").read_text()
    assert all(f"({path.name})" in index for path in RUNBOOKS.glob("*.md") if path.name != "README.md")
