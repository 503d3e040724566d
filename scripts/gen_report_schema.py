"""Write docs/report-schema.json: the JSON Schema of `isolint report --format json`, from the
report's pydantic records (tests/test_report.py checks it is current)."""

from __future__ import annotations

import json
from pathlib import Path

from isolint.checks.report_records import ReadinessReport

SCHEMA = Path(__file__).resolve().parent.parent / "docs" / "report-schema.json"

if __name__ == "__main__":
    SCHEMA.write_text(json.dumps(ReadinessReport.model_json_schema(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {SCHEMA}")
