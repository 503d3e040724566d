"""rustc-style text: header, location arrow, source line, caret span, help."""

from __future__ import annotations

import unicodedata
from collections import Counter

from ..checks.batch import BatchReport, Rendering
from ..checks.model import Finding, RelatedLocation, Span
from ..checks.source import SourceText
from . import display_path, related_file

LEVEL_LABELS = {"error": "error", "warning": "warning", "info": "info", "hint": "help"}


def _display_width(text: str) -> int:
    if text.isascii():  # the common case, and far cheaper than a Unicode lookup per char
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in text)


def _first_line(data: bytes, span: Span) -> tuple[bytes, bytes]:
    """The bytes before ``span`` on its first line, and that whole line without its line
    break; found from the span alone, so rendering never builds a file's line index."""
    line_start = span.start_byte - span.start_col
    line_end = data.find(b"\n", span.start_byte)
    line = data[line_start : len(data) if line_end == -1 else line_end]
    return data[line_start : span.start_byte], line[:-1] if line.endswith(b"\r") else line


def _column(prefix: bytes, line: int) -> int:
    """1-based column in Unicode scalar values, as rustc prints it (the BOM is not text)."""
    if prefix.isascii():
        return len(prefix) + 1
    text = prefix.decode("utf-8", errors="surrogateescape")
    return len(text.removeprefix("\ufeff") if line == 0 else text) + 1


def render_finding(finding: Finding, source: SourceText, path: str, show_fix: bool = True) -> str:
    span = finding.span
    data = source.data
    line_no = span.start_line + 1
    prefix_bytes, line_bytes = _first_line(data, span)
    line_text = line_bytes.decode("utf-8", errors="replace")
    if span.start_line == 0:
        line_text = line_text.removeprefix("\ufeff")
    line_text = line_text.expandtabs(4)
    prefix = prefix_bytes.decode("utf-8", errors="replace").lstrip("\ufeff").expandtabs(4)
    if span.end_line == span.start_line:
        underlined = data[span.start_byte : span.end_byte].decode("utf-8", errors="replace")
    else:
        underlined = line_text[len(prefix):]
    caret_count = max(1, _display_width(underlined.rstrip()))
    gutter = " " * len(str(line_no))
    lines = [
        f"{LEVEL_LABELS[finding.severity.value]}[{finding.code}]: {finding.name}: {finding.message}",
        f"{gutter}--> {path}:{line_no}:{_column(prefix_bytes, span.start_line)}",
        f"{gutter} |",
        f"{line_no} | {line_text}",
        f"{gutter} | {' ' * _display_width(prefix)}{'^' * caret_count}",
    ]
    for related in finding.related:
        lines.append(f"{gutter} = note: {_related_position(related, data, path)}: {related.message}")
    if show_fix and finding.fix is not None:
        lines.append(f"{gutter} = help: {finding.fix.title} ({finding.fix.applicability.value} fix)")
    return "\n".join(lines)


def _related_position(related: RelatedLocation, data: bytes, path: str) -> str:
    """``path:line:column`` of a related location, in the finding's file or another one."""
    span = related.span
    if related.path is not None:
        path, text = related_file(related.path)
        if text is None or span.end_byte > len(text.data):
            return f"{path}:{span.start_line + 1}:{span.start_col + 1}"  # the file is gone or changed since
        data = text.data
    prefix, _ = _first_line(data, span)
    return f"{path}:{span.start_line + 1}:{_column(prefix, span.start_line)}"


def _render_file(file_report, path: str) -> str:
    return "\n\n".join(render_finding(finding, file_report.source, path) for finding in file_report.findings)


# The findings of one file, as ``render`` prints them (without the summary).
RENDERING = Rendering("text", display_path, _render_file)


def render(report: BatchReport, show_fixes: bool = False, quiet: bool = False) -> str:
    """Findings as rustc prints diagnostics; unless ``quiet``, a closing summary. With
    ``show_fixes``, the fixes applied (``--fix``) or available are listed per file."""
    blocks = []
    for file_report in report.files:
        if file_report.finding_count:
            blocks.append(file_report.rendered(RENDERING))
    if show_fixes:
        blocks.extend(_fix_listing(report))
    if not quiet:
        blocks.append(_summary(report))
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def _unchecked(report: BatchReport) -> str:
    """What the run could not check, as a clause ("1 file was skipped and 2 errors were
    reported"), or "" when it checked everything it was asked to."""
    clauses = []
    for count, noun, what in (
        (len({path for path, _ in report.skipped}), "file", "skipped"),
        (len({path for path, _ in report.partly_skipped}), "file", "checked only in part"),
        (len(report.errors), "error", "reported"),
    ):
        if count:
            clauses.append(f"{_plural(count, noun)} {'was' if count == 1 else 'were'} {what}")
    return " and ".join(clauses)


def _summary(report: BatchReport) -> str:
    total = report.finding_count
    written = [f for f in report.fixed if f.written]
    unchecked = _unchecked(report)
    lines = []
    if written:
        lines.append(f"Fixed {_plural(sum(len(f.applied) for f in written), 'finding')} in {_plural(len(written), 'file')}.")
    if not total:
        if unchecked:
            lines.append(f"No findings in {_plural(len(report.files), 'file')}, but {unchecked} (see above).")
        else:
            lines.append(f"All checks passed ({_plural(len(report.files), 'file')}).")
        return "\n".join(lines)
    summary = f"Found {_plural(total, 'finding')} in {_plural(len(report.files), 'file')}."
    safe = sum(f.summary.safe_fixes for f in report.files)
    unsafe = sum(f.summary.unsafe_fixes for f in report.files)
    hints = []
    if safe:
        hints.append(f"{safe} fixable with --fix")
    if unsafe:
        hints.append(f"{unsafe} more with --fix --unsafe-fixes")
    if hints:
        summary += f" ({'; '.join(hints)})"
    if unchecked:
        summary += f" {unchecked[0].upper()}{unchecked[1:]} (see above)."
    lines.append(summary)
    return "\n".join(lines)


def _fix_listing(report: BatchReport) -> list[str]:
    blocks = []
    applied = [f for f in report.fixed if f.written]
    if applied:
        lines = [f"Fixed {_plural(sum(len(f.applied) for f in applied), 'finding')}:"]
        for fixed in applied:
            lines.append(f"- {display_path(fixed.path)}:")
            counts = Counter((finding.code, finding.name, finding.fix.title) for finding in fixed.applied)
            lines.extend(f"    {count} \u00d7 {code} ({name}): {title}" for (code, name, title), count in sorted(counts.items()))
        blocks.append("\n".join(lines))
    available = [(display_path(f.path), finding) for f in report.files for finding in f.findings if finding.fix is not None]
    if available:
        lines = [f"{_plural(len(available), 'fix')} available:"]
        for path, finding in available:
            lines.append(f"- {path}:{finding.span.start_line + 1}: {finding.code}: {finding.fix.title} ({finding.fix.applicability.value})")
        blocks.append("\n".join(lines))
    return blocks
