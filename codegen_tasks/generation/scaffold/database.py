"""DATABASE dependencies as real repositories, and the in-memory store of a service without one.

Every repository offers the same async methods (`insert` assigns the key, `findPage`,
`findByKey`, `update`, `delete`), so the CRUD behaviour does not depend on the library.
The library is the node's ORM on its database kind (see `codegen_tasks.platform`).
"""

from __future__ import annotations

from dataclasses import dataclass

from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.spec import MIGRATIONS_DIR, DependencySpec, ServiceSpec
from codegen_tasks.generation.scaffold.columns import Column, columns_of, migration_sql, table_name
from codegen_tasks.generation.scaffold.contracts import render_interface
from codegen_tasks.generation.scaffold.fields import Entity, entity_from
from codegen_tasks.generation.scaffold.naming import (
    camel,
    comment_text,
    database_url_env,
    kebab,
    member_access,
    pascal,
    property_key,
    ts_string,
    unique_names,
)
from codegen_tasks.generation.scaffold.source import doc_comment, fill, join_blocks
from codegen_tasks.platform import Persistence, Platform, persistence_for


@dataclass(frozen=True)
class Store:
    """Where a DATABASE dependency's rows live."""

    database: str  # the DATABASE node's name
    persistence: Persistence
    table: str
    columns: tuple[Column, ...]
    env: str  # the env variable holding the connection URL

    @property
    def migration(self) -> str | None:
        if not self.persistence.is_sql:
            return None
        return f"{MIGRATIONS_DIR}/{self.table}.sql"


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
    store: Store | None = None  # None: the service's own in-memory store

    @property
    def new_type(self) -> str:
        """The type `insert` takes: a record without its key."""
        return self.record.removesuffix("Record") + "New"

    @property
    def key_literal(self) -> str:
        return ts_string(self.entity.key.name)


def new_type_block(repo: Repository) -> str:
    return (
        f"/** A {repo.record} before it is stored: the repository assigns the key. */\n"
        f"export type {repo.new_type} = Omit<{repo.record}, {repo.key_literal}>;"
    )


def record_block(repo: Repository, notes: list[str]) -> str:
    doc = doc_comment([f"A row of {repo.label}.", *notes])
    return join_blocks(
        [doc + "\n" + render_interface(repo.record, repo.entity.fields), new_type_block(repo)]
    ).rstrip("\n")


def to_record_block(repo: Repository, row_type: str) -> str:
    """`toRecord(row)`: a stored row as the record, absent values as undefined."""
    lines = []
    for field in repo.entity.fields:
        value = f"row{member_access(field.name)}"
        lines.append(
            f"    {property_key(field.name)}: {value}{'' if field.required else ' ?? undefined'},"
        )
    return (
        f"function toRecord(row: {row_type}): {repo.record} {{\n  return {{\n"
        + "\n".join(lines)
        + "\n  };\n}"
    )


def url_block(store: Store) -> str:
    return fill(
        """/** The connection URL of <<database>>, from `<<env>>` (the service boots without it;
 * queries then fail until it is set). */
function databaseUrl(): string {
  const url = process.env.<<env>> ?? '';
  if (url === '') {
    new Logger('<<database>>').warn('<<env>> is not set: queries to <<database>> will fail');
  }
  return url;
}""",
        env=store.env,
        database=comment_text(store.database),
    )


_MEMORY = """@Injectable()
export class <<cls>> {
  private readonly rows = new Map<<<key_ts>>, <<record>>>();
<<counter>>
  async insert(row: <<new>>): Promise<<<record>>> {
    const stored: <<record>> = { ...row, <<key_prop>>: <<new_key>> };
    this.rows.set(stored<<key>>, stored);
    return stored;
  }

  async findPage(offset: number, limit: number): Promise<{ items: <<record>>[]; total: number }> {
    const all = [...this.rows.values()];
    return { items: all.slice(offset, offset + limit), total: all.length };
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
}"""


def render_memory_repository(repo: Repository) -> GeneratedFile:
    """The own store of a service without a DATABASE dependency: rows kept in process."""
    entity = repo.entity
    body = fill(
        _MEMORY,
        cls=repo.cls,
        record=repo.record,
        new=repo.new_type,
        key_ts=entity.key.ts,
        key=member_access(entity.key.name),
        key_prop=property_key(entity.key.name),
        counter="  private lastKey = 0;\n" if entity.numeric_key else "",
        new_key="++this.lastKey" if entity.numeric_key else "randomUUID()",
    )
    imports = "import { Injectable } from '@nestjs/common';"
    if not entity.numeric_key:
        imports = "import { randomUUID } from 'node:crypto';\n\n" + imports
    doc = doc_comment(
        [
            f"{repo.record} rows kept in this process, keyed by"
            f" `{comment_text(entity.key.name)}`: the graph gives this service no DATABASE",
            "node, so its state lasts as long as the process. Connect a DATABASE node to the",
            "service in the graph to get a persistent repository with the same methods.",
        ]
    )
    content = join_blocks([imports, record_block(repo, []), doc + "\n" + body])
    return GeneratedFile(path=repo.path, content=content)


def databases_of(spec: ServiceSpec, platform: Platform) -> list[tuple[DependencySpec, Repository]]:
    """One repository per DATABASE dependency (file stems made unique)."""
    deps = unique_deps([d for d in spec.dependencies if d.kind == "database"])
    stems = unique_names([kebab(d.name) for d in deps])
    tables = unique_names([table_name(d.name) for d in deps])
    repos: list[tuple[DependencySpec, Repository]] = []
    for dep, stem, table in zip(deps, stems, tables, strict=True):
        prefix = pascal(stem)
        entity = entity_from(dep.fields)
        store = Store(
            database=dep.name,
            persistence=persistence_for(platform, dep.database_type, dep.orm),
            table=table,
            columns=tuple(columns_of(entity, dep.fields)),
            env=database_url_env(dep.name),
        )
        repo = Repository(
            stem=stem,
            path=f"src/database/{stem}.repository.ts",
            record=f"{prefix}Record",
            cls=f"{prefix}Repository",
            member=f"{camel(stem)}Repository",
            entity=entity,
            label=f'the "{dep.name}" database',
            store=store,
        )
        repos.append((dep, repo))
    return repos


def render_migrations(repos: list[Repository]) -> list[GeneratedFile]:
    """`migrations/<table>.sql` for every SQL database (applied in file-name order)."""
    files: list[GeneratedFile] = []
    for repo in repos:
        store = repo.store
        if store is None or store.migration is None:
            continue
        sql = migration_sql(
            store.table, list(store.columns), store.persistence.database_type, store.database
        )
        files.append(GeneratedFile(path=store.migration, content=sql))
    return files


def database_notes(dep: DependencySpec, store: Store) -> list[str]:
    engine = f"{store.persistence.database_type} via {store.persistence.orm}"
    notes = [f"Engine: {comment_text(engine)}; connection URL from `{store.env}`."]
    if store.persistence.warning:
        notes.append(comment_text(store.persistence.warning))
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


def unique_deps(deps: list[DependencySpec]) -> list[DependencySpec]:
    seen: set[str] = set()
    unique: list[DependencySpec] = []
    for dep in deps:
        if dep.node_id not in seen:
            seen.add(dep.node_id)
            unique.append(dep)
    return unique
