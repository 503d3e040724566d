"""The multi-tenant readiness audit (``isolint report``), read off one batch run.

A reviewer who audits a host for multi-tenancy writes the same document each time: per
capability (secrets, state, caches, singletons, telemetry, guest input, credentials) what
is scoped and what is not, with evidence; what a tenant *is* here and where its values enter;
and an inventory of everything the process or host shares. The rules already decide each
site: findings are the unscoped ones, observations (``checks.model.Observation``) the sites
they judged safe. This module arranges both, with the workspace model's statics, host-wide
fields and entry points, into ``checks.report_records.ReadinessReport``.

How an area's status is decided is ``STATUS_RULES`` (and ``docs/report.md``).
"""

from __future__ import annotations

import gc
import os
import re
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, NamedTuple

from .context import short_text
from .model import Finding, Observation, Severity
from .report_records import (
    STATUSES, AreaReadiness, ChainStep, ContractInEffect, EntryPoint, Evidence, FindingEntry, Identity, InventoryEntry,
    Location, ReadinessReport, Summary, TenantIdentity,
)
from .tenancy import HOST_TRAIT, MANIFEST_TYPE_TAILS, guest_chooses, handed_to_filter, is_extractor, is_plain_data, is_public_grpc_service
from .vocabulary import PROCESS_ENVIRONMENT_WORDS, names_identity, words_of
from .workspace import MAP_TYPES, PER_TENANT_TARGETS, SEQUENCE_TYPES, SET_TYPES, named_types, parse_type, target_kind

if TYPE_CHECKING:
    from collections.abc import Iterable

    from tree_sitter import Tree

    from .batch import BatchReport
    from .config import Settings
    from .workspace import Collection, FileItems, WorkspaceModel


class Area(NamedTuple):
    id: str
    title: str
    rules: tuple[str, ...]
    # Verdicts that show the area's tenant-facing sites are safe, not merely host-level.
    strong: frozenset[str] = frozenset({"scoped", "host-minted key", "per-instance"})


AREAS = (
    Area("secrets", "Secrets isolation", ("ISO101", "ISO102")),
    Area("state", "Tenant-scoped state and session storage", ("ISO202", "ISO205")),
    Area("keys", "Per-pack and per-tenant keys in caches and registries", ("ISO201", "ISO203")),
    # The question here is whether a singleton holds tenant data at all.
    Area("singletons", "Shared singletons", ("ISO401",), frozenset({"scoped", "host-minted key", "holds no tenant data"})),
    Area("telemetry", "Telemetry and log attribution", ("ISO301", "ISO302", "ISO303")),
    Area("guest-input", "Guest-supplied input", ("ISO204", "ISO502")),
    Area("credentials", "Ambient credentials", ("ISO501", "ISO503", "ISO504")),
)
# How ``_area_readiness`` decides, in words: the renderers print them, docs/report.md explains.
STATUS_RULES = (
    ("Not ready", "An error-level finding stands in the area, or findings stand and no tenant-facing site of the area "
                  "was found safe."),
    ("Partially ready", "Findings (warnings) stand beside tenant-facing sites judged safe, or no finding stands but some "
                        "of the area's state is unverified (opaque or undetermined), or (telemetry and guest input, "
                        "judged inside each entry point) all is safe but rules judged fewer than half of the entry points."),
    ("Ready", "Tenant-facing sites were found, all judged safe (keys scoped by the tenant, minted by the host, stores "
              "held per instance; for singletons, no tenant data held), nothing is left unverified and no finding "
              "stands. Suppressed findings are audited decisions and do not count against it."),
    ("Unknown", "isolint found no tenant-facing site of the area: only host-level ones (the host's own names, startup "
                "telemetry), only unverified state, or nothing. Unknown is not safe."),
)
AREA_OF_RULE = {code: area.id for area in AREAS for code in area.rules}
SAFE_VERDICTS = frozenset({"scoped", "host-minted key", "host's own", "per-instance", "holds no tenant data"})
UNVERIFIED_VERDICTS = frozenset({"opaque", "undetermined"})
# Entry points listed with their chains; the total is always given.
MAX_ENTRY_POINTS = 200
MAX_IDENTITIES = 12
MIN_IDENTITY_USES = 2
_COLLECTION_NAMES = MAP_TYPES | SET_TYPES | SEQUENCE_TYPES
_STORAGE_SCOPES = {"static": "process-wide", "static-mut": "process-wide", "lazy-static": "process-wide", "thread-local": "thread-wide",
                   "task-local": "task-wide"}


