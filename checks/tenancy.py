"""The tenancy model: who chose a value, and how widely the storage it reaches is shared.

A reviewer of a multi-tenant host asks three questions of every keyed store: who chose the
key (the host minted it, the host fixed it, or a tenant chose it), where the store lives
(one per process, one per host, or one per tenant instance), and whether the host's own
scope identity (the tenant, app, workload, project… the host serves) is part of the key.
This module answers them over the workspace model (``checks.workspace``) and the isolation
contract of the config (``[contract]``), so rules ask questions instead of matching words.

Tenant-chosen values, for now:
- every parameter of a *host interface the guest calls*: a method of ``impl …::Host for T``
  (wasmtime / wit-bindgen host traits, ``HostBucket``-style resource traits), or of a trait
  or function the contract lists in ``tenant-chosen``, except handles the host allocates
  (``Resource<T>``) and ids it mints (``Uuid``);
- the bindings of a request handler's extractors (``Path(name): Path<String>``,
  ``Json(body)``, ``Query(params)``, ``HeaderMap``): paths, bodies and headers a client sends;
- the fields of a tenant's manifest (a parameter typed ``…Manifest``, or a type the contract
  lists), and locals iterated from them.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from tree_sitter import Node

from .call_sites import names_scope_identity
from .context import AnalysisContext, call_arguments, chain_root, node_text
from .keyed_collections import FileCollections
from .keyflow import KeyComposition, KeyPart, KeyTracer
from .parsing import matches
from .vocabulary import words_of
from .workspace import Signature, named_types, parse_type

# What real hosts call the unit they isolate. A contract candidate must be spelled as an
# identity (`AppId`, `project_id`) and used like one; a credential hanging off a value so
# named is that unit's.
UNIT_WORDS = frozenset({
    "tenant", "org", "organization", "organisation", "app", "application", "workload", "project", "namespace",
    "environment", "env", "account", "customer", "team", "workspace", "warehouse", "realm", "subscription",
})
# wit-bindgen names a world's import interface `Host` and each resource's trait `Host<Resource>`.
HOST_TRAIT = re.compile(r"^Host(?:[A-Z]\w*)?$")
# Web framework extractors whose contents the client chose (axum, actix-web, warp's filters
# bind plain values and are not recognised).
# (`tonic::Request<T>` is left out: gRPC services are as often a cluster's own traffic
# between trusted nodes as a tenant-facing API.)
REQUEST_EXTRACTORS = frozenset({"Path", "Query", "Json", "Form", "TypedHeader", "RawQuery", "Multipart", "HeaderMap"})
# Types of what a tenant writes down for the host to load: an app's manifest. (A `Spec` is
# as often the binary's own declaration; the contract's `tenant-chosen` can name such types.)
MANIFEST_TYPE_TAILS = ("Manifest",)
# Handles the host allocates for a guest (wasmtime's resource table): the guest passes them
# back but cannot forge another guest's.
HOST_ALLOCATED_HANDLES = frozenset({"Resource", "ResourceAny"})
# Pointers through which several owners hold one store.
SHARED_HANDLES = frozenset({"Arc", "Rc", "Weak"})
# Methods through which a store is keyed: a read, a write or a removal by key.
KEYED_METHODS = frozenset({
    "get", "get_mut", "insert", "entry", "remove", "contains_key", "set", "put", "delete", "fetch",
    "lookup", "get_or_insert_with", "try_insert", "swap", "exists", "del", "route", "resolve", "store",
})
# Writes that take a key and a value: with one argument they set a value, not an entry.
_PAIR_WRITES = frozenset({"set", "put", "store", "swap"})
# Words of a type that keeps data by key for others to read back: a store, cache or backend.
STORE_WORDS = frozenset({
    "store", "kv", "cache", "backend", "bucket", "storage", "db", "database", "redis", "router", "routes",
    "registry", "table", "keyspace", "state",
})


# Who chose an entry's values, by the kind of entry.
_CHOOSERS = {"host-interface": "guest", "request-handler": "client", "manifest": "tenant"}


class GuestEntry(NamedTuple):
    """A function whose parameters (some of them) a tenant chose."""

    function: Node
    kind: str  # host-interface (a host trait or the contract's) | request-handler | manifest
    where: str  # for messages: "host interface `store::Host`", "request handler"
    chosen: dict[str, Node]  # binding name → the parameter that binds it

    @property
    def is_host_interface(self) -> bool:
        """Called by guest code (a host trait or the contract), not by a client's request."""
        return self.kind == "host-interface"

    @property
    def chooser(self) -> str:
        """Who chose the values: the guest, the client of a request, or the tenant's manifest."""
        return _CHOOSERS[self.kind]


