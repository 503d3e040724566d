"""ISO303 guest-telemetry-without-tenant."""

from __future__ import annotations

import re

from tree_sitter import Node

from .. import tenancy
from ..call_sites import names_scope_identity
from ..context import call_arguments, node_text
from ..keyflow import KeyTracer
from ..model import FixAvailability, Severity
from ..parsing import matches
from ..statics import declared_slots
from ..tenancy import GuestEntry, chosen_part, entries_to_check, entry_scope, impl_owner, is_scoped, runs_in
from .base import Rule

# `tracing` and `log` macros: one process-wide subscriber or logger receives them all.
LOG_MACROS = frozenset({"trace", "debug", "info", "warn", "error", "event", "log"})
# Metric macros (`metrics`) and OpenTelemetry instrument builders: one process-wide registry.
METRIC_MACROS = frozenset({"counter", "gauge", "histogram", "increment_counter", "increment_gauge", "describe_counter"})
METRIC_BUILDERS = frozenset({
    "u64_counter", "f64_counter", "i64_up_down_counter", "f64_up_down_counter", "u64_histogram", "f64_histogram",
    "u64_gauge", "f64_gauge", "i64_gauge", "register_counter", "register_gauge", "register_histogram",
})
# Spans that carry fields to everything logged inside them.
_SPAN_MACROS = frozenset({"span", "info_span", "debug_span", "trace_span", "warn_span", "error_span"})

_MACROS = """
(macro_invocation macro: [(identifier) (scoped_identifier)] @name) @macro
"""
_METHOD_CALLS = """
(call_expression function: (field_expression field: (field_identifier) @method)) @call
"""


def _macro_name(macro: Node) -> str:
    name = macro.child_by_field_name("macro")
    if name is not None and name.type == "scoped_identifier":
        name = name.child_by_field_name("name")
    return node_text(name) if name is not None else ""


def _tokens(macro: Node) -> list[Node]:
    """The macro's tokens in order, nested token trees flattened (without recursion: a
    macro's nesting is the input's to choose)."""
    tokens: list[Node] = []
    pending = [child for child in reversed(macro.named_children) if child.type == "token_tree"]
    while pending:
        node = pending.pop()
        if node.type == "token_tree":
            pending.extend(reversed(node.children))
        else:
            tokens.append(node)
    return tokens


class _Stamp:
    """Whether telemetry in a function carries the tenant: a scope identity among a call's
    own fields, in a span entered in the function, or in its `#[instrument]` fields."""

    def __init__(self, ctx, entry: GuestEntry):
        self.ctx = ctx
        self.owner = impl_owner(ctx, entry.function)
        body = entry.function.child_by_field_name("body")
        self.macros = [found["macro"][0] for _, found in matches(_MACROS, body)] if body is not None else []
        self.function_stamped = self._instrumented(entry.function) or any(
            self.names_tenant(_tokens(macro)) for macro in self.macros if _macro_name(macro) in _SPAN_MACROS)

    def _instrumented(self, function: Node) -> bool:
        sibling = function.prev_named_sibling
        while sibling is not None and sibling.type == "attribute_item":
            text = node_text(sibling)
            if "instrument" in text and names_scope_identity(self.ctx, text):
                return True
            sibling = sibling.prev_named_sibling
        return False

    def names_tenant(self, tokens: list[Node]) -> bool:
        for position, token in enumerate(tokens):
            text = node_text(token)
            if token.type in ("identifier", "field_identifier") and names_scope_identity(self.ctx, text):
                return True
            if token.type == "self" and position + 2 < len(tokens) and self.owner:
                field_type = self.ctx.workspace.field_type(self.owner, node_text(tokens[position + 2]))
                if field_type and names_scope_identity(self.ctx, field_type):
                    return True
        return False


# Logging crates whose macros take the logger as their first argument (`slog::info!(log, ..)`):
# a line goes to that logger, which the host may have built per instance with the tenant's
# keys, not to one process-wide logger.
_EXPLICIT_LOGGER_CRATES = ("slog",)