class _Site(NamedTuple):
    """A finding or observation with where it is, in report terms."""

    area: str
    item: str
    location: Location
    code: str
    verdict: str
    what: str
    why: str
    finding: Finding | None
    key: str = ""  # a keyed site's composition, as the rule read it


def build_report(batch: "BatchReport", settings: "Settings", root: Path, config_file: Path | None, tool: str) -> ReadinessReport:
    """The readiness report of one batch run of the workspace under ``root``."""
    # Hundreds of thousands of records are made here (findings decoded, sites, entries), none
    # of them garbage before the report is done: the collector would walk the growing heap
    # again and again: about 2 s of a 7 s warm run on the bench workspace (bench/report_bench.py).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build_report(batch, settings, root, config_file, tool)
    finally:
        if collecting:
            gc.enable()


def _build_report(batch: "BatchReport", settings: "Settings", root: Path, config_file: Path | None, tool: str) -> ReadinessReport:
    files = _Files(root)
    sites: list[_Site] = []
    audited: list[_Site] = []  # suppressed findings: decisions, not standing risks
    finding_entries: list[tuple[str, FindingEntry]] = []
    incomplete = [f"{files.relative(path)}: {why}" for path, why in batch.errors + batch.skipped + batch.partly_skipped]
    for file_report in batch.files:
        items = _ItemPaths(file_report.source.data)
        path = files.relative(file_report.path)
        for finding, suppressed in [(f, False) for f in file_report.findings] + [(f, True) for f in file_report.suppressed]:
            area = AREA_OF_RULE.get(finding.code)
            if area is None:
                continue
            item = _qualified(path, items.at(finding.span.start_byte))
            location = Location(path=path, line=finding.span.start_line + 1)
            finding_entries.append((area, FindingEntry(
                code=finding.code, name=finding.name, severity=finding.severity.value, message=finding.message, item=item,
                location=location, suppressed=suppressed,
                suppression_reason=finding.suppression.reason if finding.suppression is not None else None)))
            site = _found(finding, area, item, location, file_report.source.data)
            (audited if suppressed else sites).append(site)
        for observation in file_report.observations:
            sites.append(_observed(observation, path))
    workspace = batch.workspace
    inventory = _state_inventory(workspace, files, sites + audited, settings) if workspace is not None else []
    # A static is filed under what it holds (a keyed cache under keys), and so is what the
    # singleton rule said of it.
    area_of_static = {(e.location.path, e.location.line): e.area for e in inventory if e.kind in _STORAGE_SCOPES}
    sites = [_refiled(site, area_of_static) for site in sites]
    finding_entries = [(area_of_static.get((entry.location.path, entry.location.line), area) if entry.code in _STATE_RULES else area, entry)
                       for area, entry in finding_entries]
    declared = {(entry.location.path, entry.location.line) for entry in inventory}
    inventory += [_reported_state_entry(site) for site in sites
                  if site.code in _STATE_RULES and site.verdict == "unscoped" and (site.location.path, site.location.line) not in declared]
    inventory += [_sink_entry(site) for site in sites if site.code in _SINK_RULES]
    inventory.sort(key=lambda e: (e.area, e.location.path, e.location.line, e.item, e.holds))
    entries = _entry_points(workspace, files, settings, sites) if workspace is not None else []
    identity = _identity(workspace, files, settings, entries) if workspace is not None else TenantIdentity(identities=[], entry_points=[], entry_points_total=0)
    readiness = [_with_coverage(_area_readiness(area, sites, inventory, [entry for filed, entry in finding_entries if filed == area.id]),
                                sites, entries) for area in AREAS]
    statuses = {status: sum(r.status == status for r in readiness) for status in STATUSES}
    return ReadinessReport(
        tool=tool,
        root=files.root_label,
        summary=Summary(files=len(batch.files), statuses=statuses, findings=batch.finding_count,
                        suppressed=sum(len(f.suppressed) for f in batch.files), inventory=len(inventory)),
        readiness=readiness,
        identity=identity,
        inventory=inventory,
        contract=_contract(settings, files, config_file),
        incomplete=sorted(incomplete),
    )


