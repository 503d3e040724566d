"""The multi-tenant readiness audit (``isolint report``), read off one batch run.

A reviewer who audits a host for multi-tenancy writes the same document each time: per
capability (secrets, state, caches, singletons, telemetry, guest input, credentials) what
is scoped and what is not, with evidence; what a tenant *is* here and where its values enter;
and an inventory of everything the process or host shares. The rules already decide each
site: findings are the unscoped ones, observations (``checks.model.Observation``) the sites
they judged safe. This module arranges both, with the workspace model's statics, host-wide
fields and entry points, into ``checks.report_records.ReadinessReport``.

How an area's status is decided (documented in ``docs/report.md``):
- **Not ready**: an error-level finding stands in the area, or findings stand and no site of
  the area was found scoped;
- **Partially ready**: findings stand (warnings), beside sites found scoped;
- **Ready**: sites of the area were found, all judged safe, and no finding stands
  (suppressed findings are audited decisions and do not count against it);
- **Unknown**: isolint found no site of the area to judge.
"""

from __future__ import annotations

import gc
import os
import re
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, NamedTuple

from .model import Finding, Observation, Severity
from .report_records import (
    STATUSES, AreaReadiness, ChainStep, ContractInEffect, EntryPoint, Evidence, FindingEntry, Identity, InventoryEntry,
    Location, ReadinessReport, Summary, TenantIdentity,
)
from .tenancy import HOST_TRAIT, MANIFEST_TYPE_TAILS, REQUEST_EXTRACTORS
from .vocabulary import names_identity
from .workspace import MAP_TYPES, PER_TENANT_TARGETS, SEQUENCE_TYPES, SET_TYPES, named_types, target_kind

if TYPE_CHECKING:
    from .batch import BatchReport, FileReport
    from .config import Settings
    from .workspace import Collection, WorkspaceModel


class Area(NamedTuple):
    id: str
    title: str
    rules: tuple[str, ...]


AREAS = (
    Area("secrets", "Secrets isolation", ("ISO101", "ISO102")),
    Area("state", "Tenant-scoped state and session storage", ("ISO202",)),
    Area("keys", "Per-pack and per-tenant keys in caches and registries", ("ISO201", "ISO203")),
    Area("singletons", "Shared singletons", ("ISO401",)),
    Area("telemetry", "Telemetry and log attribution", ("ISO301", "ISO302", "ISO303")),
    Area("guest-input", "Guest-supplied input", ("ISO204", "ISO502")),
    Area("credentials", "Ambient credentials", ("ISO501",)),
)
AREA_OF_RULE = {code: area.id for area in AREAS for code in area.rules}
SAFE_VERDICTS = frozenset({"scoped", "host-minted key", "host's own", "per-instance", "holds no tenant data"})
# Entry points listed with their chains; the total is always given.
MAX_ENTRY_POINTS = 200
MAX_IDENTITIES = 12
_COLLECTION_NAMES = MAP_TYPES | SET_TYPES | SEQUENCE_TYPES
_STORAGE_SCOPES = {"static": "process-wide", "static-mut": "process-wide", "thread-local": "thread-wide", "task-local": "task-wide"}


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
    finding_entries: dict[str, list[FindingEntry]] = {area.id: [] for area in AREAS}
    incomplete = [f"{files.relative(path)}: {why}" for path, why in batch.errors + batch.skipped + batch.partly_skipped]
    for file_report in batch.files:
        items = _ItemPaths(file_report)
        path = files.relative(file_report.path)
        for finding, suppressed in [(f, False) for f in file_report.findings] + [(f, True) for f in file_report.suppressed]:
            area = AREA_OF_RULE.get(finding.code)
            if area is None:
                continue
            item = _qualified(path, items.at(finding.span.start_byte))
            location = Location(path=path, line=finding.span.start_line + 1)
            finding_entries[area].append(FindingEntry(
                code=finding.code, name=finding.name, severity=finding.severity.value, message=finding.message, item=item,
                location=location, suppressed=suppressed,
                suppression_reason=finding.suppression.reason if finding.suppression is not None else None))
            if not suppressed:
                what = file_report.source.data[finding.span.start_byte:finding.span.end_byte].decode("utf-8", "replace")
                sites.append(_Site(area, item, location, finding.code, "unscoped", _short(what), finding.message, finding))
        for observation in file_report.observations:
            sites.append(_observed(observation, path))
    workspace = batch.workspace
    inventory = _state_inventory(workspace, files, sites, settings) if workspace is not None else []
    declared = {(entry.location.path, entry.location.line) for entry in inventory}
    inventory += [_reported_state_entry(site) for site in sites
                  if site.code in _STATE_RULES and site.verdict == "unscoped" and (site.location.path, site.location.line) not in declared]
    inventory += [_sink_entry(site) for site in sites if site.code in _SINK_RULES]
    inventory.sort(key=lambda e: (e.area, e.location.path, e.location.line, e.item, e.holds))
    readiness = [_area_readiness(area, sites, inventory, finding_entries[area.id]) for area in AREAS]
    statuses = {status: sum(r.status == status for r in readiness) for status in STATUSES}
    return ReadinessReport(
        tool=tool,
        root=files.root_label,
        summary=Summary(files=len(batch.files), statuses=statuses, findings=batch.finding_count,
                        suppressed=sum(len(f.suppressed) for f in batch.files), inventory=len(inventory)),
        readiness=readiness,
        identity=_identity(workspace, files, settings, sites) if workspace is not None else TenantIdentity(identities=[], entry_points=[], entry_points_total=0),
        inventory=inventory,
        contract=_contract(settings, files, config_file),
        incomplete=sorted(incomplete),
    )


