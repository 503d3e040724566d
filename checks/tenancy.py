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
  ``Json(body)``, ``Query(params)``, ``HeaderMap``), in a function or a route closure
  (``get(|Path(id): Path<String>| async move {..})``): paths, bodies and headers a client sends;
- the ``Request<T>`` a hyper or tower service handler takes whole (``req: Request<Incoming>``)
  instead of extractors, in a file that spells an HTTP server crate: its headers, URI and body
  are the client's as a ``HeaderMap`` is (a tonic method's ``Request<T>`` is not: see below);
- the parameters of a wasmtime host function, a closure or function taking the ``Caller<T>``
  a ``Linker::func_wrap`` registration hands it: every other parameter is the guest's
  (a module id, a pointer and length into its memory), as a host trait method's are;
- the plain values a warp handler takes (``.and_then(handler)`` at the end of a filter chain:
  its strings, numbers and data structs come from the path, query, body or headers);
- the ``Request<T>`` of a public gRPC service method (tonic): a service whose client the
  workspace itself never builds serves outside callers, not the cluster's own nodes;
- the fields of a tenant's manifest (a parameter typed ``…Manifest``, or a type the contract
  lists), and locals iterated from them.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from tree_sitter import Node

from .call_sites import (HOST_FUNCTION_CONTEXT, file_context, impl_owner, imports_function, module_name, module_spellings, names_scope_identity,
                         resolved_callee, tenant_in_reach)
from .context import IDENTIFIER_BYTES, AnalysisContext, call_arguments, chain_root, node_text, nodes_spelled
from .keyed_collections import FileCollections
from .keyflow import KeyComposition, KeyPart, KeyTracer
from .parsing import matches
from .source import SourceText
from .vocabulary import words_of
from .workspace import Signature, named_types, parse_type, read_as

# What real hosts call the unit they isolate. A contract candidate must be spelled as an
# identity (`AppId`, `project_id`) and used like one; a credential hanging off a value so
# named is that unit's.
UNIT_WORDS = frozenset({
    "tenant", "org", "organization", "organisation", "app", "application", "workload", "project", "namespace",
    "environment", "env", "account", "customer", "team", "workspace", "warehouse", "realm", "subscription",
})
# wit-bindgen names a world's import interface `Host` and each resource's trait `Host<Resource>`.
HOST_TRAIT = re.compile(r"^Host(?:[A-Z]\w*)?$")
# Web framework extractors whose contents the client chose (axum, actix-web; warp's filters
# bind plain values: see `_warp_handler_parameters`).
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
    "lookup", "get_or_insert_with", "try_insert", "swap", "exists", "del", "route", "resolve", "store", "incr", "decr",
})
# Reads by key: what they answer is the store's.
READ_METHODS = frozenset({"get", "contains_key", "fetch", "lookup", "exists", "resolve", "route"})
# Writes that take a key and a value: with one argument they set a value, not an entry.
_PAIR_WRITES = frozenset({"set", "put", "store", "swap"})
# Crates of clients to a key-value server: one keyspace for every process and instance
# pointed at the same server.
KEY_VALUE_CLIENT_CRATES = frozenset({"redis", "deadpool_redis", "bb8_redis", "fred", "memcache", "etcd_client"})
# Words of a type that keeps data by key for others to read back: a store, cache or backend.
STORE_WORDS = frozenset({
    "store", "kv", "cache", "backend", "bucket", "storage", "db", "database", "redis", "router", "routes",
    "registry", "table", "keyspace", "state",
})


# Who chose an entry's values, by the kind of entry.
_CHOOSERS = {"host-interface": "guest", "request-handler": "client", "manifest": "tenant", "grpc-service": "client"}
# Types a warp filter extracts as plain values from the request (a path segment, a header, a
# query or body struct of them), as opposed to the services a handler is handed.
PLAIN_VALUE_TYPES = frozenset({
    "String", "str", "bool", "char", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128",
    "isize", "f32", "f64", "Bytes", "Vec", "Option", "HashMap", "BTreeMap", "HashSet", "BTreeSet", "HeaderMap",
    "HeaderValue", "Uuid", "Ulid", "FullPath", "Tail", "Cow", "Box",
})
# Steps a chosen value is followed through workspace calls before its store is looked for.
MAX_PASS_DEPTH = 5
# Local bindings followed back to the client a connection was made from
# (`let conn = client.get_connection()?` after `let client = Client::open(url)?`).
MAX_LOCAL_STEPS = 4


class GuestEntry(NamedTuple):
    """A function whose parameters (some of them) a tenant chose."""

    function: Node  # a function item, or a route closure
    kind: str  # host-interface (a host trait or the contract's) | request-handler | manifest | grpc-service
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
    holds: str = ""  # the type of the values it keeps by key, when its declaration tells

    def is_directory(self, ctx: AnalysisContext) -> bool:
        """Whether it maps keys to whose they are (``HashMap<String, WorkloadId>``, a route
        table to `(OrgId, AppId)`): a read of it is how the host tells which tenant a chosen
        name belongs to, not an entry one tenant reads of another's. A write still claims."""
        return any(names_scope_identity(ctx, e.name) for e in named_types(self.holds)) if self.holds else False


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
_HOST_SPELLING = re.compile(rb"\bHost[A-Z]?\w*\b")
_MANIFEST_SPELLING = re.compile(rb"\b\w*Manifest\b")
# A tonic service method takes its call as a `Request<T>`.
_GRPC_REQUEST_SPELLING = re.compile(rb"\bRequest<")
_FUNCTION_NAME = re.compile(rb"\bfn\s+([a-z_][a-z0-9_]*)")
# wasmtime hands a host function its caller's store as `Caller<'_, T>`.
_CALLER_SPELLING = re.compile(rb"\bCaller\s*<")
# Crates whose `Request<B>` is an HTTP request a server was handed (hyper, http, axum, tower).
_HTTP_SERVER_CRATES = re.compile(rb"\b(?:hyper|http|axum|tower|tower_http)::")


def file_guest_entries(ctx: AnalysisContext) -> list[GuestEntry]:
    """This file's guest entries outside test code, found once per analysis."""
    found = getattr(ctx, "_guest_entries", None)
    if found is None:
        functions = {function.id: (function, trait) for function, trait in _candidate_functions(ctx)}
        # An entry is judged for findings in itself and the functions it calls, linked to it.
        found = ctx._guest_entries = guest_entries(ctx, [(f, trait) for f, trait in functions.values()
                                                         if not ctx.should_skip(f) and ctx.wants_findings_at(f)])
    return found


