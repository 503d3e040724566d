"""Which files a batch run reads: ``.rs`` files under the given paths, minus ignores.

Honours ``.gitignore`` files (root and nested) and the config's exclude globs; never follows
directory symlinks, so symlink loops cannot trap the walk.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pathspec


class Discovery:
    def __init__(self) -> None:
        self.files: list[Path] = []
        self.errors: list[tuple[Path, str]] = []


def _gitignore_spec(directory: Path) -> pathspec.PathSpec | None:
    import pathspec

    ignore_file = directory / ".gitignore"
    if not ignore_file.is_file():
        return None
    try:
        lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _exclude_spec(patterns: tuple[str, ...]) -> pathspec.PathSpec:
    import pathspec  # only folder walks need it; `isolint check one.rs` does not pay for it

    return pathspec.GitIgnoreSpec.from_lines(patterns)


def discover(paths: list[Path], exclude: tuple[str, ...], respect_gitignore: bool = True) -> Discovery:
    """Expand ``paths`` into Rust files. Paths given explicitly are always read, even when
    ignored, as ruff does; missing paths are errors."""
    found = Discovery()
    exclude_spec = None
    seen: set[Path] = set()
    for given in paths:
        if given.is_file():
            _add(found, seen, given)
            continue
        if not given.exists():
            reason = _dangling_link_problem(given) if given.is_symlink() else "no such file or directory"
            found.errors.append((given, reason))
            continue
        if exclude_spec is None:
            exclude_spec = _exclude_spec(exclude)
        _walk(given, exclude_spec, respect_gitignore, found, seen)
    return found


def _dangling_link_problem(path: Path) -> str:
    """Why a symlink leads nowhere: a loop of links, or a target that does not exist."""
    try:
        os.stat(path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "symlink loop"
    return "broken symlink"


def _add(found: Discovery, seen: set[Path], path: Path) -> None:
    key = path.absolute()
    if key not in seen:
        seen.add(key)
        found.files.append(path)


def _walk(root: Path, exclude_spec: pathspec.PathSpec, respect_gitignore: bool, found: Discovery, seen: set[Path]) -> None:
    ignore_stack: list[tuple[Path, pathspec.PathSpec]] = []
    if respect_gitignore:
        for ancestor in reversed([root, *root.absolute().parents]):
            spec = _gitignore_spec(ancestor)
            if spec is not None:
                ignore_stack.append((ancestor.absolute(), spec))

    def ignored(path: Path, is_dir: bool) -> bool:
        relative = path.relative_to(root).as_posix() + ("/" if is_dir else "")
        if exclude_spec.match_file(relative):
            return True
        absolute = path.absolute()
        for base, spec in ignore_stack:
            try:
                inner = absolute.relative_to(base).as_posix() + ("/" if is_dir else "")
            except ValueError:
                continue
            if spec.match_file(inner):
                return True
        return False

    def on_error(error: OSError) -> None:
        found.errors.append((Path(error.filename or root), error.strerror or str(error)))

    for directory, dirnames, filenames in os.walk(root, onerror=on_error):
        current = Path(directory)
        if respect_gitignore and current != root:
            spec = _gitignore_spec(current)
            if spec is not None:
                ignore_stack.append((current.absolute(), spec))
        dirnames[:] = sorted(d for d in dirnames if d != ".git" and not ignored(current / d, True))
        for name in sorted(filenames):
            if not name.endswith(".rs"):
                continue
            path = current / name
            if ignored(path, False):
                continue
            if path.is_symlink() and not path.exists():
                found.errors.append((path, _dangling_link_problem(path)))
                continue
            _add(found, seen, path)