def _explicit_logger(ctx, macro: Node, tokens: list[Node]) -> list[Node] | None:
    """The tokens of the logger a macro of an explicit-logger crate writes to (spelled with
    the crate's path, or imported from it), else None."""
    name = macro.child_by_field_name("macro")
    crate = ""
    if name is not None and name.type == "scoped_identifier":
        crate = node_text(name).split("::", 1)[0]
    elif name is not None:
        crate = _importing_crate(ctx, node_text(name))
    if crate not in _EXPLICIT_LOGGER_CRATES:
        return None
    arguments = [token for token in tokens if node_text(token) not in ("(", ")", "[", "]", "{", "}")]
    comma = next((i for i, token in enumerate(arguments) if node_text(token) == ","), len(arguments))
    return arguments[:comma]


def _importing_crate(ctx, macro_name: str) -> str:
    """The explicit-logger crate a bare macro name is imported from in this file, else "";
    read once per name and file (log macros are many, their names few)."""
    known = getattr(ctx, "_explicit_logger_imports", None)
    if known is None:
        known = ctx._explicit_logger_imports = {}
    if macro_name not in known:
        data, spelled = ctx.source.data, macro_name.encode()
        known[macro_name] = next((candidate for candidate in _EXPLICIT_LOGGER_CRATES if candidate.encode() in data and (
            re.search(rb"#\[macro_use\]\s*extern\s+crate\s+" + candidate.encode() + rb"\b", data)
            or re.search(rb"\buse\s+" + candidate.encode() + rb"::(?:\*|\{[^}]*\b" + spelled + rb"\b[^}]*\}|" + spelled + rb"\b)", data))), "")
    return known[macro_name]


def _is_static(ctx, name: str) -> bool:
    return any(slot.name == name for slot in declared_slots(ctx)) or ctx.workspace.declares_static(name)


def _forwards_a_line(tokens: list[Node]) -> bool:
    """The host adds no words of its own: the format string is only placeholders and
    punctuation (``"{message}"``, ``"{}: {}"``), so the line is the guest's."""
    literals = [node_text(token) for token in tokens if token.type in ("string_literal", "raw_string_literal")]
    if not literals:
        return True
    own_words = re.sub(r"\{[^{}]*\}", "", literals[-1])
    return not re.search(r"[A-Za-z]{2,}", own_words)


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)[:}]")


def _chosen_in_tokens(tokens: list[Node], entry: GuestEntry, chosen_local) -> Node | None:
    """The token naming a chosen value: a parameter, or a local bound from one (``message``
    read out of the guest's memory at the ``ptr`` and ``len`` it passed), by name or in a
    format string's placeholder."""
    for token in tokens:
        if token.type == "identifier" and (node_text(token) in entry.chosen or chosen_local(node_text(token), token)):
            return token
        if token.type in ("string_literal", "raw_string_literal"):
            if any(name in entry.chosen or chosen_local(name, token) for name in _PLACEHOLDER.findall(node_text(token))):
                return token
    return None


def _chosen_local(ctx, tracer: KeyTracer, entry: GuestEntry):
    """Whether a name used at a node is a local whose value traces to a chosen parameter."""
    scope = entry_scope(tracer, entry.function)

    def chosen_local(name: str, use: Node) -> bool:
        binding = scope.binding_before(name, use)
        value = binding.child_by_field_name("value") if binding is not None else None
        return value is not None and chosen_part(tracer.trace(value, scope), entry) is not None

    return chosen_local


