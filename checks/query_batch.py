"""One tree walk for all rules' whole-file queries (ast-grep's combined rules, in spirit).

Every rule finds candidates with its own query over the whole file; run separately, each
query walks the whole tree, and the walks cost several times the parse. Here the queries
that rules announce before they run (``prepare``: ``Rule.queries`` of the rules that may
fire on the file) and those that recur over files are compiled into one query with many
patterns, run once per tree, and each caller gets exactly the matches of its own patterns,
in the order its own query would have produced them. One combination is compiled per
distinct set of queries (a few milliseconds each), so a file pays only for the patterns of
rules that may fire on it. Compiling is costly next to a small file's parse, so announced
queries are never compiled alone; queries seen once (built from a file's text) stay
separate.
"""

from __future__ import annotations

import bisect
import itertools
import re
import threading
from typing import Callable

import tree_sitter

from .source import is_utf8

# A query joins the combined one after recurring on this many different trees.
_RECURRENCE_TO_BATCH = 2
_MAX_BATCHED_SOURCES = 96
# Distinct sets of batched sources compiled and kept (one per set of rules that may fire).
_MAX_COMBINATIONS = 256
# Trees whose matches a thread keeps: the analysed file's and the other files rules read.
_TREES_KEPT_PER_THREAD = 8

Match = tuple[int, dict[str, list[tree_sitter.Node]]]


class _Combined:
    """The batched sources, their combined query, and which patterns belong to which."""

    def __init__(self, language: tree_sitter.Language, sources: list[str]):
        self.sources = sources
        self.text = "\n".join(sources)
        self.query = tree_sitter.Query(language, self.text)
        starts = []  # byte offset of each source in the combined text
        offset = 0
        for source in sources:
            starts.append(offset)
            offset += len(source.encode("utf-8")) + 1
        self.ranges: dict[str, tuple[int, int]] = {}
        self.owner_of_pattern: list[tuple[str, int]] = []
        for pattern in range(self.query.pattern_count):
            source = sources[bisect.bisect_right(starts, self.query.start_byte_for_pattern(pattern)) - 1]
            first, _ = self.ranges.setdefault(source, (pattern, pattern))
            self.ranges[source] = (first, pattern + 1)
            self.owner_of_pattern.append((source, first))

    def split(self, root: tree_sitter.Node, compile_query: Callable[[str], tree_sitter.Query], decodable: bool,
              left_out: list[tuple[int, int]] | None = None) -> dict[str, list[Match]]:
        """``compile_query`` compiles (once) the lenient twin an undecodable file needs;
        ``left_out``: as ``query_matches`` takes it."""
        per_source: dict[str, list[Match]] = {}
        owners = self.owner_of_pattern
        for pattern, captured in query_matches(self.query, self.text, root, compile_query, decodable, left_out):
            source, first = owners[pattern]
            per_source.setdefault(source, []).append((pattern - first, captured))
        return per_source


class _TreeState:
    """One tree's combination and, once run, its matches per source. Holding the root keeps
    its tree alive, so no later tree can take over its node ids and pass for it."""

    __slots__ = ("root", "generation", "combined", "decodable", "matches", "matches_left_out")

    def __init__(self, root: tree_sitter.Node, generation: int, combined: _Combined | None):
        self.root = root
        self.generation = generation
        self.combined = combined
        self.decodable = is_utf8(root.text)
        self.matches: dict[str, list[Match]] | None = None
        self.matches_left_out: list[tuple[int, int]] | None = None  # the ranges ``matches`` leave out


