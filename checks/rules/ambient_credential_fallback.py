"""ISO501 ambient-credential-fallback: the host's own credentials stand in for a tenant's
missing ones.

The shared facts (what an ambient credential source is, whose a settings value is, where a
value of it sends requests) are also what ISO503 asks of a tenant's explicit choice of the
host's identity.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from tree_sitter import Node

from ..call_sites import tenant_in_reach
from ..context import IDENTIFIER_BYTES, VALUE_WRAPPERS, AnalysisContext, call_arguments, calls_named, node_text, same_node, short_text, wrapped_value
from ..model import FixAvailability, RelatedLocation, Severity
from ..tenancy import UNIT_WORDS, callee_definition, impl_owner
from ..vocabulary import words_of
from ..workspace import RequestOrigin, named_types
from .base import Rule

# Calls that pick up the process's own identity: its environment, instance or workload
# identity, cloud CLI login, or the docker credential store of the host's user.
_AWS_CHAIN = "the AWS SDK's default chain (environment, profile, instance role)"
_AZURE_CHAIN = "Azure's default chain (environment, managed identity, CLI login)"
AMBIENT_SOURCES = {
    "load_from_env": _AWS_CHAIN,
    "load_defaults": _AWS_CHAIN,
    "DefaultCredentialsChain": _AWS_CHAIN,
    "EnvironmentVariableCredentialsProvider": "the process's AWS environment variables",
    "ImdsCredentialsProvider": "the host instance's role",
    "DefaultCredentialsProvider": "rusoto's default chain (environment, profile, instance role)",
    "DefaultAzureCredential": _AZURE_CHAIN,
    "DefaultAzureCredentialBuilder": _AZURE_CHAIN,
    "ManagedIdentityCredential": "the host's managed identity",
    "AzureCliCredential": "the host user's Azure CLI login",
    "create_credential": _AZURE_CHAIN,
    "find_default": "Google application default credentials",
    "ApplicationDefaultCredentials": "Google application default credentials",
    "from_env": "the process's environment",
    "defaults": _AWS_CHAIN,
    # google-cloud-storage's `ClientConfig::default().with_auth()`: with no argument, it
    # authenticates as whatever application default credentials the host has.
    "with_auth": "Google application default credentials",
    "get_credential": "the host user's docker credential helpers",
    "CredentialHelper": "the host user's docker credential helpers",
}
# Methods that pick up the default identity only when given nothing to authenticate with.
_DEFAULT_ONLY_WITHOUT_ARGUMENTS = frozenset({"with_auth"})
# Reads of one process environment variable (`std::env::var("OPENAI_API_KEY")`).
ENV_READS = frozenset({"var", "var_os"})
_ENV_MODULES = frozenset({"env", "dotenv", "dotenvy"})
# `from_env` is common; it is ambient only on credential and storage-client types, and on
# the AWS SDK's loader (`aws_config::from_env()`, like `aws_config::defaults(..)`).
_FROM_ENV_OWNERS = ("Credential", "Credentials", "Builder", "Auth", "Token")
_AWS_LOADER = "aws_config"
CREDENTIAL_WORDS = frozenset({"credential", "credentials", "creds", "cred", "auth", "token", "secret", "password",
                              "identity", "login", "key", "keys", "sas", "passwd"})
_FALLBACK_METHODS = frozenset({"unwrap_or_else", "or_else", "map_or_else", "unwrap_or", "or", "get_or_insert_with",
                               "unwrap_or_default"})
# Field words of where a client built from settings sends its requests, credentials with them.
DESTINATION_WORDS = frozenset({"url", "uri", "endpoint", "host", "address", "addr", "server", "domain", "bucket"})


def ambient_label(call: Node) -> str | None:
    """What host identity ``call`` picks up, in words for a message; None when it is not an
    ambient credential source."""
    callee = call.child_by_field_name("function")
    arguments = call_arguments(call)
    if arguments and callee is not None and callee.type == "field_expression" and node_text(callee.child_by_field_name("field")) in _DEFAULT_ONLY_WITHOUT_ARGUMENTS:
        return None  # `with_auth(token)`: the caller's own credentials
    return _label(node_text(callee) if callee is not None else "", arguments[0] if arguments else None)


def _label(path: str, first_argument: Node | None) -> str | None:
    segments = [segment for segment in path.replace(".", "::").split("::") if segment]
    for position, segment in enumerate(segments):
        previous = segments[position - 1] if position else ""
        if segment in ENV_READS and previous in _ENV_MODULES:
            variable = _credential_variable(first_argument)
            if variable is not None:
                return f"the process environment's `{variable}`"
            continue
        label = AMBIENT_SOURCES.get(segment)
        if label is None:
            continue
        if segment == "from_env" and previous != _AWS_LOADER and not previous.endswith(_FROM_ENV_OWNERS):
            continue
        if segment == "from_env" and previous == _AWS_LOADER:
            return _AWS_CHAIN
        if segment == "defaults" and previous != _AWS_LOADER:
            continue
        if segment == "get_credential" and "docker" not in path.lower():
            continue
        return label
    return None


def _credential_variable(argument: Node | None) -> str | None:
    """The variable an env read names, when it names a credential (`OPENAI_API_KEY`)."""
    if argument is None or argument.type != "string_literal":
        return None
    name = node_text(argument).strip('"')
    return name if set(words_of(name)) & CREDENTIAL_WORDS else None


_TYPE_SOURCES = frozenset(name for name in AMBIENT_SOURCES if name[0].isupper())


def ambient_calls(ctx: AnalysisContext) -> list[tuple[Node, str]]:
    """Every ambient credential source called in this file, with its label: calls named for
    one (``load_from_env()``, ``env::var("API_KEY")``), constructors of a credential type
    (``DefaultAzureCredentialBuilder::new()``), and such calls written inside a macro's
    arguments (``apply_config!(aws_config::from_env(), ..)``), where the parser sees tokens."""
    cached = getattr(ctx, "_ambient_calls", None)
    if cached is not None:
        return cached
    data = ctx.source.data
    present = tuple(sorted(name for stem, names in _SOURCE_NAMES_BY_STEM if stem in data for name, spelled in names if spelled in data))
    if not present:  # most files: no call can be named for a source either
        ctx._ambient_calls = []
        return ctx._ambient_calls
    found: dict[int, tuple[Node, str]] = {}
    for call in calls_named(ctx, _SOURCE_SPELLINGS):
        label = ambient_label(call)
        if label is not None and not _credentials_set_after(ctx, call):
            found[call.id] = (call, label)
    offsets = _token_starts(data, present)
    for name in present:
        for start in offsets.get(name, ()):
            node = ctx.root.descendant_for_byte_range(start, start + len(name))
            parent = ctx.parent(node) if node is not None else None
            if parent is None:
                continue
            if parent.type == "token_tree":
                site = _macro_call(node, parent)
            elif name in _TYPE_SOURCES and parent.type == "scoped_identifier" and same_node(parent.child_by_field_name("path"), node):
                call = ctx.parent(parent)
                site = (call, _label(name, None)) if call is not None and call.type == "call_expression" else None
            else:
                site = None
            if site is not None and site[1] is not None and site[0].id not in found:
                found[site[0].id] = (site[0], site[1])
    ctx._ambient_calls = sorted(found.values(), key=lambda item: item[0].start_byte)
    return ctx._ambient_calls


_SOURCE_SPELLINGS = frozenset(AMBIENT_SOURCES) | ENV_READS
_SOURCE_NAMES = tuple(sorted(_SOURCE_SPELLINGS))
# The source names under a part several of them share: most files hold none of these parts,
# and a search for each part costs less than one for each name.
_SHARED_STEMS = (b"Credential", b"credential", b"default", b"env", b"var", b"auth")
_SOURCE_NAMES_BY_STEM = tuple(
    (stem, tuple((name, name.encode()) for name in _SOURCE_NAMES
                 if next((s for s in _SHARED_STEMS if s in name.encode()), name.encode()) == stem))
    for stem in dict.fromkeys(next((s for s in _SHARED_STEMS if s in name.encode()), name.encode()) for name in _SOURCE_NAMES)
)
_DIGITS = frozenset(b"0123456789")


@functools.lru_cache(maxsize=64)
def _spelled_as_identifier(names: tuple[str, ...]) -> re.Pattern[bytes]:
    """Any of ``names``, not continued by an identifier byte. (What goes before is read in
    Python: a look-behind first would cost the scan its fast search for the names.)"""
    return re.compile(b"(?:" + b"|".join(re.escape(name.encode()) for name in names) + rb")(?![A-Za-z0-9_])")


def _token_starts(data: bytes, names: tuple[str, ...]) -> dict[str, list[int]]:
    """Where each of ``names`` is a whole identifier token of ``data``, in order: the offsets
    ``AnalysisContext.identifier_offsets`` holds for them, without tokenising the whole file
    (a token starts at a letter or ``_`` that no letter, ``_`` or digit-led run goes before)."""
    starts: dict[str, list[int]] = {}
    for match in _spelled_as_identifier(names).finditer(data):
        start = before = match.start()
        while before > 0 and data[before - 1] in _DIGITS:
            before -= 1
        if before > 0 and data[before - 1] in IDENTIFIER_BYTES:
            continue  # inside a run like `xvar` or `x1var`: the token starts further left
        starts.setdefault(match.group().decode(), []).append(start)
    return starts


def _credentials_set_after(ctx: AnalysisContext, call: Node) -> bool:
    """A builder seeded from the environment whose chain then sets credentials of its own
    (``AmazonS3Builder::from_env().with_access_key_id(..)``): what it authenticates with is
    what the chain set, not the host's identity."""
    node = call
    while (parent := ctx.parent(node)) is not None and parent.type == "field_expression" and same_node(parent.child_by_field_name("value"), node):
        method = node_text(parent.child_by_field_name("field"))
        if method.startswith(("with_", "set_")) and (set(words_of(method)) & CREDENTIAL_WORDS or "service_account" in method):
            return True
        caller = ctx.parent(parent)
        if caller is None or caller.type != "call_expression":
            return False
        node = caller
    return False


