"""What a rule sees while it runs: the tree, the source, the settings, and syntax helpers."""

from __future__ import annotations

import bisect

import re
from functools import lru_cache
from pathlib import PurePath
from typing import TYPE_CHECKING, Iterator, Protocol

from tree_sitter import Node, Tree

from .ancestry import Ancestry
from .config import Settings
from .model import Finding, Fix, Observation, RelatedLocation, Span
from .rules.base import Rule
from .source import SourceText

if TYPE_CHECKING:
    from .workspace import WorkspaceModel

TEST_ATTRIBUTES = frozenset({"test", "tokio::test", "async_std::test", "rstest", "test_case", "proptest"})


def node_text(node: Node) -> str:
    text = node.text  # each access copies the bytes out of the source: once is enough
    return text.decode("utf-8", errors="replace") if text is not None else ""


def attributes_of(item: Node) -> Iterator[Node]:
    """The ``attribute_item`` siblings directly before an item (outer attributes)."""
    sibling = item.prev_named_sibling
    while sibling is not None and sibling.type in ("attribute_item", "line_comment", "block_comment"):
        if sibling.type == "attribute_item":
            yield sibling
        sibling = sibling.prev_named_sibling


def attribute_texts(item: Node) -> list[str]:
    texts = []
    for attribute_item in attributes_of(item):
        attribute = next((c for c in attribute_item.named_children if c.type == "attribute"), None)
        if attribute is not None:
            texts.append(node_text(attribute))
    return texts


def is_cfg_test(attribute: str) -> bool:
    compact = attribute.replace(" ", "")
    return compact.startswith("cfg(") and "test" in compact and "not(test)" not in compact


def is_test_attribute(attribute: str) -> bool:
    head = attribute.split("(", 1)[0].strip()
    return head in TEST_ATTRIBUTES or head.endswith("::test")


def is_test_path(path: PurePath | None) -> bool:
    if path is None:
        return False
    parts = path.parts[:-1]
    return any(part in ("tests", "benches") for part in parts) or path.name.endswith("_test.rs") or path.name == "tests.rs"


def last_path_segment(node: Node) -> str | None:
    """``ctx.path_segments(node)[-1]`` without building the segments: ``get_secret`` for
    ``a.b.get_secret``, ``var`` for ``std::env::var`` (None when there are none)."""
    while True:
        kind = node.type
        if kind == "scoped_identifier":
            last, rest = node.child_by_field_name("name"), node.child_by_field_name("path")
        elif kind == "field_expression":
            last, rest = node.child_by_field_name("field"), node.child_by_field_name("value")
        elif kind == "generic_function":
            last, rest = None, node.child_by_field_name("function")
        else:
            return node_text(node)
        if last is not None:
            return node_text(last)
        if rest is None:
            return None
        node = rest


TEST_ITEM_KINDS = frozenset({"function_item", "mod_item", "impl_item", "struct_item", "static_item", "const_item", "macro_invocation", "enum_item", "trait_item"})


