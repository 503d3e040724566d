"""Hover: on a finding, its rule's documentation; on the name of shared state, its verdict in
the readiness inventory (above the finding's documentation when both are there); on a
suppression comment, the rules it names."""

from __future__ import annotations

from lsprotocol import types

from ..checks.rules import rule_by_code_or_name
from ..ruledocs import rule_markdown
from .linting import Analysis
from .positions import range_of_bytes, range_of_span
from .shared_state import SharedState, hover_line, state_at


def _markdown(value: str, hover_range: types.Range) -> types.Hover:
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=value), range=hover_range)


def hover_at(analysis: Analysis, offset: int, encoding: str, shared_state: list[SharedState]) -> types.Hover | None:
    result = analysis.result
    state = state_at(shared_state, offset)
    for finding in result.findings:
        if finding.span.start_byte <= offset <= finding.span.end_byte:
            rule = rule_by_code_or_name(finding.code)
            if rule is not None:
                text = f"**{finding.message}**\n\n{rule_markdown(rule)}"
                if state is not None:
                    # The verdict first, in one line; its reason only when it is not this
                    # finding, whose message follows.
                    judged_here = state.entry.why == f"{finding.code}: {finding.message}"
                    text = f"{hover_line(state.entry, with_reason=not judged_here)}\n\n---\n\n{text}"
                return _markdown(text, range_of_span(result.source, finding.span, encoding))
    if state is not None:
        return _markdown(hover_line(state.entry), range_of_bytes(result.source, state.name_start, state.name_end, encoding))
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
