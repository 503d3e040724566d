"""ISO203 key-struct-missing-scope."""

from __future__ import annotations

import re

from tree_sitter import Node

from ..context import attribute_texts, node_text, same_node
from .. import keyed_collections
from ..keyed_collections import IMPL_QUERY, MAP_TYPES, SET_TYPES, STRUCT_QUERY, struct_fields, type_arguments, type_name
from ..model import FixAvailability, Severity
from ..parsing import matches
from .base import Rule, vocabulary_triggers
from ..vocabulary import words_of

_HASH_DERIVE = r"(?s)^derive\s*\(.*\bHash\b"
# Last words of struct names that say "I am an identifier", for structs that derive Hash but
# are not seen as a map key in this file.
KEY_NOUNS = frozenset({
    "key", "id", "ref", "scope", "handle", "address", "locator", "coordinates", "coord",
    "identity", "ident", "selector", "slot", "name", "path", "fingerprint",
})
# Keys of these stores live in backends shared by every tenant (session/state/resume stores,
# caches), so a pack id alone is not enough: two tenants may install the same pack.
SHARED_STORE_WORDS = frozenset({"session", "state", "resume", "cache", "checkpoint", "snapshot"})
MAX_FIELDS_OF_IMPLICIT_KEY = 3

# The collection's name is matched in the query (a file names many types, few of them maps
# or sets, and a match the query drops costs nothing in Python); that it heads a generic type
# is read in Python: a pattern nested under `generic_type` costs more to compile than a short
# run takes to analyse a file.
_KEYED_TYPES = """
((type_identifier) @collection (#any-of? @collection %s))
""" % " ".join(f'"{name}"' for name in sorted(MAP_TYPES | SET_TYPES))


def _generic_type_named_by(ctx, name: Node) -> Node | None:
    """``HashMap<K, V>`` (or ``dashmap::DashMap<K, V>``) from the name ``HashMap``."""
    named, parent = name, ctx.parent(name)
    if parent is not None and parent.type == "scoped_type_identifier" and same_node(parent.child_by_field_name("name"), named):
        named, parent = parent, ctx.parent(parent)
    if parent is None or parent.type != "generic_type" or not same_node(parent.child_by_field_name("type"), named):
        return None
    return parent


def _key_type_uses(ctx, struct_names: set[str]) -> dict[str, list[Node]]:
    """Struct name → the map/set types in this file that use one of ``struct_names`` as key."""
    uses: dict[str, list[Node]] = {}
    for _, found in matches(_KEYED_TYPES, ctx.root):
        generic = _generic_type_named_by(ctx, found["collection"][0])
        if generic is None:
            continue
        arguments = type_arguments(generic)
        if not arguments:
            continue
        key = type_name(arguments[0])
        if key in struct_names and not ctx.should_skip(generic):
            uses.setdefault(key, []).append(generic)
    return uses


def _manual_hash_impls(ctx) -> set[str]:
    """The types of ``impl Hash for …`` blocks (from the impl query the collections index
    runs anyway: a query of its own costs more to compile than the few impls cost to read)."""
    hashed = set()
    for _, found in matches(IMPL_QUERY, ctx.root):
        impl = found["impl"][0]
        trait, implemented = impl.child_by_field_name("trait"), impl.child_by_field_name("type")
        if trait is not None and trait.type == "scoped_type_identifier":
            trait = trait.child_by_field_name("name")
        if trait is not None and trait.type == "type_identifier" and implemented is not None and node_text(trait) == "Hash":
            hashed.add(type_name(implemented))
    return hashed


def _looks_like_key(name: str, field_count: int) -> bool:
    words = words_of(name)
    return bool(words) and (words[-1] in KEY_NOUNS or field_count <= MAX_FIELDS_OF_IMPLICIT_KEY)


def _field_label(name: str, type_node: Node | None) -> str:
    type_text = node_text(type_node) if type_node is not None else ""
    return f"`{type_text}` (field {name})" if name.isdigit() else f"`{name}`"


def _scope_fields(ctx, fields: list[tuple[str, Node, Node | None]]):
    vocabulary = ctx.vocabulary
    per_pack, pack, tenant = [], [], []
    for name, name_node, type_node in fields:
        words_source = f"{'' if name.isdigit() else name} {type_name(type_node)}"
        if vocabulary.pack.match(words_source):
            pack.append((name, name_node, type_node))
        elif vocabulary.per_pack.match(words_source):
            per_pack.append((name, name_node, type_node))
        if vocabulary.tenant.match(words_source):
            tenant.append((name, name_node, type_node))
    return per_pack, pack, tenant


