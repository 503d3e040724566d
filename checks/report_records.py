"""The multi-tenant readiness report (``isolint report``) as validated records: the JSON
output is these models dumped, and ``docs/report-schema.json`` is their JSON Schema.

Everything here is sorted and free of timestamps and absolute paths, so a report committed
beside the code diffs cleanly in review.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

SCHEMA_VERSION = 1
STATUSES = ("Ready", "Partially ready", "Not ready", "Unknown")
VERDICTS = ("unscoped", "suppressed", "scoped", "host-minted key", "host's own", "per-instance", "holds no tenant data", "opaque", "undetermined")


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Location(_Record):
    """A place in the reported workspace: ``path`` relative to the report's root, with
    forward slashes; ``line`` 1-based."""

    path: str
    line: int


class Evidence(_Record):
    """One site behind a status: ``item`` is ``path::Type::method`` (or ``path`` at the top
    level), ``what`` the code as written, ``why`` the verdict's reason."""

    item: str
    location: Location
    verdict: str
    what: str
    why: str
    code: str | None = None  # the rule that judged it


class FindingEntry(_Record):
    code: str
    name: str
    severity: str
    message: str
    item: str
    location: Location
    suppressed: bool = False
    suppression_reason: str | None = None


class AreaReadiness(_Record):
    """One capability of a multi-tenant host, its status and the sites that decided it."""

    area: str  # a stable id: secrets, state, keys, singletons, telemetry, guest-input, credentials
    title: str
    status: str  # one of STATUSES
    reason: str
    rules: list[str]
    scoped: list[Evidence]  # judged safe
    unscoped: list[Evidence]
    unverified: list[Evidence]  # state no rule could see into (opaque) or judged (undetermined)
    findings: list[FindingEntry]  # the area's findings, suppressed ones included (audited)


class Identity(_Record):
    """A name that identifies the isolation unit here, and where it is declared."""

    name: str
    source: str  # contract | vocabulary | model (learned from the code, as `isolint init` proposes)
    uses: int  # struct fields, parameters and types that spell it
    first_seen: Location | None


class ChainStep(_Record):
    """``site``: a place a rule judged (``label`` says what and why, ``verdict`` its
    verdict); ``path``: a step the finding before it followed (where the value was chosen,
    composed, or the store it lands in)."""

    kind: str  # site | path
    label: str
    location: Location | None
    verdict: str | None = None


class EntryPoint(_Record):
    """Where a tenant's (guest's, client's) values enter: a host interface the guest calls,
    a request handler, a manifest loader; ``steps`` follow them to the stores they reach."""

    item: str
    kind: str  # host-interface | request-handler | grpc-service | manifest
    location: Location
    chosen: list[str]  # the parameters whose values the tenant chooses
    steps: list[ChainStep]


class TenantIdentity(_Record):
    identities: list[Identity]
    entry_points: list[EntryPoint]
    entry_points_total: int


class InventoryEntry(_Record):
    """A piece of state the whole process or host shares, or a sink a rule judged."""

    item: str
    location: Location
    # static | thread-local | static-mut | host-wide field | sink | declaration (state a rule
    # reported as shared where the model did not place it)
    kind: str
    scope: str  # process-wide | thread-wide | host-wide | call site | shared (as reported)
    area: str
    holds: str  # the type, or the call
    key: str  # the key's composition, or "-" when it is not keyed
    verdict: str  # one of VERDICTS
    why: str


class ContractInEffect(_Record):
    config_file: str | None
    scope_identities: list[str]
    tenant_chosen: list[str]
    sinks: list[str]
    scoping_helpers: list[str]
    tenant_words: list[str]
    pack_words: list[str]


class Summary(_Record):
    files: int
    statuses: dict[str, int]
    findings: int
    suppressed: int
    inventory: int


class ReadinessReport(_Record):
    schema_version: int = SCHEMA_VERSION
    tool: str
    root: str
    summary: Summary
    readiness: list[AreaReadiness]
    identity: TenantIdentity
    inventory: list[InventoryEntry]
    contract: ContractInEffect
    incomplete: list[str]  # files not analysed in full, and why
