"""Stack side of Groundwork: typed config per environment and the composition of components.

Components know nothing of stacks; this package decides sizes and switches per environment
and hands them to components as args.
"""
