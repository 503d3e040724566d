"""rustc-style text: header, location arrow, source line, caret span, help."""

from __future__ import annotations

import unicodedata

from checks.batch import BatchReport
from checks.model import Finding
from checks.source import SourceText
from isolint.formats import display_path

LEVEL_LABELS = {"error": "error", "warning": "warning", "info": "info", "hint": "help"}


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in text)


def render_finding(finding: Finding, source: SourceText, path: str, show_fix: bool = True) -> str:
    span = finding.span
    line_no = span.start_line + 1
    column = source.char_column(span.start_line, span.start_col)
    line_text = source.line_text(span.start_line).expandtabs(4)
    prefix = source.line_prefix_bytes(span.start_line, span.start_col).decode("utf-8", errors="replace").lstrip("\ufeff").expandtabs(4)
    if span.end_line == span.start_line:
        underlined = source.data[span.start_byte : span.end_byte].decode("utf-8", errors="replace")
    else:
        underlined = line_text[len(prefix):]
    caret_count = max(1, _display_width(underlined.rstrip()))
    gutter = " " * len(str(line_no))
    lines = [
        f"{LEVEL_LABELS[finding.severity.value]}[{finding.code}]: {finding.name}: {finding.message}",
        f"{gutter}--> {path}:{line_no}:{column}",
        f"{gutter} |",
        f"{line_no} | {line_text}",
        f"{gutter} | {' ' * _display_width(prefix)}{'^' * caret_count}",
    ]
    for related in finding.related:
        related_line = related.span.start_line + 1
        related_col = source.char_column(related.span.start_line, related.span.start_col)
        lines.append(f"{gutter} = note: {path}:{related_line}:{related_col}: {related.message}")
    if show_fix and finding.fix is not None:
        lines.append(f"{gutter} = help: {finding.fix.title} ({finding.fix.applicability.value} fix)")
    return "\n".join(lines)


def render(report: BatchReport, show_fixes: bool = True) -> str:
    blocks = []
    fixable = 0
    for file_report in report.files:
        path = display_path(file_report.path)
        for finding in file_report.result.findings:
            blocks.append(render_finding(finding, file_report.result.source, path, show_fixes))
            fixable += finding.fix is not None
    total = report.finding_count
    if total:
        summary = f"Found {total} finding{'s' if total != 1 else ''} in {len(report.files)} file{'s' if len(report.files) != 1 else ''}"
        if fixable:
            summary += f" ({fixable} with a fix)"
        blocks.append(summary + ".")
    else:
        blocks.append(f"All checks passed ({len(report.files)} file{'s' if len(report.files) != 1 else ''}).")
    return "\n\n".join(blocks) + "\n"
