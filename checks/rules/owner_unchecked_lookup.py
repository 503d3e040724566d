"""ISO205 owner-unchecked-lookup."""

from __future__ import annotations

import re
from typing import NamedTuple

from tree_sitter import Node

from .. import keyflow
from ..call_sites import identity_field, names_scope_identity, tenant_in_reach
from ..context import IDENTIFIER_TOKEN, VALUE_WRAPPERS, call_arguments, calls_named, node_text, wrapped_value
from ..keyflow import PASSTHROUGH_METHODS, KeyTracer
from ..model import FixAvailability, Severity
from ..parsing import matches
from ..tenancy import ALL_CALLS, callee_definition, may_name_callee, ownership_checked
from ..workspace import named_types, parse_type
from .base import Rule

# What a function calls to find one record by a key: an ORM's or a query builder's finder,
# a map's or a cache's read, an iterator's search.
_FINDS = re.compile(r"\.\s*(?:find|find_by_id|find_by|filter|get|one|fetch_one|fetch_optional|query_one|query_opt|query_row|get_item)\s*[(:<]")
# What a result is asked when only its existence matters (a uniqueness check): no record of
# another tenant is read.
_EXISTENCE_TESTS = frozenset({"is_some", "is_none", "is_ok", "is_err"})
# Steps from a lookup's call to what holds its record (`.await`, `?`, `.ok()`, `.flatten()`).
_CHAIN_STEPS = frozenset({"field_expression", "call_expression", "try_expression", "await_expression", "reference_expression",
                          "parenthesized_expression"})
# Methods whose closure is handed the record a chain carries (`.map(|l| l.label)`).
_HANDING_METHODS = frozenset({"map", "and_then", "filter", "is_some_and", "is_none_or", "inspect", "map_or", "map_or_else",
                              "unwrap_or_else", "ok_or_else", "then", "find"})


class Record(NamedTuple):
    """A type a lookup returns that names its owner."""

    name: str
    owner_field: str
    owner_type: str

    @property
    def shared_rows(self) -> bool:
        """The owner may be absent (``org_id: Option<String>``): records no tenant owns sit
        beside each tenant's own, every tenant sees the first kind and only its owner the
        second."""
        return any(expression.name == "Option" for expression in named_types(self.owner_type))


def _record_of(callee_ctx, returns: str) -> Record | None:
    """The record a lookup answers with, when it may find none (an ``Option`` in its
    return type) and the record's declared type has a field naming its owner (``org_id``,
    ``tenant``): ``Result<Option<alert_state::Model>>`` → ``Model`` with ``org_id``."""
    expressions = list(named_types(returns))
    if not any(expression.name == "Option" for expression in expressions):
        return None
    model = callee_ctx.workspace
    for expression in expressions:
        if expression.kind != "path" or expression.args or not expression.name[:1].isupper():
            continue
        struct = _struct_named(callee_ctx, expression)
        if struct is None:
            continue
        for field, field_type in struct.fields:
            if names_scope_identity(callee_ctx, field) and not model.is_collection(field_type):
                return Record(struct.name, field, field_type)
    return None


def _struct_named(ctx, expression):
    """The workspace struct a type path names, read from the file that writes it: a path
    (``alert_state::Model``) through that file's ``use`` declarations, a bare name that one
    workspace struct has."""
    model = ctx.workspace
    segments = tuple(expression.path.replace(" ", "").split("::"))
    resolved = model.item_file(ctx.path_key, segments) if len(segments) > 1 else None
    if resolved is not None:
        return model.struct_in(*resolved)
    if len(segments) == 1:
        own = model.struct_in(ctx.path_key, expression.name)
        if own is not None:
            return own
        imported = model.item_file(ctx.path_key, segments)
        if imported is not None:
            return model.struct_in(*imported)
        return model.struct(expression.name) if model.declaring_file(expression.name) is not None else None
    return None


