"""Unified diffs of what ``--fix`` would change (``--diff``), byte-faithful where it matters.

Lines are split as ``diff`` and ``patch`` split them, at ``\n`` only, keeping their endings:
a CRLF file's diff shows CRLF lines, a CR-only file is one line, and a missing final newline
is marked as ``diff`` marks it, so hunk headers count what ``patch`` and ``git apply`` count.
"""

from __future__ import annotations

import difflib

from ..checks.batch import FixedFile
from . import display_path

NO_NEWLINE_MARKER = "\\ No newline at end of file\n"


def _lines(data: bytes) -> list[str]:
    # Not str.splitlines: it also ends lines at a lone CR, form feed, U+2028 and others,
    # which would put a "No newline" marker in mid-hunk and make the diff unappliable.
    pieces = data.decode("utf-8", errors="surrogateescape").split("\n")
    lines = [piece + "\n" for piece in pieces[:-1]]
    return lines + [pieces[-1]] if pieces[-1] else lines


def render_fixed_file(fixed: FixedFile) -> str:
    path = display_path(fixed.path)
    chunks = []
    for line in difflib.unified_diff(_lines(fixed.original), _lines(fixed.fixed), fromfile=f"a/{path}", tofile=f"b/{path}"):
        chunks.append(line if line.endswith("\n") else line + "\n" + NO_NEWLINE_MARKER)
    return "".join(chunks).encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")


def render(fixed_files: list[FixedFile]) -> str:
    return "".join(render_fixed_file(fixed) for fixed in fixed_files)