def _macro_call(name: Node, tokens: Node) -> tuple[Node, str | None] | None:
    """``aws_config::from_env()`` as tokens of a macro's arguments: the name, with the label of
    the path written before it and the argument list after it."""
    following = name.next_sibling
    if following is None or following.type != "token_tree" or not node_text(following).startswith("("):
        return None
    path = [node_text(name)]
    previous = name.prev_sibling
    while previous is not None and (previous.type == "identifier" or node_text(previous) == "::"):
        path.insert(0, node_text(previous))
        previous = previous.prev_sibling
    argument = following.named_children[0] if following.named_children else None
    return name, _label("".join(path), argument)


class HelperSource(NamedTuple):
    """An ambient source read inside a workspace function that a call runs."""

    label: str
    helper: str
    read_at: RelatedLocation  # the read in the helper, in whichever file it is


def ambient_in_callee(ctx: AnalysisContext, call: Node) -> HelperSource | None:
    """The ambient source inside the workspace function ``call`` runs (``infer_api_key()``,
    ``self.system_identity()``), one call deep."""
    resolved = callee_definition(ctx, call)
    if resolved is None:
        return None
    other, function = resolved
    # Contexts for other files are made afresh per question: their sources are kept per asker.
    by_file = getattr(ctx, "_ambient_calls_by_file", None)
    if by_file is None:
        by_file = ctx._ambient_calls_by_file = {}
    if other.path_key not in by_file:
        by_file[other.path_key] = (other, ambient_calls(other))
    other, sources = by_file[other.path_key]
    inside = [(inner, label) for inner, label in sources
              if (enclosing := other.enclosing_function(inner)) is not None and enclosing.id == function.id]
    if not inside:
        return None
    variables = [f"`{variable}`" for inner, _ in inside if (variable := _env_variable(inner)) is not None]
    # A helper that tries one variable, then another, names them all: any of them is sent.
    label = f"the process environment's {' or '.join(dict.fromkeys(variables))}" if len(variables) == len(inside) else inside[0][1]
    name = node_text(function.child_by_field_name("name"))
    return HelperSource(label, name, ctx.related(inside[0][0], f"the host's own credentials, read here by `fn {name}`", other))