class Storage(NamedTuple):
    """Where a keyed store lives, as far as the model can tell."""

    scope: str  # process-wide | host-wide | shared-handle | per-instance
    description: str  # "static `ROUTES`", "field `backend` of `KvHost`"
    declaration: Node | None  # in this file, when it is


class GuestKey(NamedTuple):
    """A key a tenant chose, at a keyed call on a store."""

    call: Node
    key: Node
    composition: KeyComposition
    chosen: ChosenPart
    entry: GuestEntry
    storage: Storage


# Rules that ask for guest entries run no whole-file query for them: entries are found from
# where their spellings occur in the file's bytes (below), which most files lack entirely.
QUERIES: tuple[str, ...] = ()
_EXTRACTOR_SPELLINGS = re.compile(rb"\b(?:" + b"|".join(sorted(n.encode() for n in REQUEST_EXTRACTORS)) + rb")\b")
_HOST_SPELLING = re.compile(rb"\bHost[A-Z]?\w*\b")
_MANIFEST_SPELLING = re.compile(rb"\b\w*Manifest\b")


def file_guest_entries(ctx: AnalysisContext) -> list[GuestEntry]:
    """This file's guest entries outside test code, found once per analysis."""
    found = getattr(ctx, "_guest_entries", None)
    if found is None:
        functions = {function.id: (function, trait) for function, trait in _candidate_functions(ctx)}
        found = ctx._guest_entries = guest_entries(ctx, [(f, trait) for f, trait in functions.values() if not ctx.should_skip(f)])
    return found


def _candidate_functions(ctx: AnalysisContext):
    """Functions that may be guest entries, with their impl's trait: methods of impls whose
    trait is spelled like a host interface or named by the contract, functions whose
    parameters spell an extractor, and functions the contract names."""
    data, root = ctx.source.data, ctx.root
    contract = ctx.settings.contract.tenant_chosen
    spellings = [_HOST_SPELLING, _EXTRACTOR_SPELLINGS, _MANIFEST_SPELLING]
    if contract:
        spellings.append(re.compile(rb"\b(?:" + b"|".join(re.escape(name.encode()) for name in sorted(contract)) + rb")\b"))
    seen: set[int] = set()
    for spelling in spellings:
        for match in spelling.finditer(data):
            node = root.descendant_for_byte_range(match.start(), match.end())
            if node is not None and node.type not in ("impl_item", "function_item"):
                node = ctx.enclosing(node, ("impl_item", "function_item"))
            if node is None or node.id in seen:
                continue
            seen.add(node.id)
            if node.type == "impl_item":
                trait = node.child_by_field_name("trait")
                body = node.child_by_field_name("body")
                if trait is None or body is None:
                    continue
                for item in body.named_children:
                    if item.type == "function_item":
                        yield item, trait
            elif node.type == "function_item":
                holder = ctx.parent(node)
                impl = ctx.parent(holder) if holder is not None and holder.type == "declaration_list" else None
                trait = impl.child_by_field_name("trait") if impl is not None and impl.type == "impl_item" else None
                yield node, trait


def guest_entries(ctx: AnalysisContext, functions: list[tuple[Node, Node | None]]) -> list[GuestEntry]:
    """The guest entries among ``functions`` (each with the trait of its impl, if any)."""
    contract = ctx.settings.contract
    entries = []
    for function, trait in functions:
        name_node = function.child_by_field_name("name")
        function_name = node_text(name_node) if name_node is not None else ""
        trait_name = parse_type(node_text(trait)).name if trait is not None else ""
        if trait is not None and (HOST_TRAIT.match(trait_name) or trait_name in contract.tenant_chosen):
            kind, where = "host-interface", f"host interface `{_short_trait(node_text(trait))}`"
            chosen = _host_interface_parameters(ctx, function)
        elif function_name in contract.tenant_chosen:
            kind, where = "host-interface", f"`{function_name}` (tenant-chosen in the contract)"
            chosen = _host_interface_parameters(ctx, function)
        else:
            kind, where = "request-handler", "request handler"
            chosen = _extracted_parameters(function)
            if not chosen:
                kind, where = "manifest", "function reading a tenant's manifest"
                chosen = _manifest_parameters(function, contract.tenant_chosen)
        if chosen:
            entries.append(GuestEntry(function, kind, where, chosen))
    return entries


