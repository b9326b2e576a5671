"""Tests of policy/rules/k8s/."""
