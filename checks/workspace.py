"""The workspace model: what the code is, across files and crates.

Rules that decide from one expression's words misjudge code they have not seen: a map that is
a field of a per-request struct looks shared, a receiver called ``manager`` hides a secrets
manager, a static behind a type alias hides its map. A reviewer looks up declared types,
where state lives and which crate code belongs to; this module gives rules the same facts.

It is built from one ``FileItems`` summary per file (items and their declared types, as
text), cheap to extract from a parse and cached by content like results (``checks.cache``),
so a second run, or an edit to one file, re-summarises that file only. Type questions are
answered on type text (``parse_type``): through ``use`` renames, type aliases, wrappers
(``Arc``, ``Mutex``, ``Lazy``, …) and into the workspace's own structs, generics
substituted.
"""

from __future__ import annotations

import os
import re
import threading
import zlib
from functools import lru_cache
from pathlib import Path, PurePath
from typing import Iterable, Iterator, NamedTuple

from tree_sitter import Node, Tree

from .model import InputTooDeep
from .parsing import captures
from .statics import declaring_macro_storage, slots_from_macro
from .vocabulary import Vocabulary, WordSet, names_identity, words_of


# Types that hold one value and add sharing, locking, laziness or optionality around it.
WRAPPERS = frozenset({
    "Arc", "Rc", "Box", "RwLock", "Mutex", "RefCell", "Cell", "Option", "OnceCell", "OnceLock",
    "Lazy", "LazyLock", "LazyCell", "ArcSwap", "ArcSwapOption", "Weak", "ReentrantMutex",
    "CachePadded", "AtomicCell", "Pin", "ManuallyDrop", "UnsafeCell", "SyncUnsafeCell",
    "AsyncMutex", "AsyncRwLock", "Data", "State", "Extension", "Cow", "AsyncOnceCell",
})
MAP_TYPES = frozenset({
    "HashMap", "BTreeMap", "DashMap", "IndexMap", "FxHashMap", "AHashMap", "LruCache", "Cache",
    "SegmentedCache", "TimedCache", "SizedCache", "TimedSizedCache", "LinkedHashMap", "SkipMap",
    "HashTrieMap", "BiHashMap", "ConcurrentHashMap", "FlurryHashMap", "QuickCache", "Slab",
})
SET_TYPES = frozenset({"HashSet", "BTreeSet", "IndexSet", "DashSet", "FxHashSet", "AHashSet", "SkipSet"})
SEQUENCE_TYPES = frozenset({"Vec", "VecDeque", "SmallVec", "LinkedList"})
# Lock wrappers: state behind them is mutable through a shared reference.
LOCKS = frozenset({"RwLock", "Mutex", "RefCell", "Cell", "ArcSwap", "ArcSwapOption", "ReentrantMutex", "UnsafeCell",
                   "AsyncMutex", "AsyncRwLock", "AtomicCell"})
# Types whose name alone says they keep mutable or keyed state.
KNOWN_STATE_TYPES = MAP_TYPES | SET_TYPES | SEQUENCE_TYPES | LOCKS | frozenset({"DashMap", "DashSet"})
# Crate and folder names of workspace tooling: code that never serves a tenant.
TOOLING_WORDS = frozenset({"xtask", "bench", "benches", "benchmark", "benchmarks", "fuzz", "tools", "tool", "simulator",
                           "sim", "testing", "test", "tests", "examples", "example", "dev", "codegen", "scripts"})
MAX_RESOLUTION_DEPTH = 12
# How deeply type text may nest (generics, references, tuples) for ``parse_type`` to read it.
# A ``TypeExpr`` is read recursively everywhere (compared, hashed, substituted, pickled into
# the cache), so deeper text is refused (``InputTooDeep``); real types nest a few levels.
MAX_TYPE_NESTING = 64
MINTED_ID_TYPES = frozenset({"Uuid", "Ulid"})
# Extractors through which web frameworks hand every request the host's one shared state.
_SHARED_STATE_EXTRACTORS = frozenset({"State", "Data", "Extension"})
_IDENTIFIER_WORDS = frozenset({"id", "ids", "ref", "name", "uid", "key"})


class TypeExpr(NamedTuple):
    """A Rust type as written: ``name`` is the last path segment (``HashMap``), ``path`` the
    whole path without generics (``std::collections::HashMap``); ``kind`` is path, tuple,
    reference, dyn, impl, array, slice, function or other."""

    kind: str
    name: str
    path: str
    args: tuple["TypeExpr", ...]
    text: str


_TOKEN = re.compile(r"\s*(::|->|'[A-Za-z_][A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*|\d+|.)", re.S)


def parse_type(text: str) -> TypeExpr:
    """Parse type text into a ``TypeExpr``; what it cannot read becomes kind ``other``.
    Raises ``InputTooDeep`` when it nests deeper than ``MAX_TYPE_NESTING``."""
    parsed = _parsed_type(text)
    if parsed is None:
        raise InputTooDeep(f"a type nested more than {MAX_TYPE_NESTING} levels deep: {text[:60]}…")
    return parsed


@lru_cache(maxsize=16384)
def _parsed_type(text: str) -> TypeExpr | None:
    """``parse_type``'s answer, None for text nested too deeply (kept too: refused text
    stays refused without being read again)."""
    tokens = [t for t in _TOKEN.findall(text) if t.strip()]
    parser = _TypeParser(tokens)
    try:
        parsed = parser.parse()
    except IndexError:
        return TypeExpr("other", "", "", (), text.strip())
    except _NestedTooDeep:
        return None
    return parsed


class _NestedTooDeep(Exception):
    pass


class _TypeParser:
    """A recursive-descent reader of type text, bounded by the text's own length and, in
    depth, by ``MAX_TYPE_NESTING``."""

    def __init__(self, tokens: list[str]):
        self.tokens = tokens
        self.position = 0
        self.nesting = 0

    def peek(self) -> str:
        return self.tokens[self.position] if self.position < len(self.tokens) else ""

    def take(self) -> str:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def parse(self) -> TypeExpr:
        if self.nesting >= MAX_TYPE_NESTING:
            raise _NestedTooDeep
        self.nesting += 1
        try:
            return self._parse_one()
        finally:
            self.nesting -= 1

    def _parse_one(self) -> TypeExpr:
        start = self.position
        token = self.peek()
        if token == "&" or token == "*":
            self.take()
            while self.peek() in ("mut", "const") or self.peek().startswith("'"):
                self.take()
            inner = self.parse()
            return TypeExpr("reference", inner.name, inner.path, (inner,), self._text(start))
        if token == "(":
            self.take()
            items = self._list(")")
            if len(items) == 1 and not self._had_trailing_comma:
                return items[0]
            return TypeExpr("tuple", "", "", tuple(items), self._text(start))
        if token == "[":
            self.take()
            inner = self.parse()
            kind = "slice"
            if self.peek() == ";":
                kind = "array"
                depth = 0
                while self.peek() and not (self.peek() == "]" and depth == 0):
                    depth += {"[": 1, "]": -1}.get(self.take(), 0)
            if self.peek() == "]":
                self.take()
            return TypeExpr(kind, inner.name, inner.path, (inner,), self._text(start))
        if token in ("dyn", "impl"):
            self.take()
            bounds = [self.parse()]
            while self.peek() == "+":
                self.take()
                bounds.append(self.parse())
            main = next((b for b in bounds if b.kind == "path" and b.name not in ("Send", "Sync", "Unpin")), bounds[0])
            return TypeExpr(token, main.name, main.path, tuple(bounds), self._text(start))
        if token in ("fn", "Fn", "FnMut", "FnOnce") and self.position + 1 < len(self.tokens) and self.tokens[self.position + 1] == "(":
            self.take()
            self.take()
            self._list(")")
            if self.peek() == "->":
                self.take()
                self.parse()
            return TypeExpr("function", token, token, (), self._text(start))
        if token.startswith("'"):
            self.take()
            return TypeExpr("lifetime", token, token, (), token)
        return self._path(start)

    _had_trailing_comma = False

    def _list(self, closing: str) -> list[TypeExpr]:
        items: list[TypeExpr] = []
        self._had_trailing_comma = False
        while self.peek() and self.peek() != closing:
            before = self.position
            items.append(self.parse())
            self._had_trailing_comma = False
            if self.peek() == ",":
                self.take()
                self._had_trailing_comma = True
            elif self.peek() != closing:
                self.take()  # an unexpected token: skip it rather than loop
            if self.position == before:
                self.take()
        if self.peek() == closing:
            self.take()
        return items

    def _path(self, start: int) -> TypeExpr:
        segments: list[str] = []
        args: tuple[TypeExpr, ...] = ()
        if self.peek() == "::":
            self.take()
        while True:
            token = self.peek()
            if not token or not (token[0].isalpha() or token[0] == "_"):
                if not segments:
                    self.take() if token else None
                    return TypeExpr("other", "", "", (), self._text(start))
                break
            segments.append(self.take())
            if self.peek() == "<":
                self.take()
                args = tuple(a for a in self._list(">") if a.kind != "lifetime")
            if self.peek() == "::":
                self.take()
                continue
            break
        # A binding in generics (`Item = T`): the bound type is what matters.
        if self.peek() == "=" and args == ():
            self.take()
            return self.parse()
        return TypeExpr("path", segments[-1], "::".join(segments), args, self._text(start))

    def _text(self, start: int) -> str:
        text = ""
        for token in self.tokens[start:self.position]:
            if text and (text[-1].isalnum() or text[-1] == "_") and (token[0].isalnum() or token[0] == "_"):
                text += " "
            elif token in ("+", "->") or text.endswith((",", "+", "->")):
                text += " "
            text += token
        return text


def named_types(type_text: str) -> Iterator[TypeExpr]:
    """Every type written in ``type_text``, outermost first (no resolution)."""
    pending = [parse_type(type_text)]
    while pending:
        expression = pending.pop()
        yield expression
        pending.extend(expression.args)


