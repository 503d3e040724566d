"""A proposed isolation contract for a workspace (``isolint init``), read off the model.

Every proposed entry carries the evidence that made it a candidate, so that the user keeps,
edits or deletes it knowingly: the contract is theirs, the proposal is a reviewer's first
reading of the code. Nothing here decides a finding.
"""

from __future__ import annotations

import os
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
_KEY_PARAMETER_WORDS = frozenset({"key", "name", "path", "id"})
_HELPER_WORDS = frozenset({"key", "path", "prefix", "namespace", "namespaced", "scoped", "scope", "qualified"})


class Proposal(NamedTuple):
    section: str  # scope-identities | tenant-chosen | sinks | scoping-helpers | recognised (a comment on `value`)
    value: str
    reason: str
    # For scope identities: where one is declared (path relative to the root, 1-based line),
    # and how many struct fields and map keys use it.
    declared_at: tuple[str, int] | None = None
    uses: int = 0


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


def propose(model: WorkspaceModel, settings: Settings, root: str) -> list[Proposal]:
    """The contract entries the workspace suggests, most evident first within each section."""
    return [*scope_identity_candidates(model, settings, root), *_host_interfaces(model, root), *_sinks(model, root),
            *_scoping_helpers(model, settings, root)]


def _relative(path: str, root: str) -> str:
    try:
        return os.path.relpath(path, root)
    except ValueError:
        return path


def _unit_identity(name: str) -> bool:
    words = words_of(name)
    return len(words) >= 2 and words[-1] in _ID_WORDS and any(word in UNIT_WORDS for word in words[:-1])


def scope_identity_candidates(model: WorkspaceModel, settings: Settings, root: str) -> list[Proposal]:
    """Names the code uses as an isolation unit's identity that the vocabulary does not know
    yet: id newtypes, and id fields of several structs or keying maps."""
    evidence = _Evidence()
    for name, definitions in model.structs.items():
        if _unit_identity(name) and len(definitions[0][1].fields) <= 1:
            evidence.declared(name, "newtype", _relative(definitions[0][0], root), definitions[0][1].line + 1)
        for path, struct in definitions:
            for field, type_text in struct.fields:
                if _unit_identity(field):
                    evidence.fields[field] += 1
                    evidence.declared(field, f"field of `{struct.name}`", _relative(path, root), struct.line + 1)
                for expression in named_types(type_text):
                    if expression.name in MAP_TYPES and expression.args:
                        for key in named_types(expression.args[0].text):
                            if _unit_identity(key.name):
                                evidence.keyed_maps[key.name] += 1
    proposals = []
    candidates = set(evidence.where) & ({n for n in evidence.where if n[:1].isupper()} | {f for f, n in evidence.fields.items() if n >= MIN_FIELD_USES})
    for name in sorted(candidates, key=lambda n: (-evidence.keyed_maps[n] - evidence.fields[n], n)):
        if settings.vocabulary.tenant.match(name) and not name[:1].isupper():
            continue  # the defaults already count it
        parts = [evidence.where[name]]
        if evidence.fields[name]:
            parts.append(f"a field of {evidence.fields[name]} structs")
        if evidence.keyed_maps[name]:
            parts.append(f"the key of {evidence.keyed_maps[name]} maps")
        proposals.append(Proposal("scope-identities", name, "; ".join(parts), evidence.declared_at[name],
                                  evidence.fields[name] + evidence.keyed_maps[name]))
    return proposals


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
        if set(words_of(first_name)) & _KEY_PARAMETER_WORDS and any(t in first_type for t in ("str", "String", "[u8]")):
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


def _scoping_helpers(model: WorkspaceModel, settings: Settings, root: str) -> list[Proposal]:
    proposals = []
    for name, definitions in sorted(model.functions.items()):
        if settings.vocabulary.is_helper(name) or not (set(words_of(name)) & _HELPER_WORDS):
            continue
        path, signature = definitions[0]
        if target_kind(PurePath(path)) not in PER_TENANT_TARGETS:
            continue  # a test's or a tool's helper scopes nothing the host serves
        scoped = [p for p, t in signature.params if settings.vocabulary.tenant.match(p) or _unit_identity(p) or _unit_identity_type(t)]
        if not scoped or len(signature.params) < 2 or not _returns_key(signature.returns):
            continue
        proposals.append(Proposal("scoping-helpers", name,
                                  f"{_relative(path, root)}:{signature.line + 1}: takes `{scoped[0]}` and returns `{signature.returns}`"))
    return proposals


def _returns_key(returns: str) -> bool:
    """A key or path as text (``String``, ``PathBuf``, ``StateKey``), not a result or list."""
    name = parse_type(returns).name if returns else ""
    return name in ("String", "PathBuf", "Path") or name.endswith(("Key", "Path"))


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
            lines += [f"    # {proposal.reason}", f"    {_toml_string(proposal.value)},"]
        lines += ["]", ""]
    return "\n".join(lines)


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
