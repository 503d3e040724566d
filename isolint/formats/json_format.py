"""JSON: an array of finding records (``checks.records.FindingRecord``)."""

from __future__ import annotations

import json

from checks.batch import BatchReport
from checks.records import finding_records
from isolint.formats import display_path


def render(report: BatchReport) -> str:
    records = []
    for file_report in report.files:
        records.extend(r.model_dump(mode="json") for r in finding_records(file_report.result, display_path(file_report.path)))
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