def _candidate_functions(ctx: AnalysisContext):
    """Functions that may be guest entries, with their impl's trait: methods of impls whose
    trait is spelled like a host interface or named by the contract, functions and route
    closures whose parameters spell an extractor, methods taking a gRPC ``Request<T>``,
    functions handed to a warp filter chain, and functions the contract names."""
    data, root = ctx.source.data, ctx.root
    contract = ctx.settings.contract.tenant_chosen
    spellings = [_pattern_spans(data, _HOST_SPELLING, (b"Host",)), _extractor_spans(data),
                 _pattern_spans(data, _MANIFEST_SPELLING, (b"Manifest",)), _pattern_spans(data, _CALLER_SPELLING, (b"Caller",))]
    if b"Status" in data and b"Response<" in data or _spells_any(data, _HTTP_SERVER_CRATE_PATHS) and _HTTP_SERVER_CRATES.search(data):
        spellings.append(_pattern_spans(data, _GRPC_REQUEST_SPELLING, (b"Request<",)))
    if contract:
        names = tuple(name.encode() for name in sorted(contract))
        spellings.append(_pattern_spans(data, re.compile(rb"\b(?:" + b"|".join(re.escape(name) for name in names) + rb")\b"), names))
    seen: set[int] = set()
    for spans in spellings:
        for start, end in spans:
            if not ctx.judges_function_at(start):
                continue  # in a function whose findings are not asked for: the function alone would be a candidate
            node = root.descendant_for_byte_range(start, end)
            if node is not None and node.type not in ("impl_item", "function_item", "closure_expression"):
                node = ctx.enclosing(node, ("impl_item", "function_item", "closure_expression"))
            if node is not None and node.type == "closure_expression":
                if node.id not in seen:
                    seen.add(node.id)
                    yield node, None
                node = ctx.enclosing(node, ("impl_item", "function_item"))
            if node is None or node.id in seen:
                continue
            seen.add(node.id)
            yield from _functions_of_item(ctx, node)
    if b"warp" in data:
        yield from _warp_handlers(ctx, seen)


_HTTP_SERVER_CRATE_PATHS = (b"hyper::", b"http::", b"axum::", b"tower::")  # one of which `_HTTP_SERVER_CRATES` matches
_EXTRACTOR_NAMES = tuple((name.encode(), re.compile(re.escape(name.encode()) + rb"\b")) for name in sorted(REQUEST_EXTRACTORS))


def _spells_any(data: bytes, words: tuple[bytes, ...]) -> bool:
    return any(word in data for word in words)


def _pattern_spans(data: bytes, pattern: re.Pattern[bytes], words: tuple[bytes, ...]):
    """Where ``pattern`` matches, scanned for only when ``data`` holds one of ``words``, which
    every match holds: most files spell none of them, and a search for a word costs a
    fraction of a pattern's scan."""
    if _spells_any(data, words):
        for match in pattern.finditer(data):
            yield match.span()


def _extractor_spans(data: bytes) -> list[tuple[int, int]]:
    """Where an extractor's name is a whole word, in order: a search per name the file holds
    costs half one pattern's scan for all the names."""
    spans = []
    for name, pattern in _EXTRACTOR_NAMES:
        if name in data:
            spans.extend(match.span() for match in pattern.finditer(data) if match.start() == 0 or data[match.start() - 1] not in IDENTIFIER_BYTES)
    spans.sort()
    return spans


def _functions_of_item(ctx: AnalysisContext, node: Node):
    """An impl's methods, or a function, each with the trait of its impl (if any)."""
    if node.type == "impl_item":
        trait = node.child_by_field_name("trait")
        body = node.child_by_field_name("body")
        if trait is None or body is None:
            return
        for item in body.named_children:
            if item.type == "function_item":
                yield item, trait
    elif node.type == "function_item":
        holder = ctx.parent(node)
        impl = ctx.parent(holder) if holder is not None and holder.type == "declaration_list" else None
        trait = impl.child_by_field_name("trait") if impl is not None and impl.type == "impl_item" else None
        yield node, trait


def _warp_handlers(ctx: AnalysisContext, seen: set[int]):
    """Free functions of a file that spells warp, handed by name to a warp filter chain in
    some workspace file (the filters before it extract what it takes from the request)."""
    root = ctx.root
    for match in _FUNCTION_NAME.finditer(ctx.source.data):
        name = match.group(1).decode()
        if not handed_to_filter(ctx.workspace, ctx.path_key, name):
            continue
        node = root.descendant_for_byte_range(match.start(1), match.end(1))
        function = ctx.enclosing(node, ("function_item",)) if node is not None else None
        if function is not None and function.id not in seen and ctx.enclosing_impl(function) is None:
            seen.add(function.id)
            yield function, None


def handed_to_filter(workspace, path: str, name: str) -> bool:
    """Whether the function ``name`` of the file at ``path`` is handed to a warp filter chain:
    in its own file, or in a file that can name it (not a same-named function elsewhere)."""
    module = module_name(path)
    return any(other == path or workspace.refers_to(other, module, name) for other in workspace.files_handing_to_filter(name))


def guest_entries(ctx: AnalysisContext, functions: list[tuple[Node, Node | None]]) -> list[GuestEntry]:
    """The guest entries among ``functions`` (each with the trait of its impl, if any)."""
    contract = ctx.settings.contract
    entries = []
    # Whole-file spellings, read once rather than per function.
    serves_http: bool | None = None
    spells_warp = b"warp" in ctx.source.data
    for function, trait in functions:
        name_node = function.child_by_field_name("name")
        function_name = node_text(name_node) if name_node is not None else ""
        trait_name = parse_type(node_text(trait)).name if trait is not None else ""
        if trait is not None and (HOST_TRAIT.match(trait_name) or trait_name in contract.tenant_chosen):
            kind, where = "host-interface", f"host interface `{_short_trait(node_text(trait))}`"
            chosen = _host_interface_parameters(ctx, function)
        elif _takes_caller(function):
            kind, where = "host-interface", "host function" if function.type == "function_item" else "host function closure"
            chosen = {name: parameter for name, parameter in _host_interface_parameters(ctx, function).items()
                      if not _is_caller(parameter.child_by_field_name("type"))}
        elif function_name in contract.tenant_chosen:
            kind, where = "host-interface", f"`{function_name}` (tenant-chosen in the contract)"
            chosen = _host_interface_parameters(ctx, function)
        elif trait is not None and is_public_grpc_service(ctx.workspace, trait_name, *_signature_texts(function)):
            kind, where = "grpc-service", f"public gRPC service `{trait_name}`"
            chosen = _grpc_request_parameters(function)
        else:
            kind, where = "request-handler", "request handler" if function.type == "function_item" else "route closure"
            chosen = _extracted_parameters(function)
            if not chosen and function.type == "function_item":
                if serves_http is None:
                    data = ctx.source.data
                    serves_http = _spells_any(data, _HTTP_SERVER_CRATE_PATHS) and _HTTP_SERVER_CRATES.search(data) is not None
                if serves_http and not is_grpc_method(*_signature_texts(function)):
                    chosen = _http_request_parameters(function)
            if not chosen and function.type == "function_item" and spells_warp \
                    and handed_to_filter(ctx.workspace, ctx.path_key, function_name):
                where = "warp handler"
                chosen = _warp_handler_parameters(ctx.workspace, function)
            if not chosen and function.type == "function_item":
                kind, where = "manifest", "function reading a tenant's manifest"
                chosen = _manifest_parameters(function, contract.tenant_chosen)
        if chosen:
            entries.append(GuestEntry(function, kind, where, chosen))
    return entries