def types_outside_collections(type_text: str) -> Iterator[TypeExpr]:
    """``named_types`` without descending into what a map, set or sequence holds."""
    pending = [parse_type(type_text)]
    while pending:
        expression = pending.pop()
        yield expression
        if expression.name not in MAP_TYPES and expression.name not in SET_TYPES and expression.name not in SEQUENCE_TYPES:
            pending.extend(expression.args)


class Signature(NamedTuple):
    """A function or method: its parameters (name, type text) and return type text."""

    name: str
    params: tuple[tuple[str, str], ...]
    returns: str
    line: int
    has_self: bool


class StructDef(NamedTuple):
    name: str
    generics: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]  # (name, type text); tuple fields named 0, 1, …
    line: int


class ImplBlock(NamedTuple):
    self_type: str  # the type's last segment
    trait: str | None  # the trait's last segment
    methods: tuple[Signature, ...]


class StaticDef(NamedTuple):
    name: str
    type_text: str
    storage: str  # static, static-mut, thread-local, task-local, lazy-static
    line: int


class BodyRead(NamedTuple):
    """A function that reads a raw body parameter (``body: Bytes``) as a typed value: the
    serde call's target (``serde_json::from_slice::<T>(&body)``, ``let t: T =
    serde_yaml::from_str(&body)?``), the type written where another function handed the body
    is called, or the workspace functions handed it, whose return type is what it is read as. Whether the function is a request handler, so the body a
    client's, is the workspace's question (``checks.tenancy.request_seeds``)."""

    function: Signature
    routed: bool  # a route attribute registers it (`#[post("/indexes")]`)
    types: tuple[str, ...]  # type texts written where the body is read (turbofish, `let` annotation)
    helpers: tuple[str, ...]  # names of functions called with the body as an argument


class FileItems(NamedTuple):
    """One file's items, as text: the per-file summary the workspace model merges."""

    structs: tuple[StructDef, ...]
    enums: tuple[str, ...]
    aliases: tuple[tuple[str, tuple[str, ...], str], ...]  # (name, generics, aliased type text)
    traits: tuple[str, ...]
    impls: tuple[ImplBlock, ...]
    functions: tuple[Signature, ...]
    statics: tuple[StaticDef, ...]
    uses: tuple[tuple[str, str], ...]  # (name in scope, full path it names)
    # The snake_case and SCREAMING_CASE names the file's text spells (identifiers, and words
    # in comments and strings): where a static is used or a function may be called, found
    # without a tree.
    names_mentioned: frozenset[str]
    # Types built by a function body, other than by the type's own methods: (type, built in
    # `main`). Where values of a type are made says where they live.
    constructions: tuple[tuple[str, bool], ...] = ()
    # Modules declared here, in their own file, behind a test attribute (`#[cfg(test)] mod x;`):
    # those files are test code, though nothing in them says so.
    test_modules: tuple[str, ...] = ()
    # The types each enum's variants hold, as text (`Auth::Keys(S3Keys)` → `S3Keys`, and the
    # fields of struct variants): what a value of the enum may carry.
    enum_payloads: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Conversions declared by `impl From<A> for B` and `impl TryFrom<A> for B`: (A as text, B):
    # a `B` may be made of what an `A` held.
    conversions: tuple[tuple[str, str], ...] = ()
    # Free functions reading a raw body parameter as a typed value.
    body_reads: tuple[BodyRead, ...] = ()


def _text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    text = node.text.decode("utf-8", "replace")
    # Whitespace folded only where there is some to fold: most type texts have none.
    return " ".join(text.split()) if "\n" in text or "  " in text or "\t" in text else text


def _generic_names(item: Node) -> tuple[str, ...]:
    parameters = item.child_by_field_name("type_parameters")
    if parameters is None:
        return ()
    names = []
    for parameter in parameters.named_children:
        name = parameter.child_by_field_name("name") if parameter.type != "type_identifier" else parameter
        if parameter.type in ("type_parameter", "constrained_type_parameter", "optional_type_parameter", "type_identifier"):
            name = name or next((c for c in parameter.named_children if c.type == "type_identifier"), None)
            if name is not None:
                names.append(_text(name))
    return tuple(names)


def _signature(function: Node) -> Signature:
    """A function's signature; a parameter typed by one of its generics is recorded as the
    generic's bounds (``secrets: &S`` where ``S: SecretStore`` → ``&impl SecretStore``)."""
    bounds = _generic_bounds(function)
    parameters = function.child_by_field_name("parameters")
    params: list[tuple[str, str]] = []
    has_self = False
    if parameters is not None:
        for parameter in parameters.named_children:
            if parameter.type == "self_parameter":
                has_self = True
            elif parameter.type == "parameter":
                pattern = parameter.child_by_field_name("pattern")
                type_text = _text(parameter.child_by_field_name("type"))
                if bounds:
                    type_text = _GENERIC_NAME.sub(lambda m: f"impl {bounds[m.group(0)]}" if m.group(0) in bounds else m.group(0), type_text)
                params.append((_text(pattern).removeprefix("mut "), type_text))
    return Signature(_text(function.child_by_field_name("name")), tuple(params),
                     _text(function.child_by_field_name("return_type")), function.start_point[0], has_self)


_GENERIC_NAME = re.compile(r"\b[A-Z][A-Za-z0-9_]*\b")


def _generic_bounds(function: Node) -> dict[str, str]:
    """Each bounded generic parameter of a function, with its bounds as text."""
    bounds: dict[str, str] = {}
    parameters = function.child_by_field_name("type_parameters")
    predicates = [p for p in (parameters.named_children if parameters is not None else ()) if p.type == "type_parameter"]
    where = next((c for c in function.named_children if c.type == "where_clause"), None)
    if where is not None:
        predicates.extend(p for p in where.named_children if p.type == "where_predicate")
    for predicate in predicates:
        name = next((c for c in predicate.named_children if c.type == "type_identifier"), None)
        trait_bounds = next((c for c in predicate.named_children if c.type == "trait_bounds"), None)
        if name is not None and trait_bounds is not None:
            bounds[_text(name)] = " + ".join(_text(bound) for bound in trait_bounds.named_children)
    return bounds


def _struct(item: Node) -> StructDef:
    body = item.child_by_field_name("body")
    fields: list[tuple[str, str]] = []
    if body is not None and body.type == "field_declaration_list":
        for declaration in body.named_children:
            if declaration.type == "field_declaration":
                fields.append((_text(declaration.child_by_field_name("name")), _text(declaration.child_by_field_name("type"))))
    elif body is not None and body.type == "ordered_field_declaration_list":
        position = 0
        for child in body.named_children:
            if child.type in ("attribute_item", "visibility_modifier", "line_comment", "block_comment"):
                continue
            fields.append((str(position), _text(child)))
            position += 1
    return StructDef(_text(item.child_by_field_name("name")), _generic_names(item), tuple(fields), item.start_point[0])


class _Prefix(NamedTuple):
    """The path a nested ``use`` list sits under, as a chain to its parent list's prefix:
    written out only where a name is brought in, so a deeply nested tree costs its size,
    not its depth times its size."""

    segment: str
    above: "_Prefix | None"

    def joined(self, tail: str = "") -> str:
        segments = [tail] if tail else []
        prefix: _Prefix | None = self
        while prefix is not None:
            segments.append(prefix.segment)
            prefix = prefix.above
        return "::".join(reversed(segments))


def _use_pairs(argument: Node | None) -> list[tuple[str, str]]:
    """(name in scope, full path) for each name a ``use`` tree brings in, in source order."""
    pairs: list[tuple[str, str]] = []
    pending: list[tuple[Node | None, _Prefix | None]] = [(argument, None)]
    while pending:
        node, prefix = pending.pop()
        if node is None:
            continue
        kind = node.type
        if kind in ("identifier", "scoped_identifier", "crate", "self", "super"):
            path = prefix.joined(_text(node)) if prefix else _text(node)
            pairs.append((path.rsplit("::", 1)[-1], path))
        elif kind == "use_as_clause":
            path = _text(node.child_by_field_name("path"))
            pairs.append((_text(node.child_by_field_name("alias")), prefix.joined(path) if prefix else path))
        elif kind == "scoped_use_list":
            path = _text(node.child_by_field_name("path"))
            pending.append((node.child_by_field_name("list"), _Prefix(path, prefix) if path else prefix))
        elif kind == "use_wildcard":
            inner = node.named_children[0] if node.named_children else None
            path = _text(inner) if inner is not None else ""
            full = prefix.joined(path) if prefix else path
            pairs.append(("*", f"{full}::*"))
        elif kind == "use_list":
            pending.extend((child, prefix) for child in reversed(node.named_children))
    return pairs


# Names questions are asked about: functions and modules (snake_case) and statics
# (SCREAMING_CASE); type names (CamelCase) never are, and are most of a file's names. Read
# from the bytes (a third cheaper than decoding first): next to a non-ASCII letter a bytes
# pattern sees a word boundary where a text pattern sees none, so at worst a name is listed
# as mentioned that a text search would not list, and a candidate file more is read.
_ASKED_NAME = re.compile(rb"\b(?:[a-z_][a-z0-9_]*|[A-Z][A-Z0-9_]*)\b")
# Each name's text, made once for every file spelling it: the files of a workspace share most
# of their names (openobserve's 1,467 files spell 45,000 names 396,000 times; a text each
# took 25 MB).
_NAME_TEXTS: dict[bytes, str] = {}


