"""Rows of the merged target table (/work/shared/policy-targets.md, sections 8 and 9) in the data,
compute, Kubernetes and stack-wide areas that are deliberately not rules, each with the reason.

`policy.docs` lists them under "Rows left out". Every other row of these areas maps to at least one
rule through a `target:<row id>` tag (tests/policy/test_rules_coverage_b.py keeps that true); the
meta rows STK-POL-001/002 belong to the framework (policy/exemptions.py, policy/docs.FRAMEWORK_ROWS).
"""

LEFT_OUT: tuple[tuple[str, str], ...] = (
    (
        "STK-SEC-002",
        "Plaintext secrets in stack config are invisible to a policy: pulumi_policy hands rules resource inputs "
        "with secrets already unwrapped and never the stack's config or its secret-key list. The stack config "
        "loader does it instead: `stacks.config.loader.plaintext_credentials` refuses any credential-named key "
        "(password, token, webhook, ...) that is not a `secure:` value, before the program runs, in preflight "
        "and in `pulumi up` alike (tests/test_config.py).",
    ),
)