# Extractors spelled after the framework's own (`AwebJson`, `ValidatedJson<T>`, `AppQuery<T>`):
# wrappers that validate or re-shape a body still hand the handler what the client sent.
_BODY_EXTRACTOR_TAILS = ("Json", "Form", "Query")


def request_seeds(model, declared: tuple[str, ...]):
    """``(signature, path, type text, kind)`` of every value a client or tenant hands the host
    whole: what a request handler's extractor holds (``T`` of ``Json<T>``), a manifest
    parameter, and what the contract ``declared`` tenant-chosen (a type, or the parameters of
    a function or of a trait's methods). A parameter is read by its own type
    (``Database<SerdeJson<T>>`` is a table, not a request body); a declared type is a seed
    with no signature of its own."""
    contract = frozenset(declared)
    for path, items in model.summaries.items():
        for struct in items.structs:
            if struct.name in contract:
                yield Signature(struct.name, (), "", struct.line, False), path, struct.name, "contract"
        for name in items.enums:
            if name in contract:
                yield Signature(name, (), "", 0, False), path, name, "contract"
        for signature, of_declared_trait in (*((function, False) for function in items.functions), *_methods(items, contract)):
            if of_declared_trait or signature.name in contract:
                for _, type_text in signature.params:
                    yield signature, path, type_text, "contract"
                continue
            for _, type_text in signature.params:
                expression = parse_type(type_text)
                while expression.kind == "reference" and expression.args:
                    expression = expression.args[0]
                if expression.kind != "path":
                    continue
                if expression.args and (is_extractor(expression) or expression.name.endswith(_BODY_EXTRACTOR_TAILS)):
                    # A path names what a request addresses (ids), not settings it supplies.
                    if expression.name != "Path":
                        yield signature, path, expression.args[0].text, "request"
                elif expression.name.endswith(MANIFEST_TYPE_TAILS):
                    yield signature, path, expression.text, "manifest"


def _methods(items, contract: frozenset[str]):
    """Each method of a file's impls and trait declarations, with whether its trait is one
    the contract names."""
    for block in items.impls:
        # A trait's declaration is summarised as a block of the trait's own name.
        trait = block.trait if block.trait is not None else block.self_type if block.self_type in items.traits else None
        for method in block.methods:
            yield method, trait in contract


def _manifest_parameters(function: Node, contract_types: frozenset[str]) -> dict[str, Node]:
    """Parameters holding what a tenant wrote in its manifest (``app: &AppManifest``, or a
    type the contract lists): every field of them is the tenant's choice."""
    chosen = {}
    for parameter, pattern, type_node in _parameters(function):
        if pattern is None or pattern.type != "identifier" or type_node is None:
            continue
        if any(e.name.endswith(MANIFEST_TYPE_TAILS) or e.name in contract_types for e in named_types(node_text(type_node))):
            chosen[node_text(pattern)] = parameter
    return chosen


def _short_trait(text: str) -> str:
    segments = parse_type(text).path.split("::")
    return "::".join(segments[-2:])


def _parameters(function: Node):
    parameters = function.child_by_field_name("parameters")
    for parameter in parameters.named_children if parameters is not None else ():
        if parameter.type == "parameter":
            yield parameter, parameter.child_by_field_name("pattern"), parameter.child_by_field_name("type")


def _host_interface_parameters(ctx: AnalysisContext, function: Node) -> dict[str, Node]:
    chosen = {}
    for parameter, pattern, type_node in _parameters(function):
        if pattern is None or pattern.type != "identifier" or type_node is None:
            continue
        if not guest_chooses(ctx.workspace, node_text(type_node)):
            continue
        chosen[node_text(pattern)] = parameter
    return chosen


def guest_chooses(workspace, type_text: str) -> bool:
    """Whether a guest chooses a host-interface parameter of this type: not a handle the host
    allocates (``Resource<T>``) nor an id it mints."""
    return not any(e.name in HOST_ALLOCATED_HANDLES for e in named_types(type_text)) and not workspace.is_minted_id(type_text)


