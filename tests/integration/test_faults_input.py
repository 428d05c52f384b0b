"""Hostile input: graphs rejected before anything is enqueued or recorded (CLI and task);
model output refused with a recorded error, nothing written outside the bundle prefix,
generated code never executed and its package.json never installed."""

from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

from codegen_tasks.api.client import CodegenClient
from codegen_tasks.errors import CodegenError
from codegen_tasks.settings import Settings
from codegen_tasks.testing import FakeOpenRouter
from codegen_tasks.testing.echo import scaffold_answer, spec_from_messages
from tests.fixtures.faults import (
    MODEL,
    PROJECT_ID,
    BackgroundCli,
    RedisServer,
    bucket_keys,
    graph,
    llm_env,
    services_env,
    sql,
    write_graph,
)
from tests.fixtures.openrouter import TEST_API_KEY
from tests.fixtures.s3 import FAKE_ENV
from tests.fixtures.workers import Worker, cli_json

pytestmark = pytest.mark.integration


def _with(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = graph("orders", "billing")
    change(data)
    return data


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def _node(i: int) -> dict[str, Any]:
    return copy.deepcopy(graph("orders")["graph"]["nodes"][0]) | {"id": f"x{i}"}


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value

    return change


def _logic(expression: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        config = {"subtype": "filter", "expression": expression}
        data["graph"]["nodes"].append(
            {"id": "gate", "type": 4, "data": {"serviceName": "gate", "config": config}}
        )
        data["graph"]["edges"].append(
            {"id": "n0-gate", "source": "n0", "target": "gate", "type": 2}
        )

    return change


# name -> (graph, words the error must contain)
HOSTILE_GRAPHS: dict[str, tuple[dict[str, Any], str]] = {
    "duplicate ids": (_with(_set("graph.nodes.1.id", "n0")), "duplicate node id"),
    "dangling edge": (
        _with(_set("graph.edges", [{"id": "e", "source": "n0", "target": "gone", "type": 2}])),
        "'gone' is not a node of the graph",
    ),
    "10k nodes": (_with(_set("graph.nodes", [_node(i) for i in range(10_000)])), "limit is 500"),
    "nested config": (_with(_set("graph.nodes.0.data.config", _nested(40))), "nests deeper"),
    "huge string": (
        _with(_set("graph.nodes.0.data.config", {"description": "A" * 2_000_000})),
        "the limit is 65536",
    ),
    "../ in serviceName": (_with(_set("graph.nodes.0.data.serviceName", "../x")), "unsafe"),
    "../ in node id": (_with(_set("graph.nodes.0.id", "../../etc")), "id must be"),
    "../ in project id": (_with(_set("project.id", "../x")), "project id"),
    "shell metacharacters": (
        _with(_set("graph.nodes.0.data.serviceName", "orders;rm -rf ~")),
        "unsafe serviceName",
    ),
    "shell in node id": (_with(_set("graph.nodes.0.id", "$(touch PWNED)")), "id must be"),
    "unicode look-alike": (
        _with(_set("graph.nodes.0.data.serviceName", "\u043erders")),  # Cyrillic o
        "unsafe serviceName",
    ),
    "NUL in project name": (_with(_set("project.name", "shop\x00")), "printable"),
    "call in a logic expression": (
        _with(_logic("process.exit()")),
        "node 'gate': expression uses calls (`process.exit()` at column 1)",
    ),
    "assignment in a logic expression": (
        _with(_logic("data.status = 'paid'")),
        "node 'gate': expression uses assignments",
    ),
    "global in a logic expression": (
        _with(_logic("globalThis.secret === 1")),
        "node 'gate': expression refers to 'globalThis'",
    ),
    "NUL in config": (
        _with(_set("graph.nodes.0.data.config", {"description": "a\x00b"})),
        "NUL",
    ),
}
# Only a file can carry these (no JSON encoder produces them from a payload).
CLI_ONLY: dict[str, tuple[str, str]] = {
    "JSON nested 100k deep": ('{"project":' * 100_000 + "1" + "}" * 100_000, "nested too deeply"),
    "100k-digit number": ('{"project": ' + "9" * 100_000 + "}", "cannot read graph"),
    "not JSON": ("\x00\x01garbage", "cannot read graph"),
}


def test_hostile_graphs_rejected_by_the_cli(tmp_path: Path) -> None:
    cases = {**HOSTILE_GRAPHS, **CLI_ONLY}
    started = {}
    for i, (name, (data, _)) in enumerate(cases.items()):
        folder = tmp_path / f"case{i}"
        folder.mkdir()
        path = write_graph(folder, data)
        started[name] = (folder, BackgroundCli(["generate", str(path)], _offline(), folder))
    for name, (folder, cli) in started.items():
        answer = cli.finish(timeout=120, expect=2)
        assert cases[name][1] in answer["error"]["message"], (name, answer)
        assert not (folder / ".codegen").exists(), name  # no run recorded, nothing stored


def _offline() -> dict[str, str]:
    from tests.fixtures.workers import clean_env

    return clean_env()


def test_hostile_graphs_rejected_by_the_task(
    tmp_path: Path,
    scaffold_server: FakeOpenRouter,
    private_redis: RedisServer,
    postgres_url: str,
    s3_bucket: tuple[str, str],
    start_worker: Callable[..., Worker],
) -> None:
    env = services_env(scaffold_server, private_redis.url, postgres_url, s3_bucket)
    worker = start_worker(env, tmp_path, concurrency=2)
    settings = Settings.model_validate(
        {"CODEGEN_BROKER_URL": private_redis.url, "CODEGEN_DATABASE_URL": postgres_url}
    )
    client = CodegenClient(settings)
    for name, (data, words) in HOSTILE_GRAPHS.items():
        payload = {"projectId": data["project"]["id"], "graph": data, "aiModel": MODEL}
        # sent as a backend sends it, past the client's own check of the payload
        sent = str(client.app.send_task("codegen.generate_project", args=[payload]).id)
        with pytest.raises(CodegenError) as failed:
            client.wait(sent, timeout=60)
        # the payload's own projectId follows the id rule too: refused before the graph
        if name == "../ in project id":
            code, words = "invalid_payload", "projectId: must be 1..128 ASCII"
        else:
            code = "invalid_graph"
        assert failed.value.code == code and words in failed.value.message, name
    assert sql(postgres_url, "select count(*) from runs")[0][0] == 0
    assert scaffold_server.calls == 0
    broker = redis.Redis.from_url(private_redis.url)
    assert all(broker.llen(queue) == 0 for queue in ("codegen.llm", "codegen.check"))
    broker.close()
    assert "Task codegen.generate_service[" not in worker.log.read_text()


HOSTILE_ANSWERS: dict[str, tuple[str, str]] = {  # serviceName -> (answer, error words)
    "dotdot": (json.dumps({"files": [{"path": "../../x", "content": "a"}]}), "'..' segment"),
    "absolute": (json.dumps({"files": [{"path": "/etc/passwd", "content": "a"}]}), "absolute"),
    "backslash": (json.dumps({"files": [{"path": "src\\..\\x", "content": "a"}]}), "backslash"),
    "nulbyte": (json.dumps({"files": [{"path": "src/a\x00.ts", "content": "a"}]}), "NUL"),
    "bidi": (json.dumps({"files": [{"path": "src/\u202ex.ts", "content": "a"}]}), "invisible"),
    "huge": (json.dumps({"files": [{"path": "a.ts", "content": "a" * 10_000_000}]}), "refusing"),
    "big-file": (json.dumps({"files": [{"path": "a.ts", "content": "a" * 600_000}]}), "limit is"),
    "many": (
        json.dumps({"files": [{"path": f"f{i}.ts", "content": ""} for i in range(5000)]}),
        "the limit is 200",
    ),
    "bomb": ('{"files": ' + "[" * 200_000 + "]" * 200_000 + "}", "no JSON object"),
    "braces": ("{" * 300_000, "no JSON object"),
    "bigint": ('{"files": [], "n": ' + "9" * 100_000 + "}", "no JSON object"),
}
HONEST = "honest"


def hostile_model(marker: Path) -> Callable[[dict[str, Any]], str]:
    """Each service gets its hostile answer; `honest` gets a compiling service whose
    package.json and code would create `marker` if installed, or executed outside the
    runtime check's sandbox."""

    def respond(body: dict[str, Any]) -> str:
        spec = spec_from_messages(body.get("messages", []))
        name = spec.name if spec else ""
        if name in HOSTILE_ANSWERS:
            return HOSTILE_ANSWERS[name][0]
        files = json.loads(scaffold_answer(body))["files"]
        touch = f"node -e \"require('fs').writeFileSync('{marker}', 'x')\""
        for file in files:
            if file["path"] == "package.json":
                package = json.loads(file["content"])
                package["scripts"] = {hook: touch for hook in ("preinstall", "postinstall")}
                file["content"] = json.dumps(package)
            if file["path"] == "src/main.ts":
                file["content"] += (  # the runtime check runs it, in the sandbox only
                    f"\ntry {{\n  require('fs').writeFileSync({str(marker)!r}, 'ran');\n"
                    "} catch {\n  // outside its scratch copy: not there\n}\n"
                )
        return json.dumps({"files": files})

    return respond


def _check_refusals(run: dict[str, Any]) -> None:
    by_name = {s["serviceName"]: s for s in run["services"]}
    for name, (_, words) in HOSTILE_ANSWERS.items():
        assert by_name[name]["status"] == "failed" and words in by_name[name]["error"], name
    assert by_name[HONEST]["status"] == "succeeded", by_name[HONEST]


def test_hostile_model_output_refused_nothing_outside_the_bundle(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    with FakeOpenRouter(api_key=TEST_API_KEY, responder=hostile_model(marker)) as server:
        path = write_graph(tmp_path, graph(*HOSTILE_ANSWERS, HONEST))
        env = llm_env(server, CODEGEN_REPAIR_ATTEMPTS="0", CODEGEN_VALIDATE_TYPESCRIPT="true")
        run = cli_json(["generate", str(path), "--model", MODEL], env, tmp_path, expect=1)
    _check_refusals(run)
    honest = next(s for s in run["services"] if s["serviceName"] == HONEST)
    assert honest["validation"]["typescriptPassed"] is True, honest  # tsc ran on it
    assert honest["validation"]["runtimePassed"] is True, honest  # it ran, sandboxed
    assert not marker.exists()  # never installed, never executed outside the sandbox
    written = [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()]
    bundles = ".codegen/bundles/projects/faults-project/nodes/n11/bundles/"
    for name in written:
        assert (
            name == "graph.json"
            or name.startswith((bundles, ".codegen/cache/"))
            or (name.startswith(".codegen/codegen.db"))
        ), name
    with sqlite3.connect(tmp_path / ".codegen" / "codegen.db") as db:
        errors = [r[0] for r in db.execute("select error from generation_history")]
    assert sum(1 for e in errors if e) == len(HOSTILE_ANSWERS)  # each refusal recorded


def test_hostile_model_output_nothing_outside_the_prefix_in_s3(
    tmp_path: Path, s3_bucket: tuple[str, str]
) -> None:
    endpoint, bucket = s3_bucket
    with FakeOpenRouter(api_key=TEST_API_KEY, responder=hostile_model(tmp_path / "M")) as server:
        path = write_graph(tmp_path, graph(*HOSTILE_ANSWERS, HONEST))
        env = llm_env(
            server,
            CODEGEN_REPAIR_ATTEMPTS="0",
            CODEGEN_STORAGE_URL=f"s3://{bucket}/bundles",
            CODEGEN_S3_ENDPOINT_URL=endpoint,
            **FAKE_ENV,
        )
        run = cli_json(["generate", str(path), "--model", MODEL], env, tmp_path, expect=1)
    _check_refusals(run)
    keys = bucket_keys(s3_bucket)
    assert keys and all(k.startswith(f"bundles/projects/{PROJECT_ID}/nodes/n11/") for k in keys)
