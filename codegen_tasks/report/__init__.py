"""A run as one self-contained HTML page: inline CSS and SVG, no external assets."""

from codegen_tasks.report.page import ReportMeta, render_report

__all__ = ["ReportMeta", "render_report"]