# -- sites ---------------------------------------------------------------------------------
_SINK_RULES = frozenset({"ISO101", "ISO202", "ISO204", "ISO303"})
# Rules that report shared state at its declaration (a field, a static, a key struct).
_STATE_RULES = frozenset({"ISO201", "ISO203", "ISO401"})


def _refiled(site: _Site, area_of_static: dict) -> _Site:
    if site.code not in _STATE_RULES:
        return site
    area = area_of_static.get((site.location.path, site.location.line), site.area)
    return site._replace(area=area) if area != site.area else site


def sites_by_line(findings: "Iterable[Finding]", observations: "Iterable[Observation]", data: bytes, shown_path: str,
                  tree: "Tree | None" = None) -> dict[int, list[_Site]]:
    """The rules' verdicts in one analysed file, by 1-based line: what ``judged_at`` gives
    ``shared_state_of_file`` when there is one file's analysis and no batch (the language
    server). Suppressed findings give the verdict ``suppressed`` with the reason; ``tree``,
    when the caller has it, spares a parse."""
    items = _ItemPaths(data, tree)
    by_line: dict[int, list[_Site]] = {}
    for finding in findings:
        area = AREA_OF_RULE.get(finding.code)
        if area is not None:
            location = Location(path=shown_path, line=finding.span.start_line + 1)
            site = _found(finding, area, _qualified(shown_path, items.at(finding.span.start_byte)), location, data)
            by_line.setdefault(location.line, []).append(site)
    for observation in observations:
        site = _observed(observation, shown_path)
        by_line.setdefault(site.location.line, []).append(site)
    return by_line


def _found(finding: Finding, area: str, item: str, location: Location, data: bytes) -> _Site:
    what = short_text(data[finding.span.start_byte:finding.span.end_byte].decode("utf-8", "replace"), 80)
    if finding.suppression is not None:
        reason = finding.suppression.reason or "no reason given"
        return _Site(area, item, location, finding.code, "suppressed", what, f"suppressed, audited: {reason}", finding)
    return _Site(area, item, location, finding.code, "unscoped", what, finding.message, finding, finding.notes[0] if finding.notes else "")


def _observed(observation: Observation, path: str) -> _Site:
    # A `thread_local!` static has no enclosing item: it is named by itself.
    item = observation.item or (observation.subject if observation.subject.isidentifier() else "")
    return _Site(observation.area, _qualified(path, item), Location(path=path, line=observation.span.start_line + 1),
                 observation.code, observation.verdict, observation.subject, observation.detail, None, observation.key)


def _sink_entry(site: _Site) -> InventoryEntry:
    return InventoryEntry(item=site.item, location=site.location, kind="sink", scope="call site", area=site.area,
                          holds=site.what, key=short_text(site.key, 120) or "-", verdict=site.verdict, why=site.why)


def _reported_state_entry(site: _Site) -> InventoryEntry:
    """State a rule reported as shared where the model did not place it (a field of a struct
    whose one value the host builds outside ``main``, a key struct)."""
    item = site.item if not site.what.isidentifier() or site.item.endswith(f"::{site.what}") else f"{site.item}::{site.what}"
    return InventoryEntry(item=item, location=site.location, kind="declaration", scope="shared (as reported)", area=site.area,
                          holds=site.what, key="-", verdict="unscoped", why=site.why)


def _evidence(site: _Site) -> Evidence:
    return Evidence(item=site.item, location=site.location, verdict=site.verdict, what=site.what, why=site.why, code=site.code)


def _inventory_evidence(entry: InventoryEntry) -> Evidence:
    return Evidence(item=entry.item, location=entry.location, verdict=entry.verdict, what=entry.holds, why=entry.why)


