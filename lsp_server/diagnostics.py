"""Findings as LSP diagnostics, with their fix edits carried in ``data`` (ruff's server
does the same) so a code action never re-lints and cannot drift from what was shown."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types

from ..checks.config import ConfigError
from ..checks.engine import AnalysisResult
from ..checks.model import Finding, RelatedLocation, Severity
from ..checks.rules import rule_by_code_or_name
from ..checks.source import SourceText
from .positions import range_of_bytes, range_of_span
from .uris import path_uri

SOURCE = "isolint"

SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}

# ``data`` comes back from the client and is checked by hand, not with pydantic: it is a
# small fixed shape, and every diagnostic builds one, so a model's import (a fifth of the
# server's start-up budget) and per-object validation would be paid for nothing.


class _NotOurs(Exception):
    """Client data that does not have the exact shape of ours."""


def _object(raw: object, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
    if not isinstance(raw, dict) or not set(required) <= raw.keys() <= {*required, *optional}:
        raise _NotOurs
    return raw


def _int(raw: object) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise _NotOurs
    return raw


def _str(raw: object) -> str:
    if not isinstance(raw, str):
        raise _NotOurs
    return raw


@dataclass(frozen=True)
class PositionData:
    line: int
    character: int

    @classmethod
    def parse(cls, raw: object) -> "PositionData":
        fields = _object(raw, ("line", "character"))
        return cls(_int(fields["line"]), _int(fields["character"]))

    def to_json(self) -> dict:
        return {"line": self.line, "character": self.character}


@dataclass(frozen=True)
class EditData:
    start: PositionData
    end: PositionData
    new_text: str

    @classmethod
    def parse(cls, raw: object) -> "EditData":
        fields = _object(raw, ("start", "end", "new_text"))
        return cls(PositionData.parse(fields["start"]), PositionData.parse(fields["end"]), _str(fields["new_text"]))

    def to_json(self) -> dict:
        return {"start": self.start.to_json(), "end": self.end.to_json(), "new_text": self.new_text}


@dataclass(frozen=True)
class FixData:
    title: str
    applicability: str
    edits: tuple[EditData, ...]

    @classmethod
    def parse(cls, raw: object) -> "FixData":
        fields = _object(raw, ("title", "applicability", "edits"))
        if not isinstance(fields["edits"], list):
            raise _NotOurs
        return cls(_str(fields["title"]), _str(fields["applicability"]), tuple(EditData.parse(e) for e in fields["edits"]))

    def to_json(self) -> dict:
        return {"title": self.title, "applicability": self.applicability, "edits": [e.to_json() for e in self.edits]}


@dataclass(frozen=True)
class DiagnosticData:
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
            fields = _object(raw, ("version", "first_line"), ("fix",))
            version = None if fields["version"] is None else _int(fields["version"])
            fix = fields.get("fix")
            return cls(version, _int(fields["first_line"]), None if fix is None else FixData.parse(fix))
        except _NotOurs:
            return None

    def to_json(self) -> dict:
        return {"version": self.version, "first_line": self.first_line, "fix": None if self.fix is None else self.fix.to_json()}

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
    return FixData(title=finding.fix.title, applicability=finding.fix.applicability.value, edits=tuple(edits))


def to_diagnostic(finding: Finding, source: SourceText, encoding: str, uri: str, version: int | None,
                  sources: Mapping[str, bytes] | None = None) -> types.Diagnostic:
    """``sources``: the workspace files' bytes the analysis read (the model's), where a
    related location in another file was found."""
    rule = rule_by_code_or_name(finding.code)
    related = [
        types.DiagnosticRelatedInformation(location=_related_location(item, source, encoding, uri, sources), message=item.message)
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
        data=data.to_json(),
    )


def diagnostics_for(result: AnalysisResult, encoding: str, uri: str, version: int | None,
                    sources: Mapping[str, bytes] | None = None) -> list[types.Diagnostic]:
    return [to_diagnostic(f, result.source, encoding, uri, version, sources) for f in result.findings]


def _related_location(item: RelatedLocation, source: SourceText, encoding: str, uri: str, sources: Mapping[str, bytes] | None) -> types.Location:
    if item.path is None:
        return types.Location(uri=uri, range=range_of_span(source, item.span, encoding))
    data = (sources or {}).get(item.path)
    if data is None:
        try:
            data = Path(item.path).read_bytes()
        except OSError:
            data = b""
    span = item.span
    if span.end_byte > len(data):  # the file is gone or changed since: its lines are all that is known
        shown = types.Range(start=types.Position(line=span.start_line, character=span.start_col), end=types.Position(line=span.end_line, character=span.end_col))
    else:
        shown = range_of_span(SourceText(data), span, encoding)
    return types.Location(uri=path_uri(Path(item.path)), range=shown)


def skipped_file_diagnostic(reason: str) -> types.Diagnostic:
    """Says, at the top of a document isolint did not analyse, why (no finding would show
    otherwise, and an empty list would read as "no problems")."""
    top = types.Position(line=0, character=0)
    return types.Diagnostic(
        range=types.Range(start=top, end=top),
        severity=types.DiagnosticSeverity.Information,
        code="skipped",
        source=SOURCE,
        message=f"isolint skipped this file: {reason}",
    )


def config_error_diagnostics(error: ConfigError, text: str | None) -> list[types.Diagnostic]:
    """One diagnostic per problem of the config file, each on its key's line (or the first)."""
    lines = (text or "").splitlines()
    diagnostics = []
    for problem in error.problems:
        line = (problem.line or 1) - 1
        length = len(lines[line]) if line < len(lines) else 0
        diagnostics.append(types.Diagnostic(
            range=types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line, character=length)),
            severity=types.DiagnosticSeverity.Error,
            code="config",
            source=SOURCE,
            message=f"{problem.message}; isolint keeps using the last good configuration",
        ))
    return diagnostics


def read_config_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