def _takes_caller(function: Node) -> bool:
    """A wasmtime host function: it takes the ``Caller<'_, T>`` of the guest calling it."""
    return any(_is_caller(type_node) for _, _, type_node in _parameters(function))


def _is_caller(type_node: Node | None) -> bool:
    return type_node is not None and any(e.name == HOST_FUNCTION_CONTEXT and e.args for e in named_types(node_text(type_node)))


def _signature_texts(function: Node) -> tuple[list[str], str]:
    """A function's parameter type texts and its return type text."""
    returns = function.child_by_field_name("return_type")
    return [node_text(t) for _, _, t in _parameters(function) if t is not None], node_text(returns) if returns is not None else ""


def is_grpc_method(parameter_types: list[str], returns: str) -> bool:
    """A tonic service method: it takes a ``Request<T>`` and answers ``Result<Response<…>,
    Status>`` (an interceptor, which hands the request back, is not one)."""
    answers = [expression.name for expression in named_types(returns)]
    return "Status" in answers and "Response" in answers and any(_is_grpc_request(text) for text in parameter_types)


def _is_grpc_request(type_text: str) -> bool:
    parsed = parse_type(type_text)
    return parsed.kind == "path" and parsed.name == "Request" and bool(parsed.args)


def is_public_grpc_service(workspace, trait: str, parameter_types: list[str], returns: str) -> bool:
    """A gRPC service whose callers are outside the workspace. tonic generates a client
    module (``foo_service_client``) beside each service; a service whose client the
    workspace itself uses (beyond the generated ``mod`` declaring it) is called by the
    cluster's own nodes, a query fanned out to its peers, and only a service whose client
    nothing uses is a public API. (A host that serves the same service to both is read as
    the cluster's: its entries are then not counted.)"""
    if not is_grpc_method(parameter_types, returns):
        return False
    return not workspace.builds_client(re.sub(r"(?<!^)(?=[A-Z])", "_", trait).lower() + "_client")


def _grpc_request_parameters(function: Node) -> dict[str, Node]:
    """The ``Request<T>`` parameter of a gRPC method: its message and metadata are the caller's."""
    return {node_text(pattern): parameter for parameter, pattern, type_node in _parameters(function)
            if pattern is not None and pattern.type == "identifier" and type_node is not None and _is_grpc_request(node_text(type_node))}


def _http_request_parameters(function: Node) -> dict[str, Node]:
    """The ``Request<B>`` a service handler owns (by value, as hyper's ``service_fn`` and
    tower hand it): what the client sent, headers and all. A ``&Request`` is a helper's."""
    return {node_text(pattern): parameter for parameter, pattern, type_node in _parameters(function)
            if pattern is not None and pattern.type == "identifier" and type_node is not None
            and _is_grpc_request(node_text(type_node))}


def _warp_handler_parameters(workspace, function: Node) -> dict[str, Node]:
    """A warp handler's parameters that hold plain values (strings, numbers, data structs of
    them): what the filters before it extracted from the request. Services and state it is
    handed (``Arc<Service>``, a client, a trait object) are the host's."""
    return {node_text(pattern): parameter for parameter, pattern, type_node in _parameters(function)
            if pattern is not None and pattern.type == "identifier" and type_node is not None
            and is_plain_data(workspace, node_text(type_node))}


def is_plain_data(workspace, type_text: str, depth: int = 3) -> bool:
    """Whether values of a type are data only: strings, numbers, the workspace's enums, and
    its structs and aliases made of those (no handle, service or trait object inside)."""
    for expression in named_types(type_text):
        name = expression.name
        if expression.kind != "path" or name in PLAIN_VALUE_TYPES or name in workspace.enums:
            continue
        struct = workspace.struct(name)
        alias = workspace.aliases.get(name)
        if depth > 0 and struct is not None and len(workspace.structs.get(name, ())) == 1:
            if all(is_plain_data(workspace, field_type, depth - 1) for _, field_type in struct.fields):
                continue
        elif depth > 0 and alias is not None and len(alias) == 1 and is_plain_data(workspace, alias[0][2], depth - 1):
            continue
        return False
    return True


# Extractors spelled after the framework's own (`AwebJson`, `ValidatedJson<T>`, `AppQuery<T>`):
# wrappers that validate or re-shape a body still hand the handler what the client sent.
_BODY_EXTRACTOR_TAILS = ("Json", "Form", "Query")


def request_seeds(model, declared: tuple[str, ...]):
    """``(signature, path, type text, kind)`` of every value a client or tenant hands the host
    whole: what a request handler's extractor holds (``T`` of ``Json<T>``), what a handler
    reads its raw body as (``serde_json::from_slice::<T>(&body)``), a manifest parameter, and
    what the contract ``declared`` tenant-chosen (a type, or the parameters of
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
        for read in items.body_reads:
            if read.routed or _handles_requests(model, path, read.function):
                yield from _body_read_seeds(model, path, read)


# Extractors a handler that takes its body raw may take besides: the host's shared state, or
# the request itself (actix-web's `HttpRequest`).
_HANDLER_COMPANIONS = frozenset({"State", "Data", "Extension", "HttpRequest"})


def _handles_requests(model, path: str, function: Signature) -> bool:
    """Whether a free function that takes a raw body is a request handler, so the body is
    what a client sent: a warp filter chain hands it the request (``.then(create_index)``), or
    it takes an extractor or the host's shared state as a web framework's handlers do. A
    function reading a configuration file at startup is neither."""
    if handed_to_filter(model, path, function.name):
        return True
    for _, type_text in function.params:
        expression = parse_type(type_text)
        while expression.kind == "reference" and expression.args:
            expression = expression.args[0]
        if expression.kind == "path" and (is_extractor(expression) or expression.name in _HANDLER_COMPANIONS):
            return True
    return False


def _body_read_seeds(model, path: str, read):
    """The types a handler reads its raw body as: a serde call's target, or what a workspace
    function it hands the body to returns (``load_index_config(format, &body)`` →
    ``IndexConfig`` of its ``anyhow::Result<IndexConfig>``), when the workspace defines one
    free function of that name (another crate's `decode` is not the workspace's)."""
    for type_text in read.types:
        yield read.function, path, read_as(type_text), "request"
    for helper in read.helpers:
        definitions = model.functions.get(helper, ())
        if len(definitions) == 1 and definitions[0][1].returns:
            yield read.function, path, read_as(definitions[0][1].returns), "request"


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


def entries_to_check(ctx: AnalysisContext) -> list[GuestEntry]:
    """The file's guest entries, none where the code serves no tenant (tests, tooling)."""
    return file_guest_entries(ctx) if ctx.serves_tenants else []


