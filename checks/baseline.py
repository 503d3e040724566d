"""Baselines for gradual adoption: record today's findings, then report only new ones.

An entry is identified by path, rule code and fingerprint (rule + enclosing item path +
normalised finding text, see ``checks.fingerprint``), never by line, so edits elsewhere in a
file do not resurrect baselined findings. Paths are stored relative to the baseline file's
folder, so the baseline works from any working directory. Entries that no longer match any
finding are reported as fixed: the baseline only shrinks.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from .batch import BatchReport
from .safe_write import write_atomically

BASELINE_FORMAT = "isolint-baseline"
BASELINE_VERSION = 1


@dataclass(frozen=True)
class BaselineEntry:
    path: str
    code: str
    fingerprint: str
    message: str
    line: int  # where it was when recorded; shown to people, not used for matching

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.path, self.code, self.fingerprint)


class BaselineError(Exception):
    """A baseline file that cannot be read or is not a baseline; ``str()`` names the file."""


@dataclass
class BaselineOutcome:
    matched: int  # findings hidden because the baseline knows them
    fixed: list[BaselineEntry]  # entries for linted (or deleted) files that no longer occur


def _relative(path: Path, base: Path) -> str:
    return Path(os.path.relpath(path.absolute(), base)).as_posix()


def current_entries(report: BatchReport, baseline_file: Path) -> list[BaselineEntry]:
    base = baseline_file.absolute().parent
    entries = []
    for file_report in report.files:
        path = _relative(file_report.path, base)
        for finding, fingerprint in zip(file_report.findings, file_report.fingerprints):
            entries.append(BaselineEntry(path, finding.code, fingerprint, finding.message, finding.span.start_line + 1))
    return entries


def write_baseline(baseline_file: Path, report: BatchReport) -> int:
    """Record every unsuppressed finding of ``report``; return how many. Written atomically."""
    entries = current_entries(report, baseline_file)
    document = {"format": BASELINE_FORMAT, "version": BASELINE_VERSION, "findings": [asdict(e) for e in entries]}
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    write_atomically(baseline_file, text.encode("utf-8"))
    return len(entries)


def load_baseline(baseline_file: Path) -> list[BaselineEntry]:
    try:
        text = baseline_file.read_text(encoding="utf-8")
    except OSError as error:
        raise BaselineError(f"{baseline_file}: cannot read baseline: {error.strerror or error}") from error
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise BaselineError(f"{baseline_file}:{error.lineno}: not valid JSON: {error.msg}") from error
    if not isinstance(document, dict) or document.get("format") != BASELINE_FORMAT:
        raise BaselineError(f"{baseline_file}: not an isolint baseline (expected \"format\": \"{BASELINE_FORMAT}\")")
    if document.get("version") != BASELINE_VERSION:
        raise BaselineError(f"{baseline_file}: unsupported baseline version {document.get('version')!r}; rewrite it with --write-baseline")
    entries = []
    for number, raw in enumerate(document.get("findings", []), start=1):
        try:
            entries.append(BaselineEntry(str(raw["path"]), str(raw["code"]), str(raw["fingerprint"]), str(raw.get("message", "")), int(raw.get("line", 0))))
        except (KeyError, TypeError, ValueError) as error:
            raise BaselineError(f"{baseline_file}: finding #{number} is malformed ({error})") from error
    return entries


def apply_baseline(report: BatchReport, entries: list[BaselineEntry], baseline_file: Path) -> BaselineOutcome:
    """Drop findings the baseline knows from ``report``; return them counted and the entries
    that matched nothing (for files linted in this run, or files that no longer exist)."""
    base = baseline_file.absolute().parent
    remaining = Counter(entry.identity for entry in entries)
    matched = 0
    linted_paths = set()
    for file_report in report.files:
        path = _relative(file_report.path, base)
        linted_paths.add(path)
        kept_findings, kept_prints = [], []
        for finding, fingerprint in zip(file_report.findings, file_report.fingerprints):
            identity = (path, finding.code, fingerprint)
            if remaining[identity] > 0:
                remaining[identity] -= 1
                matched += 1
            else:
                kept_findings.append(finding)
                kept_prints.append(fingerprint)
        file_report.keep_findings(kept_findings, kept_prints)
    fixed = []
    for entry in entries:
        if remaining[entry.identity] <= 0:
            continue
        if entry.path in linted_paths or not (base / entry.path).exists():
            remaining[entry.identity] -= 1
            fixed.append(entry)
    return BaselineOutcome(matched, fixed)
