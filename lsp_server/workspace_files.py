"""Rust files on disk that are not open in the editor: the workspace scan and re-scans of
files changed on disk. Their diagnostics are served through ``workspace/diagnostic`` or
published, like open documents'."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types

from ..checks.discovery import discover
from ..checks.engine import analyze
from ..checks.files import FileSkipped, read_rust_file
from ..checks.workspace import WorkspaceModel
from .configuration import ProjectConfiguration
from .diagnostics import diagnostics_for
from .uris import path_uri

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileDiagnostics:
    uri: str
    generation: int
    # Distinguishes successive analyses of a file whose content changed on disk.
    revision: int
    diagnostics: list[types.Diagnostic]

    @property
    def result_id(self) -> str:
        return f"disk:{self.revision}:{self.generation}"


class WorkspaceFiles:
    def __init__(self, configuration: ProjectConfiguration):
        self._configuration = configuration
        self._files: dict[str, FileDiagnostics] = {}
        self._revision = 0

    def rust_files(self, folders: list[Path]) -> list[Path]:
        files: list[Path] = []
        for folder in folders:
            settings = self._configuration.settings_for(folder / "lib.rs")
            found = discover([folder], settings.exclude, settings.respect_gitignore)
            for path, problem in found.errors:
                log.warning("workspace scan: %s: %s", path, problem)
            files.extend(found.files)
        return files

    async def analyse(self, path: Path, encoding: str, worker: Executor, workspace: WorkspaceModel | None = None) -> FileDiagnostics | None:
        """Analyse a file from disk on ``worker``; None (and forgotten) when it cannot or
        should not be read."""
        uri = path_uri(path)
        settings = self._configuration.settings_for(path)
        generation = self._configuration.generation
        try:
            data = read_rust_file(path, settings.max_file_size)
        except (OSError, FileSkipped) as problem:
            log.info("not analysing %s: %s", path, problem)
            self._files.pop(uri, None)
            return None
        result = await asyncio.get_running_loop().run_in_executor(worker, analyze, data, settings, path, None, workspace)
        for failure in result.rule_failures:
            log.error("rule %s failed on %s: %s\n%s", failure.code, path, failure.error, failure.detail)
        self._revision += 1
        entry = FileDiagnostics(uri, generation, self._revision, diagnostics_for(result, encoding, uri, None, workspace.sources if workspace is not None else None))
        self._files[uri] = entry
        return entry

    def forget(self, uri: str) -> FileDiagnostics | None:
        return self._files.pop(uri, None)

    def get(self, uri: str) -> FileDiagnostics | None:
        return self._files.get(uri)

    def __iter__(self):
        return iter(list(self._files.values()))
