"""DATABASE dependencies (typed in-memory repositories) and LOGIC dependencies (forwarders)."""

from __future__ import annotations

from dataclasses import dataclass

from codegen_tasks.files import GeneratedFile
from codegen_tasks.scaffold.contracts import render_interface
from codegen_tasks.scaffold.fields import Entity, entity_from
from codegen_tasks.scaffold.naming import (
    camel,
    comment_text,
    kebab,
    member_access,
    pascal,
    unique_names,
)
from codegen_tasks.scaffold.source import doc_comment, fill, join_blocks
from codegen_tasks.services import DependencySpec, ServiceSpec


@dataclass(frozen=True)
class Repository:
    """A generated repository: where it lives and how the service refers to it."""

    stem: str  # file stem, e.g. `orders-db`
    path: str  # bundle path
    record: str  # record interface name
    cls: str  # repository class name
    member: str  # constructor property name
    entity: Entity
    label: str  # what it stores, for comments


_REPOSITORY = """@Injectable()
export class <<cls>> {
  private readonly rows = new Map<<<key_ts>>, <<record>>>();
<<counter>>
  newKey(): <<key_ts>> {
    return <<new_key>>;
  }

  async insert(row: <<record>>): Promise<<<record>>> {
    this.rows.set(row<<key>>, row);
    return row;
  }

  async findAll(): Promise<<<record>>[]> {
    return [...this.rows.values()];
  }

  async findByKey(key: <<key_ts>>): Promise<<<record>> | undefined> {
    return this.rows.get(key);
  }

  async update(row: <<record>>): Promise<<<record>>> {
    this.rows.set(row<<key>>, row);
    return row;
  }

  async delete(key: <<key_ts>>): Promise<boolean> {
    return this.rows.delete(key);
  }

  async count(): Promise<number> {
    return this.rows.size;
  }
}"""


def render_repository(repo: Repository, notes: list[str]) -> GeneratedFile:
    entity = repo.entity
    numeric = entity.numeric_key
    body = fill(
        _REPOSITORY,
        cls=repo.cls,
        record=repo.record,
        key_ts=entity.key.ts,
        key=member_access(entity.key.name),
        counter="  private lastKey = 0;\n" if numeric else "",
        new_key="++this.lastKey" if numeric else "randomUUID()",
    )
    imports = "import { Injectable } from '@nestjs/common';"
    if not numeric:
        imports = "import { randomUUID } from 'node:crypto';\n\n" + imports
    record_doc = doc_comment([f"A row of {repo.label}.", *notes])
    repo_doc = doc_comment(
        [
            f"In-memory storage of {repo.record} rows keyed by `{comment_text(entity.key.name)}`.",
            "Swap the Map for a real database client when one is provisioned;",
            "callers only depend on these async methods.",
        ]
    )
    content = join_blocks(
        [
            imports,
            record_doc + "\n" + render_interface(repo.record, entity.fields),
            repo_doc + "\n" + body,
        ]
    )
    return GeneratedFile(path=repo.path, content=content)


def databases_of(spec: ServiceSpec) -> list[tuple[DependencySpec, Repository]]:
    """One repository per DATABASE dependency (file stems made unique)."""
    deps = _unique_deps([d for d in spec.dependencies if d.kind == "database"])
    stems = unique_names([kebab(d.name) for d in deps])
    repos: list[tuple[DependencySpec, Repository]] = []
    for dep, stem in zip(deps, stems, strict=True):
        prefix = pascal(stem)
        repos.append(
            (
                dep,
                Repository(
                    stem=stem,
                    path=f"src/database/{stem}.repository.ts",
                    record=f"{prefix}Record",
                    cls=f"{prefix}Repository",
                    member=f"{camel(stem)}Repository",
                    entity=entity_from(dep.fields),
                    label=f'the "{dep.name}" database',
                ),
            )
        )
    return repos


def database_notes(dep: DependencySpec) -> list[str]:
    engine = " via ".join(x for x in (dep.database_type, dep.orm) if x)
    notes = [f"Engine: {comment_text(engine)}."] if engine else []
    if dep.description:
        notes.append(comment_text(dep.description))
    return notes


def own_repository(spec: ServiceSpec) -> Repository:
    """The store of a CRUD service without a DATABASE dependency."""
    prefix = pascal(spec.name)
    return Repository(
        stem=spec.name,
        path=f"src/{spec.name}/{spec.name}.repository.ts",
        record=f"{prefix}Record",
        cls=f"{prefix}Repository",
        member=f"{camel(spec.name)}Repository",
        entity=entity_from(None),
        label=f"the {spec.name} service's own store",
    )


def _unique_deps(deps: list[DependencySpec]) -> list[DependencySpec]:
    seen: set[str] = set()
    unique: list[DependencySpec] = []
    for dep in deps:
        if dep.node_id not in seen:
            seen.add(dep.node_id)
            unique.append(dep)
    return unique


_FORWARDER = """export type <<type>> = (payload: T) => Promise<unknown>;

export async function <<fn>><T>(
  payload: T,
  accepts: (payload: T) => boolean,
  forward: <<type>>,
): Promise<{ forwarded: boolean; result?: unknown }> {
  if (!accepts(payload)) {
    return { forwarded: false };
  }
  return { forwarded: true, result: await forward(payload) };
}"""


def render_logic_files(spec: ServiceSpec) -> list[GeneratedFile]:
    """A typed forwarding helper per LOGIC dependency; its expression stays a comment."""
    deps = _unique_deps([d for d in spec.dependencies if d.kind == "logic"])
    files: list[GeneratedFile] = []
    for dep, stem in zip(deps, unique_names([kebab(d.name) for d in deps]), strict=True):
        files.append(GeneratedFile(path=f"src/logic/{stem}.ts", content=_logic_source(dep, stem)))
    return files


def _logic_source(dep: DependencySpec, stem: str) -> str:
    kind = comment_text(dep.subtype or "logic")
    targets = ", ".join(dep.forwards_to) or "nothing yet"
    lines = [f'Logic node "{dep.name}" ({kind}): forwards to {comment_text(targets)}.']
    if dep.expression:
        lines.append("Condition from the graph (documentation only, never evaluated here):")
        lines.append(f"  {comment_text(dep.expression)}")
    if dep.description:
        lines.append(comment_text(dep.description))
    lines.append(
        "Callers supply `accepts` implementing the condition and `forward` doing the call."
    )
    body = fill(_FORWARDER, type=f"{pascal(stem)}Forward<T>", fn=f"forwardThrough{pascal(stem)}")
    return join_blocks([doc_comment(lines), body])
