"""Entry point the Pulumi CLI runs (`pulumi up -s <stack>`)."""

from stacks.program import main

main()