def is_scoped(ctx: AnalysisContext, composition: KeyComposition, function: Node) -> bool:
    """Whether a key carries a scope identity: by its words (``tenant_id``, a scoping
    helper), or by the declared type of a ``self`` field in it (``self.workload`` of type
    ``WorkloadId``). A registry of identities (``self.apps`` of type ``DashMap<String,
    AppId>``) scopes a key only with what a lookup in it answers (``self.apps.get(&host)``):
    the map itself, its size or its keys are no tenant's."""
    if composition.scope_evidence(ctx.vocabulary) is not None:
        return True
    owner = impl_owner(ctx, function)
    for index, part in enumerate(composition.parts):
        segments = part.text.split(".")
        if part.kind == "field" and owner and segments[0] == "self" and len(segments) > 1:
            field_type = ctx.workspace.field_type(owner, segments[1])
            if field_type and names_scope_identity(ctx, field_type) and (
                    not ctx.workspace.is_collection(field_type) or len(segments) == 2 and composition.answered_by_lookup(index + 1)):
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
    for index, part in enumerate(composition.parts):
        if part.kind == "literal" or composition.answered_by_lookup(index):
            continue  # what a store answers for the chosen key is the store's (`router.resolve(host)`)
        root = part.text.split(".", 1)[0]
        if part.kind in ("parameter", "field", "identifier") and root in entry.chosen:
            return ChosenPart(part, root)
    if tracer is None:
        return None
    for index, part in enumerate(composition.parts):
        local = _leftmost_identifier(part.node) if part.kind == "field" and not composition.answered_by_lookup(index) else None
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


def storage_of(ctx: AnalysisContext, receiver: Node, tracer: KeyTracer, method: str, through_local: bool = True) -> Storage | None:
    """The store a keyed call's receiver is, and where it lives; None when the receiver is
    not a store (a plain value, a string, an iterator) as far as declared types tell. A local
    bound from a store's handle (``let mut conn = self.redis.get_connection()?``, ``let
    routes = self.routes.write()``) is that store."""
    for declaration in FileCollections.of(ctx).resolve(receiver, tracer):
        if declaration.collection is not None and declaration.collection.kind == "sequence":
            return None  # a list is not looked up by key
        element = declaration.collection.element if declaration.collection is not None else None
        holds = node_text(element) if element is not None and declaration.collection.kind == "map" else ""
        if declaration.origin == "static":
            return Storage("process-wide", f"static `{declaration.name}`", declaration.name_node, holds)
        if declaration.origin == "field" and declaration.owner is not None:
            owner_name = node_text(declaration.owner.child_by_field_name("name"))
            type_node = ctx.parent(declaration.name_node).child_by_field_name("type")
            scope = _field_scope(ctx, owner_name, node_text(type_node) if type_node is not None else "")
            return Storage(scope, f"field `{declaration.name}` of `{owner_name}`", declaration.name_node, holds)
        return None
    root = chain_root(receiver)
    if root is None:
        return None
    client = _local_key_value_client(ctx, root, tracer, MAX_LOCAL_STEPS) if root.type == "identifier" else None
    if client is not None:
        return Storage("host-wide", f"`{node_text(root)}` ({client}: a server every holder shares)", None)
    if through_local and root.type == "identifier":
        scope = tracer.scope_of(root)
        binding = scope.binding_before(node_text(root), root) if node_text(root) not in scope.parameters else None
        value = binding.child_by_field_name("value") if binding is not None else None
        if value is not None:
            return storage_of(ctx, value, tracer, method, through_local=False)
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
    client = key_value_client(ctx, type_text, ctx.workspace.declaring_file(owner) or ctx.path_key)
    if client is not None:
        # Wherever the handle lives, every holder of a client to the server shares its keyspace.
        return Storage("host-wide", f"field `{field}` of `{owner}` ({client}: a server every holder shares)", None)
    type_names = [e.name for e in named_types(type_text)]
    contract_sinks = ctx.settings.contract.sinks
    sink = any(f"{name}::{method}" in contract_sinks or name in contract_sinks for name in type_names)
    if not sink and not ctx.workspace.collections_in(type_text) \
            and not any(word in STORE_WORDS for name in (field, *type_names) for word in words_of(name)):
        return None
    maps = [c for c in ctx.workspace.collections_in(type_text) if c.kind == "map" and c.value is not None]
    holds = maps[0].value.text if len(maps) == 1 else ""
    return Storage(_field_scope(ctx, owner, type_text), f"field `{field}` of `{owner}` ({type_text})", None, holds)


def key_value_client(ctx: AnalysisContext, type_text: str, written_in: str, depth: int = MAX_LOCAL_STEPS) -> str | None:
    """The full path of the key-value server client a type (as written in the file
    ``written_in``) is or holds: a type of a ``KEY_VALUE_CLIENT_CRATES`` crate, however the
    file's ``use`` declarations let it be spelled (``use redis::aio::ConnectionManager;``
    then ``Arc<ConnectionManager>``), or a workspace alias of one read in its own file
    (``type RedisPool = bb8::Pool<RedisConnectionManager>``). None for any other type."""
    for expression in named_types(type_text):
        if expression.kind != "path" or not expression.path:
            continue
        full = ctx.workspace.full_path(written_in, expression.path)
        if full.split("::", 1)[0] in KEY_VALUE_CLIENT_CRATES:
            return full
        alias = ctx.workspace.alias_definition(expression.name) if depth > 0 and "::" not in expression.path else None
        found = key_value_client(ctx, alias[1], alias[0], depth - 1) if alias is not None else None
        if found is not None:
            return found
    return None


def key_value_receiver(ctx: AnalysisContext, receiver: Node, tracer: KeyTracer, through_local: bool = True) -> str | None:
    """The key-value server client a keyed call's receiver is, by declared types: a local
    opened from one (``_local_key_value_client``), a local bound from a field holding one
    (``let mut conn = self.manager.clone()``), or such a field (``state.redis.get(..)``)."""
    root = chain_root(receiver)
    if root is None:
        return None
    if root.type == "identifier":
        client = _local_key_value_client(ctx, root, tracer, MAX_LOCAL_STEPS)
        if client is not None:
            return client
        scope = tracer.scope_of(root)
        binding = scope.binding_before(node_text(root), root) if through_local and node_text(root) not in scope.parameters else None
        value = binding.child_by_field_name("value") if binding is not None else None
        if value is not None:
            return key_value_receiver(ctx, value, tracer, through_local=False)
    accessed = ctx.parent(root)
    if accessed is None or accessed.type != "field_expression" or accessed.end_byte > receiver.end_byte:
        return None
    owner = owner_type(ctx, root, tracer)
    type_text = ctx.workspace.field_type(owner, node_text(accessed.child_by_field_name("field"))) if owner else None
    return key_value_client(ctx, type_text, ctx.workspace.declaring_file(owner) or ctx.path_key) if type_text else None


