"""Output formats for ``isolint check``; each renders a ``BatchReport`` to text."""

from __future__ import annotations

import os
from pathlib import Path


def display_path(path: Path) -> str:
    """Relative to the working directory when below it, with forward slashes."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        relative = str(path)
    if relative.startswith(".."):
        relative = str(path)
    return Path(relative).as_posix()