def check(ctx):
    entries = entries_to_check(ctx)
    tracer = KeyTracer(ctx) if entries else None
    for entry in entries:
        chosen_local = _chosen_local(ctx, tracer, entry)
        stamp = _Stamp(ctx, entry)
        if stamp.function_stamped:
            ctx.observe(entry.function.child_by_field_name("name") or entry.function, "telemetry", "scoped",
                        f"the span of this {entry.where} carries the tenant identity")
            continue
        for macro in stamp.macros:
            name = _macro_name(macro)
            if name not in LOG_MACROS and name not in METRIC_MACROS:
                continue
            if not runs_in(ctx, macro, entry.function):
                continue
            tokens = _tokens(macro)
            if name in LOG_MACROS and not (entry.is_host_interface and _forwards_a_line(tokens)):
                continue  # the host's own line, mentioning what a guest or client sent
            logger = _explicit_logger(ctx, macro, tokens) if name in LOG_MACROS else None
            if logger and not _is_static(ctx, node_text(logger[0])):
                ctx.observe(macro, "telemetry", "scoped", f"written to `{''.join(node_text(t) for t in logger)}`, a logger the host holds, not the process-wide one")
                continue
            chosen = _chosen_in_tokens(tokens, entry, chosen_local)
            if chosen is None:
                continue
            if stamp.names_tenant(tokens):
                ctx.observe(macro, "telemetry", "scoped", f"the {entry.chooser}'s `{node_text(chosen)}` is logged with the tenant identity")
                continue
            yield _finding(ctx, entry, macro, chosen, "metric" if name in METRIC_MACROS else "log")
        body = entry.function.child_by_field_name("body")
        for _, found in matches(_METHOD_CALLS, body) if body is not None else ():
            call = found["call"][0]
            if node_text(found["method"][0]) not in METRIC_BUILDERS or ctx.enclosing_function(call).id != entry.function.id:
                continue
            arguments = call_arguments(call)
            if not arguments:
                continue
            composition = tracer.trace(arguments[0])
            if chosen_part(composition, entry) is None or is_scoped(ctx, composition, entry.function):
                continue
            if _recorded_with_tenant(ctx, stamp, call, entry.function):
                ctx.observe(call, "telemetry", "scoped", f"the {entry.chooser}'s metric is recorded with the tenant among its attributes")
                continue
            yield _finding(ctx, entry, call, arguments[0], "metric")


# OpenTelemetry instruments take their attributes where a value is recorded.
_RECORDING_METHODS = frozenset({"add", "record"})
_LETS = "(let_declaration pattern: (identifier) @name value: (_) @value) @let"


def _recorded_with_tenant(ctx, stamp: _Stamp, builder: Node, function: Node) -> bool:
    """Every value recorded on the instrument ``builder`` makes carries the tenant among its
    attributes (``.add(v, &[KeyValue::new("org_id", ..)])``, or an attribute array bound by a
    ``let``), whether the recording is chained onto the builder or made on a ``let`` binding
    of it. A component id among the attributes does not count: it repeats across tenants."""
    body = function.child_by_field_name("body")
    lets = {node_text(found["name"][0]): found for _, found in matches(_LETS, body)} if body is not None else {}
    recordings = []
    chained = _outer_call(ctx, builder)
    while chained is not None:
        if _method_name(chained) in _RECORDING_METHODS:
            recordings.append(chained)
            break
        chained = _outer_call(ctx, chained)
    if not recordings:
        binding = next((name for name, found in lets.items() if found["value"][0].start_byte <= builder.start_byte < found["value"][0].end_byte), None)
        for _, found in matches(_METHOD_CALLS, body) if binding is not None else ():
            call = found["call"][0]
            receiver = call.child_by_field_name("function").child_by_field_name("value")
            if _method_name(call) in _RECORDING_METHODS and receiver is not None and node_text(receiver) == binding:
                recordings.append(call)
    return bool(recordings) and all(_attributes_name_tenant(ctx, stamp, recording, lets) for recording in recordings)


def _method_name(call: Node) -> str:
    callee = call.child_by_field_name("function")
    field = callee.child_by_field_name("field") if callee is not None and callee.type == "field_expression" else None
    return node_text(field) if field is not None else ""


def _outer_call(ctx, call: Node) -> Node | None:
    """The call made on ``call``'s result (``call.build()``), if any."""
    access = ctx.parent(call)
    if access is None or access.type != "field_expression":
        return None
    outer = ctx.parent(access)
    return outer if outer is not None and outer.type == "call_expression" else None


def _attributes_name_tenant(ctx, stamp: _Stamp, recording: Node, lets: dict) -> bool:
    arguments = call_arguments(recording)
    if len(arguments) < 2:
        return False
    attributes = arguments[-1]
    while attributes.type == "reference_expression" and attributes.named_children:
        attributes = attributes.named_children[-1]
    if attributes.type == "identifier" and node_text(attributes) in lets:
        attributes = lets[node_text(attributes)]["value"][0]
    for _, found in matches(_KEY_VALUES, attributes):
        key = found["key"][0]
        text = node_text(key).strip("\"") if key.type == "string_literal" else node_text(key)
        if names_scope_identity(ctx, text) or stamp.names_tenant(_tokens_of(found["value"][0])):
            return True
    return False


