"""Exact conversions between engine byte offsets and LSP positions in the negotiated
encoding (utf-8, utf-16 or utf-32 code units)."""

from __future__ import annotations

from lsprotocol import types

from ..checks.model import Span
from ..checks.source import SourceText

SUPPORTED_ENCODINGS = ("utf-8", "utf-16", "utf-32")


def encoding_name(kind: types.PositionEncodingKind | str | None) -> str:
    """The ``checks.source`` name of a negotiated position encoding (utf-16 by default)."""
    value = getattr(kind, "value", kind)
    return value if value in SUPPORTED_ENCODINGS else "utf-16"


def position_at(source: SourceText, byte_offset: int, encoding: str) -> types.Position:
    line, byte_col = source.point_of(min(byte_offset, len(source.data)))
    return types.Position(line=line, character=source.column(line, byte_col, encoding))


def range_of_bytes(source: SourceText, start_byte: int, end_byte: int, encoding: str) -> types.Range:
    return types.Range(start=position_at(source, start_byte, encoding), end=position_at(source, end_byte, encoding))


def range_of_span(source: SourceText, span: Span, encoding: str) -> types.Range:
    return range_of_bytes(source, span.start_byte, span.end_byte, encoding)


def byte_offset_at(source: SourceText, position: types.Position, encoding: str) -> int:
    return source.byte_offset(position.line, position.character, encoding)
