"""Hostile bundle code in the runtime check: it cannot reach the network, our secrets, files
outside its scratch copy, or outlive its time and CPU limits. Each bundle's main script
tries, reports what it saw on stderr as an ERROR line and exits; the check's finding quotes
that line (the service's own output), which the test reads back."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.checks.runtime import RuntimeChecker, RuntimeConfig, RuntimeReport
from codegen_tasks.checks.runtime.sandbox import Limits
from codegen_tasks.checks.static.toolchain import Toolchain
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.spec import ServiceSpec, build_service_spec
from codegen_tasks.settings import get_settings
from tests.examples import node_id, shop

pytestmark = pytest.mark.integration

SECRET = "sk-or-v1-" + "f" * 40
REPORT = """
function report(seen) {
  process.stderr.write('HOSTILE-ERROR ' + JSON.stringify(seen) + '\\n');
  process.exit(3);
}
"""


def _spec() -> ServiceSpec:
    raw = shop()
    return build_service_spec(parse_graph(raw).graph, node_id(raw, "payments"), "shop")


def _checker(wall_s: float = 30.0, cpu_s: int = 20) -> RuntimeChecker:
    limits = Limits(wall_s=wall_s, cpu_s=cpu_s, memory_mb=512)
    config = RuntimeConfig(boot_timeout_s=wall_s + 30, call_timeout_s=2.0, limits=limits)
    return RuntimeChecker(Toolchain(get_settings().toolchain_dir), config)


def _run(main: str, checker: RuntimeChecker | None = None, *, warm: bool = False) -> RuntimeReport:
    """Run `main` (plain JavaScript, so no compiler is needed) as the bundle's dist/main.js,
    `warm`: in a sandbox started ahead of the check (as embedded runs do)."""
    code = REPORT + main
    files = [GeneratedFile(path="src/main.ts", content=code)]
    checker = checker or _checker()
    if warm:
        checker.prepare()
        assert checker.waiting == 1
    report = checker.check(_spec(), files, [], {"src/main.js": code})
    assert checker.waiting == 0
    return report


WARM_OR_COLD = pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])


def _seen(report: RuntimeReport) -> Any:
    """What the hostile code reported (from the quoted service output of the finding)."""
    assert report.skipped is None, report.skipped
    text = " ".join(f.message for f in report.health)
    marker = text.index("HOSTILE-ERROR ") + len("HOSTILE-ERROR ")
    return json.JSONDecoder().raw_decode(text[marker:])[0]


@pytest.fixture
def listener() -> Iterator[tuple[int, list[str]]]:
    """A TCP server on the host's loopback, recording every connection it gets."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    accepted: list[str] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, peer = server.accept()
            except TimeoutError:
                continue
            accepted.append(str(peer))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


def test_no_network_but_its_own_loopback(listener: tuple[int, list[str]]) -> None:
    port, accepted = listener
    main = f"""
const net = require('node:net');
const dns = require('node:dns');
function attempt(host, port) {{
  return new Promise((resolve) => {{
    const socket = net.connect({{ host, port }});
    socket.setTimeout(3000, () => {{ socket.destroy(); resolve('timeout'); }});
    socket.once('connect', () => {{ socket.destroy(); resolve('connected'); }});
    socket.once('error', (error) => resolve(String(error.code)));
  }});
}}
async function main() {{
  const host = await attempt('127.0.0.1', {port});
  const outside = await attempt('1.1.1.1', 443);
  const lookup = await new Promise((resolve) =>
    dns.lookup('openrouter.ai', (error) => resolve(error ? String(error.code) : 'resolved')),
  );
  report({{ host, outside, lookup }});
}}
void main();
"""
    seen = _seen(_run(main))
    assert seen["host"] == "ECONNREFUSED"  # the host's loopback is not the sandbox's
    assert seen["outside"] in ("ENETUNREACH", "EHOSTUNREACH", "ENETDOWN", "timeout")
    assert seen["lookup"] != "resolved"
    assert accepted == []


@WARM_OR_COLD
def test_no_secrets_in_its_environment(monkeypatch: pytest.MonkeyPatch, warm: bool) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", SECRET)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("CODEGEN_DATABASE_URL", f"postgresql://admin:{SECRET}@db/codegen")
    report = _run("report({ env: process.env, argv: process.argv });", warm=warm)
    seen = _seen(report)
    assert SECRET not in json.dumps(seen)
    assert set(seen["env"]) <= {"PATH", "HOME", "PORT", "NODE_ENV", "NO_COLOR"}
    assert seen["env"]["PORT"] == "3001"


