"""Analysing many files in forked worker processes.

Work is handed over by fork inheritance rather than pickling: the parent stores the pending
files in a module global before the pool forks, and a task names only an index range, so the
file bytes never cross a pipe. Results come back packed (``PackedOutcome``: findings
pickled once, in the worker, plus the output's rendering of them, made there too), so the
parent decodes no finding unless something asks for them. Ranges are balanced by bytes, a
few per worker, so one large file does not leave the other workers idle at the end.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Callable

from checks.batch import FileReport, PackedOutcome, Rendering, analyse_file
from checks.config import Settings

RANGES_PER_WORKER = 4

_inherited_work: list[tuple[Path, bytes, Settings]] = []
_inherited_rendering: Rendering | None = None


def _analyse_range(bounds: tuple[int, int]) -> list[PackedOutcome]:
    start, end = bounds
    packed_outcomes = []
    for path, data, settings in _inherited_work[start:end]:
        outcome = analyse_file(data, settings, path)
        packed = PackedOutcome.pack(outcome)
        if _inherited_rendering is not None and outcome.findings:
            FileReport(path, data, settings, outcome, packed).rendered(_inherited_rendering)
        packed_outcomes.append(packed)
    return packed_outcomes


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
                       rendering: Rendering | None = None) -> list[PackedOutcome]:
    """Analyse ``work`` in ``jobs`` processes, rendered by ``rendering`` when given; results
    are in input order. A range whose worker died is analysed here instead, so a crash costs
    time, not results."""
    global _inherited_work, _inherited_rendering
    _inherited_work, _inherited_rendering = work, rendering
    results: list[PackedOutcome | None] = [None] * len(work)
    done = 0
    ranges = byte_balanced_ranges([len(data) for _, data, _ in work], jobs * RANGES_PER_WORKER)
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = {pool.submit(_analyse_range, bounds): bounds for bounds in ranges}
            for future in as_completed(futures):
                start, end = futures[future]
                try:
                    outcomes = future.result()
                except Exception:  # a dead worker (BrokenProcessPool) or a pickling failure
                    outcomes = _analyse_range((start, end))
                results[start:end] = outcomes
                done += end - start
                on_done(done)
    finally:
        _inherited_work, _inherited_rendering = [], None
    return results  # type: ignore[return-value]
