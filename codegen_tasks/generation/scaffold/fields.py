"""Entity shapes: DATABASE node fields mapped to TypeScript property types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codegen_tasks.generation.scaffold.naming import property_key, unique_names

_TS_TYPES: dict[str, str] = {
    **dict.fromkeys(
        ("uuid", "string", "text", "varchar", "char", "citext", "email", "url", "enum"), "string"
    ),
    **dict.fromkeys(("date", "datetime", "timestamp", "timestamptz", "time"), "string"),
    **dict.fromkeys(
        ("integer", "int", "int2", "int4", "int8", "smallint", "bigint", "serial"), "number"
    ),
    **dict.fromkeys(("number", "float", "double", "decimal", "numeric", "real", "money"), "number"),
    **dict.fromkeys(("boolean", "bool"), "boolean"),
    **dict.fromkeys(("json", "jsonb", "object", "map"), "Record<string, unknown>"),
    **dict.fromkeys(("array", "list"), "unknown[]"),
}


def ts_type(db_type: object) -> str:
    """`uuid`/`string` → string, `integer`/`number` → number, `boolean` → boolean, ..."""
    if not isinstance(db_type, str):
        return "unknown"
    base = db_type.strip().lower().split("(")[0].strip()
    if base.endswith("[]"):
        inner = ts_type(base[:-2])
        return f"{inner}[]" if inner.isidentifier() else f"Array<{inner}>"
    return _TS_TYPES.get(base, "unknown")


@dataclass(frozen=True)
class Field:
    name: str
    ts: str
    required: bool
    primary: bool = False

    def declaration(self, *, optional: bool | None = None, definite: bool = False) -> str:
        """`name: type;`, `name?: type;` or (class property) `name!: type;`."""
        is_optional = (not self.required) if optional is None else optional
        mark = "?" if is_optional else ("!" if definite else "")
        return f"{property_key(self.name)}{mark}: {self.ts};"


@dataclass(frozen=True)
class Entity:
    """The stored record: fields plus which one is the key and how it is generated."""

    fields: tuple[Field, ...]
    key: Field

    @property
    def data_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f is not self.key)

    @property
    def numeric_key(self) -> bool:
        return self.key.ts == "number"


DEFAULT_FIELDS = (
    Field("id", "string", True, primary=True),
    Field("name", "string", True),
    Field("description", "string", False),
)


def parse_fields(raw: list[dict[str, Any]]) -> list[Field]:
    """Fields of a DATABASE node; unnamed ones skipped, repeated names keep the first."""
    fields: list[Field] = []
    seen: set[str] = set()
    for item in raw:
        name = item.get("name")
        if not isinstance(name, str) or not name.strip() or name in seen:
            continue
        seen.add(name)
        primary = item.get("primaryKey") is True or item.get("primary") is True
        required = primary or item.get("required") is True or item.get("nullable") is False
        fields.append(Field(name, ts_type(item.get("type")), required, primary))
    return fields


def entity_from(raw: list[dict[str, Any]] | None) -> Entity:
    """The entity for DATABASE fields; a string key is added when none is usable."""
    fields = parse_fields(raw or []) or list(DEFAULT_FIELDS)
    key = next((f for f in fields if f.primary), None)
    key = key or next((f for f in fields if f.name == "id"), None)
    if key is not None and key.ts in ("string", "number"):
        chosen = Field(key.name, key.ts, True, True)
        return Entity(tuple(chosen if f is key else f for f in fields), chosen)
    name = unique_names(["id"], frozenset(f.name for f in fields))[0]
    chosen = Field(name, "string", True, True)
    return Entity((chosen, *fields), chosen)
