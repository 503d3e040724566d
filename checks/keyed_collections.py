"""Keyed collections in Rust source: which declared types are maps, sets or sequences, what
they are keyed by, and which declaration a receiver such as ``self.flows.write().await``
refers to.

The ISO2xx rules share this: a map keyed by a bare flow id, a struct used as a map key, and
a collection de-duplicated by flow id are all questions about the same declarations.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, NamedTuple

from tree_sitter import Node

from .context import AnalysisContext, node_text
from .parsing import matches, new_parser
from .statics import STATIC_AND_CONST_ITEMS
from .vocabulary import Vocabulary, words_of

MAP_TYPES = frozenset({
    "HashMap", "BTreeMap", "DashMap", "IndexMap", "FxHashMap", "AHashMap", "LruCache", "Cache",
    "SegmentedCache", "TimedCache", "SizedCache", "TimedSizedCache", "LinkedHashMap", "SkipMap",
    "HashTrieMap", "BiHashMap", "ConcurrentHashMap", "FlurryHashMap",
})
SET_TYPES = frozenset({"HashSet", "BTreeSet", "IndexSet", "DashSet", "FxHashSet", "AHashSet", "SkipSet"})
SEQUENCE_TYPES = frozenset({"Vec", "VecDeque", "SmallVec", "LinkedList"})
# Types that hold one value and add sharing, locking or laziness around it.
WRAPPER_TYPES = frozenset({
    "Arc", "Rc", "Box", "RwLock", "Mutex", "RefCell", "Cell", "Option", "OnceCell", "OnceLock",
    "Lazy", "LazyLock", "ArcSwap", "ArcSwapOption", "Weak", "ReentrantMutex", "CachePadded",
})
_COLLECTION_AND_WRAPPER_TYPES = MAP_TYPES | SET_TYPES | SEQUENCE_TYPES | WRAPPER_TYPES
# Text a collection type must contain (its name): most struct bodies hold none, and one search
# of their bytes is cheaper than looking at each field's type node.
_NAMES_A_COLLECTION = "|".join(sorted(_COLLECTION_AND_WRAPPER_TYPES)).encode()
STRING_TYPES = frozenset({
    "String", "str", "SmolStr", "CompactString", "ArcStr", "EcoString", "Ustr", "Uuid", "Ulid",
    "CompactStr",
})
INTEGER_TYPES = frozenset({"u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize"})
# Methods between a receiver and its collection: lock guards, references, conversions.
RECEIVER_PASSTHROUGH = frozenset({
    "read", "write", "lock", "borrow", "borrow_mut", "unwrap", "expect", "as_ref", "as_mut",
    "load", "lock_owned", "read_owned", "write_owned", "blocking_read", "blocking_write",
    "blocking_lock", "try_read", "try_write", "try_lock", "deref", "deref_mut", "get_or_init",
    "iter", "iter_mut", "into_iter", "values", "values_mut", "keys", "lock_arc", "read_arc",
    "write_arc", "upgradable_read", "force",
})
# Words that make a struct a host-wide collection of packs even when its name says "pack".
COLLECTIVE_WORDS = frozenset({
    "registry", "manager", "host", "store", "index", "catalog", "catalogue", "cache", "repository",
    "service", "loader", "router", "dispatcher", "pool", "packs", "server", "engine", "runner",
    "supervisor", "scheduler", "executor", "controller", "broker", "directory", "map", "table",
})

STRUCT_QUERY = """
(struct_item name: (type_identifier) @name) @struct
"""
_STATIC_MACRO_QUERY = """
(macro_invocation macro: [(identifier) (scoped_identifier)] @macro (token_tree) @body (#match? @macro "(^|::)(lazy_static|thread_local)$"))
"""
THREAD_LOCAL_ACCESSORS = frozenset({"with", "with_borrow", "with_borrow_mut", "set", "take", "replace"})
IMPL_QUERY = "(impl_item) @impl"
# The whole-file queries ``FileCollections`` runs: rules that use it list them in ``Rule.queries``.
QUERIES = (STRUCT_QUERY, STATIC_AND_CONST_ITEMS, _STATIC_MACRO_QUERY, IMPL_QUERY)


class CollectionType(NamedTuple):
    """The collection inside a declared type, after locks and smart pointers are peeled off."""

    kind: str  # map | set | sequence
    node: Node
    name: str
    key: Node | None
    element: Node | None


class CollectionDeclaration(NamedTuple):
    """A struct field, static or ``let`` whose type is (or wraps) a keyed collection."""

    name: str
    name_node: Node
    origin: str  # field | static | let
    collection: CollectionType | None
    owner: Node | None = None  # the struct of a field, the function of a let or parameter


def type_name(type_node: Node | None) -> str:
    """The last path segment of a type: ``std::sync::Arc<..>`` → ``Arc``, ``&str`` → ``str``."""
    while type_node is not None:
        kind = type_node.type
        if kind == "type_identifier" or kind == "primitive_type" or kind == "identifier":
            return node_text(type_node)
        if kind == "scoped_type_identifier":
            type_node = type_node.child_by_field_name("name")
        elif kind == "generic_type" or kind == "reference_type":
            type_node = type_node.child_by_field_name("type")
        else:
            return ""
    return ""


def type_arguments(type_node: Node) -> list[Node]:
    arguments = type_node.child_by_field_name("type_arguments")
    if arguments is None:
        return []
    return [c for c in arguments.named_children if c.type not in ("lifetime", "line_comment", "block_comment")]


def strip_reference(type_node: Node | None) -> Node | None:
    while type_node is not None and type_node.type == "reference_type":
        type_node = type_node.child_by_field_name("type")
    return type_node


def collection_of(type_node: Node | None) -> CollectionType | None:
    """The map/set/sequence a declared type holds, looking through wrappers such as
    ``Arc<RwLock<Option<..>>>``; None when the type is not a collection."""
    while True:
        type_node = strip_reference(type_node)
        if type_node is None or type_node.type != "generic_type":
            return None
        name = type_name(type_node)
        if name not in _COLLECTION_AND_WRAPPER_TYPES:
            return None  # before listing the arguments: most generic types are neither
        arguments = type_arguments(type_node)
        if not arguments:
            return None
        if name in MAP_TYPES:
            return CollectionType("map", type_node, name, arguments[0], arguments[1]) if len(arguments) >= 2 else None
        if name in SET_TYPES:
            return CollectionType("set", type_node, name, arguments[0], arguments[0])
        if name in SEQUENCE_TYPES:
            return CollectionType("sequence", type_node, name, None, arguments[0])
        type_node = arguments[0]


def collection_of_constructor(value: Node | None) -> CollectionType | None:
    """``HashMap::new()``, ``LruCache::new(n)``, ``Vec::with_capacity(n)`` without annotations:
    the kind is known, the key type is not."""
    if value is None or value.type != "call_expression":
        return None
    function = value.child_by_field_name("function")
    if function is None or function.type not in ("scoped_identifier", "generic_function"):
        return None
    if function.type == "generic_function":
        function = function.child_by_field_name("function")
        if function is None or function.type != "scoped_identifier":
            return None
    path = function.child_by_field_name("path")
    name = type_name(path) if path is not None else ""
    if path is not None and path.type == "scoped_identifier":
        name = node_text(path.child_by_field_name("name")) if path.child_by_field_name("name") else ""
    if name in MAP_TYPES:
        return CollectionType("map", value, name, None, None)
    if name in SET_TYPES:
        return CollectionType("set", value, name, None, None)
    if name in SEQUENCE_TYPES:
        return CollectionType("sequence", value, name, None, None)
    return None


def is_bare_id_type(type_node: Node | None, vocabulary: Vocabulary) -> bool:
    """A key type that says nothing about the pack: strings, integers, ``Uuid``, ``FlowId``,
    ``Arc<str>``. Tuples, key structs and pack-scoped id types are not bare."""
    while True:
        type_node = strip_reference(type_node)
        if type_node is None:
            return False
        name = type_name(type_node)
        if type_node.type != "generic_type":
            break
        arguments = type_arguments(type_node)
        if name not in ("Arc", "Rc", "Box", "Cow") or not arguments:
            return False
        type_node = arguments[-1]
    if type_node.type not in ("type_identifier", "primitive_type", "scoped_type_identifier"):
        return False
    if vocabulary.pack.match(name) or vocabulary.tenant.match(name):
        return False
    if name in STRING_TYPES or name in INTEGER_TYPES:
        return True
    return vocabulary.per_pack.match(name) is not None


def declared_type_text(type_node: Node | None) -> str:
    return " ".join(node_text(type_node).split()) if type_node is not None else ""


def struct_fields(struct: Node) -> list[tuple[str, Node, Node | None]]:
    """(name, name node, type node) for each field; tuple-struct fields are named ``0``, ``1``…"""
    body = struct.child_by_field_name("body")
    if body is None:
        return []
    fields: list[tuple[str, Node, Node | None]] = []
    if body.type == "field_declaration_list":
        for declaration in body.named_children:
            if declaration.type == "field_declaration":
                name = declaration.child_by_field_name("name")
                if name is not None:
                    fields.append((node_text(name), name, declaration.child_by_field_name("type")))
    elif body.type == "ordered_field_declaration_list":
        position = 0
        for child in body.named_children:
            if child.type in ("attribute_item", "visibility_modifier", "line_comment", "block_comment"):
                continue
            fields.append((str(position), child, child))
            position += 1
    return fields


def holds_single_pack(name: str, type_node: Node | None, vocabulary: Vocabulary) -> bool:
    """A field, parameter or binding that names one pack (``pack_id: PackId``, ``pack: &Pack``),
    not a collection of packs."""
    # The words first: they are looked up in a cache, a collection is found by walking nodes.
    names_pack = vocabulary.pack.match(name) is not None or vocabulary.pack.match(type_name(type_node)) is not None
    return names_pack and collection_of(type_node) is None


def is_per_pack_struct(struct: Node, vocabulary: Vocabulary) -> bool:
    """A struct that exists once per pack: it holds a single pack id (``pack_id: PackId``), or
    its name says pack without saying it is a host-wide registry of packs."""
    name_node = struct.child_by_field_name("name")
    name = node_text(name_node) if name_node is not None else ""
    for field_name, _, field_type in struct_fields(struct):
        if field_name.isdigit():
            field_name = ""
        if holds_single_pack(field_name, field_type, vocabulary):
            return True
    return vocabulary.pack.match(name) is not None and not names_collection(name, vocabulary)


def entity_nouns(vocabulary: Vocabulary) -> frozenset[str]:
    """The things per-pack ids name: ``flow_id`` → ``flow``, ``node_id`` → ``node``."""
    return _first_words(tuple(vocabulary.per_pack.entries))


@lru_cache(maxsize=64)
def _first_words(entries: tuple[str, ...]) -> frozenset[str]:
    return frozenset(words_of(entry)[0] for entry in entries if words_of(entry))


def names_collection(name: str, vocabulary: Vocabulary) -> bool:
    """A type name that says it holds many packs or flows (``FlowRegistry``, ``PackManager``,
    ``FlowHost``). The last word is the head noun: a ``HostFlow`` or ``EnginePack`` is one flow
    or one pack as the host or engine sees it, not a collection of them."""
    words = words_of(name)
    if not set(words) & COLLECTIVE_WORDS:
        return False
    return words[-1] not in entity_nouns(vocabulary) | _first_words(tuple(vocabulary.pack.entries))


def names_one_entity(name: str, type_node: Node | None, vocabulary: Vocabulary) -> bool:
    """A parameter or binding holding one flow, node or component (``flow: &FlowDef``)."""
    words = set(words_of(name)) | set(words_of(type_name(type_node)))
    names_entity = bool(words & entity_nouns(vocabulary)) and vocabulary.per_pack.match(name) is None
    return names_entity and collection_of(type_node) is None


def is_per_entity_struct(struct: Node, vocabulary: Vocabulary) -> bool:
    """One flow, node or component (``struct Flow { id: FlowId, nodes: HashMap<..> }``): the
    collections it holds are already inside one pack's flow."""
    name_node = struct.child_by_field_name("name")
    name = node_text(name_node) if name_node is not None else ""
    if not set(words_of(name)) & entity_nouns(vocabulary) or names_collection(name, vocabulary):
        return False
    for field_name, _, field_type in struct_fields(struct):
        if (field_name == "id" or vocabulary.per_pack.match(field_name)) and collection_of(field_type) is None:
            return True
    return False


class FileCollections:
    """Every struct, impl and collection declaration of one file, indexed once."""

    @classmethod
    def of(cls, ctx: AnalysisContext) -> "FileCollections":
        """The file's index: built by the first rule that asks, shared with the others."""
        if ctx.file_collections is None:
            ctx.file_collections = cls(ctx)
        return ctx.file_collections

    def __init__(self, ctx: AnalysisContext):
        self.ctx = ctx
        self.structs: dict[str, list[Node]] = {}
        for _, found in matches(STRUCT_QUERY, ctx.root):
            struct, name = found["struct"][0], found["name"][0]
            self.structs.setdefault(node_text(name), []).append(struct)
        # Each struct's collection fields, read when first asked (by struct id): a file with
        # hundreds of structs is asked of a few (``fields_named``, ``field_declarations``).
        self._fields_of_struct: dict[int, list[CollectionDeclaration]] = {}
        self._fields_named: dict[str, list[CollectionDeclaration]] = {}
        self.statics: dict[str, CollectionDeclaration] = {}
        for _, found in matches(STATIC_AND_CONST_ITEMS, ctx.root):
            static = found["item"][0]
            name, static_type = static.child_by_field_name("name"), static.child_by_field_name("type")
            if static.type != "static_item" or name is None or name.type != "identifier" or static_type is None:
                continue
            collection = collection_of(static_type)
            if collection is not None:
                self.statics[node_text(name)] = CollectionDeclaration(node_text(name), name, "static", collection, static)
        for _, found in matches(_STATIC_MACRO_QUERY, ctx.root):
            for name, type_node in _macro_statics(found["body"][0]):
                collection = collection_of(type_node)
                if collection is not None:
                    self.statics[node_text(name)] = CollectionDeclaration(node_text(name), name, "static", collection, ctx.parent(found["body"][0]))
        self._lets: dict[int, CollectionDeclaration | None] = {}
        self._parameters: dict[int, CollectionDeclaration] = {}
        self._impls: list[Node] | None = None
        self._per_pack_or_entity: dict[int, bool] = {}

    def _collection_fields_of(self, struct: Node) -> list[CollectionDeclaration]:
        found = self._fields_of_struct.get(struct.id)
        if found is None:
            found = self._fields_of_struct[struct.id] = [
                CollectionDeclaration(node_text(name_node), name_node, "field", collection, struct)
                for name_node, collection in _collection_fields(struct)]
        return found

    def fields_named(self, field_name: str, struct_name: str | None = None) -> list[CollectionDeclaration]:
        """The collection fields named ``field_name`` of the file's structs (of those named
        ``struct_name`` only, when given: fields of one name in several structs told apart)."""
        if struct_name is not None:
            return [d for struct in self.structs.get(struct_name, []) for d in self._collection_fields_of(struct) if d.name == field_name]
        found = self._fields_named.get(field_name)
        if found is None:
            spelled = field_name.encode()
            found = self._fields_named[field_name] = [
                d for structs in self.structs.values() for struct in structs if spelled in struct.text
                for d in self._collection_fields_of(struct) if d.name == field_name]
        return found

    def field_declarations(self, wanted: Callable[[Node], bool]) -> list[CollectionDeclaration]:
        """The collection fields of the file's structs whose names ``wanted`` takes, read
        only from the structs declaring one."""
        found = []
        for structs in self.structs.values():
            for struct in structs:
                body = struct.child_by_field_name("body")
                names = [field.child_by_field_name("name") for field in body.named_children
                         if field.type == "field_declaration"] if body is not None and body.type == "field_declaration_list" else []
                if any(name is not None and wanted(name) for name in names):
                    found.extend(d for d in self._collection_fields_of(struct) if wanted(d.name_node))
        return found

    def impl_type_name(self, node: Node) -> str | None:
        impl = self._enclosing_impl(node)
        if impl is None:
            return None
        return type_name(impl.child_by_field_name("type")) or None

    def _enclosing_impl(self, node: Node) -> Node | None:
        """The innermost ``impl`` holding ``node``, found by byte range: climbing parents
        costs a descent from the root per step."""
        if self._impls is None:
            self._impls = sorted((found["impl"][0] for _, found in matches(IMPL_QUERY, self.ctx.root)), key=lambda impl: impl.start_byte)
        start, end = node.start_byte, node.end_byte
        innermost = None
        for impl in self._impls:
            if impl.start_byte > start:
                break
            if end <= impl.end_byte and impl.id != node.id:
                innermost = impl
        return innermost

    def is_per_pack_or_entity_struct(self, struct: Node) -> bool:
        """``is_per_pack_struct`` or ``is_per_entity_struct``, judged once per struct."""
        judged = self._per_pack_or_entity.get(struct.id)
        if judged is None:
            vocabulary = self.ctx.vocabulary
            judged = is_per_pack_struct(struct, vocabulary) or is_per_entity_struct(struct, vocabulary)
            self._per_pack_or_entity[struct.id] = judged
        return judged

    def struct_named(self, name: str | None) -> Node | None:
        candidates = self.structs.get(name or "", [])
        return candidates[0] if len(candidates) == 1 else None

    def let_declaration(self, let: Node, function: Node | None) -> CollectionDeclaration | None:
        """The collection a ``let`` of ``function`` declares (annotated or built with
        ``Type::new()``)."""
        cached = self._lets.get(let.id)
        if cached is not None or let.id in self._lets:
            return cached
        pattern = let.child_by_field_name("pattern")
        name = _binding_identifier(pattern)
        declaration = None
        if name is not None:
            collection = collection_of(let.child_by_field_name("type")) or collection_of_constructor(let.child_by_field_name("value"))
            if collection is not None:
                declaration = CollectionDeclaration(node_text(name), name, "let", collection, function)
        self._lets[let.id] = declaration
        return declaration

    def _parameter_declaration(self, parameter: tuple[Node, str] | None, function: Node | None) -> CollectionDeclaration | None:
        if parameter is None or parameter[0].type != "parameter":
            return None
        node = parameter[0]
        cached = self._parameters.get(node.id)
        if cached is None:
            name = _binding_identifier(node.child_by_field_name("pattern"))
            collection = collection_of(node.child_by_field_name("type"))
            if name is None or collection is None:
                return None
            cached = CollectionDeclaration(node_text(name), name, "parameter", collection, function)
            self._parameters[node.id] = cached
        return cached

    def resolve(self, receiver: Node, tracer) -> list[CollectionDeclaration]:
        """The declarations ``receiver`` may refer to: ``self.flows.write().await`` → field
        ``flows``; ``CACHE.lock().unwrap()`` → static ``CACHE``; a guard bound with
        ``let g = self.flows.lock()`` → field ``flows``."""
        return self._resolve(receiver, tracer, 0)

    def _resolve(self, receiver: Node, tracer, depth: int) -> list[CollectionDeclaration]:
        node = _peel(receiver)
        if node is None or depth > 4:
            return []
        if node.type == "field_expression":
            field_node = node.child_by_field_name("field")
            field_name = node_text(field_node) if field_node is not None else ""
            value = node.child_by_field_name("value")
            if value is not None and value.type == "self":
                # Of several fields of that name, the one of `self`'s struct; that one alone
                # when it is the only one.
                owned = self.fields_named(field_name, self.impl_type_name(node) or "")
                if owned:
                    return owned
            return self.fields_named(field_name)
        if node.type in ("identifier", "scoped_identifier"):
            name = node_text(node) if node.type == "identifier" else node_text(node.child_by_field_name("name"))
            if node.type == "identifier":
                scope = tracer.scope_of(node)
                binding = scope.binding_before(name, node)
                if binding is not None:
                    declaration = self.let_declaration(binding, scope.function)
                    if declaration is not None:
                        return [declaration]
                    value = binding.child_by_field_name("value")
                    return self._resolve(value, tracer, depth + 1) if value is not None else []
                parameter = self._parameter_declaration(scope.parameters.get(name), scope.function)
                if parameter is not None:
                    return [parameter]
                accessed = _thread_local_access(self.ctx, node, name) if _may_be_in_closure(scope, node) else None
                if accessed is not None:
                    return self._resolve(accessed, tracer, depth + 1)
            static = self.statics.get(name)
            return [static] if static is not None else []
        return []


def _collection_fields(struct: Node):
    """(name node, collection) of each named field of ``struct`` whose type is a collection."""
    body = struct.child_by_field_name("body")
    if body is None or body.type != "field_declaration_list" or not re.search(_NAMES_A_COLLECTION, body.text):
        return
    for declaration in body.named_children:
        if declaration.type == "field_declaration":
            collection = collection_of(declaration.child_by_field_name("type"))
            name = declaration.child_by_field_name("name") if collection is not None else None
            if name is not None:
                yield name, collection


def _macro_statics(token_tree: Node):
    """``static ref NAME: Type = …;`` items of a ``lazy_static!``/``thread_local!`` body: the
    name token, and the type re-parsed on its own (macro bodies are flat tokens)."""
    tokens = token_tree.children
    for index, token in enumerate(tokens):
        if token.type != "static":
            continue
        following = tokens[index + 1 : index + 4]
        name = next((t for t in following if t.type == "identifier" and node_text(t) != "ref"), None)
        colon = next((t for t in following if t.type == ":"), None)
        if name is None or colon is None:
            continue
        equals = next((t for t in tokens[index:] if t.type == "="), None)
        if equals is None:
            continue
        type_text = token_tree.text[colon.end_byte - token_tree.start_byte : equals.start_byte - token_tree.start_byte]
        alias = parse_type_alias(type_text)
        if alias is not None:
            yield name, alias


def parse_type_alias(type_text: bytes) -> Node | None:
    """Parse a type written inside a macro into a type node of its own small tree."""
    tree = new_parser().parse(b"type T = " + type_text + b";")
    item = tree.root_node.named_children[0] if tree.root_node.named_children else None
    if item is None or item.type != "type_item" or item.has_error:
        return None
    return item.child_by_field_name("type")


def _may_be_in_closure(scope, node: Node) -> bool:
    """Whether a closure of the function may hold ``node``: its closures are indexed, and
    climbing parents costs a descent from the root per step."""
    if scope.function is None:
        return True
    start, end = node.start_byte, node.end_byte
    return any(c.type == "closure_expression" and c.start_byte <= start and end <= c.end_byte for c in scope.iterations)


_CLOSURE_OR_FUNCTION = ("closure_expression", "function_item")


def _thread_local_access(ctx: AnalysisContext, identifier: Node, name: str) -> Node | None:
    """``CACHE.with(|cache| cache.borrow_mut().insert(..))``: ``cache`` is ``CACHE``'s value."""
    # From closure to enclosing closure: the answers are kept, so many identifiers deep in
    # one expression do not each climb through all of it.
    current = ctx.enclosing(identifier, _CLOSURE_OR_FUNCTION)
    while current is not None and current.type != "function_item":
        if current.type == "closure_expression":
            parameters = current.child_by_field_name("parameters")
            names = [node_text(p.child_by_field_name("pattern") or p) for p in parameters.named_children] if parameters is not None else []
            if name in names:
                arguments = ctx.parent(current)
                call = ctx.parent(arguments) if arguments is not None and arguments.type == "arguments" else None
                function = call.child_by_field_name("function") if call is not None and call.type == "call_expression" else None
                method = function.child_by_field_name("field") if function is not None and function.type == "field_expression" else None
                if method is not None and node_text(method) in THREAD_LOCAL_ACCESSORS:
                    return function.child_by_field_name("value")
                return None
        current = ctx.enclosing(current, _CLOSURE_OR_FUNCTION)
    return None


def _peel(node: Node | None) -> Node | None:
    """Strip guards, awaits, ``?``, references and parentheses from a receiver expression."""
    while node is not None:
        kind = node.type
        if kind in ("await_expression", "try_expression", "reference_expression", "parenthesized_expression", "unary_expression"):
            node = node.named_children[0] if node.named_children else None
        elif kind == "call_expression":
            function = node.child_by_field_name("function")
            if function is None or function.type != "field_expression":
                return None
            method = function.child_by_field_name("field")
            if method is None or node_text(method) not in RECEIVER_PASSTHROUGH:
                return None
            node = function.child_by_field_name("value")
        else:
            return node
    return None


def _binding_identifier(pattern: Node | None) -> Node | None:
    while pattern is not None and pattern.type in ("mut_pattern", "ref_pattern"):
        pattern = pattern.named_children[-1] if pattern.named_children else None
    return pattern if pattern is not None and pattern.type == "identifier" else None
