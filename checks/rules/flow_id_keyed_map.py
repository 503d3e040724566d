"""ISO201 flow-id-keyed-map."""

from __future__ import annotations

import re
from typing import NamedTuple

from tree_sitter import Node

from ..context import call_arguments, call_receiver, method_call_of, node_text
from .. import keyed_collections, keyflow
from ..keyed_collections import (
    CollectionDeclaration,
    FileCollections,
    declared_type_text,
    holds_single_pack,
    is_bare_id_type,
    names_collection,
    names_one_entity,
    struct_fields,
    type_name,
)
from ..keyflow import KeyComposition, KeyTracer
from ..model import FixAvailability, Severity
from ..vocabulary import split_words, words_of
from ..parsing import matches
from .base import Rule, vocabulary_triggers

# Methods whose first argument is the key the collection is filled or read with.
KEYED_METHODS = frozenset({
    "insert", "entry", "get", "get_mut", "remove", "contains_key", "contains", "peek", "peek_mut",
    "put", "get_or_insert", "get_or_insert_with", "get_or_insert_mut", "get_with",
    "try_get_with", "optionally_get_with", "invalidate", "swap_remove", "shift_remove",
    "remove_entry", "get_key_value", "try_insert", "pop", "promote", "demote",
})
WRITING_METHODS = frozenset({"insert", "entry", "put", "get_or_insert", "get_or_insert_with", "get_or_insert_mut", "get_with", "try_get_with", "optionally_get_with", "try_insert"})
# Methods that find or de-duplicate elements through a closure comparing an id.
COMPARING_METHODS = frozenset({
    "retain", "retain_mut", "find", "position", "rposition", "any", "dedup_by_key", "dedup_by",
    "find_map", "filter", "binary_search_by_key", "extract_if", "drain_filter",
})
# Comparing methods that drop the elements their closure matches: with `push` after them, how
# a list is de-duplicated (`retain(|f| f.id != new.id)`).
REMOVING_METHODS = frozenset({"retain", "retain_mut", "dedup_by_key", "dedup_by", "extract_if", "drain_filter"})
# What a pack ships directly. Nodes and steps live inside one flow, so a flow's struct may
# key them by id; flows and components collide across packs.
PACK_LEVEL_ENTITIES = frozenset({"flow", "component"})
_PACK_LOOP = r"(?i)\bfor\s+\(?\s*&?\s*(?:mut\s+)?\w*pack\w*"

ORIGIN_LABELS = {"field": "field", "static": "static", "let": "local", "parameter": "parameter"}

# The method name is matched in the query (most calls of a file fill or read no collection,
# and a match the query drops costs nothing in Python); that it names a call is read in
# Python (``method_call_of``).
_KEYED_METHOD_CALLS = """
((field_identifier) @method (#any-of? @method %s))
""" % " ".join(f'"{name}"' for name in sorted(KEYED_METHODS | COMPARING_METHODS))
_INDEXING = "(index_expression) @indexing"


class KeyedUse(NamedTuple):
    """One place a collection is filled, read or searched, and with what key."""

    declaration: CollectionDeclaration
    site: Node
    key_text: str
    verb: str
    composition: KeyComposition | None
    scoped: bool
    entity: str = ""


def _function_name(ctx, node: Node) -> str:
    function = ctx.enclosing_function(node)
    name = function.child_by_field_name("name") if function is not None else None
    return node_text(name) if name is not None else "<top level>"


def _entity(vocabulary, text: str) -> str:
    """``flow.flow_id`` → ``flow``: which per-pack thing an id names."""
    entry = vocabulary.per_pack.match(text)
    words = words_of(entry) if entry else ()
    return words[0] if words else ""


