"""The small interfaces the pipeline depends on (LLM, cache, object store)."""
