"""Who writes a process-wide static, and with which key: uses read across the workspace.

A static is one per process, but whether it mixes tenants depends on its uses: a cache
filled by a function that has the tenant in reach and leaves it out of the key mixes them; a
cache keyed by what the tenant's own id already includes, or filled only by host
bookkeeping, does not. This module finds a static's uses in every workspace file that
mentions it (``checks.workspace``), follows accessor functions (``fn cache() -> &'static
…``) and ``let`` guards to the keyed call, and follows a key that is a parameter one call
level up to the callers that chose it.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from tree_sitter import Node

from .call_sites import arguments_for, callers_with_tenant, calls_of_function, file_context, function_name, module_name, nowhere_called, tenant_in_reach
from .context import VALUE_WRAPPERS, AnalysisContext, call_arguments, calls_named, node_text, nodes_spelled, same_node, wrapped_value
from .keyed_collections import RECEIVER_PASSTHROUGH
from .keyflow import PASSTHROUGH_METHODS, KeyTracer
from .statics import StaticSlot
from .vocabulary import words_of
from .workspace import named_types, parse_type

# Calls that store an entry under a key: where a key decides whose data an entry is (a
# lookup or removal stores nothing).
KEYING_METHODS = frozenset({
    "insert", "entry", "put", "get_or_insert", "get_or_insert_with", "get_with", "try_get_with",
    "optionally_get_with", "try_insert", "get_with_by_ref", "insert_with", "get_value_or_guard",
    "get_or_try_insert_with", "push", "push_back", "push_front",
})
# Calls that read or drop an entry by key: a per-pack id without its pack reads another
# pack's entry; a removal or invalidation stores nothing, so it is no tenant's entry.
LOOKUP_METHODS = frozenset({"get", "get_mut", "contains_key", "contains", "remove", "peek", "get_key_value",
                            "invalidate", "remove_entry", "evict", "pop"})
_STEP_TYPES = frozenset({"field_expression", "call_expression", "await_expression", "try_expression", "reference_expression",
                         "parenthesized_expression", "unary_expression", "index_expression"})


class Evidence(NamedTuple):
    """A use of a static that mixes tenants: where, and what the message says of it."""

    node: Node
    ctx: AnalysisContext
    message: str


class UseReport(NamedTuple):
    """What a static's uses show: ``uses`` counts those read (in functions of code that can
    serve tenants); ``evidence`` the ones that mix tenants."""

    uses: int
    evidence: list[Evidence]


def _keyed_call(ctx: AnalysisContext, use: Node) -> tuple[Node, Node] | None:
    """``(call, key)`` when ``use`` is the receiver of a keyed method, through guards and
    conversions (``CACHE.write().await.insert(k, v)``), and through the path naming it in
    another module or crate (``caches::CACHE``, ``other_crate::CACHE``)."""
    node = use
    qualified = ctx.parent(use)
    if qualified is not None and qualified.type == "scoped_identifier" and same_node(qualified.child_by_field_name("name"), use):
        node = qualified
    while True:
        parent = ctx.parent(node)
        if parent is None or parent.type not in _STEP_TYPES:
            return None
        if parent.type == "index_expression" and not same_node(parent.named_children[0] if parent.named_children else None, node):
            return None  # the static is the index, not what is indexed
        if parent.type == "field_expression":
            field = parent.child_by_field_name("field")
            name = node_text(field) if field is not None else ""
            call = ctx.parent(parent)
            if call is None or call.type != "call_expression" or not same_node(call.child_by_field_name("function"), parent):
                node = parent  # a field of what the static holds (`guard.data.entry(k)`)
                continue
            if name in KEYING_METHODS or name in LOOKUP_METHODS:
                arguments = call_arguments(call)
                return (call, arguments[0]) if arguments else None
            if name not in RECEIVER_PASSTHROUGH:
                return None
            node = call
            continue
        if parent.type == "call_expression":
            return None
        node = parent


THREAD_LOCAL_ACCESSORS = frozenset({"with", "with_borrow", "with_borrow_mut"})


STORING_METHODS = frozenset({"set", "store", "swap", "replace", "insert", "push", "push_back", "send", "try_send",
                             "get_or_init", "get_or_insert", "get_or_insert_with", "extend", "append"})


def _stored_value(ctx: AnalysisContext, use: Node) -> Node | None:
    """What a use stores into the static: the arguments of a storing method reached through
    guards (``SLOT.lock().unwrap().replace(v)``), or the right side of an assignment to it."""
    node = use
    while True:
        parent = ctx.parent(node)
        if parent is None:
            return None
        if parent.type == "assignment_expression" and parent.child_by_field_name("left") is not None and \
                parent.child_by_field_name("left").start_byte <= use.start_byte < parent.child_by_field_name("left").end_byte:
            return parent.child_by_field_name("right")
        if parent.type not in _STEP_TYPES:
            return None
        if parent.type == "field_expression":
            name = node_text(parent.child_by_field_name("field"))
            call = ctx.parent(parent)
            if call is None or call.type != "call_expression":
                return None
            if name in STORING_METHODS:
                return call.child_by_field_name("arguments")
            if name not in RECEIVER_PASSTHROUGH:
                return None
            node = call
            continue
        node = parent


def _bound_guard(ctx: AnalysisContext, use: Node) -> Node | None:
    """The identifier a ``let`` binds the static (or a guard of it) to, or the parameter of
    the closure a thread-local's ``with`` hands it to."""
    access = ctx.parent(use)
    if access is not None and access.type == "field_expression" and node_text(access.child_by_field_name("field")) in THREAD_LOCAL_ACCESSORS:
        call = ctx.parent(access)
        closure = call_arguments(call)[0] if call is not None and call.type == "call_expression" and call_arguments(call) else None
        if closure is not None and closure.type == "closure_expression":
            parameters = closure.child_by_field_name("parameters")
            first = parameters.named_children[0] if parameters is not None and parameters.named_children else None
            while first is not None and first.type in ("parameter", "mut_pattern", "reference_pattern"):
                first = first.child_by_field_name("pattern") if first.type == "parameter" else (first.named_children[-1] if first.named_children else None)
            return first if first is not None and first.type == "identifier" else None
    node = use
    while (let := ctx.parent(node)) is not None and let.type in _STEP_TYPES:
        node = let
    if let is None or let.type != "let_declaration":
        return None
    pattern = let.child_by_field_name("pattern")
    while pattern is not None and pattern.type == "mut_pattern":
        pattern = pattern.named_children[-1] if pattern.named_children else None
    return pattern if pattern is not None and pattern.type == "identifier" else None