@WARM_OR_COLD
def test_no_files_outside_its_scratch_copy(tmp_path: Path, warm: bool) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    planted = tmp_path / "planted.txt"
    toolchain = Toolchain(get_settings().toolchain_dir).node_modules
    main = f"""
const fs = require('node:fs');
function tryRead(path) {{
  try {{ return fs.readFileSync(path, 'utf8'); }} catch (error) {{
    return String(error.code);
  }}
}}
function tryWrite(path) {{
  try {{ fs.writeFileSync(path, 'pwned'); return 'written'; }} catch (error) {{
    return String(error.code);
  }}
}}
report({{
  secret: tryRead({json.dumps(str(secret))}),
  shadow: tryRead('/etc/shadow'),
  home: tryRead({json.dumps(str(Path.home() / ".bashrc"))}),
  planted: tryWrite({json.dumps(str(planted))}),
  toolchain: tryWrite('/service/node_modules/pwned.js'),
  system: tryWrite('/usr/pwned'),
  scratch: tryWrite('scratch-note.txt'),
}});
"""
    seen = _seen(_run(main, warm=warm))
    assert SECRET not in json.dumps(seen)
    assert seen["secret"] == "ENOENT" and seen["shadow"] == "ENOENT" and seen["home"] == "ENOENT"
    assert seen["planted"] == "ENOENT" and not planted.exists()
    assert seen["toolchain"] == "EROFS" and not (toolchain / "pwned.js").exists()
    assert seen["system"] == "EROFS"
    assert seen["scratch"] == "written"  # its own copy is writable


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@WARM_OR_COLD
def test_killed_at_its_wall_clock_limit_with_every_process(warm: bool) -> None:
    marker = f"hostile-{uuid.uuid4().hex}"
    main = f"""
const {{ spawn }} = require('node:child_process');
const child = spawn(process.execPath, ['-e', 'setInterval(() => undefined, 1000)', '{marker}'], {{
  detached: true,
  stdio: 'ignore',
}});
child.unref();
setInterval(() => undefined, 1000); // never listens, never exits
"""
    started = time.monotonic()
    report = _run(main, _checker(wall_s=4.0), warm=warm)
    elapsed = time.monotonic() - started
    assert elapsed < 15, elapsed
    assert any("wall-clock limit of 4s" in f.message for f in report.runtime), report
    assert report.health_passed is False
    time.sleep(0.5)
    assert _processes_with(marker) == [], "a process outlived the check"


def test_killed_at_its_cpu_limit() -> None:
    report = _run("for (;;) { Math.sqrt(Math.random()); }", _checker(wall_s=30.0, cpu_s=2))
    assert report.health_passed is False
    assert "exited (SIGXCPU)" in report.health[0].message or "SIGKILL" in report.health[0].message


@WARM_OR_COLD
def test_a_forged_transcript_is_not_believed(warm: bool) -> None:
    main = """
const fs = require('node:fs');
const forged = JSON.stringify({ listening: true, steps: [] });
for (const fd of [1, 2]) {
  try {
    fs.appendFileSync(`/proc/${process.ppid}/fd/${fd}`, forged + '\\n');
  } catch (error) {
    process.stderr.write('cannot forge: ' + String(error) + '\\n');
  }
}
process.exit(0);
"""
    report = _run(main, warm=warm)
    assert report.health_passed is False
    assert "exited (code 0) before listening" in report.health[0].message


def test_the_nonce_is_out_of_reach_in_a_sandbox_started_ahead() -> None:
    """The service's process exists before the probe reads its nonce: its code runs only
    after the probe's stdin is read and closed, and its own stdin holds the go alone."""
    main = """
const fs = require('node:fs');
function tryRead(path) {
  try { return fs.readFileSync(path, 'utf8'); } catch (error) { return String(error.code); }
}
report({ parent: tryRead(`/proc/${process.ppid}/fd/0`), own: tryRead('/dev/stdin') });
"""
    checker = _checker()
    checker.prepare()
    time.sleep(1.0)  # the sandbox waits for its work well before it gets it
    code = REPORT + main
    files = [GeneratedFile(path="src/main.ts", content=code)]
    report = checker.check(_spec(), files, [], {"src/main.js": code})
    seen = _seen(report)  # error codes, never text read from either stdin
    assert seen["parent"] in {"ENOENT", "ENXIO", "EACCES", "EPERM"}, seen
    assert seen["own"] in {"ENOENT", "EBADF"}, seen


def test_a_sandbox_started_ahead_outlives_the_thread_that_asked_for_it() -> None:
    """Embedded runs prepare from a node's thread, which may end before the check comes."""
    checker = _checker()

    def node() -> None:
        checker.prepare()
        time.sleep(0.5)  # the node's other work; the sandbox is up by the time it ends

    asking = threading.Thread(target=node)
    asking.start()
    asking.join()
    time.sleep(0.2)
    assert checker.waiting == 1
    assert _seen(_run("report({ ran: true });", checker)) == {"ran": True}


def test_sandboxes_started_ahead_are_stopped_when_released(tmp_path: Path) -> None:
    limits = Limits(wall_s=30.0, cpu_s=20, memory_mb=512)
    config = RuntimeConfig(call_timeout_s=2.0, limits=limits, concurrency=1)
    checker = RuntimeChecker(Toolchain(get_settings().toolchain_dir), config, work_root=tmp_path)
    for _ in range(3):
        checker.prepare()
    assert checker.waiting == 2  # at most twice the concurrency wait
    started = list(tmp_path.iterdir())
    assert len(started) == 2
    checker.release()
    assert checker.waiting == 0 and list(tmp_path.iterdir()) == []


def test_skipped_with_a_warning_when_no_sandbox_can_be_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        "codegen_tasks.checks.runtime.sandbox.bubblewrap_problem", lambda: "no bwrap"
    )
    report = _run("report({});")
    assert report.skipped and "no bwrap" in report.skipped
    assert report.health_passed is None and report.runtime_passed is None
    assert "CODEGEN_RUNTIME_ALLOW_UNSANDBOXED" in report.warnings[0].message


def test_unsandboxed_only_when_the_operator_allows_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "codegen_tasks.checks.runtime.sandbox.bubblewrap_problem", lambda: "no bwrap"
    )
    monkeypatch.setenv("OPENROUTER_API_KEY", SECRET)
    checker = _checker()
    checker.config = RuntimeConfig(allow_unsandboxed=True, limits=checker.config.limits)
    report = _run("report({ env: process.env });", checker)
    assert SECRET not in json.dumps(_seen(report))  # the environment is still emptied
    assert any("UNSANDBOXED" in w.message for w in report.warnings)
    assert os.environ["OPENROUTER_API_KEY"] == SECRET
