"""ISO502 guest-supplied-tenant."""

from __future__ import annotations

from tree_sitter import Node

from .. import tenancy
from ..call_sites import arguments_for, names_scope_identity
from ..context import call_arguments, node_text, short_text
from ..keyflow import KeyTracer
from ..model import FixAvailability, Severity
from ..parsing import matches
from ..tenancy import GuestEntry, callee_definition, chosen_part, entries_to_check, parameter_names
from .base import Rule

# `guest.or(host)`: the receiver wins whenever it is present.
_PREFERRING_METHODS = frozenset({"unwrap_or", "unwrap_or_else", "or", "or_else", "map_or", "map_or_else"})
# `guest.map_or(host, f)`: the fallback comes first, the mapping of the guest's value second.
_MAPPING_PREFERENCES = frozenset({"map_or", "map_or_else"})
# Methods that read a value out of what the guest sent, without looking anything up.
_ACCESSORS = frozenset({"get", "and_then", "map", "to_str", "ok", "cloned", "clone", "as_deref", "to_string", "to_owned",
                        "as_ref", "copied", "into", "parse", "first", "get_all", "header", "headers", "extensions",
                        "metadata", "get_ref", "into_inner", "as_str", "filter"})
_PREFERENCES = """
(call_expression function: (field_expression value: (_) @guest field: (field_identifier) @method) arguments: (arguments . (_) @host)) @call
"""
_MATCHES = """
(match_expression value: (_) @guest body: (match_block)) @match
"""
_CALLS = "(call_expression) @call"
# `if let Some(t) = guest { t } else { host }`: the `else` runs only when the guest sent none.
_IF_LET_ELSE = """
(if_expression
  condition: (let_condition pattern: (tuple_struct_pattern type: (identifier) @variant) value: (_) @guest)
  alternative: (else_clause (block) @host)) @if
"""


def _names_tenant(ctx, composition) -> bool:
    """A part spells a scope identity: a name or field (``session.org_id``), its declared
    type, or a header name (``"x-org-id"``)."""
    for part in composition.parts:
        texts = (part.text.strip("\"").replace("-", "_"),) if part.kind == "literal" else (part.text, part.type_text)
        if any(text and names_scope_identity(ctx, text) for text in texts):
            return True
    return False


def _host_scope(ctx, node: Node, tracer: KeyTracer, entry: GuestEntry) -> bool:
    """The fallback is the host's own tenant: a value (not an early return) that names a
    scope identity nothing of the guest's supplies."""
    if node.type == "closure_expression" and node.child_by_field_name("body") is not None:
        node = node.child_by_field_name("body")  # `unwrap_or_else(|| session.org_id.clone())`
    if node.type == "block":
        if any(child.type in ("expression_statement", "let_declaration") for child in node.named_children):
            return False  # `None => { return Err(..) }` or a computation: not a plain fallback value
        tail = node.named_children[-1] if node.named_children else None
        if tail is None:
            return False
        node = tail
    if node.type in ("return_expression", "macro_invocation", "try_expression"):
        return False
    composition = tracer.trace(node)
    return chosen_part(composition, entry) is None and _names_tenant(ctx, composition)


def _guest_tenant(ctx, node: Node, tracer: KeyTracer, entry: GuestEntry):
    """The guest-supplied value is itself a tenant identity: a field or header of what the
    guest sent (``ctx.tenant_id``, ``headers.get("x-org-id")``), read through accessors
    only; a lookup that takes it as an argument (``get_user(org_id)``) is something else."""
    composition = tracer.trace(node)
    part = chosen_part(composition, entry)
    if part is None or any(p.kind == "call" and p.text not in _ACCESSORS for p in composition.parts):
        return None
    return part if _names_tenant(ctx, composition) else None


