"""A proposed isolation contract for a workspace (``isolint init``), read off the model.

Every proposed entry carries the evidence that made it a candidate, so that the user keeps,
edits or deletes it knowingly: the contract is theirs, the proposal is a reviewer's first
reading of the code. Nothing here decides a finding.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import PurePath
from typing import NamedTuple

from .config import Settings
from .tenancy import HOST_TRAIT, KEYED_METHODS, STORE_WORDS, UNIT_WORDS
from .vocabulary import words_of
from .workspace import MAP_TYPES, PER_TENANT_TARGETS, WorkspaceModel, named_types, parse_type, target_kind

# An identity's last word: a name (`project_name`) labels a unit but is rarely what keys it.
_ID_WORDS = frozenset({"id", "ref", "uid"})
MIN_FIELD_USES = 3
# The outermost identity of the workspace's composite identities is listed before this many
# distinct other ids, at least: below it, struct field order says nothing about nesting.
MIN_NESTED_IDS = 6
# The id most request handlers take first from the URL path is the unit the API's routes are
# scoped by, once this many handlers take it.
MIN_ROUTES = 5
# A web framework's URL path extractor (`Path<T>`, `web::Path<T>`): std's `Path` takes no
# type argument.
_PATH_EXTRACTOR = "Path"
_BOUND_NAME = re.compile(r"[A-Za-z_]\w*")
_BINDING_MODES = frozenset({"mut", "ref"})
_KEY_PARAMETER_WORDS = frozenset({"key", "name", "path", "id"})
_KEY_TYPES = frozenset({"str", "String", "Path", "PathBuf"})
_HELPER_WORDS = frozenset({"key", "path", "prefix", "namespace", "namespaced", "scoped", "scope", "qualified"})


class Proposal(NamedTuple):
    section: str  # scope-identities | tenant-chosen | sinks | scoping-helpers | recognised (a comment on `value`)
    value: str
    reason: str
    # For scope identities: where one is declared (path relative to the root, 1-based line),
    # and how many struct fields and map keys use it.
    declared_at: tuple[str, int] | None = None
    uses: int = 0
    # Written commented out: evidence of a scope, but of one inside the unit, not the unit.
    tentative: bool = False


class _Evidence:
    def __init__(self) -> None:
        self.keyed_maps: Counter = Counter()
        self.fields: Counter = Counter()
        self.where: dict[str, str] = {}
        self.declared_at: dict[str, tuple[str, int]] = {}

    def declared(self, name: str, what: str, path: str, line: int) -> None:
        if name not in self.where:
            self.where[name] = f"{what} in {path}:{line}"
            self.declared_at[name] = (path, line)


class _Nesting:
    """How the host's own structs order their identity fields. A struct that holds several
    ids lists the enclosing unit's first (`index_uid, source_id, shard_id`), so the id listed
    before the widest range of other ids is the outermost scope the workspace composes: the
    isolation unit, whatever the codebase calls it."""

    def __init__(self) -> None:
        self.before: dict[str, Counter] = {}
        self.after: dict[str, set[str]] = {}
        self.structs: Counter = Counter()
        # Per id, the struct that lists the most ids after it: the clearest place to show.
        self.widest: dict[str, tuple[int, str, str, int]] = {}

    def add(self, identities: list[str], struct: str, path: str, line: int) -> None:
        for position, name in enumerate(identities):
            later = {other for other in identities[position + 1:] if other != name}
            self.before.setdefault(name, Counter()).update(later)
            self.after.setdefault(name, set()).update(other for other in identities[:position] if other != name)
            if len(identities) > 1:
                self.structs[name] += 1
            if later and len(later) > self.widest.get(name, (0,))[0]:
                self.widest[name] = (len(later), struct, path, line)

    def outermost(self) -> str | None:
        """The id listed before the most distinct other ids, if one is, by a clear lead: two
        ids tied at the top are parallel vocabularies (events, records), not one unit."""
        ranked = sorted(self.before, key=lambda name: (-len(self.before[name]), name))
        if not ranked or len(self.before[ranked[0]]) < MIN_NESTED_IDS:
            return None
        if len(ranked) > 1 and len(self.before[ranked[1]]) == len(self.before[ranked[0]]):
            return None
        return ranked[0]

    def nested_under(self, name: str, outer: str) -> int:
        """In how many structs ``outer`` is listed before ``name``, if it is more often than
        after it: ``name`` then identifies something inside ``outer``'s unit."""
        inside, around = self.before.get(outer, Counter())[name], self.before.get(name, Counter())[outer]
        return inside if inside > around else 0

    def reason(self, name: str) -> str:
        nested = [other for other, _ in self.before[name].most_common()]
        shown = ", ".join(f"`{other}`" for other in nested[:4]) + (", …" if len(nested) > 4 else "")
        return (f"the outermost id of the structs that combine ids: listed before {len(nested)} other ids ({shown}) "
                f"in {self.structs[name]} structs, after {len(self.after.get(name, ()))}")


