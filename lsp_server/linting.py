"""Per-document analysis: debounce while typing, one analysis per (version, config), and a
result id per analysis for pull diagnostics.

Analysis runs on the event loop thread: tree-sitter parsers are not thread-safe and the
engine is pure Python, so a worker thread would only add races, not speed. The debounce
keeps typing bursts to one analysis.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Callable

from lsprotocol import types

from checks.engine import AnalysisResult, analyze
from lsp_server.configuration import ProjectConfiguration
from lsp_server.diagnostics import diagnostics_for
from lsp_server.documents import OpenDocument

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Analysis:
    version: int | None
    generation: int
    result: AnalysisResult
    diagnostics: list[types.Diagnostic]

    @property
    def result_id(self) -> str:
        return f"{self.version}:{self.generation}"


class DocumentLinter:
    """Schedules and caches analyses of open documents.

    ``on_analysed`` is called after each analysis of the document's current version (the
    server publishes from it in push mode).
    """

    def __init__(self, configuration: ProjectConfiguration, encoding: Callable[[], str], on_analysed: Callable[[OpenDocument, Analysis], None]):
        self._configuration = configuration
        self._encoding = encoding
        self._on_analysed = on_analysed
        self._analyses: dict[str, Analysis] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._waiters: dict[str, list[asyncio.Future]] = {}
        self.debounce_seconds = 0.075
        # Until the editor's settings have arrived, analyses wait rather than show findings
        # under the wrong config for a moment.
        self._paused = False
        self._held: dict[str, OpenDocument] = {}

    def pause(self) -> None:
        self._paused = True

    def resume(self) -> None:
        self._paused = False
        held, self._held = self._held, {}
        for document in held.values():
            self.schedule(document, delay=0)

    def is_current(self, document: OpenDocument) -> bool:
        analysis = self._analyses.get(document.uri)
        return analysis is not None and analysis.version == document.version and analysis.generation == self._configuration.generation

    def schedule(self, document: OpenDocument, delay: float | None = None) -> None:
        """Analyse ``document`` after the debounce delay, replacing any pending run."""
        self._cancel_timer(document.uri)
        if self._paused:
            self._held[document.uri] = document
            return
        loop = asyncio.get_running_loop()
        delay = self.debounce_seconds if delay is None else delay
        self._timers[document.uri] = loop.call_later(delay, self._run_scheduled, document)

    def _run_scheduled(self, document: OpenDocument) -> None:
        self._timers.pop(document.uri, None)
        self.analysis_now(document)

    def analysis_now(self, document: OpenDocument) -> Analysis:
        """The analysis of the document's current version, computed now if needed."""
        if self.is_current(document):
            return self._analyses[document.uri]
        self._cancel_timer(document.uri)
        settings = self._configuration.settings_for(document.path)
        result = analyze(document.data, settings, document.path, document.tree)
        for failure in result.rule_failures:
            log.error("rule %s failed on %s: %s\n%s", failure.code, document.uri, failure.error, failure.detail)
        diagnostics = diagnostics_for(result, self._encoding(), document.uri, document.version)
        analysis = Analysis(document.version, self._configuration.generation, result, diagnostics)
        self._analyses[document.uri] = analysis
        self._on_analysed(document, analysis)
        for waiter in self._waiters.pop(document.uri, ()):
            if not waiter.done():
                waiter.set_result(None)
        return analysis

    async def current(self, document: OpenDocument) -> Analysis:
        """Wait for the scheduled analysis of the document's latest version.

        Waits through further edits, so a pull never answers for a stale version.
        """
        while not self.is_current(document):
            if document.uri not in self._timers and document.uri not in self._held:
                return self.analysis_now(document)
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.setdefault(document.uri, []).append(waiter)
            await waiter
        return self._analyses[document.uri]

    def cached(self, uri: str) -> Analysis | None:
        return self._analyses.get(uri)

    def forget(self, uri: str) -> None:
        self._cancel_timer(uri)
        self._held.pop(uri, None)
        self._analyses.pop(uri, None)
        for waiter in self._waiters.pop(uri, ()):
            waiter.cancel()

    def _cancel_timer(self, uri: str) -> None:
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