def _local_key_value_client(ctx: AnalysisContext, name: Node, tracer: KeyTracer, depth: int) -> str | None:
    """The key-value client a local is, by its declared type or by what it was bound from: a
    client's constructor (``Client::open(url)?``), or a call on another such local
    (``client.get_multiplexed_async_connection().await?``). Not a parameter, nor a client
    opened on a value the function was handed: whoever passed it chose the server."""
    scope = tracer.scope_of(name)
    text = node_text(name)
    binding = scope.binding_before(text, name) if text not in scope.parameters else None
    if binding is None or depth <= 0:
        return None
    declared = binding.child_by_field_name("type")
    if declared is not None:
        return key_value_client(ctx, node_text(declared), ctx.path_key)
    value = binding.child_by_field_name("value")
    root = chain_root(value)
    if root is not None and root.type == "identifier":
        return _local_key_value_client(ctx, root, tracer, depth - 1)
    if root is None or root.type != "scoped_identifier" or not _names_type(root):
        return None
    constructor = ctx.parent(root)
    handed = any(part.kind == "parameter" and is_plain_data(ctx.workspace, part.type_text or "String")
                 or part.kind == "identifier" and _destructured_parameter_type(scope.function, part.text) is not None
                 for argument in (call_arguments(constructor) if constructor is not None and constructor.type == "call_expression" else ())
                 for part in tracer.trace(argument).parts)
    return None if handed else key_value_client(ctx, node_text(root.child_by_field_name("path")), ctx.path_key)


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
    closure = ctx.enclosing(root, ("closure_expression",))
    while type_text is None and closure is not None:
        type_text = _closure_parameter_type(closure, name)
        closure = ctx.enclosing(closure, ("closure_expression",))
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


def _closure_parameter_type(closure: Node, name: str) -> str | None:
    """The declared type of a closure parameter binding ``name`` (``|State(s): State<T>|``)."""
    for _, pattern, type_node in _parameters(closure):
        if pattern is not None and type_node is not None and name in _bound_names(pattern):
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


class PassStep(NamedTuple):
    """A workspace function that hands a chosen value on to the next, at ``call``."""

    path: str
    call: Node
    function_name: str

    def describe(self) -> str:
        return f"`fn {self.function_name}` ({self.path}:{self.call.start_point[0] + 1})"

    def name(self) -> str:
        return f"`fn {self.function_name}`"


class CalleeStore(NamedTuple):
    """A store a callee keys with one of its parameters: the call passes the key on, directly
    or through further workspace calls (``chain``)."""

    function_name: str
    where: str  # "src/routes.rs:12"
    parameter: str
    storage: Storage
    # The functions between the first callee and the one keying the store, the first callee
    # first: each is a related location of the finding, in whichever file it lies.
    chain: tuple[PassStep, ...] = ()
    path: str = ""  # of the file keying the store
    keyed_at: Node | None = None  # the keyed call


def callee_definition(ctx: AnalysisContext, call: Node, memo: dict | None = None) -> tuple[AnalysisContext, Node] | None:
    """The workspace function a call runs, when the model names exactly one: a free function
    (``lookup(..)``; ``routes::lookup(..)``, among same-named functions the one of module
    ``routes``), or a method of a receiver whose workspace type is declared (``self``, a
    parameter ``state: &AppState``, a field ``state.scans`` of such a type) or named
    (``ScanState::register(..)``). ``memo``: where one analysis keeps what it made; without
    one, the contexts of other files are still made once per analysis (``file_context``)."""
    callee = call.child_by_field_name("function")
    if callee is not None and callee.type == "generic_function":
        callee = callee.child_by_field_name("function")
    if callee is None:
        return None
    model = ctx.workspace
    if callee.type == "field_expression" or callee.type == "scoped_identifier" and _names_type(callee):
        if callee.type == "field_expression":
            name = node_text(callee.child_by_field_name("field"))
            owner = _receiver_type(ctx, callee.child_by_field_name("value"), memo)
        else:
            name = node_text(callee.child_by_field_name("name"))
            owner = parse_type(node_text(callee.child_by_field_name("path"))).name
        signature = model.method(owner, name) if owner else None
        if signature is None:
            return None
        paths = list(model.files_defining_method(owner, name))
    elif callee.type in ("identifier", "scoped_identifier"):
        name = node_text(callee) if callee.type == "identifier" else node_text(callee.child_by_field_name("name"))
        definitions = model.functions.get(name, [])
        # A name no workspace function has may be one renamed by a `use`; one several have is
        # told apart by its path (`super::`, a renamed module, a re-export). Either way the
        # path names one workspace file's function, whatever it is called there.
        resolved = resolved_callee(ctx, callee) if len(definitions) != 1 else None
        if resolved is not None:
            path, name = resolved
            definitions = [definition for definition in model.functions.get(name, []) if definition[0] == path]
        elif len(definitions) > 1:
            definitions = _definitions_named_by(ctx, callee, definitions)
        if len(definitions) != 1:
            return None
        paths, signature = [definitions[0][0]], definitions[0][1]
    else:
        return None
    if len(paths) != 1:
        return None
    if memo is not None:
        contexts = memo.setdefault("file contexts", {})
        other = contexts.get(paths[0])
        if other is None:
            other = contexts[paths[0]] = ctx.context_for(paths[0])
    else:
        other = file_context(ctx, paths[0])
    if other is None:
        return None
    for found in _functions_at(other, signature.line):
        if node_text(found.child_by_field_name("name")) == name:
            return other, found
    return None


def _names_type(callee: Node) -> bool:
    """``Type::method`` (a capitalised last path segment), not ``module::function``."""
    path = callee.child_by_field_name("path")
    if path is not None and path.type == "scoped_identifier":
        path = path.child_by_field_name("name")
    return path is not None and path.type in ("identifier", "type_identifier") and node_text(path)[:1].isupper()


def _receiver_type(ctx: AnalysisContext, value: Node | None, memo: dict | None) -> str | None:
    """The workspace struct a method's receiver is: ``self``'s, a parameter's declared type,
    then each field's declared type along ``state.scans``."""
    fields = []
    while value is not None and value.type == "field_expression":
        fields.append(node_text(value.child_by_field_name("field")))
        value = value.child_by_field_name("value")
    if value is None or value.type not in ("self", "identifier"):
        return None
    if value.type == "self":
        owner = impl_owner(ctx, value) or None
    else:
        passes = memo.setdefault("contexts", _PassContexts()) if memo is not None else _PassContexts()
        owner = owner_type(ctx, value, passes.tracer(ctx))
    if not fields:
        return owner
    type_text = ctx.workspace.field_chain_type(owner, fields[::-1])
    return ctx.workspace.struct_held(type_text) if type_text is not None else None