def _keyed_use(ctx, tracer, declaration, call, method, key) -> KeyedUse | None:
    vocabulary = ctx.vocabulary
    is_sequence = declaration.collection is not None and declaration.collection.kind == "sequence"
    if is_sequence and method != "contains":
        return None
    composition = tracer.trace(key)
    if composition.pack_evidence(vocabulary) is not None:
        return KeyedUse(declaration, call, node_text(key), "", composition, True)
    per_pack = composition.per_pack_ids(vocabulary)
    key_type = declaration.collection.key if declaration.collection else None
    typed_per_pack = key_type is not None and vocabulary.per_pack.match(type_name(key_type)) is not None
    if not per_pack and not typed_per_pack:
        return None
    verb = "filled" if method in WRITING_METHODS else "looked up"
    if method == "contains":
        verb = "de-duplicated"
    entity = _entity(vocabulary, per_pack[0].words_source()) if per_pack else _entity(vocabulary, type_name(key_type))
    return KeyedUse(declaration, call, node_text(key), verb, composition, False, entity)


def _closure_parameters(closure: Node) -> list[str]:
    parameters = closure.child_by_field_name("parameters")
    names: list[str] = []
    if parameters is None:
        return names
    for parameter in parameters.named_children:
        pattern = parameter.child_by_field_name("pattern") if parameter.type == "parameter" else parameter
        while pattern is not None and pattern.type in ("reference_pattern", "ref_pattern", "mut_pattern", "tuple_pattern"):
            inner = [c for c in pattern.named_children if c.type == "identifier"]
            pattern = inner[-1] if inner else (pattern.named_children[-1] if pattern.named_children else None)
        if pattern is not None and pattern.type == "identifier":
            names.append(node_text(pattern))
    return names


def _compared_sides(body: Node) -> list[Node]:
    """The operands of ``==``/``!=`` in a closure body (or the body itself for ``*_by_key``)."""
    sides: list[Node] = []
    stack = [body]
    while stack:
        node = stack.pop()
        if node.type == "binary_expression":
            operator = node.child_by_field_name("operator")
            if operator is not None and node_text(operator) in ("==", "!="):
                sides.extend(c for c in (node.child_by_field_name("left"), node.child_by_field_name("right")) if c is not None)
                continue
        if node.type == "closure_expression":
            continue
        stack.extend(node.named_children)
    return sides


def _element_label(declaration: CollectionDeclaration) -> str:
    collection = declaration.collection
    return type_name(collection.element) if collection is not None and collection.element is not None else ""


def _comparing_use(ctx, tracer, declaration, call, method, closure) -> KeyedUse | None:
    vocabulary = ctx.vocabulary
    body = closure.child_by_field_name("body")
    if body is None or vocabulary.pack.match(node_text(body)) is not None:
        return None
    parameters = set(_closure_parameters(closure))
    element = _element_label(declaration)
    sides = [body] if method.endswith("_by_key") else _compared_sides(body)
    for side in sides:
        text = node_text(side).lstrip("*&")
        root, _, rest = text.partition(".")
        typed_text = f"{element}.{rest}" if root in parameters and element and rest else text
        if vocabulary.per_pack.match(typed_text) or vocabulary.per_pack.match(text):
            return KeyedUse(declaration, call, text, "compared", None, False, _entity(vocabulary, typed_text) or _entity(vocabulary, text))
        composition = tracer.trace(side)
        per_pack = composition.per_pack_ids(vocabulary)
        if per_pack and not any(p.text in parameters for p in per_pack):
            return KeyedUse(declaration, call, text, "compared", composition, False, _entity(vocabulary, per_pack[0].words_source()))
    return None