def _area_readiness(area: Area, sites: list[_Site], inventory: list[InventoryEntry], findings: list[FindingEntry]) -> AreaReadiness:
    mine = [site for site in sites if site.area == area.id]
    unscoped = [_evidence(site) for site in mine if site.verdict == "unscoped"]
    scoped = [_evidence(site) for site in mine if site.verdict in SAFE_VERDICTS]
    unverified = [_evidence(site) for site in mine if site.verdict in UNVERIFIED_VERDICTS]
    # Shared state the model found counts as evidence too, once per place; the sinks are
    # already there as sites.
    judged_lines = {(site.location.path, site.location.line) for site in mine}
    state = [entry for entry in inventory if entry.area == area.id and entry.kind != "sink"
             and (entry.location.path, entry.location.line) not in judged_lines]
    scoped += [_inventory_evidence(entry) for entry in state if entry.verdict in SAFE_VERDICTS]
    # Looked up in a set: scanning the list per entry compared pydantic records 25 million
    # times (100 s) on the 1,000-file bench workspace (bench/report_bench.py).
    reported_at = {e.location for e in unscoped}
    unscoped += [_inventory_evidence(entry) for entry in state if entry.verdict == "unscoped" and entry.location not in reported_at]
    unverified += [_inventory_evidence(entry) for entry in state if entry.verdict in UNVERIFIED_VERDICTS]
    standing = [f for f in findings if not f.suppressed]
    errors = [f for f in standing if f.severity == Severity.ERROR.value]
    strong = [e for e in scoped if e.verdict in area.strong]
    audited = len(findings) - len(standing)
    if errors:
        status, reason = "Not ready", f"{_count(len(errors), 'error-level finding')} stand{'s' if len(errors) == 1 else ''}"
    elif standing and not strong:
        status, reason = "Not ready", f"{_count(len(standing), 'finding')} and no tenant-facing site found scoped"
    elif standing:
        status, reason = "Partially ready", f"{_count(len(standing), 'finding')} beside {_count(len(strong), 'site')} judged safe"
    elif strong and unverified:
        status, reason = "Partially ready", f"{_count(len(strong), 'site')} judged safe; {len(unverified)} left unverified (opaque or undetermined)"
    elif strong:
        status, reason = "Ready", f"all {_count(len(strong), 'tenant-facing site')} found judged safe"
    elif scoped:
        status, reason = "Unknown", f"only host-level sites found ({len(scoped)}): nothing tenant-facing to judge"
    elif unverified:
        status, reason = "Unknown", f"{_count(len(unverified), 'site')} found, none judged"
    else:
        status, reason = "Unknown", "no site of this kind was found to judge"
    if audited:
        reason += f"; {_count(audited, 'suppressed finding')} audited"
    order = lambda e: (e.location.path, e.location.line, e.item, e.what)  # noqa: E731
    findings = sorted(findings, key=lambda f: (f.suppressed, f.location.path, f.location.line, f.code, f.message))
    return AreaReadiness(area=area.id, title=area.title, status=status, reason=reason, rules=list(area.rules),
                         scoped=sorted(scoped, key=order), unscoped=sorted(unscoped, key=order),
                         unverified=sorted(unverified, key=order), findings=findings)


# Areas judged inside the entry points themselves: how many of them a rule judged says how
# far the status reaches.
_PER_ENTRY_AREAS = frozenset({"telemetry", "guest-input"})


def _with_coverage(readiness: AreaReadiness, sites: list[_Site], entries: list[EntryPoint]) -> AreaReadiness:
    if readiness.area not in _PER_ENTRY_AREAS or not entries:
        return readiness
    judged_items = {site.item for site in sites if site.area == readiness.area}
    judged = sum(entry.item in judged_items for entry in entries)
    coverage = f"{judged} of {len(entries)} entry points judged"
    if readiness.status == "Ready" and judged * 2 < len(entries):
        return readiness.model_copy(update={"status": "Partially ready", "reason": f"{readiness.reason}, but only {coverage}"})
    return readiness.model_copy(update={"reason": f"{readiness.reason}; {coverage}"})


