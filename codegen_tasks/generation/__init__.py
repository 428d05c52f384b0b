"""Writing a service: the scaffold, prompts and parsing of model answers, hybrid mode."""