def _scope_spelled(ctx, function: Node, judged_words: dict[bytes, bool]) -> str | None:
    """The tenant a function can see: a parameter named or typed as one, a field naming one
    of a parameter's workspace type (``alert: &Alert`` with its ``org_id``), or a value of
    one (``check.org_id``, ``let org_id = ..``) in its body."""
    found = tenant_in_reach(ctx, function)
    if found is not None and not found.startswith("self."):
        return found
    parameters = function.child_by_field_name("parameters")
    for parameter in parameters.named_children if parameters is not None else ():
        pattern, type_node = parameter.child_by_field_name("pattern"), parameter.child_by_field_name("type")
        if parameter.type != "parameter" or pattern is None or pattern.type != "identifier" or type_node is None:
            continue
        for expression in named_types(node_text(type_node)):
            field = identity_field(ctx, expression.name) if expression.kind == "path" and expression.name[:1].isupper() else None
            if field is not None:
                return f"{node_text(pattern)}.{field}"
    body = function.child_by_field_name("body")
    if body is None or not _spells_scope_name(ctx, body, judged_words):
        return None
    for _, captured in matches(_SCOPE_NAMES, body):
        name = captured["name"][0]
        parent = ctx.parent(name)
        if name.type == "field_identifier" and (parent is None or parent.type != "field_expression"):
            continue  # a field a struct literal sets (`org_id: ..`), not a value read
        if names_scope_identity(ctx, node_text(name)):
            return node_text(parent) if name.type == "field_identifier" else node_text(name)
    return None


def _spells_scope_name(ctx, body: Node, judged_words: dict[bytes, bool]) -> bool:
    """Whether any word of ``body``'s text names a scope identity: most bodies spell none,
    and a word is judged once per file (``judged_words``), not at each of its nodes."""
    for word in set(IDENTIFIER_TOKEN.findall(ctx.source.data, body.start_byte, body.end_byte)):
        scopes = judged_words.get(word)
        if scopes is None:
            scopes = judged_words[word] = names_scope_identity(ctx, word.decode())
        if scopes:
            return True
    return False


_SCOPE_NAMES = """
[(field_identifier) (identifier)] @name
"""


def _holder(ctx, call: Node) -> tuple[Node, Node | None]:
    """The outermost step of the chain carrying ``call``'s answer, and what it ends in (a
    ``let``, an ``if let``, a ``match``, a method handing it to a closure, ...)."""
    node, parent = call, ctx.parent(call)
    while parent is not None and parent.type in _CHAIN_STEPS:
        if parent.type == "call_expression" and parent.child_by_field_name("function") is not None \
                and parent.child_by_field_name("function").id != node.id:
            break  # `f(lookup(..))`: handed to another call, not a step of the chain
        node, parent = parent, ctx.parent(parent)
    return node, parent


def _methods_on(ctx, call: Node, chain: Node) -> list[tuple[str, Node]]:
    """The methods called on the answer along its chain, with their calls, in order."""
    found, node = [], call
    while node.id != chain.id:
        parent = ctx.parent(node)
        if parent is None:
            break
        if parent.type == "field_expression" and parent.child_by_field_name("value").id == node.id:
            outer = ctx.parent(parent)
            if outer is not None and outer.type == "call_expression":
                found.append((node_text(parent.child_by_field_name("field")), outer))
        node = parent
    return found


def _bound_names(ctx, call: Node) -> tuple[set[str], bool]:
    """The names the answer is bound to (a ``let``, an ``if let``, a ``match`` arm, the
    parameters of a closure it is handed to), and whether only its existence is asked."""
    chain, holder = _holder(ctx, call)
    methods = _methods_on(ctx, call, chain)
    if methods and methods[-1][0] in _EXISTENCE_TESTS:
        return set(), True
    names: set[str] = set()
    for method, method_call in methods:
        if method in _HANDING_METHODS:
            for argument in call_arguments(method_call):
                if argument.type == "closure_expression":
                    names |= _identifiers(argument.child_by_field_name("parameters"))
    if holder is not None and holder.type in ("let_declaration", "let_condition"):
        bound = _identifiers(holder.child_by_field_name("pattern"))
    elif holder is not None and holder.type == "match_expression":
        bound = set()
        body = holder.child_by_field_name("body")
        for arm in body.named_children if body is not None else ():
            pattern = arm.child_by_field_name("pattern") if arm.type == "match_arm" else None
            bound |= _identifiers(pattern)
    else:
        return names, False
    # `match find(..) { Ok(Some(_)) => .., Ok(None) => .. }`: what is found is never read.
    return names | bound, not names and not bound


