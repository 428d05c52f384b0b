"""A newcomer's and an operator's day with the CLI, in subprocesses on embedded defaults
(built-in generator, SQLite and files in the working directory): the right project, no
silent no-op, where the code is, and the command-line conventions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.examples import SHOP_CODE_NODES, SHOP_GRAPH, SHOP_PROJECT_ID, node_id, shop
from tests.fixtures.faults import write_graph
from tests.fixtures.workers import clean_env, cli_json, run_cli

pytestmark = pytest.mark.integration
# No key, no compiler (the typescript levels have their own tests), nothing reachable.
ENV = {"CODEGEN_VALIDATE_TYPESCRIPT": "false", "OPENROUTER_BASE_URL": "http://127.0.0.1:9/api"}


def env(**extra: str) -> dict[str, str]:
    return clean_env(**(ENV | extra))


def without(graph: dict[str, Any], name: str) -> dict[str, Any]:
    gone = node_id(graph, name)
    graph["graph"]["nodes"] = [n for n in graph["graph"]["nodes"] if n["id"] != gone]
    graph["graph"]["edges"] = [
        e for e in graph["graph"]["edges"] if gone not in (e["source"], e["target"])
    ]
    return graph


def no_traceback(done: Any) -> None:
    assert "Traceback" not in done.stderr + done.stdout, done.stderr


def test_the_latest_graph_is_the_latest_runs_and_selections_are_checked(tmp_path: Path) -> None:
    a = write_graph(tmp_path, shop(), "a.json")
    b = write_graph(tmp_path, without(shop(), "notifications"), "b.json")
    for path in (a, b, a):
        cli_json(["generate", str(path)], env(), tmp_path)
    exported = cli_json(
        ["export", "--project", SHOP_PROJECT_ID, "--out", str(tmp_path / "out")], env(), tmp_path
    )["exported"]
    assert len(exported) == SHOP_CODE_NODES  # A's six services, not B's five
    contracts = cli_json(["contracts", "--project", SHOP_PROJECT_ID], env(), tmp_path)
    assert "notifications" in contracts

    by_name = cli_json(
        ["export", "--project", SHOP_PROJECT_ID, "--out", str(tmp_path / "o"), "--node", "orders"],
        env(),
        tmp_path,
    )["exported"]
    assert [e["serviceName"] for e in by_name] == ["orders"]
    for command in (["contracts"], ["validate"], ["export", "--out", str(tmp_path / "x")]):
        done = run_cli([*command, "--project", SHOP_PROJECT_ID, "--node", "nope"], env(), tmp_path)
        assert done.returncode == 2, done.stderr
        assert "'nope'" in done.stderr and "orders" in done.stderr
        no_traceback(done)
    unknown = run_cli(["export", "--project", "no-such", "--out", "x"], env(), tmp_path)
    assert unknown.returncode == 2 and "no-such" in unknown.stderr


def test_a_graph_without_code_nodes_is_refused_and_stored_nowhere(tmp_path: Path) -> None:
    data = shop()
    data["project"]["id"] = "db-only"
    data["graph"]["nodes"] = [n for n in data["graph"]["nodes"] if n["type"] == 2]
    data["graph"]["edges"] = []
    done = run_cli(["generate", str(write_graph(tmp_path, data))], env(), tmp_path)
    assert done.returncode == 2
    assert "no SERVICE or GATEWAY node" in done.stderr
    assert not (tmp_path / ".codegen").exists()


def test_where_the_code_is_and_what_is_stored(tmp_path: Path) -> None:
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    for command in (["status", "r1"], ["runs"], ["projects"]):
        done = run_cli(command, env(), empty)
        assert done.returncode == 2 and "no codegen state in" in done.stderr
        assert str(empty / ".codegen") in done.stderr
    assert not (empty / ".codegen").exists()  # a wrong directory creates nothing

    done = run_cli(["generate", str(SHOP_GRAPH)], env(), tmp_path)
    assert done.returncode == 0, done.stderr
    assert SHOP_PROJECT_ID in done.stderr
    assert f"codegen export --project {SHOP_PROJECT_ID} --out" in done.stderr
    assert "codegen report " in done.stderr and str(tmp_path / ".codegen") in done.stderr
    run_id = cli_json(["runs"], env(), tmp_path)["runs"][0]["runId"]
    assert run_id in done.stderr
    projects = cli_json(["projects"], env(), tmp_path)["projects"]
    assert [(p["id"], p["name"], p["runs"]) for p in projects] == [(SHOP_PROJECT_ID, "shop", 1)]

    elsewhere = env(CODEGEN_HOME=str(tmp_path / ".codegen"))  # the same state from anywhere
    assert cli_json(["runs"], elsewhere, empty)["runs"][0]["runId"] == run_id
    listing = run_cli(["runs"], env(), tmp_path)
    assert run_id in listing.stdout and "shop" in listing.stdout


def test_command_line_conventions(tmp_path: Path) -> None:
    cli_json(["generate", str(SHOP_GRAPH)], env(), tmp_path)
    run_id = cli_json(["runs"], env(), tmp_path)["runs"][0]["runId"]
    status = run_cli(["status", run_id], env(COLUMNS="80"), tmp_path)
    assert status.returncode == 0 and f"run {run_id}" in status.stdout  # data on stdout, whole

    version = run_cli(["--version"], env(), tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("codegen ")
    short = run_cli(["generate", "-h"], env(), tmp_path)
    assert short.returncode == 0 and "--force" in short.stdout and "<bool>" not in short.stdout

    for bad in (["costs", "--by", "banana"], ["costs", "--by", "banana", "--json"]):
        done = run_cli(bad, env(), tmp_path)
        assert done.returncode == 2 and "banana" in done.stderr
        no_traceback(done)
    bad_setting = run_cli(["runs"], env(CODEGEN_MAX_RETRIES="many"), tmp_path)
    assert bad_setting.returncode == 2 and "CODEGEN_MAX_RETRIES" in bad_setting.stderr
    no_traceback(bad_setting)

    assert "codegen.generate_project.payload" in cli_json(["schema"], env(), tmp_path)
    written = cli_json(["schema", "--out", str(tmp_path / "s")], env(), tmp_path)
    assert "codegen.generate_project.payload" in written["schemas"]
    assert cli_json(["db", "upgrade"], env(), tmp_path)["revision"] == "head"

    models = cli_json(["models", "--search", "claude"], env(), tmp_path)  # no key needed
    assert models["source"] == "table" and models["models"]
    assert all("promptUsdPerMtok" in m for m in models["models"])

    refused = run_cli(["generate", str(SHOP_GRAPH), "--model", "openai/gpt-4o"], env(), tmp_path)
    assert refused.returncode == 2 and "OPENROUTER_API_KEY" in refused.stderr
    assert ".env" in refused.stderr and refused.stderr.count("OPENROUTER_API_KEY is not") == 1
    assert len(cli_json(["runs"], env(), tmp_path)["runs"]) == 1  # no run recorded

    costs = cli_json(["costs"], env(), tmp_path)
    assert costs["totalUsd"] == 0 and all("cachedCalls" in line for line in costs["lines"])
    table = run_cli(["costs"], env(), tmp_path)
    assert table.returncode == 0 and "total" in table.stdout
    page = cli_json(["report", run_id], env(), tmp_path)["page"]  # JSON, not the HTML
    assert page.lower().startswith("<!doctype html>")
    assert ">0.0 s<" not in page  # a service's time covers its validation too
