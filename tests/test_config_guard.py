"""A stack file means exactly what it says: every key accounted for, the file read under limits,
and errors that show what the user wrote without being garbled by it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stacks.config import ConfigError, parse_stack_config, read_stack_file
from stacks.config.errors import ConfigIssue
from stacks.config.loader import PROJECT_DIR
from stacks.config.stack_file import MAX_FILE_BYTES, read_config_block


def _error_for_file(tmp_path: Path, content: str | bytes) -> str:
    path = tmp_path / "Pulumi.dev.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        read_config_block("dev", path)
    return str(caught.value)


def _alias_bomb() -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]
    return "\n".join(lines) + "\nconfig:\n  groundwork:tags: *a11\n"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "config:\n  groundwork:tags:\n    owner: a\n    owner: b\n",
            "has the key 'owner' twice (lines 3 and 4)",
        ),
        ("config:\n  aws:region: eu-west-1\n  aws:region: us-east-1\n", "has the key 'aws:region' twice"),
        (_alias_bomb(), "uses more than 64 YAML aliases"),
        ("config:\n  groundwork:network: " + "[" * 3000 + "]" * 3000 + "\n", "nests deeper than 32 levels"),
        ("config:\n  groundwork:network: {cidr: " + "9" * 5000 + "}\n", "has an integer of 5000 digits"),
        ("config:\n  1: x\n", "has the key '1', which is not text"),
        ("config:\n  ? [a, b]\n  : x\n", "which is not text"),
        ("- just\n- a list\n", "must be a YAML mapping"),
        ("config: [a, b]\n", "config = (file): must be a mapping of key: value"),
        ("config:\n  groundwork:tags: {owner: a\n", "is not valid YAML"),
        (b"config:\n  groundwork:tags:\n    owner: \xff\xfe\n", "(line 3) = (file): is not UTF-8 text"),
        ("# padding\n" * (MAX_FILE_BYTES // 10 + 1), f"a stack file may have at most {MAX_FILE_BYTES}"),
    ],
    ids=[
        "duplicate-nested-key",
        "duplicate-top-key",
        "alias-bomb",
        "deep-nesting",
        "huge-integer",
        "integer-key",
        "complex-key",
        "not-a-mapping",
        "config-not-a-mapping",
        "broken-yaml",
        "not-utf8",
        "too-large",
    ],
)
def test_a_malformed_stack_file_is_one_clear_error(tmp_path, content, expected):
    assert expected in _error_for_file(tmp_path, content)


def test_the_shipped_stack_files_read_unchanged():
    """The bounded reader returns what PyYAML's safe loader returned for every shipped file."""
    import yaml

    for path in sorted(PROJECT_DIR.glob("Pulumi.*.yaml")):
        stack = path.name.split(".")[1]
        assert read_stack_file(stack) == (yaml.safe_load(path.read_text()).get("config") or {}), stack


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("groundwrok:network", "did you mean `groundwork:network`?"),
        ("Groundwork:kafka", "did you mean `groundwork:kafka` (keys are case-sensitive)?"),
        ("groundwork:netwrok", "is not a Groundwork setting; did you mean `groundwork:network`?"),
        ("groundwork:Network", "did you mean `groundwork:network` (keys are case-sensitive)?"),
        ("aws:regoin", "did you mean `aws:region`?"),
        ("aws:profile", "takes only `aws:region` from config"),
        ("network", "has no namespace; write it as `groundwork:network`"),
        ("kubernetes:context", "in namespace 'kubernetes', which this program does not read"),
    ],
)
def test_a_key_the_program_would_not_read_is_refused(key, expected):
    raw = {**read_stack_file("dev"), key: "x"}
    with pytest.raises(ConfigError) as caught:
        parse_stack_config("dev", raw)
    line = next(row for row in str(caught.value).splitlines() if key in row)
    assert f"dev: {key} = (key): " in line
    assert expected in line


def test_engine_settings_in_the_pulumi_namespace_are_left_to_the_engine():
    raw = {**read_stack_file("dev"), "pulumi:disable-default-providers": '["aws"]'}
    assert parse_stack_config("dev", raw).stack == "dev"


def test_structured_config_from_the_engine_is_bounded_too():
    raw = {**read_stack_file("dev"), "groundwork:network": "[" * 5000 + "]" * 5000}
    with pytest.raises(ConfigError, match=r"groundwork:network = \(JSON text, not shown\): nests deeper"):
        parse_stack_config("dev", raw)


def test_a_long_value_is_shown_truncated_with_its_length():
    text = str(
        ConfigError("dev", [ConfigIssue("cluster.supportType", "x" * 100_000, "STANDARD or EXTENDED")])
    )
    assert f"{'x' * 80!r}… (100000 characters)" in text
    assert len(text) < 300


def test_a_value_with_control_characters_is_shown_escaped():
    text = str(ConfigError("dev", [ConfigIssue("tags.owner", "team\n[red]x", "a name")]))
    assert "'team\\n[red]x'" in text
    assert text.count("\n") == 1


def test_many_alike_item_errors_are_counted_not_listed():
    issues = [
        ConfigIssue(f"monitoring.alarms.emails.{i}", f"bad{i}", "an email address") for i in range(10_000)
    ]
    lines = str(ConfigError("prod", issues)).splitlines()
    assert len(lines) == 5
    assert lines[-1].strip() == (
        "prod: ... and 9 997 more like it (monitoring.alarms.emails[*]: an email address)"
    )


def test_preflight_prints_a_value_with_markup_as_written(tmp_path):
    """rich would swallow `[red]` and choke on an unclosed `[`; the CLI shows both verbatim."""
    for name in ("Pulumi.yaml", *(f"Pulumi.{s}.yaml" for s in ("local", "dev", "qa", "staging", "prod"))):
        (tmp_path / name).write_text((PROJECT_DIR / name).read_text())
    with (tmp_path / "Pulumi.dev.yaml").open("a") as stack_file:
        stack_file.write("  groundwork:[red]bogus[/]: '[x'\n")
    result = subprocess.run(
        [sys.executable, "-m", "stacks.preflight", "dev", "--no-tree", "--no-policy"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(PROJECT_DIR), "PATH": "/usr/bin:/bin", "COLUMNS": "300"},
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "groundwork:[red]bogus[/] = (key)" in result.stdout, result.stdout
    assert "Traceback" not in result.stdout + result.stderr
