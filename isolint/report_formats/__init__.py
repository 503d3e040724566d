"""Renderings of the readiness report (``isolint report``): Markdown, HTML and JSON, each
from the one ``checks.report_records.ReadinessReport``."""

from __future__ import annotations

REPORT_FORMATS = ("markdown", "html", "json")


def render_report(report, output_format: str, link_base: str = "") -> str:
    """``link_base``: the report root as seen from where the output is read (its folder, when
    written to a file), prefixed to file links so they resolve there."""
    if output_format == "json":
        return report.model_dump_json(indent=2) + "\n"
    if output_format == "html":
        from .html import render

        return render(report, link_base)
    from .markdown import render

    return render(report, link_base)
