"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request.

``::warning file=src/a.rs,line=3,endLine=3,col=5,endColumn=9,title=ISO101 name::message``.
Values are escaped as the runner expects (``%``, CR and LF everywhere; ``:`` and ``,`` also
inside properties), so a message can never end the command early or inject another one.
"""

from __future__ import annotations

from ..checks.batch import BatchReport
from . import display_path

COMMANDS = {"error": "error", "warning": "warning", "info": "notice", "hint": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: BatchReport) -> str:
    lines = []
    for file_report in report.files:
        path = display_path(file_report.path)
        source = file_report.source
        for finding in file_report.findings:
            span = finding.span
            properties = {
                "file": path,
                "line": span.start_line + 1,
                "endLine": span.end_line + 1,
                "col": source.char_column(span.start_line, span.start_col),
                "endColumn": source.char_column(span.end_line, span.end_col),
                "title": f"{finding.code} {finding.name}",
            }
            rendered = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
            message = finding.message + (f"\nhelp: {finding.fix.title} ({finding.fix.applicability.value} fix)" if finding.fix else "")
            lines.append(f"::{COMMANDS[finding.severity.value]} {rendered}::{escape_data(message)}\n")
    # What the run could not check annotates the file too: a pull request must not look clean
    # because a file was skipped.
    for command, problems in (("error", report.errors), ("warning", report.skipped + report.partly_skipped)):
        for path, problem in problems:
            lines.append(f"::{command} file={escape_property(display_path(path))},title=isolint::{escape_data(problem)}\n")
    return "".join(lines)
