"""ISO501 ambient-credential-fallback."""

from __future__ import annotations

from tree_sitter import Node

from ..call_sites import tenant_in_reach
from ..context import calls_named, node_text, short_text
from ..tenancy import UNIT_WORDS
from ..model import FixAvailability, Severity
from ..vocabulary import words_of
from .base import Rule

# Calls that pick up the process's own identity: its environment, instance or workload
# identity, cloud CLI login, or the docker credential store of the host's user.
AMBIENT_SOURCES = {
    "load_from_env": "the AWS SDK's default chain (environment, profile, instance role)",
    "load_defaults": "the AWS SDK's default chain (environment, profile, instance role)",
    "DefaultCredentialsChain": "the AWS SDK's default chain (environment, profile, instance role)",
    "EnvironmentVariableCredentialsProvider": "the process's AWS environment variables",
    "ImdsCredentialsProvider": "the host instance's role",
    "DefaultCredentialsProvider": "rusoto's default chain (environment, profile, instance role)",
    "DefaultAzureCredential": "Azure's default chain (environment, managed identity, CLI login)",
    "ManagedIdentityCredential": "the host's managed identity",
    "AzureCliCredential": "the host user's Azure CLI login",
    "create_credential": "Azure's default chain (environment, managed identity, CLI login)",
    "find_default": "Google application default credentials",
    "ApplicationDefaultCredentials": "Google application default credentials",
    "from_env": "the process's environment",
    "get_credential": "the host user's docker credential helpers",
    "CredentialHelper": "the host user's docker credential helpers",
}
# `from_env` is common; it is ambient only on credential and storage-client types.
_FROM_ENV_OWNERS = ("Credential", "Credentials", "Builder", "Auth", "Token")
_CREDENTIAL_WORDS = frozenset({"credential", "credentials", "creds", "cred", "auth", "token", "secret", "password",
                               "identity", "login", "key", "keys", "sas"})
_FALLBACK_METHODS = frozenset({"unwrap_or_else", "or_else", "map_or_else", "unwrap_or", "or", "get_or_insert_with",
                               "unwrap_or_default"})


def _ambient_label(call: Node) -> str | None:
    callee = call.child_by_field_name("function")
    text = node_text(callee) if callee is not None else ""
    segments = [segment for segment in text.replace(".", "::").split("::") if segment]
    for position, segment in enumerate(segments):
        label = AMBIENT_SOURCES.get(segment)
        if label is None:
            continue
        if segment == "from_env" and not (position and segments[position - 1].endswith(_FROM_ENV_OWNERS)):
            continue
        if segment == "get_credential" and "docker" not in text.lower():
            continue
        return label
    return None


def _fallback_for(ctx, call: Node, function: Node) -> Node | None:
    """The tenant-provided value ``call`` stands in for when it is missing: the scrutinee of
    a ``None``/``_`` match arm, the ``if let Some(..)`` of an ``else``, or the receiver of
    ``unwrap_or_else(|| …)`` — when that value is a credential."""
    node = ctx.parent(call)
    while node is not None and node.id != function.id:
        candidate = None
        if node.type == "match_arm":
            pattern = node.child_by_field_name("pattern")
            if pattern is not None and node_text(pattern).strip() in ("None", "_", "Err(_)") or node_text(pattern).startswith("Err("):
                match = ctx.enclosing(node, ("match_expression",))
                candidate = match.child_by_field_name("value") if match is not None else None
        elif node.type == "else_clause":
            if_expression = ctx.parent(node)
            condition = if_expression.child_by_field_name("condition") if if_expression is not None else None
            if condition is not None and condition.type == "let_condition":
                candidate = condition.child_by_field_name("value")
        elif node.type == "arguments":
            method_call = ctx.parent(node)
            callee = method_call.child_by_field_name("function") if method_call is not None else None
            if callee is not None and callee.type == "field_expression" and node_text(callee.child_by_field_name("field")) in _FALLBACK_METHODS:
                candidate = callee.child_by_field_name("value")
        if candidate is not None and set(words_of(node_text(candidate))) & _CREDENTIAL_WORDS and _belongs_to_tenant(ctx, candidate, function):
            return candidate
        node = ctx.parent(node)
    return None


def _belongs_to_tenant(ctx, credentials: Node, function: Node) -> bool:
    """The missing credentials are a tenant's: they hang off a value named for the isolation
    unit (``tenant.registry_auth``, ``app.credentials``), or the function has a tenant in
    reach. A client tool's own login falling back to the user's docker store is not this."""
    if tenant_in_reach(ctx, function) is not None:
        return True
    return bool(set(words_of(node_text(credentials))) & UNIT_WORDS) or ctx.vocabulary.tenant.match(node_text(credentials)) is not None


def check(ctx):
    if not ctx.serves_tenants:
        return
    for call in calls_named(ctx, frozenset(AMBIENT_SOURCES)):
        if ctx.should_skip(call):
            continue
        label = _ambient_label(call)
        function = ctx.enclosing_function(call)
        if label is None or function is None:
            continue
        provided = _fallback_for(ctx, call, function)
        if provided is None:
            if tenant_in_reach(ctx, function) is None:
                ctx.observe(call, "credentials", "host's own", f"{label}, taken by code with no tenant in reach, not as a tenant's fallback")
            continue
        yield ctx.finding(
            call,
            f"when `{short_text(node_text(provided), 40)}` is missing, the host's own credentials are used ({label}): a "
            "tenant that brought none acts with the host's identity and reaches what the host can, other tenants' "
            "registries, buckets and services included; refuse the request, or use credentials that belong to "
            "this tenant",
            related=[ctx.related(provided, "the tenant's own credentials, when it has some")],
        )



RULE = Rule(
    code="ISO501",
    reach="linked-bodies",
    name="ambient-credential-fallback",
    summary=(
        "The host's ambient credentials (the process's cloud identity, environment, CLI login or docker credential "
        "helpers) are used when a tenant's own credentials are missing."
    ),
    rationale=(
        "A multi-tenant host that pulls a tenant's image, reads its bucket or calls its "
        "service with the tenant's credentials, and falls back to the default chain when the "
        "tenant configured none, lends every such tenant the host's own identity: its "
        "instance role, managed identity, environment keys or docker logins. Those reach the "
        "host's registries and buckets, and often other tenants' too. A tenant without "
        "credentials gets anonymous access or an error, never the host's. Ambient "
        "credentials used for the host's own work, not as a stand-in for a tenant's, are not "
        "reported."
    ),
    bad_example=(
        "let config = match &tenant.storage_credentials {\n"
        "    Some(creds) => static_config(creds),\n"
        "    None => aws_config::load_from_env().await,\n"
        "};\n"
    ),
    good_example=(
        "let Some(creds) = &tenant.storage_credentials else {\n"
        "    return Err(Error::NoCredentials(tenant.id.clone()));\n"
        "};\n"
        "let config = static_config(creds);\n"
    ),
    default_severity=Severity.WARNING,
    fix_availability=FixAvailability.NONE,
    fix_safety=None,
    check=check,
    triggers=tuple(name.lower().encode() for name in AMBIENT_SOURCES),
    message="when `{credentials}` is missing, the host's own credentials are used ({source})",
    options=("lint-tests",),
)