def _reached_through_pack(ctx, tracer, receiver: Node) -> bool:
    """``self.packs.get(pack_id)?.flows`` or ``runtime.flows`` with ``runtime`` looked up by
    pack: the collection used there belongs to one pack, so the use says nothing about a
    host-wide field of the same name."""
    node = receiver
    while node.type in ("field_expression", "call_expression", "await_expression", "try_expression", "reference_expression", "parenthesized_expression"):
        inner = node.child_by_field_name("value") if node.type == "field_expression" else (
            node.child_by_field_name("function") if node.type == "call_expression" else (node.named_children[0] if node.named_children else None))
        if inner is None:
            break
        node = inner
    texts = [node_text(receiver)]
    if node.type == "identifier":
        scope = tracer.scope_of(node)
        binding = scope.binding_before(node_text(node), node)
        value = binding.child_by_field_name("value") if binding is not None else None
        if value is not None:
            texts.append(node_text(value))
        parameter = scope.parameters.get(node_text(node))
        if parameter is not None:
            texts.append(parameter[1])
    return any(ctx.vocabulary.pack.match(text) for text in texts)


def _uses(ctx, tracer, collections: FileCollections, triage: "_Triage"):
    """The uses in production code of the collections ``triage`` still has open, in order:
    method calls, then indexing."""
    for _, found in matches(_KEYED_METHOD_CALLS, ctx.root):
        method_name = found["method"][0]
        call = method_call_of(method_name, ctx.ancestry)
        if call is None:
            continue
        receiver = call_receiver(call)
        # Resolving first: most receivers are no open collection of this file, and resolving
        # is cheaper than the test-code walk or tracing whether the receiver was reached
        # through a pack.
        declarations = [d for d in collections.resolve(receiver, tracer) if triage.is_open(d)]
        if not declarations:
            continue
        arguments = [a for a in call_arguments(call) if a.type not in ("line_comment", "block_comment")]
        if not arguments:
            continue
        if ctx.should_skip(call):
            continue  # what tests put in a map says nothing about how production keys it
        if _reached_through_pack(ctx, tracer, receiver):
            continue
        method = node_text(method_name)
        for declaration in declarations:
            if method in COMPARING_METHODS and arguments[0].type == "closure_expression":
                use = _comparing_use(ctx, tracer, declaration, call, method, arguments[0])
            elif method in KEYED_METHODS:
                use = _keyed_use(ctx, tracer, declaration, call, method, arguments[0])
            else:
                use = None
            if use is not None:
                yield use
    for _, found in matches(_INDEXING, ctx.root):
        indexing = found["indexing"][0]
        operands = indexing.named_children  # the receiver, then the index
        if len(operands) < 2:
            continue
        maps = [
            d for d in collections.resolve(operands[0], tracer)
            if d.collection is not None and d.collection.kind == "map" and triage.is_open(d)
        ]
        if not maps or ctx.should_skip(indexing):
            continue
        for declaration in maps:
            use = _keyed_use(ctx, tracer, declaration, indexing, "get", operands[1])
            if use is not None:
                yield use


def _key_struct_has_pack(collections: FileCollections, key_type: Node, vocabulary) -> bool:
    """``FlowId`` may be a struct of this file that already carries the pack."""
    for struct in collections.structs.get(type_name(key_type), []):
        if any(holds_single_pack(name, field_type, vocabulary) for name, _, field_type in struct_fields(struct)):
            return True
    return False


def _keyed_by_bare_id(ctx, collections, declaration: CollectionDeclaration) -> bool:
    collection = declaration.collection
    if collection is None:
        return False
    if collection.kind == "sequence" or collection.key is None:
        return True
    return is_bare_id_type(collection.key, ctx.vocabulary) and not _key_struct_has_pack(collections, collection.key, ctx.vocabulary)


def _nested_in_owner(ctx, owner, uses: list[KeyedUse]) -> bool:
    """``struct FlowExecution { node_outputs: HashMap<String, _> }``: node ids inside one flow.

    Node and step ids repeat across the flows of a single pack, so a struct keeping them by id
    alone is one flow's (or one execution's) state unless its name says it collects many
    (``NodeCache``, ``Dispatcher``): a host-wide map of them would already break with one pack."""
    name_node = owner.child_by_field_name("name")
    owner_name = node_text(name_node) if name_node is not None else ""
    owner_words = set(words_of(owner_name))
    entities = {use.entity for use in uses}
    if names_collection(owner_name, ctx.vocabulary) or not entities or entities & PACK_LEVEL_ENTITIES:
        return False
    return not entities & owner_words


