"""The HTML run report: a pure renderer, checked as text and in a real headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.domain.results import (
    Contract,
    Finding,
    RunResult,
    RunStatus,
    ServiceResult,
    ServiceStatus,
    ValidationLevel,
    ValidationResult,
)
from codegen_tasks.report import ReportMeta, render_report
from codegen_tasks.report.style import STATUS_COLOURS
from codegen_tasks.report.svg import bezier, crosses, graph_svg, positions
from tests.examples import shop
from tests.png import decode_png

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
GREEN, RED, BLUE = (0x2E, 0xA0, 0x43), (0xD1, 0x24, 0x2F), (0x2F, 0x81, 0xF7)


def _result() -> tuple[RunResult, dict[str, object]]:
    graph = shop()
    graph["project"]["name"] = "shop <&> co"
    project = parse_graph(graph)
    statuses = [ServiceStatus.SUCCEEDED, ServiceStatus.FAILED, ServiceStatus.SKIPPED]
    services = []
    for i, node in enumerate(project.graph.code_nodes()):
        status = statuses[i % 3]
        failed = status is ServiceStatus.FAILED
        validation = ValidationResult(
            structural_passed=True,
            contract_passed=not failed,
            typescript_passed=not failed,
            build_passed=None if failed else True,
            health_check_passed=True,
            contract_discovery_passed=True,
            errors=[
                Finding(level=ValidationLevel.TYPESCRIPT, message="TS2304 <x>", file="a.ts", line=3)
            ]
            if failed
            else [],
        )
        services.append(
            ServiceResult(
                node_id=node.id,
                service_name=node.name,
                status=status,
                files=9,
                tokens=1200,
                cost_usd=0.0123,
                validation=validation,
                error="boom" if failed else None,
                contracts=[Contract(pattern=f"{node.name}.health", handler="health")],
            )
        )
    run = RunResult(
        project_id=project.project.id, run_id="run-1", status=RunStatus.PARTIAL, services=services
    )
    return run, graph


def _page() -> str:
    run, graph = _result()
    meta = ReportMeta(model="anthropic/claude-3.5-sonnet", durations_ms={})
    return render_report(run, parse_graph(graph), meta)


def test_page_is_self_contained_and_escaped() -> None:
    page = _page()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "<style>" in page
    assert not re.search(r"""(src|href)\s*=|url\(\s*['"]?(https?:|//)|@import|<script""", page)
    assert "shop &lt;&amp;&gt; co" in page and "shop <&>" not in page
    assert "TS2304 &lt;x&gt;" in page


def test_page_shows_graph_matrix_contracts_and_costs() -> None:
    page = _page()
    assert page.count('<g class="node"') == 8  # every node, code or not
    assert page.count('marker-end="url(#arrow)"') == 8  # every edge
    for colour in ("succeeded", "failed", "skipped"):
        assert STATUS_COLOURS[colour] in page
    for level in ("structural", "contract", "typescript", "build", "health check",
                  "contract discovery"):  # fmt: skip
        assert f"<th>{level}</th>" in page
    assert ">fail<" in page and ">pass<" in page
    assert "users.health" in page and "$0.0123" in page


def test_nodes_are_drawn_at_their_positions() -> None:
    run, graph = _result()
    page = render_report(run, parse_graph(graph))
    xs = {
        name: float(x)
        for x, name in re.findall(r'<rect x="([\d.]+)"[^>]*>.*?font-weight="600">([^<]+)<', page)
    }
    assert xs["api-gateway"] < xs["catalog"] < xs["orders"] < xs["payments"]


def _screenshot(html: Path, png: Path, profile: Path) -> None:
    assert CHROMIUM is not None
    subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}",
            f"--screenshot={png}", "--window-size=1200,900", html.as_uri(),
        ],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip


def _near(pixel: tuple[int, int, int], colour: tuple[int, int, int], slack: int = 12) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(pixel, colour, strict=True))


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (scripts/bootstrap installs it with apt-get as root)",
)
def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    html, png = tmp_path / "report.html", tmp_path / "report.png"
    html.write_text(_page(), encoding="utf-8")
    _screenshot(html, png, tmp_path / "profile")
    image = decode_png(png.read_bytes())
    assert (image.width, image.height) == (1200, 900)
    distinct = set(image.pixels[::7])
    assert len(distinct) > 50, "blank page"
    # the graph section: node boxes in the three status colours, big enough to be boxes
    counts = {
        name: sum(_near(p, colour) for p in image.pixels)
        for name, colour in (("green", GREEN), ("red", RED), ("blue", BLUE))
    }
    assert all(n > 1500 for n in counts.values()), counts


def test_an_edge_bends_around_a_node_in_its_way() -> None:
    raw = shop()
    raw["graph"]["nodes"] = [
        {"id": f"n{i}", "type": 1, "data": {"serviceName": name}, "position": {"x": x, "y": 0}}
        for i, (name, x) in enumerate((("left", 0), ("middle", 300), ("right", 600)))
    ]
    raw["graph"]["edges"] = [
        {"id": "e-far", "source": "n0", "target": "n2"},
        {"id": "e-near", "source": "n0", "target": "n1"},
    ]
    graph = parse_graph(raw).graph
    boxes = positions(graph)
    svg = graph_svg(graph, {})
    curves = re.findall(r'<path d="M([\d.]+),([\d.]+) Q([\d.]+),([\d.]+) ([\d.]+),([\d.]+)"', svg)
    assert len(curves) == 2
    far, near = ([float(v) for v in c] for c in curves)
    points = bezier((far[0], far[1]), (far[2], far[3]), (far[4], far[5]))
    assert not crosses(points, [boxes["n1"]])  # around the middle node, not through it
    straight = bezier((far[0], far[1]), ((far[0] + far[4]) / 2, far[1]), (far[4], far[5]))
    assert crosses(straight, [boxes["n1"]])  # which a straight arrow would cross
    assert near[3] == near[1]  # an arrow with nothing in its way stays straight