class _RouteScopes:
    """The ids request handlers take first from their URL path (`Path((org_id, name))`,
    `index_uid: web::Path<String>`, a path struct's first id field): what a route is under."""

    def __init__(self, model: WorkspaceModel) -> None:
        self.handlers: Counter = Counter()
        self.example: dict[str, str] = {}
        signatures = [s for definitions in model.functions.values() for path, s in definitions if _host_code(path)]
        for signature in [*signatures, *model.methods.values()]:
            for bound, type_text in signature.params:
                extracted = next((e for e in named_types(type_text) if e.kind == "path" and e.name == _PATH_EXTRACTOR and e.args), None)
                leading = _leading_path_id(model, bound, extracted.args[0].text) if extracted is not None else None
                if leading is not None:
                    self.handlers[leading] += 1
                    self.example.setdefault(leading, signature.name)

    def scope(self) -> str | None:
        """The leading id of the most handlers, if enough take it and no other as often."""
        ranked = self.handlers.most_common(2)
        if not ranked or ranked[0][1] < MIN_ROUTES or len(ranked) > 1 and ranked[1][1] == ranked[0][1]:
            return None
        return ranked[0][0]

    def reason(self, name: str) -> str:
        return f"the first URL path parameter of {self.handlers[name]} request handlers (`fn {self.example[name]}`, …): what routes are under"


def _leading_path_id(model: WorkspaceModel, bound: str, extracted: str) -> str | None:
    """The id a path extractor binds first: the first name of its pattern (`Path((org_id,
    name))`), the first id field of the workspace struct it deserialises (its fields are the
    segments, in order), or the parameter's own name for a single segment."""
    if "(" in bound:
        names = [n for n in _BOUND_NAME.findall(bound.split("(", 1)[1]) if n not in _BINDING_MODES and not n[:1].isupper()]
        first = names[0].lstrip("_") if names else ""  # `Path(_org_id)`: unread, but the route is still under it
        return first if _identity(first) else None
    struct = model.struct(parse_type(extracted).name)
    if struct is not None:
        return next((field for field, _ in struct.fields if _identity(field)), None)
    names = [n for n in _BOUND_NAME.findall(bound) if n not in _BINDING_MODES]
    name = names[-1].lstrip("_") if names else ""
    return name if _identity(name) else None


def propose(model: WorkspaceModel, settings: Settings, root: str) -> list[Proposal]:
    """The contract entries the workspace suggests, most evident first within each section."""
    identities = scope_identity_candidates(model, settings, root)
    proposed = [words_of(p.value) for p in identities if p.section == "scope-identities"]
    return [*identities, *_host_interfaces(model, root), *_sinks(model, root),
            *_scoping_helpers(model, settings, root, proposed)]


def _relative(path: str, root: str) -> str:
    try:
        return os.path.relpath(path, root)
    except ValueError:
        return path


