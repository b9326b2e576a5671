"""Stack-wide rules that span both providers: protection of stateful resources, credentials in
inputs, and the pack's own exemption tags."""
