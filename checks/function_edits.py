"""Analysis after an edit inside one function body, from the analysis before it.

An edit that stays inside one function body (of the outermost function around it) leaves
the rest of the file's text as it was: its items, signatures, and every other body. What
the edit can change is bounded by what each rule reads (``Rule.reach``):

- ``"linked-bodies"``: a finding or observation inside a function (its signature or body)
  depends on that function, on the text outside functions, and on the functions linked
  to it. Functions are linked when their text (signature and body) mentions one name the
  file declares outside bodies: a static, const, module, or method a trait declares (all
  functions of its name); a struct field
  (told apart by its owner for ``self.field`` as rules resolve fields; a field's name with
  no dot before it too, as error recovery and shorthand initialisers read it); a function
  (also one nested in a body), which links the functions naming it to those declaring it,
  not to each other (two methods `get` of two types are apart until a call of `get`). A
  type's name (struct, enum, union, alias, trait), a method's impl type included, links
  no bodies: rules read a type from its declaration and from the workspace model, whose
  answer to where values of a type are built rests on the bodies (an edit changing what
  its body builds is analysed whole). One on a declaration outside functions (the span
  spelling its name) depends on that text and the bodies mentioning the name; for a type,
  only those spelling a word the rule reads (``Rule.type_declaration_words``): an edit
  whose body names the type and spells one reaches every body naming it. Any other
  finding outside functions depends on the text outside functions alone. The model of the
  workspace is the same for both analyses; without one, the model of the file alone is of
  the real file.
- ``"file"``: anything in the file.

So the functions the edit can reach are those connected to the edited one by links, before
or after the edit. The rules run again on a copy of the file where every other body is
blanked out (each byte but line breaks a space, so offsets, lines and columns are the real
file's); their findings in the blanked functions, and on declarations no reached body
mentions, are the earlier analysis's, moved by the edit. On the copy the rules are asked
for findings only where those are not kept (``AnalysisContext.focus``): a rule may skip a
function the edit does not reach (judging one is judging it for findings in itself and in
the functions linked to it), and the whole-file queries leave those functions out.
Suppressions and the meta rules run on the real file. The rules that may fire are those
that ran before unless a trigger word is spelled around the edit. The whole file is
analysed instead when a ``"file"`` rule may fire (beside its run over the whole file, the
copy's would only add), the edit is not of that shape, the tree outside the body changed,
a function analysed again parses differently in the copy (error recovery in a body left
broken reads the text after it), a rule that did not run before may fire, or a rule failed
or met input too deep.

An edit that only widens or narrows the blanks between two items, fields or statements
(``_is_layout_edit``) changes no rule's view of the file: every finding and observation is
the earlier one, moved, and no rule runs.

tests/test_function_edits.py checks the outcome equals a whole analysis over many random
edits of the rule fixtures: in bodies, of layout, statements typed a key at a time, and
statements naming the file's types, functions and fields as the links tell them apart.
"""

from __future__ import annotations

import bisect
import re
from pathlib import PurePath
from typing import TYPE_CHECKING, NamedTuple

from tree_sitter import Node, Tree

from .config import Settings
from .context import AnalysisContext, node_text
from .engine import AnalysisResult, analyze, conclude, rules_to_run, run_rules
from .keyed_collections import type_name
from .model import Edit, Finding, Fix, Span
from .parsing import leave_out_of_whole_file_queries, parse, query
from .query_batch import query_matches
from .source import SourceText
from .workspace import constructed_names

if TYPE_CHECKING:
    from .workspace import WorkspaceModel

# Past this share of a large file's bodies reached by an edit, the file is analysed whole
# (below that size either analysis takes a few milliseconds).
MOST_BODIES = 0.5
LARGE_FILE_BYTES = 50_000

# One walk of the tree finds (by pattern): functions and their bodies, impls and their
# types, struct fields and their structs, and the names items declare.
ITEMS_QUERY = """
(function_item body: (block) @body) @function
(impl_item type: (_) @type body: (declaration_list) @items)
(struct_item name: (type_identifier) @struct body: (field_declaration_list (field_declaration name: (field_identifier) @field)))
[
(function_item name: (identifier) @name) (static_item name: (identifier) @name) (const_item name: (identifier) @name)
(struct_item name: (type_identifier) @name) (enum_item name: (type_identifier) @name) (union_item name: (type_identifier) @name)
(type_item name: (type_identifier) @name) (trait_item name: (type_identifier) @name) (mod_item name: (identifier) @name)
]
(function_signature_item name: (identifier) @signature)
"""
# Identifiers may be Unicode (`flüsse`): every byte of a UTF-8 sequence is taken as part of one.
_NAME = rb"[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*"
_IDENTIFIER = re.compile(_NAME)
# An identifier, and the dot before it when it follows one (a field or method: `a.b`, `a .\n b`).
_DOTTED_OR_BARE = re.compile(rb"(\.\s*)?(" + _NAME + rb")")
_FIELD_ACCESS = re.compile(rb"((?<![A-Za-z0-9_\x80-\xff])self\s*)?\.\s*(" + _NAME + rb")")
_NESTED_FUNCTION = re.compile(rb"(?<![A-Za-z0-9_\x80-\xff])fn\s+(" + _NAME + rb")")
# Statics declared in macros (``thread_local!``, ``lazy_static!``) are tokens, not items.
_MACRO_STATIC = re.compile(rb"(?<![A-Za-z0-9_\x80-\xff])static\s+(?:ref\s+)?(?:mut\s+)?(" + _NAME + rb")")
# Items declaring a type: its name links no bodies (``FunctionBodies.keys``).
_TYPE_ITEMS = frozenset({"struct_item", "enum_item", "union_item", "type_item", "trait_item"})
_SCREAMING_NAME = re.compile(rb"[A-Z][A-Z0-9_]*")
# Every byte but a line break, as a space.
_BLANK = bytes(byte if byte in b"\r\n" else 0x20 for byte in range(256))