def _identity(name: str) -> bool:
    """An id of something (`split_id`, `IndexUid`): more than the id word alone."""
    words = words_of(name)
    return len(words) >= 2 and words[-1] in _ID_WORDS


def _unit_identity(name: str) -> bool:
    words = words_of(name)
    return _identity(name) and any(word in UNIT_WORDS for word in words[:-1])


def _host_code(path: str) -> bool:
    return target_kind(PurePath(path)) in PER_TENANT_TARGETS


def scope_identity_candidates(model: WorkspaceModel, settings: Settings, root: str) -> list[Proposal]:
    """Names the code uses as an isolation unit's identity that the vocabulary does not know
    yet: id newtypes and id fields of several structs or keying maps that name a unit, the
    outermost id of the host's composite identities, and the other ids of a proposed unit.
    A name the defaults or another proposal already count is said once, in a comment."""
    evidence = _Evidence()
    nesting = _Nesting()
    identity_fields: Counter = Counter()
    for name, definitions in model.structs.items():
        if _unit_identity(name) and len(definitions[0][1].fields) <= 1:
            evidence.declared(name, "newtype", _relative(definitions[0][0], root), definitions[0][1].line + 1)
        for path, struct in definitions:
            host_code = _host_code(path)
            for field, type_text in struct.fields:
                if _identity(field):
                    identity_fields[field] += 1
                if _unit_identity(field):
                    evidence.fields[field] += 1
                    evidence.declared(field, f"field of `{struct.name}`", _relative(path, root), struct.line + 1)
                for expression in named_types(type_text):
                    if expression.name in MAP_TYPES and expression.args:
                        for key in named_types(expression.args[0].text):
                            if _unit_identity(key.name):
                                evidence.keyed_maps[key.name] += 1
            if host_code:
                nesting.add([field for field, _ in struct.fields if _identity(field)], struct.name, _relative(path, root), struct.line + 1)
    candidates = set(evidence.where) & ({n for n in evidence.where if n[:1].isupper()} | {f for f, n in evidence.fields.items() if n >= MIN_FIELD_USES})
    # A field is shown where it heads the most other ids, not in the first struct read (often
    # a response that repeats it).
    for name in candidates & set(nesting.widest):
        _, struct, path, line = nesting.widest[name]
        evidence.where[name], evidence.declared_at[name] = f"field of `{struct}` in {path}:{line}", (path, line)
    reasons = {name: _evidence_reason(evidence, name) for name in candidates}
    declared_at = {name: evidence.declared_at[name] for name in candidates}
    uses = {name: evidence.fields[name] + evidence.keyed_maps[name] for name in candidates}
    routes = _RouteScopes(model)
    route_scope = routes.scope()
    if route_scope is not None:
        reasons[route_scope] = "; ".join(filter(None, [routes.reason(route_scope), reasons.get(route_scope)]))
        uses[route_scope] = max(uses.get(route_scope, 0), routes.handlers[route_scope])
    outermost = nesting.outermost()
    if outermost is not None:
        _, struct, path, line = nesting.widest[outermost]
        reasons[outermost] = "; ".join([f"field of `{struct}` in {path}:{line}", nesting.reason(outermost),
                                        *_evidence_counts(evidence, outermost),
                                        *([routes.reason(outermost)] if outermost == route_scope else [])])
        declared_at[outermost] = (path, line)
        uses[outermost] = max(uses.get(outermost, 0), identity_fields[outermost])
    for name in list(reasons):
        for sibling, count in identity_fields.items():
            if sibling not in reasons and count >= MIN_FIELD_USES and _same_unit(sibling, name):
                reasons[sibling] = f"another id of the unit `{name}` names: a field of {count} structs"
                uses[sibling] = count
    ranked = sorted(reasons, key=lambda n: (n not in (outermost, route_scope), -uses.get(n, 0), n))
    proposals, counted = [], []
    for name in ranked:
        if settings.vocabulary.tenant.match(name):
            if name[:1].isupper():
                counted.append(f"`{name}` ({evidence.where.get(name, 'declared')})")
            continue  # the defaults already count it
        wider = next((other for other in ranked if other != name and _names_within(other, name)), None)
        if wider is not None:
            continue  # `parent_namespace_id` is counted once `namespace_id` is
        nested = nesting.nested_under(name, outermost) if outermost is not None and name not in (outermost, route_scope) else 0
        reason = reasons[name] + (f"; but listed after `{outermost}` in {nested} structs: a scope inside that unit, "
                                  "kept only if it isolates tenants of its own" if nested else "")
        proposals.append(Proposal("scope-identities", name, reason, declared_at.get(name), uses.get(name, 0), tentative=bool(nested)))
    if counted:
        proposals.append(Proposal("recognised", "scope-identities", "The default tenant words count already: " + ", ".join(counted)))
    units = [name for name in dict.fromkeys((route_scope, outermost)) if name is not None]
    known_units = [name for name in units if settings.vocabulary.tenant.match(name)]
    if known_units:
        shown = " and ".join(f"`{name}`" for name in known_units)
        proposals.append(Proposal("recognised", "scope-identities", f"The unit the routes and ids are under, {shown}, is counted by the default tenant words."))
    elif not units and not any(p.section == "scope-identities" for p in proposals):
        proposals.append(Proposal("recognised", "scope-identities", "No id names a unit, heads the ids the host's structs combine, or leads its "
                                  "routes: a host serving one tenant per process needs no entry here."))
    return proposals


