"""One test module per rule module: tests/policy/rules/<pkg>/test_<module>.py tests
policy/rules/<pkg>/<module>.py."""