class Mentions(NamedTuple):
    """What one function (its signature and body) mentions that could name something the file declares."""

    identifiers: frozenset[bytes]
    self_fields: frozenset[bytes]  # `self.field`
    other_fields: frozenset[bytes]  # `value.field` on anything but `self`
    bare: frozenset[bytes]  # identifiers spelled somewhere after no dot

    @classmethod
    def of_function(cls, data: bytes, start: int, end: int, own_name: tuple[int, int] | None) -> "Mentions":
        """What the function spanning [start, end) of ``data`` mentions, its own name where it
        declares it left out (``own_name``, offsets from ``start``): declaring a name is not
        naming what it names."""
        if own_name is None:
            return cls.of(data[start:end])
        return cls.of(data[start:start + own_name[0]] + b" " + data[start + own_name[1]:end])

    @classmethod
    def of(cls, text: bytes) -> "Mentions":
        self_fields, other_fields = set(), set()
        for access in _FIELD_ACCESS.finditer(text):
            (self_fields if access.group(1) else other_fields).add(access.group(2))
        tokens = _DOTTED_OR_BARE.findall(text)
        return cls(frozenset(name for _, name in tokens), frozenset(self_fields), frozenset(other_fields),
                   frozenset(name for dot, name in tokens if not dot))

    def __or__(self, other: "Mentions") -> "Mentions":
        return Mentions(*(mine | theirs for mine, theirs in zip(self, other)))