class RootQueryBatch:
    """Whole-file queries, run as one combined query per tree: the queries announced for the
    tree (``prepare``: the rules that may fire on it) plus those that recur unannounced.
    A combination is compiled once per distinct set, so a file that can trip few rules pays
    for few patterns: a tree walk costs about one pattern more per pattern it carries, and a
    `#match?` pattern a call into Python per candidate name."""

    def __init__(self, language: tree_sitter.Language, compile_query: Callable[[str], tree_sitter.Query]):
        self._language = language
        self._compile = compile_query
        self._lock = threading.Lock()
        self._seen_on: dict[str, int] = {}  # source -> on how many trees it ran
        self._last_tree_of: dict[str, int] = {}  # source -> generation of the last tree
        self._generations = itertools.count()
        self._recurring: list[str] = []  # unannounced sources that ran on several trees
        self._uncombinable: set[str] = set()  # sources that break any combination: run alone
        self._combinations: dict[tuple[str, ...], _Combined | None] = {}
        self._local = threading.local()  # per thread: announced sources, recent trees' states, ranges left out

    @property
    def _combined(self) -> _Combined | None:
        """The combination this thread ran on its last tree."""
        trees = getattr(self._local, "trees", None)
        return next(reversed(trees.values())).combined if trees else None

    def _tree_state(self, root: tree_sitter.Node) -> "_TreeState":
        """This thread's state of ``root``'s tree, kept for the last few trees: rules reading
        another file in the middle of one file's analysis must not cost the file its matches."""
        local = self._local
        trees = getattr(local, "trees", None)
        if trees is None:
            trees = local.trees = {}
        state = trees.pop(root, None)
        if state is None:
            # Chosen between trees, so one file never sees two versions.
            state = _TreeState(root, next(self._generations), self._combination(getattr(local, "announced", ())))
            if len(trees) >= _TREES_KEPT_PER_THREAD:
                del trees[next(iter(trees))]
        trees[root] = state
        return state

    def prepare(self, sources) -> None:
        """Batch ``sources`` from this thread's next tree on, without ever compiling them alone."""
        self._local.announced = tuple(dict.fromkeys(sources))

    def leave_out(self, root: tree_sitter.Node | None, ranges: list[tuple[int, int]]) -> None:
        """On this thread, the combined query's matches on ``root``'s tree leave out those
        with a node starting in one of ``ranges`` (``query_matches``); None: none from now, and
        the tree left out of is dropped (a copy analysed once, never asked again)."""
        previous = getattr(self._local, "left_out", None)
        if root is None and previous is not None:
            getattr(self._local, "trees", {}).pop(previous[0], None)
        self._local.left_out = (root, ranges) if root is not None else None

    def matches(self, source: str, root: tree_sitter.Node) -> list[Match]:
        state = self._tree_state(root)
        found = self._batched_matches(source, state)
        if found is None:
            return query_matches(self._compile(source), source, root, self._compile, state.decodable)
        return found

    def captures(self, source: str, root: tree_sitter.Node) -> dict[str, list[tree_sitter.Node]]:
        state = self._tree_state(root)
        found = self._batched_matches(source, state)
        if found is None:
            return query_captures(self._compile(source), source, root, self._compile, state.decodable)
        by_name: dict[str, list[tree_sitter.Node]] = {}
        for _, captured in found:
            for name, nodes in captured.items():
                by_name.setdefault(name, []).extend(nodes)
        return in_source_order(by_name)

    def _batched_matches(self, source: str, state: "_TreeState") -> list[Match] | None:
        combined = state.combined
        if combined is None or source not in combined.ranges:
            self._note_use(source, state.generation)
            return None
        left_out = getattr(self._local, "left_out", None)
        ranges = left_out[1] if left_out is not None and left_out[0] == state.root else None
        if state.matches is None or state.matches_left_out != ranges:
            state.matches = combined.split(state.root, self._compile, state.decodable, ranges)
            state.matches_left_out = ranges
        return state.matches.get(source, [])

    def _note_use(self, source: str, generation: int) -> None:
        with self._lock:
            if self._last_tree_of.get(source) == generation:
                return
            self._last_tree_of[source] = generation
            self._seen_on[source] = self._seen_on.get(source, 0) + 1
            recurs = self._seen_on[source] == _RECURRENCE_TO_BATCH
        if recurs and self._compile(source).pattern_count:
            with self._lock:
                if len(self._recurring) < _MAX_BATCHED_SOURCES:
                    self._recurring.append(source)

    def _combination(self, announced: tuple[str, ...]) -> _Combined | None:
        """The combined query of the announced sources and the recurring ones; a source that
        breaks the combination keeps running alone."""
        wanted = tuple(s for s in dict.fromkeys(announced + tuple(self._recurring)) if s not in self._uncombinable)
        if wanted in self._combinations:
            return self._combinations[wanted]
        with self._lock:
            combined = self._combine(list(wanted)) if wanted else None
            if combined is None and wanted:
                kept: list[str] = []
                for source in wanted:
                    if self._combine(kept + [source]) is None:
                        self._uncombinable.add(source)
                    else:
                        kept.append(source)
                combined = self._combine(kept) if kept else None
            if len(self._combinations) >= _MAX_COMBINATIONS:
                self._combinations.clear()
            self._combinations[wanted] = combined
        return combined

    def _combine(self, sources: list[str]) -> _Combined | None:
        try:
            return _Combined(self._language, sources)
        except (tree_sitter.QueryError, ValueError):
            return None


def in_source_order(captured: dict[str, list[tree_sitter.Node]]) -> dict[str, list[tree_sitter.Node]]:
    """Each capture's nodes in source order, outer before inner. py-tree-sitter's own
    ``captures()`` does not promise it, and a batched query's matches interleave with
    other sources', so every path sorts, and callers see one order however they are run."""
    for nodes in captured.values():
        nodes.sort(key=_source_order)
    return captured