def summarise(tree: Tree, data: bytes) -> FileItems:
    """The items of one parsed file (top level, inline modules and impl blocks)."""
    structs: list[StructDef] = []
    enums: list[str] = []
    aliases: list[tuple[str, tuple[str, ...], str]] = []
    traits: list[str] = []
    impls: list[ImplBlock] = []
    functions: list[Signature] = []
    statics: list[StaticDef] = []
    uses: list[tuple[str, str]] = []
    constructions: set[tuple[str, bool]] = set()
    test_modules: list[str] = []
    enum_payloads: list[tuple[str, tuple[str, ...]]] = []
    conversions: list[tuple[str, str]] = []
    body_reads: list[BodyRead] = []
    pending = [tree.root_node]
    while pending:
        container = pending.pop()
        for item in container.named_children:
            kind = item.type
            if kind == "struct_item" or kind == "union_item":
                structs.append(_struct(item))
            elif kind == "enum_item":
                enums.append(_text(item.child_by_field_name("name")))
                enum_payloads.append((enums[-1], _variant_payloads(item)))
            elif kind == "type_item":
                aliases.append((_text(item.child_by_field_name("name")), _generic_names(item), _text(item.child_by_field_name("type"))))
            elif kind == "trait_item":
                name = _text(item.child_by_field_name("name"))
                traits.append(name)
                body = item.child_by_field_name("body")
                declared = [_signature(child) for child in body.named_children
                            if child.type in ("function_item", "function_signature_item")] if body is not None else []
                impls.append(ImplBlock(name, None, tuple(declared)))
            elif kind == "function_item":
                functions.append(_signature(item))
                constructions.update(_constructed(item, None))
                read = _body_read(item, functions[-1])
                if read is not None:
                    body_reads.append(read)
            elif kind == "static_item":
                mutable = any(child.type == "mutable_specifier" for child in item.children)
                statics.append(StaticDef(_text(item.child_by_field_name("name")), _text(item.child_by_field_name("type")),
                                         "static-mut" if mutable else "static", item.start_point[0]))
            elif kind == "macro_invocation":
                storage = declaring_macro_storage(item)
                if storage is not None:
                    statics.extend(StaticDef(slot.name, slot.type_text, storage, slot.name_node.start_point[0])
                                   for slot in slots_from_macro(data, item, storage))
            elif kind == "use_declaration":
                uses.extend(_use_pairs(item.child_by_field_name("argument")))
            elif kind == "impl_item":
                impls.append(_impl(item))
                owner = impls[-1].self_type
                converted_from = _conversion_source(item)
                if converted_from is not None:
                    conversions.append((converted_from, owner))
                body = item.child_by_field_name("body")
                for method in body.named_children if body is not None else ():
                    if method.type == "function_item":
                        constructions.update(_constructed(method, owner))
            elif kind == "mod_item":
                body = item.child_by_field_name("body")
                if body is not None:
                    pending.append(body)
                elif container.type == "source_file" and _behind_cfg_test(item):
                    test_modules.append(_text(item.child_by_field_name("name")))
    texts = _NAME_TEXTS
    mentioned = frozenset([texts.get(name) or texts.setdefault(name, name.decode()) for name in set(_ASKED_NAME.findall(data))])
    return FileItems(tuple(structs), tuple(enums), tuple(aliases), tuple(traits), tuple(impls), tuple(functions),
                     tuple(statics), tuple(uses), mentioned, tuple(sorted(constructions)), tuple(test_modules),
                     tuple(enum_payloads), tuple(conversions), tuple(body_reads))


# Types a handler takes the request body as, unparsed.
_RAW_BODY_TYPES = frozenset({"Bytes", "BytesMut", "String"})
# Functions of serde format crates that read a value from text or bytes.
_DESERIALIZERS = frozenset({"from_slice", "from_str", "from_reader", "from_bytes"})
# Views of a body that are still the body (`&body[..]`, `body.as_ref()`).
_BODY_VIEWS = frozenset({"as_ref", "as_bytes", "as_slice", "to_vec", "as_str", "clone", "to_string", "into"})
# Methods through which a parsed value passes on to its binding (`.map_err(..)?`, `.context(..)?`).
_RESULT_PASSES = frozenset({"map_err", "context", "with_context", "expect", "unwrap", "ok", "ok_or", "ok_or_else"})
# actix-web's route macros.
_ROUTE_ATTRIBUTE = re.compile(r"^(?:[a-z_]+::)*(?:get|post|put|patch|delete|head|route)\s*\(\s*\"")


_NAMED_CALLS = "(call_expression function: [(identifier) (scoped_identifier) (generic_function)]) @call"


def _is_raw_body(type_text: str) -> bool:
    try:
        expression = parse_type(type_text)
    except InputTooDeep:
        return False
    if expression.kind != "path":
        return False
    if expression.name == "Vec":
        return [argument.text for argument in expression.args] == ["u8"]
    return expression.name in _RAW_BODY_TYPES


def _body_read(function: Node, signature: Signature) -> BodyRead | None:
    """What ``function`` reads its raw body parameter as (``checks.workspace.BodyRead``)."""
    bodies = {name for name, text in signature.params if _is_raw_body(text)}
    block = function.child_by_field_name("body")
    if not bodies or block is None:
        return None
    types: list[str] = []
    helpers: list[str] = []
    # Calls of functions by name or path: a method's return is not known here, and a query
    # finds these without a walk in Python over every node (long method chains).
    for node in captures(_NAMED_CALLS, block).get("call", ()):
        arguments = node.child_by_field_name("arguments")
        if arguments is None or not any(_names_body(argument, bodies) for argument in arguments.named_children):
            continue
        callee = node.child_by_field_name("function")
        turbofish = callee.child_by_field_name("type_arguments") if callee is not None and callee.type == "generic_function" else None
        path = callee.child_by_field_name("function") if turbofish is not None else callee
        if path is None or path.type not in ("identifier", "scoped_identifier"):
            continue  # a generic method (`value.parse::<T>()`)
        segments = _text(path).split("::")
        if not all(segment[:1].islower() for segment in segments[:-1]) or not segments[-1][:1].islower():
            continue  # a type's constructor (`String::from_utf8`, `Uri::from_str`), not a format's reader
        # A generic reader's type is written at the call or on the binding.
        target = _text(turbofish.named_children[0]) if turbofish is not None and turbofish.named_children else _annotated_binding(node)
        if target:
            types.append(target)
        if segments[-1] not in _DESERIALIZERS:
            helpers.append(segments[-1])
    if not types and not helpers:
        return None
    return BodyRead(signature, _has_route_attribute(function), tuple(dict.fromkeys(types)), tuple(dict.fromkeys(helpers)))


def _names_body(argument: Node, bodies: set[str]) -> bool:
    """``body``, ``&body``, ``&body[..]``, ``body.as_ref()``: the body itself."""
    node = argument
    while True:
        if node.type == "identifier":
            return _text(node) in bodies
        if node.type in ("reference_expression", "index_expression"):
            node = node.child_by_field_name("value") if node.type == "reference_expression" else node.named_children[0]
        elif node.type == "call_expression" and (callee := node.child_by_field_name("function")) is not None \
                and callee.type == "field_expression" and _text(callee.child_by_field_name("field")) in _BODY_VIEWS:
            node = callee.child_by_field_name("value")
        else:
            return False
        if node is None:
            return False


def _annotated_binding(call: Node) -> str:
    """The declared type of the ``let`` a call's value is bound by, through ``?``, ``.await``
    and error mapping (``let config: T = serde_yaml::from_slice(&body).context(..)?;``)."""
    node, parent = call, call.parent
    while parent is not None:
        if parent.type in ("try_expression", "await_expression", "parenthesized_expression"):
            node, parent = parent, parent.parent
        elif parent.type == "field_expression" and _same(parent.child_by_field_name("value"), node) \
                and _text(parent.child_by_field_name("field")) in _RESULT_PASSES and parent.parent is not None \
                and parent.parent.type == "call_expression":
            node, parent = parent.parent, parent.parent.parent
        elif parent.type == "let_declaration" and _same(parent.child_by_field_name("value"), node):
            return _text(parent.child_by_field_name("type"))
        else:
            return ""
    return ""


def _same(node: Node | None, other: Node) -> bool:
    return node is not None and node.id == other.id


def _has_route_attribute(function: Node) -> bool:
    sibling = function.prev_named_sibling
    while sibling is not None and sibling.type in ("attribute_item", "line_comment", "block_comment"):
        attribute = next((c for c in sibling.named_children if c.type == "attribute"), None) if sibling.type == "attribute_item" else None
        if attribute is not None and _ROUTE_ATTRIBUTE.match(_text(attribute)):
            return True
        sibling = sibling.prev_named_sibling
    return False


def read_as(type_text: str) -> str:
    """What a value of ``type_text`` is when it is read: ``T`` of ``Result<T, E>``."""
    try:
        expression = parse_type(type_text)
    except InputTooDeep:
        return type_text
    return expression.args[0].text if expression.name == "Result" and expression.args else type_text


def _variant_payloads(item: Node) -> tuple[str, ...]:
    """The types an enum's variants hold: tuple variants' members, struct variants' fields."""
    body = item.child_by_field_name("body")
    payloads: list[str] = []
    for variant in body.named_children if body is not None else ():
        fields = variant.child_by_field_name("body") if variant.type == "enum_variant" else None
        if fields is None:
            continue
        if fields.type == "field_declaration_list":
            payloads.extend(_text(field.child_by_field_name("type")) for field in fields.named_children if field.type == "field_declaration")
        else:
            payloads.extend(_text(member) for member in fields.named_children
                            if member.type not in ("attribute_item", "visibility_modifier", "line_comment", "block_comment"))
    return tuple(payloads)


_CONVERSION_TRAITS = frozenset({"From", "TryFrom"})


def _conversion_source(item: Node) -> str | None:
    """``A`` of ``impl From<A> for B`` (or ``TryFrom``), as text."""
    trait = item.child_by_field_name("trait")
    if trait is None or trait.type != "generic_type":
        return None
    name = trait.child_by_field_name("type")
    arguments = trait.child_by_field_name("type_arguments")
    if name is None or _text(name).rsplit("::", 1)[-1] not in _CONVERSION_TRAITS or arguments is None:
        return None
    source = next((child for child in arguments.named_children if child.type not in ("lifetime", "line_comment", "block_comment")), None)
    return _text(source) if source is not None else None


