"""File URIs and paths, spelled the way pygls (and so the documents' URIs) spell them."""

from __future__ import annotations

from pathlib import Path

from pygls.uris import from_fs_path, to_fs_path


def path_uri(path: Path) -> str:
    return from_fs_path(str(path)) or path.as_uri()


def uri_path(uri: str) -> Path | None:
    """The local path of a ``file:`` URI; None for other schemes (``untitled:`` buffers)."""
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return Path(path) if path else None