# -- inventory of shared state -------------------------------------------------------------
def _state_inventory(workspace: "WorkspaceModel", files: "_Files", sites: list[_Site], settings: "Settings") -> list[InventoryEntry]:
    by_line: dict[tuple[str, int], list[_Site]] = {}
    for site in sites:
        by_line.setdefault((site.location.path, site.location.line), []).append(site)
    entries = []
    for path in sorted(workspace.summaries):
        if files.reported(path):
            relative = files.relative(Path(path))
            entries += shared_state_of_file(workspace, settings, path, relative, lambda line: by_line.get((relative, line), ()))
    return entries


def shared_state_of_file(workspace: "WorkspaceModel", settings: "Settings", path: str, shown_path: str,
                         judged_at=lambda line: (), *, items: "FileItems | None" = None, data: bytes | None = None) -> list[InventoryEntry]:
    """The state one file declares that the process or the host shares (statics, and fields of
    the structs the host keeps one of) with a verdict each. ``judged_at(line)`` gives the
    rules' sites on a 1-based line (findings and observations as ``_Site``, see
    ``sites_by_line``): their verdict wins over the one read off the type. ``items`` and
    ``data``, given together, are the file as it is now where the model still holds an older
    copy (an editor's buffer, which the language server's model catches up with later)."""
    if items is None:
        items, data = workspace.summaries.get(path), workspace.sources.get(path, b"")
    if items is None or target_kind(PurePath(path)) not in PER_TENANT_TARGETS or workspace.is_test_module(path):
        return []
    entries = []
    in_tests = _TestLines(data or b"")
    for static in items.statics:
        if in_tests.covers(static.line):
            continue
        location = Location(path=shown_path, line=static.line + 1)
        collections = _outer_collections(workspace, static.type_text)
        keyed = any(c.kind != "sequence" for c in collections)
        entries.append(_judged(workspace, settings, judged_at(location.line), InventoryEntry(
            item=f"{shown_path}::{static.name}", location=location, kind=static.storage,
            scope=_STORAGE_SCOPES.get(static.storage, "process-wide"), area="keys" if keyed else "singletons",
            holds=static.type_text or "(type not written)", key=_keys(collections), verdict="undetermined", why=""), collections))
    host_wide = workspace.host_kept_types()
    lines: list[bytes] | None = None
    for struct in items.structs:
        if struct.name not in host_wide:
            continue
        for field, type_text in struct.fields:
            # Keyed state, or a list behind a lock: what requests write and read back. A plain
            # list in the host's state is its configuration.
            collections = _outer_collections(workspace, type_text)
            if not any(c.kind != "sequence" or c.locked for c in collections):
                continue
            if lines is None:
                lines = (data or b"").splitlines()
            location = Location(path=shown_path, line=_field_line(lines, struct.line, field) + 1)
            entries.append(_judged(workspace, settings, judged_at(location.line), InventoryEntry(
                item=f"{shown_path}::{struct.name}::{field}", location=location, kind="host-wide field", scope="host-wide",
                area="keys", holds=type_text, key=_keys(collections), verdict="undetermined", why=""), collections))
    return entries


def _judged(workspace: "WorkspaceModel", settings: "Settings", here, entry: InventoryEntry, collections: list["Collection"]) -> InventoryEntry:
    """``entry`` with the verdict of the rule that judged its declaration, else one read off
    its type (``collections``: those it holds directly): keys that carry the scope or that the
    host mints, or no keyed state at all."""
    for verdict in ("unscoped", "suppressed"):
        for site in here:
            if site.verdict == verdict:
                return entry.model_copy(update={"verdict": verdict, "why": f"{site.code}: {site.why}"})
    for site in here:
        return entry.model_copy(update={"verdict": site.verdict, "why": f"{site.code}: {site.why}"})
    keys = [c.key for c in collections if c.key is not None]
    if keys and all(workspace.names_scope(key, settings.vocabulary) for key in keys):
        return entry.model_copy(update={"verdict": "scoped", "why": "every key type carries the tenant or pack identity"})
    if keys and all(workspace.is_minted_id(key.text) for key in keys):
        return entry.model_copy(update={"verdict": "host-minted key", "why": "keyed by ids the host mints"})
    if not collections and entry.kind != "host-wide field":
        return entry.model_copy(update={"verdict": "undetermined", "why": "no rule judged its declaration (a rule may report its uses), and its type holds no collection the model can see"})
    return entry.model_copy(update={"verdict": "undetermined", "why": "keyed by a type that names no scope; its keys are decided where it is used, and no rule reported a use"})


