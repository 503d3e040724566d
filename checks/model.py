"""The engine's result types: findings, their spans, fixes and related locations.

These are named tuples: immutable, the cheapest records to create per finding and to
unpickle from the cache, and defining them costs a fraction of a dataclass at start-up (a
check of one small file pays for every class it defines). The validated, serialisable form
used at process boundaries lives in ``checks.records``.
Positions are 0-based lines and *byte* columns, exactly as tree-sitter reports them; the
adapters convert them to UTF-16 (LSP) or 1-based character columns (CLI) via
``checks.source.SourceText``.
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple


class InputTooDeep(Exception):
    """Input nested deeper than isolint reads (a type of hundreds of nested generics): the
    rule that met it is skipped on the file, and the run says so, rather than failing."""


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    HINT = "hint"


class Applicability(str, Enum):
    """How far a fix may be trusted (ruff's model)."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"


class FixAvailability(str, Enum):
    NONE = "none"
    SOMETIMES = "sometimes"
    ALWAYS = "always"


class Span(NamedTuple):
    start_byte: int
    end_byte: int
    start_line: int
    start_col: int
    end_line: int
    end_col: int

    @classmethod
    def of(cls, node) -> "Span":
        start, end = node.start_point, node.end_point
        return cls(node.start_byte, node.end_byte, start[0], start[1], end[0], end[1])


class Edit(NamedTuple):
    """Replace ``source[start_byte:end_byte]`` with ``replacement`` (UTF-8 text)."""

    start_byte: int
    end_byte: int
    replacement: str


class Fix(NamedTuple):
    title: str
    edits: tuple[Edit, ...]
    applicability: Applicability


class RelatedLocation(NamedTuple):
    span: Span
    message: str
    # Another workspace file the step lies in, as the workspace model names it (a caller, the
    # store a callee writes); None: the finding's own file.
    path: str | None = None


class SuppressionInfo(NamedTuple):
    """Why a finding is not reported: the suppression comment that matched it."""

    kind: str  # "inline" or "file"
    reason: str | None
    line: int


class Observation(NamedTuple):
    """A site a rule examined and judged *not* a risk, with why: the other half of an audit.
    Findings say what is unscoped; observations say what was checked and found scoped, keyed
    by an id the host minted, or the host's own, so a report can show a reviewer both."""

    code: str  # the rule that judged the site
    area: str  # secrets | state | keys | singletons | telemetry | guest-input | credentials
    span: Span
    verdict: str  # scoped | host-minted key | host's own | holds no tenant data | per-instance
    subject: str  # what was judged, as written (`self.secrets.get(&key)`)
    detail: str  # why, in a reviewer's words (the key's composition, the owner's type)
    item: str = ""  # the enclosing items, outermost first (`SecretsHost::get`)
    key: str = ""  # for a keyed site, the key's composition (`[tenant.tenant_id, name]`)


class Finding(NamedTuple):
    code: str
    name: str
    message: str
    span: Span
    severity: Severity
    fix: Fix | None = None
    related: tuple[RelatedLocation, ...] = ()
    suppression: SuppressionInfo | None = None
    # Facts a rule wants an editor to display, e.g. a key's composition for inlay hints.
    notes: tuple[str, ...] = ()
