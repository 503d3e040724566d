"""ISO301 ambient-tenant-context."""

from __future__ import annotations

import re
from typing import NamedTuple

from tree_sitter import Node

from .. import keyflow, statics, tenancy
from ..context import NAME_FIELDS, call_arguments, calls_named, chain_root, method_call_of, node_text
from ..keyflow import KeyComposition, KeyTracer
from ..model import FixAvailability, Severity
from ..parsing import captures, matches
from .base import Rule, exact_name_triggers
from .global_telemetry_in_request_path import TELEMETRY_ENV_PREFIXES, is_startup
from ..statics import StaticSlot, declared_slots, slot_uses
from ..vocabulary import PROCESS_ENVIRONMENT_WORDS, names_identity, words_of
from ..workspace import types_outside_collections

# Methods that store a value into a cell, lock guard, `OnceLock`, `ArcSwap` or atomic.
_STORING_METHODS = frozenset({"set", "replace", "store", "swap", "insert", "get_or_insert", "get_or_insert_with", "get_or_init", "push"})
# Methods whose closure receives the slot's contents (`LocalKey::with`, `with_borrow_mut`).
_ACCESS_METHODS = frozenset({"with", "with_borrow_mut", "try_with"})
# Task-local `scope`/`sync_scope` restore the previous value when the future or closure ends:
# the context cannot outlive the tenant's work, which is the safe form.
_SCOPED_FORMS = frozenset({"scope", "sync_scope"})
# Lazy initialisers run their closure once for the whole process (the first caller wins), so
# only a value with a tenant/flow ingredient makes such a write context; a slot named for
# what it measures (`FLOW_RUNS: OnceLock<Counter<u64>>`) is not context by its name alone.
_LAZY_INITIALISERS = frozenset({"get_or_init", "get_or_try_init", "get_or_insert_with"})
_SETTER_ACTIONS = frozenset({"set", "push", "enter", "install"})
_AMBIENT_WORDS = frozenset({"current", "global", "ambient"})
_SUBJECT_WORDS = frozenset({"tenant", "flow", "pack", "ctx", "context"})
_CONTEXT_ONLY_WORDS = frozenset({"ctx", "context"})
_HOLDER_WORDS = frozenset({"context", "ctx", "holder", "current", "local", "ambient"})
_HOLDER_SETTERS = frozenset({"set", "enter", "push", "install", "replace", "set_current", "attach"})
_GUARD_WORDS = frozenset({"guard", "scope", "entered", "enter", "reset", "restore"})
_CLEARING_VALUE = r"^(None|Default::default\(\)|[A-Za-z_][\w:<>]*::(new|default)\(\)|0|false|\"\")$"
_COLLECTION_WORDS = frozenset({"map", "set", "vec", "deque", "cache", "list", "queue", "heap"})
MAX_ALIAS_DEPTH = 3


class AmbientWrite(NamedTuple):
    """A store of ``value`` into ``slot`` at ``node`` (an assignment or a storing call)."""

    node: Node
    value: Node | None
    slot: StaticSlot
    method: str = ""


def _same(a: Node | None, b: Node | None) -> bool:
    return a is not None and b is not None and a.id == b.id


# Methods that decide what a use of a slot does: nothing further up the chain matters.
_DECIDING_METHODS = _SCOPED_FORMS | _STORING_METHODS | _ACCESS_METHODS


def _climb(ctx, node: Node) -> tuple[Node, tuple[str, Node] | None, bool]:
    """Walk up a method chain starting at ``node`` (``X.lock().unwrap()`` → lock, unwrap) to
    the first method in `_DECIDING_METHODS`, else to the outermost expression the chain is
    part of: where it stopped, that ``(method, call)`` if any, and whether a method was called."""
    called = False
    current = node
    while (parent := ctx.parent(current)) is not None:
        kind = parent.type
        if kind == "field_expression" and _same(parent.child_by_field_name("value"), current):
            call = ctx.parent(parent)
            method = parent.child_by_field_name("field")
            if call is not None and call.type == "call_expression" and _same(call.child_by_field_name("function"), parent) and method is not None:
                name = method.text.decode("utf-8", "replace")
                if name in _DECIDING_METHODS:
                    return call, (name, call), True
                called = True
                current = call
                continue
            current = parent
            continue
        if kind in ("try_expression", "await_expression", "parenthesized_expression", "reference_expression", "unary_expression"):
            current = parent
            continue
        break
    return current, None, called