def _outer_collections(workspace: "WorkspaceModel", type_text: str) -> list["Collection"]:
    """The collections a value of the type holds directly, not those inside their entries
    (asked once per declaration: resolving a type through the model is the inventory's cost)."""
    if not type_text:
        return []
    return [c for c in workspace.collections_in(type_text) if not set(c.via) & _COLLECTION_NAMES]


class _TestLines:
    """The lines of a file's test items (``#[cfg(test)]`` modules, ``#[test]`` functions),
    read from a parse made only when the file spells ``test``."""

    def __init__(self, data: bytes):
        self._data = data
        self._ranges: list[tuple[int, int]] | None = None

    def covers(self, line: int) -> bool:
        if self._ranges is None:
            self._ranges = self._find() if b"test" in self._data else []
        return any(start <= line <= end for start, end in self._ranges)

    def _find(self) -> list[tuple[int, int]]:
        from .ancestry import Ancestry
        from .context import test_items
        from .parsing import parse

        starts, ends = test_items(Ancestry(parse(self._data).root_node), self._data)
        return [(self._data.count(b"\n", 0, start), self._data.count(b"\n", 0, end)) for start, end in zip(starts, ends)]


def _keys(collections: list["Collection"]) -> str:
    keys = [c.key.text if c.key is not None else f"(a {c.kind})" for c in collections]
    return ", ".join(dict.fromkeys(keys)) or "-"


def _field_line(lines: list[bytes], struct_line: int, field: str) -> int:
    pattern = re.compile(rb"\b" + re.escape(field.encode()) + rb"\s*:")
    for number in range(struct_line, min(len(lines), struct_line + 400)):
        if pattern.search(lines[number]):
            return number
    return struct_line


# -- tenant identity -----------------------------------------------------------------------
def _identity(workspace: "WorkspaceModel", files: "_Files", settings: "Settings", entries: list[EntryPoint]) -> TenantIdentity:
    tenant = settings.vocabulary.tenant
    contract_names = set(settings.contract.scope_identities)
    counts: dict[str, int] = {}
    spellings: dict[str, dict[str, int]] = {}
    first: dict[str, Location] = {}

    def count(text: str, path: str, line: int) -> None:
        # Patterns (`Path(project_id)`) bind names too; a name counts under its identity's
        # canonical words (`ProjectId`, `project_id`), and variants (`parent_project_id`,
        # `_project_id`) are other things named after it.
        for name in _IDENTIFIER.findall(text):
            found = tenant.match(name)
            if found is None or not names_identity(name, found) or (found in PROCESS_ENVIRONMENT_WORDS and name not in contract_names):
                continue
            words, entry = words_of(name), words_of(found)
            if words[:len(entry)] != entry or len(words) > len(entry) + 1:
                continue
            canonical = "_".join(words)
            counts[canonical] = counts.get(canonical, 0) + 1
            spellings.setdefault(canonical, {}).setdefault(name, 0)
            spellings[canonical][name] += 1
            location = Location(path=files.relative(Path(path)), line=line + 1)
            if canonical not in first or (location.path, location.line) < (first[canonical].path, first[canonical].line):
                first[canonical] = location

    for path, items in workspace.summaries.items():
        if not files.reported(path) or target_kind(PurePath(path)) not in PER_TENANT_TARGETS:
            continue
        for struct in items.structs:
            count(struct.name, path, struct.line)
            for field, _ in struct.fields:
                count(field, path, struct.line)
        for signature in list(items.functions) + [m for impl in items.impls for m in impl.methods]:
            for parameter, _ in signature.params:
                count(parameter, path, signature.line)
    ranked = sorted(counts, key=lambda n: (-counts[n], n))[:MAX_IDENTITIES]
    if ranked and counts[ranked[0]] >= MIN_IDENTITY_USES:
        ranked = [name for name in ranked if counts[name] >= MIN_IDENTITY_USES]  # one-off mentions are not what identifies a tenant here
    identities = []
    for canonical in ranked:
        shown = " / ".join(sorted(spellings[canonical], key=lambda s: (-spellings[canonical][s], s)))
        from_contract = any(spelling in contract_names for spelling in spellings[canonical])
        identities.append(Identity(name=shown, source="contract" if from_contract else "vocabulary", uses=counts[canonical],
                                   first_seen=first.get(canonical)))
    identities += _learned_identities(workspace, files, settings, {s for c in ranked for s in spellings[c]})
    return TenantIdentity(identities=identities, entry_points=entries[:MAX_ENTRY_POINTS], entry_points_total=len(entries))