def _extracted_parameters(function: Node) -> dict[str, Node]:
    chosen = {}
    for parameter, pattern, type_node in _parameters(function):
        if pattern is None or type_node is None or not is_extractor(parse_type(node_text(type_node))):
            continue
        for name in _bound_names(pattern):
            chosen[name] = parameter
    return chosen


def is_extractor(expression) -> bool:
    """``Path<String>``, ``web::Json<Body>``, ``HeaderMap``; not ``&Path`` (a file path) nor
    a bare ``Path``."""
    if expression.kind != "path" or expression.name not in REQUEST_EXTRACTORS:
        return False
    return bool(expression.args) or expression.name == "HeaderMap"


def _bound_names(pattern: Node) -> list[str]:
    """``name`` of ``name``, ``Path(name)``, ``Path((a, b))``, ``Json(Body { a, .. })``."""
    names, pending = [], [pattern]
    while pending:
        node = pending.pop()
        if node.type == "identifier":
            names.append(node_text(node))
        elif node.type in ("tuple_struct_pattern", "tuple_pattern", "struct_pattern", "field_pattern",
                           "shorthand_field_identifier", "mut_pattern", "ref_pattern"):
            if node.type == "shorthand_field_identifier":
                names.append(node_text(node))
            children = node.named_children
            if node.type == "tuple_struct_pattern":
                children = children[1:]  # the extractor's own name
            elif node.type == "struct_pattern":
                children = [c for c in children if c.type == "field_pattern"]
            elif node.type == "field_pattern":
                bound = node.child_by_field_name("pattern")
                children = [bound] if bound is not None else [c for c in children if c.type == "shorthand_field_identifier"]
            pending.extend(children)
    return names


def impl_owner(ctx: AnalysisContext, node: Node) -> str:
    """The type an ``impl`` holding ``node`` is for (``KvHost`` of ``impl Host for KvHost``)."""
    impl = ctx.enclosing_impl(node)
    return parse_type(node_text(impl.child_by_field_name("type"))).name if impl is not None else ""


def entries_to_check(ctx: AnalysisContext) -> list[GuestEntry]:
    """The file's guest entries, none where the code serves no tenant (tests, tooling)."""
    return file_guest_entries(ctx) if ctx.serves_tenants else []


def is_scoped(ctx: AnalysisContext, composition: KeyComposition, function: Node) -> bool:
    """Whether a key carries a scope identity: by its words (``tenant_id``, a scoping
    helper), or by the declared type of a ``self`` field in it (``self.workload`` of type
    ``WorkloadId``)."""
    if composition.scope_evidence(ctx.vocabulary) is not None:
        return True
    owner = impl_owner(ctx, function)
    for part in composition.parts:
        segments = part.text.split(".")
        if part.kind == "field" and owner and segments[0] == "self" and len(segments) > 1:
            field_type = ctx.workspace.field_type(owner, segments[1])
            if field_type and names_scope_identity(ctx, field_type):
                return True
    return False


class ChosenPart(NamedTuple):
    """A key ingredient a tenant chose, and the entry's binding it came from."""

    part: KeyPart
    source: str


def chosen_part(composition: KeyComposition, entry: GuestEntry, tracer: KeyTracer | None = None) -> ChosenPart | None:
    """The first ingredient of a key that a parameter the tenant chose supplies, directly or
    (with ``tracer``) through the local a field is read from (``route.host`` where ``for
    route in &app.routes``)."""
    for part in composition.parts:
        if part.kind == "literal":
            continue
        root = part.text.split(".", 1)[0]
        if part.kind in ("parameter", "field", "identifier") and root in entry.chosen:
            return ChosenPart(part, root)
    if tracer is None:
        return None
    for part in composition.parts:
        local = _leftmost_identifier(part.node) if part.kind == "field" else None
        if local is not None and local.id != part.node.id:
            for traced in tracer.trace(local).parts:
                source = traced.text.split(".", 1)[0]
                if traced.kind != "literal" and source in entry.chosen:
                    return ChosenPart(part, source)
    return None


def _leftmost_identifier(node: Node) -> Node | None:
    while node is not None and node.type == "field_expression":
        node = node.child_by_field_name("value")
    return node if node is not None and node.type == "identifier" else None