def _identifiers(node: Node | None) -> set[str]:
    """The names a pattern binds (not the variants and paths it names: ``Ok(Some(found))``)."""
    names, pending = set(), [node] if node is not None else []
    while pending:
        current = pending.pop()
        if current.type == "identifier" and not node_text(current)[:1].isupper():
            names.add(node_text(current))
        elif current.type == "tuple_struct_pattern":
            pending.extend(current.named_children[1:])
        elif current.type not in ("closure_expression", "scoped_identifier"):
            pending.extend(current.named_children)
    return names


def _owner_read(function: Node, names: set[str], owner_field: str, after: int) -> bool:
    """Whether the owner field of the answer is read after the lookup (``loc.org_id``, a
    ``match &row.org_id``): what the code does with it is its check of whose the record is."""
    body = function.child_by_field_name("body")
    for _, captured in matches(_FIELD_READS, body) if body is not None else ():
        read = captured["read"][0]
        if read.start_byte < after:
            continue
        value, field = read.child_by_field_name("value"), read.child_by_field_name("field")
        root = value
        while root is not None and root.type == "field_expression":
            root = root.child_by_field_name("value")
        if field is not None and node_text(field) == owner_field and root is not None and node_text(root) in names:
            return True
    return False


_FIELD_READS = """
(field_expression) @read
"""


def _plain(text: str) -> str:
    text = text.lstrip("&*")
    for suffix in (".clone()", ".to_string()", ".to_owned()", ".as_str()", ".as_ref()"):
        text = text.removesuffix(suffix)
    return text


def _guarded(ctx, function: Node, call: Node, keys: list[Node]) -> str | None:
    """An earlier call of the function hands the same key together with the tenant
    (``location_for_write(org_id, is_root, id)``), or an earlier comparison sets what another
    lookup of the same key answers against the tenant (``owner_of(&id) == Some(org_id)``):
    the key was checked against its owner there."""
    wanted = {_plain(node_text(key)) for key in keys}
    body = function.child_by_field_name("body")
    earlier = [found["call"][0] for _, found in matches(ALL_CALLS, body) if found["call"][0].end_byte <= call.start_byte] \
        if body is not None else []
    for other in earlier:
        arguments = [_plain(node_text(argument)) for argument in call_arguments(other)]
        if wanted & set(arguments) and any(names_scope_identity(ctx, argument.rsplit(".", 1)[-1]) for argument in arguments):
            return node_text(other.child_by_field_name("function"))
    for _, found in matches(_COMPARISONS, body) if body is not None else ():
        comparison = found["comparison"][0]
        if comparison.end_byte > call.start_byte:
            continue
        sides = [comparison.child_by_field_name(side) for side in ("left", "right")]
        if any(side is None for side in sides):
            continue
        for mine, theirs in (sides, sides[::-1]):
            looks_up_key = any(other.start_byte >= mine.start_byte and other.end_byte <= mine.end_byte
                               and wanted & {_plain(node_text(argument)) for argument in call_arguments(other)} for other in earlier)
            if looks_up_key and any(names_scope_identity(ctx, node_text(name)) for _, named in matches(_SCOPE_NAMES, theirs)
                                    for name in named["name"]):
                return node_text(comparison)
    return None


_COMPARISONS = """
(binary_expression operator: ["==" "!="]) @comparison
"""


