"""Applying fix edits to source bytes: ordered, non-overlapping, idempotent.

Edits are byte-exact, so everything outside them (line endings, a UTF-8 BOM, trailing
whitespace) survives untouched. Newlines that a fix inserts are written in the file's own
line ending, no edit may eat the BOM, and none may split a CRLF pair.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from .model import Applicability, Edit, Finding, Fix
from .source import UTF8_BOM

# ruff stops after 100 rounds; our fixes are small and local, so a handful settles any file.
MAX_FIX_ROUNDS = 10


class FixOutcome(NamedTuple):
    data: bytes
    applied: list[Finding]
    skipped: list[Finding]  # overlapped an earlier fix; a rerun will reconsider them


def eligible(fix: Fix | None, unsafe: bool) -> bool:
    if fix is None or fix.applicability is Applicability.DISPLAY_ONLY:
        return False
    return unsafe or fix.applicability is Applicability.SAFE


def line_ending_of(data: bytes) -> str:
    """The file's line ending, judged by its first line break (``\\n`` when it has none)."""
    first = data.find(b"\n")
    return "\r\n" if first > 0 and data[first - 1 : first] == b"\r" else "\n"


def _encoded(replacement: str, line_ending: str) -> bytes:
    if "\n" in replacement:
        replacement = replacement.replace("\r\n", "\n").replace("\n", line_ending)
    return replacement.encode("utf-8", errors="surrogateescape")


def _splits_crlf(data: bytes, start: int, end: int) -> bool:
    """True when a deletion ends between the CR and the LF of a CRLF line break."""
    return start < end < len(data) and data[end - 1 : end + 1] == b"\r\n"


def apply_fixes(data: bytes, findings: list[Finding], unsafe: bool = False) -> FixOutcome:
    """Apply the eligible fixes of ``findings``; a fix whose edits overlap an already chosen
    fix is skipped whole (never half-applied)."""
    chosen: list[tuple[Finding, tuple[Edit, ...]]] = []
    taken: list[tuple[int, int]] = []
    # A fix also claims the stretch between its first and last edit: one that wraps an
    # expression by insertions before and after it must not see another fix edit inside.
    claimed: list[tuple[int, int]] = []
    skipped: list[Finding] = []
    ordered = sorted((f for f in findings if eligible(f.fix, unsafe)), key=lambda f: (min(e.start_byte for e in f.fix.edits), f.code))
    for finding in ordered:
        edits = finding.fix.edits
        claim = (min(e.start_byte for e in edits), max(e.end_byte for e in edits))
        if (any(_overlaps(edit.start_byte, edit.end_byte, start, end) for edit in edits for start, end in taken)
                or any(_overlaps(*claim, start, end) for start, end in claimed)):
            skipped.append(finding)
            continue
        chosen.append((finding, edits))
        taken.extend((e.start_byte, e.end_byte) for e in edits)
        claimed.append(claim)
    all_edits = sorted((edit for _, edits in chosen for edit in edits), key=lambda e: (e.start_byte, e.end_byte), reverse=True)
    line_ending = line_ending_of(data)
    bom_end = len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0
    buffer = bytearray(data)
    for edit in all_edits:
        start, end = max(edit.start_byte, bom_end), max(edit.end_byte, bom_end)
        if _splits_crlf(data, start, end):
            end -= 1  # tree-sitter ends a line comment after the CR of CRLF; keep the CR
        buffer[start:end] = _encoded(edit.replacement, line_ending)
    return FixOutcome(bytes(buffer), [f for f, _ in chosen], skipped)


class SettledFixes(NamedTuple):
    """The result of fixing a file until no eligible fix is left (or the rounds ran out)."""

    original: bytes
    data: bytes
    applied: list[Finding]
    rounds: int

    @property
    def changed(self) -> bool:
        return self.data != self.original


def fix_until_settled(
    data: bytes,
    findings: list[Finding],
    reanalyse: Callable[[bytes], list[Finding]],
    unsafe: bool = False,
    max_rounds: int = MAX_FIX_ROUNDS,
) -> SettledFixes:
    """Apply fixes, re-lint, and repeat, so fixes skipped for overlapping or made possible by
    an earlier fix are applied too; a second run over the result then changes nothing."""
    original = data
    applied: list[Finding] = []
    rounds = 0
    while rounds < max_rounds:
        outcome = apply_fixes(data, findings, unsafe)
        if not outcome.applied or outcome.data == data:
            break
        rounds += 1
        applied.extend(outcome.applied)
        data = outcome.data
        findings = reanalyse(data)
    return SettledFixes(original, data, applied, rounds)


def _overlaps(first_start: int, first_end: int, start: int, end: int) -> bool:
    if first_start == first_end == start == end:
        return True  # two insertions at one point would interleave unpredictably
    return first_start < end and start < first_end
