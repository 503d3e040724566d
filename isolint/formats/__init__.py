"""Output formats for ``isolint check``; each renders a ``BatchReport`` to text."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

FORMATS = ("text", "json", "json-lines", "sarif", "github")


def display_path(path: Path) -> str:
    """Relative to the working directory when below it, with forward slashes."""
    try:
        relative = os.path.relpath(path, _working_directory())
    except ValueError:
        relative = str(path)
    if relative.startswith(".."):
        relative = str(path)
    return relative if os.sep == "/" else relative.replace(os.sep, "/")


@lru_cache(maxsize=1)
def _working_directory() -> str:
    # Asked once per run, not once per file: `isolint check` never changes directory.
    return os.getcwd()


@lru_cache(maxsize=64)
def related_file(path: str):
    """Another file a finding's related location lies in (a caller, a callee's store): its
    display path and text as read now, in the run that analysed it; no text if unreadable."""
    from ..checks.source import SourceText

    try:
        text = SourceText(Path(path).read_bytes())
    except OSError:
        text = None
    return display_path(Path(path)), text


def finding_records(file_report, include_suppressed: bool = False) -> list:
    """The serialised records (``checks.records.FindingRecord``) of one file's findings."""
    from ..checks.records import to_record

    path = display_path(file_report.path)
    pairs = list(zip(file_report.findings, file_report.fingerprints))
    if include_suppressed:
        pairs += list(zip(file_report.suppressed, file_report.suppressed_fingerprints))
    return [to_record(finding, file_report.source, path, fingerprint, related_file) for finding, fingerprint in pairs]


def render(report, output_format: str, show_fixes: bool = False, quiet: bool = False) -> str:
    if output_format == "json":
        from . import json_format

        return json_format.render(report)
    if output_format == "json-lines":
        from . import json_lines

        return json_lines.render(report)
    if output_format == "sarif":
        from . import sarif

        return sarif.render(report)
    if output_format == "github":
        from . import github

        return github.render(report)
    from . import text

    return text.render(report, show_fixes=show_fixes, quiet=quiet)
