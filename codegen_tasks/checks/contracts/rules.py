"""The contract, health_check and contract_discovery validation levels (pure).

Each level returns a `LevelFindings` (errors decide, warnings inform). Decisions worth knowing:
- the graph's health pattern is also satisfied by an HTTP `GET .../health` route;
- calls are attributed to a service by the text before the first dot of a string pattern;
  object patterns (`{"cmd":...}`), the service's own namespace and services reached through
  a logic node are not checked;
- `.send()` to a dependency pattern it lacks is an error, to a service without an edge a
  warning; `.emit()` events are broadcast, so an unknown event of a dependency is only a
  warning (an error when that dependency's discovered contracts are given) and events of
  services without an edge are not reported;
- events forwarded by LOGIC nodes: see `contracts.events`;
- several @EventPattern handlers on one pattern are legal in NestJS (each one runs), so that
  is a warning; any other repeated pattern is an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from codegen_tasks.checks.contracts.discovery import (
    CalledPattern,
    DiscoveryReport,
    HttpRoute,
    discover,
)
from codegen_tasks.checks.contracts.events import event_findings
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import (
    Contract,
    ContractSet,
    Finding,
    LevelFindings,
    ValidationLevel,
)
from codegen_tasks.domain.spec import HEALTH_ACTION, DependencySpec, ServiceSpec, called_targets

CONVENTION = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*\.[A-Za-z][A-Za-z0-9_-]*$")
HEALTH_VERBS = ("GET", "ALL")


def _at(level: ValidationLevel, message: str, file: str | None = None, line: int = 0) -> Finding:
    return Finding(level=level, message=message, file=file, line=line)


def controller_file(
    spec: ServiceSpec, contracts: ContractSet, files: list[GeneratedFile]
) -> str | None:
    """Where a missing handler belongs: the service's controller, if the bundle has one."""
    controllers = sorted(f.path for f in files if f.path.endswith(".controller.ts"))
    named = [p for p in controllers if p.rsplit("/", 1)[-1] == f"{spec.name}.controller.ts"]
    own = [c.file for c in contracts.contracts if c.file and c.pattern.startswith(f"{spec.name}.")]
    return next(iter(named + own + controllers), None)


_CLASS_RE = re.compile(r"^\s*(?:export\s+)?(?:default\s+)?class\s", re.MULTILINE)


def class_line(files: list[GeneratedFile], path: str | None) -> int:
    """The line of the first class declared in `path` (where a missing handler belongs)."""
    source = next((f.content for f in files if f.path == path), None)
    found = _CLASS_RE.search(source) if source else None
    return source.count("\n", 0, found.start()) + 1 if source and found else 0


def has_http_health(routes: list[HttpRoute]) -> bool:
    return any(r.method in HEALTH_VERBS and r.path.rstrip("/").endswith("/health") for r in routes)


def _handled(contracts: ContractSet, kind: str) -> set[str]:
    return {c.pattern for c in contracts.contracts if c.type == kind}


def _missing(pattern: str, contracts: ContractSet, what: str) -> str:
    message = f"no @MessagePattern('{pattern}') handler, which {what}"
    if pattern in _handled(contracts, "event"):
        message += "; it is only an @EventPattern, so send() would get no reply"
    return message


def _allowed(dependency: DependencySpec, known: Mapping[str, ContractSet]) -> set[str]:
    if dependency.name in known:
        return {c.pattern for c in known[dependency.name].contracts}
    return {f"{dependency.name}.{a}" for a in [*dependency.actions, HEALTH_ACTION]}


def _call_finding(
    spec: ServiceSpec,
    call: CalledPattern,
    targets: dict[str, DependencySpec],
    known: Mapping[str, ContractSet],
) -> tuple[str, str] | None:
    """("error"|"warning", message) for one call to another service's pattern, or None."""
    service = call.pattern.partition(".")[0]
    where = f"{call.receiver}.{call.method}('{call.pattern}')"
    if service not in targets:
        if call.method == "emit":
            return None
        return (
            "warning",
            f"{where} calls {service!r}, which {spec.name} has no edge to in the graph",
        )
    allowed = _allowed(targets[service], known)
    if call.pattern in allowed:
        return None
    handles = ", ".join(sorted(allowed)) or "nothing"
    message = f"{where} calls a pattern {service} does not handle (it handles: {handles})"
    strict = call.method == "send" or service in known
    return ("error" if strict else "warning"), message


def _call_findings(
    spec: ServiceSpec, calls: list[CalledPattern], known: Mapping[str, ContractSet]
) -> LevelFindings:
    out = LevelFindings()
    targets = {d.name: d for d in called_targets(spec)}
    indirect = {n for d in spec.dependencies if d.kind == "logic" for n in d.forwards_to}
    called: set[str] = set()
    for call in calls:
        service, dot, _ = call.pattern.partition(".")
        if not dot or call.pattern.startswith("{") or service in (spec.name, *indirect):
            continue
        called.add(service)
        found = _call_finding(spec, call, targets, known)
        if found is not None:
            bucket = out.errors if found[0] == "error" else out.warnings
            bucket.append(_at(ValidationLevel.CONTRACT, found[1], call.file, call.line))
    for name in sorted(set(targets) - called):
        message = f"{spec.name} depends on {name} but never calls it through a client"
        out.warnings.append(_at(ValidationLevel.CONTRACT, message))
    return out