def _is_accessor(function: Node) -> bool:
    """A function that hands out the static itself (``fn jobs() -> &'static Mutex<..>``)."""
    returns = function.child_by_field_name("return_type")
    return returns is not None and "'static" in node_text(returns)











# Steps (a borrow, an `.await`, a `?`, a `.clone()`, a `let`) followed from a stored value
# back to the call that returned it.
MAX_VALUE_STEPS = 8
# Functions a key is followed through, from the one keying the static up to a caller with
# the tenant in reach.
MAX_CALLER_LEVELS = 4


class StaticUses:
    """Reads the uses of one file's statics across the workspace."""

    def __init__(self, ctx: AnalysisContext):
        self.ctx = ctx
        self._tracers: dict[str, KeyTracer] = {}
        # What resolving callees made (other files' contexts), kept for the whole report.
        self._callee_memo: dict = {}

    def _tracer(self, ctx: AnalysisContext) -> KeyTracer:
        tracer = self._tracers.get(ctx.path_key)
        if tracer is None:
            tracer = self._tracers[ctx.path_key] = KeyTracer(ctx)
        return tracer

    def report(self, slot: StaticSlot, keyed: bool, own_uses: list[Node], holds_known_state: bool = True) -> UseReport:
        """``own_uses``: the static's uses in its own file; other files are read when the
        static is public. ``holds_known_state``: whether the model sees mutable state inside
        a value that is not a keyed collection (an outside client's insides are unknown: its
        uses prove nothing)."""
        sites: list[tuple[AnalysisContext, Node]] = [(self.ctx, use) for use in own_uses]
        if _declared_public(slot):
            module = module_name(self.ctx.path_key)
            for path in self.ctx.workspace.files_mentioning(slot.name):
                if path == self.ctx.path_key or not self.ctx.workspace.refers_to(path, module, slot.name):
                    continue
                other = file_context(self.ctx, path)
                if other is not None:
                    sites.extend((other, node) for node in nodes_spelled(other, slot.name) if node.type == "identifier")
        uses = 0
        evidence: list[Evidence] = []
        pending = list(sites)
        followed: set[str] = set()
        while pending:
            ctx, use = pending.pop(0)
            if not ctx.serves_tenants or ctx.should_skip(use):
                continue
            function = ctx.enclosing_function(use)
            if function is None:
                continue
            if _is_accessor(function) and function_name(function) not in followed:
                name = function_name(function)
                followed.add(name)
                callers = calls_of_function(ctx, function)
                if not callers and nowhere_called(ctx, function) and (keyed or holds_known_state):
                    uses += 1
                    evidence.append(Evidence(function.child_by_field_name("name"), ctx,
                                             f"handed out by public `fn {name}`, which no code of the workspace calls: its callers cannot be judged"))
                pending.extend(callers)
                continue
            uses += 1
            if not keyed and not holds_known_state:
                continue
            found = self._judge(ctx, use, function, keyed)
            if found is not None:
                evidence.append(found)
        return UseReport(uses, evidence)

    def _judge(self, ctx: AnalysisContext, use: Node, function: Node, keyed: bool) -> Evidence | None:
        reach = tenant_in_reach(ctx, function)
        if keyed:
            for call, key in self._keyed_sites(ctx, use, function):
                found = self._judge_key(ctx, call, key, function, reach)
                if found is not None:
                    return found
            return None
        if reach is None:
            return self._unjudged_public(ctx, function)
        if ctx.workspace.knows_workspace:
            # Where the model knows the workspace, only what is stored counts: reading a
            # shared value beside a tenant's data mixes nothing.
            stored = _stored_value(ctx, use)
            if stored is None:
                return None
            looked_at = node_text(stored)
            message = f"`fn {function_name(function)}` stores `{reach}`'s data in it"
        else:
            statement = use
            while (parent := ctx.parent(statement)) is not None and parent.type not in ("block", "function_item"):
                statement = parent
            looked_at = node_text(statement)
            message = f"`fn {function_name(function)}` uses it with `{reach}`'s data"
        if set(words_of(reach)) & set(words_of(looked_at)) - {"self"}:
            return Evidence(use, ctx, message)
        return None

    def _unjudged_public(self, ctx: AnalysisContext, function: Node) -> Evidence | None:
        """A public function that no code of the workspace calls: whoever calls it, on
        whichever tenant's behalf, is out of sight, so the use is reported."""
        name = function_name(function)
        if not nowhere_called(ctx, function):
            return None
        return Evidence(function.child_by_field_name("name"), ctx, f"reached from public `fn {name}`, which no code of the workspace calls: its callers cannot be judged")

    def _keyed_sites(self, ctx: AnalysisContext, use: Node, function: Node):
        direct = _keyed_call(ctx, use)
        if direct is not None:
            yield direct
            return
        guard = _bound_guard(ctx, use)
        if guard is None:
            return
        name = node_text(guard)
        for later in nodes_spelled(ctx, name, guard.end_byte, function.end_byte):
            if later.type == "identifier":
                site = _keyed_call(ctx, later)
                if site is not None:
                    yield site

    def _judge_key(self, ctx: AnalysisContext, call: Node, key: Node, function: Node, reach: str | None) -> Evidence | None:
        vocabulary = ctx.vocabulary
        composition = self._tracer(ctx).trace(key)
        per_pack = composition.per_pack_ids(vocabulary)
        if per_pack and composition.pack_evidence(vocabulary) is None and ctx.workspace.declares_scope(vocabulary)[1]:
            return Evidence(key, ctx, f"keyed by `{per_pack[0].text}` without its pack: the id is unique only within one pack")
        if composition.scope_evidence(vocabulary) is not None or _fixed_by_host(composition):
            return None
        if _typed_entity_id(composition):
            return None
        if _method_of(call) in LOOKUP_METHODS:
            return None  # what an unscoped lookup finds was stored by the writes, judged there
        if self._memoises(ctx, call, composition):
            return None
        if reach is not None:
            if self._entry_records_owner(ctx, call, reach):
                return None
            return Evidence(key, ctx, f"keyed by `{node_text(key)}` in `fn {function_name(function)}`, which has `{reach}` in reach and leaves it out")
        parameters = {part.text for part in composition.parameters()}
        if parameters and composition.parts and all(part.kind in ("parameter", "literal") for part in composition.parts):
            return self._judge_callers(ctx, function, parameters)
        return None

    def _memoises(self, ctx: AnalysisContext, call: Node, key) -> bool:
        """The stored value is made from the key alone (``insert(addr, connect(addr))``), or
        there is no value (a set): an entry says nothing but its key, so whoever reads it gets
        what the key determines, whichever tenant stored it."""
        value = _stored_value_of(ctx, call)
        if value is None:
            return _method_of(call) != "entry" and not _is_map_write(call)
        if _accumulates(ctx, call):
            return False  # `*entry(k).or_insert(0) += n`: every writer adds to the same entry
        if value.type == "identifier" and self._filled_beyond_key(ctx, value, key):
            return False  # made, then filled with more than the key (`let mut m = HashMap::new(); m.insert(row..)`)
        traced = self._tracer(ctx).trace(value)
        return _made_from(traced, key) and not self._reads_shared_state(ctx, traced)

    def _filled_beyond_key(self, ctx: AnalysisContext, value: Node, key) -> bool:
        """Whether the collection bound to ``value`` grows, after its ``let`` and before it is
        stored, by what is not made from the key alone (``selection.insert(row.name, ..)``)."""
        tracer = self._tracer(ctx)
        binding = tracer.scope_of(value).binding_before(node_text(value), value)
        function = ctx.enclosing_function(value)
        if binding is None or binding.type != "let_declaration" or function is None:
            return False
        name = node_text(value)
        for later in nodes_spelled(ctx, name, binding.end_byte, value.start_byte):
            field = ctx.parent(later)
            call = ctx.parent(field) if field is not None else None
            if later.type != "identifier" or field is None or field.type != "field_expression" or call is None \
                    or call.type != "call_expression" or node_text(field.child_by_field_name("field")) not in _ACCUMULATING_METHODS:
                continue
            if not all(_made_from(tracer.trace(argument), key) for argument in call_arguments(call)):
                return True
        return False

    @staticmethod
    def _reads_shared_state(ctx: AnalysisContext, value) -> bool:
        """The value comes through another process-wide object (``http().get(url)``, a
        ``&'static`` accessor or a static): what it holds then depends on more than the key."""
        workspace = ctx.workspace
        for part in value.parts:
            name = part.text.rsplit("::", 1)[-1].rsplit(".", 1)[-1]
            if part.kind == "call" and any("'static" in signature.returns for signature in workspace.signatures_named(name)):
                return True
            if name.isupper() and workspace.declares_static(name):
                return True
        return False

    def _entry_records_owner(self, ctx: AnalysisContext, call: Node, reach: str) -> bool:
        """The stored value carries the tenant in reach (``insert(id, org_id)``, a record
        fetched for it): the entry names its owner, so readers can and do check it."""
        arguments = call_arguments(call)
        if len(arguments) < 2:
            return False
        value = self._tracer(ctx).trace(arguments[1])
        owner_words = set(words_of(reach)) - {"self"}
        carries = value.scope_evidence(ctx.vocabulary) is not None or any(
            owner_words & set(words_of(part.text)) for part in value.parts if part.kind != "literal")
        if not carries:
            return False
        # Fetched with the scope is not recorded with it: a workspace function handed the
        # tenant that returns a type naming none (`fetch_version(project_id, table_id) -> u64`)
        # leaves an entry nobody can tell the owner of, though the fetch needed the scope to
        # find it.
        returned = self._returned_type(ctx, arguments[1], self._tracer(ctx))
        return returned is None or any(ctx.workspace.names_scope(held, ctx.vocabulary) is not None for held in named_types(returned))

    def _returned_type(self, ctx: AnalysisContext, value: Node, tracer: KeyTracer, steps: int = MAX_VALUE_STEPS) -> str | None:
        """The declared type of a stored value that a workspace function returned: the callee's
        return type, through ``.await``, ``?``, ``.clone()`` and ``let``s. None when the value
        is anything else (a ``format!``, a struct built here) or the callee is unknown."""
        from .tenancy import callee_definition

        node: Node | None = value
        while node is not None and steps > 0:
            steps -= 1
            if node.type in VALUE_WRAPPERS:
                node = wrapped_value(node)
            elif node.type == "identifier":
                binding = tracer.scope_of(node).binding_before(node_text(node), node)
                node = binding.child_by_field_name("value") if binding is not None else None
            elif node.type == "call_expression":
                callee = node.child_by_field_name("function")
                if callee is not None and callee.type == "field_expression" and node_text(callee.child_by_field_name("field")) in PASSTHROUGH_METHODS:
                    node = callee.child_by_field_name("value")
                    continue
                found = callee_definition(ctx, node, self._callee_memo)
                returns = found[1].child_by_field_name("return_type") if found is not None else None
                return node_text(returns) if returns is not None else None
            else:
                return None
        return None

    def _judge_callers(self, ctx: AnalysisContext, function: Node, parameters: set[str]) -> Evidence | None:
        """The key is the caller's choice: judged where the callers are."""
        name = function_name(function)
        callers = calls_of_function(ctx, function)
        if not callers:
            if nowhere_called(ctx, function):
                return Evidence(function.child_by_field_name("name"), ctx,
                                f"keyed by `{', '.join(sorted(parameters))}` of public `fn {name}`, which no code of the workspace calls: its callers cannot be judged")
            return None
        for caller_ctx, call, caller, reach in callers_with_tenant(ctx, function):
            if self._leaves_tenant_out(caller_ctx, call, caller, function, parameters):
                return Evidence(call, caller_ctx, f"`fn {function_name(caller)}` has `{reach}` in reach and calls `{name}` with a key that leaves it out")
        return self._chase_callers(ctx, function, parameters)

    def _leaves_tenant_out(self, caller_ctx: AnalysisContext, call: Node, caller: Node, function: Node, parameters: set[str],
                           stores_arguments: bool = True) -> bool:
        """Whether ``call`` hands ``function`` a key (for ``parameters``) without the tenant the
        caller has in reach, and, when ``function`` stores its other arguments
        (``stores_arguments``), stores more than what that key alone determines."""
        tracer = self._tracer(caller_ctx)
        key_arguments = arguments_for(call, function, parameters)
        key_ids = {argument.id for argument in key_arguments}
        keys = [tracer.trace(argument) for argument in key_arguments]
        values = [tracer.trace(argument) for argument in call_arguments(call) if argument.id not in key_ids] if stores_arguments else []
        if any(composition.scope_evidence(caller_ctx.vocabulary) for composition in keys + values):
            return False
        if any(_closure_parameter(caller_ctx, argument, caller) for argument in key_arguments):
            return False  # the key is handed to a closure by whoever calls it: not this caller's choice
        if keys and values and all(_made_from(value, *keys) for value in values):
            return False  # the caller stores what the key alone determines
        if not stores_arguments and _holds_value_made_from_nothing(keys):
            return False  # the key holds a value the host made from nothing (`ider::generate()`): unique to this call
        return bool(keys)

    def _chase_callers(self, ctx: AnalysisContext, function: Node, parameters: set[str]) -> Evidence | None:
        """Callers with no tenant in reach that hand the key on from their own parameters (a
        ``session`` whose ``id`` becomes the key) are followed to their callers, a few levels
        up: a key chosen at a request's entry often passes a builder and a helper or two
        before it keys the static. What is followed is a parameter and the field of it that
        is the key (``session`` and ``id``), so the other fields of a struct handed along
        (its sizes, its settings) are not taken for the key."""
        pending = [(ctx, function, {name: "" for name in parameters}, (function_name(function),))]
        seen = {(ctx.path_key, function.start_byte)}
        while pending:
            callee_ctx, callee, handed, chain = pending.pop(0)
            for caller_ctx, call in self._resolved_calls(callee_ctx, callee):
                if not caller_ctx.serves_tenants or caller_ctx.should_skip(call):
                    continue
                caller = caller_ctx.enclosing_function(call)
                if caller is None:
                    continue
                reach = tenant_in_reach(caller_ctx, caller)
                if reach is not None:
                    if len(chain) > 1 and self._hands_unscoped_key(caller_ctx, call, caller, callee, handed):
                        route = " → ".join(f"`{name}`" for name in chain)
                        return Evidence(call, caller_ctx, f"`fn {function_name(caller)}` has `{reach}` in reach and hands a key that leaves it out "
                                                          f"to {route}, which keys the static with it")
                    continue
                if len(chain) >= MAX_CALLER_LEVELS:
                    continue
                passed_on = self._parameters_passed_on(caller_ctx, call, caller, callee, handed)
                where = (caller_ctx.path_key, caller.start_byte)
                if passed_on and where not in seen:
                    seen.add(where)
                    pending.append((caller_ctx, caller, passed_on, (function_name(caller), *chain)))
        return None

    def _hands_unscoped_key(self, caller_ctx: AnalysisContext, call: Node, caller: Node, callee: Node, handed: dict[str, str]) -> bool:
        """Whether ``call`` hands ``callee`` the key (its parameters and fields in ``handed``)
        without the tenant, and without a value the host made from nothing (``ider::generate()``,
        unique to the call)."""
        tracer = self._tracer(caller_ctx)
        keys = []
        for parameter, field in handed.items():
            for argument in arguments_for(call, callee, {parameter}):
                if _closure_parameter(caller_ctx, argument, caller):
                    return False  # handed to a closure by whoever calls it: not this caller's choice
                keys.append(tracer.trace(_field_value(tracer, argument, field)))
        if not keys or any(composition.scope_evidence(caller_ctx.vocabulary) for composition in keys):
            return False
        return not _holds_value_made_from_nothing(keys)

    def _resolved_calls(self, ctx: AnalysisContext, function: Node) -> list[tuple[AnalysisContext, Node]]:
        """Calls of ``function``: of a method, only those whose receiver is a value of its type
        (``self`` in its impl, a parameter of that type, a builder chain from ``Type::new()``):
        a common method name (``build``) is called on every builder of the workspace."""
        impl = ctx.enclosing_impl(function)
        if impl is None:
            return calls_of_function(ctx, function)
        type_node = impl.child_by_field_name("type")
        owner = parse_type(node_text(type_node)).name if type_node is not None else ""
        name = function_name(function)
        found = []
        for path in ctx.workspace.files_calling(name):
            if path != ctx.path_key and not ctx.workspace.spells(path, owner):
                continue
            other = file_context(ctx, path)
            if other is None:
                continue
            for call in calls_named(other, frozenset({name})):
                callee = call.child_by_field_name("function")
                if callee is not None and callee.type == "field_expression" \
                        and _receiver_of_type(other, self._tracer(other), callee.child_by_field_name("value"), owner):
                    found.append((other, call))
        return found

    def _parameters_passed_on(self, caller_ctx: AnalysisContext, call: Node, caller: Node, callee: Node,
                              handed: dict[str, str]) -> dict[str, str]:
        """The caller's parameters (and their fields) whose values ``call`` hands on as the
        key, as they are: ``session.clone()`` for a callee's ``session`` whose ``id`` is the
        key → ``session`` and ``id``; ``&session.id`` → ``session`` and ``id``. Literals and
        constants may join them (a ``format!``). A key argument the caller derives
        (``schema.hash_key()``, a token parsed out of ``headers``) is the caller's making, not
        followed further; one holding the tenant, or a value the host makes from nothing
        (``Uuid::new_v4()``, ``next_id()``: the key is then unique), ends the chase."""
        own = _parameter_names(caller)
        tracer = self._tracer(caller_ctx)
        found: dict[str, str] = {}
        for parameter, field in handed.items():
            for argument in arguments_for(call, callee, {parameter}):
                composition = tracer.trace(_field_value(tracer, argument, field))
                if composition.scope_evidence(caller_ctx.vocabulary) is not None:
                    return {}
                roots: dict[str, str] = {}
                for part in composition.parts:
                    if part.kind == "call" and not _transforms(part.node):
                        return {}
                    root, _, path = part.text.partition(".")
                    if part.kind in ("parameter", "field") and root in own:
                        roots[root] = ".".join(step for step in (path, field) if step)
                    elif not (part.kind == "literal" or part.kind == "identifier" and ("::" in part.text or part.text.isupper())):
                        roots = {}
                        break
                found.update(roots)
        return found


