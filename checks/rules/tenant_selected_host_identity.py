"""ISO503 tenant-selected-host-identity: a tenant's settings can choose the host's own
identity (a `SystemIdentity` credential variant, a `use_system_identity` flag) for the
requests the host makes on its behalf."""

from __future__ import annotations

from typing import NamedTuple

from tree_sitter import Node

from ..context import AnalysisContext, node_text, short_text
from ..model import FixAvailability, RelatedLocation, Severity
from .ambient_credential_fallback import Owner, ambient_calls, ambient_in_callee, destination_of, request_owner, short_path
from .base import Rule

# Arms that stand for a missing value: ISO501 judges those as fallbacks.
_FALLBACK_PATTERNS = ("None", "_")


class Selection(NamedTuple):
    choice: Node  # the arm, or the `if`
    chooser: Node  # what chooses: the variant an arm's pattern names, or the branch's condition
    owner: Owner
    source: str  # the ambient source, for the message
    site: Node  # where the ambient source is taken
    read_at: RelatedLocation | None = None  # the helper's read of it, when a helper takes it


def _selections(ctx: AnalysisContext):
    reported: set[int] = set()
    for call, label in ambient_calls(ctx):
        selection = selection_above(ctx, call, label)
        if selection is not None and selection.choice.id not in reported:
            reported.add(selection.choice.id)
            yield selection
    for arm in _arms(ctx):
        value = arm.child_by_field_name("value")
        if arm.id in reported or value is None or ctx.source.data.find(b"(", value.start_byte, value.end_byte) == -1:
            continue  # no call's argument list in the arm, so no helper taking an ambient source: whose choice it is does not matter
        function = ctx.enclosing_function(arm)
        chosen = _arm_owner(ctx, arm, function) if function is not None else None
        if chosen is None:
            continue
        helper = _helper_in(ctx, value)
        if helper is not None:
            call, found = helper
            reported.add(arm.id)
            yield Selection(arm, chosen[1], chosen[0], f"{found.label}, read by `fn {found.helper}`", call, found.read_at)


def selection_above(ctx: AnalysisContext, call: Node, label: str) -> Selection | None:
    """The arm or branch between ``call`` and its function that a tenant's value chooses."""
    function = ctx.enclosing_function(call)
    child, node = call, ctx.parent(call)
    while node is not None and function is not None and node.id != function.id:
        if node.type == "match_arm" and _is_fallback_arm(node) or node.type == "else_clause":
            return None  # taken when a value is missing: ISO501's question
        if node.type == "match_arm":
            chosen = _arm_owner(ctx, node, function)
            if chosen is not None:
                return Selection(node, chosen[1], chosen[0], label, call)
        elif node.type == "if_expression" and child.id == _id(node.child_by_field_name("consequence")):
            condition = node.child_by_field_name("condition")
            owner = _condition_owner(ctx, condition, function) if condition is not None else None
            if owner is not None:
                return Selection(node, condition, owner, label, call)
        child, node = node, ctx.parent(node)
    return None


def _id(node: Node | None) -> int | None:
    return node.id if node is not None else None


def _arms(ctx: AnalysisContext):
    """The file's match arms, found from their `=>` tokens."""
    data = ctx.source.data
    position = data.find(b"=>")
    while position != -1:
        token = ctx.root.descendant_for_byte_range(position, position + 2)
        arm = ctx.parent(token) if token is not None else None
        if arm is not None and arm.type == "match_arm":
            yield arm
        position = data.find(b"=>", position + 2)


def _arm_owner(ctx: AnalysisContext, arm: Node, function: Node) -> tuple[Owner, Node] | None:
    """Whose choice an arm is, and what in its pattern chooses: a variant it names
    (``S3Auth::SystemIdentity``) of an enum a tenant's settings are made of, or the whole
    pattern when the matched value is a tenant's."""
    pattern = arm.child_by_field_name("pattern")
    if pattern is None or _is_fallback_arm(arm):
        return None
    variant_paths = [node for node in _descendants(pattern) if node.type in ("scoped_identifier", "scoped_type_identifier")]
    if not variant_paths:
        return None
    for path in variant_paths:
        enum = path.child_by_field_name("path")
        name = node_text(enum).rsplit("::", 1)[-1] if enum is not None else ""
        origin = ctx.workspace.made_from_request(name, ctx.settings.contract.tenant_chosen) if name else None
        if origin is not None:
            owner = request_owner(ctx, _scrutinee(ctx, arm) or pattern, function)
            if owner is None:
                owner = Owner(f"`{name}` is made from what a request sends (`{origin.type_name}`, taken by `{origin.function}` at "
                              f"{short_path(origin.path)}:{origin.line + 1})", origin, "", name)
            return owner, path
    scrutinee = _scrutinee(ctx, arm)
    owner = request_owner(ctx, scrutinee, function) if scrutinee is not None else None
    return (owner, pattern) if owner is not None else None