class AmbientWriteFinder:
    """Finds the stores into declared statics, following `with` closures and lock guards."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.writes: list[AmbientWrite] = []
        self._seen: set[int] = set()

    def from_use(self, use: Node, slot: StaticSlot, depth: int = 0) -> None:
        top, deciding, called = _climb(self.ctx, use)
        if deciding is not None:
            method, call = deciding
            if method in _STORING_METHODS:
                self._storing_call(call, method, slot)
            elif method in _ACCESS_METHODS:
                self._through_closure(call, slot, depth)
            return
        parent = self.ctx.parent(top)
        if parent is None:
            return
        if parent.type in ("assignment_expression", "compound_assignment_expr") and _same(parent.child_by_field_name("left"), top):
            self._record(parent, parent.child_by_field_name("right"), slot)
        elif parent.type == "let_declaration" and _same(parent.child_by_field_name("value"), top) and called:
            self._through_guard(parent, slot, depth)

    def _record(self, node: Node, value: Node | None, slot: StaticSlot, method: str = "") -> None:
        if node.id not in self._seen:
            self._seen.add(node.id)
            self.writes.append(AmbientWrite(node, value, slot, method))

    def _storing_call(self, call: Node, method: str, slot: StaticSlot) -> None:
        arguments = call_arguments(call)
        if not arguments:
            return
        if method == "insert" and (len(arguments) != 1 or _holds_collection(slot)):
            return  # a map or set insert, not `Option::insert`: keyed storage, judged by ISO2xx rules
        if method == "push" and not _slot_names_scope(self.ctx, slot):
            return  # pushing onto a plain Vec is a collection, not a context stack
        value = arguments[0]
        if value.type == "closure_expression":
            value = value.child_by_field_name("body")
        self._record(call, value, slot, method)

    def _through_closure(self, call: Node, slot: StaticSlot, depth: int) -> None:
        arguments = call_arguments(call)
        if not arguments or arguments[0].type != "closure_expression" or depth >= MAX_ALIAS_DEPTH:
            return
        closure = arguments[0]
        parameters = closure.child_by_field_name("parameters")
        body = closure.child_by_field_name("body")
        names = {self.ctx.text(p) for p in (parameters.named_children if parameters is not None else ()) if p.type == "identifier"}
        names |= {self.ctx.text(p.named_children[-1]) for p in (parameters.named_children if parameters is not None else ()) if p.type == "parameter" and p.named_children}
        if body is None or not names:
            return
        for identifier in _identifiers(body):
            if self.ctx.text(identifier) in names:
                self.from_use(identifier, slot, depth + 1)

    def _through_guard(self, declaration: Node, slot: StaticSlot, depth: int) -> None:
        pattern = declaration.child_by_field_name("pattern")
        while pattern is not None and pattern.type in ("mut_pattern", "ref_pattern") and pattern.named_children:
            pattern = pattern.named_children[-1]
        block = self.ctx.parent(declaration)
        if pattern is None or pattern.type != "identifier" or block is None or depth >= MAX_ALIAS_DEPTH:
            return
        name = self.ctx.text(pattern)
        for identifier in _identifiers(block):
            if identifier.start_byte > declaration.end_byte and self.ctx.text(identifier) == name:
                self.from_use(identifier, slot, depth + 1)


def _identifiers(node: Node) -> list[Node]:
    return list(captures("(identifier) @id", node).get("id", ()))


def _scope_word(ctx, text: str) -> str | None:
    """A tenant, pack or flow word in ``text``; ``env`` alone in a *slot* name or type nearly
    always means the process environment, so it does not count there."""
    vocabulary = ctx.vocabulary
    found = vocabulary.tenant.match(text) or vocabulary.pack.match(text) or vocabulary.per_pack.match(text)
    if found and found not in PROCESS_ENVIRONMENT_WORDS:
        return found
    return "flow" if "flow" in words_of(text) else None


def _holds_collection(slot: StaticSlot) -> bool:
    return bool(set(words_of(slot.type_text)) & _COLLECTION_WORDS)


def _slot_names_scope(ctx, slot: StaticSlot) -> bool:
    """The slot's name or held type names a scope identity (``CURRENT_TENANT``,
    ``Option<TenantCtx>``), not a service or store named after one (``ORG_PROVISIONER``)."""
    for text in (slot.name, _held_type(slot.type_text)):
        found = _scope_word(ctx, text) if text else None
        if found is not None and (names_identity(text, found) or words_of(text)[-1] in _CONTEXT_HOLDER_TAILS):
            return True
    return False


def _names_requester(name: str) -> bool:
    """``CURRENT_USER``, ``CURRENT_SESSION``: a slot named for the current one of who makes a
    request, the ambient form of the request's own context."""
    words = set(words_of(name))
    return bool(words & _AMBIENT_WORDS) and bool(words & _REQUEST_IDENTITY_WORDS)