class FunctionBodies:
    """A file's outermost functions: where each starts, its body's byte range (braces
    included), its name (and where the name is spelled, from its start), what the function
    mentions besides, the type of the impl it sits in; and the names the file declares
    outside the bodies, of them those only types take. A finding in a function's signature
    is the function's, as one in its body: rules judge a function at its name by what its
    body does."""

    def __init__(self, function_starts: list[int], starts: list[int], ends: list[int], impl_types: list[str | None],
                 mentions: list[Mentions], names: frozenset[bytes], field_owners: dict[bytes, frozenset[str]],
                 structs: list[tuple[int, int, str]], own_names: list[tuple[bytes, int, int] | None], type_names: frozenset[bytes],
                 shared_names: frozenset[bytes]):
        self.function_starts = function_starts
        self.starts = starts
        self.ends = ends
        self.impl_types = impl_types
        self.mentions = mentions
        self.names = names
        self.field_owners = field_owners
        # Each function's name, with where it is spelled (offsets from the function's start).
        self.own_names = own_names
        # Names only types declared outside bodies take (a struct, enum, union, alias or trait).
        self.type_names = type_names
        # Names also declared by something other than a function with a body (a trait's
        # method without one, ``fn get(&self);``, a static, const, type or module): a
        # function of such a name is linked to all mentioning it, as a mention is.
        self.shared_names = shared_names
        # The structs declared outside bodies, by range: (starts, ends, names).
        self.structs = structs
        self.struct_starts = [start for start, _, _ in structs]
        self.struct_ends = [end for _, end, _ in structs]
        self.struct_names = [name for _, _, name in structs]
        # The blanked copy last analysed: the bodies it kept and its tree. The next copy is
        # this one with the edit made and the bodies another reach keeps filled in.
        self.blanked: tuple[frozenset[int], Tree] | None = None
        # Each body's links (``keys``), computed when first asked.
        self._links: list[set[tuple]] | None = None

    @classmethod
    def of(cls, tree: Tree, data: bytes) -> "FunctionBodies":
        functions: list[tuple[int, int, int]] = []
        impls: list[tuple[int, int, str]] = []
        fields: list[tuple[int, bytes, str]] = []
        structs: dict[int, tuple[int, int, str]] = {}
        declared: list[tuple[int, bytes, str]] = []  # (offset, name, the kind of item declaring it)
        own_name_of: dict[int, tuple[bytes, int, int]] = {}  # function start -> its name, where
        signature_names: set[bytes] = set()
        # Not through the whole-file batch: this query is the edit's, not the rules'.
        for pattern, found in query_matches(query(ITEMS_QUERY), ITEMS_QUERY, tree.root_node, query):
            if pattern == 0:
                function, body = found["function"][0], found["body"][0]
                functions.append((function.start_byte, body.start_byte, body.end_byte))
            elif pattern == 1:
                items = found["items"][0]
                impls.append((items.start_byte, items.end_byte, type_name(found["type"][0])))
            elif pattern == 2:
                struct = found["struct"][0]
                fields.append((struct.start_byte, found["field"][0].text, node_text(struct)))
                declaration = found["field"][0].parent.parent.parent  # field_declaration, its list, the struct_item
                structs[declaration.start_byte] = (declaration.start_byte, declaration.end_byte, node_text(struct))
            elif pattern == 3:
                name = found["name"][0]
                item = name.parent
                declared.append((name.start_byte, name.text, item.type))
                if item.type == "function_item":
                    own_name_of[item.start_byte] = (name.text, name.start_byte - item.start_byte, name.end_byte - item.start_byte)
            else:
                signature_names.add(found["signature"][0].text)
        function_starts: list[int] = []
        starts: list[int] = []
        ends: list[int] = []
        for function_start, body_start, body_end in sorted(functions):
            if ends and function_start < ends[-1]:
                continue  # a function inside a function: part of the outer body
            function_starts.append(function_start)
            starts.append(body_start)
            ends.append(body_end)

        def in_body(offset: int) -> bool:
            index = bisect.bisect_right(starts, offset) - 1
            return index >= 0 and offset < ends[index]

        # A function nested in a body too: rules find a function's callers by its name alone.
        outside = [(name, kind) for offset, name, kind in declared if kind == "function_item" or not in_body(offset)]
        names = {name for name, _ in outside}
        macro_statics = [(static.start(), static.group(1)) for static in _MACRO_STATIC.finditer(data)]
        names.update(name for offset, name in macro_statics if not in_body(offset))
        types = {name for name, kind in outside if kind in _TYPE_ITEMS}
        # A name also declared otherwise links as that; a SCREAMING_CASE one is among the
        # names the workspace model indexes by file (``FileItems.names_mentioned``).
        types -= {name for name, kind in outside if kind not in _TYPE_ITEMS}
        types = {name for name in types if name in names and not _SCREAMING_NAME.fullmatch(name)}
        types -= {name for _, name in macro_statics}
        owners: dict[bytes, set[str]] = {}
        for offset, field, struct in fields:
            if not in_body(offset):
                owners.setdefault(field, set()).add(struct)
        own_names = [own_name_of.get(start) for start in function_starts]
        return cls(function_starts, starts, ends, _innermost_impls(sorted(impls), starts),
                   [Mentions.of_function(data, start, end, own[1:] if own is not None else None)
                    for start, end, own in zip(function_starts, ends, own_names)], frozenset(names),
                   {field: frozenset(owner_names) for field, owner_names in owners.items()},
                   [struct for start, struct in sorted(structs.items()) if not in_body(start)], own_names, frozenset(types),
                   frozenset(signature_names | {name for name, kind in outside if kind != "function_item"} | {name for _, name in macro_statics}))

    def index_at(self, offset: int) -> int | None:
        """The function holding ``offset`` (in its signature or body), or None."""
        index = bisect.bisect_right(self.function_starts, offset) - 1
        return index if index >= 0 and offset < self.ends[index] else None

    def keys(self, index: int, mentions: Mentions) -> set[tuple]:
        """The names through which body ``index``, mentioning ``mentions``, is linked:
        ``("name", name)`` for a name it mentions, ``("declares", name)`` for its own (a
        function is linked to those naming it, not to others of the same name), ``("type",
        name)`` for a type's name (linking no bodies: ``linked_to``), and fields."""
        keys: set[tuple] = {(self._kind_of(name), name) for name in mentions.identifiers & self.names}
        own = self.own_names[index]
        if own is not None and own[0] in self.names:
            keys.add(("name" if own[0] in self.shared_names else "declares", own[0]))
        impl_type = self.impl_types[index]
        if impl_type is not None and impl_type.encode() in self.names:
            name = impl_type.encode()
            keys.add((self._kind_of(name), name))  # a method is judged by where its type is built and kept
        # A field's name alone too: error recovery may read `a.b\nfield` as `a.field`, and a
        # shorthand initialiser (`Registry { flows }`) sets the field by it.
        bare_fields = mentions.other_fields | (mentions.bare & self.field_owners.keys())
        for fields, on_self in ((mentions.self_fields, True), (bare_fields, False)):
            for field in fields & self.field_owners.keys():
                owners = self.field_owners[field]
                if len(owners) == 1:
                    keys.add(("field", field))
                elif on_self and impl_type in owners:
                    keys.add(("field", field, impl_type))
                else:  # resolved to each struct declaring it
                    keys.update(("field", field, owner) for owner in owners)
        return keys

    def _kind_of(self, name: bytes) -> str:
        return "type" if name in self.type_names else "name"

    def edited_keys(self, index: int, extra: Mentions) -> set[tuple]:
        """The links of body ``index``, edited, mentioning ``extra`` before the edit."""
        return self.keys(index, self.mentions[index] | extra)

    def linked_to(self, index: int, extra: Mentions, linking_types: frozenset[bytes] = frozenset()) -> "Reach":
        """The bodies connected to body ``index`` (which also mentioned ``extra``) through
        shared names, transitively, and those names. A function's name links those that
        declare it to those that name it, when one does; a type's name links the bodies
        naming it only when in ``linking_types`` (what a rule reads of a type is its
        declaration and the workspace model's answers; a finding on the declaration rests
        on the bodies naming it: those must all be analysed again with it)."""
        if self._links is None:
            self._links = [self.keys(body, mentions) for body, mentions in enumerate(self.mentions)]
        by_key: dict[tuple, list[int]] = {}
        declarers: dict[bytes, list[int]] = {}
        for other, links in enumerate(self._links):
            for key in self.edited_keys(index, extra) if other == index else links:
                if key[0] == "declares":
                    declarers.setdefault(key[1], []).append(other)
                elif key[0] != "type" or key[1] in linking_types:
                    by_key.setdefault(key, []).append(other)
        for name, functions in declarers.items():
            named_by = by_key.get(("name", name))
            if named_by is not None:
                named_by.extend(functions)
        keys_of: dict[int, list[tuple]] = {}
        for key, members in by_key.items():
            for member in members:
                keys_of.setdefault(member, []).append(key)
        reached, frontier, seen_keys = {index}, [index], set()
        while frontier:
            body = frontier.pop()
            for key in keys_of.get(body, ()):
                if key in seen_keys:
                    continue
                seen_keys.add(key)
                for other in by_key[key]:
                    if other not in reached:
                        reached.add(other)
                        frontier.append(other)
        return Reach(reached, seen_keys)

    def declared_at(self, data: bytes, start: int, end: int) -> tuple | None:
        """The link of the declaration a finding outside functions at [start, end) sits on
        (a field of a struct, a static, a type: the name its span spells), or None."""
        text = data[start:end]
        owners = self.field_owners.get(text)
        if owners is not None:
            index = bisect.bisect_right(self.struct_starts, start) - 1
            if index >= 0 and start < self.struct_ends[index]:
                return ("field", text) if len(owners) == 1 else ("field", text, self.struct_names[index])
        return (self._kind_of(text), text) if text in self.names else None

    def after_edit(self, index: int, delta: int, mentions: Mentions) -> "FunctionBodies":
        """These bodies after an edit inside body ``index`` that changed its length by
        ``delta``, which now mentions ``mentions``."""
        function_starts = self.function_starts[: index + 1] + [start + delta for start in self.function_starts[index + 1:]]
        starts = self.starts[: index + 1] + [start + delta for start in self.starts[index + 1:]]
        ends = self.ends[:index] + [end + delta for end in self.ends[index:]]
        all_mentions = list(self.mentions)
        all_mentions[index] = mentions
        structs = [(start + delta, end + delta, name) if start >= self.ends[index] else (start, end, name) for start, end, name in self.structs]
        edited = FunctionBodies(function_starts, starts, ends, self.impl_types, all_mentions, self.names, self.field_owners, structs,
                                self.own_names, self.type_names, self.shared_names)
        if self._links is not None:
            edited._links = list(self._links)
            edited._links[index] = edited.keys(index, mentions)
        return edited


