"""Rules for AWS resources, one module per service."""
