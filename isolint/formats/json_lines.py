"""JSON Lines: one finding record per line, for streaming into log pipelines and ``jq``."""

from __future__ import annotations

from ..checks.batch import BatchReport
from . import finding_records


def render(report: BatchReport) -> str:
    return "".join(record.model_dump_json() + "\n" for file_report in report.files for record in finding_records(file_report))
