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
            if chosen_part(composition, entry) is not None and not is_scoped(ctx, composition, entry.function):
                yield _finding(ctx, entry, call, arguments[0], "metric")


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
        "span (or `#[instrument]`) with one, is quiet."
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
