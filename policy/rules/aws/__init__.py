"""AWS rules, one module per service; `policy.rules` imports every module of this package."""