def _is_fallback_arm(arm: Node) -> bool:
    pattern = arm.child_by_field_name("pattern")
    text = node_text(pattern).strip() if pattern is not None else ""
    return text in _FALLBACK_PATTERNS or text.startswith("Err(")


def _scrutinee(ctx: AnalysisContext, arm: Node) -> Node | None:
    match = ctx.enclosing(arm, ("match_expression",))
    return match.child_by_field_name("value") if match is not None else None


def _condition_owner(ctx: AnalysisContext, condition: Node, function: Node) -> Owner | None:
    """A branch a tenant's settings choose: its condition reads a field of a value made from a
    request (``if settings.use_system_identity``)."""
    for node in _descendants(condition):
        if node.type == "field_expression":
            owner = request_owner(ctx, node, function)
            if owner is not None:
                return owner
    return None


def _helper_in(ctx: AnalysisContext, value: Node):
    for node in _descendants(value):
        if node.type == "call_expression":
            found = ambient_in_callee(ctx, node)
            if found is not None:
                return node, found
    return None


def _descendants(node: Node):
    pending = [node]
    while pending:
        current = pending.pop()
        yield current
        pending.extend(reversed(current.named_children))


def check(ctx: AnalysisContext):
    if not ctx.serves_tenants:
        return
    for selection in _selections(ctx):
        if ctx.should_skip(selection.chooser):
            continue
        function = ctx.enclosing_function(selection.chooser)
        related = [ctx.related(selection.site, "the host's own identity, taken here")]
        if selection.read_at is not None:
            related.append(selection.read_at)
        destination = destination_of(ctx, selection.owner, function) if function is not None else None
        sent = ""
        if destination is not None:
            related.append(ctx.related(destination, "where requests go: chosen with the same settings"))
            sent = f", with `{short_text(node_text(destination), 40)}` from the same settings choosing where requests go"
        yield ctx.finding(
            selection.chooser,
            f"`{short_text(node_text(selection.chooser), 48)}` lets a tenant's settings choose the host's own identity "
            f"({selection.source}){sent}; {selection.owner.description}: whoever may write these settings acts as the "
            "host, and reaches what its role, managed identity or keys reach; keep the choice behind an operator's "
            "opt-in that is checked where the settings are accepted, and scope what that identity may reach per tenant",
            related=related,
        )


RULE = Rule(
    code="ISO503",
    # What it reads beyond the arm: the helper it calls (a name the caller mentions) and the model.
    reach="linked-bodies",
    type_declaration_words=(),
    name="tenant-selected-host-identity",
    summary=(
        "A tenant's settings (made from what a request or a manifest sends) can select the host's own identity, "
        "such as a `SystemIdentity` credential variant or a `use_system_identity` flag, for requests made on the "
        "tenant's behalf."
    ),
    rationale=(
        "Some multi-tenant hosts let a tenant's storage or service settings say \"use the server's "
        "own identity\" instead of carrying keys: the instance role, the managed identity, the "
        "workload identity, application default credentials or keys in the host's environment. "
        "That is a deliberate feature, often behind an operator's flag, but whoever may write "
        "such settings then acts as the host, and reaches every bucket or service the host's "
        "identity reaches, other tenants' included. A reviewer wants each such choice in sight: "
        "that it is refused unless the operator opted in, where the settings are accepted, and "
        "that the identity is narrowed per tenant (an assumed role with an external id, a "
        "scoped token). The choice is found where an arm for a variant of an enum the "
        "request's types hold, or a branch on a field of such settings, takes an ambient "
        "source, directly or through a workspace function."
    ),
    bad_example=(
        "// `StorageCredential` is part of the `CreateWarehouse` request body.\n"
        "match &warehouse.credential {\n"
        "    StorageCredential::SystemIdentity => aws_config::load_from_env().await,\n"
        "    StorageCredential::AccessKey(keys) => static_config(keys),\n"
        "}\n"
    ),
    good_example=(
        "match &warehouse.credential {\n"
        "    StorageCredential::AccessKey(keys) => static_config(keys),\n"
        "    StorageCredential::AssumeRole(role) => assume_role(&host_config, role, &warehouse.id).await,\n"
        "}\n"
    ),
    default_severity=Severity.INFO,
    fix_availability=FixAvailability.NONE,
    fix_safety=None,
    check=check,
    message="`{selection}` lets a tenant's settings choose the host's own identity ({source}); {whose the settings are}",
    options=("lint-tests", "contract.tenant-chosen"),
)