def _source_order(node: tree_sitter.Node) -> tuple[int, int]:
    return node.start_byte, -node.end_byte


# `#match?` and `#not-match?` hand each capture's text to Python as strict UTF-8 (`#eq?` and
# `#any-of?` compare bytes). On an undecodable capture (a comment inside a path,
# `std::/* \xff */env::var`) py-tree-sitter drops the match and leaves the decoding error
# pending: it may surface for the whole query, or be swallowed (a gc callback running in
# between clears it) and the match silently lost. So on text that is not valid UTF-8 those
# predicates never run there: the query's lenient twin evaluates them here, over the text
# decoded with replacement characters.
_REGEX_PREDICATE = r"#(not-)?match\?"
_LENIENT_MATCH, _LENIENT_NOT_MATCH = "isolint-lenient-match?", "isolint-lenient-not-match?"


def query_matches(query: tree_sitter.Query, source: str, node: tree_sitter.Node,
                  compile_query: Callable[[str], tree_sitter.Query], decodable: bool | None = None,
                  left_out: list[tuple[int, int]] | None = None) -> list[Match]:
    """``QueryCursor(query).matches(node)``, also on text that is not valid UTF-8 (``source``
    is the text ``query`` was compiled from; ``compile_query`` compiles its lenient twin;
    ``decodable``: whether ``node``'s text is valid UTF-8, when the caller knows).
    ``left_out``: on a root, byte ranges (sorted, apart) whose text is not walked, and whose
    matches, those with a node starting in one, are left out (``_ranges_around``)."""
    found: list[Match] = []
    lenient = _needs_lenient(source, node, decodable)
    if lenient:
        query = compile_query(_lenient(source))
    if not (left_out and node.parent is None and _matches_within_items(query, source, node.type)):
        for cursor in _cursors(query, source, node):
            found += cursor.matches(node, predicate=_lenient_regex_predicate) if lenient else cursor.matches(node)
        return found
    starts = [low for low, _ in left_out]
    seen: set[tuple] = set()
    for low, high in _ranges_around(node, left_out):
        cursor = tree_sitter.QueryCursor(query)
        cursor.set_byte_range(low, high)
        for pattern, captured in cursor.matches(node, predicate=_lenient_regex_predicate) if lenient else cursor.matches(node):
            nodes = [found_node for captures in captured.values() for found_node in captures]
            if any(not low <= found_node.start_byte < high and _starts_in(found_node.start_byte, starts, left_out) for found_node in nodes):
                continue
            # Another cursor meets the same match when a node the pattern walks through (an
            # impl around a method) meets its range.
            identity = (pattern, *(found_node.id for found_node in nodes))
            if identity not in seen:
                seen.add(identity)
                found.append((pattern, captured))
    return found