def _innermost_impls(impls: list[tuple[int, int, str]], offsets: list[int]) -> list[str | None]:
    """For each of ``offsets`` (ascending), the type of the innermost impl holding it."""
    found: list[str | None] = []
    open_impls: list[tuple[int, str]] = []  # (end, type) of the impls around the offset, innermost last
    next_impl = 0
    for offset in offsets:
        while next_impl < len(impls) and impls[next_impl][0] <= offset:
            start, end, name = impls[next_impl]
            open_impls.append((end, name))
            next_impl += 1
        while open_impls and open_impls[-1][0] <= offset:
            open_impls.pop()
        found.append(open_impls[-1][1] if open_impls else None)
    return found


class Reach(NamedTuple):
    """What an edit of one body can change: the bodies linked to it, and the links."""

    bodies: set[int]
    links: set[tuple]


class _Edit(NamedTuple):
    """Where two texts differ: [start, old_end) in the old, [start, new_end) in the new."""

    start: int
    old_end: int
    new_end: int
    old_end_point: tuple[int, int]
    new_end_point: tuple[int, int]

    @property
    def delta(self) -> int:
        return self.new_end - self.old_end

    def offset(self, offset: int) -> int:
        return offset + self.delta if offset >= self.old_end else offset

    def point(self, line: int, column: int) -> tuple[int, int]:
        """Where a point at or after the old end moves (one before the start stays)."""
        old_line, old_column = self.old_end_point
        new_line, new_column = self.new_end_point
        if (line, column) < self.old_end_point:
            return line, column
        if line == old_line:
            return new_line, new_column + column - old_column
        return line + new_line - old_line, column

    def span(self, span: Span) -> Span:
        start = self.point(span.start_line, span.start_col)
        end = self.point(span.end_line, span.end_col)
        return Span(self.offset(span.start_byte), self.offset(span.end_byte), start[0], start[1], end[0], end[1])


def _difference(old: SourceText, new: SourceText) -> _Edit | None:
    a, b = old.data, new.data
    if a == b:
        return None
    shorter = min(len(a), len(b))
    low, high = 0, shorter  # the common prefix's length, by halving (each compare runs in C)
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    prefix = low
    low, high = 0, shorter - prefix
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle:] == b[len(b) - middle:]:
            low = middle
        else:
            high = middle - 1
    old_end, new_end = len(a) - low, len(b) - low
    return _Edit(prefix, old_end, new_end, old.point_of(old_end), new.point_of(new_end))


def _inside_a_body(root: Node, start: int, end: int) -> bool:
    """Whether [start, end) lies strictly inside a function body, found from the root down
    through the nodes holding it."""
    node = root
    while True:
        child = next((c for c in node.children if c.start_byte <= start and end <= c.end_byte), None)
        if child is None:
            return False
        if child.type == "block" and node.type == "function_item":
            return child.start_byte < start and end < child.end_byte
        node = child


def _changed_only_inside(previous: AnalysisResult, edit: _Edit, data: bytes, body_start: int, body_end: int) -> bool:
    """Whether parsing the new text changes the syntax of the old tree nowhere but inside
    [body_start, body_end): an edit can change how text far from it parses (an opened
    string literal), while every item keeps its range. Reparsed from the old tree, edited,
    so that tree-sitter compares the two by what they share."""
    edited = previous.tree.copy()
    edited.edit(start_byte=edit.start, old_end_byte=edit.old_end, new_end_byte=edit.new_end, start_point=previous.source.point_of(edit.start),
                old_end_point=edit.old_end_point, new_end_point=edit.new_end_point)
    reparsed = parse(data, edited)
    return all(body_start < changed.start_byte and changed.end_byte < body_end for changed in edited.changed_ranges(reparsed))


