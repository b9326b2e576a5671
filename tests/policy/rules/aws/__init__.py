"""Tests of policy/rules/aws/."""
