"""A progress line on stderr for long runs on a terminal; silent when piped or in CI."""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

# Short runs finish before a bar would be readable; only runs lasting longer get one.
SHOW_AFTER_SECONDS = 0.5
REDRAW_EVERY_SECONDS = 0.1
BAR_WIDTH = 30


class ProgressBar:
    def __init__(self, stream: TextIO | None):
        self._stream = stream
        self._started = time.monotonic()
        self._last_draw = 0.0
        self._drawn = False

    @classmethod
    def for_stderr(cls, enabled: bool = True) -> "ProgressBar":
        """A bar on stderr if it is a terminal outside CI, else one that draws nothing."""
        stream = sys.stderr
        interactive = enabled and stream.isatty() and not os.environ.get("CI") and os.environ.get("TERM") != "dumb"
        return cls(stream if interactive else None)

    def update(self, done: int, total: int) -> None:
        if self._stream is None or total == 0:
            return
        now = time.monotonic()
        if now - self._started < SHOW_AFTER_SECONDS or (now - self._last_draw < REDRAW_EVERY_SECONDS and done < total):
            return
        self._last_draw = now
        filled = BAR_WIDTH * done // total
        self._stream.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} files")
        self._stream.flush()
        self._drawn = True

    def finish(self) -> None:
        if self._drawn and self._stream is not None:
            self._stream.write("\r\033[K")
            self._stream.flush()
