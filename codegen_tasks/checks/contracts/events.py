"""Contract rules for the events LOGIC nodes forward (part of the contract level, pure).

- a forward target must handle each event forwarded to it with an `@EventPattern`;
- a producer that never `.emit()`s an event its LOGIC nodes forward gets a warning (the
  emit may sit behind a helper discovery cannot follow);
- an emit to a forward target of an event the graph does not imply is a warning.
"""

from __future__ import annotations

from codegen_tasks.checks.contracts.discovery import CalledPattern
from codegen_tasks.domain.results import ContractSet, Finding, ValidationLevel
from codegen_tasks.domain.spec import ServiceSpec, forwarded_events


def _at(message: str, file: str | None = None, line: int = 0) -> Finding:
    return Finding(level=ValidationLevel.CONTRACT, message=message, file=file, line=line)


def event_findings(
    spec: ServiceSpec,
    contracts: ContractSet,
    calls: list[CalledPattern],
    where: str | None,
    line: int,
) -> tuple[list[Finding], list[Finding]]:
    """(errors, warnings) about forwarded events, handled and emitted."""
    errors: list[Finding] = []
    warnings: list[Finding] = []
    handled = {c.pattern for c in contracts.contracts if c.type == "event"}
    replies = {c.pattern for c in contracts.contracts if c.type == "request"}
    for pattern in spec.events:
        if pattern in handled:
            continue
        message = f"no @EventPattern('{pattern}') handler, which a logic node forwards to it"
        if pattern in replies:
            message += "; it is a @MessagePattern, which emit() does not reach"
        errors.append(_at(message, where, line))
    expected = {p: a for a, _, _, p in forwarded_events(spec)}
    emitted = {c.pattern for c in calls if c.method == "emit"}
    for pattern, action in sorted(expected.items()):
        if pattern not in emitted:
            message = (
                f"{spec.name} never emits '{pattern}', which its logic nodes forward after"
                f" '{spec.name}.{action}'"
            )
            warnings.append(_at(message))
    targets = {p.partition(".")[0] for p in expected}
    for call in calls:
        target = call.pattern.partition(".")[0]
        if call.method == "emit" and target in targets and call.pattern not in expected:
            message = f"emit('{call.pattern}') is not an event the graph forwards to {target}"
            warnings.append(_at(message, call.file, call.line))
    return errors, warnings
