"""The installed layout of a source tree, for running a checkout without installing it.

The wheel installs ``checks/`` and ``lsp_server/`` inside ``isolint/`` (pyproject's
package-dir); a copy in that shape on ``PYTHONPATH`` runs exactly that tree's code, whatever
isolint the interpreter has installed. Checkouts from before the move ran from their root."""

from __future__ import annotations

import shutil
from pathlib import Path

INNER_PACKAGES = ("checks", "lsp_server")


def installed_layout(source_root: Path, into: Path) -> Path:
    """Copy ``source_root``'s packages into ``into`` as they are installed; returns the folder
    to put on ``PYTHONPATH``."""
    skip = shutil.ignore_patterns("__pycache__")
    into.mkdir(parents=True, exist_ok=True)
    nested = "package-dir" in (source_root / "pyproject.toml").read_text()
    shutil.copytree(source_root / "isolint", into / "isolint", ignore=skip, dirs_exist_ok=True)
    for package in INNER_PACKAGES:
        target = into / "isolint" / package if nested else into / package
        shutil.copytree(source_root / package, target, ignore=skip, dirs_exist_ok=True)
    return into
