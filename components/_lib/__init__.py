"""Pure helpers the components share: no resources are created here, so each is tested without the engine."""