def _behind_cfg_test(item: Node) -> bool:
    from .context import is_cfg_test

    sibling = item.prev_named_sibling
    while sibling is not None and sibling.type in ("attribute_item", "line_comment", "block_comment"):
        attribute = next((c for c in sibling.named_children if c.type == "attribute"), None) if sibling.type == "attribute_item" else None
        if attribute is not None and is_cfg_test(_text(attribute)):
            return True
        sibling = sibling.prev_named_sibling
    return False


_CONSTRUCTION = re.compile(rb"\b([A-Z][A-Za-z0-9_]*)(?:\s*\{|::(?:new|default|with_[a-z_]+|from_[a-z_]+|builder)\s*\()")


def constructed_names(body: bytes) -> frozenset[bytes]:
    """The type names a function body's text builds values of, as ``FileItems.constructions``
    records them (before leaving out the function's own type)."""
    return frozenset(_CONSTRUCTION.findall(body))


def _constructed(function: Node, owner: str | None) -> set[tuple[str, bool]]:
    """The types a function body builds (``Host::new(..)``, ``Request { .. }``), except the
    function's own type (``Self``, a constructor of ``owner``)."""
    body = function.child_by_field_name("body")
    if body is None or body.text is None:
        return set()
    in_main = owner is None and _text(function.child_by_field_name("name")) == "main"
    return {(name.decode(), in_main) for name in constructed_names(body.text) if name.decode() not in (owner, "Self")}


def _type_name(text: str) -> str:
    """The last path segment of a type (``Registry`` for ``&crate::Registry<T>``). An impl
    block is summarised even for a type nested too deeply to parse: its name is read up to
    the first ``<``."""
    try:
        return parse_type(text).name
    except InputTooDeep:
        return text.split("<", 1)[0].lstrip("&* ").removeprefix("mut ").rsplit("::", 1)[-1].strip()


def _impl(item: Node) -> ImplBlock:
    self_type = _type_name(_text(item.child_by_field_name("type")))
    trait_node = item.child_by_field_name("trait")
    trait = _type_name(_text(trait_node)) if trait_node is not None else None
    methods = []
    body = item.child_by_field_name("body")
    if body is not None:
        methods = [_signature(child) for child in body.named_children if child.type == "function_item"]
    return ImplBlock(self_type, trait, tuple(methods))


class Crate(NamedTuple):
    """A Cargo package: its name and folder, and whether it is workspace tooling;
    ``library`` is the name other crates spell its library by (``[lib] name``, else the
    package name with ``-`` as ``_``), ``library_root`` the file that library's root module
    is (``[lib] path``, else ``src/lib.rs``)."""

    name: str
    root: str
    is_tooling: bool
    library: str = ""
    library_root: str = ""


def _manifest_entry(manifest: Path, table: str, key: str) -> str | None:
    """The string value of ``key`` in ``[table]`` of a Cargo manifest (read by lines: a
    manifest the TOML reader refuses still names its package)."""
    try:
        text = manifest.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    in_table = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            in_table = stripped == f"[{table}]"
        elif in_table and stripped.startswith(key) and "=" in stripped and stripped.split("=", 1)[0].strip() == key:
            return stripped.split("=", 1)[1].strip().strip("\"'")
    return None


def _package_name(manifest: Path) -> str | None:
    return _manifest_entry(manifest, "package", "name")


@lru_cache(maxsize=4096)
def crate_of_folder(folder: str) -> Crate | None:
    """The Cargo package whose manifest is nearest above ``folder`` (a package, not a
    virtual workspace manifest)."""
    current = Path(folder)
    for directory in (current, *current.parents):
        manifest = directory / "Cargo.toml"
        if manifest.is_file():
            name = _package_name(manifest)
            if name is not None:
                library = _manifest_entry(manifest, "lib", "name") or name.replace("-", "_")
                library_root = directory / (_manifest_entry(manifest, "lib", "path") or "src/lib.rs")
                return Crate(name, str(directory), _is_tooling_crate(name, directory), library, os.path.normpath(library_root))
    return None


@lru_cache(maxsize=8192)
def crate_root_of(path: str) -> Crate | None:
    """The crate whose root module the file at ``path`` is (its library's root, or
    ``src/main.rs``), None for any other file: a crate's root items are spelled through
    the crate (``other_crate::helper``, ``crate::helper``), not through the file's name."""
    absolute = Path(path).absolute()
    crate = crate_of_folder(str(absolute.parent))
    if crate is None:
        return None
    file = os.path.normpath(absolute)
    return crate if file in (crate.library_root, os.path.join(crate.root, "src", "main.rs")) else None


@lru_cache(maxsize=8192)
def module_of_file(path: str) -> tuple[str, tuple[str, ...]] | None:
    """The crate (its folder) and module path of the file at ``path`` in that crate's source
    tree: ``()`` for a root module (``src/lib.rs``, ``src/main.rs``, a ``[lib] path``),
    ``("a", "b")`` for ``src/a/b.rs`` and ``src/a/b/mod.rs``. None outside it (tests,
    examples, ``src/bin``): where such a file's paths lead is not known."""
    file = os.path.abspath(path)
    crate = crate_of_folder(os.path.dirname(file))
    if crate is None:
        return None
    if crate_root_of(path) is not None:
        return crate.root, ()
    source = os.path.dirname(crate.library_root) + os.sep
    if not file.startswith(source) or not file.endswith(".rs"):
        return None
    relative = tuple(file[len(source):].split(os.sep))
    if relative[0] == "bin":
        return None
    stem = relative[-1][:-3]
    return crate.root, tuple(relative[:-1]) + (() if stem == "mod" else (stem,))


def _is_tooling_crate(name: str, root: Path) -> bool:
    words = set(words_of(name))
    folder_words = {word for part in root.parts[-2:] for word in words_of(part)}
    return bool(words & TOOLING_WORDS) or "xtask" in folder_words or bool(folder_words & {"benches", "fuzz", "tools", "xtask"})


def target_kind(path: PurePath) -> str:
    """What a file builds into: library, binary, test, bench, example, build-script or
    tooling (a crate or folder of workspace tooling: xtask, benchmarks, fuzzers, simulators)."""
    crate = crate_of_folder(str(Path(path).absolute().parent))
    if crate is None:
        return "library"
    try:
        relative = Path(path).absolute().relative_to(crate.root).parts
    except ValueError:
        relative = Path(path).parts
    if crate.is_tooling:
        return "tooling"
    head = relative[0] if relative else ""
    if head == "tests":
        return "test"
    if head == "benches":
        return "bench"
    if head == "examples":
        return "example"
    if relative == ("build.rs",):
        return "build-script"
    if relative[:2] == ("src", "bin") or relative == ("src", "main.rs"):
        return "binary"
    return "library"


PER_TENANT_TARGETS = frozenset({"library", "binary"})


class Collection(NamedTuple):
    """A map, set or sequence found inside a type; ``via`` names the wrappers and workspace
    types passed through to reach it (``RegistryCache`` → ``Mutex`` → ``HashMap``)."""

    kind: str  # map | set | sequence
    name: str
    key: TypeExpr | None
    value: TypeExpr | None
    via: tuple[str, ...]
    locked: bool


class RequestOrigin(NamedTuple):
    """Where a client's or tenant's values enter: the handler (or manifest reader) that takes
    them, and the type it takes them as."""

    kind: str  # request | manifest | contract
    type_name: str  # `Settings` of `Json<Settings>`
    path: str
    line: int
    function: str


