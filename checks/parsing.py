"""The one place that knows which tree-sitter grammar isolint uses."""

from __future__ import annotations

import threading
from functools import lru_cache

import tree_sitter
import tree_sitter_rust

from .query_batch import RootQueryBatch, query_captures, query_matches

RUST = tree_sitter.Language(tree_sitter_rust.language())


def new_parser() -> tree_sitter.Parser:
    """A fresh parser; parsers are not thread-safe, so each worker or document owns one."""
    return tree_sitter.Parser(RUST)


# A larger input is parsed a chunk of this size at a time (see ``parse``).
PARSE_CHUNK_BYTES = 64 * 1024
_parsers = threading.local()


def parse(data: bytes, old_tree: tree_sitter.Tree | None = None) -> tree_sitter.Tree:
    """Parse Rust bytes, reusing ``old_tree`` (already ``edit``-ed) for an incremental parse.

    py-tree-sitter holds the GIL for the whole of a parse from bytes: on a large file that is
    seconds in which no other thread runs (the language server's event loop among them). So
    a whole parse of a large input reads it through a callback a chunk at a time, and between
    chunks Python runs, and other threads with it. A tree parsed that way keeps the callback
    to read node texts through; parsing the bytes again from that tree, with no edit, reuses
    all of it and gives a tree that reads them from the bytes. A reparse after an edit reuses
    the old tree where the edit did not reach, and reads the bytes at once: py-tree-sitter
    0.26 keeps a reference to every chunk a callback returns, so a callback at each keystroke
    would hold on to one and a half copies of the document per keystroke. As a parse can be
    interrupted, each thread has its own parser."""
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        parser = _parsers.parser = new_parser()
    if old_tree is not None:
        return parser.parse(data, old_tree)
    if len(data) <= PARSE_CHUNK_BYTES:
        return parser.parse(data)

    def chunk_at(offset: int, _point) -> bytes:
        return data[offset:offset + PARSE_CHUNK_BYTES]

    return parser.parse(data, parser.parse(chunk_at))


@lru_cache(maxsize=None)
def query(source: str) -> tree_sitter.Query:
    """Compile a tree-sitter query once per process."""
    return tree_sitter.Query(RUST, source)


_whole_file_queries = RootQueryBatch(RUST, query)


def prepare_whole_file_queries(query_sources) -> None:
    """Before rules run on a tree: the whole-file queries they will ask for (``Rule.queries``)
    join the combined query, compiled with it and never alone."""
    _whole_file_queries.prepare(query_sources)


def leave_out_of_whole_file_queries(root: tree_sitter.Node | None, ranges: list[tuple[int, int]]) -> None:
    """On this thread, the whole-file queries of rules on ``root``'s tree leave out the
    matches with a node starting in one of ``ranges`` (sorted, apart); ``root`` None: no
    more (``checks.function_edits``: the functions an edit does not reach)."""
    _whole_file_queries.leave_out(root, ranges)


def _is_root(node: tree_sitter.Node) -> bool:
    # By its type, which the grammar gives the root alone: `Node.parent` descends from the
    # root, a cost that grows with the depth of a subtree queried on its own.
    return node.type == "source_file"


def captures(query_source: str, node: tree_sitter.Node) -> dict[str, list[tree_sitter.Node]]:
    if _is_root(node):  # whole-file queries of all rules share one tree walk
        return _whole_file_queries.captures(query_source, node)
    return query_captures(query(query_source), query_source, node, query)


def matches(query_source: str, node: tree_sitter.Node):
    if _is_root(node):
        return _whole_file_queries.matches(query_source, node)
    return query_matches(query(query_source), query_source, node, query)