def contract_findings(
    spec: ServiceSpec,
    contracts: ContractSet,
    files: list[GeneratedFile],
    *,
    report: DiscoveryReport | None = None,
    dependency_contracts: Mapping[str, ContractSet] | None = None,
) -> LevelFindings:
    """contract level: a handler for every pattern the graph implies, and calls to dependencies
    only for patterns they have (their discovered contracts when given, else their actions)."""
    report = report if report is not None else discover(files)
    calls = _call_findings(spec, report.calls, dependency_contracts or {})
    where = controller_file(spec, contracts, files)
    requests = _handled(contracts, "request")
    health = f"{spec.name}.{HEALTH_ACTION}"
    missing = [
        _at(
            ValidationLevel.CONTRACT,
            _missing(p, contracts, f"{spec.name} must handle"),
            where,
            class_line(files, where),
        )
        for p in spec.patterns()
        if p not in requests and p != health  # a missing health handler is health_check's
    ]
    events, event_warnings = event_findings(
        spec, contracts, report.calls, where, class_line(files, where)
    )
    return LevelFindings(
        errors=missing + events + calls.errors, warnings=calls.warnings + event_warnings
    )


def health_findings(
    spec: ServiceSpec,
    contracts: ContractSet,
    files: list[GeneratedFile],
    *,
    report: DiscoveryReport | None = None,
) -> LevelFindings:
    """health_check level: a `<name>.health` message handler or an HTTP GET .../health route."""
    routes = (report if report is not None else discover(files)).routes
    pattern = f"{spec.name}.{HEALTH_ACTION}"
    if pattern in _handled(contracts, "request") or has_http_health(routes):
        return LevelFindings()
    message = _missing(pattern, contracts, "health checks need") + " (nor a @Get('health') route)"
    where = controller_file(spec, contracts, files)
    return LevelFindings(
        errors=[_at(ValidationLevel.HEALTH_CHECK, message, where, class_line(files, where))]
    )


def _shape_findings(spec: ServiceSpec, contract: Contract) -> LevelFindings:
    out = LevelFindings()
    level, name = ValidationLevel.CONTRACT_DISCOVERY, contract.handler or "?"
    if not contract.pattern.strip():
        out.errors.append(
            _at(level, f"handler {name} has an empty pattern", contract.file, contract.line)
        )
        return out
    if contract.type == "request" and not CONVENTION.match(contract.pattern):
        message = f"pattern {contract.pattern!r} of {name} does not follow '<service>.<action>'"
        out.warnings.append(_at(level, message, contract.file, contract.line))
    elif contract.type == "request" and not contract.pattern.startswith(f"{spec.name}."):
        message = f"pattern {contract.pattern!r} of {name} is outside the '{spec.name}.' namespace"
        out.warnings.append(_at(level, message, contract.file, contract.line))
    if contract.request_type is None and not contract.pattern.endswith(f".{HEALTH_ACTION}"):
        message = f"handler {name} of {contract.pattern!r} declares no payload type"
        out.warnings.append(_at(level, message, contract.file, contract.line))
    return out


def _duplicates(contracts: ContractSet) -> LevelFindings:
    out = LevelFindings()
    groups: dict[str, list[Contract]] = {}
    for contract in contracts.contracts:
        groups.setdefault(contract.pattern, []).append(contract)
    for pattern, group in groups.items():
        if len(group) < 2:
            continue
        places = ", ".join(f"{c.handler} ({c.file}:{c.line})" for c in group)
        second = group[1]
        level = ValidationLevel.CONTRACT_DISCOVERY
        if all(c.type == "event" for c in group):
            message = f"event pattern {pattern!r} has {len(group)} handlers, all run: {places}"
            out.warnings.append(_at(level, message, second.file, second.line))
        else:
            message = f"pattern {pattern!r} is handled more than once: {places}"
            out.errors.append(_at(level, message, second.file, second.line))
    return out


def discovery_findings(
    spec: ServiceSpec,
    contracts: ContractSet,
    files: list[GeneratedFile],
    *,
    report: DiscoveryReport | None = None,
) -> LevelFindings:
    """contract_discovery level: handlers exist, patterns are well formed and unique; what
    discovery could not read (syntax errors, unresolvable patterns) comes as warnings."""
    discovered = report if report is not None else discover(files)
    out = LevelFindings(warnings=list(discovered.warnings))
    if not contracts.contracts and not discovered.unresolved:
        message = "no @MessagePattern or @EventPattern handlers were found"
        out.errors.append(_at(ValidationLevel.CONTRACT_DISCOVERY, message))
    for part in [*(_shape_findings(spec, c) for c in contracts.contracts), _duplicates(contracts)]:
        out.errors.extend(part.errors)
        out.warnings.extend(part.warnings)
    return out
