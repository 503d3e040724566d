"""Findings as LSP diagnostics, with their fix edits carried in ``data`` (ruff's server
does the same) so a code action never re-lints and cannot drift from what was shown."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pydantic import BaseModel, ConfigDict, ValidationError

from checks.config import ConfigError
from checks.engine import AnalysisResult
from checks.model import Finding, Severity
from checks.rules import rule_by_code_or_name
from checks.source import SourceText
from lsp_server.positions import range_of_bytes, range_of_span

SOURCE = "isolint"

SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PositionData(_Data):
    line: int
    character: int


class EditData(_Data):
    start: PositionData
    end: PositionData
    new_text: str


class FixData(_Data):
    title: str
    applicability: str
    edits: list[EditData]


class DiagnosticData(_Data):
    """What rides in ``Diagnostic.data``: the document version it was computed for, the
    finding's first line (where "Allow here" inserts), and the fix in LSP coordinates."""

    version: int | None
    first_line: int
    fix: FixData | None = None

    @classmethod
    def from_client(cls, raw: object) -> "DiagnosticData | None":
        """Validate data that came back from the client; None when it is not ours."""
        if raw is None:
            return None
        try:
            return cls.model_validate(raw)
        except ValidationError:
            return None

    def text_edits(self) -> list[types.TextEdit]:
        if self.fix is None:
            return []
        return [
            types.TextEdit(
                range=types.Range(
                    start=types.Position(line=e.start.line, character=e.start.character),
                    end=types.Position(line=e.end.line, character=e.end.character),
                ),
                new_text=e.new_text,
            )
            for e in self.fix.edits
        ]


def _position_data(position: types.Position) -> PositionData:
    return PositionData(line=position.line, character=position.character)


def fix_data(finding: Finding, source: SourceText, encoding: str) -> FixData | None:
    if finding.fix is None:
        return None
    edits = []
    for edit in finding.fix.edits:
        edit_range = range_of_bytes(source, edit.start_byte, edit.end_byte, encoding)
        edits.append(EditData(start=_position_data(edit_range.start), end=_position_data(edit_range.end), new_text=edit.replacement))
    return FixData(title=finding.fix.title, applicability=finding.fix.applicability.value, edits=edits)


def to_diagnostic(finding: Finding, source: SourceText, encoding: str, uri: str, version: int | None) -> types.Diagnostic:
    rule = rule_by_code_or_name(finding.code)
    related = [
        types.DiagnosticRelatedInformation(
            location=types.Location(uri=uri, range=range_of_span(source, item.span, encoding)),
            message=item.message,
        )
        for item in finding.related
    ]
    data = DiagnosticData(version=version, first_line=finding.span.start_line, fix=fix_data(finding, source, encoding))
    return types.Diagnostic(
        range=range_of_span(source, finding.span, encoding),
        severity=SEVERITIES[finding.severity],
        code=finding.code,
        code_description=types.CodeDescription(href=rule.doc_url()) if rule is not None else None,
        source=SOURCE,
        message=f"{finding.message} ({finding.name})",
        related_information=related or None,
        data=data.model_dump(),
    )


def diagnostics_for(result: AnalysisResult, encoding: str, uri: str, version: int | None) -> list[types.Diagnostic]:
    return [to_diagnostic(f, result.source, encoding, uri, version) for f in result.findings]


def config_error_diagnostic(error: ConfigError, text: str | None) -> types.Diagnostic:
    """A diagnostic on the config file, on the bad key's line (or the first line)."""
    line = (error.line or 1) - 1
    lines = (text or "").splitlines()
    length = len(lines[line]) if line < len(lines) else 0
    return types.Diagnostic(
        range=types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line, character=length)),
        severity=types.DiagnosticSeverity.Error,
        code="config",
        source=SOURCE,
        message=f"{error.detail}; isolint keeps using the last good configuration",
    )


def read_config_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