def storage_of(ctx: AnalysisContext, receiver: Node, tracer: KeyTracer, method: str) -> Storage | None:
    """The store a keyed call's receiver is, and where it lives; None when the receiver is
    not a store (a plain value, a string, an iterator) as far as declared types tell."""
    for declaration in FileCollections.of(ctx).resolve(receiver, tracer):
        if declaration.collection is not None and declaration.collection.kind == "sequence":
            return None  # a list is not looked up by key
        if declaration.origin == "static":
            return Storage("process-wide", f"static `{declaration.name}`", declaration.name_node)
        if declaration.origin == "field" and declaration.owner is not None:
            owner_name = node_text(declaration.owner.child_by_field_name("name"))
            type_node = ctx.parent(declaration.name_node).child_by_field_name("type")
            scope = _field_scope(ctx, owner_name, node_text(type_node) if type_node is not None else "")
            return Storage(scope, f"field `{declaration.name}` of `{owner_name}`", declaration.name_node)
        return None
    root = chain_root(receiver)
    if root is None:
        return None
    accessed = ctx.parent(root)
    if root.type == "identifier" and accessed is not None and accessed.type != "call_expression":
        name = node_text(root)
        declared_here = FileCollections.of(ctx).statics.get(name)
        if declared_here is not None or (name.isupper() and ctx.workspace.declares_static(name)):
            return Storage("process-wide", f"static `{name}`", declared_here.name_node if declared_here else None)
    if accessed is None or accessed.type != "field_expression" or accessed.child_by_field_name("value") != root:
        return None
    field = node_text(accessed.child_by_field_name("field"))
    owner = owner_type(ctx, root, tracer)
    type_text = ctx.workspace.field_type(owner, field) if owner else None
    if type_text is None:
        return None
    type_names = [e.name for e in named_types(type_text)]
    contract_sinks = ctx.settings.contract.sinks
    sink = any(f"{name}::{method}" in contract_sinks or name in contract_sinks for name in type_names)
    if not sink and not ctx.workspace.collections_in(type_text) \
            and not any(word in STORE_WORDS for name in (field, *type_names) for word in words_of(name)):
        return None
    return Storage(_field_scope(ctx, owner, type_text), f"field `{field}` of `{owner}` ({type_text})", None)


def owner_type(ctx: AnalysisContext, root: Node, tracer: KeyTracer) -> str | None:
    """The workspace struct a receiver's root names: ``self`` in an impl, or a parameter
    declared with it (``state: &ServerState``, ``State(state): State<Arc<ServerState>>``)."""
    if root.type == "self":
        return impl_owner(ctx, root) or None
    if root.type != "identifier":
        return None
    scope = tracer.scope_of(root)
    name = node_text(root)
    type_text = scope.parameters[name][1] if name in scope.parameters else _destructured_parameter_type(scope.function, name)
    for expression in named_types(type_text or ""):
        if ctx.workspace.struct(expression.name) is not None:
            return expression.name
    return None


def _destructured_parameter_type(function: Node | None, name: str) -> str | None:
    """The type of the parameter whose pattern binds ``name`` (``State(state): State<T>``)."""
    for _, pattern, type_node in _parameters(function) if function is not None else ():
        if pattern is not None and type_node is not None and pattern.type != "identifier" and name in _bound_names(pattern):
            return node_text(type_node)
    return None


def _field_scope(ctx: AnalysisContext, owner: str, type_text: str) -> str:
    """A field lives where its struct lives, unless it holds a shared handle (``Arc``,
    ``Rc``, ``&'static``): then other owners may hold the same store (``shared-handle``)."""
    if owns_host_state(ctx, owner):
        return "host-wide"
    if any(e.name in SHARED_HANDLES for e in named_types(type_text)) or "'static" in type_text:
        return "shared-handle"
    return "per-instance"


def owns_host_state(ctx: AnalysisContext, owner: str) -> bool:
    """Values of ``owner`` are the host's shared state, as the model tells. Not for a type that
    implements a host interface: wasmtime gives every instance its own store data. Not for a
    name that several structs of the workspace share either: the model answers for names,
    and another `Config` built in `main` says nothing of this one."""
    model = ctx.workspace
    if len(model.structs.get(owner, ())) > 1:
        return False
    if any(HOST_TRAIT.match(trait) for trait in model.trait_impls.get(owner, ())):
        return False
    return model.home(owner) == "host-wide"


