"""The progress bar: drawn on a terminal for long runs, never when piped or in CI."""

from __future__ import annotations

import io

from isolint import progress
from isolint.progress import ProgressBar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _bar_on_terminal(monkeypatch, clock: _Clock) -> tuple[ProgressBar, _Terminal]:
    terminal = _Terminal()
    monkeypatch.setattr(progress.time, "monotonic", clock)
    monkeypatch.setattr(progress.sys, "stderr", terminal)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    return ProgressBar.for_stderr(), terminal


def test_long_run_on_a_terminal_draws_and_clears(monkeypatch):
    clock = _Clock()
    bar, terminal = _bar_on_terminal(monkeypatch, clock)
    bar.update(1, 40)
    assert terminal.getvalue() == ""  # short runs finish before a bar would be readable
    clock.now += progress.SHOW_AFTER_SECONDS + 0.01
    bar.update(10, 40)
    assert terminal.getvalue().endswith("] 10/40 files")
    bar.update(11, 40)  # within the redraw interval: nothing new
    assert terminal.getvalue().count("files") == 1
    bar.update(40, 40)  # the last update always draws
    assert terminal.getvalue().endswith(f"[{'#' * progress.BAR_WIDTH}] 40/40 files")
    bar.finish()
    assert terminal.getvalue().endswith("\r\033[K")


def test_no_bar_in_ci_or_when_quiet(monkeypatch):
    clock = _Clock()
    bar, terminal = _bar_on_terminal(monkeypatch, clock)
    monkeypatch.setenv("CI", "true")
    in_ci = ProgressBar.for_stderr()
    quiet = ProgressBar.for_stderr(enabled=False)
    clock.now += 10
    for each in (in_ci, quiet):
        each.update(5, 10)
        each.finish()
    assert terminal.getvalue() == ""


def test_no_bar_when_stderr_is_not_a_terminal(monkeypatch):
    piped = io.StringIO()
    monkeypatch.setattr(progress.sys, "stderr", piped)
    monkeypatch.delenv("CI", raising=False)
    bar = ProgressBar.for_stderr()
    monkeypatch.setattr(progress.time, "monotonic", lambda: 1e9)
    bar.update(5, 10)
    bar.finish()
    assert piped.getvalue() == ""
