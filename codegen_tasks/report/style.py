"""The report's colours and stylesheet (inlined into the page)."""

from __future__ import annotations

from codegen_tasks.domain.results import ServiceStatus

STATUS_COLOURS: dict[str, str] = {
    ServiceStatus.SUCCEEDED.value: "#2ea043",
    ServiceStatus.FAILED.value: "#d1242f",
    ServiceStatus.SKIPPED.value: "#2f81f7",
    ServiceStatus.QUEUED.value: "#d29922",
    ServiceStatus.GENERATING.value: "#d29922",
    ServiceStatus.VALIDATING.value: "#d29922",
    ServiceStatus.DISCOVERING.value: "#d29922",
    "partial": "#bc4c00",
    "cancelled": "#8c959f",
    "running": "#d29922",
}
NO_CODE = "#8c959f"  # databases and logic nodes: shape prompts, get no code
LEVEL_COLOURS = {True: "#2ea043", False: "#d1242f", None: "#afb8c1"}

CSS = """
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0;
  color: #1f2328; background: #f6f8fa; }
header { background: #24292f; color: #fff; padding: 16px 24px; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header .meta { color: #d0d7de; font-size: 13px; }
main { padding: 16px 24px; max-width: 1400px; }
section { background: #fff; border: 1px solid #d0d7de; border-radius: 6px;
  padding: 12px 16px; margin-bottom: 16px; }
h2 { font-size: 16px; margin: 0 0 10px; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #eaeef2; padding: 5px 8px; text-align: left;
  vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff;
  font-size: 12px; font-weight: 600; }
.cell { display: inline-block; min-width: 44px; text-align: center; border-radius: 4px;
  color: #fff; font-weight: 600; padding: 1px 6px; }
.legend span { margin-right: 14px; font-size: 13px; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 3px;
  margin-right: 4px; vertical-align: -1px; }
.error { color: #d1242f; font-size: 13px; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
svg.graph { width: 100%; height: auto; background: #fff; }
.cards { display: flex; gap: 16px; flex-wrap: wrap; }
.card { flex: 1 1 140px; }
.card b { display: block; font-size: 20px; }
"""


def status_colour(status: str | None) -> str:
    return STATUS_COLOURS.get(status or "", NO_CODE)