def _aggregates_packs(function: Node | None) -> bool:
    """The function walks many packs (``for pack in …``, ``packs``): its local maps mix them."""
    if function is None:
        return False
    text = node_text(function)
    if "pack" not in text.lower():
        return False  # what both tests need, found without splitting the function into words
    return "packs" in split_words(text) or re.search(_PACK_LOOP, text) is not None


def _per_pack_by_declaration(ctx, collections: FileCollections, declaration: CollectionDeclaration) -> bool:
    """One pack's (or one flow's) collection by where it is declared, whatever its uses."""
    origin, owner = declaration.origin, declaration.owner
    if origin == "field":
        return owner is not None and collections.is_per_pack_or_entity_struct(owner)
    if origin == "static" or owner is None:
        return False
    return origin == "let" and _one_pack_unless_walking_packs(collections, owner, ctx.vocabulary)


def _per_pack_by_uses(ctx, collections: FileCollections, declaration: CollectionDeclaration, uses: list[KeyedUse]) -> bool:
    """One pack's (or one flow's) collection by how it is used (fields and parameters)."""
    owner = declaration.owner
    if owner is None:
        return False
    if declaration.origin == "field":
        return _nested_in_owner(ctx, owner, uses)
    if declaration.origin != "parameter":
        return False
    if any(_drops_pack_level_matches(ctx, use) for use in uses):
        # The caller's collection, de-duplicated (or purged) by a flow or component id alone:
        # nothing here says it is one pack's, and in a host-wide registry the second pack's
        # `main` flow silently replaces the first's. The single flow being added (`incoming:
        # Flow`) is what is de-duplicated, so only one pack in reach makes it one pack's.
        return _works_within_one_pack(collections, owner, ctx.vocabulary, one_entity_counts=False)
    return _one_pack_unless_walking_packs(collections, owner, ctx.vocabulary)


def _one_pack_unless_walking_packs(collections: FileCollections, function: Node, vocabulary) -> bool:
    """A local or parameter collection only mixes packs when the function walks several
    packs; otherwise it is one pack's or one flow's (validating a manifest, a graph)."""
    return not _aggregates_packs(function) or _works_within_one_pack(collections, function, vocabulary, one_entity_counts=True)


class _Triage:
    """Which declarations can still become a finding while the file's uses are collected.

    A declaration keyed by more than a bare id, or one pack's by where it is declared, is
    never reported, and one with a scoped use is closed: tracing the keys of their other
    uses (most of the work) would change nothing."""

    def __init__(self, ctx, collections: FileCollections):
        self._ctx = ctx
        self._collections = collections
        self._reportable: dict[int, bool] = {}
        self._closed: set[int] = set()

    def may_report(self, declaration: CollectionDeclaration) -> bool:
        key = declaration.name_node.id
        reportable = self._reportable.get(key)
        if reportable is None:
            ctx, collections = self._ctx, self._collections
            reportable = (_keyed_by_bare_id(ctx, collections, declaration) and not _per_pack_by_declaration(ctx, collections, declaration)
                          and _lives_host_wide(ctx, declaration))
            self._reportable[key] = reportable
        return reportable

    def is_open(self, declaration: CollectionDeclaration) -> bool:
        return declaration.name_node.id not in self._closed and self.may_report(declaration)

    def close(self, declaration: CollectionDeclaration) -> None:
        self._closed.add(declaration.name_node.id)


def _lives_host_wide(ctx, declaration: CollectionDeclaration) -> bool:
    """A struct field is shared unless the workspace model knows its struct is built per
    request, workload or tenant; what a one-file model cannot tell stays reportable."""
    if declaration.origin != "field" or declaration.owner is None or not ctx.workspace.knows_workspace:
        return True
    name = declaration.owner.child_by_field_name("name")
    return name is None or ctx.workspace.home(node_text(name)) != "per-instance"


