"""Analysing many files, or fixing them, in forked worker processes.

Work is handed over by fork inheritance rather than pickling: the parent stores the task (a
function of an item's index, holding the pending files) in a module global before the pool
forks, and a task names only an index range, so the file bytes never cross a pipe. Results come back packed (``PackedOutcome``: findings
pickled once, in the worker, plus the output's rendering of them, made there too), so the
parent decodes no finding unless something asks for them. Ranges are balanced by bytes, a
few per worker, so one large file does not leave the other workers idle at the end.
"""

from __future__ import annotations

import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .batch import FileOutcome, FileReport, PackedOutcome, Rendering, SettledFile, analyse_file, settle_file
from .config import Settings

if TYPE_CHECKING:
    from .workspace import WorkspaceModel

RANGES_PER_WORKER = 4

# What each worker runs on the index of an inherited item: set before the pool forks.
_inherited_task: Callable[[int], object] | None = None


def _die_on_interrupt() -> None:
    """In each worker: Ctrl-C (sent to the whole process group) ends the worker at once and
    silently; the parent alone reports the interruption."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _run_range(bounds: tuple[int, int]) -> list:
    start, end = bounds
    return [_inherited_task(index) for index in range(start, end)]


def byte_balanced_ranges(sizes: list[int], count: int) -> list[tuple[int, int]]:
    """Split ``sizes`` into at most ``count`` contiguous ranges of similar total size."""
    total = sum(sizes) or 1
    target = total / max(1, count)
    ranges: list[tuple[int, int]] = []
    start = 0
    accumulated = 0
    for index, size in enumerate(sizes):
        accumulated += size
        if accumulated >= target * (len(ranges) + 1) and index + 1 < len(sizes):
            ranges.append((start, index + 1))
            start = index + 1
    ranges.append((start, len(sizes)))
    return ranges


def analyse_in_workers(work: list[tuple[Path, bytes, Settings]], jobs: int, on_done: Callable[[int], None],
                       rendering: Rendering | None = None, workspace: "WorkspaceModel | None" = None) -> list[PackedOutcome]:
    """Analyse ``work`` in ``jobs`` processes (against ``workspace``, which the workers
    inherit), rendered by ``rendering`` when given; results are in input order."""

    def analyse(index: int) -> PackedOutcome:
        path, data, settings = work[index]
        return _packed(path, data, settings, analyse_file(data, settings, path, workspace=workspace), rendering)

    return _in_workers(analyse, [len(data) for _, data, _ in work], jobs, on_done)


def settle_in_workers(file_reports: list[FileReport], unsafe: bool, jobs: int, rendering: Rendering | None = None,
                      workspace: "WorkspaceModel | None" = None) -> list[SettledFile]:
    """Fix each of ``file_reports`` until its fixes settle (``checks.batch.settle_file``) in
    ``jobs`` processes, what remains packed and rendered as analysis is; results are in
    input order."""

    def settle(index: int) -> SettledFile:
        file_report = file_reports[index]
        settled = settle_file(file_report, unsafe, workspace)
        if settled.outcome is None:
            return settled
        return settled._replace(outcome=_packed(file_report.path, settled.data, file_report.settings, settled.outcome, rendering))

    return _in_workers(settle, [len(file_report.source.data) for file_report in file_reports], jobs, lambda done: None)


def _packed(path: Path, data: bytes, settings: Settings, outcome: FileOutcome, rendering: Rendering | None) -> PackedOutcome:
    packed = PackedOutcome.pack(outcome)
    if rendering is not None and outcome.findings:
        FileReport(path, data, settings, outcome, packed).rendered(rendering)
    return packed


def _in_workers(task: Callable[[int], object], sizes: list[int], jobs: int, on_done: Callable[[int], None]) -> list:
    """``task`` on every index of ``sizes`` (the items' sizes), in ``jobs`` processes. A range
    whose worker died runs here instead, so a crash costs time, not results."""
    global _inherited_task
    _inherited_task = task
    results: list = [None] * len(sizes)
    done = 0
    ranges = byte_balanced_ranges(sizes, jobs * RANGES_PER_WORKER)
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"), initializer=_die_on_interrupt) as pool:
            futures = {pool.submit(_run_range, bounds): bounds for bounds in ranges}
            for future in as_completed(futures):
                start, end = futures[future]
                try:
                    outcomes = future.result()
                except Exception:  # a dead worker (BrokenProcessPool) or a pickling failure
                    outcomes = _run_range((start, end))
                results[start:end] = outcomes
                done += end - start
                on_done(done)
    finally:
        _inherited_task = None
    return results
