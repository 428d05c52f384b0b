"""LOGIC dependencies wired: typed predicates, the event publisher, and the events module.

A producer's writes (see `services.forwarded_events`) go through each LOGIC node it points
at: `filter`/`if` forward when the expression holds, `switch` to the target whose name the
expression yields, `merge` (or no expression) always. Forwarding is `ClientProxy.emit` of
`<target>.<event>`; a failed delivery is logged and never fails the write.
"""

from __future__ import annotations

from dataclasses import dataclass

from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.spec import DependencySpec, ServiceSpec, forwarded_events
from codegen_tasks.generation.scaffold.naming import (
    camel,
    comment_text,
    constant,
    default_port,
    kebab,
    pascal,
    ts_string,
    unique_names,
)
from codegen_tasks.generation.scaffold.source import (
    Handler,
    Import,
    Part,
    doc_comment,
    join_blocks,
    module_ref,
    render_imports,
)

LOGIC_DIR = "src/logic"
EVENTS_PATH = f"{LOGIC_DIR}/events.ts"
EVENTS_MODULE_PATH = f"{LOGIC_DIR}/events.module.ts"
EVENT_TIMEOUT_MS = 5000


@dataclass(frozen=True)
class Wiring:
    """What the domain files need to know about the events this service emits."""

    cls: str  # the publisher class
    member: str
    module: str  # the events module class
    hooks: dict[str, str]  # action -> publisher method called with the handler's result


def _data_type(handlers: list[Handler], actions: set[str]) -> str:
    return " | ".join(dict.fromkeys(h.response for h in handlers if h.action in actions))


def _type_imports(parts: list[Part], data: str, folder: str) -> set[Import]:
    wanted = set(data.split(" | "))
    return {
        (module_ref(LOGIC_DIR, f"{folder}/dto/{p.dto_file}"), name)
        for p in parts
        for name in p.dto_exports()
        if name in wanted
    }


# Literal unions read as their base type, so comparing a field with any value the graph's
# expression names compiles (`status === 'active'` where status is 'charged' | 'refunded').
_WIDENED = """/** The data's fields, literal unions widened to their base type. */
type Widened<T> = {
  readonly [K in keyof T]: T[K] extends string | undefined
    ? string | Extract<T[K], undefined>
    : T[K] extends number | undefined
      ? number | Extract<T[K], undefined>
      : T[K];
};"""


def _predicate(dep: DependencySpec, fn: str, data_type: str) -> str:
    """The expression over `data`: the result's own fields keep their (widened) types, fields the
    result lacks read as `unknown` (so `data.other === 'x'` compiles, `data.other > 1` not)."""
    kind = (dep.subtype or "filter").lower()
    lines = [f'Logic node "{comment_text(dep.name)}" ({comment_text(kind)}) from the graph.']
    if dep.description:
        lines.append(comment_text(dep.description))
    if not dep.expression or kind == "merge":
        lines.append("Forwards every message.")
        body = (
            f"export function {fn}(input: {data_type}): boolean {{\n"
            "  void input;\n  return true;\n}"
        )
        return doc_comment(lines) + "\n" + body
    wide = f"Widened<{data_type}> & Readonly<Record<string, unknown>>"
    if kind == "switch":
        lines.append(f"Routes to the target named by `{comment_text(dep.expression)}`.")
        returns, value = "string", f"String({dep.expression})"
    else:
        lines.append(f"Forwards when `{comment_text(dep.expression)}` holds.")
        returns, value = "boolean", f"Boolean({dep.expression})"
    body = (
        f"{_WIDENED}\n\n"
        f"export function {fn}(input: {data_type}): {returns} {{\n"
        f"  const data = input as {wide};\n"
        f"  return {value};\n}}"
    )
    return doc_comment(lines) + "\n" + body


@dataclass(frozen=True)
class Forwarding:
    """What the producer forwards: events, one predicate per LOGIC node, the data's type."""

    events: list[tuple[str, DependencySpec, str, str]]  # see services.forwarded_events
    predicates: dict[str, tuple[str, str]]  # logic node id -> (file stem, function name)
    data_type: str
    type_imports: set[Import]  # from src/logic/ to the DTOs naming the data type

    @property
    def targets(self) -> list[str]:
        return sorted({t for _, _, t, _ in self.events})


def render_logic(spec: ServiceSpec, parts: list[Part]) -> tuple[list[GeneratedFile], Wiring | None]:
    """The logic files of `spec` and how its controller calls them (None: nothing emitted)."""
    events = forwarded_events(spec)
    if not events:
        return [], None
    handlers = [h for p in parts for h in p.handlers]
    emitting = {a for a, _, _, _ in events} & {h.action for h in handlers}
    data_type = _data_type(handlers, emitting)
    if not data_type:
        return [], None
    deps = list({d.node_id: d for _, d, _, _ in events}.values())
    stems = unique_names([kebab(d.name) for d in deps])
    forwarding = Forwarding(
        events=events,
        predicates={d.node_id: (stem, camel(stem)) for d, stem in zip(deps, stems, strict=True)},
        data_type=data_type,
        type_imports=_type_imports(parts, data_type, f"src/{spec.name}"),
    )
    files: list[GeneratedFile] = []
    for dep in deps:
        stem, fn = forwarding.predicates[dep.node_id]
        body = _predicate(dep, fn, data_type)
        content = join_blocks([render_imports(forwarding.type_imports), body])
        files.append(GeneratedFile(path=f"{LOGIC_DIR}/{stem}.ts", content=content))
    prefix = pascal(spec.name)
    ordered = sorted(emitting)
    wiring = Wiring(
        cls=f"{prefix}Events",
        member="events",
        module=f"{prefix}EventsModule",
        hooks=dict(zip(ordered, unique_names([camel(f"after-{a}") for a in ordered]), strict=True)),
    )
    files.append(_publisher(spec, wiring, forwarding))
    files.append(_events_module(wiring, forwarding.targets))
    return files, wiring


