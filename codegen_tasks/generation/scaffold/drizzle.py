"""drizzle-orm repositories over node-postgres (`pg`) and `mysql2`."""

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
from codegen_tasks.generation.scaffold.naming import camel, member_access, property_key, ts_string
from codegen_tasks.generation.scaffold.source import doc_comment, fill, join_blocks

_PG_BUILDERS = {
    "uuid": "uuid",
    "text": "text",
    "int": "integer",
    "bigint": "bigint",
    "float": "doublePrecision",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "time": "time",
    "json": "jsonb",
}
_MYSQL_BUILDERS = {
    "uuid": "char",
    "text": "text",
    "int": "int",
    "bigint": "bigint",
    "float": "double",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "time": "time",
    "json": "json",
}


def _builder(column: Column, mysql: bool) -> tuple[str, str]:
    """(imported builder, column expression) for one column."""
    name = ts_string(column.sql_name)
    if column.kind == "string":
        if column.max_length is None and not mysql:
            fn, options = "text", ""
        else:
            fn, options = "varchar", f"{{ length: {column.max_length or MYSQL_STRING_LENGTH} }}"
    else:
        fn = (_MYSQL_BUILDERS if mysql else _PG_BUILDERS)[column.kind]
        options = {
            "bigint": "{ mode: 'number' }",
            "date": "{ mode: 'string' }",
            "timestamp": "{ mode: 'string' }"
            if mysql
            else "{ mode: 'string', withTimezone: true }",
        }.get(column.kind, "{ length: 36 }" if mysql and column.kind == "uuid" else "")
    expr = f"{fn}({name}{', ' + options if options else ''})"
    if column.kind == "json":
        expr += f".$type<{column.field.ts}>()"
    if column.field.primary:
        expr += ".primaryKey()"
        if column.generated:
            expr += ".autoincrement()" if mysql else ".generatedByDefaultAsIdentity()"
    elif column.field.required:
        expr += ".notNull()"
    if column.unique:
        expr += ".unique()"
    if column.default is not None:
        expr += f".default({_ts_literal(column.default)})"
    return fn, expr