class WorkspaceModel:
    """Items of every summarised file, merged; answers questions about types and crates."""

    def __init__(self, summaries: dict[str, FileItems], sources: dict[str, bytes] | None = None):
        self.summaries = summaries
        # The files' bytes, where the builder has them: rules read uses in other files.
        self.sources = sources or {}
        self._trees: dict[str, Tree] = {}
        self._logs = threading.local()
        self._files_by_name: dict[str, list[str]] | None = None
        self._declared: dict = {}
        self._host_wide: frozenset[str] | None = None
        self._option_answering_names: tuple[frozenset[str], tuple[str, ...]] | None = None
        self._knows_workspace: bool | None = None
        self._per_instance: frozenset[str] | None = None
        self._host_kept: frozenset[str] | None = None
        self._by_absolute: dict[str, str] | None = None  # absolute path -> the path a file is known by
        self._libraries: dict[str, str] | None = None
        self.structs: dict[str, list[tuple[str, StructDef]]] = {}
        self.aliases: dict[str, list[tuple[str, tuple[str, ...], str]]] = {}
        self.traits: set[str] = set()
        self.enums: set[str] = set()
        self.methods: dict[tuple[str, str], Signature] = {}
        self.trait_impls: dict[str, set[str]] = {}  # type name -> traits it implements
        self._impl_files: dict[str, list[tuple[str, ImplBlock]]] = {}  # type name -> its impl blocks, with their files
        self._uses_of: dict[str, dict[str, list[str]]] = {}  # path -> ``_uses_by_alias``
        self.functions: dict[str, list[tuple[str, Signature]]] = {}
        self.statics: dict[str, list[tuple[str, StaticDef]]] = {}
        self.renames: dict[str, str] = {}  # `use a::B as C`: C -> B
        self.methods_by_name: dict[str, list[Signature]] = {}
        self.field_types: dict[str, set[str]] = {}  # field name -> the types declared for it
        self.enum_payloads: dict[str, list[str]] = {}  # enum name -> the types its variants hold
        self.conversions: dict[str, set[str]] = {}  # type name -> the types converted from it
        self._request_made: dict[tuple[str, ...], dict[str, RequestOrigin]] = {}
        self._memo: dict[tuple[str, object], tuple[object, int]] = {}
        for path, items in summaries.items():
            self._add(path, items)

    def _add(self, path: str, items: FileItems) -> None:
        for struct in items.structs:
            self.structs.setdefault(struct.name, []).append((path, struct))
            for field, text in struct.fields:
                self.field_types.setdefault(field, set()).add(text)
        for name, generics, aliased in items.aliases:
            self.aliases.setdefault(name, []).append((path, generics, aliased))
        self.traits.update(items.traits)
        self.enums.update(items.enums)
        for impl in items.impls:
            self._impl_files.setdefault(impl.self_type, []).append((path, impl))
            if impl.trait is not None:
                self.trait_impls.setdefault(impl.self_type, set()).add(impl.trait)
            for method in impl.methods:
                if (impl.self_type, method.name) not in self.methods:
                    self.methods[(impl.self_type, method.name)] = method
                    self.methods_by_name.setdefault(method.name, []).append(method)
        for function in items.functions:
            self.functions.setdefault(function.name, []).append((path, function))
        for static in items.statics:
            self.statics.setdefault(static.name, []).append((path, static))
        for name, payloads in items.enum_payloads:
            self.enum_payloads.setdefault(name, []).extend(payloads)
        for source, target in items.conversions:
            self.conversions.setdefault(_type_name(source), set()).add(target)
        for name, full in items.uses:
            last = full.rsplit("::", 1)[-1]
            if name != last and name not in ("self", "*", "_"):
                self.renames.setdefault(name, last)

    @classmethod
    def of_file(cls, path: str, tree: Tree, data: bytes) -> "WorkspaceModel":
        """The model of one file alone (a file outside any crate, a fixture, a new buffer)."""
        model = cls({path: summarise(tree, data)}, {path: data})
        model._trees[path] = tree
        return model

    def with_file(self, path: str, data: bytes, tree: Tree) -> "WorkspaceModel":
        """The model after one file's text changed (an edit in the editor): this model with
        the new bytes when the file's items are unchanged (the common edit, inside a body),
        else a new model merged from the summaries with this file's replaced."""
        summary = summarise(tree, data)
        before = self.summaries.get(path)
        if before is not None and before._replace(names_mentioned=frozenset()) == summary._replace(names_mentioned=frozenset()):
            # Items unchanged (an edit inside a body): new bytes, and the name index moved
            # for the names the edit added or removed.
            self.sources[path] = data
            self._trees.pop(path, None)
            self._memo.clear()
            if before.names_mentioned != summary.names_mentioned:
                self.summaries[path] = summary
                if self._files_by_name is not None:
                    for name in before.names_mentioned - summary.names_mentioned:
                        self._files_by_name[name].remove(path)
                    for name in summary.names_mentioned - before.names_mentioned:
                        self._files_by_name.setdefault(name, []).append(path)
            return self
        summaries = dict(self.summaries)
        summaries[path] = summary
        return WorkspaceModel(summaries, {**self.sources, path: data})

    # -- lookups: every answer the rules get comes through ``_ask``, which logs it --------
    def start_log(self) -> None:
        """Record the questions this thread asks from now on, with a checksum of each answer:
        a result stays valid while the model still gives the same answers (``still_answers``).
        Per thread: the language server analyses on a worker while its loop may analyse too."""
        self._logs.current = {}

    def stop_log(self) -> tuple[tuple[str, object, int], ...]:
        log = getattr(self._logs, "current", None)
        self._logs.current = None
        return tuple((kind, key, checksum) for (kind, key), checksum in (log or {}).items())

    def still_answers(self, log: tuple[tuple[str, object, int], ...]) -> bool:
        return all(self._answered(kind, key)[1] == checksum for kind, key, checksum in log)

    def _ask(self, kind: str, key):
        answer, checksum = self._answered(kind, key)
        log = getattr(self._logs, "current", None)
        if log is not None:
            log[(kind, key)] = checksum
        return answer

    def _answered(self, kind: str, key) -> tuple[object, int]:
        """An answer and its checksum, each computed once per model (files ask the same
        questions, and a warm run checks every cached result's answers)."""
        memo_key = (kind, key)
        found = self._memo.get(memo_key)
        if found is None:
            answer = self._answer(kind, key)
            found = self._memo[memo_key] = (answer, _checksum(answer))
        return found

    def _answer(self, kind: str, key):
        if kind == "struct":
            found = self.structs.get(self.renames.get(key, key))
            return found[0][1] if found else None
        if kind == "alias":
            name = self.renames.get(key, key)
            found = self.aliases.get(name)
            return (name, found[0][1], found[0][2]) if found else (name, None, None)
        if kind == "method":
            return self.methods.get((self.renames.get(key[0], key[0]), key[1]))
        if kind == "implements":
            return tuple(sorted(self.trait_impls.get(self.renames.get(key, key), ())))
        if kind == "mentions":
            return tuple(sorted(self._files_naming_word(key)))
        if kind == "source":
            data = self.sources.get(key)
            return None if data is None else zlib.crc32(data)
        if kind == "declares":
            return self._declares(key)
        if kind == "signatures":
            return tuple(signature for _, signature in self.functions.get(key, ())) + tuple(self.methods_by_name.get(key, ()))
        if kind == "option-answering":
            snake_case, others = self._option_answering()
            return tuple(sorted(snake_case)) + others
        if kind == "option-answering-in":
            items, data = self.summaries.get(key), self.sources.get(key)
            if items is None or data is None:
                return ()
            snake_case, others = self._option_answering()
            # A name the summary does not list is spelled, if at all, glued to a digit (`9name`):
            # never as a call.
            found = set(snake_case & items.names_mentioned)
            found.update(name for name in others if re.search(rb"(?<![A-Za-z0-9_])" + name.encode() + rb"(?![A-Za-z0-9_])", data))
            return tuple(sorted(found))
        if kind == "field-types":
            return tuple(sorted(self.field_types.get(key, ())))
        if kind == "refers":
            path, module, name = key
            items = self.summaries.get(path)
            if items is None:
                return False
            return self.imports(path, module, name) or f"{module}::{name}".encode() in self.sources.get(path, b"")
        if kind == "alias-file":
            definitions = self.aliases.get(key, ())
            return (definitions[0][0], definitions[0][2]) if len(definitions) == 1 else None
        if kind == "struct-file":
            definitions = self.structs.get(key, ())
            return definitions[0][0] if len(definitions) == 1 else None
        if kind == "spells":
            path, word = key
            return re.search(rb"\b" + re.escape(word.encode()) + rb"\b", self.sources.get(path, b"")) is not None
        if kind == "struct-in":
            path, name = key
            return next((struct for defined_in, struct in self.structs.get(name, ()) if defined_in == path), None)
        if kind == "use-path":
            path, name = key
            return next(iter(self._uses_by_alias(path).get(name, ())), None)
        if kind == "use-aliases":
            return tuple(sorted(self._uses_by_alias(key)))
        if kind == "imports":
            path, module, name = key
            uses = self._uses_by_alias(path)
            return any(full.split("::")[-2:-1] == [module] for alias in (name, "*") for full in uses.get(alias, ()))
        if kind == "item-file":
            path, segments = key
            return self._item_file(path, segments, MAX_RESOLUTION_DEPTH)
        if kind == "renaming-uses":
            items = self.summaries.get(key)
            return tuple((alias, full) for alias, full in items.uses
                         if alias not in ("*", "_", "self") and alias != full.rsplit("::", 1)[-1]) if items is not None else ()
        if kind == "home":
            if key in self._host_wide_types():
                return "host-wide"
            return "per-instance" if key in self._per_instance_types() else "unknown"
        if kind == "static":
            return key in self.statics
        if kind == "trait":
            return key in self.traits
        if kind == "enum":
            return key in self.enums
        if kind == "word":
            # A mention, not another definition of the same name (`fn api_key` in two files).
            return tuple(sorted(path for path in self._files_naming_word(key) if _mentions_beyond_definition(self.sources.get(path, b""), key.encode())))
        if kind == "test-module":
            return self._declared_as_test_module(key, MAX_RESOLUTION_DEPTH)
        if kind == "method-files":
            owner, method = self.renames.get(key[0], key[0]), key[1]
            return tuple(sorted({path for path, block in self._impl_files.get(owner, ()) if any(m.name == method for m in block.methods)}))
        if kind == "client-built":
            # Named beyond its own `mod name {` declaration, in code the server runs (a test's
            # or an example's client is an outside caller): someone builds or imports it.
            needle = key.encode()
            return any(data[max(0, position - 4):position] != b"mod " and not _continues_name(data, position + len(needle))
                       for path in self._files_naming_word(key) if target_kind(PurePath(path)) in PER_TENANT_TARGETS
                       for data in (self.sources.get(path, b""),) for position in _word_starts(data, needle))
        if kind == "handed-to-filter":
            needle = re.compile(rb"\.(?:and_then|then)\(\s*(?:[a-z_][a-z0-9_]*::)*" + re.escape(key.encode()) + rb"\s*\)")
            return tuple(sorted(path for path in self._files_naming_word(key)
                                if b"warp::" in self.sources.get(path, b"") and needle.search(self.sources.get(path, b""))))
        if kind == "request-made":
            name, declared = key
            return self._request_made_types(declared).get(name)
        if kind == "callers":
            first, *rest = (self._files_naming_word(word) for word in key.split("::"))
            candidates = set(first).intersection(*rest)
            needles = (key.encode() + b"(", key.encode() + b"::<")
            return tuple(sorted(path for path in candidates if any(_spelled_at_word_start(self.sources.get(path, b""), needle) for needle in needles)))
        raise ValueError(f"unknown workspace question {kind!r}")

    def _uses_by_alias(self, path: str) -> dict[str, list[str]]:
        """The file's ``use`` declarations as the name each brings in → the full paths
        brought in under it, in source order (empty for a file the model has not): made once
        per file, where a file's questions (does it import ``name`` of ``module``) are many."""
        found = self._uses_of.get(path)
        if found is None:
            found = {}
            items = self.summaries.get(path)
            for alias, full in items.uses if items is not None else ():
                found.setdefault(alias, []).append(full)
            self._uses_of[path] = found
        return found

    def made_from_request(self, type_name: str, declared: Iterable[str] = ()) -> "RequestOrigin | None":
        """Where values of a workspace type may come from a client or a tenant: the request body,
        query or form a handler extracts (``Json<CreateWarehouse>``), a manifest parameter, or a
        type ``declared`` tenant-chosen (the contract) — and everything those hold, through
        fields, enum variants and ``From``/``TryFrom`` conversions. None for a type only the
        host's own code and configuration make."""
        return self._ask("request-made", (self.renames.get(type_name, type_name), tuple(sorted(declared))))

    def _request_made_types(self, declared: tuple[str, ...]) -> dict[str, "RequestOrigin"]:
        found = self._request_made.get(declared)
        if found is not None:
            return found
        from .tenancy import request_seeds

        found = {}
        # Every name once: an alias may name itself (`type Result<T> = std::result::Result<T, Error>`).
        seen: set[str] = set()
        pending: list[tuple[str, RequestOrigin]] = []
        for signature, path, type_text, origin_kind in request_seeds(self, declared):
            pending.append((type_text, RequestOrigin(origin_kind, _type_name(type_text), path, signature.line, signature.name)))
        while pending:
            type_text, origin = pending.pop()
            for expression in named_types(type_text):
                name = self.renames.get(expression.name, expression.name)
                if name in seen or name in WRAPPERS:
                    continue
                seen.add(name)
                alias = self.aliases.get(name)
                struct = self.structs.get(name)
                payloads = self.enum_payloads.get(name)
                if alias:
                    pending.append((alias[0][2], origin))
                if not struct and payloads is None:
                    continue
                found[name] = origin
                if struct:
                    pending.extend((text, origin) for _, definition in struct for _, text in definition.fields)
                pending.extend((text, origin) for text in payloads or ())
                pending.extend((target, origin) for target in self.conversions.get(name, ()))
        self._request_made[declared] = found
        return found

    def is_test_module(self, path: str) -> bool:
        """Whether the file at ``path`` is a module its parent declares behind a test attribute
        (``#[cfg(test)] mod tests;``), or lies inside one."""
        return self._ask("test-module", path)

    def _declared_as_test_module(self, path: str, depth: int) -> bool:
        # Paths as strings (the model's keys are normalised already): a `PurePath` for each
        # step up cost more than the rest of the question.
        directory, file_name = os.path.split(path)
        stem = os.path.splitext(file_name)[0]
        if stem in ("lib", "main") or depth <= 0:
            return False
        # `a/b.rs` and `a/b/mod.rs` are module `b`, declared in `a/mod.rs`, `a/lib.rs`,
        # `a/main.rs` or `a.rs`.
        name, folder = (os.path.basename(directory), os.path.dirname(directory)) if stem == "mod" else (stem, directory)
        parents = [parent for parent in (os.path.join(folder, "mod.rs"), os.path.join(folder, "lib.rs"), os.path.join(folder, "main.rs"),
                                         os.path.join(os.path.dirname(folder), f"{os.path.basename(folder)}.rs"))
                   if parent in self.summaries]
        if any(name in self.summaries[parent].test_modules for parent in parents):
            return True
        return any(self._declared_as_test_module(parent, depth - 1) for parent in parents)

    def files_mentioning(self, name: str) -> tuple[str, ...]:
        """The files whose text spells ``name`` (where a static may be used)."""
        return self._ask("mentions", name)

    @property
    def knows_workspace(self) -> bool:
        """Whether the model knows a Cargo package's files, not one file or a loose folder:
        facts about a whole workspace (which scopes it declares, where a type's values live,
        who calls a function) are only drawn from one that does."""
        if self._knows_workspace is None:
            self._knows_workspace = len(self.summaries) > 1 and any(
                crate_of_folder(str(Path(path).absolute().parent)) is not None for path in list(self.summaries)[:8])
        return self._knows_workspace

    def refers_to(self, path: str, module: str, name: str) -> bool:
        """Whether the file at ``path`` can name item ``name`` of module ``module``: it imports
        it (by name or glob) or spells ``module::name``. Same-named items of other modules are
        not it."""
        return self._ask("refers", (path, module, name))

    def use_aliases(self, path: str) -> tuple[str, ...]:
        """The names the file at ``path`` brings into scope by ``use`` (``*`` for a glob),
        sorted: a name none of them spells is brought in by no ``use`` of that file."""
        return self._ask("use-aliases", path)

    def imports(self, path: str, module: str, name: str) -> bool:
        """Whether the file at ``path`` brings item ``name`` of module ``module`` into scope by
        a ``use`` of it or a glob of the module (a bare ``name`` there is that item)."""
        return self._ask("imports", (path, module, name))

    def item_file(self, path: str, segments: tuple[str, ...]) -> tuple[str, str] | None:
        """The file defining the item a path written in the file at ``path`` names, and the
        item's own name: ``fetch`` brought in by ``use other_crate::secrets::read_secret as
        fetch``, ``s::read_secret`` after ``use other_crate::secrets as s``, ``super::f``,
        ``crate::store::get``, ``other_crate::Helper`` re-exported by ``pub use inner::Helper``.
        None when the path leaves the workspace or its modules are not files of it."""
        return self._ask("item-file", (path, segments))

    def renaming_uses(self, path: str) -> tuple[tuple[str, str], ...]:
        """The file's ``use`` declarations that bring an item in under another name
        (``read_secret as fetch``, ``secrets as s``): (the name in scope, the full path)."""
        return self._ask("renaming-uses", path)

    def _module_files(self, crate_root: str, module: tuple[str, ...]) -> list[str]:
        """The workspace files that are module ``module`` of the crate in ``crate_root``
        (``a/b.rs`` or ``a/b/mod.rs`` under its library's folder; for ``()`` its library and
        binary roots, both the crate's root module)."""
        crate = crate_of_folder(crate_root)
        if crate is None:
            return []
        if self._by_absolute is None:
            self._by_absolute = {os.path.abspath(path): path for path in self.summaries}
        if module:
            folder = os.path.join(os.path.dirname(crate.library_root), *module[:-1])
            candidates = (os.path.join(folder, f"{module[-1]}.rs"), os.path.join(folder, module[-1], "mod.rs"))
        else:
            candidates = (crate.library_root, os.path.join(crate.root, "src", "main.rs"))
        return [self._by_absolute[file] for file in candidates if file in self._by_absolute]

    def _crate_roots_by_library(self) -> dict[str, str]:
        """The name other crates spell each workspace library by → its crate folder."""
        if self._libraries is None:
            self._libraries = {}
            for folder in {str(Path(path).absolute().parent) for path in self.summaries}:
                crate = crate_of_folder(folder)
                if crate is not None:
                    self._libraries.setdefault(crate.library, crate.root)
        return self._libraries

    def _defines(self, path: str, name: str) -> bool:
        items = self.summaries.get(path)
        return items is not None and (any(function.name == name for function in items.functions)
                                      or any(struct.name == name for struct in items.structs)
                                      or name in items.enums or name in items.traits)

    def _item_file(self, path: str, segments: tuple[str, ...], depth: int) -> tuple[str, str] | None:
        items = self.summaries.get(path)
        location = module_of_file(path)
        if depth <= 0 or not segments or items is None or location is None:
            return None
        crate, here = location
        head = segments[0]
        uses = self._uses_by_alias(path)
        if head not in ("crate", "self", "super", "Self"):
            used = next(iter(uses.get(head, ())), None)
            if used is not None and used != head:
                return self._item_file(path, tuple(used.split("::")) + segments[1:], depth - 1)
        if len(segments) == 1:
            if self._defines(path, head):
                return path, head
            for full in uses.get("*", ()):
                found = self._item_file(path, tuple(full.split("::")[:-1]) + segments, depth - 1)
                if found is not None:
                    return found
            return None
        if head == "crate":
            module, rest = (crate, ()), segments[1:]
        elif head == "self":
            module, rest = (crate, here), segments[1:]
        elif head == "super":
            climbs = next((index for index, segment in enumerate(segments) if segment != "super"), len(segments))
            if climbs > len(here):
                return None
            module, rest = (crate, here[:len(here) - climbs]), segments[climbs:]
        elif self._module_files(crate, here + (head,)):
            module, rest = (crate, here + (head,)), segments[1:]
        elif head in self._crate_roots_by_library():
            module, rest = (self._crate_roots_by_library()[head], ()), segments[1:]
        else:
            return None
        for segment in rest[:-1]:
            module = (module[0], module[1] + (segment,))
            if not self._module_files(*module):
                return None
        if not rest:
            return None
        files = self._module_files(*module)
        found = {definition for file in files
                 for definition in ([(file, rest[-1])] if self._defines(file, rest[-1]) else
                                    # re-exported there (`pub use inner::Helper;`)
                                    [self._item_file(file, rest[-1:], depth - 1)])
                 if definition is not None}
        return found.pop() if len(found) == 1 else None

    def full_path(self, path: str, written: str) -> str:
        """A path as written in the file at ``path`` (``Client``, ``aio::ConnectionManager``)
        with its first segment replaced by what that file's ``use`` declarations bring in
        under that name (``redis::Client``, ``redis::aio::ConnectionManager``); as written
        when nothing does."""
        head, _, rest = written.partition("::")
        full = self._ask("use-path", (path, head)) if head else None
        if full is None:
            return written
        return f"{full}::{rest}" if rest else full

    def alias_definition(self, name: str) -> tuple[str, str] | None:
        """The file declaring the workspace type alias of this name and the type it names, as
        written there, when only one file declares it."""
        return self._ask("alias-file", self.renames.get(name, name))

    def spells(self, path: str, word: str) -> bool:
        """Whether the text of the file at ``path`` has ``word`` as a whole word (a type's
        name, which the name index, of snake_case and SCREAMING_CASE names, leaves out)."""
        return self._ask("spells", (path, word))

    def struct_in(self, path: str, name: str) -> StructDef | None:
        """The struct ``name`` the file at ``path`` declares (of several same-named ones in the
        workspace, such as every ORM entity's ``Model``, the one a resolved path names)."""
        return self._ask("struct-in", (path, name))

    def declaring_file(self, struct_name: str) -> str | None:
        """The file declaring the workspace struct of this name, when only one does."""
        return self._ask("struct-file", self.renames.get(struct_name, struct_name))

    def home(self, type_name: str) -> str:
        """Where the host keeps values of a workspace type: ``host-wide`` (held by a static,
        handed to request handlers as shared state — ``State<T>``, ``Data<T>``,
        ``Extension<T>`` —, built in ``main``, or a field of such a type), ``per-instance``
        (built by other code, per request, workload or tenant, or a field of such a type) or
        ``unknown`` (never built in the workspace: a library type whose users are elsewhere)."""
        return self._ask("home", self.renames.get(type_name, type_name))

    def _per_instance_types(self) -> frozenset[str]:
        if self._per_instance is None:
            host_wide = self._host_wide_types()
            seeds = [name for items in self.summaries.values() for name, in_main in items.constructions if not in_main]
            self._per_instance = frozenset(self._structs_reachable(seeds, host_wide))
        return self._per_instance

    def host_kept_types(self) -> frozenset[str]:
        """The host-wide structs the host keeps one value of: reached from its shared state
        through fields and wrappers, not as the entries of a collection (``HashMap<String,
        Alert>`` keeps one `Alert` per entry, each as private as its key)."""
        if self._host_kept is None:
            self._host_kept = frozenset(self._structs_reachable(self._host_wide_seeds(), frozenset(), into_collections=False))
        return self._host_kept

    def _host_wide_seeds(self) -> list[str]:
        seeds = [static.type_text for definitions in self.statics.values() for _, static in definitions]
        seeds.extend(name for items in self.summaries.values() for name, in_main in items.constructions if in_main)
        for signature in self._all_signatures():
            seeds.extend(text for _, text in signature.params
                         if any(f"{extractor}<" in text for extractor in _SHARED_STATE_EXTRACTORS)
                         and any(e.name in _SHARED_STATE_EXTRACTORS for e in named_types(text)))
        return seeds

    def names_answering_option(self, path: str, data: bytes) -> tuple[str, ...] | None:
        """The names ``data`` spells that a workspace function or method answering with an
        ``Option`` has, as one question for the whole file; None when ``data`` is not the
        model's bytes of ``path`` (an editor's document the model has not caught up with:
        ``all_names_answering_option``)."""
        if self.sources.get(path) != data:
            return None
        return self._ask("option-answering-in", path)

    def all_names_answering_option(self) -> frozenset[str]:
        """Every name a workspace function or method answering with an ``Option`` has (one
        question: its answer changes only with a signature)."""
        return frozenset(self._ask("option-answering", ""))

    def _option_answering(self) -> tuple[frozenset[str], tuple[str, ...]]:
        """The names of workspace functions and methods answering with an ``Option``: those
        a summary's ``names_mentioned`` lists when spelled, and the others (``getFoo``)."""
        if self._option_answering_names is None:
            signatures = [signature for definitions in self.functions.values() for _, signature in definitions]
            signatures.extend(signature for methods in self.methods_by_name.values() for signature in methods)
            names = {signature.name for signature in signatures if "Option" in signature.returns}
            snake_case = frozenset(name for name in names if _ASKED_NAME.fullmatch(name.encode()))
            self._option_answering_names = (snake_case, tuple(sorted(names - snake_case)))
        return self._option_answering_names

    def _host_wide_types(self) -> frozenset[str]:
        if self._host_wide is None:
            self._host_wide = frozenset(self._structs_reachable(self._host_wide_seeds(), frozenset()))
        return self._host_wide

    def _structs_reachable(self, seeds: list[str], excluded: frozenset[str], into_collections: bool = True) -> set[str]:
        """The workspace structs named in ``seeds`` (type texts or names), through aliases
        and fields (and into collections' entries unless ``into_collections`` is false),
        except ``excluded`` (and what only they reach)."""
        found: set[str] = set()
        aliases_seen: set[str] = set()
        pending = list(seeds)
        walk = named_types if into_collections else types_outside_collections
        while pending:
            for expression in walk(pending.pop()):
                name = self.renames.get(expression.name, expression.name)
                if name in found or name in excluded or name in aliases_seen:
                    continue
                alias = self.aliases.get(name)
                if alias:
                    aliases_seen.add(name)
                    pending.append(alias[0][2])
                    continue
                definitions = self.structs.get(name)
                if definitions:
                    found.add(name)
                    pending.extend(text for _, text in definitions[0][1].fields)
        return found

    def _all_signatures(self) -> Iterator[Signature]:
        for definitions in self.functions.values():
            for _, function in definitions:
                yield function
        yield from self.methods.values()

    def declares_enum(self, name: str) -> bool:
        """Whether some workspace file declares an enum of this name."""
        return self._ask("enum", self.renames.get(name, name))

    def declares_static(self, name: str) -> bool:
        """Whether some workspace file declares a static of this name."""
        return self._ask("static", name)

    def files_naming(self, name: str) -> tuple[str, ...]:
        """The files whose text has ``name`` as a whole word other than in a ``fn name``
        definition: calls, but also a function passed by name (a route handler) or used
        inside a macro."""
        return self._ask("word", name)

    def files_defining_method(self, type_name: str, method: str) -> tuple[str, ...]:
        """The files with an ``impl`` of ``type_name`` (its own or a trait's) defining ``method``."""
        return self._ask("method-files", (type_name, method))

    def builds_client(self, client_module: str) -> bool:
        """Whether some workspace file uses a generated gRPC client module (``foo_client::``,
        ``use …::foo_client::FooClient``) beyond the ``mod foo_client`` that declares it."""
        return self._ask("client-built", client_module)

    def files_handing_to_filter(self, function: str) -> tuple[str, ...]:
        """The files that hand a function of this name to a warp filter chain as its handler
        (``.and_then(handler)``, ``.then(handler)``): the filters before it extract the values
        it takes from the request. (``.map(f)`` is left out: iterators spell it too.)"""
        return self._ask("handed-to-filter", function)

    def files_calling(self, function: str) -> tuple[str, ...]:
        """The files whose text calls a function or method of this name (``name(`` or
        ``name::<``): where its callers may be, confirmed on their trees by the asker."""
        return self._ask("callers", function)

    def _files_naming_word(self, word: str) -> list[str]:
        """The files whose text spells ``word`` (from the summaries' name sets), each once."""
        return self.name_index().get(word, [])

    def name_index(self) -> dict[str, list[str]]:
        """Name → files spelling it; built once per model (a batch run builds it before its
        workers fork, so they inherit it), then kept current by ``with_file``. Lists, not
        sets: a set takes five times the memory (35 MB for openobserve's 45,000 names), and
        no question looks a file up in them."""
        if self._files_by_name is None:
            index: dict[str, list[str]] = {}
            for path, items in self.summaries.items():
                for name in items.names_mentioned:
                    files = index.get(name)
                    if files is None:
                        index[name] = [path]
                    else:
                        files.append(path)
            self._files_by_name = index
        return self._files_by_name

    def prepare(self) -> None:
        """Build the indexes every analysis may consult (the name index, where types live)
        now: a batch run calls it before forking workers, so they inherit them."""
        self.name_index()
        self._host_wide_types()
        self._per_instance_types()

    def parsed(self, path: str, data: bytes) -> Tree | None:
        """The parse of ``path`` that reading it for another file's analysis already made
        (``tree``), when it is a parse of ``data`` (a fix changes the bytes), for analysing
        that file itself: not a question about another file, so nothing is logged."""
        return self._trees.get(path) if self.sources.get(path) == data else None

    def tree(self, path: str) -> Tree | None:
        """A parse of one workspace file whose bytes the model has (kept for later asks)."""
        if self._ask("source", path) is None:
            return None
        tree = self._trees.get(path)
        if tree is None:
            from .parsing import parse

            tree = self._trees[path] = parse(self.sources[path])
        return tree

    def struct(self, name: str) -> StructDef | None:
        return self._ask("struct", name)

    def field_type(self, type_name: str, field: str) -> str | None:
        struct = self.struct(type_name)
        if struct is None:
            return None
        return next((text for name, text in struct.fields if name == field), None)

    def field_chain_type(self, type_name: str | None, fields: list[str]) -> str | None:
        """The declared type of ``value.f1.f2`` for a value of the struct ``type_name``: each
        field read in the struct the one before holds (``struct_held``); None where one is not
        known."""
        type_text = None
        for field in fields:
            type_text = self.field_type(type_name, field) if type_name else None
            if type_text is None:
                return None
            type_name = self.struct_held(type_text)
        return type_text

    def struct_held(self, type_text: str) -> str | None:
        """The workspace struct a value of ``type_text`` is: the first one it names (through
        wrappers, ``Arc<RwLock<State>>``), else the one type implementing a workspace trait it
        holds as a trait object (``Arc<dyn KvBackend>``): the implementation every call runs."""
        named = list(named_types(type_text))
        found = next((expression.name for expression in named if self.struct(expression.name) is not None), None)
        if found is not None:
            return found
        for expression in named:
            if expression.name in self.traits:
                implementors = [name for name, traits in self.trait_impls.items() if expression.name in traits]
                return implementors[0] if len(implementors) == 1 else None
        return None

    def signatures_named(self, name: str) -> tuple[Signature, ...]:
        """Every workspace function and method of this name (a call by name may be any)."""
        return self._ask("signatures", name)

    def field_types_named(self, field: str) -> tuple[str, ...]:
        """The declared types of every workspace struct field of this name."""
        return self._ask("field-types", field)

    def hides_types(self, type_text: str) -> bool:
        """Whether a type names one of the workspace's aliases or structs anywhere inside
        (what it holds is then known only through the model)."""
        return any(expression.kind == "path" and expression.name not in WRAPPERS and (
            self._ask("alias", expression.name)[2] is not None or self.struct(expression.name) is not None)
            for expression in named_types(type_text))

    def names_trait(self, type_text: str) -> bool:
        """Whether a type is (or holds) one of the workspace's own traits: a service object
        (``&dyn SecretStore``, ``Arc<dyn Backend>``), not a plain value."""
        return any(self._ask("trait", inner.name) for inner, _, _ in self.inner_types(type_text))

    def is_minted_id(self, type_text: str) -> bool:
        """A type whose values the host mints unique (a UUID or ULID, or a newtype or alias
        of one): safe as a key anywhere, since no tenant can choose or repeat another's."""
        return any(inner.name in MINTED_ID_TYPES for inner, _, _ in self.inner_types(type_text))

    def method(self, type_name: str, method: str) -> Signature | None:
        return self._ask("method", (type_name, method))

    def implements(self, type_name: str) -> tuple[str, ...]:
        return self._ask("implements", type_name)

    def expand(self, expression: TypeExpr) -> TypeExpr:
        """``expression`` with type aliases replaced by what they name (generics
        substituted), repeatedly, bounded."""
        for _ in range(MAX_RESOLUTION_DEPTH):
            if expression.kind != "path":
                return expression
            name, generics, aliased = self._ask("alias", expression.name)
            if aliased is None:
                return expression._replace(name=name) if name != expression.name else expression
            target = parse_type(aliased)
            if generics:
                target = substitute(target, dict(zip(generics, expression.args)))
            if target.name == expression.name and target.args == expression.args:
                return expression
            expression = target
        return expression

    def inner_types(self, type_text: str) -> Iterator[tuple[TypeExpr, tuple[str, ...], bool]]:
        """Each type held inside ``type_text``, with the path of wrappers and workspace types
        passed through and whether a lock was among them: through aliases, wrappers,
        references, tuples and the fields of the workspace's own structs (generics
        substituted), each workspace type once."""
        seen: set[str] = set()
        stack: list[tuple[TypeExpr, tuple[str, ...], bool, int]] = [(parse_type(type_text), (), False, 0)]
        while stack:
            expression, via, locked, depth = stack.pop()
            expression = self.expand(expression)
            yield expression, via, locked
            if depth >= MAX_RESOLUTION_DEPTH:
                continue
            if expression.kind in ("reference", "tuple", "array", "slice"):
                stack.extend((arg, via, locked, depth + 1) for arg in reversed(expression.args))
                continue
            if expression.kind != "path":
                continue
            name = expression.name
            if name in WRAPPERS:
                stack.extend((arg, via + (name,), locked or name in LOCKS, depth + 1) for arg in reversed(expression.args))
                continue
            if name in MAP_TYPES or name in SET_TYPES or name in SEQUENCE_TYPES:
                # What a collection holds is held too (a `Vec` of locked maps, one per shard).
                stack.extend((arg, via + (name,), locked, depth + 1) for arg in reversed(expression.args))
                continue
            struct = self.struct(name)
            if struct is None or name in seen:
                continue
            seen.add(name)
            bindings = dict(zip(struct.generics, expression.args))
            for _, field_text in reversed(struct.fields):
                field = substitute(parse_type(field_text), bindings) if bindings else parse_type(field_text)
                stack.append((field, via + (name,), locked, depth + 1))

    def collections_in(self, type_text: str) -> list[Collection]:
        """Every map, set or sequence a value of ``type_text`` holds (``inner_types``)."""
        found = []
        for expression, via, locked in self.inner_types(type_text):
            if expression.kind != "path":
                continue
            name = expression.name
            args = expression.args
            if name in MAP_TYPES and len(args) >= 2:
                found.append(Collection("map", name, self.expand(args[0]), args[1], via, locked))
            elif name in MAP_TYPES and name == "Slab" and args:
                found.append(Collection("map", name, None, args[0], via, locked))
            elif name in SET_TYPES and args:
                found.append(Collection("set", name, self.expand(args[0]), args[0], via, locked))
            elif name in SEQUENCE_TYPES and args:
                found.append(Collection("sequence", name, None, args[0], via, locked))
        return found

    def is_collection(self, type_text: str) -> bool:
        """Whether a value of ``type_text`` is a map, set or sequence: the type itself, through
        aliases, references and wrappers (``Arc<DashMap<String, AppId>>``), not a struct that
        holds one among its fields. What it holds is many values, not one."""
        for expression, via, _ in self.inner_types(type_text):
            if expression.kind == "path" and expression.name not in WRAPPERS:
                return all(name in WRAPPERS for name in via) and (
                    expression.name in MAP_TYPES or expression.name in SET_TYPES or expression.name in SEQUENCE_TYPES)
        return False

    def names_scope(self, expression: TypeExpr, vocabulary: Vocabulary) -> str | None:
        """The scope identity (tenant or pack) a key type carries: its own name, a tuple
        member, or a field of a workspace key struct."""
        for inner, _, _ in self.inner_types(expression.text):
            name = inner.name
            if not name:
                continue
            found = vocabulary.tenant.match(name) or vocabulary.pack.match(name)
            if found:
                return found
            struct = self.struct(name)
            if struct is not None:
                for field_name, _ in struct.fields:
                    found = vocabulary.tenant.match(field_name) or vocabulary.pack.match(field_name)
                    if found:
                        return found
        return None

    def declares_scope(self, vocabulary: Vocabulary) -> tuple[bool, bool]:
        """Whether the workspace's own items name a tenant and a pack identity (struct fields,
        parameters, type names): words a codebase never uses describe no scope of its own."""
        return self._ask("declares", (vocabulary.tenant.entries, vocabulary.pack.entries))

    def _declares(self, entries: tuple[tuple[str, ...], tuple[str, ...]]) -> tuple[bool, bool]:
        answer = self._declared.get(entries)
        if answer is None:
            answer = self._declared[entries] = self._scan_declared(WordSet(entries[0]), WordSet(entries[1]))
        return answer

    def _scan_declared(self, tenant_words: WordSet, pack_words: WordSet) -> tuple[bool, bool]:
        tenant = pack = False
        for candidates in self._declared_names():
            for name in candidates:
                if not tenant:
                    found = tenant_words.match(name)
                    tenant = found is not None and names_identity(name, found)
                if not pack:
                    # A pack is an isolation unit where something identifies one (`pack_id`,
                    # `PackRef`); a bare `pack` also names bundles of files, batches, …
                    found = pack_words.match(name)
                    pack = found is not None and words_of(name)[-1] in _IDENTIFIER_WORDS
                if tenant and pack:
                    return True, True
        return tenant, pack

    def _declared_names(self) -> Iterator[Iterable[str]]:
        for name, definitions in self.structs.items():
            yield (name,)
            for _, struct in definitions:
                yield (field for field, _ in struct.fields)
        for definitions in self.functions.values():
            for _, function in definitions:
                yield (parameter for parameter, _ in function.params)
        for (_, _), method in self.methods.items():
            yield (parameter for parameter, _ in method.params)