def _field_value(tracer: KeyTracer, argument: Node, field: str) -> Node:
    """What an argument holds in ``field`` (``id`` of ``SearchSession { id: trace_id, .. }``,
    through borrows, clones and ``let``s); the argument itself when no field is asked or
    the struct it is made as is not in sight."""
    if not field:
        return argument
    wanted = field.split(".", 1)[0]
    node: Node | None = argument
    for _ in range(MAX_VALUE_STEPS):
        if node is None:
            break
        if node.type in ("reference_expression", "parenthesized_expression"):
            node = node.named_children[-1] if node.named_children else None
        elif node.type == "call_expression" and node.child_by_field_name("function") is not None \
                and node.child_by_field_name("function").type == "field_expression" \
                and node_text(node.child_by_field_name("function").child_by_field_name("field")) in PASSTHROUGH_METHODS:
            node = node.child_by_field_name("function").child_by_field_name("value")
        elif node.type == "identifier":
            binding = tracer.scope_of(node).binding_before(node_text(node), node)
            node = binding.child_by_field_name("value") if binding is not None and binding.type == "let_declaration" else None
        elif node.type == "struct_expression":
            body = node.child_by_field_name("body")
            for initializer in body.named_children if body is not None else ():
                name = initializer.child_by_field_name("field") if initializer.type == "field_initializer" else initializer
                if name is not None and node_text(name) == wanted:
                    value = initializer.child_by_field_name("value") if initializer.type == "field_initializer" else initializer
                    return value if value is not None else argument
            break
        else:
            break
    return argument