def _drops_pack_level_matches(ctx, use: KeyedUse) -> bool:
    """``list.retain(|f| f.flow_id != flow.flow_id)``: elements dropped by a flow or component id."""
    return use.verb == "compared" and use.entity in PACK_LEVEL_ENTITIES and ctx.callee_name(use.site) in REMOVING_METHODS


def _works_within_one_pack(collections: FileCollections, function: Node, vocabulary, *, one_entity_counts: bool) -> bool:
    """A parameter names one pack (``pack: &PackRuntime``) or, when ``one_entity_counts``, one
    flow; or the function is a method of a per-pack or per-flow struct."""
    parameters = function.child_by_field_name("parameters")
    for parameter in parameters.named_children if parameters is not None else ():
        if parameter.type == "parameter":
            pattern = parameter.child_by_field_name("pattern")
            name = node_text(pattern) if pattern is not None else ""
            parameter_type = parameter.child_by_field_name("type")
            if holds_single_pack(name, parameter_type, vocabulary) or (one_entity_counts and names_one_entity(name, parameter_type, vocabulary)):
                return True
    owner = collections.struct_named(collections.impl_type_name(function))
    return owner is not None and collections.is_per_pack_or_entity_struct(owner)


def _declaration_type_text(declaration: CollectionDeclaration) -> str:
    collection = declaration.collection
    if collection is None:
        return ""
    if collection.kind == "sequence":
        return declared_type_text(collection.node)
    return declared_type_text(collection.key) if collection.key is not None else collection.name


def _message(ctx, declaration: CollectionDeclaration, unscoped: list[KeyedUse]) -> str:
    first = unscoped[0]
    where = f"`fn {_function_name(ctx, first.site)}`"
    origin = ORIGIN_LABELS[declaration.origin]
    if first.verb == "compared":
        what = f"searched or de-duplicated by comparing `{first.key_text}` alone (in {where})"
    else:
        what = f"{first.verb} with `{first.key_text}` alone (in {where})"
    more = f" and {len(unscoped) - 1} more place(s)" if len(unscoped) > 1 else ""
    collection = declaration.collection
    keyed = f"keyed by `{_declaration_type_text(declaration)}`" if collection and collection.kind != "sequence" and collection.key is not None else f"a `{_declaration_type_text(declaration)}`"
    return f"{origin} `{declaration.name}` is {keyed} and {what}{more}, with no pack id: {_collision(first.entity)}"


def _collision(entity: str) -> str:
    """Why a key without the pack collides, in terms of what the id names."""
    return f"two packs that ship a {entity or 'flow'} with the same id overwrite or read each other's entry"


def check(ctx):
    if not ctx.serves_tenants:
        return  # tests, benchmarks, examples and tooling serve no tenant
    if ctx.workspace.knows_workspace and not ctx.workspace.declares_scope(ctx.vocabulary)[1]:
        return  # a per-pack id is unique only within a pack: a workspace without packs has none
    collections = FileCollections.of(ctx)
    tracer = KeyTracer(ctx)
    triage = _Triage(ctx, collections)
    by_declaration: dict[int, tuple[CollectionDeclaration, list[KeyedUse]]] = {}
    for use in _uses(ctx, tracer, collections, triage):
        entry = by_declaration.setdefault(use.declaration.name_node.id, (use.declaration, []))
        entry[1].append(use)
        if use.scoped:
            triage.close(use.declaration)
    declarations = collections.field_declarations(ctx.wants_findings_at) + list(collections.statics.values())
    for declaration in declarations:
        by_declaration.setdefault(declaration.name_node.id, (declaration, []))
    for declaration, uses in sorted(by_declaration.values(), key=lambda entry: entry[0].name_node.start_byte):
        if any(use.scoped for use in uses) or not ctx.wants_findings_at(declaration.name_node):
            continue
        if not triage.may_report(declaration) or _per_pack_by_uses(ctx, collections, declaration, uses):
            continue
        unscoped = [use for use in uses if not use.scoped]
        key_type = declaration.collection.key if declaration.collection else None
        typed_per_pack = key_type is not None and ctx.vocabulary.per_pack.match(type_name(key_type)) is not None
        if not unscoped and not typed_per_pack:
            continue
        related = [ctx.related(use.site, f"{use.verb} with `{use.key_text}` here") for use in unscoped]
        notes = ()
        composition = next((use.composition for use in unscoped if use.composition is not None), None)
        if composition is not None:
            notes = (composition.describe() + " — no pack_id",)
        if unscoped:
            message = _message(ctx, declaration, unscoped)
        else:
            entity = _entity(ctx.vocabulary, type_name(key_type))
            message = (
                f"{ORIGIN_LABELS[declaration.origin]} `{declaration.name}` is keyed by "
                f"`{_declaration_type_text(declaration)}` alone, with no pack id: {_collision(entity)}"
            )
        yield ctx.finding(declaration.name_node, message, related=related, notes=notes)