class Owner(NamedTuple):
    """Whose a settings value is, as the model tells, and what of it chooses a destination."""

    description: str  # for messages: "`options` is an `EmbedderOptions`, made from a request's `Settings` (…)"
    origin: RequestOrigin | None
    root: str  # the binding the value hangs off (`options`, `self`)
    type_name: str


def value_owner(ctx: AnalysisContext, value: Node, function: Node) -> Owner | None:
    """Whose ``value`` (a credential) is: a tenant's when its root binding's declared type is
    made from what a client or tenant sends (``request_owner``), when the function has a
    tenant in reach, or when it hangs off a value named for the isolation unit
    (``tenant.registry_auth``). A client tool's own login falling back to the user's docker
    store is none of these."""
    owner = request_owner(ctx, value, function)
    if owner is not None:
        return owner
    reach = tenant_in_reach(ctx, function)
    if reach is not None:
        return Owner(f"tenant `{reach}` is in reach", None, "", "")
    text = node_text(value)
    if set(words_of(text)) & UNIT_WORDS or ctx.vocabulary.tenant.match(text) is not None:
        return Owner(f"`{short_text(text, 40)}` is the tenant's", None, "", "")
    return None


def short_path(path: str) -> str:
    """The last folders of a workspace path, for a message."""
    parts = path.replace("\\", "/").split("/")
    return "/".join(parts[-3:])


