"""Applying fix edits to source bytes: ordered, non-overlapping, idempotent."""

from __future__ import annotations

from dataclasses import dataclass

from checks.model import Applicability, Edit, Finding, Fix


@dataclass
class FixOutcome:
    data: bytes
    applied: list[Finding]
    skipped: list[Finding]  # overlapped an earlier fix; a rerun will reconsider them


def eligible(fix: Fix | None, unsafe: bool) -> bool:
    if fix is None or fix.applicability is Applicability.DISPLAY_ONLY:
        return False
    return unsafe or fix.applicability is Applicability.SAFE


def apply_fixes(data: bytes, findings: list[Finding], unsafe: bool = False) -> FixOutcome:
    """Apply the eligible fixes of ``findings``; a fix whose edits overlap an already chosen
    fix is skipped whole (never half-applied)."""
    chosen: list[tuple[Finding, tuple[Edit, ...]]] = []
    taken: list[tuple[int, int]] = []
    skipped: list[Finding] = []
    ordered = sorted((f for f in findings if eligible(f.fix, unsafe)), key=lambda f: (min(e.start_byte for e in f.fix.edits), f.code))
    for finding in ordered:
        edits = finding.fix.edits
        if any(_overlaps(edit, start, end) for edit in edits for start, end in taken):
            skipped.append(finding)
            continue
        chosen.append((finding, edits))
        taken.extend((e.start_byte, e.end_byte) for e in edits)
    all_edits = sorted((edit for _, edits in chosen for edit in edits), key=lambda e: (e.start_byte, e.end_byte), reverse=True)
    buffer = bytearray(data)
    for edit in all_edits:
        buffer[edit.start_byte : edit.end_byte] = edit.replacement.encode("utf-8")
    return FixOutcome(bytes(buffer), [f for f, _ in chosen], skipped)


def _overlaps(edit: Edit, start: int, end: int) -> bool:
    if edit.start_byte == edit.end_byte == start == end:
        return True  # two insertions at one point would interleave unpredictably
    return edit.start_byte < end and start < edit.end_byte
