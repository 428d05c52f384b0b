"""TypeORM repositories (an `EntitySchema`, no decorators) over PostgreSQL or MySQL."""

from __future__ import annotations

from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.generation.scaffold.columns import MYSQL_STRING_LENGTH, Column
from codegen_tasks.generation.scaffold.database import (
    Repository,
    Store,
    record_block,
    to_record_block,
    url_block,
)
from codegen_tasks.generation.scaffold.naming import camel, pascal, property_key, ts_string
from codegen_tasks.generation.scaffold.source import doc_comment, fill, join_blocks

_TYPES = {
    "uuid": ("uuid", "char"),
    "text": ("text", "text"),
    "int": ("integer", "int"),
    "bigint": ("bigint", "bigint"),
    "float": ("double precision", "double"),
    "boolean": ("boolean", "boolean"),
    "date": ("date", "date"),
    "timestamp": ("timestamptz", "timestamp"),
    "time": ("time", "time"),
    "json": ("jsonb", "json"),
}


def _column(column: Column, mysql: bool) -> str:
    options = [f"name: {ts_string(column.sql_name)}"]
    if column.kind == "string":
        if column.max_length is None and not mysql:
            options.append("type: 'text'")
        else:
            options.append("type: 'varchar'")
            options.append(f"length: {column.max_length or MYSQL_STRING_LENGTH}")
    else:
        options.append(f"type: {ts_string(_TYPES[column.kind][1 if mysql else 0])}")
        if mysql and column.kind == "uuid":
            options.append("length: 36")
    if column.field.primary:
        options.append("primary: true")
        if column.generated:
            options.append("generated: 'increment'")
    elif not column.field.required:
        options.append("nullable: true")
    if column.unique:
        options.append("unique: true")
    if column.default is not None:
        value = column.default
        literal = ts_string(value) if isinstance(value, str) else str(value).lower()
        options.append(f"default: {literal}")
    if column.kind in _TRANSFORMERS:
        options.append(f"transformer: {_TRANSFORMERS[column.kind][0]}")
    return f"    {property_key(column.name)}: {{ {', '.join(options)} }},"


# Drivers return bigint as a string and timestamps as Date: the record says number / string.
_AS_NUMBER = """/** bigint columns come back as strings; the record holds numbers. */
const asNumber: ValueTransformer = {
  to: (value: unknown) => value,
  from: (value: unknown) => (typeof value === 'string' ? Number(value) : value),
};"""
_AS_TEXT = """/** Date and time columns come back as Date objects; the record holds ISO strings. */
const asText: ValueTransformer = {
  to: (value: unknown) => value,
  from: (value: unknown) => (value instanceof Date ? value.toISOString() : value),
};"""
_TRANSFORMERS = {
    "bigint": ("asNumber", _AS_NUMBER),
    "timestamp": ("asText", _AS_TEXT),
    "date": ("asText", _AS_TEXT),
}


_CLASS = """@Injectable()
export class <<cls>> implements OnModuleDestroy {
  private readonly dataSource = new DataSource({
    type: <<driver>>,
    url: databaseUrl(),
    entities: [<<schema>>],
  });
  private ready: Promise<Repository<<<record>>>> | undefined;

  async insert(row: <<new>>): Promise<<<record>>> {
    const rows = await this.rows();
    return toRecord(await rows.save(<<values>>));
  }

  async findPage(offset: number, limit: number): Promise<{ items: <<record>>[]; total: number }> {
    const rows = await this.rows();
    const [items, total] = await rows.findAndCount({
      order: { <<key_prop>>: 'ASC' },
      skip: offset,
      take: limit,
    });
    return { items: items.map(toRecord), total };
  }

  async findByKey(key: <<key_ts>>): Promise<<<record>> | undefined> {
    const found = await (await this.rows()).findOneBy({ <<key_prop>>: key });
    return found === null ? undefined : toRecord(found);
  }

  async update(row: <<record>>): Promise<<<record>>> {
    return toRecord(await (await this.rows()).save(row));
  }

  async delete(key: <<key_ts>>): Promise<boolean> {
    const result = await (await this.rows()).delete({ <<key_prop>>: key });
    return (result.affected ?? 0) > 0;
  }

  async onModuleDestroy(): Promise<void> {
    if (this.dataSource.isInitialized) {
      await this.dataSource.destroy();
    }
  }

  /** Connects on first use, once. */
  private rows(): Promise<Repository<<<record>>>> {
    this.ready ??= this.dataSource
      .initialize()
      .then((source) => source.getRepository(<<schema>>));
    return this.ready;
  }
}"""


def render_typeorm(repo: Repository, store: Store, notes: list[str]) -> GeneratedFile:
    mysql = store.persistence.database_type == "mysql"
    entity = repo.entity
    schema = f"{camel(store.table)}Schema"
    key_prop = property_key(entity.key.name)
    values = "row" if entity.numeric_key else f"{{ ...row, {key_prop}: randomUUID() }}"
    body = fill(
        _CLASS,
        cls=repo.cls,
        record=repo.record,
        new=repo.new_type,
        schema=schema,
        driver="'mysql'" if mysql else "'postgres'",
        values=values,
        key_prop=key_prop,
        key_ts=entity.key.ts,
    )
    columns = "\n".join(_column(c, mysql) for c in store.columns)
    where = f" (created by {store.migration})" if store.migration else ""
    schema_block = (
        f"/** The `{store.table}` table{where}. */\n"
        f"export const {schema} = new EntitySchema<{repo.record}>({{\n"
        f"  name: {ts_string(pascal(store.table))},\n"
        f"  tableName: {ts_string(store.table)},\n"
        f"  columns: {{\n{columns}\n  }},\n}});"
    )
    helpers = list(
        dict.fromkeys(_TRANSFORMERS[c.kind][1] for c in store.columns if c.kind in _TRANSFORMERS)
    )
    names = ["DataSource", "EntitySchema", "Repository"] + (["ValueTransformer"] if helpers else [])
    imports = [
        "import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';",
        f"import {{ {', '.join(names)} }} from 'typeorm';",
    ]
    if not entity.numeric_key:
        imports.insert(0, "import { randomUUID } from 'node:crypto';\n")
    doc = doc_comment([f"{repo.record} rows in the `{store.table}` table through TypeORM.", *notes])
    content = join_blocks(
        [
            "\n".join(imports),
            record_block(repo, []),
            *helpers,
            schema_block,
            to_record_block(repo, repo.record),
            url_block(store),
            doc + "\n" + body,
        ]
    )
    return GeneratedFile(path=repo.path, content=content)