def _transforms(call: Node) -> bool:
    """A call that makes a value of what it is handed (a method of it, a function of its
    arguments), not one made from nothing."""
    callee = call.child_by_field_name("function")
    return callee is not None and (callee.type == "field_expression" or bool(call_arguments(call)))


def _parameter_names(function: Node) -> set[str]:
    parameters = function.child_by_field_name("parameters")
    names = set()
    for parameter in parameters.named_children if parameters is not None else ():
        pattern = parameter.child_by_field_name("pattern") if parameter.type == "parameter" else None
        if pattern is not None and pattern.type == "identifier":
            names.add(node_text(pattern))
    return names


# Steps followed from a method call's receiver back to the value it is (a builder chain's
# calls, a `let`).
MAX_RECEIVER_STEPS = 12


def _receiver_of_type(ctx: AnalysisContext, tracer: KeyTracer, receiver: Node | None, owner: str) -> bool:
    """Whether a receiver is a value of the workspace type ``owner``: ``self`` in an impl of
    it, a parameter declared as it, or a builder chain (through ``let``s) started by one of
    its associated functions (``TableBuilder::new().sort_order(..)``)."""
    node = receiver
    for _ in range(MAX_RECEIVER_STEPS):
        if node is None:
            return False
        if node.type in VALUE_WRAPPERS:
            node = wrapped_value(node)
        elif node.type == "self":
            impl = ctx.enclosing_impl(node)
            type_node = impl.child_by_field_name("type") if impl is not None else None
            return type_node is not None and parse_type(node_text(type_node)).name == owner
        elif node.type == "call_expression":
            callee = node.child_by_field_name("function")
            if callee is not None and callee.type == "field_expression":
                node = callee.child_by_field_name("value")
            elif callee is not None and callee.type == "scoped_identifier":
                path = callee.child_by_field_name("path")
                return path is not None and parse_type(node_text(path)).name == owner
            else:
                return False
        elif node.type == "identifier":
            scope = tracer.scope_of(node)
            declared = scope.parameters.get(node_text(node))
            if declared is not None:
                return any(expression.name == owner for expression in named_types(declared[1]))
            binding = scope.binding_before(node_text(node), node)
            node = binding.child_by_field_name("value") if binding is not None and binding.type == "let_declaration" else None
        else:
            return False
    return False