def _evidence_reason(evidence: _Evidence, name: str) -> str:
    return "; ".join([evidence.where[name], *_evidence_counts(evidence, name)])


def _evidence_counts(evidence: _Evidence, name: str) -> list[str]:
    parts = []
    if evidence.fields[name]:
        parts.append(f"a field of {evidence.fields[name]} structs")
    if evidence.keyed_maps[name]:
        parts.append(f"the key of {evidence.keyed_maps[name]} maps")
    return parts


def _same_unit(name: str, other: str) -> bool:
    """Two ids of one unit (`index_id` and `index_uid`): the same words before the id word."""
    words, other_words = words_of(name), words_of(other)
    return words[:-1] == other_words[:-1] and words[-1] != other_words[-1]


def _names_within(inner: str, outer: str) -> bool:
    """Whether ``inner``'s words are a run inside ``outer``'s, and fewer of them: the
    vocabulary matches runs, so ``inner`` already counts ``outer``."""
    inner_words, outer_words = words_of(inner), words_of(outer)
    size = len(inner_words)
    return size < len(outer_words) and any(outer_words[i:i + size] == inner_words for i in range(len(outer_words) - size + 1))


def _host_interfaces(model: WorkspaceModel, root: str) -> list[Proposal]:
    found: dict[str, str] = {}
    for path, items in sorted(model.summaries.items()):
        for impl in items.impls:
            if impl.trait is not None and HOST_TRAIT.match(impl.trait):
                found.setdefault(impl.trait, f"implemented for `{impl.self_type}` in {_relative(path, root)}: the guest calls it")
    # `Host` traits are recognised without the contract: said once, not proposed as entries.
    if not found:
        return []
    names = sorted(found)
    shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    return [Proposal("recognised", "tenant-chosen", f"{len(names)} host interfaces are recognised without an entry here: {shown}")]


def _sinks(model: WorkspaceModel, root: str) -> list[Proposal]:
    keyed: dict[str, list[str]] = {}
    for (owner, method), signature in sorted(model.methods.items()):
        if method not in KEYED_METHODS or not signature.has_self or not signature.params:
            continue
        if owner not in model.traits or not any(word in STORE_WORDS for word in words_of(owner)):
            continue
        first_name, first_type = signature.params[0]
        if set(words_of(first_name)) & _KEY_PARAMETER_WORDS and _key_type(first_type):
            keyed.setdefault(owner, []).append(f"{method}({first_name}: {first_type})")
    proposals = []
    for owner, methods in sorted(keyed.items()):
        where = _relative(next((p for p, items in model.summaries.items() if owner in items.traits), ""), root)
        if len(methods) == 1:
            proposals.append(Proposal("sinks", f"{owner}::{methods[0].split('(')[0]}",
                                      f"trait `{owner}` ({where}): `{methods[0]}` is keyed by its caller"))
        else:
            proposals.append(Proposal("sinks", owner, f"trait `{owner}` ({where}): {', '.join(f'`{m}`' for m in methods)} are keyed by their callers"))
    return proposals


