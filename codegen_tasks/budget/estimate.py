"""What a generation will cost, before spending: a pure function of the graph and prices.

Prompt tokens come from the prompts the run would send (about four characters a token);
completion tokens from the history average for the model, else the original service's
figure of ~8000 tokens for a whole service.
"""

from __future__ import annotations

from pydantic import Field

from codegen_tasks.domain.graph import ProjectGraph
from codegen_tasks.domain.spec import build_service_spec
from codegen_tasks.domain.wire import Message
from codegen_tasks.generation.prompts import generation_messages
from codegen_tasks.ports.llm import ModelInfo

CHARS_PER_TOKEN = 4
DEFAULT_COMPLETION_TOKENS = 8000


class NodeEstimate(Message):
    node_id: str
    service_name: str
    skipped: bool = False  # inputs unchanged since the last success: no call
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0


class Estimate(Message):
    project_id: str
    model: str
    price_source: str  # provider | table | builtin | unknown
    prompt_usd_per_mtok: float | None = None
    completion_usd_per_mtok: float | None = None
    completion_source: str  # history | default | builtin
    services: list[NodeEstimate] = Field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0


def prompt_tokens(project: ProjectGraph, node_id: str) -> int:
    spec = build_service_spec(project.graph, node_id, project.project.name)
    chars = sum(len(m.content) for m in generation_messages(spec))
    return (chars + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def _cost(prompt: int, completion: int, price: ModelInfo | None) -> float | None:
    if price is None or price.prompt_usd_per_mtok is None:
        return None
    per_out = price.completion_usd_per_mtok or 0.0
    return (prompt * price.prompt_usd_per_mtok + completion * per_out) / 1_000_000


def estimate_project(
    project: ProjectGraph,
    model: str,
    price: tuple[ModelInfo | None, str],
    completion: tuple[int | None, str],
    unchanged: frozenset[str] = frozenset(),
) -> Estimate:
    """Tokens and USD per code node; `unchanged` nodes would be skipped (no call).
    `completion` is (average completion tokens per service or None, its source)."""
    info, price_source = price
    builtin = price_source == "builtin"  # the built-in generator's price: no call at all
    per_service, completion_source = completion
    if builtin:
        completion_source = "builtin"
    expected = per_service if per_service is not None else DEFAULT_COMPLETION_TOKENS
    services = []
    for node in project.graph.code_nodes():
        skipped = node.id in unchanged
        free = skipped or builtin
        p_tok = 0 if free else prompt_tokens(project, node.id)
        c_tok = 0 if free else expected
        services.append(
            NodeEstimate(
                node_id=node.id,
                service_name=node.name,
                skipped=skipped,
                prompt_tokens=p_tok,
                completion_tokens=c_tok,
                cost_usd=_cost(p_tok, c_tok, info),
            )
        )
    costs = [s.cost_usd for s in services]
    return Estimate(
        project_id=project.project.id,
        model=model,
        price_source=price_source,
        prompt_usd_per_mtok=info.prompt_usd_per_mtok if info else None,
        completion_usd_per_mtok=info.completion_usd_per_mtok if info else None,
        completion_source=completion_source,
        services=services,
        prompt_tokens=sum(s.prompt_tokens for s in services),
        completion_tokens=sum(s.completion_tokens for s in services),
        cost_usd=None if any(c is None for c in costs) else sum(c or 0.0 for c in costs),
    )