def _errors_only_inside(root: Node, start: int, end: int) -> bool:
    """Whether every syntax error (an error node or a missing one) of the tree lies inside [start, end)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.end_byte <= start or node.start_byte >= end:
            if node.has_error:
                return False
            continue
        if node.is_error or node.is_missing:
            if not (start <= node.start_byte and node.end_byte <= end):
                return False
            continue
        stack.extend(child for child in node.children if child.has_error)
    return True


def _same_functions(tree: Tree, focused_tree: Tree, bodies: "FunctionBodies", linked: set[int]) -> bool:
    """Whether the functions analysed again parse in the blanked copy as in the real file,
    node for node and at the same places: error recovery reads the text that follows, and
    that differs in the copy."""
    for index in linked:
        start, end = bodies.function_starts[index], bodies.ends[index]
        real = tree.root_node.descendant_for_byte_range(start, end)
        focused = focused_tree.root_node.descendant_for_byte_range(start, end)
        if real is None or focused is None or not _same_nodes(real, focused):
            return False
    return True


def _same_nodes(real: Node, focused: Node) -> bool:
    """Whether two subtrees have the same nodes (kind, range, missing or not) in the same order."""
    real_cursor, focused_cursor = real.walk(), focused.walk()
    while True:
        a, b = real_cursor.node, focused_cursor.node
        if a.kind_id != b.kind_id or a.start_byte != b.start_byte or a.end_byte != b.end_byte or a.is_missing != b.is_missing:
            return False
        if real_cursor.goto_first_child() != focused_cursor.goto_first_child():
            return False
        if a.child_count:
            continue
        while True:
            moved = real_cursor.goto_next_sibling()
            if moved != focused_cursor.goto_next_sibling():
                return False
            if moved:
                break
            up = real_cursor.goto_parent()
            if up != focused_cursor.goto_parent():
                return False
            if not up or real_cursor.node == real:
                return True


def _moved_finding(finding: Finding, edit: _Edit) -> Finding:
    fix = finding.fix
    if fix is not None:
        fix = Fix(fix.title, tuple(Edit(edit.offset(e.start_byte), edit.offset(e.end_byte), e.replacement) for e in fix.edits), fix.applicability)
    # A related location in another file stays where it is: this edit did not touch that file.
    related = tuple(item if item.path is not None else item._replace(span=edit.span(item.span)) for item in finding.related)
    return finding._replace(span=edit.span(finding.span), fix=fix, related=related, suppression=None)


# A place cited in a finding's text (`hosts.rs:66`, a path and a line).
_LINE_CITATION = re.compile(r":\d")


def _cites_a_line(finding: Finding) -> bool:
    """Whether the finding's message, notes or related messages may cite a line."""
    texts = (finding.message, *finding.notes, *(item.message for item in finding.related))
    return any(_LINE_CITATION.search(text) for text in texts)


def _touches(finding: Finding, start: int, end: int) -> bool:
    """Whether anything of the finding besides its span overlaps [start, end)."""
    ranges = [(item.span.start_byte, item.span.end_byte) for item in finding.related if item.path is None]
    if finding.fix is not None:
        ranges.extend((e.start_byte, e.end_byte) for e in finding.fix.edits)
    return any(low < end and high > start for low, high in ranges)


def analyze_after_edit(previous: AnalysisResult | None, data: bytes, settings: Settings, path: PurePath | None = None,
                       tree: Tree | None = None, workspace: "WorkspaceModel | None" = None) -> AnalysisResult:
    """``analyze(data, ...)``, computed from ``previous`` (an analysis of the same file under
    the same settings and workspace answers) when the edit since stays inside one function
    body; else a whole analysis."""
    if tree is None:
        tree = parse(data)
    bodies = None
    if previous is not None and previous.tree is not None and previous.rules_run is not None:
        result = _after_body_edit(previous, data, settings, path, tree, workspace)
        if isinstance(result, AnalysisResult):
            return result
        bodies = result
    whole = analyze(data, settings, path, tree, workspace)
    # Indexed for the next edit: someone typing in a function that reaches most of the file
    # would otherwise have it indexed again at every keystroke.
    whole.function_bodies = bodies
    return whole