class CalleeStore(NamedTuple):
    """A store a callee keys with one of its parameters: the call passes the key on."""

    function_name: str
    where: str  # "src/routes.rs:12"
    parameter: str
    storage: Storage


def callee_definition(ctx: AnalysisContext, call: Node) -> tuple[AnalysisContext, Node] | None:
    """The workspace function a call runs, when the model names exactly one: a free function
    (``lookup(..)``, ``routes::lookup(..)``) or a method of the caller's own ``self``."""
    callee = call.child_by_field_name("function")
    if callee is None:
        return None
    model = ctx.workspace
    if callee.type == "field_expression":
        value = callee.child_by_field_name("value")
        if value is None or value.type != "self":
            return None
        name = node_text(callee.child_by_field_name("field"))
        owner = impl_owner(ctx, call)
        signature = model.method(owner, name) if owner else None
        if signature is None:
            return None
        paths = [path for path, items in model.summaries.items()
                 if any(block.self_type == owner and signature in block.methods for block in items.impls)]
    elif callee.type in ("identifier", "scoped_identifier"):
        name = node_text(callee) if callee.type == "identifier" else node_text(callee.child_by_field_name("name"))
        definitions = model.functions.get(name, [])
        if len(definitions) != 1:
            return None
        paths, signature = [definitions[0][0]], definitions[0][1]
    else:
        return None
    if len(paths) != 1:
        return None
    other = ctx.context_for(paths[0])
    if other is None:
        return None
    for found in _functions_at(other, signature.line):
        if node_text(found.child_by_field_name("name")) == name:
            return other, found
    return None


def _functions_at(ctx: AnalysisContext, line: int) -> list[Node]:
    """The function items that start on ``line`` (a model signature's line)."""
    text = ctx.source.line_bytes(line)
    column = len(text) - len(text.lstrip())
    node = ctx.root.descendant_for_point_range((line, column), (line, column))
    found = []
    while node is not None:
        if node.type == "function_item" and node.start_point[0] == line:
            found.append(node)
        node = ctx.parent(node)
    return found


KEYED_CALLS = """
(call_expression function: (field_expression value: (_) @receiver field: (field_identifier) @method) arguments: (arguments . (_) @key)) @call
"""


def keyed_calls(ctx: AnalysisContext, function: Node):
    """``(call, receiver, method, key)`` of every keyed call in ``function``'s own body."""
    body = function.child_by_field_name("body")
    if body is None:
        return
    for _, found in matches(KEYED_CALLS, body):
        method = node_text(found["method"][0])
        call = found["call"][0]
        owner = ctx.enclosing_function(call)
        if method not in KEYED_METHODS or owner is None or owner.id != function.id:
            continue
        if method in _PAIR_WRITES and len(call_arguments(call)) < 2:
            continue  # `OnceLock::set(value)`, `AtomicU64::store(n, ..)`: a value, not a key
        yield call, found["receiver"][0], method, found["key"][0]


def parameter_names(function: Node) -> list[str]:
    """Parameter names in order, ``self`` left out (``_`` for patterns that bind no one name)."""
    return [node_text(pattern) if pattern is not None and pattern.type == "identifier" else "_"
            for _, pattern, _ in _parameters(function)]


def store_keyed_by_parameter(ctx: AnalysisContext, function: Node, parameter: str, memo: dict) -> CalleeStore | None:
    """A process- or host-wide store ``function`` keys with ``parameter`` alone (literals
    beside it), without a scope: a caller's choice of that argument is the entry's key.
    ``memo``: the asking file's answers (callees' contexts are made afresh per question)."""
    key = (ctx.path_key, function.id, parameter)
    if key in memo:
        return memo[key]
    memo[key] = None
    tracer = KeyTracer(ctx)
    scope = tracer.function_scope(function)
    for call, receiver, method, key_node in keyed_calls(ctx, function):
        composition = tracer.trace(key_node, scope)
        parts = [part for part in composition.parts if part.kind != "literal"]
        if not parts or any(part.text.split(".", 1)[0] != parameter for part in parts):
            continue
        if is_scoped(ctx, composition, function):
            continue
        storage = storage_of(ctx, receiver, tracer, method)
        if storage is not None and storage.scope in ("process-wide", "host-wide"):
            where = f"{ctx.path_key}:{call.start_point[0] + 1}"
            memo[key] = CalleeStore(node_text(function.child_by_field_name("name")), where, parameter, storage)
            break
    return memo[key]