def _disjoint(ranges: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """Nested and overlapping byte ranges merged into disjoint ones: (starts, ends), sorted."""
    starts: list[int] = []
    ends: list[int] = []
    for start, end in sorted(ranges):
        if ends and start <= ends[-1]:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def test_items(ancestry: Ancestry, data: bytes) -> tuple[list[int], list[int]]:
    """The byte ranges of a file's test items, merged into disjoint (starts, ends)."""
    return _disjoint(_test_item_ranges(ancestry, data))


def _test_item_ranges(ancestry: Ancestry, data: bytes) -> list[tuple[int, int]]:
    """The byte ranges of the items an outer test attribute marks (``#[cfg(test)]``,
    ``#[test]``, ``#[tokio::test]``, …). Each such attribute spells ``test``, so only the
    attributes around that word are read, not every item of the file."""
    ranges: list[tuple[int, int]] = []
    seen: set[int] = set()
    found = data.find(b"test")
    while found != -1:
        attribute_item = ancestry.root.descendant_for_byte_range(found, found + 4)
        if attribute_item is not None and attribute_item.type != "attribute_item":
            attribute_item = ancestry.enclosing(attribute_item, ("attribute_item",))
        found = data.find(b"test", found + 4)
        if attribute_item is None or attribute_item.id in seen:
            continue
        seen.add(attribute_item.id)
        attribute = next((c for c in attribute_item.named_children if c.type == "attribute"), None)
        if attribute is None:
            continue
        text = node_text(attribute)
        if not (is_cfg_test(text) or is_test_attribute(text)):
            continue
        item = attribute_item.next_named_sibling
        while item is not None and item.type in ("attribute_item", "line_comment", "block_comment"):
            item = item.next_named_sibling
        if item is not None and item.type in TEST_ITEM_KINDS:
            ranges.append((item.start_byte, item.end_byte))
    return ranges


COMMENT_TYPES = frozenset({"line_comment", "block_comment"})


def call_arguments(call: Node) -> list[Node]:
    """The argument expressions of a call, in order (comments between them are not arguments)."""
    arguments = call.child_by_field_name("arguments")
    return [child for child in arguments.named_children if child.type not in COMMENT_TYPES] if arguments is not None else []


def method_call_of(method: Node, ancestry: Ancestry) -> Node | None:
    """The call ``x.method(..)`` whose method name is ``method`` (a ``field_identifier``),
    else None (a field read). Queries capture the bare name and leave this to Python: a
    pattern nested under ``call_expression`` and ``field_expression`` takes about 1.4 ms to
    compile (tree-sitter analyses the grammar for every parent in a pattern), more than a
    small file takes to analyse."""
    access = ancestry.parent(method)
    if access is None or access.type != "field_expression":
        return None
    call = ancestry.parent(access)
    if call is None or call.type != "call_expression" or not same_node(call.child_by_field_name("function"), access):
        return None
    return call


# Expressions that hand on the value inside them: `&x`, `(x)`, `x?`, `x.await`.
VALUE_WRAPPERS = frozenset({"reference_expression", "parenthesized_expression", "try_expression", "await_expression"})


def wrapped_value(node: Node) -> Node | None:
    """The expression a ``VALUE_WRAPPERS`` node hands on (``x`` of ``&mut x``)."""
    if node.type == "reference_expression":
        return node.named_children[-1] if node.named_children else None
    return node.named_children[0] if node.named_children else None


def call_receiver(call: Node) -> Node | None:
    """The receiver of a method call (``x`` in ``x.get(k)``), else None."""
    function = call.child_by_field_name("function")
    return function.child_by_field_name("value") if function is not None and function.type == "field_expression" else None


class Focus(Protocol):
    """Where an analysis after an edit takes findings (``checks.function_edits``)."""

    def wants_findings_in(self, start: int, end: int) -> bool: ...

    def judges_function_at(self, offset: int) -> bool: ...


class AnalysisContext:
    """Per-file state shared by all rules during one analysis."""

    def __init__(self, source: SourceText, tree: Tree, settings: Settings, path: PurePath | None = None,
                 workspace: "WorkspaceModel | None" = None, whole_file: tuple[Tree, bytes] | None = None,
                 focus: "Focus | None" = None):
        """``whole_file``: the tree and bytes of the real file when ``tree`` is of a copy with
        some function bodies blanked out (``checks.function_edits``): the model of this file
        alone, built when no workspace model is given, is of the real file. ``focus``: where the
        caller takes findings, when not everywhere (``wants_findings_at``)."""
        self.source = source
        self.tree = tree
        self.root = tree.root_node
        self.settings = settings
        self.vocabulary = settings.vocabulary
        self.path = path
        self.is_test_file = is_test_path(path) or (workspace is not None and path is not None and workspace.is_test_module(str(path)))
        # Byte ranges of test items, merged into disjoint (starts, ends).
        self._test_items: tuple[list[int], list[int]] | None = None
        self._identifier_offsets: dict[bytes, list[int]] | None = None
        self.ancestry = Ancestry(self.root)
        # Per-file indexes several rules use, built once: function bodies (``checks.keyflow``)
        # and collection declarations (``checks.keyed_collections``).
        self.function_scopes: dict[int, object] = {}
        self.file_collections = None
        self._rule: Rule | None = None
        self._workspace = workspace
        self._whole_file = whole_file if whole_file is not None else (tree, source.data)
        self._focus = focus
        self._target_kind: str | None = None
        # Calls of this file's functions found in the workspace (``checks.call_sites``).
        self.calls_of_functions: dict[int, list] = {}
        # Filled by the engine before meta rules run.
        self.suppressions = None
        # Sites the rules judged safe, with why (``observe``).
        self.observations: list[Observation] = []

    @property
    def workspace(self) -> "WorkspaceModel":
        """The workspace model: of the crates this file belongs to when the caller built one,
        else of this file alone (built on first use)."""
        if self._workspace is None:
            from .workspace import WorkspaceModel

            self._workspace = WorkspaceModel.of_file(self.path_key, *self._whole_file)
        return self._workspace

    @property
    def whole_file_data(self) -> bytes:
        """The real file's bytes, when ``source`` is of a copy with bodies blanked out."""
        return self._whole_file[1]

    @property
    def path_key(self) -> str:
        """This file as the workspace model names it."""
        return str(self.path) if self.path is not None else "<buffer>"

    def context_for(self, path: str) -> "AnalysisContext | None":
        """An analysis context for another workspace file (same settings, same model), to
        read its uses of this file's items; None when the model has not its bytes."""
        if path == self.path_key:
            return self
        workspace = self.workspace
        tree = workspace.tree(path)
        if tree is None:
            return None
        return AnalysisContext(SourceText(workspace.sources[path]), tree, self.settings, PurePath(path), workspace)

    @property
    def target_kind(self) -> str:
        """What this file builds into (``checks.workspace.target_kind``): library, binary,
        test, bench, example, build-script or tooling."""
        if self._target_kind is None:
            from .workspace import target_kind

            self._target_kind = target_kind(self.path) if self.path is not None else "library"
        return self._target_kind

    @property
    def serves_tenants(self) -> bool:
        """Whether this file's code can run on a tenant's behalf: not tests, benchmarks,
        examples, build scripts or workspace tooling."""
        from .workspace import PER_TENANT_TARGETS

        return self.target_kind in PER_TENANT_TARGETS

    # -- reporting -------------------------------------------------------------------
    def bind_rule(self, rule: Rule) -> None:
        self._rule = rule

    def finding(
        self,
        node: Node | Span,
        message: str,
        *,
        fix: Fix | None = None,
        related: tuple[RelatedLocation, ...] | list[RelatedLocation] = (),
        notes: tuple[str, ...] = (),
        rule: Rule | None = None,
    ) -> Finding:
        rule = rule or self._rule
        assert rule is not None, "finding() outside a rule"
        span = node if isinstance(node, Span) else Span.of(node)
        return Finding(
            code=rule.code,
            name=rule.name,
            message=message,
            span=span,
            severity=self.settings.severities.get(rule.code, rule.default_severity),
            fix=fix,
            related=tuple(related),
            notes=notes,
        )

    def observe(self, node: Node, area: str, verdict: str, detail: str, key: str = "", rule: Rule | None = None) -> None:
        """Record a site the current rule examined and judged not a risk (``Observation``):
        what an audit lists as scoped beside the findings. Test code is left out unless
        tests are linted, as findings are."""
        rule = rule or self._rule
        if rule is None or self.should_skip(node):
            return
        from .fingerprint import rust_item_path

        self.observations.append(Observation(rule.code, area, Span.of(node), verdict, short_text(node_text(node)), detail,
                                             rust_item_path(self.tree, node.start_byte, self.ancestry), key))

    def related(self, node: Node, message: str, elsewhere: "AnalysisContext | None" = None) -> RelatedLocation:
        """A related location; ``elsewhere`` is the context of another workspace file ``node``
        belongs to (``context_for``), whose bytes the result then depends on."""
        if elsewhere is None or elsewhere.path_key == self.path_key:
            return RelatedLocation(Span.of(node), message)
        return RelatedLocation(Span.of(node), message, elsewhere.path_key)

    # -- syntax helpers ----------------------------------------------------------------
    @staticmethod
    def text(node: Node) -> str:
        return node_text(node)

    def parent(self, node: Node) -> Node | None:
        """``node.parent`` at a cost that does not grow with the tree's depth (``Ancestry``)."""
        return self.ancestry.parent(node)

    def enclosing(self, node: Node, kinds: frozenset[str] | tuple[str, ...]) -> Node | None:
        return self.ancestry.enclosing(node, kinds)

    def enclosing_function(self, node: Node) -> Node | None:
        return self.enclosing(node, ("function_item",))

    def enclosing_impl(self, node: Node) -> Node | None:
        return self.enclosing(node, ("impl_item",))

    def identifier_offsets(self) -> dict[bytes, list[int]]:
        """Where each identifier-shaped run of the file starts, built on first use."""
        if self._identifier_offsets is None:
            offsets: dict[bytes, list[int]] = {}
            for match in IDENTIFIER_TOKEN.finditer(self.source.data):
                offsets.setdefault(match.group(), []).append(match.start())
            self._identifier_offsets = offsets
        return self._identifier_offsets

    def is_test_code(self, node: Node) -> bool:
        """Inside a ``#[cfg(test)]`` item, a ``#[test]`` function, or a file under ``tests/``."""
        if self.is_test_file:
            return True
        if self._test_items is None:
            self._test_items = test_items(self.ancestry, self.source.data)
        starts, ends = self._test_items
        # One lookup per node: a rule may ask for every use in a file with thousands of test items.
        index = bisect.bisect_right(starts, node.start_byte) - 1
        return index >= 0 and node.end_byte <= ends[index]

    def wants_findings_at(self, node: Node) -> bool:
        """Whether the caller takes findings and observations at ``node``. An analysis after
        an edit (``checks.function_edits``) takes them in the functions the edit reaches and
        on the declarations those name, and keeps the others from before: a rule may skip a
        function it would judge for findings in that function alone (the functions whose
        judging reaches into others are linked to them, so reached too)."""
        return self._focus is None or self._focus.wants_findings_in(node.start_byte, node.end_byte)

    def judges_function_at(self, offset: int) -> bool:
        """Whether findings in the function holding ``offset`` are asked for (true outside
        functions): a rule may skip a function, as ``wants_findings_at`` says."""
        return self._focus is None or self._focus.judges_function_at(offset)

    def should_skip(self, node: Node) -> bool:
        """True when findings at ``node`` are not reported under the test-code setting."""
        return not self.settings.lint_tests and self.is_test_code(node)

    def path_segments(self, node: Node) -> list[str]:
        """``std::env::var`` → [std, env, var]; ``x.y`` → [x, y]; a plain identifier → [it].
        Read from the last segment inwards, without recursion: a generated path or field
        chain may be thousands of segments long."""
        backwards: list[str] = []
        current: Node | None = node
        while current is not None:
            kind = current.type
            if kind in ("identifier", "field_identifier", "type_identifier", "self", "super", "crate"):
                backwards.append(node_text(current))
                break
            if kind in ("scoped_identifier", "field_expression"):
                last = current.child_by_field_name("name" if kind == "scoped_identifier" else "field")
                if last is not None:
                    backwards.append(node_text(last))
                current = current.child_by_field_name("path" if kind == "scoped_identifier" else "value")
            elif kind == "generic_function":
                current = current.child_by_field_name("function")
            else:
                backwards.append(node_text(current))
                break
        backwards.reverse()
        return backwards

    def callee_name(self, call: Node) -> str | None:
        """Last path segment of a call's function: ``a.b.get_secret(..)`` → ``get_secret``."""
        function = call.child_by_field_name("function")
        return last_path_segment(function) if function is not None else None


# Callees whose last path segment is a child: the name of a path, the field of a method
# call, each possibly under turbofish generics. Any other callee (`(f)(x)`, `table[i](x)`) is
# one segment, its whole text.
NAME_FIELDS = {"scoped_identifier": "name", "field_expression": "field"}
_IDENTIFIER_SHAPE = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*\Z")


_CHAIN_STEPS = ("field_expression", "call_expression", "await_expression", "try_expression", "reference_expression",
                "parenthesized_expression")


def chain_root(node: Node | None) -> Node | None:
    """Where a chain of calls, fields and awaits starts: ``ROUTES`` of
    ``ROUTES.get().unwrap().lock().unwrap()``, ``self`` of ``self.cache.lock()``."""
    while node is not None and node.type in _CHAIN_STEPS:
        if node.type == "field_expression":
            node = node.child_by_field_name("value")
        elif node.type == "call_expression":
            node = node.child_by_field_name("function")
        else:
            node = node.named_children[0] if node.named_children else None
    return node


def short_text(text: str, limit: int = 48) -> str:
    """Source text for a message: whitespace runs folded, cut at ``limit`` with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def same_node(a: Node | None, b: Node | None) -> bool:
    return a is not None and b is not None and a.id == b.id


def nodes_spelled(ctx: AnalysisContext, text: str, start: int = 0, end: int | None = None) -> list[Node]:
    """The smallest nodes whose source is exactly ``text`` within bytes [start, end), in
    source order: found by searching the bytes and confirmed on the tree, which costs far
    less than visiting every node of a function or file."""
    data = ctx.source.data
    needle = text.encode()
    if not needle:
        return []
    end = len(data) if end is None else end
    found: list[Node] = []
    position = data.find(needle, start, end)
    while position != -1:
        node = ctx.root.descendant_for_byte_range(position, position + len(needle))
        if node is not None and node.start_byte == position and node.end_byte == position + len(needle):
            found.append(node)
        position = data.find(needle, position + 1, end)
    return found


# Above this size a file's identifiers are indexed once, and calls are looked up by name in
# the index: scanning the bytes once per question costs the file's size times the questions
# (a generated file with thousands of functions asks about each).
INDEXED_FILE_BYTES = 256 * 1024
IDENTIFIER_TOKEN = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


@lru_cache(maxsize=32)
def _scans_for(spellings: frozenset[str]) -> list[tuple[bytes, frozenset[bytes], tuple[bytes, ...]]]:
    """How to find ``spellings`` in a file with few scans: the prefixes to scan for (at most
    four bytes, each shared by the spellings it starts), each with its identifier-shaped
    spellings (compared with the identifier run at an occurrence) and its other spellings."""
    groups: dict[bytes, list[bytes]] = {}
    # Shortest first, so that a longer spelling joins the scan of a prefix it starts with.
    for spelled in sorted({spelling.encode() for spelling in spellings if spelling}, key=lambda s: (len(s), s)):
        prefix = next((p for p in groups if spelled.startswith(p)), spelled[:4])
        groups.setdefault(prefix, []).append(spelled)
    return [
        (
            prefix,
            frozenset(s for s in group if _IDENTIFIER_SHAPE.match(s)),
            tuple(s for s in group if not _IDENTIFIER_SHAPE.match(s)),
        )
        for prefix, group in groups.items()
    ]


def calls_named(ctx: AnalysisContext, spellings: frozenset[str], judged_only: bool = False) -> list[Node]:
    """Calls whose callee's last path segment (``last_path_segment``), or whole callee, is
    spelled exactly as one of ``spellings``, each once, in source order. Found from where the
    spellings occur in the bytes: far cheaper than testing each call of the file, whether in
    Python or by a query predicate (which builds a node and its text per call).
    ``judged_only``: none in a function whose findings are not asked for
    (``AnalysisContext.judges_function_at``), for a rule that judges a call where it is."""
    data = ctx.source.data
    calls: dict[int, Node] = {}

    def add(start: int, end: int) -> None:
        if not judged_only or ctx.judges_function_at(start):
            _add_calls_spelled_at(ctx, start, end, calls)

    # Blanks are no tokens: an indented file, or a copy with function bodies blanked out
    # (``checks.function_edits``), is that much less to index.
    indexed = ctx.identifier_offsets() if len(data) > INDEXED_FILE_BYTES and len(data) - data.count(b" ") > INDEXED_FILE_BYTES else None
    for prefix, identifiers, others in _scans_for(spellings):
        if indexed is not None:
            for spelled in identifiers:
                for start in indexed.get(spelled, ()):
                    add(start, start + len(spelled))
        elif identifiers:
            for start, end in _ending_identifier_runs(data, identifiers):
                add(start, end)
        if not others:
            continue
        start = data.find(prefix)
        while start != -1:
            for spelled in others:
                if data.startswith(spelled, start):
                    add(start, start + len(spelled))
            start = data.find(prefix, start + 1)
    return sorted(calls.values(), key=lambda call: (call.start_byte, -call.end_byte))


def _ending_identifier_runs(data: bytes, identifiers: frozenset[bytes]):
    """``(start, end)`` of each place one of ``identifiers`` is spelled up to the end of a run
    of identifier bytes: the lexer takes every identifier byte into a name, so only there can
    a token be spelled so. One regular-expression scan finds the longest spelling ending a
    run; the shorter ones ending the same run are its suffixes. A spelling inside a name
    (``or`` of ``error``) is left out: no token starts there."""
    if len(identifiers) == 1:
        # Most sets are one name of the file's own (a helper's): compiling a pattern for it
        # costs more than the scans it saves.
        yield from _ending_runs_of_one(data, next(iter(identifiers)))
        return
    for match in _run_ending_in(identifiers).finditer(data):
        start, end = match.span()
        if not _inside_name(data, start):
            yield start, end
        for spelled in identifiers:
            if len(spelled) < end - start and data.startswith(spelled, end - len(spelled)) \
                    and not _inside_name(data, end - len(spelled)):
                yield end - len(spelled), end


def _ending_runs_of_one(data: bytes, spelled: bytes):
    """``_ending_identifier_runs`` of one spelling, found by scanning for it."""
    start = data.find(spelled)
    while start != -1:
        end = start + len(spelled)
        if (end == len(data) or data[end] not in IDENTIFIER_BYTES) and not _inside_name(data, start):
            yield start, end
        start = data.find(spelled, start + 1)


# The bytes a Rust identifier (or a number) is made of: the lexer takes a run of them whole.
IDENTIFIER_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_DIGIT_BYTES = frozenset(b"0123456789")


def _inside_name(data: bytes, start: int) -> bool:
    """Whether ``start`` lies inside a run of identifier bytes that a letter or ``_`` begins:
    the lexer takes such a run whole into one name. (A run a digit begins may be a number
    and a name after it, ``1u8``: not known here.)"""
    run_start = start
    while run_start > 0 and data[run_start - 1] in IDENTIFIER_BYTES:
        run_start -= 1
    return run_start < start and data[run_start] not in _DIGIT_BYTES


@lru_cache(maxsize=128)
def _run_ending_in(identifiers: frozenset[bytes]) -> re.Pattern[bytes]:
    return re.compile(b"(?:" + b"|".join(re.escape(spelled) for spelled in sorted(identifiers)) + rb")(?![A-Za-z0-9_])")


def _add_calls_spelled_at(ctx: AnalysisContext, start: int, end: int, calls: dict[int, Node]) -> None:
    node = ctx.root.descendant_for_byte_range(start, end)
    while node is not None and node.start_byte == start and node.end_byte == end:
        call = _call_named_by(node, ctx.ancestry)
        if call is not None:
            calls[call.id] = call
        node = ctx.parent(node)


def _call_named_by(name: Node, ancestry: Ancestry) -> Node | None:
    """The call whose callee's last path segment, or whole callee, is ``name``."""
    callee, parent = name, ancestry.parent(name)
    if parent is not None and parent.type in NAME_FIELDS and same_node(parent.child_by_field_name(NAME_FIELDS[parent.type]), callee):
        callee, parent = parent, ancestry.parent(parent)
    if parent is not None and parent.type == "generic_function" and same_node(parent.child_by_field_name("function"), callee):
        callee, parent = parent, ancestry.parent(parent)
    if parent is not None and parent.type == "call_expression" and same_node(parent.child_by_field_name("function"), callee):
        return parent
    return None
