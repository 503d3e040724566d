"""Code actions: a quick fix per fixable finding, "Allow <rule> here" / "in file"
suppressions, and ``source.fixAll.isolint`` (safe fixes only).

Every edit is versioned with the document version its diagnostic was computed for, so a
client applies nothing to text that has moved on since.
"""

from __future__ import annotations

from lsprotocol import types

from ..checks.fixes import apply_fixes
from ..checks.model import Applicability
from .diagnostics import SOURCE, DiagnosticData
from .documents import OpenDocument
from .linting import Analysis
from .positions import range_of_bytes

FIX_ALL_KIND = "source.fixAll.isolint"
REASON_PLACEHOLDER = "<why>"


def versioned_edit(uri: str, version: int | None, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
    return types.WorkspaceEdit(
        document_changes=[
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                edits=edits,
            )
        ]
    )


def kind_requested(only: list[str] | None, kind: str) -> bool:
    """LSP kinds are hierarchical: asking for ``source`` includes ``source.fixAll.isolint``."""
    if not only:
        return True
    return any(kind == wanted or kind.startswith(f"{wanted}.") for wanted in only)


def quick_fix(uri: str, diagnostic: types.Diagnostic, data: DiagnosticData) -> types.CodeAction | None:
    if data.fix is None or data.fix.applicability == Applicability.DISPLAY_ONLY.value:
        return None
    return types.CodeAction(
        title=f"{data.fix.title} ({diagnostic.code})",
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        is_preferred=data.fix.applicability == Applicability.SAFE.value,
        edit=versioned_edit(uri, data.version, data.text_edits()),
    )


def _line_indent(document: OpenDocument, line: int) -> str:
    if line >= document.source.line_count():
        return ""
    raw = document.source.line_bytes(line)
    return raw[: len(raw) - len(raw.lstrip(b" \t"))].decode("ascii")


def _line_ending(document: OpenDocument) -> str:
    return "\r\n" if b"\r\n" in document.data[:4096] else "\n"


def allow_here(uri: str, document: OpenDocument, diagnostic: types.Diagnostic, data: DiagnosticData) -> types.CodeAction:
    """Insert ``// isolint: allow(CODE) reason: <why>`` on its own line above the finding's
    first line, indented like it: inside a multi-line call or a macro's token tree the
    comment still sits directly above the line the finding starts on, which is the line a
    suppression covers."""
    line = data.first_line
    comment = f"{_line_indent(document, line)}// isolint: allow({diagnostic.code}) reason: {REASON_PLACEHOLDER}{_line_ending(document)}"
    at = types.Position(line=line, character=0)
    edit = types.TextEdit(range=types.Range(start=at, end=at), new_text=comment)
    return types.CodeAction(
        title=f"Allow {diagnostic.code} here",
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        edit=versioned_edit(uri, data.version, [edit]),
    )


def allow_in_file(uri: str, document: OpenDocument, diagnostic: types.Diagnostic, data: DiagnosticData) -> types.CodeAction:
    """``allow-file`` must precede the file's first item, so it goes on the first line."""
    comment = f"// isolint: allow-file({diagnostic.code}) reason: {REASON_PLACEHOLDER}{_line_ending(document)}"
    at = types.Position(line=0, character=0)
    edit = types.TextEdit(range=types.Range(start=at, end=at), new_text=comment)
    return types.CodeAction(
        title=f"Allow {diagnostic.code} in this file",
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        edit=versioned_edit(uri, data.version, [edit]),
    )


def fix_all(uri: str, document: OpenDocument, analysis: Analysis, encoding: str) -> types.CodeAction | None:
    """All safe fixes of the document, non-overlapping (``checks.fixes`` chooses them)."""
    outcome = apply_fixes(document.data, analysis.result.findings, unsafe=False)
    if not outcome.applied:
        return None
    source = analysis.result.source
    edits = [
        types.TextEdit(range=range_of_bytes(source, edit.start_byte, edit.end_byte, encoding), new_text=edit.replacement)
        for finding in outcome.applied
        for edit in finding.fix.edits
    ]
    return types.CodeAction(
        title="isolint: fix all safe fixes",
        kind=FIX_ALL_KIND,
        edit=versioned_edit(uri, analysis.version, edits),
    )


def diagnostic_data(diagnostic: types.Diagnostic, analysis: Analysis | None) -> DiagnosticData | None:
    """The validated data of one of our diagnostics. Clients that do not send ``data``
    back get it from the analysis the diagnostic came from, matched by code and range."""
    data = DiagnosticData.from_client(diagnostic.data)
    if data is not None or analysis is None:
        return data
    match = next((d for d in analysis.diagnostics if d.code == diagnostic.code and d.range == diagnostic.range), None)
    return DiagnosticData.from_client(match.data) if match is not None else None


def actions_for_diagnostics(uri: str, document: OpenDocument, diagnostics: list[types.Diagnostic], only: list[str] | None, analysis: Analysis | None) -> list[types.CodeAction]:
    if not kind_requested(only, types.CodeActionKind.QuickFix):
        return []
    actions: list[types.CodeAction] = []
    seen_codes: set[str] = set()
    for diagnostic in diagnostics:
        if diagnostic.source != SOURCE:
            continue
        data = diagnostic_data(diagnostic, analysis)
        if data is None or data.version != document.version:
            continue  # not ours, or computed for text the document no longer has
        fix = quick_fix(uri, diagnostic, data)
        if fix is not None:
            actions.append(fix)
        actions.append(allow_here(uri, document, diagnostic, data))
        if diagnostic.code not in seen_codes:
            seen_codes.add(str(diagnostic.code))
            actions.append(allow_in_file(uri, document, diagnostic, data))
    return actions