def _holds_value_made_from_nothing(keys) -> bool:
    """Whether a key holds what a call made rather than derived (``ider::generate()``,
    ``Uuid::new_v4()``): the host's value, unique to the call that made it."""
    return any(part.kind == "call" and not _transforms(part.node) for key in keys for part in key.parts)


def _closure_parameter(ctx: AnalysisContext, argument: Node, function: Node | None) -> bool:
    """An argument that is (a borrow or conversion of) a parameter of a closure around it."""
    while argument.type in ("reference_expression", "parenthesized_expression") and argument.named_children:
        argument = argument.named_children[-1]
    if argument.type == "call_expression" and argument.child_by_field_name("function") is not None \
            and argument.child_by_field_name("function").type == "field_expression":
        argument = argument.child_by_field_name("function").child_by_field_name("value")
    if argument is None or argument.type != "identifier":
        return False
    name = node_text(argument)
    node = ctx.parent(argument)
    while node is not None and not same_node(node, function):
        if node.type == "closure_expression":
            parameters = node.child_by_field_name("parameters")
            if parameters is not None and any(node_text(p).split(":")[0].strip() == name for p in parameters.named_children):
                return True
        node = ctx.parent(node)
    return False


def _made_from(value, *keys) -> bool:
    """Every ingredient of ``value`` (a traced composition) is one of the keys' ingredients,
    a literal or a constant: the value is a function of the key."""
    key_texts = {part.text for key in keys for part in key.parts}
    # A call part is a function applied to ingredients listed beside it, and an annotated
    # binding's value is traced beside it too: those ingredients decide.
    return all(part.kind in ("literal", "call", "helper") or part.kind == "identifier" and part.type_text
               or part.text in key_texts or part.text.rsplit("::", 1)[-1].isupper() for part in value.parts)


