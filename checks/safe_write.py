"""Replacing a file's contents the safe way: only if unchanged since read, only if the file
may be written, and keeping what the file is besides its bytes (mode, owner, group, links).

Usually a temporary file in the same directory is written, flushed and renamed over the
original, so a reader never sees half a file and a crash leaves either the old or the new
contents. A rename makes a new file, though: it would split a hard-linked file from its
other names, and it would give the file to whoever runs the fix. So a file with more than
one link, or whose owner or group the new file cannot be given, is rewritten in place
instead, through a descriptor its bytes are checked through first.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path


class FileChangedSinceRead(Exception):
    """The file on disk is no longer the bytes the fixes were computed from."""


class FileNotWritable(Exception):
    """The file may not be written by whoever runs the fix (read-only mode, read-only file
    system, immutable attribute); it is left as it is."""

    def __init__(self, path: Path, error: OSError):
        super().__init__(f"{path}: {error.strerror or error}")
        self.reason = error.strerror or str(error)


class _OwnerNotKept(Exception):
    """The temporary file could not be given the original's owner and group."""


def replace_contents(path: Path, data: bytes, expected: bytes) -> None:
    """Write ``data`` to ``path`` if it still holds ``expected``; raise
    ``FileChangedSinceRead`` otherwise, and ``FileNotWritable`` when the file may not be
    written. A symlink is followed, so the link stays a link."""
    target = path.resolve() if path.is_symlink() else path
    with _open_for_writing(target, path) as stream:
        _check_unchanged(stream, expected, path)
        info = os.fstat(stream.fileno())
        if info.st_nlink > 1:
            _write_in_place(stream, data)
            return
    # Closed before the rename: Windows cannot replace a file that is open elsewhere.
    try:
        write_atomically(target, data, stat.S_IMODE(info.st_mode), owner=(info.st_uid, info.st_gid))
    except _OwnerNotKept:
        # Ours to write, not ours to give away: in place, checked again, as it may have
        # changed while the temporary file was written.
        with _open_for_writing(target, path) as stream:
            _check_unchanged(stream, expected, path)
            _write_in_place(stream, data)


def _open_for_writing(target: Path, path: Path):
    """``target`` opened to read and write, without truncating it. Opening for writing is
    the permission check: the kernel answers for what a write may do, so a file whose mode
    forbids writing is left alone, although its directory would let a rename replace it."""
    try:
        return os.fdopen(os.open(target, os.O_RDWR), "r+b")
    except OSError as error:
        if isinstance(error, PermissionError) or error.errno == errno.EROFS:
            raise FileNotWritable(path, error) from error
        raise


def _check_unchanged(stream, expected: bytes, path: Path) -> None:
    if stream.read() != expected:
        raise FileChangedSinceRead(str(path))


def _write_in_place(stream, data: bytes) -> None:
    """Overwrite an open file's contents: the inode, and so its links, owner, mode and any
    extended attributes, stay the same. Not atomic: a crash mid-write can leave a mix."""
    stream.seek(0)
    stream.write(data)
    stream.truncate()
    stream.flush()
    os.fsync(stream.fileno())


def write_atomically(target: Path, data: bytes, mode: int | None = None, owner: tuple[int, int] | None = None) -> None:
    """Replace or create ``target`` with ``data`` through a temporary file and a rename;
    ``mode`` sets the permissions (the temporary file's default otherwise), ``owner`` the
    (uid, gid) the new file must have: ``_OwnerNotKept`` is raised, and nothing replaced,
    when it cannot be given them."""
    handle, temporary = tempfile.mkstemp(dir=target.absolute().parent, prefix=f".{target.name}.", suffix=".isolint-tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            if owner is not None:
                _give_owner(stream.fileno(), owner)
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temporary, mode)  # after chown, which may clear set-id bits
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _give_owner(descriptor: int, owner: tuple[int, int]) -> None:
    """Give the new file the original's owner and group: root may give any; anyone may give
    a group they belong to. ``_OwnerNotKept`` when the kernel refuses."""
    current = os.fstat(descriptor)
    if (current.st_uid, current.st_gid) == owner:
        return
    try:
        os.fchown(descriptor, *owner)
    except PermissionError as error:
        raise _OwnerNotKept() from error
