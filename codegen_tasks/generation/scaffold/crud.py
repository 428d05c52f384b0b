"""CRUD behaviour: create, findAll, findOne, update, remove over a typed repository."""

from __future__ import annotations

from codegen_tasks.generation.scaffold.contracts import render_class, render_interface, request_name
from codegen_tasks.generation.scaffold.database import Repository
from codegen_tasks.generation.scaffold.fields import Entity, Field
from codegen_tasks.generation.scaffold.naming import member_access, pascal, ts_string
from codegen_tasks.generation.scaffold.source import (
    EXPECT_FIELD_HELPER,
    RPC_ERROR_HELPER,
    RPC_EXCEPTION,
    Handler,
    Part,
    expect_type,
    fill,
    module_ref,
)

PAGE_HELPER = """function clampInt(
  value: unknown,
  fallback: number,
  min: number,
  max: number,
): number {
  const n = typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : fallback;
  return Math.min(max, Math.max(min, n));
}"""

_METHODS: dict[str, str] = {
    "create": """async create(dto: <<req>>): Promise<<<entity>>> {
  <<check>>(dto, false);
  return this.<<repo>>.insert({
<<assign>>
  });
}""",
    "findAll": """async findAll(dto: <<req>>): Promise<<<prefix>>Page> {
  const offset = clampInt(dto?.offset, 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = clampInt(dto?.limit, 20, 1, 100);
  const { items, total } = await this.<<repo>>.findPage(offset, limit);
  return { items, total, offset, limit };
}""",
    "findOne": """async findOne(dto: <<req>>): Promise<<<entity>>> {
  return this.existing(dto?.<<key>>);
}""",
    "update": """async update(dto: <<req>>): Promise<<<entity>>> {
  <<check>>(dto, true);
  const updated: <<entity>> = { ...(await this.existing(dto?.<<key>>)) };
<<changes>>
  return this.<<repo>>.update(updated);
}""",
    "remove": """async remove(dto: <<req>>): Promise<<<prefix>>Removal> {
  const entity = await this.existing(dto?.<<key>>);
  await this.<<repo>>.delete(entity<<key_access>>);
  return { <<key_prop>>: entity<<key_access>>, removed: true };
}""",
}

_EXISTING = """private async existing(key: <<key_ts>> | undefined): Promise<<<entity>>> {
  const found = key === undefined ? undefined : await this.<<repo>>.findByKey(key);
  if (found === undefined) {
    throw rpcError(404, `<<name>> ${String(key)} not found`);
  }
  return found;
}"""

_RESPONSES = {
    "create": "Entity",
    "findAll": "Page",
    "findOne": "Entity",
    "update": "Entity",
    "remove": "Removal",
}


def crud_part(name: str, actions: list[str], repo: Repository, own_files: bool) -> Part:
    """The CRUD part for `actions` (a subset of the five), stored in `repo`."""
    prefix = pascal(name)
    entity = repo.entity
    values = {
        "entity": f"{prefix}Entity",
        "prefix": prefix,
        "repo": repo.member,
        "check": f"check{prefix}Fields",
        "key": _optional_access(entity.key.name),
        "key_access": member_access(entity.key.name),
        "key_prop": _key_prop(entity.key),
        "key_ts": entity.key.ts,
        "name": name,
        "assign": _assignments(entity),
        "changes": _changes(entity),
    }
    methods = [fill(_METHODS[a], req=request_name(prefix, a, "Dto"), **values) for a in actions]
    if {"findOne", "update", "remove"} & set(actions):
        methods.append(fill(_EXISTING, **values))
    handlers = tuple(
        Handler(a, a, request_name(prefix, a, "Dto"), f"{prefix}{_RESPONSES[a]}") for a in actions
    )
    dto_dir = f"src/{name}/dto"
    return Part(
        dto_file="crud.dto.ts",
        dto_source=_dto_source(prefix, actions, repo, module_ref(dto_dir, repo.path)),
        handlers=handlers,
        methods=tuple(methods),
        service_imports=frozenset(
            {RPC_EXCEPTION, (module_ref(f"src/{name}", repo.path), repo.cls)}
        ),
        helpers=_helpers(prefix, entity, set(actions)),
        injections=((repo.member, repo.cls),),
        providers=((repo.cls, repo.path),) if own_files else (),
    )