def check(ctx):
    if not ctx.serves_tenants:
        return  # tests, benchmarks, examples and tooling serve no tenant
    if ctx.workspace.knows_workspace and not ctx.workspace.declares_scope(ctx.vocabulary)[1]:
        return  # a per-pack id is unique only within a pack: a workspace without packs has none
    structs = [(found["struct"][0], found["name"][0]) for _, found in matches(STRUCT_QUERY, ctx.root) if ctx.wants_findings_at(found["name"][0])]
    if not structs:
        return
    key_uses = _key_type_uses(ctx, {node_text(name_node) for _, name_node in structs})
    hashed_by_hand = _manual_hash_impls(ctx)
    for struct, name_node in structs:
        fields = struct_fields(struct)
        # Without a per-pack id a struct is never reported, however it is used as a key.
        per_pack, pack, tenant = _scope_fields(ctx, fields)
        if not per_pack:
            continue
        name = node_text(name_node)
        uses = key_uses.get(name, [])
        derives_hash = any(re.match(_HASH_DERIVE, a) for a in attribute_texts(struct)) or name in hashed_by_hand
        if not uses and not (derives_hash and _looks_like_key(name, len(fields))):
            continue
        how = f"used as the key of `{' '.join(node_text(uses[0]).split())}`" if uses else "derives `Hash`, so it is meant as a key"
        flow_field = _field_label(per_pack[0][0], per_pack[0][2])
        related = [ctx.related(use, f"`{name}` used as a key here") for use in uses]
        if not pack:
            related.append(ctx.related(per_pack[0][1], "per-pack id without its pack"))
            tenant_note = "" if tenant else " (nor a tenant)"
            message = (
                f"key struct `{name}` ({how}) holds {flow_field} but no pack id{tenant_note}: flow, node "
                "and component ids are unique only inside one pack, so two packs' entries collide on the same key"
            )
            yield ctx.finding(name_node, message, related=related, notes=(f"[{', '.join(f[0] for f in per_pack)}] — no pack_id",))
        elif not tenant and set(words_of(name)) & SHARED_STORE_WORDS:
            related.append(ctx.related(pack[0][1], "pack id without its tenant"))
            message = (
                f"key struct `{name}` ({how}) holds {flow_field} and {_field_label(pack[0][0], pack[0][2])} but no "
                "tenant: session/state/cache keys live in stores shared by all tenants, and two tenants may install the same pack"
            )
            yield ctx.finding(name_node, message, related=related, notes=(f"[{', '.join(f[0] for f in pack + per_pack)}] — no tenant",))


RULE = Rule(
    code="ISO203",
    reach="linked-bodies",
    # A struct is reported by what it holds and where it is a map's or set's key.
    type_declaration_words=tuple(sorted(name.encode() for name in MAP_TYPES | SET_TYPES)),
    name="key-struct-missing-scope",
    summary="A struct used as a map or cache key that holds a flow id but no pack id (or, for session/state keys, no tenant).",
    rationale=(
        "A key struct is the identity of an entry: whatever it leaves out is shared. A "
        "`FlowKey { flow_id }` in a host that loads many packs makes every pack's `main` flow "
        "the same entry, so one tenant's compiled flow, cached output or session state is "
        "handed to another. Session, state and cache keys are stored in backends shared by all "
        "tenants, and two tenants may install the same pack, so those keys need the tenant too."
    ),
    bad_example=(
        "#[derive(Clone, PartialEq, Eq, Hash)]\n"
        "pub struct SessionKey {\n"
        "    pub flow_id: String,\n"
        "    pub session_id: String,\n"
        "}\n"
    ),
    good_example=(
        "#[derive(Clone, PartialEq, Eq, Hash)]\n"
        "pub struct SessionKey {\n"
        "    pub tenant_id: TenantId,\n"
        "    pub pack_id: PackId,\n"
        "    pub flow_id: String,\n"
        "    pub session_id: String,\n"
        "}\n"
    ),
    default_severity=Severity.WARNING,
    fix_availability=FixAvailability.NONE,
    fix_safety=None,
    check=check,
    # A finding needs a key struct with a per-pack id field (the vocabulary's per-pack
    # entries): files that mention none of them have nothing to report.
    configured_triggers=lambda settings: vocabulary_triggers(settings.vocabulary.per_pack.entries),
    queries=(_KEYED_TYPES, *keyed_collections.QUERIES),
    message="key struct `{name}` ({how it is a key}) holds `{flow id field}` but no pack id",
    options=(
        "scope.pack-identifiers", "scope.extend-pack-identifiers", "scope.tenant-identifiers",
        "scope.extend-tenant-identifiers", "scope.per-pack-identifiers",
        "scope.extend-per-pack-identifiers", "lint-tests",
    ),
)