# A slot named for what it holds: `FLOW_STACK`, `TENANT_SLOT` hold the identity itself.
_CONTEXT_HOLDER_TAILS = frozenset({"stack", "slot", "slots", "frames", "chain", "cell"})


def _held_type(type_text: str) -> str:
    """The innermost type argument: what ``Mutex<Option<TenantCtx>>`` holds."""
    inner = type_text
    while "<" in inner and inner.endswith(">"):
        inner = inner[inner.index("<") + 1:-1].strip()
    return inner


def _value_evidence(ctx, composition: KeyComposition) -> str | None:
    """The ingredient of a written value that makes it tenant/pack/flow context: a scoping
    helper call, or a name or type with a scope word (``env`` alone does not count: startup
    code stores the deployment environment in globals routinely)."""
    for part in composition.parts:
        if part.kind == "literal":
            continue
        if part.kind == "helper" or _names_scope_identity(ctx, part):
            return f"{part.text}: {part.type_text}" if part.type_text else part.text
    return None


def _names_scope_identity(ctx, part) -> bool:
    """A value part that is a scope identity (``tenant``, ``flow_id: FlowId``, ``TenantCtx``),
    judged on its name, then on its type: not a service or path named after a scope word.
    Per-pack ids count only where the workspace has packs."""
    for text in (part.text.rsplit(".", 1)[-1], part.type_text):
        found = _scope_word(ctx, text) if text else None
        if found is None or not names_identity(text, found):
            continue
        if found == "flow" or ctx.vocabulary.per_pack.match(text) == found:
            if ctx.workspace.knows_workspace and not ctx.workspace.declares_scope(ctx.vocabulary)[1]:
                continue
        return True
    return False


# Struct levels read below a written value's type for the identity it carries: a request's
# context holds its login, the login holds the org.
MAX_CARRIER_DEPTH = 2


def _carried_identity(ctx, type_text: str) -> tuple[str, ...] | None:
    """The path to a field naming a scope identity inside the workspace struct ``type_text``
    holds, at most `MAX_CARRIER_DEPTH` structs down (``RequestCtx`` → ``("RequestCtx.login",
    "Login.org_id")``), through wrappers and references but not into collections."""
    model = ctx.workspace
    pending: list[tuple[str, tuple[str, ...]]] = [(type_text, ())]
    seen: set[str] = set()
    while pending:
        text, path = pending.pop()
        for expression in types_outside_collections(text):
            struct = model.struct(expression.name)
            if struct is None or expression.name in seen:
                continue
            seen.add(expression.name)
            for field, field_type in struct.fields:
                step = path + (f"{expression.name}.{field}",)
                found = _scope_word(ctx, field)
                if found is not None and names_identity(field, found) and ctx.vocabulary.per_pack.match(field) != found:
                    return step
                if len(step) < MAX_CARRIER_DEPTH:
                    pending.append((field_type, step))
    return None


# Words of a value that is who makes a request (beside `_REQUEST_IDENTITY_WORDS`): a request's
# own context, the claims or auth it was admitted with.
_REQUEST_CARRIER_WORDS = frozenset({"request", "req", "claims", "auth", "invocation"})


def _handed_identity(ctx, composition: KeyComposition, method: str = "") -> str | None:
    """What a write stores when its function was handed who makes a request, carrying a
    tenant identity (``fn install(ctx: RequestCtx) { *CURRENT.write() = Some(ctx) }`` with
    ``RequestCtx { login: Login { org_id } }``): a caller's context parked for whoever reads
    the slot next. A handed configuration that names a default org is the host's own; lazy
    initialisers store one value for the process."""
    if method in _LAZY_INITIALISERS:
        return None
    for part in composition.parts:
        if part.kind != "parameter" or not part.type_text:
            continue
        path = _carried_identity(ctx, part.type_text)
        if path is None:
            continue
        if set(words_of(" ".join((part.text, part.type_text) + path))) & (_REQUEST_IDENTITY_WORDS | _REQUEST_CARRIER_WORDS):
            return f"{part.text}: {part.type_text}` (holding `{' → '.join(path)}`)"
    return None


def _named_identity(ctx, value: Node) -> str | None:
    """A local the code itself names as a scope identity in the written value (``let tenant
    = headers.get(..)..; *slot = tenant.clone()``), where the trace reaches only its parts."""
    for identifier in _identifiers(value):
        text = ctx.text(identifier)
        found = _scope_word(ctx, text)
        if found is not None and names_identity(text, found) and ctx.vocabulary.per_pack.match(text) != found:
            return text
    return None


def _is_clearing(ctx, value: Node | None) -> bool:
    return value is None or bool(re.match(_CLEARING_VALUE, ctx.text(value).strip()))