def _key_type(type_text: str) -> bool:
    """Text, bytes or a path: an object store's key is as much a key as a map's."""
    return "[u8]" in type_text or any(e.name in _KEY_TYPES for e in named_types(type_text))


def _scoping_helpers(model: WorkspaceModel, settings: Settings, root: str, proposed: list[tuple[str, ...]]) -> list[Proposal]:
    """Host functions that take the unit's identity (by the vocabulary, a unit's id, or a
    proposed scope identity) with something else and return a key or path built of them."""
    proposals = []
    for name, definitions in sorted(model.functions.items()):
        if settings.vocabulary.is_helper(name) or not (set(words_of(name)) & _HELPER_WORDS):
            continue
        path, signature = definitions[0]
        if target_kind(PurePath(path)) not in PER_TENANT_TARGETS:
            continue  # a test's or a tool's helper scopes nothing the host serves
        # A parameter spelled `_org_id` is one the body never reads: it scopes nothing.
        scoped = [p for p, t in signature.params if not p.startswith("_")
                  and (settings.vocabulary.tenant.match(p) or _unit_identity(p) or _unit_identity_type(t) or _names_proposed(p, proposed))]
        if not scoped or len(signature.params) < 2 or not _returns_key(signature.returns):
            continue
        proposals.append(Proposal("scoping-helpers", name,
                                  f"{_relative(path, root)}:{signature.line + 1}: takes `{scoped[0]}` and returns `{signature.returns}`"))
    return proposals


def _returns_key(returns: str) -> bool:
    """A key or path as text (``String``, ``PathBuf``, ``StateKey``), not a result or list."""
    name = parse_type(returns).name if returns else ""
    return name in ("String", "PathBuf", "Path") or name.endswith(("Key", "Path"))


def _names_proposed(name: str, proposed: list[tuple[str, ...]]) -> bool:
    words = words_of(name)
    return any(any(words[i:i + len(p)] == p for i in range(len(words) - len(p) + 1)) for p in proposed)


def _unit_identity_type(type_text: str) -> bool:
    return any(_unit_identity(e.name) for e in named_types(type_text))


def render_toml(proposals: list[Proposal], files: int, root: str) -> str:
    """``isolint.toml`` text with a ``[contract]`` table: one line per entry, each with its
    evidence in a comment above it."""
    lines = [
        f"# isolint settings proposed by `isolint init` from {files} Rust files under {root}.",
        "# Review every entry: each says why it was proposed. Delete what is not your isolation",
        "# unit, your guest's entry points, your stores or your scoping helpers.",
        "",
        "[contract]",
    ]
    titles = {
        "scope-identities": "What identifies the isolation unit: joins the tenant vocabulary of every rule.",
        "tenant-chosen": "Host interfaces and functions whose parameters a tenant chooses.",
        "sinks": "Store APIs keyed by their first argument.",
        "scoping-helpers": "Functions that scope a key to the tenant.",
    }
    for section, title in titles.items():
        entries = [p for p in proposals if p.section == section]
        lines += [f"# {title}"]
        lines += [f"# {p.reason}" for p in proposals if p.section == "recognised" and p.value == section]
        lines += [f"{section} = ["]
        if not entries:
            lines.append("    # nothing found in this workspace")
        for proposal in entries:
            entry = f"{_toml_string(proposal.value)},"
            lines += [f"    # {proposal.reason}", f"    # {entry}" if proposal.tentative else f"    {entry}"]
        lines += ["]", ""]
    return "\n".join(lines)


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
