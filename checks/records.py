"""Validated, serialisable findings: what crosses a process boundary (JSON output,
baselines, the language server's diagnostic ``data``)."""

from __future__ import annotations

from typing import Callable

from pydantic import BaseModel, ConfigDict

from .engine import AnalysisResult
from .fingerprint import fingerprints
from .model import Finding, RelatedLocation, Span
from .rules import rule_by_code_or_name
from .source import SourceText


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Position(_Record):
    """1-based line and 1-based column in Unicode scalar values, plus the byte offset."""

    line: int
    column: int
    byte: int


class Range(_Record):
    start: Position
    end: Position


class EditRecord(_Record):
    range: Range
    content: str


class FixRecord(_Record):
    title: str
    applicability: str
    edits: list[EditRecord]


class RelatedRecord(_Record):
    range: Range
    message: str
    # Another file than the finding's (a caller, a callee's store); absent: the finding's file.
    path: str | None = None


class SuppressionRecord(_Record):
    kind: str
    reason: str | None
    line: int


class FindingRecord(_Record):
    code: str
    name: str
    message: str
    severity: str
    path: str
    range: Range
    fix: FixRecord | None = None
    related: list[RelatedRecord] = []
    suppression: SuppressionRecord | None = None
    fingerprint: str
    url: str


def _position(source: SourceText, byte: int) -> Position:
    line, byte_col = source.point_of(byte)
    return Position(line=line + 1, column=source.char_column(line, byte_col), byte=byte)


def _range(source: SourceText, start_byte: int, end_byte: int) -> Range:
    return Range(start=_position(source, start_byte), end=_position(source, end_byte))


def _span_range(source: SourceText, span: Span) -> Range:
    return _range(source, span.start_byte, span.end_byte)


# Another file's display path and text, for related locations that lie there.
RelatedFile = Callable[[str], "tuple[str, SourceText | None]"]


def _related_record(related: RelatedLocation, source: SourceText, related_file: RelatedFile | None) -> RelatedRecord:
    if related.path is None:
        return RelatedRecord(range=_span_range(source, related.span), message=related.message)
    shown, text = related_file(related.path) if related_file is not None else (related.path, None)
    span = related.span
    if text is not None and span.end_byte <= len(text.data):
        return RelatedRecord(range=_span_range(text, span), message=related.message, path=shown)
    # The file is gone or changed since: its lines and byte columns are all that is known.
    start = Position(line=span.start_line + 1, column=span.start_col + 1, byte=span.start_byte)
    end = Position(line=span.end_line + 1, column=span.end_col + 1, byte=span.end_byte)
    return RelatedRecord(range=Range(start=start, end=end), message=related.message, path=shown)


def finding_records(result: AnalysisResult, path: str, include_suppressed: bool = False) -> list[FindingRecord]:
    findings: list[Finding] = list(result.findings) + (list(result.suppressed) if include_suppressed else [])
    prints = fingerprints(result.tree, result.source.data, findings)
    records = []
    for finding, fingerprint in zip(findings, prints):
        records.append(to_record(finding, result.source, path, fingerprint))
    return records


def to_record(finding: Finding, source: SourceText, path: str, fingerprint: str, related_file: RelatedFile | None = None) -> FindingRecord:
    rule = rule_by_code_or_name(finding.code)
    fix = None
    if finding.fix is not None:
        fix = FixRecord(
            title=finding.fix.title,
            applicability=finding.fix.applicability.value,
            edits=[EditRecord(range=_range(source, e.start_byte, e.end_byte), content=e.replacement) for e in finding.fix.edits],
        )
    suppression = None
    if finding.suppression is not None:
        suppression = SuppressionRecord(kind=finding.suppression.kind, reason=finding.suppression.reason, line=finding.suppression.line + 1)
    return FindingRecord(
        code=finding.code,
        name=finding.name,
        message=finding.message,
        severity=finding.severity.value,
        path=path,
        range=_span_range(source, finding.span),
        fix=fix,
        related=[_related_record(r, source, related_file) for r in finding.related],
        suppression=suppression,
        fingerprint=fingerprint,
        url=rule.doc_url() if rule else "",
    )