def _tokens_of(node: Node) -> list[Node]:
    """The leaves of an expression in order, as a macro's tokens are read."""
    leaves, pending = [], [node]
    while pending:
        current = pending.pop()
        if current.child_count == 0:
            leaves.append(current)
        else:
            pending.extend(reversed(current.children))
    return leaves


_KEY_VALUES = """
(call_expression function: [(scoped_identifier) (identifier)] @constructor arguments: (arguments . (_) @key . (_) @value)) @pair
"""


def _finding(ctx, entry: GuestEntry, site: Node, chosen: Node, kind: str):
    what = node_text(chosen) if chosen.type == "identifier" else _first_chosen_name(chosen, entry)
    root = what.split(".", 1)[0]
    parameter = entry.chosen.get(root)
    origin = f"a parameter of this {entry.where}" if parameter is not None else f"made from what the {entry.chooser} passed this {entry.where}"
    if kind == "log":
        message = (
            f"the guest's `{what}` ({origin}) is logged through the process-wide logger with no "
            "tenant identity: every tenant's guest lines look alike, and a guest can write lines that read as another "
            "tenant's or the host's; stamp the tenant the host serves as a field (or enter a span that carries it)"
        )
    else:
        message = (
            f"a metric named by the {entry.chooser} (`{what}`, {origin}) goes to the process-wide "
            "registry without the tenant: two tenants' guests add to one series, and a guest can create series without "
            "bound; label it with the tenant the host serves, or prefix the name with it"
        )
    related = [ctx.related(parameter, f"chosen by the {entry.chooser} here")] if parameter is not None else []
    return ctx.finding(site, message, related=related)


def _first_chosen_name(node: Node, entry: GuestEntry) -> str:
    text = node_text(node)
    return next((name for name in entry.chosen if name in text), None) or next(iter(_PLACEHOLDER.findall(text)), text)


RULE = Rule(
    code="ISO303",
    reach="linked-bodies",
    type_declaration_words=(),
    name="guest-telemetry-without-tenant",
    summary=(
        "A log line or metric whose content or name a guest chose (a parameter of a host interface or a request) is "
        "sent to the process-wide logger or meter with no tenant identity stamped by the host."
    ),
    rationale=(
        "A host that forwards a guest's log message or metric name to its own logger or meter "
        "mixes every tenant's telemetry in one stream. Without the tenant the host serves "
        "stamped on it (a field, a label, a span entered around the call), nobody can tell "
        "whose guest wrote a line, a guest can forge lines that read as another tenant's or the "
        "host's, and a guest-named metric adds to a series another tenant's guest also writes "
        "(or creates series without bound). A component or pack id does not help: it repeats "
        "across tenants. Telemetry that carries a scope identity, or that is written inside a "
        "span (or `#[instrument]`) with one, is quiet; so is an OpenTelemetry instrument whose "
        "every recording carries the tenant among its attributes, and a line written to a logger "
        "the host holds (`slog::info!(self.log, ..)`, built per instance) rather than a static one."
    ),
    bad_example=(
        "impl logging::Host for GuestState {\n"
        "    fn log(&mut self, level: Level, context: String, message: String) {\n"
        "        tracing::info!(%context, \"{message}\");\n"
        "    }\n"
        "}\n"
    ),
    good_example=(
        "impl logging::Host for GuestState {\n"
        "    fn log(&mut self, level: Level, context: String, message: String) {\n"
        "        tracing::info!(app_id = %self.app_id, %context, \"{message}\");\n"
        "    }\n"
        "}\n"
    ),
    default_severity=Severity.WARNING,
    fix_availability=FixAvailability.NONE,
    fix_safety=None,
    check=check,
    queries=tenancy.QUERIES,
    message="the guest's `{value}` (a parameter of this {entry}) is logged / names a metric with no tenant identity",
    options=("contract.scope-identities", "contract.tenant-chosen", "scope.tenant-identifiers",
             "scope.extend-tenant-identifiers", "lint-tests"),
)
