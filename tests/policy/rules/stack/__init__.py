"""Tests of policy/rules/stack/."""
