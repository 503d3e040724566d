"""Source text as bytes, with exact conversions between byte offsets and editor columns.

tree-sitter speaks bytes; LSP speaks UTF-16 code units by default (or UTF-8/UTF-32 when
negotiated); humans read 1-based character columns. Non-UTF-8 bytes are tolerated: each
undecodable byte counts as one code unit (it is decoded as a lone surrogate escape), so
positions stay monotonic and round-trip exactly.
"""

from __future__ import annotations

import bisect

UTF8_BOM = b"\xef\xbb\xbf"


def is_utf8(data: bytes) -> bool:
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="surrogateescape")


def _byte_width(char: str) -> int:
    return 1 if "\udc80" <= char <= "\udcff" else len(char.encode("utf-8", errors="surrogatepass"))


def text_units(text: str, encoding: str) -> int:
    """How many code units of ``encoding`` (an LSP position encoding) ``text`` takes."""
    if encoding == "utf-8":
        return len(text.encode("utf-8", errors="surrogatepass"))
    if encoding == "utf-16":
        return len(text.encode("utf-16-le", errors="surrogatepass")) // 2
    if encoding == "utf-32":
        return len(text)
    raise ValueError(f"unknown position encoding {encoding!r}")


class SourceText:
    """Immutable bytes of one file plus a lazily built line index."""

    __slots__ = ("data", "_line_starts")

    def __init__(self, data: bytes, line_starts: list[int] | None = None):
        """``line_starts``: where the lines of ``data`` start, when known (those of a text
        with the same line breaks)."""
        self.data = data
        self._line_starts: list[int] | None = line_starts


    @property
    def line_starts(self) -> list[int]:
        if self._line_starts is None:
            starts = [0]
            data = self.data
            find = data.find
            pos = find(b"\n")
            while pos != -1:
                starts.append(pos + 1)
                pos = find(b"\n", pos + 1)
            self._line_starts = starts
        return self._line_starts

    @property
    def has_bom(self) -> bool:
        return self.data.startswith(UTF8_BOM)

    @property
    def is_valid_utf8(self) -> bool:
        return is_utf8(self.data)

    def line_count(self) -> int:
        return len(self.line_starts)

    def line_bytes(self, line: int) -> bytes:
        """The bytes of a 0-based line without its terminator (``\\n`` or ``\\r\\n``)."""
        starts = self.line_starts
        start = starts[line]
        end = starts[line + 1] - 1 if line + 1 < len(starts) else len(self.data)
        chunk = self.data[start:end]
        return chunk[:-1] if chunk.endswith(b"\r") else chunk

    def line_text(self, line: int) -> str:
        """Printable text of a line; undecodable bytes show as U+FFFD."""
        text = self.line_bytes(line).decode("utf-8", errors="replace")
        return text[1:] if line == 0 and text.startswith("\ufeff") else text

    def point_of(self, byte_offset: int) -> tuple[int, int]:
        """0-based (line, byte column) of a byte offset."""
        starts = self.line_starts
        line = bisect.bisect_right(starts, byte_offset) - 1
        return line, byte_offset - starts[line]

    def column(self, line: int, byte_col: int, encoding: str = "utf-16") -> int:
        """Convert a byte column on ``line`` to a column in ``encoding`` code units."""
        if encoding == "utf-8":
            return byte_col
        prefix = self.line_prefix_bytes(line, byte_col)
        if prefix.isascii():  # one code unit a byte in every encoding
            return byte_col
        return text_units(_decode(prefix), encoding)

    def line_prefix_bytes(self, line: int, byte_col: int) -> bytes:
        start = self.line_starts[line]
        return self.data[start : start + byte_col]

    def char_column(self, line: int, byte_col: int) -> int:
        """1-based column in Unicode scalar values, as rustc prints it."""
        prefix = _decode(self.line_prefix_bytes(line, byte_col))
        if line == 0 and prefix.startswith("\ufeff"):
            prefix = prefix[1:]
        return len(prefix) + 1

    def byte_offset(self, line: int, column: int, encoding: str = "utf-16") -> int:
        """Byte offset of an editor position; columns past the line end clamp to it.

        A line past the end of the text clamps to the end of the text.
        """
        starts = self.line_starts
        if line >= len(starts):
            return len(self.data)
        line_start = starts[line]
        raw = self.line_bytes(line)
        if encoding == "utf-8":
            return line_start + min(column, len(raw))
        text = _decode(raw)
        consumed_units = 0
        consumed_bytes = 0
        for char in text:
            if consumed_units >= column:
                break
            consumed_units += text_units(char, encoding)
            consumed_bytes += _byte_width(char)
        return line_start + min(consumed_bytes, len(raw))