def request_owner(ctx: AnalysisContext, value: Node, function: Node) -> Owner | None:
    """``value``'s owner when the declared type of the binding it hangs off is made from what
    a request or a manifest sends (``checks.workspace.made_from_request``)."""
    root, type_name = _root_binding(ctx, value, function)
    origin = ctx.workspace.made_from_request(type_name, ctx.settings.contract.tenant_chosen) if type_name else None
    if origin is None:
        return None
    made = "a manifest" if origin.kind == "manifest" else (
        f"what a request sends (`{origin.type_name}`, taken by `{origin.function}` at {short_path(origin.path)}:{origin.line + 1})")
    return Owner(f"`{root}` (`{type_name}`) is made from {made}", origin, root, type_name)


def _root_binding(ctx: AnalysisContext, value: Node, function: Node, depth: int = 0) -> tuple[str, str]:
    """The binding ``value`` is read from and its declared type's name: a parameter
    (``options: &EmbedderOptions``), ``self`` (its impl's type) or a field of ``self``
    (the field's declared type), through the locals bound from them (``let``, ``if let``,
    match arms)."""
    node: Node | None = value
    fields: list[str] = []
    while node is not None:
        if node.type == "field_expression":
            field = node.child_by_field_name("field")
            fields.append(node_text(field) if field is not None else "")
            node = node.child_by_field_name("value")
        elif node.type == "call_expression":
            callee = node.child_by_field_name("function")
            if callee is None or callee.type != "field_expression":
                return "", ""
            fields.append("")  # a method's result, not a field
            node = callee.child_by_field_name("value")
        elif node.type in VALUE_WRAPPERS:
            node = wrapped_value(node)
        else:
            break
    if node is None:
        return "", ""
    if node.type == "self":
        owner = impl_owner(ctx, node)
        # The step right after `self`: a field of the impl's type (empty for a method's result).
        first_field = fields[-1] if fields else ""
        if first_field and owner:
            field_type = ctx.workspace.field_type(owner, first_field)
            if field_type:
                return f"self.{first_field}", workspace_type(ctx, field_type) or owner
        return "self", owner
    if node.type == "identifier":
        name = node_text(node)
        declared = _parameter_type(function, name)
        if declared is not None:
            return name, workspace_type(ctx, declared)
        bound_from = _binding_source(ctx, node, function) if depth < _MAX_BINDING_STEPS else None
        if bound_from is not None:
            return _root_binding(ctx, bound_from, function, depth + 1)
        return name, ""
    return "", ""