def _slot_writes(ctx) -> list[AmbientWrite]:
    slots = declared_slots(ctx)
    if not slots:
        return []
    finder = AmbientWriteFinder(ctx)
    slots_named: dict[str, list[StaticSlot]] = {}
    for slot in slots:
        slots_named.setdefault(slot.name, []).append(slot)
    for name, uses in slot_uses(ctx, slots).items():
        same_named = slots_named[name]
        for use in uses:
            finder.from_use(use, _declaration_for(use, same_named))
    return finder.writes


def _declaration_for(use: Node, same_named: list[StaticSlot]) -> StaticSlot:
    """The declaration a use refers to when several statics share a name (function-local
    statics): the latest one declared before the use, else the first."""
    before = [slot for slot in same_named if slot.name_node.start_byte < use.start_byte]
    return before[-1] if before else same_named[0]


def _drop_function(ctx, node: Node) -> Node | None:
    """The ``fn drop`` of an ``impl Drop for …`` that encloses ``node``, if any."""
    function = ctx.enclosing_function(node)
    implementation = ctx.enclosing_impl(node) if function is not None else None
    if implementation is None or ctx.text(function.child_by_field_name("name") or function) != "drop":
        return None
    trait = implementation.child_by_field_name("trait")
    return function if trait is not None and ctx.text(trait).rsplit("::", 1)[-1] == "Drop" else None


def _runs_async(ctx, node: Node) -> bool:
    if ctx.enclosing(node, ("async_block",)) is not None:
        return True
    function = ctx.enclosing_function(node)
    if function is None:
        return False
    modifiers = next((c for c in function.children if c.type == "function_modifiers"), None)
    return modifiers is not None and "async" in ctx.text(modifiers)


def _guarded_writes(ctx, writes: list[AmbientWrite]) -> set[int]:
    """Writes that a guard undoes: the restore inside ``Drop::drop`` itself, and, in
    synchronous code, the writes to a slot that some ``Drop`` impl in the file restores
    (the RAII form of a scope). Across an ``.await`` a guard does not help: other tasks run
    on the thread while it is alive, so async writes stay reported."""
    if b"drop" not in ctx.source.data:
        return set()  # no `fn drop`: nothing restores a slot (saves a parent walk per write)
    in_drop = {w.node.id for w in writes if _drop_function(ctx, w.node) is not None}
    restored = {w.slot.name for w in writes if w.node.id in in_drop}
    return {
        write.node.id
        for write in writes
        if write.node.id in in_drop or (write.slot.name in restored and not _runs_async(ctx, write.node))
    }


def _slot_write_findings(ctx, tracer: KeyTracer):
    writes = _slot_writes(ctx)
    guarded = _guarded_writes(ctx, writes)
    for write in writes:
        if write.node.id in guarded or _is_clearing(ctx, write.value):
            continue
        slot = write.slot
        composition = tracer.trace(write.value)
        evidence = _value_evidence(ctx, composition)
        handed = _handed_identity(ctx, composition, write.method) if evidence is None else None
        if evidence is not None:
            why = f"the value carries `{evidence}`"
        elif handed is not None:
            why = f"the value is the caller's `{handed}"
        elif _slot_names_scope(ctx, slot) and write.method not in _LAZY_INITIALISERS:
            why = f"`{slot.describe()}` holds tenant/flow context"
        elif _names_requester(slot.name) and write.method not in _LAZY_INITIALISERS:
            why = f"`{slot.name}` holds who makes the current request"
        else:
            continue
        value_text = _short(ctx.text(write.value))
        if slot.storage == "task-local":
            where = f"task-local `{slot.name}`"
            consequence = (
                "whatever runs later in this task — the next tenant's message in a long-lived worker task, "
                "a span exporter — reads this tenant's context unless every path resets it"
            )
            repair = f"enter the context with `{slot.name}.scope(ctx, fut)`, which restores the previous value when the work ends"
        elif slot.is_per_thread:
            where = f"thread-local `{slot.name}`"
            consequence = (
                "whatever runs next on this thread — another tenant's request, a task the runtime moved here, "
                "a span exporter — reads this tenant's context unless every path resets it"
            )
            repair = "pass the context explicitly, or use a scoped form that restores it (`task_local!` with `SLOT.scope(ctx, fut)`)"
        else:
            where = f"process-global `{slot.name}`"
            consequence = "every tenant served by this process reads whichever tenant wrote last"
            repair = "pass the context explicitly instead of storing it in a static"
        related = [ctx.related(slot.name_node, f"`{slot.name}` declared here")]
        if composition.composed_at:
            related.append(ctx.related(composition.composed_at[0], "written value composed here"))
        yield ctx.finding(
            write.node,
            f"tenant context `{value_text}` is written into {where} ({why}): {consequence}; {repair}",
            related=related,
            notes=(composition.describe() + " — ambient tenant context",),
        )


