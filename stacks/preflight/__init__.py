"""Preflight: a stack's program on Pulumi's mock runtime, its resource tree, and (with the
policy pack) its violations. Needs no cloud account and no Pulumi CLI."""
