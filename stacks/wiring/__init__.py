"""Per-area wiring: StackConfig in, component args out. One module per area, called in order by
`stacks.program.build`, each adding its component to the shared `Platform`."""
