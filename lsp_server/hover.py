"""Hover: on a finding, its rule's documentation; on a suppression comment, the rules it
names."""

from __future__ import annotations

from lsprotocol import types

from ..checks.rules import rule_by_code_or_name
from ..ruledocs import rule_markdown
from .linting import Analysis
from .positions import range_of_span


def _markdown(value: str, hover_range: types.Range) -> types.Hover:
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=value), range=hover_range)


def hover_at(analysis: Analysis, offset: int, encoding: str) -> types.Hover | None:
    result = analysis.result
    for finding in result.findings:
        if finding.span.start_byte <= offset <= finding.span.end_byte:
            rule = rule_by_code_or_name(finding.code)
            if rule is not None:
                return _markdown(f"**{finding.message}**\n\n{rule_markdown(rule)}", range_of_span(result.source, finding.span, encoding))
    if result.suppressions is None:
        return None
    for suppression in result.suppressions.suppressions:
        span = suppression.span
        if span.start_byte <= offset <= span.end_byte:
            parts = []
            for entry in suppression.codes:
                rule = rule_by_code_or_name(entry.text)
                if rule is None:
                    parts.append(f"`{entry.text}`: no such isolint rule")
                else:
                    parts.append(f"**{rule.code} {rule.name}**: {rule.summary}\n\n[Rule documentation]({rule.doc_url()})")
            scope = "this file" if suppression.kind == "file" else "this line and the next code line"
            reason = suppression.reason or "no reason given"
            text = "\n\n".join(parts) + f"\n\n*Suppressed in {scope}.* Reason: {reason}"
            return _markdown(text, range_of_span(result.source, span, encoding))
    return None