def _host_fixed(composition) -> bool:
    return all(part.kind == "literal" or (part.kind == "identifier" and part.text.isupper()) for part in composition.parts)


def _typed_entity_id(composition) -> bool:
    """A key that is one typed id (``alert_id: AlertId``, a ``Uuid``): the host mints those
    once, unique across tenants; two tenants name the same record only with a name or a
    string they derive."""
    parts = [part for part in composition.parts if part.kind != "literal"]
    if len(parts) != 1 or not parts[0].type_text:
        return False
    expression = parse_type(parts[0].type_text.lstrip("&").strip())
    return expression.kind == "path" and not expression.args and expression.name.endswith(("Id", "Uuid", "Ulid"))


def _key_arguments(callee: Node, call: Node) -> list[Node]:
    """The arguments a call passes for the lookup's keys: those of its parameters that are
    plain values (strings, numbers, ids), not the connection or client it runs on."""
    parameters = callee.child_by_field_name("parameters")
    arguments = call_arguments(call)
    kept = []
    position = 0
    for parameter in parameters.named_children if parameters is not None else ():
        if parameter.type == "self_parameter":
            continue
        if parameter.type != "parameter":
            continue
        type_node = parameter.child_by_field_name("type")
        if position < len(arguments) and type_node is not None and _is_value_type(node_text(type_node)):
            kept.append(arguments[position])
        position += 1
    return kept


_VALUE_TYPES = frozenset({"str", "String", "u8", "u16", "u32", "u64", "u128", "usize", "i32", "i64", "i128", "isize", "Cow", "Uuid", "Ulid"})


def _is_value_type(type_text: str) -> bool:
    expression = parse_type(type_text.lstrip("&").replace("mut ", "", 1).strip())
    while expression.kind == "reference" and expression.args:
        expression = expression.args[0]
    return expression.name in _VALUE_TYPES or expression.name.endswith(("Id", "Key", "Name"))


def check(ctx):
    if not ctx.serves_tenants:
        return
    lookups = _option_answering_names(ctx)
    if not lookups:
        return
    memo: dict = {}
    tracers: dict[str, KeyTracer] = {}
    reaches: dict[int, str] = {}
    judged_words: dict[bytes, bool] = {}
    for call in calls_named(ctx, lookups, judged_only=True):
        function = ctx.enclosing_function(call)
        if function is None or ctx.should_skip(call) or not ctx.wants_findings_at(function) \
                or not call_arguments(call) or not may_name_callee(call):
            continue
        reach = reaches.get(function.id)
        if reach is None:
            reach = reaches[function.id] = _scope_spelled(ctx, function, judged_words) or ""
        if reach:
            finding = _judge(ctx, function, call, reach, memo, tracers)
            if finding is not None:
                yield finding


def _option_answering_names(ctx) -> frozenset[str]:
    """The names this file spells that a workspace function answering with an ``Option``
    has: the calls worth judging, found by their spelling rather than by visiting every call."""
    workspace = ctx.workspace
    # A copy with bodies blanked out spells a part of the file's names: the calls looked
    # for in it are those it has.
    names = workspace.names_answering_option(ctx.path_key, ctx.whole_file_data)
    if names is not None:
        return frozenset(names)
    spelled = {word.decode() for word in set(IDENTIFIER_TOKEN.findall(ctx.source.data)) if word[:1].islower() or word[:1] == b"_"}
    return frozenset(spelled & workspace.all_names_answering_option())


