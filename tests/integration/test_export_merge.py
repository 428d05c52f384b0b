"""Regenerating without losing the user's code: `codegen export` into an earlier export, as a
user runs it (the CLI in subprocesses, real files). The assertions are about behaviour — the
user's edit survives, the new code arrives, conflicts are marked — never about scaffold text."""

from __future__ import annotations

import difflib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.examples import SHOP_CODE_NODES, SHOP_PROJECT_ID, node_id, shop
from tests.fixtures.workers import clean_env, cli_json, run_cli

pytestmark = pytest.mark.integration
EXIT_CONFLICTS = 3
SERVICE_FILE = "src/orders/orders.service.ts"
NEW_FIELD = "discountCents"
USER_LINE = "    // team: this method was reviewed by hand\n"


def changed_graph() -> dict[str, Any]:
    """The shop with a new orders-db field, a new dependency (orders → users) and one dropped
    (orders → payments), so the generator adds, changes and drops files of `orders`."""
    graph = shop()
    orders, users, payments = (node_id(graph, n) for n in ("orders", "users", "payments"))
    db = next(n for n in graph["graph"]["nodes"] if n["data"]["serviceName"] == "orders-db")
    db["data"]["config"]["fields"].append({"name": NEW_FIELD, "type": "integer"})
    edges = [e for e in graph["graph"]["edges"] if (e["source"], e["target"]) != (orders, payments)]
    edges.append({"id": f"{orders}-{users}", "source": orders, "target": users, "type": 2})
    graph["graph"]["edges"] = edges
    return graph


def generate(graph: dict[str, Any], cwd: Path, env: dict[str, str], name: str) -> None:
    path = cwd / f"{name}.graph.json"
    path.write_text(json.dumps(graph))
    cli_json(["generate", str(path)], env, cwd)


def export(out: Path, cwd: Path, env: dict[str, str], *extra: str, expect: int = 0) -> Any:
    args = ["export", "--project", SHOP_PROJECT_ID, "--out", str(out), *extra]
    return cli_json(args, env, cwd, expect=expect)


def snapshot(root: Path) -> dict[str, bytes]:
    files = (p for p in sorted(root.rglob("*")) if p.is_file())
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in files}


def texts(root: Path) -> dict[str, str]:
    return {path: data.decode() for path, data in snapshot(root).items()}


def stable_insertion(base: str, new: str) -> int:
    """A line index after a method's first line whose surroundings the generator keeps."""
    lines, kept = base.splitlines(keepends=True), new
    for i, line in enumerate(lines):
        window = "".join(lines[max(0, i - 2) : i + 3])
        if line.lstrip().startswith("async ") and window in kept:
            return i + 1
    raise AssertionError("no method of the service is unchanged by the regeneration")


def clashing_edit(base: dict[str, str], new: dict[str, str]) -> tuple[str, str]:
    """A file (not the service file) and its text with a line changed that the generator also
    changes or deletes: the same lines edited on both sides."""
    for path in sorted(set(base) & set(new)):
        if path == SERVICE_FILE or base[path] == new[path]:
            continue
        old = base[path].splitlines(keepends=True)
        matcher = difflib.SequenceMatcher(None, old, new[path].splitlines(keepends=True))
        for tag, i1, _, _, _ in matcher.get_opcodes():
            if tag in ("replace", "delete") and old[i1].strip():
                edited = [*old[:i1], "// team: our own version\n", *old[i1 + 1 :]]
                return path, "".join(edited)
    raise AssertionError("the regeneration changed no line of orders")


def actions(report: dict[str, Any], service: str) -> dict[str, str]:
    entry = next(e for e in report["exported"] if e["serviceName"] == service)
    return {c["path"].removeprefix(f"{service}/"): c["action"] for c in entry["changes"]}