def _word_starts(data: bytes, needle: bytes) -> Iterator[int]:
    """Where ``needle`` occurs in ``data`` not preceded by a name character (found without a
    regular expression: questions are many and distinct, patterns would be compiled each)."""
    position = data.find(needle)
    while position != -1:
        if position == 0 or not (data[position - 1:position].isalnum() or data[position - 1] == 0x5F):
            yield position
        position = data.find(needle, position + 1)


def _spelled_at_word_start(data: bytes, needle: bytes) -> bool:
    return next(_word_starts(data, needle), None) is not None


def _continues_name(data: bytes, end: int) -> bool:
    return end < len(data) and (data[end:end + 1].isalnum() or data[end] == 0x5F)


def _mentions_beyond_definition(data: bytes, name: bytes) -> bool:
    """``name`` as a whole word somewhere other than right after ``fn ``."""
    for position in _word_starts(data, name):
        end = position + len(name)
        if end < len(data) and (data[end:end + 1].isalnum() or data[end] == 0x5F):
            continue
        if data[max(0, position - 3):position] != b"fn ":
            return True
    return False


def _checksum(answer) -> int:
    return zlib.crc32(repr(answer).encode())


def substitute(expression: TypeExpr, bindings: dict[str, TypeExpr]) -> TypeExpr:
    """``expression`` with generic parameters replaced by their arguments. Raises
    ``InputTooDeep`` rather than nest the result deeper than ``MAX_TYPE_NESTING`` (aliases of
    aliases, each substituted into the next, would otherwise grow without bound)."""
    nesting = {name: _nesting(argument) for name, argument in bindings.items()}
    return _substituted(expression, bindings, nesting, 0)