def _after_body_edit(previous: AnalysisResult, data: bytes, settings: Settings, path: PurePath | None, tree: Tree,
                     workspace: "WorkspaceModel | None") -> "AnalysisResult | FunctionBodies | None":
    """The analysis after the edit from ``previous``; when it must be analysed whole, the
    file's functions after the edit if they are known by then, else None."""
    if previous.rule_failures or previous.rule_skips:
        return None
    source = SourceText(data)
    edit = _difference(previous.source, source)
    if edit is None:
        return None
    if _is_layout_edit(previous, edit, data, tree):
        return _after_layout_edit(previous, edit, source, tree, settings, path, workspace)
    to_run, meta_rules = _rules_after_edit(previous, edit, data, settings)
    if any(rule.reach != "linked-bodies" for rule in to_run):
        # Such a rule runs over the whole file: with the blanked copy's run beside it, the
        # edit would cost more than a whole analysis.
        return None
    if not {rule.code for rule in to_run} <= set(previous.rules_run):
        return None  # a rule that may fire now and did not run before: its findings are nowhere
    if not _inside_a_body(previous.tree.root_node, edit.start, edit.old_end):
        return None  # known before the file's functions are indexed
    if previous.function_bodies is None:
        previous.function_bodies = FunctionBodies.of(previous.tree, previous.source.data)
    old_bodies = previous.function_bodies
    index = old_bodies.index_at(edit.start)
    if index is None or not (old_bodies.starts[index] < edit.start and edit.old_end < old_bodies.ends[index]):
        return None
    if not _changed_only_inside(previous, edit, data, old_bodies.starts[index], old_bodies.ends[index] + edit.delta):
        return None
    start, old_end = old_bodies.starts[index], old_bodies.ends[index]
    body = tree.root_node.descendant_for_byte_range(start, old_end + edit.delta)
    if body is None or (body.start_byte, body.end_byte) != (start, old_end + edit.delta):
        return None
    if tree.root_node.has_error and not _errors_only_inside(tree.root_node, start, old_end + edit.delta):
        # The old tree reparsed says nothing outside the body changed; a whole parse of text
        # with errors may still recover elsewhere than that reparse did.
        return None
    if any(name not in old_bodies.names for name in _NESTED_FUNCTION.findall(data, start, old_end + edit.delta)):
        return None  # a function the edit declared: its callers in other bodies are linked to nothing yet
    old_body, new_body = previous.source.data[start:old_end], data[start:old_end + edit.delta]
    if constructed_names(old_body) != constructed_names(new_body):
        # Where values of a type are built is the workspace model's answer (``home``) for
        # every type they reach through fields: no name links the bodies that asked.
        return None
    own_name = old_bodies.own_names[index]
    new_mentions = Mentions.of_function(data, old_bodies.function_starts[index], old_end + edit.delta, own_name[1:] if own_name else None)
    bodies = old_bodies.after_edit(index, edit.delta, new_mentions)
    reach = bodies.linked_to(index, old_bodies.mentions[index], _linking_types(to_run, bodies, index, old_bodies.mentions[index], (old_body, new_body)))
    if len(data) > LARGE_FILE_BYTES and len(reach.bodies) > len(bodies.starts) * MOST_BODIES:
        # The copy would hold nearly the whole file: analysed beside the findings kept, it
        # costs more than one whole analysis (a name every function mentions links them all).
        return bodies
    # Of the rules that ran before and run now, the findings the edit cannot change are kept.
    codes = {rule.code for rule in to_run}
    # Found by where they were before the edit: the functions are the same, in the same order.
    kept = [f for f in previous.raw_findings if f.code in codes and _kept(old_bodies, reach, previous.source.data, f.span)]
    if any(_touches(f, edit.start, edit.old_end) for f in kept):
        return None  # a related location or fix edit in the edited text: where it moves is unknown
    kept_observations = [o for o in previous.observations if o.code in codes and _kept(old_bodies, reach, previous.source.data, o.span)]
    if edit.old_end_point[0] - previous.source.point_of(edit.start)[0] != edit.new_end_point[0] - previous.source.point_of(edit.start)[0] and (
            any(_cites_a_line(f) for f in kept) or any(_LINE_CITATION.search(text) for o in kept_observations for text in (o.subject, o.detail, o.key))):
        return None  # a line break added or taken away moves the lines they cite (`hosts.rs:66`)
    kept = [_moved_finding(f, edit) for f in kept]
    kept_observations = [o._replace(span=edit.span(o.span)) for o in kept_observations]

    focused_data = _blanked(data, bodies, reach.bodies)
    focused_tree = _parse_blanked(old_bodies.blanked, frozenset(reach.bodies), edit, previous.source, focused_data, bodies, source)
    bodies.blanked = (frozenset(reach.bodies), focused_tree)
    if tree.root_node.has_error and not _same_functions(tree, focused_tree, bodies, reach.bodies):
        return None
    focused = AnalysisResult(SourceText(focused_data, source.line_starts), focused_tree)  # blanking keeps every line break
    focused_ctx = AnalysisContext(focused.source, focused_tree, settings, path, workspace, whole_file=(tree, data),
                                  focus=_ReachFocus(bodies, reach, data))
    # A function the edit does not reach is blank but for its signature, judged only for
    # findings in itself (``AnalysisContext.judges_function_at``): the rules' whole-file
    # queries need not walk it.
    leave_out_of_whole_file_queries(focused_tree.root_node, [(bodies.function_starts[other], bodies.ends[other])
                                                             for other in range(len(bodies.starts)) if other not in reach.bodies])
    try:
        focused_raw = run_rules(to_run, focused_ctx, focused, workspace)
    finally:
        leave_out_of_whole_file_queries(None, [])
    focused_observations = focused_ctx.observations
    vars(focused_ctx).clear()
    if focused.rule_failures or focused.rule_skips:
        return None

    result = AnalysisResult(source, tree)
    result.rules_run = tuple(rule.code for rule in to_run)
    ctx = AnalysisContext(source, tree, settings, path, workspace)
    raw = [f for f in focused_raw if not _kept(bodies, reach, data, f.span)] + kept
    ctx.observations.extend(o for o in focused_observations if not _kept(bodies, reach, data, o.span))
    ctx.observations.extend(kept_observations)
    result.model_queries = tuple(dict.fromkeys(previous.model_queries + focused.model_queries))
    result.function_bodies = bodies
    result.by_function = True
    conclude(result, ctx, raw, meta_rules)
    return result


def _rules_after_edit(previous: AnalysisResult, edit: _Edit, data: bytes, settings: Settings) -> tuple[list, list]:
    """``rules_to_run(settings, data)``: those that ran before when no trigger word is
    spelled across the edit's bounds or in its text, before or after it (a word the edit
    adds or takes away would be; the file's others stay where they were)."""
    words = [word for rule_words in settings.rule_triggers.values() if rule_words for word in rule_words]
    longest = max(map(len, words), default=0)
    around_old = previous.source.data[max(0, edit.start - longest):edit.old_end + longest].lower()
    around_new = data[max(0, edit.start - longest):edit.new_end + longest].lower()
    if any(word in around_old or word in around_new for word in words):
        return rules_to_run(settings, data)
    return rules_to_run(settings, data, may_fire=previous.rules_run)


