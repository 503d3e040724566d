"""ISO001 suppression-without-reason."""

from __future__ import annotations

import re

from ..model import FixAvailability, Severity
from .base import Rule


# Editors insert `reason: <why>`; left as it is, it explains nothing.
PLACEHOLDER_REASON = r"^<[^>]*>$"


def check(ctx):
    for suppression in ctx.suppressions.suppressions:
        codes = ", ".join(c.text for c in suppression.codes)
        if suppression.reason is None:
            yield ctx.finding(suppression.span, f"suppression of {codes} gives no reason; add `reason: <why this is safe>`")
        elif re.match(PLACEHOLDER_REASON, suppression.reason):
            yield ctx.finding(suppression.span, f"suppression of {codes} still has the placeholder reason `{suppression.reason}`; say why this is safe")


RULE = Rule(
    code="ISO001",
    name="suppression-without-reason",
    summary="An isolint suppression comment that does not say why the code is safe (no reason, or a placeholder such as `<why>`).",
    rationale=(
        "A suppression silences an isolation finding for everyone who reads the code later. "
        "Without a reason, reviewers cannot tell an audited exception (a dev-only backend, a "
        "key that is scoped by its caller) from a leak that someone wanted to go away. Like "
        "clippy's `#[expect(lint, reason = \"…\")]`, isolint asks for the why in the comment."
    ),
    bad_example='let key = name; // isolint: allow(ISO101)\n',
    good_example='let key = name; // isolint: allow(ISO101) reason: caller passes a key from scoped_key()\n',
    default_severity=Severity.WARNING,
    fix_availability=FixAvailability.NONE,
    fix_safety=None,
    check=check,
    message="suppression of {codes} gives no reason",
    is_meta=True,
)
