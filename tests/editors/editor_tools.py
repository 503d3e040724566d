"""Finding the real editors and the isolint server for the editor tests.

`scripts/editors/install.sh` installs them into a cache outside the clone and prints
`NAME=path` lines; `scripts/editors/ci.sh` exports those as environment variables. Outside
CI a test whose editor is missing is skipped; in CI (`CI=true`) it fails, because a
skipped editor test there would hide a broken install.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
EDITORS_CACHE = Path(os.environ.get("ISOLINT_EDITORS_CACHE", "/var/cache/isolint-editors"))
PLAYWRIGHT_CORE_VERSION = "1.55.0"  # the version scripts/editors/install.sh installs


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def missing_tool(what: str) -> None:
    message = f"{what} is not installed; run scripts/editors/install.sh"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def tool_path(env_var: str, cached: list[Path], on_path: str | None = None) -> Path | None:
    """The tool named by ``env_var``, else the first existing cached path, else one on PATH."""
    if os.environ.get(env_var):
        named = Path(os.environ[env_var])
        return named if named.exists() else None
    for candidate in cached:
        if candidate.exists():
            return candidate
    found = shutil.which(on_path) if on_path else None
    return Path(found) if found else None


def playwright_core_path() -> Path | None:
    return tool_path(
        "PLAYWRIGHT_CORE", [EDITORS_CACHE / f"playwright-core-{PLAYWRIGHT_CORE_VERSION}" / "node_modules" / "playwright-core"]
    )


def isolint_server_command() -> list[str]:
    """`isolint server` from the Python environment running the tests: the user's entry point."""
    script = Path(sys.executable).parent / "isolint"
    if script.exists():
        return [str(script), "server"]
    return [sys.executable, "-m", "isolint", "server"]