def _ranges_around(root: tree_sitter.Node, left_out: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The text between the ranges ``left_out``, as ranges (a gap of blanks alone holds no
    node to match). A cursor visits the nodes its range meets, those around it too: a match
    may come from several, or have a node starting in a range left out."""
    text = root.text
    ranges = []
    start = 0
    for low, high in left_out + [(_WHOLE_FILE_END, _WHOLE_FILE_END)]:
        if low > start and text[start:low].strip():
            ranges.append((start, low))
        start = max(start, high)
    return ranges


def _starts_in(offset: int, starts: list[int], ranges: list[tuple[int, int]]) -> bool:
    index = bisect.bisect_right(starts, offset) - 1
    return index >= 0 and offset < ranges[index][1]


def query_captures(query: tree_sitter.Query, source: str, node: tree_sitter.Node,
                   compile_query: Callable[[str], tree_sitter.Query], decodable: bool | None = None) -> dict[str, list[tree_sitter.Node]]:
    """``QueryCursor(query).captures(node)`` in source order, as ``query_matches`` does."""
    captured: dict[str, list[tree_sitter.Node]] = {}
    lenient = _needs_lenient(source, node, decodable)
    for cursor in _cursors(compile_query(_lenient(source)) if lenient else query, source, node):
        found = cursor.captures(node, predicate=_lenient_regex_predicate) if lenient else cursor.captures(node)
        for name, nodes in found.items():
            captured.setdefault(name, []).extend(nodes)
    return in_source_order(captured)


# A query over a whole file larger than this runs a window of top-level items at a time.
QUERY_WINDOW_BYTES = 128 * 1024
_WHOLE_FILE_END = 0xFFFFFFFF


def _cursors(query: tree_sitter.Query, source: str, node: tree_sitter.Node) -> list[tree_sitter.QueryCursor]:
    """Cursors whose results together are the query's over ``node``: one, or one per window
    of top-level items on a large file.

    py-tree-sitter holds the GIL for the whole of one ``matches`` or ``captures`` call (its
    progress callback, which would let go of it, crashes in 0.26), so on a file of megabytes
    one call keeps every other thread, the language server's event loop among them, waiting
    for seconds. A match inside one top-level item is found by the window holding that item
    and by no other; windows are cut only where items are apart, so even an empty node at an
    item's edge (a missing token) is in that item's window alone. Only a match of the root
    itself, or of several top-level items in a row, could span windows: a query with a
    pattern that could have one runs over the whole file at once."""
    if node.parent is not None or node.end_byte <= QUERY_WINDOW_BYTES or not _matches_within_items(query, source, node.type):
        return [tree_sitter.QueryCursor(query)]
    bounds = [0]
    children = node.children
    for before, item in zip(children, children[1:]):
        if item.start_byte - bounds[-1] >= QUERY_WINDOW_BYTES and before.end_byte < item.start_byte:
            bounds.append(item.start_byte)
    bounds.append(_WHOLE_FILE_END)
    cursors = []
    for start, end in zip(bounds, bounds[1:]):
        cursor = tree_sitter.QueryCursor(query)
        cursor.set_byte_range(start, end)
        cursors.append(cursor)
    return cursors


_within_items: dict[tuple[str, str], bool] = {}


def _matches_within_items(query: tree_sitter.Query, source: str, root_type: str) -> bool:
    """Whether every match of the query lies inside one child of a root of ``root_type``:
    each pattern has one outermost node (``is_pattern_rooted``), and it can be neither the
    root's type nor a wildcard."""
    known = _within_items.get((source, root_type))
    if known is None:
        text = source.encode("utf-8")
        known = all(
            query.is_pattern_rooted(pattern)
            and not _outermost_types(text[query.start_byte_for_pattern(pattern):query.end_byte_for_pattern(pattern)]) & {b"_", root_type.encode()}
            for pattern in range(query.pattern_count)
        )
        _within_items[(source, root_type)] = known
    return known


_QUERY_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|;[^\n]*|[()\[\]]|[^\s()\[\]";]+')


def _outermost_types(pattern: bytes) -> set[bytes]:
    """The node types a pattern's outermost node may have: ``(type …)``, the alternatives of
    ``[…]``, the elements of a group ``((…) …)``, a bare ``_`` or ``"anonymous"`` node."""
    tokens = [token for token in _QUERY_TOKEN.findall(pattern) if not token.startswith(b";")]
    return _types_of_element(tokens, 0)


def _types_of_element(tokens: list[bytes], at: int) -> set[bytes]:
    token = tokens[at]
    if token == b"[":
        return _types_of_elements(tokens, at + 1)
    if token == b"(":
        head = tokens[at + 1]
        return _types_of_elements(tokens, at + 1) if head in (b"(", b"[") else {head}
    return {token}


def _types_of_elements(tokens: list[bytes], at: int) -> set[bytes]:
    """The outermost types of the elements from ``at`` to the bracket closing them."""
    types: set[bytes] = set()
    while tokens[at] not in (b")", b"]"):
        token = tokens[at]
        if token in (b"(", b"["):
            if not tokens[at + 1].startswith(b"#"):  # a predicate is no element
                types |= _types_of_element(tokens, at)
            at = _after_bracket(tokens, at)
        elif token.startswith((b"@", b"!")) or token.endswith(b":") or token in (b".", b"?", b"*", b"+"):
            at += 1  # a capture, negated field, field name, anchor or quantifier
        else:
            types.add(token)
            at += 1
    return types


def _after_bracket(tokens: list[bytes], at: int) -> int:
    depth = 0
    while True:
        token = tokens[at]
        at += 1
        if token in (b"(", b"["):
            depth += 1
        elif token in (b")", b"]"):
            depth -= 1
            if depth == 0:
                return at


def _needs_lenient(source: str, node: tree_sitter.Node, decodable: bool | None) -> bool:
    if "match?" not in source:
        return False
    return not (decodable if decodable is not None else is_utf8(node.text))


def _lenient(source: str) -> str:
    return re.sub(_REGEX_PREDICATE, lambda found: "#" + (_LENIENT_NOT_MATCH if found.group(1) else _LENIENT_MATCH), source)


def _lenient_regex_predicate(name: str, args, pattern_index: int, captures: dict[str, list[tree_sitter.Node]]) -> bool:
    (capture, _), (pattern, _) = args
    expected = name == _LENIENT_MATCH
    return all((re.search(pattern, node.text.decode("utf-8", "replace")) is not None) == expected for node in captures.get(capture, ()))