# Locals followed back to what they were bound from, at most this many steps.
_MAX_BINDING_STEPS = 4


def _binding_source(ctx: AnalysisContext, identifier: Node, function: Node) -> Node | None:
    """What a local was bound from: the value a ``let`` initialises it with, or the value
    matched by the arm or ``if let`` whose pattern binds it."""
    name = node_text(identifier)
    node = ctx.parent(identifier)
    while node is not None and node.id != function.id:
        pattern, value = None, None
        if node.type == "match_arm":
            pattern = node.child_by_field_name("pattern")
            match = ctx.enclosing(node, ("match_expression",))
            value = match.child_by_field_name("value") if match is not None else None
        elif node.type == "let_condition":
            pattern, value = node.child_by_field_name("pattern"), node.child_by_field_name("value")
        elif node.type == "block":
            for statement in node.named_children:
                if statement.start_byte >= identifier.start_byte:
                    break
                if statement.type == "let_declaration" and _binds(statement.child_by_field_name("pattern"), name):
                    pattern, value = statement.child_by_field_name("pattern"), statement.child_by_field_name("value")
        if pattern is not None and value is not None and _binds(pattern, name) and not _within(identifier, value):
            return value
        node = ctx.parent(node)
    return None


def _binds(pattern: Node | None, name: str) -> bool:
    """Whether a pattern binds ``name`` (not as a path's segment, like `Auth::name`)."""
    pending = [(pattern, None)] if pattern is not None else []
    while pending:
        node, parent_type = pending.pop()
        if node.type in ("identifier", "shorthand_field_identifier") and node_text(node) == name and parent_type != "scoped_identifier":
            return True
        pending.extend((child, node.type) for child in node.named_children)
    return False


def _within(node: Node, container: Node) -> bool:
    return container.start_byte <= node.start_byte and node.end_byte <= container.end_byte


def _parameter_type(function: Node, name: str) -> str | None:
    parameters = function.child_by_field_name("parameters")
    for parameter in parameters.named_children if parameters is not None else ():
        pattern = parameter.child_by_field_name("pattern") if parameter.type == "parameter" else None
        if pattern is not None and node_text(pattern).removeprefix("mut ") == name:
            type_node = parameter.child_by_field_name("type")
            return node_text(type_node) if type_node is not None else None
    return None


def workspace_type(ctx: AnalysisContext, type_text: str) -> str:
    """The first workspace struct or enum a type text names (through references, wrappers)."""
    model = ctx.workspace
    for expression in named_types(type_text) if type_text else ():
        if expression.kind == "path" and (model.struct(expression.name) is not None or model.declares_enum(expression.name)):
            return expression.name
    return ""


def destination_of(ctx: AnalysisContext, owner: Owner, function: Node) -> Node | None:
    """Where the same settings value chooses to send requests: a destination field read off
    its root binding in ``function`` (``options.url``, ``self.endpoint``), or bound by
    destructuring it (``let S3Settings { endpoint, .. } = self``)."""
    if not owner.root:
        return None
    body = function.child_by_field_name("body")
    root = owner.root.split(".", 1)[0]
    pending = [body] if body is not None else []
    while pending:
        node = pending.pop()
        if node.type == "field_expression":
            value = node.child_by_field_name("value")
            field = node.child_by_field_name("field")
            if value is not None and field is not None and node_text(value) in (root, owner.root) \
                    and set(words_of(node_text(field))) & DESTINATION_WORDS:
                return node
        elif node.type == "let_declaration":
            pattern = node.child_by_field_name("pattern")
            value = node.child_by_field_name("value")
            if pattern is not None and pattern.type == "struct_pattern" and value is not None and node_text(value).lstrip("*&") == root:
                for field in pattern.named_children:
                    name = field.child_by_field_name("name") if field.type == "field_pattern" else None
                    spelled = node_text(name) if name is not None else node_text(field) if field.type == "shorthand_field_identifier" else ""
                    if spelled and set(words_of(spelled)) & DESTINATION_WORDS:
                        return field
        pending.extend(reversed(node.named_children))
    return None