def _learned_identities(workspace: "WorkspaceModel", files: "_Files", settings: "Settings", known: set[str]) -> list[Identity]:
    """Identities the model learns from the code (what `isolint init` would propose)."""
    from .contract_proposal import scope_identity_candidates

    learned = []
    for proposal in scope_identity_candidates(workspace, settings, str(files.root)):
        if proposal.section != "scope-identities" or proposal.value in known or len(learned) >= MAX_IDENTITIES:
            continue
        first_seen = Location(path=Path(proposal.declared_at[0]).as_posix(), line=proposal.declared_at[1]) if proposal.declared_at else None
        learned.append(Identity(name=proposal.value, source="model", uses=proposal.uses or 1, first_seen=first_seen))
    return learned


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _entry_points(workspace: "WorkspaceModel", files: "_Files", settings: "Settings", sites: list[_Site]) -> list[EntryPoint]:
    by_item: dict[tuple[str, str], list[_Site]] = {}
    for site in sites:
        by_item.setdefault((site.location.path, site.item), []).append(site)
    tenant_chosen = settings.contract.tenant_chosen
    found = []
    for path, items in workspace.summaries.items():
        if not files.reported(path) or target_kind(PurePath(path)) not in PER_TENANT_TARGETS:
            continue
        relative = files.relative(Path(path))
        for impl in items.impls:
            trait = impl.trait or ""
            if not (HOST_TRAIT.match(trait) or trait in tenant_chosen):
                continue
            for method in impl.methods:
                chosen = [name for pattern, type_text in method.params if guest_chooses(workspace, type_text) for name in _bound_names(pattern)]
                found.append(_entry(relative, f"{impl.self_type}::{method.name}", "host-interface", method.line, chosen, by_item))
        for impl in items.impls:
            if impl.trait is None or HOST_TRAIT.match(impl.trait) or impl.trait in tenant_chosen:
                continue
            for method in impl.methods:
                if is_public_grpc_service(workspace, impl.trait, [t for _, t in method.params], method.returns):
                    chosen = [name for pattern, type_text in method.params if parse_type(type_text).name == "Request" for name in _bound_names(pattern)]
                    found.append(_entry(relative, f"{impl.self_type}::{method.name}", "grpc-service", method.line, chosen, by_item))
        callables = [(f, f.name) for f in items.functions] + [(m, f"{impl.self_type}::{m.name}") for impl in items.impls for m in impl.methods]
        for signature, name in callables:
            extracted = [name for p, t in signature.params if _is_request_extractor(t) for name in _bound_names(p)]
            manifests = [name for p, t in signature.params if any(e.name.endswith(MANIFEST_TYPE_TAILS) for e in named_types(t))
                         for name in _bound_names(p)]
            if not extracted and not signature.has_self and handed_to_filter(workspace, path, signature.name):
                # A warp handler: the filters before it extracted its plain values from the request.
                extracted = [name for p, t in signature.params if is_plain_data(workspace, t) for name in _bound_names(p)]
            if extracted:
                found.append(_entry(relative, name, "request-handler", signature.line, extracted, by_item))
            elif manifests:
                found.append(_entry(relative, name, "manifest", signature.line, manifests, by_item))
    # Entries whose values reach a judged site first: those are the chains a reviewer reads.
    return sorted({(e.location.path, e.location.line, e.item): e for e in found}.values(),
                  key=lambda e: (not e.steps, e.location.path, e.location.line, e.item))