def may_name_callee(call: Node) -> bool:
    """Cheap first: whether a call is spelled as ``callee_definition`` can resolve it."""
    callee = call.child_by_field_name("function")
    if callee is not None and callee.type == "generic_function":
        callee = callee.child_by_field_name("function")
    if callee is None:
        return False
    if callee.type == "field_expression":
        value = callee.child_by_field_name("value")
        return value is not None and value.type in ("self", "identifier", "field_expression")
    return callee.type in ("identifier", "scoped_identifier")


def _definitions_named_by(ctx: AnalysisContext, callee: Node, definitions: list):
    """Of several same-named free functions, those a call's spelling picks: the one of the
    module its path names (``file_list::set``, ``other_crate::set`` and ``crate::set`` for a
    crate's root module), or for a bare name the caller's own file's, else the one its
    ``use`` declarations bring in."""
    if callee.type == "identifier":
        own = [d for d in definitions if d[0] == ctx.path_key]
        return own or [d for d in definitions if imports_function(ctx, ctx.path_key, d[0], node_text(callee))]
    path = callee.child_by_field_name("path")
    if path is None:
        return []
    module = node_text(path.child_by_field_name("name") if path.type == "scoped_identifier" else path)
    if module == "self":
        return [d for d in definitions if d[0] == ctx.path_key]
    if module == "super":
        return []
    return [d for d in definitions if module in module_spellings(ctx.path_key, d[0])]


def _functions_at(ctx: AnalysisContext, line: int) -> list[Node]:
    """The function items that start on ``line`` (a model signature's line)."""
    text = _lines_of(ctx.source.data).line_bytes(line)
    column = len(text) - len(text.lstrip())
    node = ctx.root.descendant_for_point_range((line, column), (line, column))
    found = []
    # What holds the line's first token and starts on the line starts there; once a holder
    # starts on an earlier line, so do all around it.
    while node is not None and node.start_point[0] >= line:
        if node.type == "function_item" and node.start_point[0] == line:
            found.append(node)
        node = ctx.parent(node)
    return found


@lru_cache(maxsize=64)
def _lines_of(data: bytes) -> SourceText:
    """A file's text with its line index, kept across analyses: the files that define the
    callees of many files are read again by each (a context per asking file), and indexing
    their lines for each costs more than the one line asked of them."""
    return SourceText(data)


# A keyed call spelled as a method (`map.get(&k)`, `conn.get::<_, T>(&k)`) or through its
# trait with the receiver borrowed first (`redis::AsyncCommands::get(&mut conn, k)`).
KEYED_CALLS = """
(call_expression function: [(field_expression value: (_) @receiver field: (field_identifier) @method)
                            (generic_function function: (field_expression value: (_) @receiver field: (field_identifier) @method))]
                 arguments: (arguments . (_) @key)) @call
(call_expression function: [(scoped_identifier path: (_) @trait name: (identifier) @method)
                            (generic_function function: (scoped_identifier path: (_) @trait name: (identifier) @method))]
                 arguments: (arguments . (reference_expression) @receiver . (_) @key)) @call
"""
ALL_CALLS = """
(call_expression arguments: (arguments (_))) @call
"""


def runs_in(ctx: AnalysisContext, node: Node, function: Node) -> bool:
    """Whether ``node`` runs as part of ``function``'s own body: not in a nested ``fn``
    (a closure's body is its function's; a route closure's is the closure's own)."""
    owner = ctx.enclosing_function(node)
    if function.type == "closure_expression":
        return function.start_byte <= node.start_byte and node.end_byte <= function.end_byte and \
            owner is not None and owner.id == (ctx.enclosing_function(function) or function).id
    return owner is not None and owner.id == function.id


def keyed_calls(ctx: AnalysisContext, function: Node):
    """``(call, receiver, method, key)`` of every keyed call in ``function``'s own body."""
    body = function.child_by_field_name("body")
    if body is None:
        return
    for _, found in matches(KEYED_CALLS, body):
        method = node_text(found["method"][0])
        call = found["call"][0]
        if method not in KEYED_METHODS or not runs_in(ctx, call, function):
            continue
        receiver = found["receiver"][0]
        if "trait" in found:
            if not _last_segment(found["trait"][0])[:1].isupper():
                continue  # `module::function(&x, ..)`: a function, not a method through its trait
            receiver = receiver.named_children[-1] if receiver.named_children else receiver
        elif method in _PAIR_WRITES and len(call_arguments(call)) < 2:
            continue  # `OnceLock::set(value)`, `AtomicU64::store(n, ..)`: a value, not a key
        yield call, receiver, method, found["key"][0]


def called_method(call: Node) -> str:
    """The method a keyed call runs: ``get`` of ``map.get(k)``, ``conn.get::<_, T>(k)`` and
    ``AsyncCommands::get(&mut conn, k)``."""
    callee = call.child_by_field_name("function")
    if callee is not None and callee.type == "generic_function":
        callee = callee.child_by_field_name("function")
    if callee is None:
        return ""
    name = callee.child_by_field_name("field" if callee.type == "field_expression" else "name")
    return node_text(name) if name is not None else ""


def _last_segment(path: Node) -> str:
    name = path.child_by_field_name("name") if path.type == "scoped_identifier" else path
    return node_text(name) if name is not None else ""


def entry_scope(tracer: KeyTracer, function: Node):
    """The scope a function's (or a route closure's) names are traced in: a closure's
    bindings are filed under the function around it."""
    return tracer.scope_of(function) if function.type == "closure_expression" else tracer.function_scope(function)


def parameter_names(function: Node) -> list[str]:
    """Parameter names in order, ``self`` left out (``_`` for patterns that bind no one name)."""
    return [node_text(pattern) if pattern is not None and pattern.type == "identifier" else "_"
            for _, pattern, _ in _parameters(function)]


def passed_parameter(call: Node, callee: Node, position: int) -> str | None:
    """The callee's parameter an argument at ``position`` binds (``Type::method(value, ..)``
    passes ``self`` first)."""
    function = call.child_by_field_name("function")
    if function is not None and function.type == "scoped_identifier" and any(
            child.type == "self_parameter" for child in (callee.child_by_field_name("parameters") or callee).named_children):
        position -= 1
    names = parameter_names(callee)
    return names[position] if 0 <= position < len(names) and names[position] != "_" else None


def fields_carrying(composition: KeyComposition, carries) -> list[str]:
    """The fields of a struct literal (``Request { trace_id: id, .. }``) whose value's
    ingredients (literals left out) ``carries`` accepts: the struct hands the value on under
    that field."""
    found, field, parts = [], None, []
    for part in [*composition.parts, KeyPart("", "struct-field", composition.expression)]:
        if part.kind == "struct-field":
            if field is not None and parts and carries(parts):
                found.append(field)
            field, parts = part.text, []
        elif field is not None and part.kind not in ("literal", "type"):
            parts.append(part)
    return found


