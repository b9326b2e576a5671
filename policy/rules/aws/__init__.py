"""AWS rules, one module per service (and per concern the stack-wide AWS rules guard)."""