_ENTRY_FILLERS = frozenset({"or_insert", "or_insert_with", "or_insert_with_key", "or_default"})


def _stored_value_of(ctx: AnalysisContext, call: Node) -> Node | None:
    """The value a keyed write stores: its second argument, or for ``entry(k)`` the argument
    of the ``or_insert…`` that fills it (a closure's body)."""
    arguments = call_arguments(call)
    if _method_of(call) != "entry":
        return arguments[1] if len(arguments) >= 2 else None
    node = call
    while (access := ctx.parent(node)) is not None and access.type == "field_expression":
        outer = ctx.parent(access)
        if outer is None or outer.type != "call_expression":
            return None
        if _method_of(outer) in _ENTRY_FILLERS:
            filler = call_arguments(outer)
            if not filler:
                return None
            value = filler[0]
            return value.child_by_field_name("body") if value.type == "closure_expression" else value
        node = outer
    return None


_ACCUMULATING_METHODS = frozenset({"push", "push_back", "extend", "insert", "append", "fetch_add", "fetch_sub", "add_assign"})


def _accumulates(ctx: AnalysisContext, call: Node) -> bool:
    """The entry a write reaches is then changed in place: a compound assignment to it, or a
    growing method called on it."""
    node = call
    while (parent := ctx.parent(node)) is not None and parent.type in ("field_expression", "call_expression", "unary_expression",
                                                                        "parenthesized_expression", "try_expression", "await_expression"):
        if parent.type == "field_expression" and node_text(parent.child_by_field_name("field")) in _ACCUMULATING_METHODS:
            return True
        node = parent
    if parent is not None and parent.type == "let_declaration":
        return _grows_later(ctx, parent)
    return parent is not None and parent.type in ("compound_assignment_expr", "assignment_expression") and \
        parent.child_by_field_name("left") is not None and parent.child_by_field_name("left").id == node.id


