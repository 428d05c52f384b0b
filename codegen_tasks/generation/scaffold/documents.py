"""Repositories over MongoDB (mongoose) and Redis (ioredis, one hash per table)."""

from __future__ import annotations

from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.generation.scaffold.columns import Column
from codegen_tasks.generation.scaffold.database import Repository, Store, record_block, url_block
from codegen_tasks.generation.scaffold.naming import (
    camel,
    member_access,
    pascal,
    property_key,
    ts_string,
)
from codegen_tasks.generation.scaffold.source import doc_comment, fill, join_blocks

_MONGO_TYPES = {"string": "String", "number": "Number", "boolean": "Boolean"}


def _mongo_field(column: Column) -> str:
    kind = _MONGO_TYPES.get(column.field.ts, "Schema.Types.Mixed")
    options = [f"type: {kind}"]
    if column.field.required:
        options.append("required: true")
    if column.unique or column.field.primary:
        options.append("unique: true")
    if column.max_length is not None and kind == "String":
        options.append(f"maxlength: {column.max_length}")
    if column.default is not None:
        value = column.default
        options.append(
            f"default: {ts_string(value) if isinstance(value, str) else str(value).lower()}"
        )
    return f"    {property_key(column.name)}: {{ {', '.join(options)} }},"


_MONGO = """@Injectable()
export class <<cls>> implements OnModuleDestroy {
  private readonly connection = createConnection(databaseUrl());
  private readonly model = this.connection.model<<<record>>>(<<model>>, <<schema>>);

  async insert(row: <<new>>): Promise<<<record>>> {
    const stored: <<record>> = { ...row, <<key_prop>>: <<new_key>> };
    await this.model.create(stored);
    return stored;
  }

  async findPage(offset: number, limit: number): Promise<{ items: <<record>>[]; total: number }> {
    const [items, total] = await Promise.all([
      this.model
        .find({}, { _id: 0 })
        .sort({ <<key_prop>>: 1 })
        .skip(offset)
        .limit(limit)
        .lean<<<record>>[]>()
        .exec(),
      this.model.countDocuments().exec(),
    ]);
    return { items, total };
  }

  async findByKey(key: <<key_ts>>): Promise<<<record>> | undefined> {
    const found = await this.model
      .findOne({ <<key_prop>>: key }, { _id: 0 })
      .lean<<<record>>>()
      .exec();
    return found ?? undefined;
  }

  async update(row: <<record>>): Promise<<<record>>> {
    await this.model.replaceOne({ <<key_prop>>: row<<key>> }, row).exec();
    return row;
  }

  async delete(key: <<key_ts>>): Promise<boolean> {
    const result = await this.model.deleteOne({ <<key_prop>>: key }).exec();
    return result.deletedCount > 0;
  }

  async onModuleDestroy(): Promise<void> {
    await this.connection.close();
  }
<<next_key>>}"""

_MONGO_NEXT_KEY = """
  /** The next numeric key: one past the highest stored (the unique index rejects a race). */
  private async nextKey(): Promise<number> {
    const last = await this.model
      .findOne({}, { _id: 0 })
      .sort({ <<key_prop>>: -1 })
      .lean<<<record>>>()
      .exec();
    return (last?.<<key_name>> ?? 0) + 1;
  }
"""


def render_mongoose(repo: Repository, store: Store, notes: list[str]) -> GeneratedFile:
    entity = repo.entity
    schema = f"{camel(store.table)}Schema"
    key_prop = property_key(entity.key.name)
    numeric = entity.numeric_key
    next_key = fill(
        _MONGO_NEXT_KEY,
        key_prop=key_prop,
        record=repo.record,
        key_name=member_access(entity.key.name).removeprefix("."),
    )
    body = fill(
        _MONGO,
        cls=repo.cls,
        record=repo.record,
        new=repo.new_type,
        model=ts_string(pascal(store.table)),
        schema=schema,
        key_prop=key_prop,
        key=member_access(entity.key.name),
        key_ts=entity.key.ts,
        new_key="await this.nextKey()" if numeric else "randomUUID()",
        next_key=next_key if numeric else "",
    )
    fields = "\n".join(_mongo_field(c) for c in store.columns)
    schema_block = (
        f"/** Documents of the `{store.table}` collection. */\n"
        f"export const {schema} = new Schema<{repo.record}>(\n  {{\n"
        + "\n".join("  " + line for line in fields.splitlines())
        + f"\n  }},\n  {{ collection: {ts_string(store.table)}, versionKey: false }},\n);"
    )
    imports = [
        "import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';",
        "import { createConnection, Schema } from 'mongoose';",
    ]
    if not numeric:
        imports.insert(0, "import { randomUUID } from 'node:crypto';\n")
    doc = doc_comment([f"{repo.record} documents in MongoDB through mongoose.", *notes])
    content = join_blocks(
        [
            "\n".join(imports),
            record_block(repo, []),
            schema_block,
            url_block(store),
            doc + "\n" + body,
        ]
    )
    return GeneratedFile(path=repo.path, content=content)


_REDIS = """@Injectable()
export class <<cls>> implements OnModuleDestroy {
  private readonly redis = new Redis(databaseUrl(), { lazyConnect: true });

  async insert(row: <<new>>): Promise<<<record>>> {
    const stored: <<record>> = { ...row, <<key_prop>>: <<new_key>> };
    await this.redis.hset(<<hash>>, String(stored<<key>>), JSON.stringify(stored));
    return stored;
  }

  async findPage(offset: number, limit: number): Promise<{ items: <<record>>[]; total: number }> {
    const all = Object.values(await this.redis.hgetall(<<hash>>)).map(parse);
    all.sort((a, b) => (a<<key>> < b<<key>> ? -1 : a<<key>> > b<<key>> ? 1 : 0));
    return { items: all.slice(offset, offset + limit), total: all.length };
  }

  async findByKey(key: <<key_ts>>): Promise<<<record>> | undefined> {
    const raw = await this.redis.hget(<<hash>>, String(key));
    return raw === null ? undefined : parse(raw);
  }

  async update(row: <<record>>): Promise<<<record>>> {
    await this.redis.hset(<<hash>>, String(row<<key>>), JSON.stringify(row));
    return row;
  }

  async delete(key: <<key_ts>>): Promise<boolean> {
    return (await this.redis.hdel(<<hash>>, String(key))) > 0;
  }

  onModuleDestroy(): void {
    this.redis.disconnect();
  }
}"""


def render_ioredis(repo: Repository, store: Store, notes: list[str]) -> GeneratedFile:
    entity = repo.entity
    numeric = entity.numeric_key
    body = fill(
        _REDIS,
        cls=repo.cls,
        record=repo.record,
        new=repo.new_type,
        hash=ts_string(store.table),
        key_prop=property_key(entity.key.name),
        key=member_access(entity.key.name),
        key_ts=entity.key.ts,
        new_key=f"await this.redis.incr({ts_string(store.table + ':key')})"
        if numeric
        else "randomUUID()",
    )
    parse = (
        f"function parse(raw: string): {repo.record} {{\n"
        f"  return JSON.parse(raw) as {repo.record};\n}}"
    )
    imports = [
        "import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';",
        "import Redis from 'ioredis';",
    ]
    if not numeric:
        imports.insert(0, "import { randomUUID } from 'node:crypto';\n")
    doc = doc_comment(
        [f"{repo.record} rows as JSON in the Redis hash `{store.table}` through ioredis.", *notes]
    )
    content = join_blocks(
        ["\n".join(imports), record_block(repo, []), parse, url_block(store), doc + "\n" + body]
    )
    return GeneratedFile(path=repo.path, content=content)