def _substituted(expression: TypeExpr, bindings: dict[str, TypeExpr], nesting: dict[str, int], level: int) -> TypeExpr:
    if expression.kind == "path" and not expression.args and expression.name in bindings and "::" not in expression.path:
        if level + nesting[expression.name] > MAX_TYPE_NESTING:
            raise InputTooDeep(f"a type nested more than {MAX_TYPE_NESTING} levels deep once its generics are substituted: {expression.text}")
        return bindings[expression.name]
    if not expression.args:
        return expression
    return expression._replace(args=tuple(_substituted(arg, bindings, nesting, level + 1) for arg in expression.args))


def _nesting(expression: TypeExpr) -> int:
    """How many levels deep ``expression`` nests (1 for a type without arguments)."""
    deepest = 0
    pending = [(expression, 1)]
    while pending:
        current, level = pending.pop()
        deepest = max(deepest, level)
        pending.extend((argument, level + 1) for argument in current.args)
    return deepest


def rust_files_of_crates(paths: Iterable[Path]) -> list[Path]:
    """The ``.rs`` files of the crates the given files belong to (what a model of their
    workspace is built from when only some of its files are linted)."""
    roots = {crate.root for path in paths if (crate := crate_of_folder(str(Path(path).absolute().parent))) is not None}
    found: list[Path] = []
    for root in sorted(roots):
        for directory, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in ("target", ".git", "node_modules") and not d.startswith(".")]
            found.extend(Path(directory) / name for name in filenames if name.endswith(".rs"))
    return found