def _ts_literal(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return ts_string(value) if isinstance(value, str) else repr(value)


def _table_block(repo: Repository, store: Store, mysql: bool) -> tuple[list[str], str]:
    builders: set[str] = set()
    lines: list[str] = []
    for column in store.columns:
        fn, expr = _builder(column, mysql)
        builders.add(fn)
        lines.append(f"  {property_key(column.name)}: {expr},")
    table_fn = "mysqlTable" if mysql else "pgTable"
    where = f" (created by {store.migration})" if store.migration else ""
    block = (
        f"/** The `{store.table}` table{where}. */\n"
        f"export const {_table_const(store)} = {table_fn}({ts_string(store.table)}, {{\n"
        + "\n".join(lines)
        + "\n});"
    )
    return sorted([table_fn, *builders]), block


def _table_const(store: Store) -> str:
    return f"{camel(store.table)}Table"


# The reads are the same SQL for both drivers; inserts and updates differ (RETURNING).
_READS = """\
  async findPage(offset: number, limit: number): Promise<{ items: <<record>>[]; total: number }> {
    const rows = await this.db
      .select()
      .from(<<table>>)
      .orderBy(asc(<<column>>))
      .limit(limit)
      .offset(offset);
    const [counted] = await this.db.select({ total: count() }).from(<<table>>);
    return { items: rows.map(toRecord), total: counted.total };
  }

  async findByKey(key: <<key_ts>>): Promise<<<record>> | undefined> {
    const rows = await this.db.select().from(<<table>>).where(eq(<<column>>, key)).limit(1);
    return rows.length > 0 ? toRecord(rows[0]) : undefined;
  }
"""

_PG_CLASS = (
    """@Injectable()
export class <<cls>> implements OnModuleDestroy {
  private readonly pool = new Pool({ connectionString: databaseUrl() });
  private readonly db = drizzle(this.pool);

  async insert(row: <<new>>): Promise<<<record>>> {
    const [created] = await this.db.insert(<<table>>).values(<<values>>).returning();
    return toRecord(created);
  }

"""
    + _READS
    + """
  async update(row: <<record>>): Promise<<<record>>> {
    const [updated] = await this.db
      .update(<<table>>)
      .set(row)
      .where(eq(<<column>>, row<<key>>))
      .returning();
    return toRecord(updated);
  }

  async delete(key: <<key_ts>>): Promise<boolean> {
    const removed = await this.db.delete(<<table>>).where(eq(<<column>>, key)).returning();
    return removed.length > 0;
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.end();
  }
}"""
)

_MYSQL_CLASS = (
    """@Injectable()
export class <<cls>> implements OnModuleDestroy {
  private readonly pool = createPool({ uri: databaseUrl() });
  private readonly db = drizzle(this.pool);

  async insert(row: <<new>>): Promise<<<record>>> {
<<insert>>
    return this.stored(key);
  }

"""
    + _READS
    + """
  async update(row: <<record>>): Promise<<<record>>> {
    await this.db.update(<<table>>).set(row).where(eq(<<column>>, row<<key>>));
    return this.stored(row<<key>>);
  }

  async delete(key: <<key_ts>>): Promise<boolean> {
    const [result] = await this.db.delete(<<table>>).where(eq(<<column>>, key));
    return result.affectedRows > 0;
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.end();
  }

  private async stored(key: <<key_ts>>): Promise<<<record>>> {
    const found = await this.findByKey(key);
    if (found === undefined) {
      throw new Error(`<<table_name>> row ${String(key)} vanished after writing`);
    }
    return found;
  }
}"""
)


def render_drizzle(repo: Repository, store: Store, notes: list[str]) -> GeneratedFile:
    mysql = store.persistence.database_type == "mysql"
    entity = repo.entity
    builders, table = _table_block(repo, store, mysql)
    key_prop = property_key(entity.key.name)
    values = "row" if entity.numeric_key else f"{{ ...row, {key_prop}: randomUUID() }}"
    const = _table_const(store)
    common = {
        "cls": repo.cls,
        "record": repo.record,
        "new": repo.new_type,
        "table": const,
        "column": f"{const}{member_access(entity.key.name)}",
        "key": member_access(entity.key.name),
        "key_ts": entity.key.ts,
    }
    if mysql:
        if entity.numeric_key:
            insert = (
                f"    const [created] = await this.db.insert({const}).values(row).$returningId();\n"
                f"    const key = created{member_access(entity.key.name)};"
            )
        else:
            insert = (
                "    const key = randomUUID();\n"
                f"    await this.db.insert({const}).values({{ ...row, {key_prop}: key }});"
            )
        body = fill(_MYSQL_CLASS, insert=insert, table_name=store.table, **common)
        driver = [
            "import { drizzle } from 'drizzle-orm/mysql2';",
            "import { createPool } from 'mysql2/promise';",
        ]
    else:
        body = fill(_PG_CLASS, values=values, **common)
        driver = [
            "import { drizzle } from 'drizzle-orm/node-postgres';",
            "import { Pool } from 'pg';",
        ]
    core = "drizzle-orm/mysql-core" if mysql else "drizzle-orm/pg-core"
    imports = [
        "import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';",
        "import { asc, count, eq } from 'drizzle-orm';",
        driver[0],
        f"import {{ {', '.join(builders)} }} from '{core}';",
        driver[1],
    ]
    if not entity.numeric_key:
        imports.insert(0, "import { randomUUID } from 'node:crypto';\n")
    doc = doc_comment(
        [f"{repo.record} rows in the `{store.table}` table through drizzle-orm.", *notes]
    )
    content = join_blocks(
        [
            "\n".join(imports),
            table,
            record_block(repo, []),
            to_record_block(repo, f"typeof {const}.$inferSelect"),
            url_block(store),
            doc + "\n" + body,
        ]
    )
    return GeneratedFile(path=repo.path, content=content)