# -- sites ---------------------------------------------------------------------------------
_SINK_RULES = frozenset({"ISO101", "ISO202", "ISO204", "ISO303"})
# Rules that report shared state at its declaration (a field, a static, a key struct).
_STATE_RULES = frozenset({"ISO201", "ISO203", "ISO401"})


def _observed(observation: Observation, path: str) -> _Site:
    return _Site(observation.area, _qualified(path, observation.item), Location(path=path, line=observation.span.start_line + 1),
                 observation.code, observation.verdict, observation.subject, observation.detail, None)


def _sink_entry(site: _Site) -> InventoryEntry:
    key = "-"
    if site.finding is not None and site.finding.notes:
        key = site.finding.notes[0]
    elif ": key " in site.why:
        key = site.why.rsplit(": key ", 1)[1]
    return InventoryEntry(item=site.item, location=site.location, kind="sink", scope="call site", area=site.area,
                          holds=site.what, key=_short(key, 120), verdict=site.verdict, why=site.why)


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
    # Shared state the model found and judged safe counts as evidence too; the sinks are
    # already there as sites.
    state = [entry for entry in inventory if entry.area == area.id and entry.kind != "sink"]
    scoped += [_inventory_evidence(entry) for entry in state if entry.verdict in SAFE_VERDICTS]
    # Looked up in a set: scanning the list per entry compared pydantic records 25 million
    # times (100 s) on the 1,000-file bench workspace (bench/report_bench.py).
    reported_at = {e.location for e in unscoped}
    unscoped += [_inventory_evidence(entry) for entry in state if entry.verdict == "unscoped" and entry.location not in reported_at]
    standing = [f for f in findings if not f.suppressed]
    errors = [f for f in standing if f.severity == Severity.ERROR.value]
    audited = len(findings) - len(standing)
    if errors:
        status, reason = "Not ready", f"{_count(len(errors), 'error-level finding')} stand{'s' if len(errors) == 1 else ''}"
    elif standing and not scoped:
        status, reason = "Not ready", f"{_count(len(standing), 'finding')} and no site found scoped"
    elif standing:
        status, reason = "Partially ready", f"{_count(len(standing), 'finding')} beside {_count(len(scoped), 'site')} judged safe"
    elif scoped:
        status, reason = "Ready", f"all {_count(len(scoped), 'site')} found judged safe"
    else:
        status, reason = "Unknown", "no site of this kind was found to judge"
    if audited:
        reason += f"; {_count(audited, 'suppressed finding')} audited"
    order = lambda e: (e.location.path, e.location.line, e.item, e.what)  # noqa: E731
    findings = sorted(findings, key=lambda f: (f.suppressed, f.location.path, f.location.line, f.code, f.message))
    return AreaReadiness(area=area.id, title=area.title, status=status, reason=reason, rules=list(area.rules),
                         scoped=sorted(scoped, key=order), unscoped=sorted(unscoped, key=order), findings=findings)


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
                         judged_at=lambda line: ()) -> list[InventoryEntry]:
    """The state one file declares that the process or the host shares (statics, and fields of
    the structs the host keeps one of) with a verdict each. ``judged_at(line)`` gives the
    rules' sites on a 1-based line (findings and observations as ``_Site``): their verdict
    wins over the one read off the type. The language server asks it for hovers."""
    items = workspace.summaries.get(path)
    if items is None or target_kind(PurePath(path)) not in PER_TENANT_TARGETS:
        return []
    entries = []
    for static in items.statics:
        location = Location(path=shown_path, line=static.line + 1)
        collections = _outer_collections(workspace, static.type_text)
        entries.append(_judged(workspace, settings, judged_at(location.line), InventoryEntry(
            item=f"{shown_path}::{static.name}", location=location, kind=static.storage,
            scope=_STORAGE_SCOPES.get(static.storage, "process-wide"), area="singletons", holds=static.type_text or "(type not written)",
            key=_keys(collections), verdict="undetermined", why=""), collections))
    host_wide = workspace.host_wide_types()
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
                lines = workspace.sources.get(path, b"").splitlines()
            location = Location(path=shown_path, line=_field_line(lines, struct.line, field) + 1)
            entries.append(_judged(workspace, settings, judged_at(location.line), InventoryEntry(
                item=f"{shown_path}::{struct.name}::{field}", location=location, kind="host-wide field", scope="host-wide",
                area="keys", holds=type_text, key=_keys(collections), verdict="undetermined", why=""), collections))
    return entries


