"""Model prices: the original service's published table, a fallback when the provider's
model list cannot be had (no key, offline), and the lookup the estimate uses."""

from __future__ import annotations

from codegen_tasks.generation.scaffold import BUILTIN_MODEL
from codegen_tasks.ports.llm import ModelInfo

# id -> (name, USD per 1M prompt tokens, USD per 1M completion tokens, context length)
MODEL_CATALOG: dict[str, tuple[str, float, float, int]] = {
    "anthropic/claude-3.5-sonnet": ("Anthropic: Claude 3.5 Sonnet", 3.0, 15.0, 200_000),
    "openai/gpt-4o": ("OpenAI: GPT-4o", 5.0, 15.0, 128_000),
    "openai/gpt-4-turbo": ("OpenAI: GPT-4 Turbo", 10.0, 30.0, 128_000),
    "anthropic/claude-3-opus": ("Anthropic: Claude 3 Opus", 15.0, 75.0, 200_000),
    "openai/o1-preview": ("OpenAI: o1-preview", 15.0, 60.0, 128_000),
    "google/gemini-pro-1.5": ("Google: Gemini Pro 1.5", 0.35, 1.05, 1_000_000),
    "anthropic/claude-3-haiku": ("Anthropic: Claude 3 Haiku", 0.25, 1.25, 200_000),
    "deepseek/deepseek-chat": ("DeepSeek: DeepSeek V3", 0.14, 0.28, 64_000),
    "meta-llama/llama-3.3-70b-instruct": ("Meta: Llama 3.3 70B Instruct", 0.55, 0.80, 131_072),
    "mistralai/mistral-large": ("Mistral Large", 2.0, 6.0, 128_000),
}
FREE = ModelInfo(
    id=BUILTIN_MODEL, name="built-in scaffold", prompt_usd_per_mtok=0.0, completion_usd_per_mtok=0.0
)


def catalog_models() -> list[ModelInfo]:
    """The fallback table as ModelInfo entries."""
    return [
        ModelInfo(
            id=model_id,
            name=name,
            context_length=context,
            prompt_usd_per_mtok=p_in,
            completion_usd_per_mtok=p_out,
        )
        for model_id, (name, p_in, p_out, context) in MODEL_CATALOG.items()
    ]


def price_of(model: str, listed: list[ModelInfo] | None = None) -> tuple[ModelInfo | None, str]:
    """The model's prices and where they came from: `provider` (its model list), `table`
    (the fallback), `builtin` (the built-in generator's: free) or `unknown` (None)."""
    sources = (("builtin", [FREE]), ("provider", listed or []), ("table", catalog_models()))
    for source, models in sources:
        for info in models:
            if info.id == model and info.prompt_usd_per_mtok is not None:
                return info, source
    return None, "unknown"
