"""Replacing a file's contents the safe way: only if unchanged since read, atomically, with
its permissions kept.

A temporary file in the same directory is written, flushed and renamed over the original,
so a reader never sees half a file and a crash leaves either the old or the new contents.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


class FileChangedSinceRead(Exception):
    """The file on disk is no longer the bytes the fixes were computed from."""


def replace_contents(path: Path, data: bytes, expected: bytes) -> None:
    """Write ``data`` to ``path`` if it still holds ``expected``; raise
    ``FileChangedSinceRead`` otherwise. A symlink is followed, so the link stays a link."""
    target = path.resolve() if path.is_symlink() else path
    if target.read_bytes() != expected:
        raise FileChangedSinceRead(str(path))
    write_atomically(target, data, stat.S_IMODE(os.stat(target).st_mode))


def write_atomically(target: Path, data: bytes, mode: int | None = None) -> None:
    """Replace or create ``target`` with ``data`` through a temporary file and a rename;
    ``mode`` sets the permissions (the temporary file's default otherwise)."""
    handle, temporary = tempfile.mkstemp(dir=target.absolute().parent, prefix=f".{target.name}.", suffix=".isolint-tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
