"""What every rule declares: its documentation metadata beside its check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable, Iterator, NamedTuple

from ... import PROJECT_URL
from ..model import Applicability, Finding, FixAvailability, Severity
from ..vocabulary import words_of

if TYPE_CHECKING:
    from ..config import Settings
    from ..context import AnalysisContext

DOCS_BASE_URL = f"{PROJECT_URL}/blob/main/docs/rules/"

FAMILIES = {
    "ISO0": "meta",
    "ISO1": "secrets",
    "ISO2": "keys-and-caches",
    "ISO3": "telemetry",
    "ISO4": "shared-state",
    "ISO5": "identity",
}


class Rule(NamedTuple):
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
    # What a finding or observation of the rule depends on, for analysing again after an
    # edit inside one function body (``checks.function_edits``): "file", anything in the
    # file (the whole file is analysed again when the rule may fire); "linked-bodies", one
    # inside a function depends on that function, the text outside functions and the
    # functions linked to it by a name the file declares (a function, between those naming
    # it and those declaring it; a static, const, module or field), one on such a
    # declaration on that text and the bodies naming it, and any other outside functions on
    # the text outside functions alone. A type links no bodies: what a rule reads of a type
    # is its declaration and the workspace model's answers about it; only findings on the
    # type's declaration rest on the bodies naming it, as ``type_declaration_words`` says.
    # Judging a function must be judging it for findings in itself and in the functions
    # linked to it: a re-analysis may skip the functions it keeps findings of
    # (``AnalysisContext.wants_findings_at``).
    reach: str = "file"
    # For a "linked-bodies" rule, which bodies naming a type (a struct, enum, union, alias
    # or trait declared outside bodies) a finding or observation of the rule on that type's
    # declaration rests on: None, any; a tuple of words, only those spelling one of them
    # (compared verbatim); empty, none (the rule reports nothing on a type's declaration
    # from what bodies do).
    type_declaration_words: tuple[bytes, ...] | None = None
    # Lower-case byte strings of which a file must contain one (compared with the file
    # lower-cased) for the rule to report anything in it: the engine skips the rule, and the
    # queries it would compile and run, on other files. Each must be a necessary condition
    # of every finding; empty means the rule runs on every file.
    triggers: tuple[bytes, ...] = ()
    # Words the config adds to ``triggers`` (configured APIs, setters, vocabulary entries).
    configured_triggers: Callable[["Settings"], Iterable[bytes]] | None = None
    # The queries the rule runs on whole files (``checks.parsing.captures``/``matches`` on the
    # root), fixed and built from the config: before the rules run on a file, the engine has
    # those of every rule about to run compiled as one query, so none is compiled alone and
    # all share one walk of the tree (tests/test_rule_queries.py checks none is missing).
    queries: tuple[str, ...] = ()
    configured_queries: Callable[["Settings"], Iterable[str]] | None = None

    def triggers_for(self, settings: "Settings") -> tuple[bytes, ...] | None:
        """The trigger words under ``settings``; None when the rule runs on every file."""
        configured = tuple(self.configured_triggers(settings)) if self.configured_triggers is not None else ()
        return tuple(dict.fromkeys(self.triggers + configured)) or None

    def queries_for(self, settings: "Settings") -> tuple[str, ...]:
        configured = tuple(self.configured_queries(settings)) if self.configured_queries is not None else ()
        return tuple(dict.fromkeys(self.queries + configured))

    @property
    def family(self) -> str:
        return FAMILIES.get(self.code[:4], "other")

    def doc_url(self) -> str:
        return f"{DOCS_BASE_URL}{self.code}.md"


def exact_name_triggers(names: Iterable[str]) -> Iterator[bytes]:
    """Triggers for names a rule compares verbatim with source text (configured APIs)."""
    for name in names:
        yield name.encode("utf-8").lower()


def vocabulary_triggers(entries: Iterable[str]) -> Iterator[bytes]:
    """Triggers for entries matched as runs of words (``checks.vocabulary``): every word of a
    matched entry occurs in the file (words are ASCII letters and digits, lower-cased), so one
    word per entry is a necessary condition; the longest is the rarest in practice."""
    for entry in entries:
        words = words_of(entry)
        if words:
            yield max(words, key=len).encode("ascii")
