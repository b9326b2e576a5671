"""Groundwork's ComponentResources, one module each. They know nothing of stacks: every size and
switch arrives as args whose defaults are the secure choice."""
