"""Inlay hints from the facts rules attach to findings (``Finding.notes``), e.g. a derived
key's composition: ``[flow_id, session] — no pack_id, no tenant``."""

from __future__ import annotations

from lsprotocol import types

from .linting import Analysis
from .positions import position_at


def inlay_hints_in(analysis: Analysis, start_byte: int, end_byte: int, encoding: str) -> list[types.InlayHint]:
    hints = []
    source = analysis.result.source
    for finding in analysis.result.findings:
        if not finding.notes or finding.span.end_byte < start_byte or finding.span.start_byte > end_byte:
            continue
        hints.append(
            types.InlayHint(
                position=position_at(source, finding.span.end_byte, encoding),
                label=" ".join(finding.notes),
                kind=types.InlayHintKind.Type,
                tooltip=f"{finding.code}: {finding.message}",
                padding_left=True,
            )
        )
    return hints
