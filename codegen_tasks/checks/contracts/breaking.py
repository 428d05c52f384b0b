"""Breaking changes between a service's last successful contracts and its new ones (pure).

Pattern level, from the discovered contracts alone:
- a pattern no longer handled is `pattern_removed`, or `pattern_renamed` when a new pattern of
  the same kind is handled by the same method (or it is the only one removed and added);
- a request that became an event (or back) is `kind_changed`.
Type level, by the compiler (old and new bundles side by side, through `compat`'s module):
- the payload old callers send must still be accepted by the new handler, else
  `request_field_added` (tsc names a missing property) or `request_narrowed`;
- the new reply must still be what old callers expect, else `reply_field_removed` or
  `reply_widened`.
"""

from __future__ import annotations

from codegen_tasks.checks.contracts.compat import ServiceBundle, TypedCheck, TypedContracts
from codegen_tasks.checks.contracts.discovery import CalledPattern
from codegen_tasks.checks.contracts.sites import handler_site
from codegen_tasks.checks.contracts.syntax import parse_bundle
from codegen_tasks.domain.results import BreakingChange, Contract

OLD_SUFFIX = "@last-success"
_MISSING = ("is missing", "TS2741", "TS2739")


def _change(
    node_id: str, service: str, kind: str, pattern: str, message: str, new: str | None = None
) -> BreakingChange:
    return BreakingChange.model_validate(
        {
            "node_id": node_id,
            "service_name": service,
            "kind": kind,
            "pattern": pattern,
            "new_pattern": new,
            "message": message,
        }
    )


def _renamed(old: Contract, added: list[Contract], removed: int) -> Contract | None:
    same_kind = [c for c in added if c.type == old.type]
    by_handler = [c for c in same_kind if c.handler and c.handler == old.handler]
    if by_handler:
        return by_handler[0]
    return same_kind[0] if removed == 1 and len(same_kind) == 1 else None


def pattern_changes(
    node_id: str, service: str, old: list[Contract], new: list[Contract]
) -> list[BreakingChange]:
    """Patterns removed, renamed or changed in kind between two contract sets."""
    now = {c.pattern: c for c in new}
    before = {c.pattern for c in old}
    added = [c for c in new if c.pattern not in before]
    gone = [c for c in old if c.pattern not in now]
    changes: list[BreakingChange] = []
    for contract in gone:
        target = _renamed(contract, added, len(gone))
        if target is not None:
            added.remove(target)
            message = (
                f"'{contract.pattern}' was renamed to '{target.pattern}' (handler "
                f"{target.handler}); callers of '{contract.pattern}' get no handler"
            )
            changes.append(
                _change(
                    node_id, service, "pattern_renamed", contract.pattern, message, target.pattern
                )
            )
        else:
            message = f"'{contract.pattern}' is no longer handled by {service}"
            changes.append(_change(node_id, service, "pattern_removed", contract.pattern, message))
    for contract in old:
        current = now.get(contract.pattern)
        if current is not None and current.type != contract.type:
            message = f"'{contract.pattern}' changed from {contract.type} to {current.type}"
            changes.append(_change(node_id, service, "kind_changed", contract.pattern, message))
    return changes


def type_checks(old: ServiceBundle, new: ServiceBundle) -> TypedContracts:
    """Old vs new handler types of every pattern both versions handle, as typed checks
    (the old version plays the caller: what existing callers were built against)."""
    plan = TypedContracts()
    old_sources = {s.path: s for s in parse_bundle(old.files)}
    new_sources = {s.path: s for s in parse_bundle(new.files)}
    before = {(c.pattern, c.type): c for c in old.report.contracts}
    for contract in new.report.contracts:
        previous = before.get((contract.pattern, contract.type))
        if previous is None:
            continue
        was, now = handler_site(old_sources, previous), handler_site(new_sources, contract)
        if was.method is None or now.method is None:
            continue
        method = "send" if contract.type == "request" else "emit"
        call = CalledPattern(
            pattern=contract.pattern,
            method=method,
            receiver="",
            file=contract.file or "",
            line=contract.line,
        )
        if was.payload is not None and now.payload is not None:
            accepts, sent = (now.method, now.payload), (was.method, was.payload)
            plan.checks.append(TypedCheck("payload", old, new, call, contract, accepts, sent))
        if was.reply and now.reply:
            expected, replied = (was.method, None), (now.method, None)
            plan.checks.append(TypedCheck("reply", old, new, call, contract, expected, replied))
    return plan


def type_changes(
    plan: TypedContracts, diagnostics: list[tuple[str, int, str]]
) -> list[BreakingChange]:
    """The type-level breaking changes among the failed checks of `type_checks` plans."""
    changes: list[BreakingChange] = []
    for check, message in plan.failures(diagnostics):
        node_id, service, pattern = check.callee.key, check.callee.name, check.call.pattern
        missing = any(mark in message for mark in _MISSING)
        if check.kind == "payload":
            kind = "request_field_added" if missing else "request_narrowed"
            what = "the payload existing callers send is no longer accepted"
        else:
            kind = "reply_field_removed" if missing else "reply_widened"
            what = "the reply is no longer what existing callers expect"
        where = f"{check.contract.file}:{check.contract.line}"
        changes.append(
            _change(node_id, service, kind, pattern, f"'{pattern}' ({where}): {what}: {message}")
        )
    return changes