def test_regeneration_keeps_user_edits_marks_conflicts_and_dry_run_writes_nothing(
    tmp_path: Path,
) -> None:
    env = clean_env(CODEGEN_VALIDATE_TYPESCRIPT="false")
    out = tmp_path / "services"
    generate(shop(), tmp_path, env, "v1")
    first = export(out, tmp_path, env)
    assert len(first["exported"]) == SHOP_CODE_NODES and first["conflicts"] == []
    assert set(actions(first, "orders").values()) == {"added"}
    assert (out / ".codegen" / "export.json").is_file()
    base = texts(out / "orders")

    generate(changed_graph(), tmp_path, env, "v2")
    export(tmp_path / "fresh", tmp_path, env)  # the new code alone, to compare with
    new = texts(tmp_path / "fresh" / "orders")
    dropped = sorted(set(base) - set(new))
    added = sorted(set(new) - set(base))
    assert dropped and added, "the graph change adds and drops files of orders"

    # the user's work: a method edited, a clashing edit, own files, a dropped file edited
    service = (out / "orders" / SERVICE_FILE).read_text().splitlines(keepends=True)
    service.insert(stable_insertion(base[SERVICE_FILE], new[SERVICE_FILE]), USER_LINE)
    (out / "orders" / SERVICE_FILE).write_text("".join(service))
    clash_path, clash_text = clashing_edit(base, new)
    (out / "orders" / clash_path).write_text(clash_text)
    (out / "orders" / "src" / "team").mkdir()
    (out / "orders" / "src" / "team" / "audit.ts").write_text("export const audited = true;\n")
    (out / "NOTES.md").write_text("our notes\n")
    edited_dropped = dropped[0]
    (out / "orders" / edited_dropped).write_text(base[edited_dropped] + "// still ours\n")
    before = snapshot(out)

    shown = run_cli(["export", "--project", SHOP_PROJECT_ID, "--out", str(out), "--dry-run"],
                    env, tmp_path)  # fmt: skip
    assert shown.returncode == EXIT_CONFLICTS, shown.stderr
    assert (
        f"  orders/{clash_path}\n" in shown.stderr and "would be left with conflict" in shown.stderr
    )
    dry = export(out, tmp_path, env, "--dry-run", expect=EXIT_CONFLICTS)
    assert snapshot(out) == before  # byte for byte, the record included
    assert dry["dryRun"] is True and dry["conflicts"] == [f"orders/{clash_path}"]

    report = export(out, tmp_path, env, expect=EXIT_CONFLICTS)
    assert report["conflicts"] == dry["conflicts"]
    assert actions(report, "orders") == actions(dry, "orders")
    done = actions(report, "orders")
    assert done[SERVICE_FILE] == "merged" and done[clash_path] == "conflict"
    assert done[edited_dropped] == "kept"
    assert all(done[p] == "removed" for p in dropped[1:])
    assert all(done[p] == "added" for p in added)
    after = texts(out / "orders")

    merged = after[SERVICE_FILE]
    assert USER_LINE in merged and "<<<<<<<" not in merged
    new_lines = set(new[SERVICE_FILE].splitlines()) - set(base[SERVICE_FILE].splitlines())
    assert new_lines and all(line in merged.splitlines() for line in new_lines)
    assert any(NEW_FIELD in text for text in after.values())
    assert all(after[p] == new[p] for p in added)

    clash = after[clash_path]
    assert "<<<<<<< yours\n" in clash and "\n=======\n" in clash
    assert "\n>>>>>>> generated (run " in clash and "// team: our own version\n" in clash

    assert after["src/team/audit.ts"] == "export const audited = true;\n"
    assert (out / "NOTES.md").read_text() == "our notes\n"
    assert after[edited_dropped].endswith("// still ours\n")
    assert not any((out / "orders" / p).exists() for p in dropped[1:])
    for other in ("users", "catalog", "payments", "notifications"):
        assert set(actions(report, other).values()) <= {"unchanged"}
    # the gateway calls orders with orders' exact types: only its orders client follows
    gateway = {p: a for p, a in actions(report, "api-gateway").items() if a != "unchanged"}
    assert gateway == {"src/clients/orders.client.ts": "replaced"}

    record = json.loads((out / ".codegen" / "export.json").read_text())
    orders_record = next(s for s in record["services"] if s["serviceName"] == "orders")
    fresh = next(e for e in report["exported"] if e["serviceName"] == "orders")
    assert orders_record["bundleUri"] == fresh["bundleUri"]
    assert set(orders_record["files"]) == set(new)

    again = run_cli(["export", "--project", SHOP_PROJECT_ID, "--out", str(out)], env, tmp_path)
    assert again.returncode == 0, again.stderr  # the new base: nothing left to merge
    assert "conflict" not in again.stderr and texts(out / "orders") == after


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_git_branch_commits_the_export_apart_and_git_merges_it(tmp_path: Path) -> None:
    env = clean_env(CODEGEN_VALIDATE_TYPESCRIPT="false", GIT_CONFIG_GLOBAL=os.devnull)
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet", "-b", "main")
    git(repo, "config", "user.email", "team@example.com")
    git(repo, "config", "user.name", "Team")
    (repo / "services").mkdir()
    (repo / "services" / "NOTES.md").write_text("ours\n")
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "start")
    out = repo / "services"

    generate(shop(), tmp_path, env, "v1")
    first = export(out, tmp_path, env, "--git-branch", "codegen/v1")
    assert first["git"]["branch"] == "codegen/v1" and first["git"]["commit"]
    assert git(repo, "status", "--porcelain") == "" and not (out / "orders").exists()
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    git(repo, "merge", "--quiet", "--ff-only", "codegen/v1")
    assert (out / "orders" / SERVICE_FILE).is_file() and (out / ".codegen/export.json").is_file()

    service = (out / "orders" / SERVICE_FILE).read_text()
    base = service
    (out / "orders" / SERVICE_FILE).write_text(service + "// team: our addition\n")
    dirty = run_cli(
        ["export", "--project", SHOP_PROJECT_ID, "--out", str(out), "--git-branch", "x", "--json"],
        env,
        tmp_path,
    )
    assert dirty.returncode == 2 and json.loads(dirty.stdout)["error"]["code"] == "export_error"
    git(repo, "commit", "--quiet", "-am", "our edit")

    generate(changed_graph(), tmp_path, env, "v2")
    second = export(out, tmp_path, env, "--git-branch", "codegen/v2")
    assert actions(second, "orders")[SERVICE_FILE] == "merged"
    assert git(repo, "status", "--porcelain") == ""
    assert (out / "orders" / SERVICE_FILE).read_text() == base + "// team: our addition\n"
    git(repo, "merge", "--quiet", "--no-edit", "codegen/v2")
    merged = (out / "orders" / SERVICE_FILE).read_text()
    assert merged.endswith("// team: our addition\n") and merged != base + "// team: our addition\n"
    assert (out / "NOTES.md").read_text() == "ours\n"
    log = git(repo, "log", "--format=%s", "codegen/v2")
    assert log.splitlines()[0] == f"codegen export of project {SHOP_PROJECT_ID}"


def test_symlinks_in_the_directory_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    env = clean_env(CODEGEN_VALIDATE_TYPESCRIPT="false")
    generate(shop(), tmp_path, env, "v1")
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "services"
    out.mkdir()
    os.symlink(outside, out / "orders")
    refused = export(out, tmp_path, env, expect=2)
    assert refused["error"]["code"] == "export_error" and "symlink" in refused["error"]["message"]
    assert list(outside.iterdir()) == [] and sorted(p.name for p in out.iterdir()) == ["orders"]
