"""ISO504 host-identity-at-tenant-destination: a destination a tenant's settings chose (a
storage URI, an endpoint, a queue) is reached with the host's own identity, the tenant
bringing no credentials of its own."""

from __future__ import annotations

import re
from typing import NamedTuple

from tree_sitter import Node

from ..context import AnalysisContext, node_text, same_node
from ..model import FixAvailability, RelatedLocation, Severity
from ..call_sites import file_context
from ..tenancy import callee_definition
from ..vocabulary import words_of
from ..workspace import RequestOrigin
from .ambient_credential_fallback import DESTINATION_WORDS, fallback_for, ambient_calls, ambient_in_callee, short_path, workspace_type
from .base import Rule
from .tenant_selected_host_identity import selection_above

_FUNCTION = re.compile(rb"\bfn\s+[a-z_][a-z0-9_]*")
# Workspace functions followed from the one holding the destination to the ambient source:
# a client factory (`create_s3_client`) calling the SDK loader's wrapper (`get_aws_config`).
_MAX_HELPER_DEPTH = 2


class Destination(NamedTuple):
    parameter: Node
    name: str
    type_name: str
    origin: RequestOrigin


class HostIdentity(NamedTuple):
    site: Node  # the ambient call, or the call of the workspace function that reaches one
    label: str
    path: tuple[RelatedLocation, ...]  # each helper's step, to the ambient read


def _destinations(ctx: AnalysisContext, function: Node) -> list[Destination]:
    """Parameters named for where requests go (``uri``, ``region_or_endpoint``) whose declared
    type is made from what a request sends."""
    found = []
    parameters = function.child_by_field_name("parameters")
    for parameter in parameters.named_children if parameters is not None else ():
        pattern = parameter.child_by_field_name("pattern") if parameter.type == "parameter" else None
        type_node = parameter.child_by_field_name("type") if pattern is not None else None
        if pattern is None or type_node is None or pattern.type != "identifier":
            continue
        name = node_text(pattern)
        if not set(words_of(name)) & DESTINATION_WORDS:
            continue
        type_name = workspace_type(ctx, node_text(type_node))
        origin = ctx.workspace.made_from_request(type_name, ctx.settings.contract.tenant_chosen) if type_name else None
        if origin is not None:
            found.append(Destination(parameter, name, type_name, origin))
    return found


def _host_identity(ctx: AnalysisContext, function: Node) -> HostIdentity | None:
    """The host's own identity taken in ``function``, directly or through workspace functions
    it calls; not where it stands in for missing credentials (ISO501's question) or is a
    tenant's explicit choice (ISO503's)."""
    for call, label in ambient_calls(ctx):
        if same_node(ctx.enclosing_function(call), function) and fallback_for(ctx, call, function) is None \
                and selection_above(ctx, call, label) is None:
            return HostIdentity(call, label, ())
    return _through_helpers(ctx, function, _MAX_HELPER_DEPTH)


def _through_helpers(ctx: AnalysisContext, function: Node, depth: int) -> HostIdentity | None:
    """The first call in ``function`` of a workspace function that takes an ambient source,
    itself or through ``depth - 1`` more workspace functions, with each step."""
    body = function.child_by_field_name("body")
    pending = [body] if body is not None else []
    while pending:
        node = pending.pop()
        pending.extend(node.named_children)
        if node.type != "call_expression" or not same_node(ctx.enclosing_function(node), function):
            continue  # a call of a nested function's body runs when that function does
        helper = ambient_in_callee(ctx, node)
        if helper is not None:
            return HostIdentity(node, f"{helper.label}, read by `fn {helper.helper}`", (helper.read_at,))
        if depth > 1:
            resolved = callee_definition(ctx, node)
            if resolved is None:
                continue
            other, callee = resolved
            deeper = _through_helpers(other, callee, depth - 1)
            if deeper is not None:
                name = node_text(callee.child_by_field_name("name"))
                step = ctx.related(deeper.site, f"`fn {name}` takes the host's identity here", other)
                return HostIdentity(node, deeper.label, (step, *deeper.path))
    return None


def _taken_without(ctx: AnalysisContext, site: Node, function: Node, name: str) -> bool:
    """Whether ``site`` runs only when the tenant chose no destination: after an ``if let
    Some(..) = name`` that returns, in its ``else``, or in a ``None`` arm of a match on it
    (the host's own region or endpoint stands in, the host's own place)."""
    child, node = site, ctx.parent(site)
    while node is not None and node.id != function.id:
        if node.type == "else_clause" and _tests_presence(ctx.parent(node), name):
            return True
        if node.type == "match_arm" and node_text(node.child_by_field_name("pattern")).strip() == "None":
            match = ctx.enclosing(node, ("match_expression",))
            value = match.child_by_field_name("value") if match is not None else None
            if value is not None and node_text(value).lstrip("&*") == name:
                return True
        if node.type == "block":
            for statement in node.named_children:
                if statement.start_byte >= child.start_byte:
                    break
                expression = statement.named_children[0] if statement.type == "expression_statement" and statement.named_children else statement
                consequence = expression.child_by_field_name("consequence") if expression.type == "if_expression" else None
                if consequence is not None and _tests_presence(expression, name) and _returns(consequence):
                    return True
        child, node = node, ctx.parent(node)
    return False


