"""ISO002 unused-suppression."""

from __future__ import annotations

from ..model import Applicability, Edit, Fix, FixAvailability, Severity
from .base import Rule
from ..source import UTF8_BOM


def _removal(ctx, suppression) -> Edit:
    """Delete the whole comment line when it stands alone, else just the trailing comment.

    tree-sitter counts a CRLF line's ``\r`` as part of the comment and a BOM as text before
    it; neither may be deleted, or the fix would change the file's line endings or encoding.
    """
    data = ctx.source.data
    start, end = suppression.node.start_byte, suppression.node.end_byte
    if data[end - 1 : end] == b"\r":
        end -= 1
    line_start = data.rfind(b"\n", 0, start) + 1
    if line_start == 0 and data.startswith(UTF8_BOM):
        line_start = len(UTF8_BOM)
    if data[line_start:start].strip() == b"":
        line_end = data.find(b"\n", end)
        return Edit(line_start, len(data) if line_end == -1 else line_end + 1, "")
    trimmed = start
    while trimmed > line_start and data[trimmed - 1 : trimmed] in (b" ", b"\t"):
        trimmed -= 1
    return Edit(trimmed, end, "")


def check(ctx):
    settings = ctx.settings
    for suppression in ctx.suppressions.suppressions:
        if suppression.in_test_code and not settings.lint_tests:
            continue
        unused = [c for c in suppression.codes if c.code is not None and not c.used and c.code in settings.enabled_codes and c.code not in ("ISO001", "ISO002")]
        unknown = [c for c in suppression.codes if c.code is None]
        for entry in unknown:
            yield ctx.finding(suppression.node, f"suppression names unknown rule `{entry.text}`")
        if not unused:
            continue
        names = ", ".join(c.text for c in unused)
        fix = None
        if len(unused) == len(suppression.codes):
            fix = Fix("Remove unused suppression", (_removal(ctx, suppression),), Applicability.SAFE)
        yield ctx.finding(suppression.node, f"unused suppression: no {names} finding here", fix=fix)
    for malformed in ctx.suppressions.malformed:
        yield ctx.finding(malformed.node, f"malformed isolint comment: {malformed.problem}")


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
