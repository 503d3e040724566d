"""Per-document analysis: debounce while typing, one analysis per (version, config), and a
result id per analysis for pull diagnostics.

Debounced analyses run on one worker thread, so the event loop keeps answering hovers,
code actions and further edits while a large file is analysed: the worker parses (from a
snapshot: the bytes and a *copy* of the tree, as the loop goes on editing the document's
own tree in place), analyses and builds the diagnostics; the loop only stores and
publishes them. An analysis that finishes after the document moved on is kept for what it
is (a stale version) and never published as current. A document over ``max-file-size`` is
not analysed, like a file the CLI skips: its one diagnostic says so.

A pull for a version still being analysed waits for it only where the debounce and analysis
are quick. Otherwise it is answered at once with the last analysis's diagnostics moved
through the edits since (``moved_diagnostics``): someone typing steadily sends the next
keystroke, and the client cancels the pull, before the analysis ends. The analysis is not
cancelled with the pull; when it lands, ``on_early_answer_superseded`` lets the server ask
the client to pull again.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

from lsprotocol import types

from ..checks.config import Settings
from ..checks.engine import AnalysisResult
from ..checks.function_edits import analyze_after_edit
from ..checks.workspace import WorkspaceModel
from .configuration import ProjectConfiguration
from .diagnostics import diagnostics_for, skipped_file_diagnostic
from .documents import OpenDocument, Snapshot
from .moved_diagnostics import move_diagnostics
from .workspace_model import WorkspaceModelKeeper

log = logging.getLogger(__name__)

# A pull waits for the analysis of the latest version when the debounce and the document's
# last analysis take at most this long together (the client's next keystroke is seldom
# sooner); past it, the pull is answered with the last diagnostics moved through the edits
# since.
PROMPT_PULL_SECONDS = 0.05


@dataclass(frozen=True)
class Analysis:
    version: int | None
    generation: int
    result: AnalysisResult
    diagnostics: list[types.Diagnostic]
    skip_reason: str | None = None  # why the document was not analysed
    seconds: float = 0.0  # how long the worker took to analyse
    model: WorkspaceModel | None = None  # the workspace model it read

    @property
    def result_id(self) -> str:
        return f"{self.version}:{self.generation}"


class AnalysisWorker(ThreadPoolExecutor):
    """The one thread analyses, parses and model updates run on, each with the cycle
    collector paused. The collector runs on whichever thread allocates; its full passes
    over the objects of a large file's analysis (millions, nearly all alive) would stop the
    event loop for seconds each, several times per analysis. An analysis leaves no cycles
    behind (``checks.engine.analyze``), so nothing is owed when the job ends; the loop's
    own garbage waits for it meanwhile."""

    def __init__(self) -> None:
        super().__init__(max_workers=1, thread_name_prefix="isolint-analysis")

    def submit(self, fn, /, *args, **kwargs) -> Future:
        return super().submit(_with_collector_paused, fn, *args, **kwargs)


def _with_collector_paused(fn, *args, **kwargs):
    gc.disable()
    try:
        return fn(*args, **kwargs)
    finally:
        gc.enable()


def skip_reason(document: OpenDocument, settings: Settings) -> str | None:
    """Why the document is not analysed (the CLI skips such files too), or None."""
    if len(document.data) > settings.max_file_size:
        return f"{len(document.data)} bytes is over max-file-size ({settings.max_file_size} bytes)"
    return None


def analyse_snapshot(snapshot: Snapshot, settings: Settings, path, model: WorkspaceModel | None, encoding: str, uri: str,
                     version: int | None, previous: Analysis | None = None) -> tuple[AnalysisResult, list[types.Diagnostic], float]:
    """The worker's part: parse, analyse, and turn the findings into diagnostics (for a large
    file, each is seconds the event loop must not spend); with the seconds it took.
    ``previous``, an analysis of an earlier version under the same settings, is built on
    when the edit since stays inside one function body (``checks.function_edits``) and the
    workspace model still gives the answers it read."""
    started = time.perf_counter()
    reusable = previous is not None and previous.model is model and (model is None or model.still_answers(previous.result.model_queries))
    result = analyze_after_edit(previous.result if reusable else None, snapshot.data, settings, path, snapshot.parsed(), model)
    diagnostics = diagnostics_for(result, encoding, uri, version, model.sources if model is not None else None)
    return result, diagnostics, time.perf_counter() - started


class DocumentLinter:
    """Schedules and caches analyses of open documents.

    ``on_analysed`` is called after each analysis that is still current when it finishes
    (the server publishes from it in push mode); ``on_early_answer_superseded`` when one
    lands on a document whose last pull was answered with moved diagnostics (``for_pull``).
    """

    def __init__(self, configuration: ProjectConfiguration, encoding: Callable[[], str], on_analysed: Callable[[OpenDocument, Analysis], None],
                 model: WorkspaceModelKeeper | None = None, on_early_answer_superseded: Callable[[OpenDocument], None] | None = None):
        self._configuration = configuration
        self._model = model if model is not None else WorkspaceModelKeeper()
        self._encoding = encoding
        self._on_analysed = on_analysed
        self._on_early_answer_superseded = on_early_answer_superseded
        # Documents whose last pull was answered before their latest analysis landed.
        self._answered_early: set[str] = set()
        self._analyses: dict[str, Analysis] = {}
        # The open document each URI's analyses belong to: a run that finishes after its
        # document was closed (or reopened) must not land on the new one.
        self._owners: dict[str, OpenDocument] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._running: dict[str, asyncio.Task] = {}
        self._waiters: dict[str, list[asyncio.Future]] = {}
        self.worker = AnalysisWorker()
        self.debounce_seconds = 0.075
        self.model_update_delay = 0.3
        self._model_timers: dict[str, asyncio.TimerHandle] = {}
        # Until the editor's settings have arrived, analyses wait rather than show findings
        # under the wrong config for a moment.
        self._paused = False
        self._held: dict[str, OpenDocument] = {}
        self._quiet_unless_changed: set[str] = set()

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

    def schedule(self, document: OpenDocument, delay: float | None = None, only_if_changed: bool = False) -> None:
        """Analyse ``document`` after the debounce delay, replacing any pending run.
        ``only_if_changed``: a re-analysis the workspace model asked for, reported only when
        its findings differ (an edit or a config change asks for a report every time)."""
        if only_if_changed:
            uri = document.uri
            if uri in self._timers or uri in self._held:
                # An edit's analysis is already on its way and will read the model as it is
                # then; running it now would cut the edit's debounce short.
                return
            # Never quieten a run already asked to report (a config change, an edit): its
            # report is what shows a new config error, or the edit's findings.
            if uri not in self._running:
                self._quiet_unless_changed.add(uri)
        else:
            self._quiet_unless_changed.discard(document.uri)
        self._cancel_timer(document.uri)
        self._owners[document.uri] = document
        if self._paused:
            self._held[document.uri] = document
            return
        loop = asyncio.get_running_loop()
        delay = self.debounce_seconds if delay is None else delay
        self._timers[document.uri] = loop.call_later(delay, self._start, document)

    def _start(self, document: OpenDocument) -> None:
        self._timers.pop(document.uri, None)
        if document.uri in self._running:
            # One analysis per document at a time; the finishing one reschedules.
            return
        self._running[document.uri] = asyncio.ensure_future(self._analyse_in_worker(document))

    async def _analyse_in_worker(self, document: OpenDocument) -> None:
        version, generation = document.version, self._configuration.generation
        try:
            settings = self._configuration.settings_for(document.path)
            reason = skip_reason(document, settings)
            if reason is not None:
                self._store_skipped(document, version, generation, reason)
            else:
                snapshot = document.snapshot()
                loop = asyncio.get_running_loop()
                previous = self._analyses.get(document.uri)
                if previous is not None and (previous.generation != generation or previous.skip_reason is not None):
                    previous = None
                model = self._model.model
                result, diagnostics, seconds = await loop.run_in_executor(
                    self.worker, analyse_snapshot, snapshot, settings, document.path, model, self._encoding(), document.uri, version, previous)
                document.adopt(snapshot, result.tree)
                log.debug("analysed %s v%s in %.0f ms: %s", document.uri, version, seconds * 1000,
                          "the edited function and those linked to it" if result.by_function else "the whole file")
                self._store(document, version, generation, result, diagnostics, seconds=seconds, model=model)
                self._schedule_model_update(document)
        except Exception as error:
            log.exception("analysis of %s v%s failed", document.uri, version)
            self._release_waiters(document.uri, error)
        finally:
            self._running.pop(document.uri, None)
        if self._owners.get(document.uri) is document and not self.is_current(document) and document.uri not in self._timers:
            self.schedule(document, delay=0)

    def _store_skipped(self, document: OpenDocument, version: int | None, generation: int, reason: str) -> None:
        previous = self._analyses.get(document.uri)
        if previous is None or previous.skip_reason is None:  # once, not at every edit
            log.info("not analysing %s: %s", document.uri, reason)
        # Nothing was parsed: an empty result, over the bytes positions are read from.
        empty = AnalysisResult(document.source, None)
        self._store(document, version, generation, empty, [skipped_file_diagnostic(reason)], reason)

    def _schedule_model_update(self, document: OpenDocument) -> None:
        """Bring the workspace model up to date with ``document`` once edits pause: while
        someone types, summarising the file at every keystroke would cost more than the
        analysis it serves (the document's own findings come from its own tree meanwhile)."""
        if document.path is None or self._model.model is None:
            return
        timer = self._model_timers.pop(document.uri, None)
        if timer is not None:
            timer.cancel()
        loop = asyncio.get_running_loop()
        self._model_timers[document.uri] = loop.call_later(
            self.model_update_delay, lambda: asyncio.ensure_future(self._update_model(document)))

    async def _update_model(self, document: OpenDocument) -> None:
        self._model_timers.pop(document.uri, None)
        if self._owners.get(document.uri) is not document or skip_reason(document, self._configuration.settings_for(document.path)):
            return
        await self.update_model(document)
        self._reanalyse_dependents()

    async def update_model(self, document: OpenDocument) -> None:
        """Bring the workspace model up to date with the document's text, on the worker."""
        snapshot = document.snapshot()
        await asyncio.get_running_loop().run_in_executor(self.worker, self._update_model_from, document.path, snapshot)

    def _update_model_from(self, path, snapshot: Snapshot) -> None:
        self._model.document_changed(path, snapshot.data, snapshot.parsed())

    def _reanalyse_dependents(self) -> None:
        """After an edit reached the model: analyse again every open document whose findings
        rested on an answer of the model that is now different (an item it resolved, a use
        it read in the edited file). Checking costs a checksum per answer."""
        model = self._model.model
        for uri, analysis in list(self._analyses.items()):
            document = self._owners.get(uri)
            if document is None or model is None:
                continue
            if not model.still_answers(analysis.result.model_queries):
                log.debug("%s rested on answers of the workspace model that changed; analysing again", uri)
                self.schedule(document, delay=0, only_if_changed=True)

    def _store(self, document: OpenDocument, version: int | None, generation: int, result: AnalysisResult,
               diagnostics: list[types.Diagnostic], skipped_because: str | None = None, seconds: float = 0.0,
               model: WorkspaceModel | None = None) -> Analysis:
        for failure in result.rule_failures:
            log.error("rule %s failed on %s: %s\n%s", failure.code, document.uri, failure.error, failure.detail)
        analysis = Analysis(version, generation, result, diagnostics, skipped_because, seconds, model)
        owned = self._owners.get(document.uri) is document
        if owned and document.version == version and generation == self._configuration.generation:
            previous = self._analyses.get(document.uri)
            self._analyses[document.uri] = analysis
            document.forget_changes_through(version)
            if document.uri in self._answered_early:
                self._answered_early.discard(document.uri)
                if self._on_early_answer_superseded is not None:
                    self._on_early_answer_superseded(document)
            unchanged = previous is not None and previous.version == version and previous.diagnostics == diagnostics
            if not (document.uri in self._quiet_unless_changed and unchanged):
                self._on_analysed(document, analysis)
            self._quiet_unless_changed.discard(document.uri)
        else:
            log.debug("analysis of %s v%s finished after the document moved on", document.uri, version)
        self._release_waiters(document.uri)
        return analysis

    def _release_waiters(self, uri: str, error: Exception | None = None) -> None:
        for waiter in self._waiters.pop(uri, ()):
            if waiter.done():
                continue
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)

    async def current(self, document: OpenDocument) -> Analysis:
        """Wait for the scheduled analysis of the document's latest version.

        Waits through further edits, so a pull never answers for a stale version. With no
        analysis pending (the last one failed), one is scheduled: never run here, on the
        loop, where a large file would hold every other request.
        """
        while not self.is_current(document):
            pending = document.uri in self._timers or document.uri in self._held or document.uri in self._running
            if not pending:
                self.schedule(document, delay=0)
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.setdefault(document.uri, []).append(waiter)
            await waiter
        return self._analyses[document.uri]

    async def for_pull(self, document: OpenDocument, may_answer_early: bool) -> tuple[str, list[types.Diagnostic]]:
        """A pull's answer: (result id, diagnostics) of the latest version's analysis, or, when
        that is not done and will not be soon (``PROMPT_PULL_SECONDS``), the last analysis's
        diagnostics moved through the edits since, at once (a result id of their own, for
        this version). Only ``may_answer_early``: a client that cannot be asked to pull
        again would keep the moved diagnostics until its next edit."""
        if may_answer_early and not self.is_current(document):
            early = self._moved_answer(document)
            if early is not None:
                return early
        analysis = await self.current(document)
        return analysis.result_id, analysis.diagnostics

    def _moved_answer(self, document: OpenDocument) -> tuple[str, list[types.Diagnostic]] | None:
        previous = self._analyses.get(document.uri)
        generation = self._configuration.generation
        if previous is None or previous.generation != generation or previous.skip_reason is not None:
            return None
        if self.debounce_seconds + previous.seconds <= PROMPT_PULL_SECONDS:
            return None  # the analysis is as good as there
        moved = move_diagnostics(previous.diagnostics, document.changes_after(previous.version), self._encoding(), document.uri, document.version)
        if moved is None:
            return None
        self._answered_early.add(document.uri)
        return f"{document.version}:{generation}:moved-from-{previous.version}", moved

    def cached(self, uri: str) -> Analysis | None:
        return self._analyses.get(uri)

    def forget(self, uri: str) -> None:
        self._cancel_timer(uri)
        self._owners.pop(uri, None)
        self._held.pop(uri, None)
        self._analyses.pop(uri, None)
        self._answered_early.discard(uri)
        for waiter in self._waiters.pop(uri, ()):
            waiter.cancel()

    def _cancel_timer(self, uri: str) -> None:
        model_timer = self._model_timers.pop(uri, None)
        if model_timer is not None:
            model_timer.cancel()
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