def _entry(path: str, name: str, kind: str, line: int, chosen: list[str], by_item) -> EntryPoint:
    item = f"{path}::{name}"
    steps = []
    for site in sorted(by_item.get((path, item), ()), key=lambda s: (s.location.line, s.code)):
        steps.append(ChainStep(kind="site", label=f"{site.code} `{site.what}`: {site.why}", location=site.location, verdict=site.verdict))
        if site.finding is not None:
            for related in site.finding.related:
                steps.append(ChainStep(kind="path", label=related.message, location=Location(path=path, line=related.span.start_line + 1)))
    return EntryPoint(item=item, kind=kind, location=Location(path=path, line=line + 1), chosen=chosen, steps=steps)


def _bound_names(pattern: str) -> list[str]:
    """The names a parameter pattern binds: ``org_id`` and ``stream`` of ``Path((org_id,
    stream))``, ``a`` of ``Json(Body { a, .. })``; not the extractor or struct names."""
    return [name for name in _IDENTIFIER.findall(pattern) if name != "mut" and name != "_" and not name[0].isupper()]


def _is_request_extractor(type_text: str) -> bool:
    """As the tenancy model reads a handler's parameters: ``Path<String>``, ``Json<Body>``,
    ``HeaderMap``, never ``&Path`` (a file path)."""
    return is_extractor(parse_type(type_text))


# -- the rest ------------------------------------------------------------------------------
def _contract(settings: "Settings", files: "_Files", config_file: Path | None) -> ContractInEffect:
    vocabulary = settings.vocabulary
    contract = settings.contract
    return ContractInEffect(
        config_file=files.relative(config_file) if config_file is not None else None,
        scope_identities=sorted(contract.scope_identities),
        tenant_chosen=sorted(contract.tenant_chosen),
        sinks=sorted(contract.sinks),
        scoping_helpers=sorted(contract.scoping_helpers),
        tenant_words=sorted(vocabulary.tenant.entries),
        pack_words=sorted(vocabulary.pack.entries),
    )


class _Files:
    """Paths as the report shows them: relative to its root, with forward slashes. Each path
    is resolved once: the identity and the inventory ask about the same files thousands of
    times, and every resolve walks the path's symlinks."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        self.root_label = root.resolve().name or str(root)
        self._relative: dict[Path | str, str] = {}
        self._reported: dict[str, bool] = {}

    def relative(self, path: Path | str) -> str:
        known = self._relative.get(path)
        if known is None:
            absolute = Path(path).resolve()
            try:
                relative = absolute.relative_to(self.root if self.root.is_dir() else self.root.parent)
            except ValueError:
                relative = Path(os.path.relpath(absolute, self.root))
            known = self._relative[path] = relative.as_posix()
        return known

    def reported(self, path: str) -> bool:
        """Whether a model file lies under the root (the model may hold the rest of a crate
        when single files were named)."""
        known = self._reported.get(path)
        if known is None:
            base = self.root if self.root.is_dir() else self.root.parent
            try:
                Path(path).resolve().relative_to(base)
                known = True
            except ValueError:
                known = False
            self._reported[path] = known
        return known


class _ItemPaths:
    """Enclosing item paths of one file's spans, from one parse made only when asked. One
    ``Ancestry`` serves every span: each descent then starts from the previous one's path."""

    def __init__(self, data: bytes, tree: "Tree | None" = None):
        self._data = data
        self._tree = tree
        self._ancestry = None

    def at(self, byte: int) -> str:
        from .ancestry import Ancestry
        from .fingerprint import rust_item_path
        from .parsing import parse

        if self._tree is None:
            self._tree = parse(self._data)
        if self._ancestry is None:
            self._ancestry = Ancestry(self._tree.root_node)
        return rust_item_path(self._tree, byte, self._ancestry)


def _qualified(path: str, item: str) -> str:
    return f"{path}::{item}" if item else path


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
