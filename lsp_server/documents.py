"""Open documents: our own byte buffer and an incrementally edited tree-sitter tree.

pygls's text documents are not used: tree-sitter needs exact byte offsets and points for
``Tree.edit``, so the bytes we parse are the single source of truth for positions.

The server parses off the event loop: a ``Snapshot`` (the bytes and a copy of the tree)
goes to the worker, which parses it, and the document adopts the new tree if no edit came
in the meantime.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from tree_sitter import Tree

from ..checks.parsing import parse
from ..checks.source import SourceText

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TextChange:
    """One LSP content change: a range in ``encoding`` units (None = whole document)."""

    text: str
    start: tuple[int, int] | None = None  # (line, character)
    end: tuple[int, int] | None = None


def encode_text(text: str) -> bytes:
    # JSON can carry lone surrogates; keep them byte-for-byte rather than failing the edit.
    return text.encode("utf-8", errors="surrogatepass")


class Snapshot(NamedTuple):
    """A document's bytes and a copy of its tree, its own to parse and read on another
    thread while the loop goes on editing the document."""

    data: bytes
    tree: Tree | None  # None: never parsed (or replaced whole)
    tree_is_current: bool  # False: the tree carries edits made since it was parsed

    def parsed(self) -> Tree:
        """The tree of ``data``: reparsed incrementally from the edited tree when needed."""
        if self.tree is not None and self.tree_is_current:
            return self.tree
        return parse(self.data, self.tree)


@dataclass
class OpenDocument:
    uri: str
    path: Path | None
    version: int
    data: bytes
    _tree: Tree | None = None
    # True when the tree has been edited but not reparsed yet.
    _tree_stale: bool = True
    _source: SourceText | None = field(default=None, repr=False)
    # The content changes applied since the last analysis the linter kept, each with the
    # version it led to: what an earlier analysis's diagnostics are moved through.
    _changes: list[tuple[int, TextChange]] = field(default_factory=list, repr=False)

    @property
    def source(self) -> SourceText:
        if self._source is None or self._source.data is not self.data:
            self._source = SourceText(self.data)
        return self._source

    @property
    def tree(self) -> Tree:
        """The tree of the current bytes, reparsed here with the edited old tree when needed
        (the server itself parses snapshots, on its worker)."""
        if self._tree is None:
            self._tree = parse(self.data)
        elif self._tree_stale:
            self._tree = parse(self.data, self._tree)
        self._tree_stale = False
        return self._tree

    def snapshot(self) -> Snapshot:
        tree = self._tree.copy() if self._tree is not None else None
        return Snapshot(self.data, tree, tree is not None and not self._tree_stale)

    def adopt(self, snapshot: Snapshot, tree: Tree) -> None:
        """Keep ``tree``, parsed from ``snapshot``, if the document has not changed since; a
        copy, as the document's own tree is edited in place while analyses read theirs."""
        if self.data is snapshot.data and (self._tree is None or self._tree_stale):
            self._tree = tree.copy()
            self._tree_stale = False

    def record_changes(self, version: int, changes: list[TextChange]) -> None:
        """Log the changes (already applied) that led to ``version``."""
        self._changes.extend((version, change) for change in changes)

    def changes_after(self, version: int | None) -> list[TextChange]:
        """The changes applied since ``version``, in order."""
        return [change for led_to, change in self._changes if version is None or led_to > version]

    def forget_changes_through(self, version: int | None) -> None:
        self._changes = [(led_to, change) for led_to, change in self._changes if version is not None and led_to > version]

    def apply(self, change: TextChange, encoding: str) -> None:
        """Apply one content change to the bytes and edit the tree to match.

        Positions outside the text clamp to its end (and past a line's end to that line's
        end), as the LSP specification asks; a reversed range is treated as empty.
        """
        new_bytes = encode_text(change.text)
        if change.start is None or change.end is None:
            self.data = new_bytes
            self._tree = None
            return
        source = self.source
        start = source.byte_offset(change.start[0], change.start[1], encoding)
        end = source.byte_offset(change.end[0], change.end[1], encoding)
        if end < start:
            log.warning("%s: change range ends before it starts; treating it as an insertion", self.uri)
            end = start
        start_point = source.point_of(start)
        old_end_point = source.point_of(end)
        self.data = self.data[:start] + new_bytes + self.data[end:]
        if self._tree is not None:
            self._tree.edit(
                start_byte=start,
                old_end_byte=end,
                new_end_byte=start + len(new_bytes),
                start_point=start_point,
                old_end_point=old_end_point,
                new_end_point=_end_point(start_point, new_bytes),
            )
            self._tree_stale = True


def _end_point(start: tuple[int, int], inserted: bytes) -> tuple[int, int]:
    newlines = inserted.count(b"\n")
    if newlines == 0:
        return start[0], start[1] + len(inserted)
    return start[0] + newlines, len(inserted) - inserted.rfind(b"\n") - 1


class DocumentStore:
    """The documents the client has opened, by URI."""

    def __init__(self) -> None:
        self._documents: dict[str, OpenDocument] = {}

    def open(self, uri: str, path: Path | None, version: int, text: str) -> OpenDocument:
        document = OpenDocument(uri, path, version, encode_text(text))
        self._documents[uri] = document
        return document

    def get(self, uri: str) -> OpenDocument | None:
        return self._documents.get(uri)

    def close(self, uri: str) -> OpenDocument | None:
        return self._documents.pop(uri, None)

    def __iter__(self):
        return iter(list(self._documents.values()))

    def __contains__(self, uri: str) -> bool:
        return uri in self._documents