def _linking_types(rules, bodies: FunctionBodies, index: int, old_mentions: Mentions, texts: tuple[bytes, bytes]) -> frozenset[bytes]:
    """The types whose declarations' findings body ``index``'s edit (its text before and
    after: ``texts``) may change, by what ``rules`` read (``Rule.type_declaration_words``):
    those it names, when a rule reads any body naming a type or the body spells a word one
    reads; else none."""
    word_lists = [rule.type_declaration_words for rule in rules]
    if all(words is not None and not any(word in text for word in words for text in texts) for words in word_lists):
        return frozenset()
    return frozenset(name for kind, name, *_ in bodies.edited_keys(index, old_mentions) if kind == "type")


def _parse_blanked(previous: tuple[frozenset[int], Tree] | None, kept: frozenset[int], edit: _Edit, old_source: SourceText,
                   data: bytes, bodies: FunctionBodies, source: SourceText) -> Tree:
    """The tree of the blanked copy ``data``, reparsed from the previous copy's: ``data`` is
    that copy with the edit made and the bodies kept by one and not the other filled or
    blanked, each in place (blanking keeps every line and column, so the edit's points are
    the real file's, and ``source``'s those of the bodies, numbered as ``bodies`` after the
    edit). A reach that moves from one body to another then costs a reparse of two bodies,
    not of the whole file."""
    if previous is None:
        return parse(data)
    edited = previous[1].copy()
    edited.edit(start_byte=edit.start, old_end_byte=edit.old_end, new_end_byte=edit.new_end, start_point=old_source.point_of(edit.start),
                old_end_point=edit.old_end_point, new_end_point=edit.new_end_point)
    for index in sorted(previous[0] ^ kept):
        inside_start, inside_end = bodies.starts[index] + 1, bodies.ends[index] - 1
        end_point = source.point_of(inside_end)
        edited.edit(start_byte=inside_start, old_end_byte=inside_end, new_end_byte=inside_end, start_point=source.point_of(inside_start),
                    old_end_point=end_point, new_end_point=end_point)
    return parse(data, edited)


class _ReachFocus:
    """Where the blanked copy's analysis is asked for findings (``AnalysisContext.focus``):
    those ``_kept`` does not keep from before."""

    def __init__(self, bodies: FunctionBodies, reach: Reach, data: bytes):
        self.bodies, self.reach, self.data = bodies, reach, data

    def wants_findings_in(self, start: int, end: int) -> bool:
        return not _kept_at(self.bodies, self.reach, self.data, start, end)

    def judges_function_at(self, offset: int) -> bool:
        index = self.bodies.index_at(offset)
        return index is None or index in self.reach.bodies


def _kept(bodies: FunctionBodies, reach: Reach, data: bytes, span: Span) -> bool:
    """Whether a finding at ``span`` (of ``data``) is one the edit cannot change: in a
    function it does not reach, or on a declaration none of the functions it reaches
    mentions."""
    return _kept_at(bodies, reach, data, span.start_byte, span.end_byte)


def _kept_at(bodies: FunctionBodies, reach: Reach, data: bytes, start: int, end: int) -> bool:
    """``_kept`` for a finding at [start, end)."""
    index = bodies.index_at(start)
    if index is not None:
        return index not in reach.bodies
    link = bodies.declared_at(data, start, end)
    return link is not None and link not in reach.links


def _blanked(data: bytes, bodies: FunctionBodies, linked: set[int]) -> bytes:
    """``data`` with the inside of every body not in ``linked`` blanked out."""
    parts = []
    position = 0
    for index, (start, end) in enumerate(zip(bodies.starts, bodies.ends)):
        if index in linked:
            continue
        parts.append(data[position:start + 1])
        parts.append(data[start + 1:end - 1].translate(_BLANK))
        position = end - 1
    parts.append(data[position:])
    return b"".join(parts)


# Where blanks may widen or narrow without any rule seeing it: between two items of a file,
# module, impl or trait, two fields or variants, or two statements of a function's body. No
# rule quotes the text of such a list whole, nor reads how wide the blanks between its
# elements are; tests/test_function_edits.py checks it over random layout edits.
_LAYOUT_LISTS = frozenset({"source_file", "declaration_list", "field_declaration_list", "enum_variant_list"})
_BLANKS = frozenset(b" \t")
_WHITESPACE = frozenset(b" \t\r\n")


def _is_layout_edit(previous: AnalysisResult, edit: _Edit, data: bytes, tree: Tree) -> bool:
    """Whether the edit only widens or narrows a run of spaces and tabs (no line break
    added or removed) lying between two elements of a list (``_LAYOUT_LISTS``), in the old
    text and the new, of a file that parses, and leaves the syntax tree as it was."""
    if tree.root_node.has_error or previous.tree.root_node.has_error:
        # Error recovery reads the blanks' width: one more space can end a node elsewhere
        # in a whole parse, while a reparse from the old tree keeps its nodes.
        return False
    old_data = previous.source.data
    if not (all(byte in _BLANKS for byte in old_data[edit.start:edit.old_end]) and all(byte in _BLANKS for byte in data[edit.start:edit.new_end])):
        return False
    if not (_between_list_elements(previous.tree, old_data, edit.start, edit.old_end) and _between_list_elements(tree, data, edit.start, edit.new_end)):
        return False
    edited = previous.tree.copy()
    edited.edit(start_byte=edit.start, old_end_byte=edit.old_end, new_end_byte=edit.new_end, start_point=previous.source.point_of(edit.start),
                old_end_point=edit.old_end_point, new_end_point=edit.new_end_point)
    return not edited.changed_ranges(parse(data, edited))


