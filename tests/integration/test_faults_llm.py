"""LLM storms from the fake OpenRouter, through the CLI in embedded mode (eager tasks, the
retry wrapper sleeping each countdown): every storm ends in success after bounded retries,
or in a recorded, clear failure. Retry-After is honoured and no retry loop is tight."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

import pytest

from codegen_tasks.testing import (
    EmptyChoices,
    ErrorBody200,
    FakeOpenRouter,
    Hang,
    HttpError,
    MidStreamError,
    StreamCut,
    Truncated,
)
from tests.fixtures.faults import MODEL, graph, llm_env, write_graph
from tests.fixtures.workers import cli_json

pytestmark = pytest.mark.integration
RETRY_AFTER_S = 1.5
FLOOR_S = 0.09  # the smallest countdown with CODEGEN_RETRY_BACKOFF_S=0.2 is 0.2 (jitter floor)
STORM_ENV = {"OPENROUTER_TIMEOUT_S": "1", "CODEGEN_MAX_RETRIES": "10"}


def gaps(server: FakeOpenRouter) -> list[float]:
    times = [r.at for r in server.requests if r.path.endswith("/chat/completions")]
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def outcomes(cwd: Path) -> list[tuple[str, str | None]]:
    with sqlite3.connect(cwd / ".codegen" / "codegen.db") as db:
        rows = db.execute("select outcome, error from llm_calls order by created_at").fetchall()
    return [(str(outcome), error) for outcome, error in rows]


def run_storm(tmp_path: Path, server: FakeOpenRouter, *flags: str, expect: int = 0) -> object:
    path = write_graph(tmp_path, graph("orders"))
    env = llm_env(server, **STORM_ENV)
    return cli_json(["generate", str(path), "--model", MODEL, *flags], env, tmp_path, expect)


def test_http_storm_ends_in_success_and_honours_retry_after(
    tmp_path: Path, scaffold_server: FakeOpenRouter
) -> None:
    scaffold_server.enqueue(
        HttpError(429, "Rate limit exceeded", retry_after=RETRY_AFTER_S),
        HttpError(502, "Bad gateway"),
        HttpError(503, "Service unavailable"),
        Hang(2.0),  # past the 1 s read timeout
        StreamCut(),  # half a JSON body
        ErrorBody200(502, "Provider returned error"),
        EmptyChoices(),
        Truncated(),  # finish_reason length: repaired, not retried
    )
    run = run_storm(tmp_path, scaffold_server)
    assert run["status"] == "succeeded"  # type: ignore[index]
    assert scaffold_server.calls == 9
    between = gaps(scaffold_server)
    assert between[0] >= RETRY_AFTER_S - 0.05, between  # not undercut
    assert min(between[:7]) >= FLOOR_S, between  # the repair after Truncated is immediate
    recorded = outcomes(tmp_path)
    assert [o for o, _ in recorded] == ["error"] * 7 + ["ok", "ok"]
    assert "HTTP 429" in str(recorded[0][1]) and "HTTP 503" in str(recorded[2][1])


def test_stream_storm_ends_in_success(tmp_path: Path, scaffold_server: FakeOpenRouter) -> None:
    scaffold_server.enqueue(
        StreamCut(after_chunks=2),
        MidStreamError(after_chunks=2, code=502, message="upstream died"),
        ErrorBody200(503, "overloaded"),
        EmptyChoices(),
        HttpError(429, "slow down", retry_after=1),
    )
    run = run_storm(tmp_path, scaffold_server, "--stream")
    assert run["status"] == "succeeded"  # type: ignore[index]
    assert scaffold_server.calls == 6
    assert min(gaps(scaffold_server)) >= FLOOR_S
    assert gaps(scaffold_server)[-1] >= 0.95
    errors = [e for o, e in outcomes(tmp_path) if o == "error"]
    assert len(errors) == 5 and "upstream died" in str(errors[1])


def test_endless_503_fails_clearly_after_bounded_attempts(
    tmp_path: Path, scaffold_server: FakeOpenRouter
) -> None:
    scaffold_server.enqueue(*[HttpError(503, "Service unavailable")] * 30)
    path = write_graph(tmp_path, graph("orders"))
    env = llm_env(scaffold_server, CODEGEN_MAX_RETRIES="3")
    run = cli_json(["generate", str(path), "--model", MODEL], env, tmp_path, expect=1)
    assert scaffold_server.calls == 4  # the first attempt and three retries
    service = run["services"][0]
    assert service["status"] == "failed" and "HTTP 503" in service["error"]
    assert min(gaps(scaffold_server)) >= FLOOR_S
    assert [o for o, _ in outcomes(tmp_path)] == ["error"] * 4


@pytest.mark.parametrize("status", [401, 402])
def test_auth_and_payment_errors_are_not_retried(
    tmp_path: Path, scaffold_server: FakeOpenRouter, status: int
) -> None:
    scaffold_server.enqueue(*[HttpError(status, "No auth credentials found")] * 5)
    run = run_storm(tmp_path, scaffold_server, expect=1)
    assert scaffold_server.calls == 1
    assert f"HTTP {status}" in run["services"][0]["error"]  # type: ignore[index]