def _grows_later(ctx: AnalysisContext, let: Node) -> bool:
    """``let entry = map.entry(k).or_insert(..);`` followed by ``entry.items.push(..)`` or
    ``*entry += 1``."""
    pattern = let.child_by_field_name("pattern")
    while pattern is not None and pattern.type == "mut_pattern":
        pattern = pattern.named_children[-1] if pattern.named_children else None
    block = ctx.parent(let)
    if pattern is None or pattern.type != "identifier" or block is None or block.text is None:
        return False
    after = block.text[let.end_byte - block.start_byte:]
    name = re.escape(node_text(pattern).encode())
    methods = b"|".join(re.escape(m.encode()) for m in sorted(_ACCUMULATING_METHODS))
    grown = re.search(rb"\b" + name + rb"(?:\.\w+)*\.(?:" + methods + rb")\s*\(", after)
    assigned = re.search(rb"\*\s*" + name + rb"\s*(?:[-+*/|&^]=|=(?!=))", after)  # `*entry += n`
    return grown is not None or assigned is not None


def _is_map_write(call: Node) -> bool:
    """A one-argument store that still writes a value (``push``, ``insert`` into a set is not)."""
    return _method_of(call) in ("push", "push_back", "push_front")


def _method_of(call: Node) -> str:
    function = call.child_by_field_name("function")
    field = function.child_by_field_name("field") if function is not None and function.type == "field_expression" else None
    return node_text(field) if field is not None else ""


def _fixed_by_host(composition) -> bool:
    """A key made of literals and constants only: the host chose it, not a tenant."""
    return all(part.kind == "literal" or (part.kind == "identifier" and part.text.isupper()) for part in composition.parts)


def _typed_entity_id(composition) -> bool:
    """A key that is one typed entity id (``role_id: RoleId``): ids given their own type are
    the host's identifiers of its records, minted once and unique across tenants; the keys
    a tenant chooses are names and strings."""
    parts = [part for part in composition.parts if part.kind != "literal"]
    if len(parts) != 1 or not parts[0].type_text:
        return False
    expression = parse_type(parts[0].type_text.lstrip("&").strip())
    return expression.kind == "path" and not expression.args and expression.name.endswith(("Id", "Uuid"))


def _declared_public(slot: StaticSlot) -> bool:
    declaration = slot.declaration
    if declaration.type == "static_item":
        return any(child.type == "visibility_modifier" for child in declaration.children)
    text = declaration.text or b""
    return b"pub" in text[: slot.name_node.start_byte - declaration.start_byte]