def _judge(ctx, function: Node, call: Node, reach: str, memo: dict, tracers: dict):
    definition = callee_definition(ctx, call, memo)
    if definition is None:
        return None
    callee_ctx, callee = definition
    returns = callee.child_by_field_name("return_type")
    record = _record_of(callee_ctx, node_text(returns)) if returns is not None else None
    if record is None or tenant_in_reach(callee_ctx, callee) is not None:
        return None  # no record naming its owner, or the lookup is handed the tenant itself
    callee_body = callee.child_by_field_name("body")
    if callee_body is None or not _FINDS.search(node_text(callee_body)):
        return None
    keys = _key_arguments(callee, call)
    if not keys:
        return None
    tracer = tracers.get(ctx.path_key) or tracers.setdefault(ctx.path_key, KeyTracer(ctx))
    compositions = [tracer.trace(key) for key in keys]
    described = ", ".join(f"`{node_text(key)}`" for key in keys)
    if any(_holds_tenant(ctx, composition) for composition in compositions):
        ctx.observe(call, "state", "scoped", f"the tenant is in the key of the lookup: {described}")
        return None
    if all(_host_fixed(composition) for composition in compositions):
        return None
    if any(_typed_entity_id(composition) for composition in compositions):
        ctx.observe(call, "state", "host-minted key", f"{described} is an id the host minted, unique across tenants")
        return None
    names, existence_only = _bound_names(ctx, call)
    if existence_only:
        return None  # whether a record exists, not what another tenant's holds
    checked = ownership_checked(ctx, call, function) if not names else None
    if checked is not None or names and _owner_read(function, names, record.owner_field, call.end_byte):
        ctx.observe(call, "state", "scoped", f"the owner (`{record.owner_field}`) of what it finds is read back")
        return None
    guard = _guarded(ctx, function, call, keys)
    if guard is not None:
        ctx.observe(call, "state", "scoped", f"the same key was checked with the tenant by `{guard}`")
        return None
    derived = next((found for found in (_derivation(tracer, key) for key in keys) if found is not None), None)
    if record.shared_rows:
        why = (f"the store keeps shared and owned records side by side (`{record.owner_field}: {record.owner_type}`, empty "
               f"for those every tenant sees), so a key naming another tenant's record finds it as readily as a shared one")
    elif derived is not None:
        why = f"the key is derived from data by `{derived}`, and another tenant's data derives the same key"
    else:
        # A key carried as is (an id a record holds) names one record; whether another tenant can
        # name it is the host's minting, not visible here.
        ctx.observe(call, "state", "undetermined", f"{described} is carried as is: whether it is unique across tenants is not visible")
        return None
    callee_name = node_text(callee.child_by_field_name("name"))
    message = (
        f"`{callee_name}` finds a `{record.name}`, which names its owner (`{record.owner_field}`), by {described} alone, "
        f"in `fn {node_text(function.child_by_field_name('name'))}` that has `{reach}` in reach, and what it finds is used "
        f"without comparing its `{record.owner_field}`: {why}; hand the lookup the tenant, or compare the owner of what it returns"
    )
    return ctx.finding(call, message, related=[ctx.related(callee.child_by_field_name("name"), "the lookup, handed no tenant", callee_ctx)])


def _holds_tenant(ctx, composition) -> bool:
    """The key holds the tenant's identity (``org_id``, ``alert.org_id``, a scoping helper), not
    merely something of the tenant's (``org_config``)."""
    return any(part.kind == "helper" or part.kind != "literal" and names_scope_identity(ctx, part.text.rsplit(".", 1)[-1].rsplit("::", 1)[-1])
               for part in composition.parts)


# Steps from a key back to what made it (a borrow, an `.await`, a `?`, a `let`).
MAX_DERIVATION_STEPS = 8
# Macros that compose a key from values.
_COMPOSING_MACROS = frozenset({"format", "concat"})