def _tests_presence(if_expression: Node | None, name: str) -> bool:
    """``if let Some(..) = name``, ``if name.is_some()``."""
    condition = if_expression.child_by_field_name("condition") if if_expression is not None and if_expression.type == "if_expression" else None
    if condition is None:
        return False
    if condition.type == "let_condition":
        value = condition.child_by_field_name("value")
        return value is not None and node_text(value).lstrip("&*") == name and node_text(condition.child_by_field_name("pattern")).startswith("Some(")
    return node_text(condition).replace(" ", "") == f"{name}.is_some()"


def _returns(block: Node) -> bool:
    pending = [block]
    while pending:
        node = pending.pop()
        if node.type == "return_expression":
            return True
        if node.type not in ("closure_expression", "function_item"):
            pending.extend(node.named_children)
    return False


def _origin_location(ctx: AnalysisContext, origin: RequestOrigin) -> RelatedLocation | None:
    """The handler that takes what the client sends, as a related location (a contract's
    declared type has no handler)."""
    if origin.kind == "contract":
        return None
    other = file_context(ctx, origin.path)
    if other is None:
        return None
    source = other.source
    if origin.line >= source.line_count():
        return None
    start = source.line_starts[origin.line]
    node = other.root.descendant_for_byte_range(start, start + len(source.line_bytes(origin.line)))
    function = other.enclosing_function(node) if node is not None and node.type != "function_item" else node
    if function is None:
        return None
    name = function.child_by_field_name("name")
    return ctx.related(name if name is not None else function, f"`fn {origin.function}` takes the `{origin.type_name}` a client sends", other)


def check(ctx: AnalysisContext):
    if not ctx.serves_tenants:
        return
    for match in _FUNCTION.finditer(ctx.source.data):
        if not ctx.judges_function_at(match.start()):
            continue  # its finding is inside it, where an analysis after an edit keeps the one from before
        keyword = ctx.root.descendant_for_byte_range(match.start(), match.start() + 2)
        function = ctx.parent(keyword) if keyword is not None else None
        if function is None or function.type != "function_item" or ctx.should_skip(function):
            continue
        destinations = _destinations(ctx, function)
        if not destinations:
            continue
        identity = _host_identity(ctx, function)
        if identity is None:
            continue
        destinations = [destination for destination in destinations if not _taken_without(ctx, identity.site, function, destination.name)]
        if not destinations:
            continue
        destination = destinations[0]
        origin = destination.origin
        related = [ctx.related(destination.parameter, "where requests go: chosen by the tenant's settings"), *identity.path]
        sent = _origin_location(ctx, origin)
        if sent is not None:
            related.append(sent)
        yield ctx.finding(
            identity.site,
            f"`{destination.name}` (`{destination.type_name}`) is made from what a request sends (`{origin.type_name}`, taken "
            f"by `{origin.function}` at {short_path(origin.path)}:{origin.line + 1}), and the host's own identity reaches it "
            f"({identity.label}): whoever writes these settings points the host's role or keys at any bucket, stream or "
            "endpoint they reach, other tenants' included; require the tenant's own credentials for it, or check the "
            "destination against what this tenant owns where the settings are accepted",
            related=related,
        )


RULE = Rule(
    code="ISO504",
    # What it reads beyond the function: the workspace functions it calls, two deep, and the model.
    reach="linked-bodies",
    type_declaration_words=(),  # it reports in functions only, never on a type's declaration
    name="host-identity-at-tenant-destination",
    summary=(
        "A destination a tenant's settings choose (a storage URI, an endpoint, a stream), made from what a request "
        "sends, is reached with the host's own identity: the cloud SDK's default chain, a managed identity, keys in "
        "the host's environment."
    ),
    rationale=(
        "A multi-tenant host that lets a tenant's settings say where its data lives (an index's "
        "storage URI, a source's queue or endpoint) and then reaches that place with its own "
        "instance role, managed identity or environment keys acts as a confused deputy: a tenant "
        "that names another tenant's bucket or stream, or any resource the host's identity "
        "reaches, has the host read or write it. Unlike a fallback (ISO501) or an explicit choice "
        "of the host's identity (ISO503), the tenant never brings credentials here: the host's "
        "identity is the only one. A reviewer wants the place where the two meet: the function "
        "that takes a parameter named for a destination, whose declared type is made from what "
        "a request sends (a body extractor, or what a handler reads its raw body as), and that "
        "takes an ambient credential source itself or through the workspace functions it calls. "
        "Check each chosen destination against what the tenant owns when the settings are "
        "accepted, or use credentials scoped to the tenant (an assumed role with an external id)."
    ),
    bad_example=(
        "// `RegionOrEndpoint` is part of the `SourceConfig` a client posts.\n"
        "pub async fn stream_client(region_or_endpoint: RegionOrEndpoint) -> Client {\n"
        "    let sdk = aws_config::load_defaults(BehaviorVersion::latest()).await;\n"
        "    Client::from_conf(with_destination(&sdk, region_or_endpoint))\n"
        "}\n"
    ),
    good_example=(
        "pub async fn stream_client(tenant: &Tenant, region_or_endpoint: RegionOrEndpoint) -> Client {\n"
        "    let sdk = assume_tenant_role(&tenant.role_arn, &tenant.external_id).await;\n"
        "    Client::from_conf(with_destination(&sdk, region_or_endpoint))\n"
        "}\n"
    ),
    default_severity=Severity.INFO,
    fix_availability=FixAvailability.NONE,
    fix_safety=None,
    check=check,
    message="`{destination}` (`{type}`) is made from what a request sends, and the host's own identity reaches it ({source})",
    options=("lint-tests", "contract.tenant-chosen"),
)
