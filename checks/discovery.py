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
        # Each walked folder, as its files' ``path.parent``: (the folder with symlinks
        # resolved, which of the ``noted`` names it holds as files). Config resolution asks
        # both of every folder, and the walk's listings already answer.
        self.folders: dict[Path, tuple[Path, frozenset[str]]] = {}


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


def discover(paths: list[Path], exclude: tuple[str, ...], respect_gitignore: bool = True, noted: frozenset[str] = frozenset()) -> Discovery:
    """Expand ``paths`` into Rust files. Paths given explicitly are always read, even when
    ignored, as ruff does; missing paths are errors. Of each folder walked, ``folders`` says
    which of the ``noted`` file names it holds."""
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
        _walk(given, exclude_spec, respect_gitignore, noted, found, seen)
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


def _walk(root: Path, exclude_spec: pathspec.PathSpec, respect_gitignore: bool, noted: frozenset[str], found: Discovery, seen: set[Path]) -> None:
    """The files ``os.walk`` would list, in its order, read with one ``scandir`` a folder and
    matched as strings: on a deep tree, a ``pathlib`` object and a stat per file and per
    ignore check took most of a warm run."""
    root_absolute = root.absolute()
    root_prefix = _folder_prefix(root_absolute.as_posix())
    # The walk never enters a symlinked folder: below the root, a folder's real path is the
    # root's followed by the names walked.
    root_resolved = _folder_prefix(os.path.realpath(root))
    # Each .gitignore in force, as (its folder's absolute path ending in "/", its patterns).
    ignore_stack: list[tuple[str, pathspec.PathSpec]] = []
    if respect_gitignore:
        for ancestor in reversed(root_absolute.parents):
            spec = _gitignore_spec(ancestor)
            if spec is not None:
                ignore_stack.append((_folder_prefix(ancestor.as_posix()), spec))

    def ignored(relative: str, is_dir: bool) -> bool:
        marked = relative + "/" if is_dir else relative
        if exclude_spec.match_file(marked):
            return True
        absolute = root_prefix + marked
        # As git reads them: the deepest .gitignore with a pattern for the path decides (a
        # `!name` there takes back what a folder above ignored).
        for base, spec in reversed(ignore_stack):
            if absolute.startswith(base):
                verdict = spec.check_file(absolute[len(base):]).include
                if verdict is not None:
                    return verdict
        return False

    folders = [(os.fspath(root), "", len(ignore_stack))]
    while folders:
        directory, relative, ignores_in_force = folders.pop()
        del ignore_stack[ignores_in_force:]  # those of the folders walked since, which do not hold this one
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except OSError as error:
            found.errors.append((Path(error.filename or root), error.strerror or str(error)))
            continue
        if respect_gitignore and any(entry.name == ".gitignore" for entry in entries):
            spec = _gitignore_spec(Path(directory))
            if spec is not None:
                ignore_stack.append((root_prefix + relative, spec))
        subfolders, files = [], []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            (subfolders if is_dir else files).append(entry)
        noted_here = frozenset(entry.name for entry in files if entry.name in noted and _is_file(entry))
        found.folders[Path(directory)] = (Path(root_resolved + relative), noted_here)
        for entry in sorted(files, key=_name):
            if not entry.name.endswith(".rs") or ignored(relative + entry.name, False):
                continue
            path = Path(directory, entry.name)
            if entry.is_symlink() and not os.path.exists(entry.path):
                found.errors.append((path, _dangling_link_problem(path)))
                continue
            _add(found, seen, path)
        walked = [entry for entry in sorted(subfolders, key=_name) if entry.name != ".git" and not ignored(relative + entry.name, True)]
        # Never into a symlinked folder, as ``os.walk`` by default; depth first, in name order.
        for entry in reversed(walked):
            if not entry.is_symlink():
                folders.append((os.path.join(directory, entry.name), relative + entry.name + "/", len(ignore_stack)))


def _is_file(entry: os.DirEntry) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def _name(entry: os.DirEntry) -> str:
    return entry.name


def _folder_prefix(posix_path: str) -> str:
    return posix_path if posix_path.endswith("/") else posix_path + "/"