def _token(target: str) -> str:
    return f"{constant(target)}_EVENTS"


def _publisher(spec: ServiceSpec, wiring: Wiring, forwarding: Forwarding) -> GeneratedFile:
    targets, data_type = forwarding.targets, forwarding.data_type
    imports: set[Import] = {
        ("@nestjs/common", "Inject"),
        ("@nestjs/common", "Injectable"),
        ("@nestjs/common", "Logger"),
        ("@nestjs/microservices", "ClientProxy"),
        ("rxjs", "Observable"),
        ("rxjs", "lastValueFrom"),
        ("rxjs", "timeout"),
        *forwarding.type_imports,
        *{(f"./{stem}", fn) for stem, fn in forwarding.predicates.values()},
    }
    members = {t: camel(f"{t}-events") for t in targets}
    params = "".join(
        f"    @Inject({_token(t)}) private readonly {members[t]}: ClientProxy,\n" for t in targets
    )
    methods: list[str] = []
    for action, method in wiring.hooks.items():
        lines: list[str] = []
        for act, dep, target, pattern in forwarding.events:
            if act != action:
                continue
            emit = (
                f"await this.deliver({ts_string(pattern)}, "
                f"this.{members[target]}.emit({ts_string(pattern)}, data));"
            )
            fn = forwarding.predicates[dep.node_id][1]
            if (dep.subtype or "").lower() == "switch" and dep.expression:
                cond = f"{fn}(data) === {ts_string(target)}"
            else:
                cond = f"{fn}(data)"
            lines.append(f"    if ({cond}) {{\n      {emit}\n    }}")
        doc = f"  /** After `{spec.name}.{action}`: forwards the result through the logic nodes. */"
        methods.append(
            f"{doc}\n  async {method}(data: {data_type}): Promise<void> {{\n"
            + "\n".join(lines)
            + "\n  }"
        )
    deliver = """  private async deliver(
    pattern: string,
    sent: Observable<unknown>,
  ): Promise<void> {
    try {
      await lastValueFrom(sent.pipe(timeout(EVENT_TIMEOUT_MS)), { defaultValue: undefined });
    } catch (error: unknown) {
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn(`event ${pattern} not delivered: ${reason}`);
    }
  }"""
    body = (
        doc_comment([f"Events {spec.name} emits to the targets of its LOGIC nodes."])
        + f"\n@Injectable()\nexport class {wiring.cls} {{\n"
        + f"  private readonly logger = new Logger({ts_string(wiring.cls)});\n\n"
        + f"  constructor(\n{params}  ) {{}}\n\n"
        + "\n\n".join([*methods, deliver])
        + "\n}"
    )
    tokens = "\n".join(f"export const {_token(t)} = {ts_string(_token(t))};" for t in targets)
    tokens += "\n\n/** How long one delivery may take before it is logged as failed. */\n"
    tokens += f"const EVENT_TIMEOUT_MS = {EVENT_TIMEOUT_MS};"
    return GeneratedFile(
        path=EVENTS_PATH, content=join_blocks([render_imports(imports), tokens, body])
    )


def _events_module(wiring: Wiring, targets: list[str]) -> GeneratedFile:
    imports: set[Import] = {
        ("@nestjs/common", "Module"),
        ("@nestjs/microservices", "ClientsModule"),
        ("@nestjs/microservices", "Transport"),
        ("./events", wiring.cls),
        *{("./events", _token(t)) for t in targets},
    }
    registrations = "".join(
        "      {\n"
        f"        name: {_token(t)},\n"
        "        transport: Transport.TCP,\n"
        "        options: {\n"
        f"          host: process.env.{constant(t)}_HOST ?? '127.0.0.1',\n"
        f"          port: Number(process.env.{constant(t)}_PORT ?? {default_port(t)}),\n"
        "        },\n"
        "      },\n"
        for t in targets
    )
    body = (
        "/** Connections to the services events are forwarded to; hosts and ports from env. */\n"
        f"@Module({{\n  imports: [\n    ClientsModule.register([\n{registrations}    ]),\n  ],\n"
        f"  providers: [{wiring.cls}],\n  exports: [{wiring.cls}],\n}})\n"
        f"export class {wiring.module} {{}}"
    )
    return GeneratedFile(
        path=EVENTS_MODULE_PATH, content=join_blocks([render_imports(imports), body])
    )
