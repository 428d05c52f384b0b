"""Model access: the LLMClient interface, the OpenRouter adapter, an in-memory one."""