def _derivation(tracer: KeyTracer, key: Node) -> str | None:
    """The call or macro that computed a key from values (``calculate_fingerprint(alert,
    row)``, ``format!(..)``), through ``let``s, borrows and conversions; None when the key is
    carried as is (a parameter, a field of a record, an element of a list)."""
    node: Node | None = key
    for _ in range(MAX_DERIVATION_STEPS):
        if node is None:
            return None
        if node.type in VALUE_WRAPPERS:
            node = wrapped_value(node)
        elif node.type == "identifier":
            binding = tracer.scope_of(node).binding_before(node_text(node), node)
            node = binding.child_by_field_name("value") if binding is not None and binding.type == "let_declaration" else None
        elif node.type == "call_expression":
            callee = node.child_by_field_name("function")
            if callee is not None and callee.type == "generic_function":
                callee = callee.child_by_field_name("function")
            if callee is not None and callee.type == "field_expression" and node_text(callee.child_by_field_name("field")) in PASSTHROUGH_METHODS:
                node = callee.child_by_field_name("value")
            elif callee is not None and callee.type in ("identifier", "scoped_identifier") \
                    and not node_text(callee).rsplit("::", 1)[-1][:1].isupper():
                return node_text(callee)
            else:
                return None
        elif node.type == "macro_invocation":
            name = node.child_by_field_name("macro")
            return f"{node_text(name)}!" if name is not None and node_text(name) in _COMPOSING_MACROS else None
        else:
            return None
    return None


RULE = Rule(
    code="ISO205",
    reach="linked-bodies",
    type_declaration_words=(),
    name="owner-unchecked-lookup",
    summary=(
        "A record that names its owner (an `org_id`-style field) is looked up in a store every tenant shares by a key "
        "without the owner, in code that has the tenant in reach, and used without comparing its owner."
    ),
    rationale=(
        "A table or cache that keeps every tenant's records side by side says whose each one is in a field: an alert "
        "state's `org_id`, a location's `org_id`. A lookup by another column alone (a fingerprint, a name, a location "
        "the tenant picked) finds whichever tenant's record holds that key: when two tenants derive or choose the same "
        "key, the second one's code reads, updates or routes by the first one's record. The code making the lookup knows "
        "which tenant it serves (a parameter, `alert.org_id`): the lookup must be handed it, or the owner of what comes "
        "back compared with it. The rule follows the call to the workspace function that makes the lookup: it reports "
        "when that function is handed no tenant, answers with an `Option` of a workspace type that has an owner field, "
        "and the caller neither reads that field of the answer nor checked the same key with the tenant in an earlier "
        "call. A key that holds the tenant, one the host fixed, a typed id the host minted (`AlertId`, a `Uuid`), and a "
        "lookup asked only whether a record exists (`.is_some()`) are not reported."
    ),
    bad_example=(
        "async fn find_state(db: &Db, fingerprint: &str) -> Result<Option<DedupState>> {\n"
        "    dedup_state::Entity::find_by_id(fingerprint).one(db).await\n"
        "}\n"
        "\n"
        "async fn suppress(db: &Db, alert: &Alert, fingerprint: &str) -> Result<bool> {\n"
        "    // `DedupState` has an `org_id`; another org's state under this fingerprint silences this alert\n"
        "    Ok(find_state(db, fingerprint).await?.is_some_and(|state| state.recent))\n"
        "}\n"
    ),
    good_example=(
        "async fn find_state(db: &Db, org_id: &str, fingerprint: &str) -> Result<Option<DedupState>> {\n"
        "    dedup_state::Entity::find_by_id((org_id.to_owned(), fingerprint.to_owned())).one(db).await\n"
        "}\n"
        "\n"
        "async fn suppress(db: &Db, alert: &Alert, fingerprint: &str) -> Result<bool> {\n"
        "    Ok(find_state(db, &alert.org_id, fingerprint).await?.is_some_and(|state| state.recent))\n"
        "}\n"
    ),
    default_severity=Severity.WARNING,
    fix_availability=FixAvailability.NONE,
    fix_safety=None,
    check=check,
    queries=(*keyflow.QUERIES,),
    message="`{lookup}` finds a `{record}`, which names its owner (`{owner field}`), by `{key}` alone, in `fn {caller}` that has `{tenant}` in reach, …",
    options=("contract.scope-identities", "scope.tenant-identifiers", "scope.extend-tenant-identifiers", "lint-tests"),
)