def _preferences(body: Node):
    """``(guest, host)`` of each ``guest.unwrap_or(host)``-style preference in ``body``."""
    for _, found in matches(_PREFERENCES, body):
        call, method = found["call"][0], node_text(found["method"][0])
        arguments = call_arguments(call)
        if method in _PREFERRING_METHODS and len(arguments) == 1:
            yield found["guest"][0], found["host"][0]
        elif method in _MAPPING_PREFERENCES and len(arguments) == 2:
            yield found["guest"][0], arguments[0]  # `guest.map_or(host, |g| g.clone())`


def _parameter_read(node: Node, parameters: list[str]) -> str | None:
    """The parameter ``node`` reads through accessors only (``guest_org.clone()``, a closure
    returning ``host_org.clone()``), or None."""
    if node.type == "closure_expression" and node.child_by_field_name("body") is not None:
        node = node.child_by_field_name("body")
    while True:
        if node.type == "call_expression":
            callee = node.child_by_field_name("function")
            if callee is None or callee.type != "field_expression" or node_text(callee.child_by_field_name("field")) not in _ACCESSORS:
                return None
            node = callee.child_by_field_name("value")
        elif node.type in ("reference_expression", "parenthesized_expression") and node.named_children:
            node = node.named_children[-1]
        elif node.type == "field_expression" and node.child_by_field_name("field").type == "integer_literal":
            node = node.child_by_field_name("value")  # a newtype's `.0` is the value it wraps
        else:
            break
    name = node_text(node) if node.type == "identifier" else None
    return name if name in parameters else None


def _preferring_helper_calls(ctx, entry: GuestEntry, body: Node, tracer: KeyTracer, helpers: dict):
    """Calls from ``body`` of a workspace helper that prefers one parameter over another
    (``fn org_for(host: &OrgId, guest: Option<OrgId>) -> OrgId { guest.unwrap_or_else(|| host.clone()) }``),
    passed the guest's tenant for the preferred one and the host's for the fallback.
    ``helpers``: each helper's preferences, read once per file's analysis (entries call the
    same helpers)."""
    for _, found in matches(_CALLS, body):
        call = found["call"][0]
        # Preferring one argument over another takes two: most calls are not asked about.
        definition = callee_definition(ctx, call) if len(call_arguments(call)) >= 2 else None
        if definition is None:
            continue
        helper_ctx, helper = definition
        preferences = helpers.get((helper_ctx.path_key, helper.id))
        if preferences is None:
            helper_body = helper.child_by_field_name("body")
            preferences = helpers[(helper_ctx.path_key, helper.id)] = list(_preferences(helper_body)) if helper_body is not None else []
        parameters = parameter_names(helper)
        for guest_value, host_value in preferences:
            preferred, fallback = _parameter_read(guest_value, parameters), _parameter_read(host_value, parameters)
            if preferred is None or fallback is None or preferred == fallback:
                continue
            guest_arguments, host_arguments = arguments_for(call, helper, {preferred}), arguments_for(call, helper, {fallback})
            if len(guest_arguments) != 1 or len(host_arguments) != 1:
                continue
            part = _guest_tenant(ctx, guest_arguments[0], tracer, entry)
            if part is not None and _host_scope(ctx, host_arguments[0], tracer, entry):
                yield _finding(ctx, entry, guest_arguments[0], host_arguments[0], part, anchor=call)
                break