def _between_list_elements(tree: Tree, data: bytes, start: int, end: int) -> bool:
    """Whether [start, end) of ``data`` lies in the whitespace between two elements of a
    list: the smallest node holding the tokens either side of that whitespace is one."""
    gap_start, gap_end = start, end
    while gap_start > 0 and data[gap_start - 1] in _WHITESPACE:
        gap_start -= 1
    while gap_end < len(data) and data[gap_end] in _WHITESPACE:
        gap_end += 1
    node = tree.root_node.descendant_for_byte_range(max(gap_start - 1, 0), min(gap_end + 1, len(data)))
    if node is None:
        return False
    return node.type in _LAYOUT_LISTS or (node.type == "block" and node.parent is not None and node.parent.type == "function_item")


class _LayoutMove:
    """Where offsets and spans of the old text lie after a layout edit (``_is_layout_edit``);
    None for one whose place is ambiguous (a bound inside or at the edge of the changed
    blanks that is not a token's)."""

    def __init__(self, edit: _Edit, old_data: bytes):
        self.edit = edit
        self.old_data = old_data

    def start(self, offset: int) -> int | None:
        edit = self.edit
        if offset < edit.start:
            return offset
        if offset >= edit.old_end and (offset > edit.start or (offset < len(self.old_data) and self.old_data[offset] not in _WHITESPACE)):
            return offset + edit.delta
        return None

    def end(self, offset: int) -> int | None:
        edit = self.edit
        if offset > edit.old_end:
            return offset + edit.delta
        if offset < edit.start or (offset == edit.start and (edit.old_end > edit.start or offset == 0 or self.old_data[offset - 1] not in _WHITESPACE)):
            return offset
        return None

    def _column(self, line: int, column: int, old_offset: int, new_offset: int) -> int:
        # No line break changed: only columns after the edit, on its line, move.
        return column + new_offset - old_offset if line == self.edit.old_end_point[0] else column

    def span(self, span: Span) -> Span | None:
        start, end = self.start(span.start_byte), self.end(span.end_byte)
        if start is None or end is None:
            return None
        return Span(start, end, span.start_line, self._column(span.start_line, span.start_col, span.start_byte, start),
                    span.end_line, self._column(span.end_line, span.end_col, span.end_byte, end))

    def finding(self, finding: Finding) -> Finding | None:
        span = self.span(finding.span)
        if span is None:
            return None
        related = []
        for item in finding.related:
            if item.path is not None:
                related.append(item)  # in another file
                continue
            moved = self.span(item.span)
            if moved is None:
                return None
            related.append(item._replace(span=moved))
        fix = finding.fix
        if fix is not None:
            edits = []
            for fix_edit in fix.edits:
                start, end = self.start(fix_edit.start_byte), self.end(fix_edit.end_byte)
                if start is None or end is None:
                    return None
                edits.append(Edit(start, end, fix_edit.replacement))
            fix = Fix(fix.title, tuple(edits), fix.applicability)
        return finding._replace(span=span, related=tuple(related), fix=fix, suppression=None)


def _after_layout_edit(previous: AnalysisResult, edit: _Edit, source: SourceText, tree: Tree, settings: Settings, path: PurePath | None,
                       workspace: "WorkspaceModel | None") -> AnalysisResult | None:
    """The analysis after a layout edit: every rule's findings and observations are the
    previous ones, moved; suppressions and the meta rules run on the new text."""
    to_run, meta_rules = rules_to_run(settings, source.data)
    if {rule.code for rule in to_run} != set(previous.rules_run):
        return None
    move = _LayoutMove(edit, previous.source.data)
    raw = [move.finding(finding) for finding in previous.raw_findings]
    observations = [(observation, move.span(observation.span)) for observation in previous.observations]
    if any(finding is None for finding in raw) or any(span is None for _, span in observations):
        return None
    result = AnalysisResult(source, tree)
    result.rules_run = tuple(rule.code for rule in to_run)
    result.model_queries = previous.model_queries
    result.function_bodies = _moved_bodies(previous.function_bodies, move)
    result.by_function = True
    ctx = AnalysisContext(source, tree, settings, path, workspace)
    ctx.observations.extend(observation._replace(span=span) for observation, span in observations)
    conclude(result, ctx, raw, meta_rules)
    return result


def _moved_bodies(bodies: FunctionBodies | None, move: _LayoutMove) -> FunctionBodies | None:
    """``bodies`` after a layout edit, or None when not known or a bound is ambiguous."""
    if bodies is None:
        return None
    function_starts = [move.start(offset) for offset in bodies.function_starts]
    starts = [move.start(offset) for offset in bodies.starts]
    ends = [move.end(offset) for offset in bodies.ends]
    structs = [(move.start(start), move.end(end), name) for start, end, name in bodies.structs]
    if None in function_starts or None in starts or None in ends or any(start is None or end is None for start, end, _ in structs):
        return None
    moved = FunctionBodies(function_starts, starts, ends, bodies.impl_types, bodies.mentions, bodies.names, bodies.field_owners, structs,
                           bodies.own_names, bodies.type_names, bodies.shared_names)
    moved._links = bodies._links
    return moved
