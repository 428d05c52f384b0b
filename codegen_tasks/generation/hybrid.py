"""Hybrid generation: the built-in scaffold writes the skeleton, the model only the domain
files. Pure functions: which paths are the model's, its prompt, the check of its answer and
the merge.

The domain files of a service `<name>` are:
- `src/<name>/<name>.service.ts`, the service implementation (it replaces the skeleton's:
  same class, same public methods, as the controller calls them), and
- new DTO files under `src/<name>/dto/` (never one of the skeleton's DTO files).
Every other path of the bundle belongs to the skeleton, read-only for the model.
"""

from __future__ import annotations

from collections.abc import Mapping

from codegen_tasks.checks.contracts.typetext import CalleeTypes
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.spec import ServiceSpec
from codegen_tasks.errors import SkeletonTouchedError
from codegen_tasks.generation.prompts import PROMPT_VERSION, build_service_prompt
from codegen_tasks.platform import Platform
from codegen_tasks.ports.llm import ChatMessage

HYBRID_PROMPT_VERSION = f"{PROMPT_VERSION}+hybrid.1"
DOMAIN_ASK = "Write the domain files now, as the JSON object described."

_RULES = """You are a senior backend engineer who writes production NestJS microservices \
in TypeScript.

The service's skeleton is already written by a generator and is correct: package.json,
tsconfig.json, bootstrap, module wiring, controller, DTOs, dependency clients, database
repository and migration, logic wiring, health, Dockerfile, README. It is given to you
read-only. You write only the domain logic.

Rules:
1. Answer with ONE JSON object and nothing else: {"files": [{"path": "...", "content": "..."}]}.
   No markdown, no commentary.
2. Write ONLY these paths (the domain files):
   - {service_path}: the complete service implementation. Keep the class name, its
     constructor and every public method with the signature the controller calls; implement
     the business rules of the description and the node's actions with the repository and
     clients as the skeleton gives them.
   - new DTO files under {dto_dir} when the logic needs more types (never one of the
     skeleton's files).
   Any other path is a skeleton file: an answer that returns one is rejected.
3. Import only node's standard library, the skeleton's own modules and the packages already in
   its package.json. The code must compile with `tsc --strict` (experimentalDecorators,
   emitDecoratorMetadata). No `any` where a type is known; no placeholder code or to-do notes.
"""


def service_path(spec: ServiceSpec) -> str:
    return f"src/{spec.name}/{spec.name}.service.ts"


def dto_dir(spec: ServiceSpec) -> str:
    return f"src/{spec.name}/dto/"


def is_domain_path(spec: ServiceSpec, skeleton_paths: set[str], path: str) -> bool:
    """True for the paths the model may write in hybrid mode (see the module docstring)."""
    if path == service_path(spec):
        return True
    return path.startswith(dto_dir(spec)) and path.endswith(".ts") and path not in skeleton_paths


def asks_model(spec: ServiceSpec, skeleton: list[GeneratedFile]) -> bool:
    """Whether the skeleton leaves domain logic to write: gateways have no service
    implementation (their routes only forward), so their skeleton is the whole bundle."""
    return any(f.path == service_path(spec) for f in skeleton)


def context_files(skeleton: list[GeneratedFile]) -> list[GeneratedFile]:
    """The skeleton files the model reads: the TypeScript sources and package.json."""
    return [f for f in skeleton if f.path == "package.json" or f.path.endswith(".ts")]


def _listing(files: list[GeneratedFile]) -> str:
    return "\n\n".join(f"--- {f.path}\n```\n{f.content}\n```" for f in files)


def hybrid_messages(
    spec: ServiceSpec,
    skeleton: list[GeneratedFile],
    callees: Mapping[str, CalleeTypes] | None = None,
    platform: Platform | None = None,
) -> list[ChatMessage]:
    """The hybrid prompt: the node as in full mode, the skeleton read-only, the ask for the
    domain files only."""
    system = _RULES.replace("{service_path}", service_path(spec)).replace(
        "{dto_dir}", dto_dir(spec)
    )
    node = build_service_prompt(spec, callees, platform, closing="")
    user = (
        f"{node}\n\nThe skeleton (read-only; {service_path(spec)} is the generator's "
        f"minimal implementation, which you replace):\n\n{_listing(context_files(skeleton))}\n\n"
        f"{DOMAIN_ASK}"
    )
    return [ChatMessage(role="system", content=system), ChatMessage(role="user", content=user)]


def check_answer(
    spec: ServiceSpec, skeleton: list[GeneratedFile], files: list[GeneratedFile]
) -> None:
    """Reject an answer that returns a skeleton file (the repair loop re-asks with this)."""
    paths = {f.path for f in skeleton}
    touched = sorted(f.path for f in files if not is_domain_path(spec, paths, f.path))
    if touched:
        raise SkeletonTouchedError(touched, [service_path(spec), dto_dir(spec)])


def merge(skeleton: list[GeneratedFile], files: list[GeneratedFile]) -> list[GeneratedFile]:
    """The bundle: the skeleton with the model's domain files in place, sorted by path."""
    ours = {f.path: f for f in skeleton}
    ours.update({f.path: f for f in files})
    return [ours[p] for p in sorted(ours)]
