"""Validated, serialisable findings: what crosses a process boundary (JSON output,
baselines, the language server's diagnostic ``data``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from .engine import AnalysisResult
from .fingerprint import fingerprints
from .model import Finding, Span
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


def finding_records(result: AnalysisResult, path: str, include_suppressed: bool = False) -> list[FindingRecord]:
    findings: list[Finding] = list(result.findings) + (list(result.suppressed) if include_suppressed else [])
    prints = fingerprints(result.tree, result.source.data, findings)
    records = []
    for finding, fingerprint in zip(findings, prints):
        records.append(to_record(finding, result.source, path, fingerprint))
    return records


def to_record(finding: Finding, source: SourceText, path: str, fingerprint: str) -> FindingRecord:
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
        related=[RelatedRecord(range=_span_range(source, r.span), message=r.message) for r in finding.related],
        suppression=suppression,
        fingerprint=fingerprint,
        url=rule.doc_url() if rule else "",
    )