class _PassContexts:
    """The contexts and tracers of the files a chosen value is followed through, made once
    per asking file's analysis."""

    def __init__(self):
        self.tracers: dict[str, KeyTracer] = {}

    def tracer(self, ctx: AnalysisContext) -> KeyTracer:
        tracer = self.tracers.get(ctx.path_key)
        if tracer is None:
            tracer = self.tracers[ctx.path_key] = KeyTracer(ctx)
        return tracer


def store_keyed_by_parameter(ctx: AnalysisContext, function: Node, parameter: str, memo: dict,
                             field: str = "", depth: int = MAX_PASS_DEPTH, shared_self: Storage | None = None) -> CalleeStore | None:
    """A process- or host-wide store ``function`` keys with ``parameter`` (or its ``field``)
    alone, literals beside it, without a scope: a caller's choice of that argument is the
    entry's key. The value is followed into the workspace functions ``function`` passes it to
    (as an argument, or a field of a struct it builds), ``depth`` calls deep at most.
    ``shared_self``: where the caller holds the method's receiver when that is shared beyond
    one tenant (``self.backend``, an `Arc` every instance holds): the receiver's own stores
    are as shared. ``memo``: the asking file's answers (callees' contexts are made afresh per
    question)."""
    key = (ctx.path_key, function.id, parameter, field, shared_self)
    if key in memo:
        return memo[key]
    memo[key] = None  # a recursive call chain ends here
    scope_used_at = first_scope_use(ctx, function)
    passes = memo.get("contexts")
    if passes is None:
        passes = memo["contexts"] = _PassContexts()
    tracer = passes.tracer(ctx)
    scope = tracer.function_scope(function)
    prefix = f"{parameter}.{field}"

    def carries_directly(part: KeyPart) -> bool:
        text = part.text
        if part.kind not in ("parameter", "field", "identifier") or text.split(".", 1)[0] != parameter:
            return False
        return not field or text == parameter or text == prefix or text.startswith(prefix + ".")

    def carries(part: KeyPart) -> bool:
        if carries_directly(part):
            return True
        # `http.hostname` where `let Some(http) = workload.config.http.as_ref()`
        local = _leftmost_identifier(part.node) if part.kind == "field" and part.text.split(".", 1)[0] != parameter else None
        traced = [p for p in tracer.trace(local, scope).parts if p.kind != "literal"] if local is not None and local.id != part.node.id else []
        return bool(traced) and all(carries_directly(p) for p in traced)

    for call, receiver, method, key_node in keyed_calls(ctx, function):
        if scope_used_at is not None and not answers_before(ctx, call, function, scope_used_at):
            continue
        composition = tracer.trace(key_node, scope)
        parts = [part for part in composition.parts if part.kind != "literal"]
        if not parts or not all(carries(part) for part in parts) or is_scoped(ctx, composition, function) \
                or ownership_checked(ctx, call, function) is not None or claim_checked(ctx, call, key_node, function) is not None:
            continue
        storage = storage_of(ctx, receiver, tracer, method)
        if storage is not None and method in READ_METHODS and storage.is_directory(ctx):
            continue
        if storage is not None and shared_self is not None and storage.scope == "per-instance" and _on_self(receiver):
            # The caller judged the receiver shared beyond its tenant: so is what it holds.
            storage = storage._replace(scope=shared_self.scope, description=f"{storage.description}, held as {shared_self.description}")
            shared = True
        else:
            # A store held through a shared handle may serve every tenant; with the scope in
            # reach but not in the key, the caller's word alone picks the entry.
            shared = storage is not None and (storage.scope in ("process-wide", "host-wide")
                                              or storage.scope == "shared-handle" and tenant_in_reach(ctx, function) is not None)
        if shared:
            where = f"{ctx.path_key}:{call.start_point[0] + 1}"
            memo[key] = CalleeStore(node_text(function.child_by_field_name("name")), where, parameter, storage, (), ctx.path_key, call)
            return memo[key]
    if depth <= 1 or scope_used_at is not None:
        return None
    body = function.child_by_field_name("body")
    for _, found in matches(ALL_CALLS, body) if body is not None else ():
        call = found["call"][0]
        arguments = call_arguments(call)
        if not may_name_callee(call) or not any(may_carry(argument, (parameter,)) for argument in arguments) \
                or not runs_in(ctx, call, function):
            continue
        definition = None
        for position, argument in enumerate(arguments):
            if not may_carry(argument, (parameter,)):
                continue
            composition = tracer.trace(argument, scope)
            parts = [part for part in composition.parts if part.kind != "literal"]
            if parts and all(carries(part) for part in parts):
                # The struct itself passes its chosen field on; a field read out of it is the value.
                handed = [field if all(part.text == parameter for part in parts) else ""]
            else:
                handed = fields_carrying(composition, lambda found: all(carries(part) for part in found))
            if not handed or handed == [""] and is_scoped(ctx, composition, function):
                continue
            definition = definition or callee_definition(ctx, call, memo)
            if definition is None:
                break
            callee_ctx, callee = definition
            name = passed_parameter(call, callee, position)
            for handed_field in handed if name is not None else ():
                on_self = shared_self if _called_on_self(call) else None
                store = store_keyed_by_parameter(callee_ctx, callee, name, memo, handed_field, depth - 1, on_self)
                if store is not None:
                    step = PassStep(ctx.path_key, call, node_text(function.child_by_field_name("name")))
                    memo[key] = store._replace(chain=(step, *store.chain))
                    return memo[key]
    return None


def answers_before(ctx: AnalysisContext, call: Node, function: Node, scope_used_at: int) -> bool:
    """Whether ``function`` may return before it first uses the scope it was handed, after
    ``call``: a fast path through a shared cache (``if let Some(hit) = CACHE.get(&id) {
    return hit }``) answers the caller before the scope-keyed lookup below it ever runs."""
    body = function.child_by_field_name("body")
    if body is None or call.start_byte >= scope_used_at:
        return False
    return any(call.start_byte < node.start_byte < scope_used_at and runs_in(ctx, node, function)
               for _, found in matches(_RETURNS, body) for node in found["return"])


_RETURNS = """
(return_expression) @return
"""


def _on_self(receiver: Node) -> bool:
    """A store reached from ``self`` (``self.entries.lock()``)."""
    root = chain_root(receiver)
    return root is not None and root.type == "self"


def _called_on_self(call: Node) -> bool:
    """``self.helper(..)``: a method of the same receiver."""
    callee = call.child_by_field_name("function")
    value = callee.child_by_field_name("value") if callee is not None and callee.type == "field_expression" else None
    return value is not None and value.type == "self"


