"""SARIF 2.1.0 for code-scanning tools; suppressed findings carry their justification."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from ..checks.batch import BatchReport
from ..checks.rules import all_rules
from .. import PROJECT_URL, __version__
from . import display_path, finding_records
from ..ruledocs import rule_markdown

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note", "hint": "note"}


def _region(range_record) -> dict:
    return {
        "startLine": range_record.start.line,
        "startColumn": range_record.start.column,
        "endLine": range_record.end.line,
        "endColumn": range_record.end.column,
        "byteOffset": range_record.start.byte,
        "byteLength": range_record.end.byte - range_record.start.byte,
    }


def _rule_descriptor(rule) -> dict:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.rationale},
        "helpUri": rule.doc_url(),
        "help": {"text": rule.summary, "markdown": rule_markdown(rule)},
        "defaultConfiguration": {"level": LEVELS[rule.default_severity.value]},
        "properties": {"tags": ["security", "tenant-isolation", rule.family]},
    }


def _artifact_uri(path: Path) -> str:
    """The file as a URI reference: relative paths percent-encoded (spaces, non-ASCII), paths
    outside the working directory as ``file:`` URIs, as code-scanning consumers expect."""
    shown = Path(display_path(path))
    return shown.as_uri() if shown.is_absolute() else quote(shown.as_posix())


def _invocation(report: BatchReport) -> dict:
    """Files that could not be read or configured, and files skipped in whole or in part, are
    tool notifications: code scanning then shows that the run was incomplete instead of
    silently reporting fewer results."""
    notifications = [
        {"level": level, "message": {"text": problem}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": _artifact_uri(path)}}}]}
        for level, problems in (("error", report.errors), ("warning", report.skipped + report.partly_skipped))
        for path, problem in problems
    ]
    invocation = {"executionSuccessful": not (report.errors or report.skipped or report.partly_skipped)}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return invocation


def render(report: BatchReport) -> str:
    rules = list(all_rules())
    rule_index = {rule.code: i for i, rule in enumerate(rules)}
    results = []
    for file_report in report.files:
        path = _artifact_uri(file_report.path)
        for record in finding_records(file_report, include_suppressed=True):
            location = {"physicalLocation": {"artifactLocation": {"uri": path}, "region": _region(record.range)}}
            result = {
                "ruleId": record.code,
                "ruleIndex": rule_index[record.code],
                "level": LEVELS[record.severity],
                "message": {"text": record.message},
                "locations": [location],
                "partialFingerprints": {"isolint/v1": record.fingerprint},
            }
            if record.related:
                result["relatedLocations"] = [
                    {"id": i, "physicalLocation": {"artifactLocation": {"uri": path if r.path is None else _artifact_uri(Path(r.path))}, "region": _region(r.range)},
                     "message": {"text": r.message}}
                    for i, r in enumerate(record.related)
                ]
            if record.fix is not None:
                result["fixes"] = [{
                    "description": {"text": record.fix.title},
                    "artifactChanges": [{
                        "artifactLocation": {"uri": path},
                        "replacements": [
                            {"deletedRegion": _region(edit.range), "insertedContent": {"text": edit.content}}
                            for edit in record.fix.edits
                        ],
                    }],
                }]
            if record.suppression is not None:
                suppression = {"kind": "inSource", "status": "accepted"}
                if record.suppression.reason:
                    suppression["justification"] = record.suppression.reason
                result["suppressions"] = [suppression]
            results.append(result)
    document = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "isolint",
                "version": __version__,
                "informationUri": PROJECT_URL,
                "rules": [_rule_descriptor(rule) for rule in rules],
            }},
            "invocations": [_invocation(report)],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
