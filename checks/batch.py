"""Lint many files: discovery, per-file config, reading, analysis. Used by the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from checks.config import ConfigError, ConfigResolver
from checks.discovery import discover
from checks.engine import AnalysisResult, FileSkipped, analyze, read_rust_file


@dataclass
class FileReport:
    path: Path
    result: AnalysisResult


@dataclass
class BatchReport:
    files: list[FileReport] = field(default_factory=list)
    errors: list[tuple[Path, str]] = field(default_factory=list)  # could not read / config
    notices: list[tuple[Path, str]] = field(default_factory=list)  # skipped, syntax errors

    @property
    def finding_count(self) -> int:
        return sum(len(f.result.findings) for f in self.files)


def lint_paths(paths: list[Path], resolver: ConfigResolver) -> BatchReport:
    report = BatchReport()
    root_config = resolver.config_for(paths[0] if paths else Path("."))
    settings = root_config.settings
    discovered = discover(paths, settings.exclude, settings.respect_gitignore)
    report.errors.extend(discovered.errors)
    for path in discovered.files:
        lint_one(path, resolver, report)
    return report


def lint_one(path: Path, resolver: ConfigResolver, report: BatchReport) -> None:
    try:
        settings = resolver.config_for(path).settings
    except ConfigError as error:
        report.errors.append((error.path, f"{error.detail}" + (f" (line {error.line})" if error.line else "")))
        return
    try:
        data = read_rust_file(path, settings.max_file_size)
    except FileSkipped as skipped:
        report.notices.append((path, str(skipped)))
        return
    except OSError as error:
        report.errors.append((path, f"cannot read: {error.strerror or error}"))
        return
    result = analyze(data, settings, path)
    for failure in result.rule_failures:
        report.errors.append((path, f"internal error in rule {failure.code}: {failure.error}"))
    if result.syntax_errors:
        first = result.syntax_errors[0]
        report.notices.append((path, f"{first.start_line + 1}:{result.source.char_column(first.start_line, first.start_col)}: syntax error; the rest of the file was still checked"))
    if not result.source.is_valid_utf8:
        report.notices.append((path, "file is not valid UTF-8; undecodable bytes shown as U+FFFD"))
    report.files.append(FileReport(path, result))
