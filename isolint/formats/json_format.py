"""JSON: an array of finding records (``checks.records.FindingRecord``)."""

from __future__ import annotations

import json

from ..checks.batch import BatchReport
from . import finding_records


def render(report: BatchReport) -> str:
    records = [record.model_dump(mode="json") for file_report in report.files for record in finding_records(file_report)]
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
