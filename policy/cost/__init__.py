"""What a stack costs a month, priced from the resources it registers, before anything is deployed.

This package lives inside the policy pack because two callers need it: preflight (the estimate
table, the PR comment) and the pack's budget rule (`policy/rules/aws/budget.py`), which must
compute the same figure from the resources the pack sees under `pulumi preview --policy-pack
policy`. The pack ships as the `policy/` directory, so whatever the rule imports has to be there;
and like every policy module it is pure: it reads resource inputs (plain mappings) and the price
table (`prices/<region>.yaml`), never `components`, `pulumi` or the stack's config loader.
"""