def _helpers(prefix: str, entity: Entity, actions: set[str]) -> tuple[str, ...]:
    writes = bool({"create", "update"} & actions)
    helpers = [RPC_ERROR_HELPER] if actions - {"findAll"} else []
    helpers += [EXPECT_FIELD_HELPER, _check_helper(prefix, entity)] if writes else []
    return (*helpers, PAGE_HELPER) if "findAll" in actions else tuple(helpers)


def _assignments(entity: Entity) -> str:
    """The new record's fields from the DTO; the repository assigns the key."""
    lines = [f"    {_key_prop(f)}: dto?.{_optional_access(f.name)}," for f in entity.data_fields]
    return "\n".join(lines)


def _changes(entity: Entity) -> str:
    lines: list[str] = []
    for field in entity.data_fields:
        access = member_access(field.name)
        check = f"dto?.{_optional_access(field.name)}"
        lines.append(f"  if ({check} !== undefined) {{\n    updated{access} = dto{access};\n  }}")
    return "\n".join(lines)


def _key_prop(field: Field) -> str:
    return field.name if member_access(field.name)[0] == "." else ts_string(field.name)


def _check_helper(prefix: str, entity: Entity) -> str:
    lines = [
        f"  expectField(dto?.{_optional_access(f.name)}, {ts_string(f.name)}, "
        f"{expect_type(f.ts)}, {'partial' if f.required else 'true'});"
        for f in entity.data_fields
    ]
    body = "\n".join(lines) or "  void dto;\n  void partial;"
    signature = f"function check{prefix}Fields(dto: Partial<{prefix}Entity> | undefined"
    return f"{signature}, partial: boolean): void {{\n{body}\n}}"


def _optional_access(name: str) -> str:
    access = member_access(name)
    return access[1:] if access.startswith(".") else access


def request_shapes(entity: Entity) -> dict[str, tuple[Field, ...]]:
    """The payload fields of each CRUD action: one home for servers and their clients."""
    key = Field(entity.key.name, entity.key.ts, True)
    optional = tuple(Field(f.name, f.ts, False) for f in entity.data_fields)
    return {
        "create": entity.data_fields,
        "findAll": (Field("offset", "number", False), Field("limit", "number", False)),
        "findOne": (key,),
        "update": (key, *optional),
        "remove": (key,),
    }


def reply_shapes(prefix: str, entity: Entity) -> dict[str, tuple[Field, ...]]:
    """The `<Prefix>Page` and `<Prefix>Removal` reply fields."""
    key = Field(entity.key.name, entity.key.ts, True)
    return {
        "Page": (
            Field("items", f"{prefix}Entity[]", True),
            Field("total", "number", True),
            Field("offset", "number", True),
            Field("limit", "number", True),
        ),
        "Removal": (key, Field("removed", "true", True)),
    }


def _dto_source(prefix: str, actions: list[str], repo: Repository, ref: str) -> str:
    blocks = [
        f"import type {{ {repo.record} }} from '{ref}';",
        f"/** A stored {prefix} entity: a row of {repo.label}. */\n"
        f"export type {prefix}Entity = {repo.record};",
    ]
    shapes = request_shapes(repo.entity)
    blocks += [render_class(request_name(prefix, a, "Dto"), shapes[a]) for a in actions]
    replies = reply_shapes(prefix, repo.entity)
    if "findAll" in actions:
        blocks.append(render_interface(f"{prefix}Page", replies["Page"]))
    if "remove" in actions:
        blocks.append(render_interface(f"{prefix}Removal", replies["Removal"]))
    return "\n\n".join(blocks) + "\n"