def fallback_for(ctx, site: Node, function: Node) -> Node | None:
    """The tenant-provided value ``site`` stands in for when it is missing: the scrutinee of
    a ``None``/``_`` match arm, the ``if let Some(..)`` of an ``else``, or the receiver of
    ``unwrap_or_else(|| …)`` — when that value is a credential."""
    node = ctx.parent(site)
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
            candidate = _fallback_receiver(ctx, ctx.parent(node))
        if candidate is not None and set(words_of(node_text(candidate))) & CREDENTIAL_WORDS:
            # `env::var("A_KEY").or_else(|_| env::var("B_KEY"))`: one host source standing in for another.
            return None if _reads_ambient(candidate) else candidate
        node = ctx.parent(node)
    return None


def _env_variable(site: Node) -> str | None:
    """The credential variable an env read (a call, or its name in a macro's tokens) names."""
    if not _is_env_read(site):
        return None
    if site.type == "call_expression":
        arguments = call_arguments(site)
        return _credential_variable(arguments[0] if arguments else None)
    following = site.next_sibling
    return _credential_variable(following.named_children[0] if following is not None and following.named_children else None)


def _is_env_read(site: Node) -> bool:
    """``std::env::var(..)``, or its name inside a macro's arguments."""
    callee = site.child_by_field_name("function") if site.type == "call_expression" else site
    text = node_text(callee) if callee is not None else ""
    return text.replace(".", "::").rsplit("::", 1)[-1] in ENV_READS


def _reads_ambient(value: Node) -> bool:
    pending = [value]
    while pending:
        node = pending.pop()
        if node.type == "call_expression" and ambient_label(node) is not None:
            return True
        pending.extend(node.named_children)
    return False


def _fallback_receiver(ctx, method_call: Node | None) -> Node | None:
    """The value a fallback method stands in for: the receiver of ``value.or(..)``, the
    first argument of ``Option::or(value, ..)``."""
    callee = method_call.child_by_field_name("function") if method_call is not None and method_call.type == "call_expression" else None
    if callee is not None and callee.type == "field_expression" and node_text(callee.child_by_field_name("field")) in _FALLBACK_METHODS:
        return callee.child_by_field_name("value")
    if callee is not None and callee.type == "scoped_identifier" and node_text(callee.child_by_field_name("name")) in _FALLBACK_METHODS:
        arguments = call_arguments(method_call)
        return arguments[0] if len(arguments) > 1 else None
    return None


class Fallback(NamedTuple):
    site: Node  # the ambient call, or the call of the helper that makes one
    label: str
    helper: HelperSource | None


def _fallbacks(ctx: AnalysisContext):
    """Ambient sources called where a value is missing: directly, or through a workspace
    helper called in a fallback method's argument (``unwrap_or_else(|| infer_api_key())``)."""
    direct = ambient_calls(ctx)
    for call, label in direct:
        yield Fallback(call, label, None)
    seen = {call.id for call, _ in direct}
    for method_call in calls_named(ctx, _FALLBACK_METHODS):
        receiver = _fallback_receiver(ctx, method_call)
        if receiver is None or not set(words_of(node_text(receiver))) & CREDENTIAL_WORDS:
            continue
        arguments = method_call.child_by_field_name("arguments")
        pending = list(arguments.named_children) if arguments is not None else []
        while pending:
            node = pending.pop()
            if node.type == "call_expression" and node.id not in seen:
                seen.add(node.id)
                helper = ambient_in_callee(ctx, node)
                if helper is not None:
                    yield Fallback(node, helper.label, helper)
            pending.extend(node.named_children)


