"""Kubernetes rules, one module per area; `policy.rules` imports every module of this package."""
