"""DATABASE node fields as stored columns: kind, SQL name, constraints, and the SQL migration."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from codegen_tasks.generation.scaffold.fields import Entity, Field

# field type (lower case, before any `(`) -> column kind
_KINDS: dict[str, str] = {
    "uuid": "uuid",
    **dict.fromkeys(("string", "varchar", "char", "citext", "email", "url", "enum"), "string"),
    "text": "text",
    **dict.fromkeys(("integer", "int", "int2", "int4", "smallint", "serial"), "int"),
    **dict.fromkeys(("bigint", "int8", "bigserial"), "bigint"),
    **dict.fromkeys(("number", "float", "double", "decimal", "numeric", "real", "money"), "float"),
    **dict.fromkeys(("boolean", "bool"), "boolean"),
    **dict.fromkeys(("date",), "date"),
    **dict.fromkeys(("datetime", "timestamp", "timestamptz"), "timestamp"),
    "time": "time",
}
_PG_TYPES = {
    "uuid": "UUID",
    "text": "TEXT",
    "int": "INTEGER",
    "bigint": "BIGINT",
    "float": "DOUBLE PRECISION",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMPTZ",
    "time": "TIME",
    "json": "JSONB",
}
_MYSQL_TYPES = {
    "uuid": "CHAR(36)",
    "text": "TEXT",
    "int": "INT",
    "bigint": "BIGINT",
    "float": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "time": "TIME",
    "json": "JSON",
}
MYSQL_STRING_LENGTH = 255
_SIZED_RE = re.compile(r"^\s*\w+\s*\(\s*(\d{1,5})\s*\)\s*$")  # `varchar(40)`
_SNAKE_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True)
class Column:
    field: Field
    sql_name: str
    kind: str  # uuid string text int bigint float boolean date timestamp time json
    unique: bool = False
    max_length: int | None = None
    default: str | int | float | bool | None = None

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def generated(self) -> bool:
        """A numeric primary key the database assigns."""
        return self.field.primary and self.kind in ("int", "bigint")


def snake(name: str) -> str:
    """`userId` → `user_id`, `orders-db` → `orders_db` (SQL identifiers)."""
    flat = _SNAKE_RE.sub("_", name)
    return re.sub(r"[^A-Za-z0-9]+", "_", flat).strip("_").lower() or "x"


def table_name(database_name: str) -> str:
    """The table (collection, hash) of a DATABASE node: `orders-db` → `orders`."""
    base = re.sub(r"[-_](db|database|store)$", "", database_name)
    return snake(base)


def column_kind(raw_type: object, field: Field) -> str:
    base = raw_type.strip().lower().split("(")[0].strip() if isinstance(raw_type, str) else ""
    kind = _KINDS.get(base)
    if kind == "uuid" and not field.primary:
        return "string"  # a reference kept as text: the database does not police its format
    if kind is not None:
        return kind
    return {"string": "string", "number": "float", "boolean": "boolean"}.get(field.ts, "json")


def _default(raw: dict[str, Any], field: Field) -> str | int | float | bool | None:
    value = raw.get("defaultValue", raw.get("default"))
    if isinstance(value, bool):
        return value if field.ts == "boolean" else None
    if isinstance(value, str):
        return value if field.ts == "string" else None
    if isinstance(value, int | float):
        return value if field.ts == "number" else None
    return None


def columns_of(entity: Entity, raw_fields: list[dict[str, Any]]) -> list[Column]:
    """One column per entity field; constraints from the node's field definitions."""
    by_name = {str(r.get("name")): r for r in raw_fields if isinstance(r.get("name"), str)}
    names = {snake(f.name) for f in entity.fields}
    columns: list[Column] = []
    for field in entity.fields:
        raw = by_name.get(field.name, {})
        kind = column_kind(raw.get("type", field.ts), field)
        length = raw.get("maxLength")
        sized = _SIZED_RE.match(str(raw.get("type", "")))
        if not isinstance(length, int) and sized and kind == "string":
            length = int(sized.group(1))
        sql = snake(field.name) if len(names) == len(entity.fields) else field.name
        columns.append(
            Column(
                field=field,
                sql_name=sql,
                kind=kind,
                unique=raw.get("unique") is True and not field.primary,
                max_length=length if isinstance(length, int) and 0 < length < 65536 else None,
                default=_default(raw, field),
            )
        )
    return columns


def _quote(name: str, dialect: str) -> str:
    return f"`{name}`" if dialect == "mysql" else f'"{name}"'


def sql_literal(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return json.dumps(value)


def sql_type(column: Column, dialect: str) -> str:
    if column.kind == "string":
        if column.max_length is None and dialect == "postgresql":
            return "TEXT"
        return f"VARCHAR({column.max_length or MYSQL_STRING_LENGTH})"
    return (_MYSQL_TYPES if dialect == "mysql" else _PG_TYPES)[column.kind]


def _column_sql(column: Column, dialect: str) -> str:
    parts = [_quote(column.sql_name, dialect), sql_type(column, dialect)]
    if column.generated:
        parts.append("AUTO_INCREMENT" if dialect == "mysql" else "GENERATED BY DEFAULT AS IDENTITY")
    if column.field.primary:
        parts.append("PRIMARY KEY")
    elif column.field.required:
        parts.append("NOT NULL")
    if column.unique:
        parts.append("UNIQUE")
    if column.default is not None:
        parts.append(f"DEFAULT {sql_literal(column.default)}")
    return " ".join(parts)


def migration_sql(table: str, columns: list[Column], dialect: str, source: str) -> str:
    """`CREATE TABLE` for the node's table (`dialect`: postgresql or mysql)."""
    body = ",\n".join(f"  {_column_sql(c, dialect)}" for c in columns)
    return (
        f"-- The {table} table of {source}; generated from the graph's fields.\n"
        f"CREATE TABLE IF NOT EXISTS {_quote(table, dialect)} (\n{body}\n);\n"
    )
