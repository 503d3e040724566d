"""Unified diffs of what ``--fix`` would change (``--diff``), byte-faithful where it matters.

Lines are split keeping their endings, so a CRLF file's diff shows CRLF lines and a missing
final newline is marked as ``diff`` marks it.
"""

from __future__ import annotations

import difflib

from ..checks.batch import FixedFile
from . import display_path

NO_NEWLINE_MARKER = "\\ No newline at end of file\n"


def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8", errors="surrogateescape").splitlines(keepends=True)


def render_fixed_file(fixed: FixedFile) -> str:
    path = display_path(fixed.path)
    chunks = []
    for line in difflib.unified_diff(_lines(fixed.original), _lines(fixed.fixed), fromfile=f"a/{path}", tofile=f"b/{path}"):
        chunks.append(line if line.endswith("\n") else line + "\n" + NO_NEWLINE_MARKER)
    return "".join(chunks).encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")


def render(fixed_files: list[FixedFile]) -> str:
    return "".join(render_fixed_file(fixed) for fixed in fixed_files)