def _short(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _setter_kind(ctx, segments: list[str]) -> str | None:
    """How a call's path says it sets ambient context: ``"configured"`` (listed in
    ``telemetry.extra-setters``), ``"named"`` (``set_current_tenant_ctx``, or
    ``TenantContext::set`` on a tenant-context holder type), ``"context"`` (only says
    ctx/context, so the argument must carry tenant data), else None."""
    name = segments[-1] if segments else ""
    if name in ctx.settings.extra_telemetry_setters:
        return "configured"
    if len(segments) > 1 and _is_context_holder_type(ctx, segments[-2]) and name in _HOLDER_SETTERS:
        return "named"
    words = set(words_of(name))
    if not (words & _SETTER_ACTIONS and words & _AMBIENT_WORDS):
        return None
    subjects = words & _SUBJECT_WORDS
    if ctx.vocabulary.tenant.match(name) or ctx.vocabulary.pack.match(name):
        subjects.add("tenant")
    if not subjects:
        return None
    return "context" if subjects <= _CONTEXT_ONLY_WORDS else "named"


def _is_context_holder_type(ctx, segment: str) -> bool:
    """``TenantContext``, ``CurrentTenant``, ``FlowCtxHolder``: a type named for tenant/flow
    scope and for holding the current one."""
    if not segment[:1].isupper() or segment.isupper():
        return False
    words = set(words_of(segment))
    return _scope_word(ctx, segment) is not None and bool(words & _HOLDER_WORDS)


def _binds_guard(ctx, call: Node) -> bool:
    """``let _guard = enter_current_tenant(t);``: the setter returns a guard that restores the
    previous context when it goes out of scope, the RAII form of a scope."""
    parent = ctx.parent(call)
    while parent is not None and parent.type in ("try_expression", "await_expression"):
        parent = ctx.parent(parent)
    if parent is None or parent.type != "let_declaration":
        return False
    pattern = parent.child_by_field_name("pattern")
    words = set(words_of(pattern.text.decode("utf-8", "replace"))) if pattern is not None else set()
    return bool(words & _GUARD_WORDS)


def _forwards_own_parameters(ctx, call: Node, compositions: list[KeyComposition]) -> bool:
    """``fn set_current_tenant_ctx(ctx: TenantCtx) { inner::set_current_telemetry_ctx(ctx.into()) }``:
    a setter that passes its own parameter on to another setter. Its name makes it a setter by
    the same rule, so each call of it is reported where the caller's tenant goes in; reporting
    the forwarding line as well would say the same thing twice."""
    function = ctx.enclosing_function(call)
    name = function.child_by_field_name("name") if function is not None else None
    if name is None:
        return False
    own = ctx.text(name)
    if own not in ctx.settings.extra_telemetry_setters and _setter_kind(ctx, [own]) != "named":
        return False
    parameters = function.child_by_field_name("parameters")
    names = {
        ctx.text(pattern)
        for parameter in (parameters.named_children if parameters is not None else ())
        if parameter.type == "parameter" and (pattern := parameter.child_by_field_name("pattern")) is not None
    }
    return any(
        part.kind == "parameter" or (part.kind == "field" and part.text.split(".", 1)[0] in names)
        for composition in compositions
        for part in composition.parts
    )


# Callees whose last path segment is a child (``NAME_FIELDS``); any other callee is one
# segment, its whole text.
_SPLIT_CALLEES = frozenset({"identifier", "scoped_identifier", "field_expression", "generic_function"})
_AMBIENT_SPELLINGS = tuple(word.encode() for word in sorted(_AMBIENT_WORDS))
_HOLDER_SPELLINGS = tuple(word.encode() for word in sorted(_HOLDER_WORDS))


def _in_source_order(calls) -> list[Node]:
    return sorted(calls, key=lambda call: (call.start_byte, -call.end_byte))


def _calls_named_ambient(ctx) -> list[Node]:
    """Calls whose callee's last path segment holds current/global/ambient, the words a
    setter's name needs (`_setter_kind`), found from where those words are spelled. Words are
    ASCII letters and digits, so the lower-cased bytes spell every one of them."""
    lowered = ctx.source.data.lower()
    root = ctx.root
    calls = []
    for spelling in _AMBIENT_SPELLINGS:
        start = lowered.find(spelling)
        while start != -1:
            calls.extend(_calls_over(root, start, start + len(spelling)))
            start = lowered.find(spelling, start + 1)
    return calls


def _calls_over(root: Node, start: int, end: int) -> list[Node]:
    """Calls whose callee's last path segment spans ``start..end``, or whose whole callee
    does when it is one segment (not `_SPLIT_CALLEES`): read off the nodes, and the fields
    they fill, on the way down to that range (one descent instead of a parent walk per step)."""
    path: list[tuple[Node, str | None]] = [(root, None)]
    cursor = root.walk()
    while cursor.goto_first_child_for_byte(start) is not None:
        node = cursor.node
        if node.start_byte > start or node.end_byte < end:
            break
        path.append((node, cursor.field_name))
    calls = [
        parent
        for (parent, _), (node, field) in zip(path, path[1:])
        if field == "function" and parent.type == "call_expression" and node.type not in _SPLIT_CALLEES
    ]
    # Up from the deepest node as `_call_named_by` goes: out of a path or method call, out of
    # turbofish generics, into the call.
    level = len(path) - 1
    if level > 0 and path[level - 1][0].type in NAME_FIELDS and path[level][1] == NAME_FIELDS[path[level - 1][0].type]:
        level -= 1
    if level > 0 and path[level - 1][0].type == "generic_function" and path[level][1] == "function":
        level -= 1
    if level > 0 and path[level - 1][0].type == "call_expression" and path[level][1] == "function":
        calls.append(path[level - 1][0])
    return calls


def _setter_candidates(ctx) -> list[Node]:
    """Every call `_setter_kind` may call a setter, each once, in source order: one with a
    configured name or path, a holder-type setter, or one whose name holds an ambient word."""
    found = {call.id: call for call in calls_named(ctx, ctx.settings.extra_telemetry_setters)}
    for call in calls_named(ctx, _HOLDER_SETTERS):
        if _spells_holder_word(call):
            found.setdefault(call.id, call)
    for call in _calls_named_ambient(ctx):
        found.setdefault(call.id, call)
    return _in_source_order(found.values())


def _spells_holder_word(call: Node) -> bool:
    """Whether the callee spells a `_HOLDER_WORDS` word, as the type segment before a holder
    setter must (`_is_context_holder_type`): `span.enter()` is no such setter."""
    function = call.child_by_field_name("function")
    text = function.text.lower() if function is not None else b""
    return any(word in text for word in _HOLDER_SPELLINGS)


def _setter_findings(ctx, tracer: KeyTracer):
    configured_paths = ctx.settings.extra_telemetry_setters
    for call in _setter_candidates(ctx):
        function = call.child_by_field_name("function")
        segments = ctx.path_segments(function)
        name = segments[-1] if segments else ""
        kind = "configured" if ctx.text(function) in configured_paths else _setter_kind(ctx, segments)
        if kind is None or _binds_guard(ctx, call):
            continue
        arguments = call_arguments(call)
        if not arguments or all(_is_clearing(ctx, argument) for argument in arguments):
            continue
        compositions = [tracer.trace(argument) for argument in arguments]
        if _forwards_own_parameters(ctx, call, compositions):
            continue
        evidence = next((e for e in (_value_evidence(ctx, c) for c in compositions) if e is not None), None)
        if kind == "context" and evidence is None:
            continue
        why = f"its argument carries `{evidence}`" if evidence is not None else f"`{name}` sets tenant context by name"
        if kind == "configured":
            why = f"`{name}` is a configured telemetry setter (`telemetry.extra-setters`)" + (f" and its argument carries `{evidence}`" if evidence else "")
        related = [ctx.related(c.composed_at[0], "context composed here") for c in compositions if c.composed_at][:1]
        yield ctx.finding(
            function,
            f"`{name}` pushes tenant context into ambient process/thread state ({why}): code that runs later on this "
            "thread or in this process — another tenant's request, a background task, a log or span exporter — sees this "
            "tenant's context; pass the context explicitly or enter it with a scope that restores the previous value",
            related=related,
            notes=tuple(c.describe() + " — ambient tenant context" for c in compositions[:1]),
        )


# What a request carries about who makes it: written into one shared slot, it becomes every
# concurrent request's.
_REQUEST_IDENTITY_WORDS = frozenset({"user", "login", "namespace", "principal", "identity", "session", "caller", "role"})
_SLOT_WRITE_METHODS = ("set", "store", "swap", "replace")
# Flat patterns (the method name alone, its call read in Python by `method_call_of`): one
# nested under `call_expression` keeps a state open per level of a long method chain.
_SLOT_WRITES = """
(assignment_expression left: (unary_expression) @deref right: (_) @value) @write
((field_identifier) @method (#any-of? @method %s))
""" % " ".join(f'"{name}"' for name in _SLOT_WRITE_METHODS)


def _slot_writes_in_file(ctx):
    """``(write, slot, value)`` of every ``*slot.. = value`` and ``slot.set(value)``-style call."""
    for _, found in matches(_SLOT_WRITES, ctx.root):
        if "write" in found:
            deref = found["deref"][0]
            if deref.named_children:
                yield found["write"][0], deref.named_children[-1], found["value"][0]
            continue
        call = method_call_of(found["method"][0], ctx.ancestry)
        arguments = call_arguments(call) if call is not None else []
        if arguments:
            yield call, call.child_by_field_name("function").child_by_field_name("value"), arguments[0]


def _shared_slot_findings(ctx, tracer: KeyTracer):
    """Request context written into one field of the host's shared state (``*self.current_user
    .lock() = Some(login)``, ``state.namespace.store(..)``): one slot for all requests. In a
    request handler or host interface, whatever names who makes the request counts; in any
    other code but startup, a tenant identity or a handed request's context that carries one
    (middleware, a dispatcher's `begin(caller)`)."""
    entries = {entry.function.id: entry for entry in tenancy.file_guest_entries(ctx)}
    for write, slot, value in _slot_writes_in_file(ctx):
        function = ctx.enclosing_function(write)
        if function is None or ctx.should_skip(write):
            continue
        entry = entries.get(function.id)
        if entry is None and is_startup(ctx, function):
            continue
        root = chain_root(slot)
        accessed = ctx.parent(root) if root is not None else None
        if accessed is None or accessed.type != "field_expression":
            continue
        owner = tenancy.owner_type(ctx, root, tracer)
        field = node_text(accessed.child_by_field_name("field"))
        field_type = ctx.workspace.field_type(owner, field) if owner else None
        if not field_type or not tenancy.owns_host_state(ctx, owner) or ctx.workspace.collections_in(field_type):
            continue
        if _is_clearing(ctx, value):
            continue
        composition = tracer.trace(value)
        evidence = _value_evidence(ctx, composition) or _named_identity(ctx, value)
        if evidence is None and entry is not None:
            evidence = next((part.text for part in composition.parts if part.kind != "literal"
                             and set(words_of(part.text.rsplit(".", 1)[-1])) & _REQUEST_IDENTITY_WORDS), None)
        shown = _short(evidence) if evidence is not None else _handed_identity(ctx, composition)
        if shown is None:
            continue
        if entry is not None:
            related = [ctx.related(entry.chosen[next(iter(entry.chosen))], f"a {entry.where}: one call per request")]
        else:
            related = [ctx.related(function.child_by_field_name("name") or function, "written each time this runs, not once at startup")]
        yield ctx.finding(
            write,
            f"`{shown}` of this request is written into `{field}` of `{owner}`, the host's one shared "
            f"state: a slot, not a map, so every concurrent request reads the last writer's value and can run as "
            f"another tenant's user; pass the request's context along instead",
            related=related,
        )


def _environment_variable_findings(ctx, tracer: KeyTracer):
    """``std::env::set_var("ORG_ID", &claims.org_id)`` outside startup: the process
    environment is one slot for every tenant the process serves, read by whatever runs next
    (a child process, a library that reads its settings from the environment)."""
    for call in calls_named(ctx, frozenset({"set_var"})):
        function_node = call.child_by_field_name("function")
        segments = ctx.path_segments(function_node) if function_node is not None else []
        if segments[:-1][-1:] not in ([], ["env"]) or ctx.should_skip(call):
            continue
        function = ctx.enclosing_function(call)
        arguments = call_arguments(call)
        if function is None or len(arguments) != 2 or is_startup(ctx, function) or _is_clearing(ctx, arguments[1]):
            continue
        name = ctx.text(arguments[0]).strip('"')
        if name.startswith(TELEMETRY_ENV_PREFIXES):
            continue  # the exporter's and filter's settings: ISO302 judges those
        composition = tracer.trace(arguments[1])
        evidence = _value_evidence(ctx, composition) or _named_identity(ctx, arguments[1])
        found = _scope_word(ctx, name)
        named = arguments[0].type == "string_literal" and (found is not None and names_identity(name, found) or _names_requester(name))
        if evidence is None and not named:
            continue
        why = f"the value carries `{_short(evidence)}`" if evidence is not None else f"`{name}` names who the work is for"
        yield ctx.finding(
            call,
            f"tenant context is written into the process environment variable `{_short(name, 40)}` ({why}): one "
            "environment for every tenant this process serves, so whatever reads it next — another tenant's request, a "
            "child process, a library configured from the environment — sees this tenant's value; pass it explicitly "
            "(to a child process, `Command::env`)",
        )


def check(ctx):
    if not ctx.serves_tenants:
        return  # tests, benchmarks, examples and tooling serve no tenant
    tracer = KeyTracer(ctx)
    yield from _slot_write_findings(ctx, tracer)
    yield from _setter_findings(ctx, tracer)
    yield from _shared_slot_findings(ctx, tracer)
    yield from _environment_variable_findings(ctx, tracer)


RULE = Rule(
    code="ISO301",
    reach="linked-bodies",
    type_declaration_words=(),
    name="ambient-tenant-context",
    summary="Tenant or flow context written into ambient state: a `thread_local!`, a process-global static, a `set_current_tenant`-style setter, or one field of the host's shared state written per request.",
    rationale=(
        "A host that runs many tenants' flows in one process must know, at every log line, "
        "span, metric and secret lookup, whose work it is doing. Storing that in ambient state "
        "— a `thread_local!` written with `*cell.borrow_mut() = Some(tenant)`, a static "
        "`Mutex<Option<TenantCtx>>`, a `set_current_tenant_ctx(..)` setter — makes the answer "
        "depend on what ran before on the same thread or in the same process. Async runtimes "
        "move tasks between threads and interleave tenants on one thread, so the next tenant's "
        "request, a spawned task or a telemetry exporter reads the previous tenant's context, "
        "and a missed reset on an error path tags one tenant's data with another's identity. "
        "Pass the context explicitly, record it as span attributes, or use a scoped form that "
        "restores the previous value (`task_local!` with `SLOT.scope(ctx, fut)`, or in synchronous "
        "code a guard whose `Drop` restores it, `let _guard = enter_current_tenant(t)`), which stays "
        "quiet. Setters are recognised by name (set/push/enter/install + current/global/ambient + "
        "tenant/flow/pack/ctx), as `TenantContext::set(..)` on a tenant-context holder type, and "
        "from `telemetry.extra-setters`; slots are the `thread_local!`/`task_local!`/`static` "
        "items declared in the same file. A lazy initialiser (`SLOT.get_or_init(..)`) runs once "
        "per process and is judged by what it stores, not by the static's name; a setter that "
        "only passes its own parameter on to another setter is reported where it is called. A "
        "value tells whose it is by its name, or by its declared type: a handed `RequestCtx` "
        "whose `login` holds an `org_id` is a request's context, a static named for the current "
        "user or session holds one. The same holds for one field of the host's shared state "
        "(`*state.current_user.lock() = ..`), written by a handler, a middleware or a method of a "
        "host-wide service, but not by startup code; and for the process environment "
        "(`env::set_var(\"ORG_ID\", ..)` outside startup)."
    ),
    bad_example=(
        "thread_local! {\n"
        "    static CURRENT_TENANT: RefCell<Option<TenantCtx>> = RefCell::new(None);\n"
        "}\n"
        "\n"
        "fn run_flow(tenant: &TenantCtx, flow: &Flow) -> Result<Output> {\n"
        "    CURRENT_TENANT.with(|c| *c.borrow_mut() = Some(tenant.clone()));\n"
        "    flow.execute()\n"
        "}\n"
    ),
    good_example=(
        "tokio::task_local! {\n"
        "    static CURRENT_TENANT: TenantCtx;\n"
        "}\n"
        "\n"
        "async fn run_flow(tenant: &TenantCtx, flow: &Flow) -> Result<Output> {\n"
        "    CURRENT_TENANT.scope(tenant.clone(), flow.execute()).await\n"
        "}\n"
    ),
    default_severity=Severity.WARNING,
    fix_availability=FixAvailability.NONE,
    fix_safety=None,
    check=check,
    # A write needs a declared static (`static` items and `static` lines of thread_local!,
    # task_local!, lazy_static!); a setter call a configured setter, a holder type named
    # for context (_HOLDER_WORDS) or an ambient word (_AMBIENT_WORDS) in its name.
    # Then: spellings of the guest entries (host interfaces, extractors) whose request context
    # may be written into a field of shared state; the writes into such a field from any
    # other code (through a lock guard, a cell or a swap); a process environment write.
    triggers=(b"static", b"context", b"ctx", b"holder", b"current", b"local", b"ambient", b"global",
              b"host", b"path<", b"json<", b"headermap",
              b"lock()", b"write()", b"borrow_mut()", b".store(", b".swap(", b".replace(", b".set(", b"set_var"),
    configured_triggers=lambda settings: exact_name_triggers(settings.extra_telemetry_setters),
    queries=(*statics.QUERIES, *keyflow.QUERIES, *tenancy.QUERIES, _SLOT_WRITES),
    message="tenant context `{value}` is written into thread-local/process-global `{SLOT}` ({why}): {consequence}",
    options=("telemetry.extra-setters", "scope.tenant-identifiers", "scope.pack-identifiers", "scope.per-pack-identifiers", "lint-tests"),
)
