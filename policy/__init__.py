"""Groundwork's CrossGuard policy pack: rules by area, an in-process analyzer for preflight, and
reports a reviewer can read (Markdown, JSON, SARIF)."""