def check(ctx):
    if not ctx.serves_tenants:
        return
    for fallback in _fallbacks(ctx):
        call = fallback.site
        if ctx.should_skip(call):
            continue
        function = ctx.enclosing_function(call)
        if function is None:
            continue
        provided = fallback_for(ctx, call, function)
        owner = value_owner(ctx, provided, function) if provided is not None else None
        if owner is None:
            # A key the host reads from its own environment is ISO101's to audit; the cloud
            # and docker identities taken for the host's own work are recorded here.
            if provided is None and tenant_in_reach(ctx, function) is None and fallback.helper is None and not _is_env_read(call):
                ctx.observe(call, "credentials", "host's own", f"{fallback.label}, taken by code with no tenant in reach, not as a tenant's fallback")
            continue
        yield _finding(ctx, call, fallback, provided, owner, destination_of(ctx, owner, function))


def _finding(ctx, call: Node, fallback: Fallback, provided: Node, owner: Owner, destination: Node | None):
    credentials = short_text(node_text(provided), 40)
    source = fallback.label if fallback.helper is None else f"{fallback.label}, read by `fn {fallback.helper.helper}`"
    related = [ctx.related(provided, "the tenant's own credentials, when it has some")]
    if fallback.helper is not None:
        related.append(fallback.helper.read_at)
    if destination is not None:
        related.append(ctx.related(destination, f"where `{owner.root}` sends requests: chosen with the same settings"))
        consequence = (f"{owner.description}, and `{short_text(node_text(destination), 40)}` there chooses where they "
                       "are sent: whoever writes these settings can send the host's secret anywhere")
    else:
        consequence = (f"{owner.description}: a tenant that brought none acts with the host's identity and reaches what "
                       "the host can, other tenants' registries, buckets and services included")
    return ctx.finding(
        call,
        f"when `{credentials}` is missing, the host's own credentials are used ({source}); {consequence}; refuse the "
        "request, or use credentials that belong to this tenant",
        related=related,
    )


RULE = Rule(
    code="ISO501",
    reach="linked-bodies",
    type_declaration_words=(),
    name="ambient-credential-fallback",
    summary=(
        "The host's ambient credentials (the process's cloud identity, an environment variable holding a key, CLI "
        "login or docker credential helpers) are used when a tenant's own credentials are missing."
    ),
    rationale=(
        "A multi-tenant host that pulls a tenant's image, reads its bucket or calls its "
        "service with the tenant's credentials, and falls back to the default chain or to a key "
        "in its own environment when the tenant configured none, lends every such tenant the "
        "host's own identity: its instance role, managed identity, environment keys or docker "
        "logins. Those reach the host's registries and buckets, and often other tenants' too; "
        "when the same settings also choose the URL the request goes to, the tenant can send the "
        "host's key anywhere. A value is a tenant's when it hangs off the isolation unit, when "
        "a tenant is in reach, or when its declared type is made from what a request or a "
        "manifest sends (through fields, enum variants and `From` conversions). A tenant "
        "without credentials gets anonymous access or an error, never the host's. Ambient "
        "credentials used for the host's own work, or as the fallback of the operator's own "
        "configuration, are not reported."
    ),
    bad_example=(
        "pub fn embedder(options: &EmbedderOptions) -> Client {\n"
        "    // `EmbedderOptions` is made from an index's settings, sent over the API\n"
        "    let key = options.api_key.clone().or_else(|| std::env::var(\"OPENAI_API_KEY\").ok());\n"
        "    Client::new(&options.url, key)\n"
        "}\n"
    ),
    good_example=(
        "pub fn embedder(options: &EmbedderOptions) -> Result<Client, Error> {\n"
        "    let Some(key) = options.api_key.clone() else {\n"
        "        return Err(Error::MissingApiKey);\n"
        "    };\n"
        "    Ok(Client::new(&options.url, Some(key)))\n"
        "}\n"
    ),
    default_severity=Severity.WARNING,
    fix_availability=FixAvailability.NONE,
    fix_safety=None,
    check=check,
    message="when `{credentials}` is missing, the host's own credentials are used ({source}); {whose the settings are}[, and `{destination}` there chooses where requests go]",
    options=("lint-tests", "contract.tenant-chosen"),
)