def check(ctx):
    entries = entries_to_check(ctx)
    tracer = KeyTracer(ctx) if entries else None
    helpers: dict = {}
    for entry in entries:
        body = entry.function.child_by_field_name("body")
        if body is None:
            continue
        for guest, host in _preferences(body):
            part = _guest_tenant(ctx, guest, tracer, entry)
            if part is not None and _host_scope(ctx, host, tracer, entry):
                yield _finding(ctx, entry, guest, host, part)
        for _, found in matches(_MATCHES, body):
            guest = found["guest"][0]
            part = _guest_tenant(ctx, guest, tracer, entry)
            if part is None:
                continue
            for arm in found["match"][0].child_by_field_name("body").named_children:
                pattern = arm.child_by_field_name("pattern")
                value = arm.child_by_field_name("value")
                if arm.type == "match_arm" and pattern is not None and value is not None and node_text(pattern) in ("None", "_") \
                        and _host_scope(ctx, value, tracer, entry):
                    yield _finding(ctx, entry, guest, value, part)
        for _, found in matches(_IF_LET_ELSE, body):
            if node_text(found["variant"][0]) not in ("Some", "Ok"):
                continue
            guest, host = found["guest"][0], found["host"][0]
            part = _guest_tenant(ctx, guest, tracer, entry)
            if part is not None and _host_scope(ctx, host, tracer, entry):
                yield _finding(ctx, entry, guest, host, part)
        yield from _preferring_helper_calls(ctx, entry, body, tracer, helpers)


def _finding(ctx, entry: GuestEntry, guest: Node, host: Node, part, anchor: Node | None = None):
    """``anchor``: where to report when the preference itself is in a helper (the call)."""
    root = part.source
    return ctx.finding(
        anchor if anchor is not None else guest,
        f"the tenant comes from `{short_text(node_text(guest), 40)}`, which the {entry.chooser} supplies (`{root}`, a parameter of this "
        f"{entry.where}), before the host's own `{short_text(node_text(host), 40)}`: a guest that names another tenant is "
        "served as that tenant; take the tenant the host bound to this instance or request, and reject a "
        "different one",
        related=[ctx.related(host, "the host's own tenant, used only as a fallback"),
                 ctx.related(entry.chosen[root], f"supplied by the {entry.chooser} here")],
    )



RULE = Rule(
    code="ISO502",
    reach="linked-bodies",
    type_declaration_words=(),
    name="guest-supplied-tenant",
    summary="The tenant is taken from what a guest or client supplies (a context argument, a header), with the host's own binding only as a fallback.",
    rationale=(
        "A host knows which tenant an instance or an authenticated request belongs to. When it "
        "reads the tenant from the guest's own context argument or a request header first, and "
        "falls back to its binding only when the guest sent none, a guest that names another "
        "tenant is served as that tenant: its secrets, state and quotas. The host's binding "
        "must win; a different value the guest sends is an error. The preference is read in "
        "`unwrap_or`/`or_else`/`map_or`, a `match` or `if let .. else` on the guest's value, and "
        "in a workspace helper handed both (`fn org_for(host: &OrgId, guest: Option<OrgId>)`), "
        "reported where the guest's value goes in."
    ),
    bad_example=(
        "impl runtime::Host for InstanceState {\n"
        "    fn call(&mut self, ctx: GuestContext, name: String) -> Result<Vec<u8>> {\n"
        "        let tenant_id = ctx.tenant_id.unwrap_or(self.tenant_id.clone());\n"
        "        self.dispatch(&tenant_id, &name)\n"
        "    }\n"
        "}\n"
    ),
    good_example=(
        "impl runtime::Host for InstanceState {\n"
        "    fn call(&mut self, ctx: GuestContext, name: String) -> Result<Vec<u8>> {\n"
        "        if ctx.tenant_id.as_ref().is_some_and(|t| *t != self.tenant_id) {\n"
        "            return Err(Error::TenantMismatch);\n"
        "        }\n"
        "        self.dispatch(&self.tenant_id, &name)\n"
        "    }\n"
        "}\n"
    ),
    default_severity=Severity.ERROR,
    fix_availability=FixAvailability.NONE,
    fix_safety=None,
    check=check,
    queries=tenancy.QUERIES,
    message="the tenant comes from `{guest value}`, which the guest supplies, before the host's own `{host value}`",
    options=("contract.scope-identities", "contract.tenant-chosen", "scope.tenant-identifiers",
             "scope.extend-tenant-identifiers", "lint-tests"),
)
