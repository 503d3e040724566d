"""What every rule declares: its documentation metadata beside its check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from checks.model import Applicability, Finding, FixAvailability, Severity

if TYPE_CHECKING:
    from checks.context import AnalysisContext

DOCS_BASE_URL = "https://github.com/isolint/isolint/blob/main/docs/rules/"

FAMILIES = {
    "ISO0": "meta",
    "ISO1": "secrets",
    "ISO2": "keys-and-caches",
    "ISO3": "telemetry",
    "ISO4": "shared-state",
}


@dataclass(frozen=True)
class Rule:
    """One isolation rule: metadata that feeds `isolint rule` and the docs, plus its check.

    ``check`` receives an ``AnalysisContext`` and yields findings; it must not raise on
    malformed trees (the engine isolates a raising rule and reports it, but a rule should
    simply skip ERROR nodes it cannot judge).
    """

    code: str
    name: str
    summary: str
    rationale: str
    bad_example: str
    good_example: str
    default_severity: Severity
    fix_availability: FixAvailability
    fix_safety: Applicability | None
    check: Callable[["AnalysisContext"], Iterable[Finding]]
    # Messages as used in findings, documented so users know what to expect.
    message: str = ""
    fix_title: str | None = None
    # Options in the config that change this rule's behaviour (clippy's conf.rs links).
    options: tuple[str, ...] = ()
    # Meta rules run after suppressions are resolved, on the engine's own bookkeeping.
    is_meta: bool = False

    @property
    def family(self) -> str:
        return FAMILIES.get(self.code[:4], "other")

    def doc_url(self) -> str:
        return f"{DOCS_BASE_URL}{self.code}.md"
