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
    mode = stat.S_IMODE(os.stat(target).st_mode)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".isolint-tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
