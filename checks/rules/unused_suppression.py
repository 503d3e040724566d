"""ISO002 unused-suppression."""

from __future__ import annotations

from ..model import Applicability, Edit, Fix, FixAvailability, Severity
from .base import Rule
from ..source import UTF8_BOM


def _removal(ctx, suppression) -> Edit | None:
    """Delete the whole comment line when it stands alone, else just the trailing comment;
    None when no removal is safe.

    The comment ends at its directive's end (``suppressions.directive_span``), before a
    CRLF's CR; a lone CR counts as a line break, as in editors. A BOM is text before the
    comment. Neither line endings nor the BOM may be deleted, or the fix would change the
    file's line endings or encoding.
    """
    data = ctx.source.data
    start, end = suppression.span.start_byte, suppression.span.end_byte
    if suppression.node.end_byte > end + 1:
        # A lone CR, and by Rust's rules the comment runs on over what editors show as the
        # next lines: deleting the comment would delete those lines, deleting up to the CR
        # would turn them from comment into code. Neither is the construct this names.
        return None
    line_start = max(data.rfind(b"\n", 0, start), data.rfind(b"\r", 0, start)) + 1
    if line_start == 0 and data.startswith(UTF8_BOM):
        line_start = len(UTF8_BOM)
    if data[line_start:start].strip() == b"":
        return Edit(line_start, end + _line_break_length(data, end), "")
    trimmed = start
    while trimmed > line_start and data[trimmed - 1 : trimmed] in (b" ", b"\t"):
        trimmed -= 1
    return Edit(trimmed, end, "")


def _line_break_length(data: bytes, at: int) -> int:
    """The length of the line break at ``at``: CRLF, LF or a lone CR (0 at the end of data)."""
    if data.startswith(b"\r\n", at):
        return 2
    return 1 if data[at : at + 1] in (b"\n", b"\r") else 0


def check(ctx):
    settings = ctx.settings
    for suppression in ctx.suppressions.suppressions:
        if suppression.in_test_code and not settings.lint_tests:
            continue
        unused = [c for c in suppression.codes if c.code is not None and not c.used and c.code in settings.enabled_codes and c.code not in ("ISO001", "ISO002")]
        unknown = [c for c in suppression.codes if c.code is None]
        for entry in unknown:
            yield ctx.finding(suppression.span, f"suppression names unknown rule `{entry.text}`")
        if not unused:
            continue
        names = ", ".join(c.text for c in unused)
        message = f"unused suppression: no {names} finding here"
        fix = None
        if len(unused) == len(suppression.codes):
            removal = _removal(ctx, suppression)
            if removal is None:
                message += " (no automatic fix: the comment runs on past a lone carriage return)"
            else:
                fix = Fix("Remove unused suppression", (removal,), Applicability.SAFE)
        yield ctx.finding(suppression.span, message, fix=fix)
    for malformed in ctx.suppressions.malformed:
        yield ctx.finding(malformed.span, f"malformed isolint comment: {malformed.problem}")


RULE = Rule(
    code="ISO002",
    name="unused-suppression",
    summary="A suppression comment that suppresses nothing, names an unknown rule, or is malformed.",
    rationale=(
        "Suppressions outlive the code they were written for. Once the risky line is fixed "
        "or moved, a stale `allow` would silently hide the next real finding on that line. "
        "Reporting unused, unknown and malformed suppressions (ruff's RUF100) keeps every "
        "exception in the codebase meaningful."
    ),
    bad_example='let key = scoped_key(&tenant, "db"); // isolint: allow(ISO101) reason: legacy\n',
    good_example='let key = scoped_key(&tenant, "db");\n',
    default_severity=Severity.WARNING,
    fix_availability=FixAvailability.SOMETIMES,
    fix_safety=Applicability.SAFE,
    check=check,
    message="unused suppression: no {codes} finding here",
    fix_title="Remove unused suppression",
    is_meta=True,
)