RULE = Rule(
    code="ISO201",
    reach="linked-bodies",
    type_declaration_words=(),
    name="flow-id-keyed-map",
    summary="A map, cache or list shared by all packs that is keyed or de-duplicated by a flow id alone.",
    rationale=(
        "Flow ids (and node or component ids) are only unique inside one pack. A host that "
        "loads many tenants' packs into one process and registers, caches or de-duplicates "
        "flows in one `HashMap<String, Flow>` by flow id lets the second pack that ships a "
        "`main` flow silently replace the first: tenant A's requests then run tenant B's flow "
        "with tenant B's configuration, or a cached compiled component is served to the wrong "
        "pack. Key host-wide collections by `(pack_id, flow_id)` (or keep one map per pack). "
        "Where the workspace model knows the code, it decides what \"host-wide\" and \"per-pack "
        "id\" mean: a map field of a struct the code builds per request or per workload "
        "separates by instance and stays quiet, and in a workspace where nothing identifies a "
        "pack (no `pack_id`, `PackRef`, …), flow and node ids are the host's own and stay quiet."
    ),
    bad_example=(
        "struct FlowRegistry {\n"
        "    flows: RwLock<HashMap<String, Flow>>,\n"
        "}\n\n"
        "impl FlowRegistry {\n"
        "    fn register(&self, flow: Flow) {\n"
        "        self.flows.write().unwrap().insert(flow.flow_id.clone(), flow);\n"
        "    }\n"
        "}\n"
    ),
    good_example=(
        "struct FlowRegistry {\n"
        "    flows: RwLock<HashMap<(PackId, FlowId), Flow>>,\n"
        "}\n\n"
        "impl FlowRegistry {\n"
        "    fn register(&self, flow: Flow) {\n"
        "        let key = (flow.pack_id.clone(), flow.flow_id.clone());\n"
        "        self.flows.write().unwrap().insert(key, flow);\n"
        "    }\n"
        "}\n"
    ),
    default_severity=Severity.WARNING,
    fix_availability=FixAvailability.NONE,
    fix_safety=None,
    check=check,
    # A finding needs a key, comparison or key type that names a per-pack id (the vocabulary's
    # per-pack entries): files that mention none of them have nothing to report.
    configured_triggers=lambda settings: vocabulary_triggers(settings.vocabulary.per_pack.entries),
    queries=(_KEYED_METHOD_CALLS, _INDEXING, *keyflow.QUERIES, *keyed_collections.QUERIES),
    message=(
        "field `{name}` is keyed by `{key type}` and filled with `{key}` alone (in `fn {function}`), "
        "with no pack id: two packs that ship a flow with the same id overwrite or read each other's entry"
    ),
    options=(
        "scope.pack-identifiers", "scope.extend-pack-identifiers", "scope.per-pack-identifiers",
        "scope.extend-per-pack-identifiers", "scope.helpers", "scope.extend-helpers", "lint-tests",
    ),
)
