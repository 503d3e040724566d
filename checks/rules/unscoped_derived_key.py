"""ISO202 unscoped-derived-key."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from tree_sitter import Node

from ..context import call_receiver, chain_root, method_call_of, node_text, nodes_spelled
from .. import keyed_collections, keyflow
from ..keyed_collections import FileCollections, collection_of, is_per_pack_struct, struct_fields, type_name
from ..keyflow import PASSTHROUGH_METHODS, KeyComposition, KeyTracer
from ..model import Applicability, Edit, Fix, FixAvailability, Severity
from ..parsing import matches
from ..tenancy import key_value_receiver
from .base import Rule, vocabulary_triggers
from ..vocabulary import words_of

# Receivers whose words say the key goes to storage that outlives one request and is shared
# by every tenant of the process (or of the deployment).
SHARED_STORE_WORDS = frozenset({
    "store", "stores", "cache", "caches", "state", "states", "session", "sessions", "kv",
    "redis", "db", "database", "storage", "persistence", "bucket", "memcache", "memcached",
    "etcd", "consul", "checkpoint", "checkpoints", "snapshot", "snapshots", "blob", "blobs",
})
STORE_METHODS = frozenset({
    "get", "set", "put", "insert", "remove", "delete", "del", "load", "save", "store", "fetch",
    "read", "write", "get_state", "set_state", "put_state", "load_state", "save_state",
    "hget", "hset", "hdel", "exists", "expire", "entry", "contains_key", "update", "upsert",
    "arg", "get_session", "set_session", "put_session", "resume", "checkpoint", "get_with",
    "take", "get_json", "set_json", "put_json", "get_bytes", "put_bytes", "set_ex", "get_del",
    "get_or_insert_with", "invalidate", "compare_and_swap",
})
KEY_WORDS = frozenset({"key", "keys"})
KEY_CONSTRUCTORS = frozenset({"from", "new", "from_string"})
EXECUTION_WORDS = frozenset({"run", "execution", "exec", "invocation", "instance"})
# Names with "key" that are cryptographic or credential keys, not storage keys.
NOT_STORAGE_KEY_WORDS = frozenset({"api", "secret", "private", "public", "signing", "encryption", "crypto", "access", "ssh", "license", "idempotency"})
KIND_WORDS = ("session", "state", "resume", "cache", "checkpoint", "snapshot")
ID_WORDS = frozenset({"id", "ref", "name", "key", "slug"})
_INDEXED_ARGUMENT = r"\{\d"
_INLINE_ARGUMENT = r"\{[A-Za-z_][A-Za-z0-9_]*[:}]"

_DERIVATIONS = """
[
  (macro_invocation macro: (identifier) @macro (#eq? @macro "format")) @derived
  ((field_identifier) @method (#any-of? @method "join" "concat"))
  (binary_expression) @binary
]
"""
# `a + ":" + b`: a concatenation whose right operand is a string, `&String` or a call. Judged
# in Python: tree-sitter keeps a pending state per enclosing binary expression while it
# waits for a field constraint (`operator:`, `right:`), which is quadratic on long chains.
_CONCATENATED_OPERANDS = frozenset({"string_literal", "reference_expression", "call_expression"})
# `x += …` is told from other compound assignments in Python: constraints on its fields
# cost more to compile than the few compound assignments of a file cost to read.
_APPENDS = """
[
  ((field_identifier) @method (#eq? @method "push_str"))
  (compound_assignment_expr) @compound
]
"""


class Destination(NamedTuple):
    """Where a derived key goes: a store call (shared or tenant-local), or nothing known."""

    shared: bool
    certain: bool
    site: Node | None
    label: str
    tenant_local: bool = False
    # ``self.cache`` of a struct that exists once per pack: its keys need no pack id.
    pack_local: bool = False


@lru_cache(maxsize=8192)
def _is_storage_key_name(name: str) -> bool:
    words = set(words_of(name))
    return bool(words & KEY_WORDS) and not words & NOT_STORAGE_KEY_WORDS


def _climb(ctx, node: Node) -> Node:
    """From a key expression up through ``&``, parentheses and ``.as_str()``-style calls."""
    while (parent := ctx.parent(node)) is not None:
        if parent.type in ("reference_expression", "parenthesized_expression", "try_expression"):
            node = parent
            continue
        call = ctx.parent(parent) if parent.type == "field_expression" else None
        if call is not None and call.type == "call_expression":
            method = parent.child_by_field_name("field")
            if method is not None and node_text(method) in PASSTHROUGH_METHODS:
                node = call
                continue
        return node
    return node


def _first_argument_of(ctx, node: Node) -> Node | None:
    """The call whose first argument ``node`` is, if any."""
    parent = ctx.parent(node)
    if parent is None or parent.type != "arguments":
        return None
    arguments = [c for c in parent.named_children if c.type not in ("line_comment", "block_comment")]
    if not arguments or arguments[0].id != node.id:
        return None
    call = ctx.parent(parent)
    return call if call is not None and call.type == "call_expression" else None


def _store_call(ctx, collections: FileCollections, call: Node) -> Destination | None:
    function = call.child_by_field_name("function")
    if function is None or function.type != "field_expression":
        return None
    method = function.child_by_field_name("field")
    receiver = function.child_by_field_name("value")
    if method is None or receiver is None or node_text(method) not in STORE_METHODS:
        return None
    receiver_text = node_text(receiver)
    words = set(words_of(receiver_text))
    root = _chain_root(receiver)
    label = " ".join(receiver_text.split())
    if root == "self" and _owned_by_one_pack(ctx, collections, receiver):
        return Destination(False, True, call, label, tenant_local=True, pack_local=True)
    if ctx.vocabulary.tenant.match(receiver_text) or (root == "self" and _in_tenant_impl(ctx, call)):
        return Destination(False, True, call, label, tenant_local=True)
    if words & SHARED_STORE_WORDS or root in collections.statics or (root.isupper() and len(root) > 1) \
            or key_value_receiver(ctx, receiver, KeyTracer(ctx)) is not None:
        # A client of a key-value server, known by its declared type whatever it is called
        # (`conn` of an imported `ConnectionManager`), is one keyspace for every tenant. (A
        # tracer made here shares the file's indexes, kept on the context.)
        return Destination(True, True, call, label)
    return Destination(False, True, call, label)


def _chain_root(node: Node) -> str:
    """``self`` in ``self.cache.lock().unwrap()``; ``CACHE`` in ``CACHE.get()``."""
    node = chain_root(node)
    if node is None:
        return ""
    if node.type == "scoped_identifier":
        name = node.child_by_field_name("name")
        return node_text(name) if name is not None else ""
    return node_text(node) if node.type in ("identifier", "self") else ""


def _owned_by_one_pack(ctx, collections: FileCollections, receiver: Node) -> bool:
    """``self.cache`` where ``self`` is a per-pack struct and ``cache`` a collection it owns
    (not an injected ``Arc<dyn StateStore>``, which is shared however it is reached)."""
    declarations = collections.resolve(receiver, None)
    return bool(declarations) and all(
        d.owner is not None and is_per_pack_struct(d.owner, ctx.vocabulary) for d in declarations
    )


def _in_tenant_impl(ctx, node: Node) -> bool:
    """Inside ``impl TenantRuntime``: ``self``'s stores belong to one tenant."""
    impl = ctx.enclosing_impl(node)
    return impl is not None and ctx.vocabulary.tenant.match(type_name(impl.child_by_field_name("type"))) is not None


def _uses_in_function(ctx, function: Node, name: str, after: int) -> list[Node]:
    """Identifiers named ``name`` in ``function`` from byte ``after`` on, the last first."""
    spelled = nodes_spelled(ctx, name, max(after, function.start_byte), function.end_byte)
    return [node for node in reversed(spelled) if node.type == "identifier"]


def _key_constructor(call: Node | None) -> bool:
    """``StateKey::from(format!(..))``, ``SessionKey::new(..)``, ``String::from(..)``: a call that
    only wraps the string into a key type, so where the key goes is where the call's value goes."""
    function = call.child_by_field_name("function") if call is not None else None
    if function is None or function.type != "scoped_identifier":
        return False
    path = function.child_by_field_name("path")
    name = function.child_by_field_name("name")
    if path is None or name is None or node_text(name) not in KEY_CONSTRUCTORS:
        return False
    type_text = node_text(path).rsplit("::", 1)[-1]
    return type_text == "String" or _is_storage_key_name(type_text)


def _destination(ctx, collections: FileCollections, derived: Node) -> tuple[str, Destination, Node] | None:
    """How to name a derived string, where it goes, and the expression to trace it at (a later
    use of its ``let``); None when it is not a storage key (a log line, an error, a path)."""
    top = _climb(ctx, derived)
    call = _first_argument_of(ctx, top)
    while _key_constructor(call):
        top = _climb(ctx, call)
        call = _first_argument_of(ctx, top)
    if call is not None:
        destination = _store_call(ctx, collections, call)
        if destination is not None and destination.pack_local:
            return None
        if destination is not None and (destination.shared or destination.tenant_local):
            return "", destination, derived
        return None
    parent = ctx.parent(top)
    if parent is None:
        return None
    if parent.type == "let_declaration":
        pattern = parent.child_by_field_name("pattern")
        name = node_text(pattern).removeprefix("mut ").strip() if pattern is not None else ""
        function = ctx.enclosing_function(parent)
        sinks: list[tuple[Destination, Node]] = []
        uses = _uses_in_function(ctx, function, name, parent.end_byte) if function is not None and name else []
        for use in uses:
            use_call = _first_argument_of(ctx, _climb(ctx, use))
            destination = _store_call(ctx, collections, use_call) if use_call is not None else None
            if destination is not None:
                sinks.append((destination, use))
        if sinks and all(d.pack_local for d, _ in sinks):
            return None
        # Trace the key where it is used, so `push_str`/`+=` after the `let` count too.
        shared = [(d, use) for d, use in sinks if d.shared]
        if shared:
            return f"`{name}`", shared[0][0], shared[0][1]
        if not _is_storage_key_name(name):
            return None
        if sinks:
            return f"`{name}`", sinks[0][0], sinks[0][1]
        last_use = max(uses, key=lambda n: n.start_byte) if uses else derived
        return f"`{name}`", Destination(True, False, None, ""), last_use
    if parent.type == "field_initializer":
        field = parent.child_by_field_name("field")
        name = node_text(field) if field is not None else ""
        return (f"in field `{name}`", Destination(True, False, None, ""), derived) if _is_storage_key_name(name) else None
    function = _returned_from(ctx, top)
    if function is not None:
        name_node = function.child_by_field_name("name")
        name = node_text(name_node) if name_node is not None else ""
        return (f"returned by `fn {name}`", Destination(True, False, None, ""), derived) if _is_storage_key_name(name) else None
    return None


def _returned_from(ctx, node: Node) -> Node | None:
    """The function ``node`` is the result of (tail expression or ``return``), if any."""
    parent = ctx.parent(node)
    if parent is not None and parent.type == "return_expression":
        return ctx.enclosing_function(parent)
    statements = [c for c in parent.named_children if c.type not in ("line_comment", "block_comment")] if parent is not None else []
    if parent is not None and parent.type == "block" and statements and statements[-1].id == node.id:
        function = ctx.parent(parent)
        if function is not None and function.type == "function_item":
            return function
    return None


def _kind(subject: str, destination: Destination) -> str:
    words = set(words_of(subject)) | set(words_of(destination.label))
    for kind in KIND_WORDS:
        if kind in words or f"{kind}s" in words:
            return f"{kind} key"
    return "key"


def _pack_id_in_reach(ctx, tracer, collections: FileCollections, derived: Node) -> str | None:
    """An expression naming the pack id that the code around the key already has."""
    vocabulary = ctx.vocabulary
    scope = tracer.scope_of(derived)

    def is_pack_id(name: str, type_text: str) -> bool:
        name_words = words_of(name)
        type_words = words_of(type_text)
        if not vocabulary.pack.match(name) or not name_words:
            return False
        return name_words[-1] in ID_WORDS or (bool(type_words) and type_words[-1] in ID_WORDS)

    for name, (parameter, type_text) in scope.parameters.items():
        if is_pack_id(name, type_text) and collection_of(parameter.child_by_field_name("type") if parameter.type == "parameter" else None) is None:
            return name
    for name in scope.lets:
        if is_pack_id(name, "") and scope.binding_before(name, derived) is not None:
            return name
    if "self" in scope.parameters or _has_self_parameter(scope.function):
        impl = ctx.enclosing_impl(derived)
        owner = type_name(impl.child_by_field_name("type")) if impl is not None else ""
        for struct in collections.structs.get(owner, []):
            for field_name, _, field_type in struct_fields(struct):
                if not field_name.isdigit() and is_pack_id(field_name, node_text(field_type) if field_type is not None else ""):
                    return f"self.{field_name}"
    return None


def _has_self_parameter(function: Node | None) -> bool:
    parameters = function.child_by_field_name("parameters") if function is not None else None
    return parameters is not None and any(p.type == "self_parameter" for p in parameters.named_children)


def _separator_of(content: str) -> str:
    """The key's own separator (``/`` in ``resume/{flow}``), preferring unambiguous ones."""
    outside = re.sub(r"\{[^}]*\}", "", content)
    for candidates in (":/|#", ".-"):
        found = next((c for c in outside if c in candidates), None)
        if found is not None:
            return found
    return ":"


def _prepend_pack_fix(ctx, derived: Node, pack_expression: str) -> Fix | None:
    """Put the pack id first in a ``format!`` key: exact edits inside the macro's token tree."""
    if derived.type != "macro_invocation":
        return None
    token_tree = next((c for c in derived.named_children if c.type == "token_tree"), None)
    if token_tree is None or token_tree.child_count < 2:
        return None
    literal = token_tree.children[1]
    if literal.type not in ("string_literal", "raw_string_literal"):
        return None
    text = node_text(literal)
    content = text[text.index('"') + 1 : text.rindex('"')] if text.count('"') >= 2 else ""
    if re.search(_INDEXED_ARGUMENT, content):
        return None
    separator = _separator_of(content)
    opening_quote = literal.start_byte + len(text[: text.index('"') + 1].encode())
    if re.search(_INLINE_ARGUMENT, content) and pack_expression.isidentifier():
        edits = (Edit(opening_quote, opening_quote, "{" + pack_expression + "}" + separator),)
    else:
        edits = (
            Edit(opening_quote, opening_quote, "{}" + separator),
            Edit(literal.end_byte, literal.end_byte, f", {pack_expression}"),
        )
    return Fix(f"Prefix the key with `{pack_expression}`", edits, Applicability.UNSAFE)


def _message(kind: str, subject: str, composition: KeyComposition, missing: list[str], destination: Destination, ctx) -> str:
    ingredients = ", ".join(dict.fromkeys(f"`{p.text}`" for p in composition.per_pack_ids(ctx.vocabulary)))
    lacking = " and no ".join(missing)
    where = f", and goes to `{destination.label}`" if destination.certain else ""
    shared = f"`{destination.label}` is shared by every tenant" if destination.certain else "nothing shows the store it goes to is per tenant"
    if missing == ["pack id"]:
        why = "flow, node and component ids repeat across packs, so two packs' flows read and overwrite the same entry"
    elif missing == ["tenant"]:
        why = f"{shared}, and two tenants may install the same pack"
    else:
        why = f"flow, node and component ids repeat across packs and {shared}, so other packs' and tenants' flows read and overwrite the same entry"
    return f"{kind} {subject + ' ' if subject else ''}is built from {ingredients} with no {lacking}{where}: {why}"


def _derived_strings(ctx, tracer):
    """``format!``, ``[..].join``, ``a + ":" + b``, and ``let`` strings grown by ``push_str``/``+=``."""
    seen: set[int] = set()
    found_all = [found for _, found in matches(_DERIVATIONS, ctx.root)]
    # A concatenation is taken whole: as its outermost enclosing binary expression. Climbing
    # goes through links gathered here (`Node.parent` descends from the root on every call)
    # and is memoised, as every operator of a long `a + ":" + b + …` chain is a candidate.
    binary_parent: dict[int, Node] = {}
    for found in found_all:
        for binary in found.get("binary", ()):
            for child in binary.named_children:
                if child.type == "binary_expression":
                    binary_parent[child.id] = binary
    chain_tops: dict[int, Node] = {}
    for found in found_all:
        if "binary" in found:
            derived = found["binary"][0]
            operator = derived.child_by_field_name("operator")
            right = derived.child_by_field_name("right")
            if operator is None or operator.type != "+" or right is None or right.type not in _CONCATENATED_OPERANDS:
                continue
            climbed = []
            while derived.id not in chain_tops and derived.id in binary_parent:
                climbed.append(derived.id)
                derived = binary_parent[derived.id]
            derived = chain_tops.get(derived.id, derived)
            for node_id in climbed:
                chain_tops[node_id] = derived
        elif "method" in found:
            derived = method_call_of(found["method"][0], ctx.ancestry)
            receiver = call_receiver(derived) if derived is not None else None
            if receiver is None or receiver.type not in ("array_expression", "macro_invocation"):
                continue
        else:
            derived = found["derived"][0]
        if derived.id not in seen:
            seen.add(derived.id)
            yield derived
    for _, found in matches(_APPENDS, ctx.root):
        if "compound" in found:
            compound = found["compound"][0]
            target, operator = compound.child_by_field_name("left"), compound.child_by_field_name("operator")
            if target is None or target.type != "identifier" or operator is None or operator.type != "+=":
                continue
        else:
            call = method_call_of(found["method"][0], ctx.ancestry)
            target = call_receiver(call) if call is not None else None
            if target is None or target.type != "identifier":
                continue
        binding = tracer.scope_of(target).binding_before(node_text(target), target)
        value = binding.child_by_field_name("value") if binding is not None else None
        if value is not None and value.id not in seen and not _is_derivation(value):
            seen.add(value.id)
            yield value


def _names_one_execution(composition: KeyComposition) -> bool:
    """A run, execution or invocation id in the key (``{run_id}:visit:{node_id}``): the run is
    one execution of one flow of one pack, so the node and flow ids after it cannot collide with
    another pack's. A session id is not one: a conversation reaches many packs' flows."""
    for part in composition.parts:
        if part.kind == "literal":
            continue
        words = words_of(part.text.rsplit(".", 1)[-1])
        if len(words) >= 2 and words[-1] == "id" and words[-2] in EXECUTION_WORDS:
            return True
    return False


def _is_derivation(node: Node) -> bool:
    if node.type == "macro_invocation":
        macro = node.child_by_field_name("macro")
        return macro is not None and node_text(macro) == "format"
    if node.type == "call_expression":
        function = node.child_by_field_name("function")
        method = function.child_by_field_name("field") if function is not None and function.type == "field_expression" else None
        return method is not None and node_text(method) in ("join", "concat")
    return node.type == "binary_expression"


def check(ctx):
    tracer = KeyTracer(ctx)
    vocabulary = ctx.vocabulary
    collections = FileCollections.of(ctx)
    reported: set[int] = set()
    for derived in _derived_strings(ctx, tracer):
        if derived.id in reported:
            continue
        target = _destination(ctx, collections, derived)
        if target is None:
            continue
        subject, destination, traced = target
        composition = tracer.trace(traced)
        if not composition.per_pack_ids(vocabulary):
            continue
        missing = []
        if composition.pack_evidence(vocabulary) is None and not _names_one_execution(composition):
            missing.append("pack id")
        if destination.shared and composition.tenant_evidence(vocabulary) is None:
            missing.append("tenant")
        if not missing:
            ctx.observe(derived, "state", "scoped", f"{_kind(subject, destination)} {composition.describe()} carries the pack and, for a shared store, the tenant",
                        key=composition.describe())
            continue
        reported.add(derived.id)
        related = [ctx.related(n, "key composed here") for n in composition.composed_at if n.id != derived.id and n.type == "let_declaration"]
        if destination.site is not None:
            related.append(ctx.related(destination.site, f"used as a key of `{destination.label}` here"))
        fix = None
        if "pack id" in missing:
            pack_expression = _pack_id_in_reach(ctx, tracer, collections, derived)
            if pack_expression is not None:
                fix = _prepend_pack_fix(ctx, derived, pack_expression)
        notes = (composition.describe() + " — no " + ", no ".join("pack_id" if m == "pack id" else m for m in missing),)
        yield ctx.finding(derived, _message(_kind(subject, destination), subject, composition, missing, destination, ctx), fix=fix, related=related, notes=notes)


RULE = Rule(
    code="ISO202",
    reach="linked-bodies",
    type_declaration_words=(),
    name="unscoped-derived-key",
    summary="A state, session, resume or cache key built from a flow id without the pack id (or, for shared stores, the tenant).",
    rationale=(
        "Keys derived with `format!(\"{flow_id}:{session}\")` name an entry by ids that are only "
        "unique inside one pack. In a host that runs many tenants' packs, a second pack with a "
        "flow of the same id resumes the first pack's session, reads its cached output or "
        "overwrites its state. Session and state stores (Redis, a KV store, a shared cache) are "
        "shared by every tenant, and two tenants may install the same pack, so keys that go "
        "there need the tenant as well as the pack. A store is known by its receiver's words "
        "(`cache`, `redis`, a static) or, whatever it is called, by its declared type: a client "
        "of a key-value server, named through the file's `use` declarations."
    ),
    bad_example=(
        "async fn save(store: &StateStore, flow_id: &str, session: &str, state: &State) {\n"
        "    let key = format!(\"{flow_id}:{session}\");\n"
        "    store.put(&key, state).await;\n"
        "}\n"
    ),
    good_example=(
        "async fn save(store: &StateStore, tenant: &TenantCtx, pack_id: &str, flow_id: &str, session: &str, state: &State) {\n"
        "    let key = format!(\"{}:{pack_id}:{flow_id}:{session}\", tenant.id);\n"
        "    store.put(&key, state).await;\n"
        "}\n"
    ),
    default_severity=Severity.WARNING,
    fix_availability=FixAvailability.SOMETIMES,
    fix_safety=Applicability.UNSAFE,
    check=check,
    # A finding needs a derived key with a per-pack id (the vocabulary's per-pack entries):
    # files that mention none of them have nothing to report.
    configured_triggers=lambda settings: vocabulary_triggers(settings.vocabulary.per_pack.entries),
    queries=(_DERIVATIONS, _APPENDS, *keyflow.QUERIES, *keyed_collections.QUERIES),
    message="{kind} `{name}` is built from `{flow id}` with no pack id (and no tenant): {why}",
    fix_title="Prefix the key with `{pack id in reach}`",
    options=(
        "scope.pack-identifiers", "scope.extend-pack-identifiers", "scope.tenant-identifiers",
        "scope.extend-tenant-identifiers", "scope.per-pack-identifiers",
        "scope.extend-per-pack-identifiers", "scope.helpers", "scope.extend-helpers", "lint-tests",
    ),
)