def _judged(workspace: "WorkspaceModel", settings: "Settings", here, entry: InventoryEntry, collections: list["Collection"]) -> InventoryEntry:
    """``entry`` with the verdict of the rule that judged its declaration, else one read off
    its type (``collections``: those it holds directly): keys that carry the scope or that the
    host mints, or no keyed state at all."""
    for site in here:
        if site.verdict == "unscoped":
            return entry.model_copy(update={"verdict": "unscoped", "why": f"{site.code}: {site.why}", "area": site.area})
    for site in here:
        return entry.model_copy(update={"verdict": site.verdict, "why": f"{site.code}: {site.why}"})
    keys = [c.key for c in collections if c.key is not None]
    if keys and all(workspace.names_scope(key, settings.vocabulary) for key in keys):
        return entry.model_copy(update={"verdict": "scoped", "why": "every key type carries the tenant or pack identity"})
    if keys and all(workspace.is_minted_id(key.text) for key in keys):
        return entry.model_copy(update={"verdict": "host-minted key", "why": "keyed by ids the host mints"})
    if not collections and entry.kind != "host-wide field":
        return entry.model_copy(update={"verdict": "undetermined", "why": "no rule judged it, and its type holds no collection the model can see"})
    return entry.model_copy(update={"verdict": "undetermined", "why": "keyed by a type that names no scope; its keys are decided where it is used, and no rule reported a use"})


def _outer_collections(workspace: "WorkspaceModel", type_text: str) -> list["Collection"]:
    """The collections a value of the type holds directly, not those inside their entries
    (asked once per declaration: resolving a type through the model is the inventory's cost)."""
    if not type_text:
        return []
    return [c for c in workspace.collections_in(type_text) if not set(c.via) & _COLLECTION_NAMES]


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
def _identity(workspace: "WorkspaceModel", files: "_Files", settings: "Settings", sites: list[_Site]) -> TenantIdentity:
    tenant = settings.vocabulary.tenant
    contract_names = set(settings.contract.scope_identities)
    counts: dict[str, int] = {}
    first: dict[str, Location] = {}

    def count(name: str, path: str, line: int) -> None:
        found = tenant.match(name)
        if found is None or not names_identity(name, found):
            return
        counts[name] = counts.get(name, 0) + 1
        location = Location(path=files.relative(Path(path)), line=line + 1)
        if name not in first or (location.path, location.line) < (first[name].path, first[name].line):
            first[name] = location

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
    identities = [Identity(name=name, source="contract" if name in contract_names else "vocabulary", uses=counts[name],
                           first_seen=first.get(name)) for name in ranked]
    entries = _entry_points(workspace, files, settings, sites)
    return TenantIdentity(identities=identities, entry_points=entries[:MAX_ENTRY_POINTS], entry_points_total=len(entries))


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
                chosen = [name for name, type_text in method.params if not _host_allocated(type_text)]
                found.append(_entry(relative, f"{impl.self_type}::{method.name}", "host-interface", method.line, chosen, by_item))
        callables = [(f, f.name) for f in items.functions] + [(m, f"{impl.self_type}::{m.name}") for impl in items.impls for m in impl.methods]
        for signature, name in callables:
            extracted = [p for p, t in signature.params if _is_request_extractor(t)]
            manifests = [p for p, t in signature.params if any(e.name.endswith(MANIFEST_TYPE_TAILS) for e in named_types(t))]
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
        steps.append(ChainStep(label=f"{site.code} `{site.what}`: {site.why}", location=site.location, verdict=site.verdict))
        if site.finding is not None:
            for related in site.finding.related:
                steps.append(ChainStep(label=f"  {related.message}", location=Location(path=path, line=related.span.start_line + 1)))
    return EntryPoint(item=item, kind=kind, location=Location(path=path, line=line + 1), chosen=chosen, steps=steps)


def _host_allocated(type_text: str) -> bool:
    return any(e.name in ("Resource", "ResourceAny", "StoreContextMut", "Caller") for e in named_types(type_text)) or "self" == type_text


def _is_request_extractor(type_text: str) -> bool:
    return any(e.name in REQUEST_EXTRACTORS and (e.args or e.name == "HeaderMap") for e in named_types(type_text))


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

    def __init__(self, file_report: "FileReport"):
        self._file = file_report
        self._tree = None
        self._ancestry = None

    def at(self, byte: int) -> str:
        from .ancestry import Ancestry
        from .fingerprint import rust_item_path
        from .parsing import parse

        if self._tree is None:
            self._tree = parse(self._file.source.data)
            self._ancestry = Ancestry(self._tree.root_node)
        return rust_item_path(self._tree, byte, self._ancestry)


def _qualified(path: str, item: str) -> str:
    return f"{path}::{item}" if item else path


def _short(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