def first_scope_use(ctx: AnalysisContext, function: Node) -> int | None:
    """The byte where a function handed the host's scope as a parameter (``org_id: &str``)
    first uses it in its code (not in a log line), None when it takes none or only logs it.
    From there it knows whose request it serves and judges the values beside it with that at
    hand (checks an entry's owner, keys by both, passes it on), so a value followed into it
    stops there, but for what it answers before (``answers_before``)."""
    body = function.child_by_field_name("body")
    if body is None:
        return None
    first = None
    for _, pattern, type_node in _parameters(function):
        if pattern is None or pattern.type != "identifier":
            continue
        name = node_text(pattern)
        if not (names_scope_identity(ctx, name) or type_node is not None and names_scope_identity(ctx, node_text(type_node))):
            continue
        for use in nodes_spelled(ctx, name, body.start_byte, body.end_byte):
            macro = ctx.enclosing(use, ("macro_invocation",))
            if use.type == "identifier" and (macro is None or node_text(macro.child_by_field_name("macro")) in _KEY_BUILDING_MACROS):
                first = use.start_byte if first is None else min(first, use.start_byte)
                break
    return first


# Macros that build a value from their arguments (a key), unlike a log line or an assertion.
_KEY_BUILDING_MACROS = frozenset({"format", "concat", "vec"})


def may_carry(argument: Node, names) -> bool:
    """Cheap first: a value travels by its name, or through a local (``x``, ``&x``) bound
    from it."""
    if argument.type == "reference_expression" and argument.named_children:
        argument = argument.named_children[-1]
    return argument.type == "identifier" or any(name in node_text(argument) for name in names)


def ownership_checked(ctx: AnalysisContext, call: Node, function: Node) -> str | None:
    """A comparison that checks the entry a lookup found belongs to the caller: a scope field
    of the result against the caller's scope (``if session.tenant_id != auth.tenant_id``,
    ``.filter(|s| s.org == org)``). Returns the comparison's text."""
    bound, node = None, call
    parent = ctx.parent(node)
    while parent is not None and parent.type in ("call_expression", "field_expression", "try_expression", "await_expression",
                                                  "reference_expression", "arguments", "parenthesized_expression"):
        node, parent = parent, ctx.parent(parent)
    if parent is not None and parent.type == "let_declaration":
        pattern = parent.child_by_field_name("pattern")
        bound = _pattern_names(pattern)
    elif parent is not None and parent.type == "let_condition":
        bound = _pattern_names(parent.child_by_field_name("pattern"))
    region = function.child_by_field_name("body")
    if bound:
        bound |= _aliases_after(region, bound, node.end_byte)
    for comparison, _ in _comparisons(region):
        if comparison.start_byte < node.start_byte:
            continue  # a check before the lookup checks something else
        left, right = comparison.child_by_field_name("left"), comparison.child_by_field_name("right")
        if left is None or right is None:
            continue
        sides = (node_text(left), node_text(right))
        inside_chain = node.start_byte <= comparison.start_byte and comparison.end_byte <= node.end_byte
        for mine, theirs in (sides, sides[::-1]):
            mine = mine.lstrip("&*")
            root = mine.split(".", 1)[0]
            if not (inside_chain and "." in mine or bound and root in bound):
                continue
            # The entry's owner field (`session.org_id`), or the entry itself when the store
            # maps an id to its owner (`if let Some(org) = OWNERS.get(id) { org == org_id }`).
            owner = mine == root or names_scope_identity(ctx, mine.rsplit(".", 1)[-1])
            if owner and names_scope_identity(ctx, theirs.lstrip("&*").rsplit(".", 1)[-1]):
                return node_text(comparison)
    return None


def claim_checked(ctx: AnalysisContext, call: Node, key: Node, function: Node) -> str | None:
    """A write under a chosen key that an earlier guard has checked is not another owner's:
    an ``if`` before it whose condition looks the same key up and compares what it finds with
    an identity (``if owners.get(domain).is_some_and(|o| o.0 != app.id.0) { return Err(..) }``).
    Returns the comparison's text."""
    wanted = _plain_key(node_text(key))
    region = function.child_by_field_name("body")
    for comparison, _ in _comparisons(region):
        if comparison.end_byte > call.start_byte:
            continue
        guard = ctx.enclosing(comparison, ("if_expression",))
        condition = guard.child_by_field_name("condition") if guard is not None else None
        consequence = guard.child_by_field_name("consequence") if guard is not None else None
        if condition is None or consequence is None or not (condition.start_byte <= comparison.start_byte < condition.end_byte) \
                or not any(True for _ in matches(_RETURNS, consequence)):
            continue
        sides = [comparison.child_by_field_name(side) for side in ("left", "right")]
        if not any(side is not None and _names_an_identity(ctx, node_text(side)) for side in sides):
            continue
        for _, found in matches(KEYED_CALLS, condition):
            if node_text(found["method"][0]) in READ_METHODS and _plain_key(node_text(found["key"][0])) == wanted:
                return node_text(comparison)
    return None


def _plain_key(text: str) -> str:
    """A key's text without borrows and copies: ``&domain``, ``domain.clone()`` → ``domain``."""
    text = text.lstrip("&*")
    for suffix in (".clone()", ".to_string()", ".to_owned()", ".as_str()"):
        text = text.removesuffix(suffix)
    return text


def _names_an_identity(ctx: AnalysisContext, text: str) -> bool:
    """``workload.org_id``, ``app.id.0`` (the app's id): a value naming whose something is."""
    text = text.lstrip("&*").removesuffix(".0")
    return names_scope_identity(ctx, text.rsplit(".", 1)[-1]) or names_scope_identity(ctx, "_".join(text.split(".")[-2:]))


def _pattern_names(pattern: Node | None) -> set[str]:
    names, pending = set(), [pattern] if pattern is not None else []
    while pending:
        current = pending.pop()
        if current.type == "identifier":
            names.add(node_text(current))
        pending.extend(current.named_children)
    return names


_REBINDINGS = """
[(let_declaration) (let_condition)] @binding
"""


def _aliases_after(region: Node | None, names: set[str], after: int) -> set[str]:
    """Names bound later from ``names`` (``if let Some(found) = &session``, ``let s = session``)."""
    aliases: set[str] = set()
    for _, found in matches(_REBINDINGS, region) if region is not None else ():
        binding = found["binding"][0]
        value = binding.child_by_field_name("value")
        if binding.start_byte >= after and value is not None and node_text(value).lstrip("&*").split(".", 1)[0] in names | aliases:
            aliases |= _pattern_names(binding.child_by_field_name("pattern"))
    return aliases


_COMPARISONS = """
(binary_expression operator: ["==" "!="]) @comparison
"""


def _comparisons(region: Node | None):
    for _, found in matches(_COMPARISONS, region) if region is not None else ():
        yield found["comparison"][0], None
