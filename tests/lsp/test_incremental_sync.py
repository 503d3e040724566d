"""Incremental changes with non-ASCII and astral-plane text, in each negotiated position
encoding: the server's findings after a batch of edits are exactly those of the engine on
the final text, at the same columns the client computes."""

from __future__ import annotations

import pytest
from lsprotocol import types

from isolint.checks.config import DEFAULT_CONFIG
from isolint.checks.engine import analyze
from isolint.checks.source import SourceText
from tests.lsp.harness import capabilities, change_document, diagnostics_for, edit, open_document, start_session, stop_session

BEFORE = """fn greet() -> String {
    let name = "Zoë";
    String::new()
}
"""


def units(text: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-16":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


@pytest.mark.parametrize(
    ("kind", "encodings", "expected"),
    [
        ("visual-studio-code", None, "utf-16"),
        ("neovim", None, "utf-8"),
        ("neovim", ["utf-32"], "utf-32"),
        ("neovim", ["utf-16"], "utf-16"),
    ],
)
async def test_multi_edit_change_with_astral_text(tmp_path, kind, encodings, expected):
    caps = capabilities(kind, encodings=encodings)
    client, result = await start_session(tmp_path, kind, caps=caps)
    try:
        assert result.capabilities.position_encoding == expected
        uri = open_document(client, tmp_path / "greet.rs", BEFORE)
        await diagnostics_for(client, uri, 1)
        prefix = '    let name = "'
        # Three edits in one notification, each in the coordinates left by the previous:
        # replace the name with astral text, then put a reasonless suppression after it on
        # the same line, then insert a CRLF-free line above.
        astral = "𝔗enant 🚀 Zoë"
        col_start = units(prefix, expected)
        col_end = col_start + units("Zoë", expected)
        line_after = f'{prefix}{astral}";'
        changes = [
            edit((1, col_start), (1, col_end), astral),
            edit((1, units(line_after, expected)), (1, units(line_after, expected)), " // isolint: allow(ISO201)"),
            edit((0, 0), (0, 0), "// ünïcödé 😀 header\n"),
        ]
        change_document(client, uri, 2, changes)
        final = "// ünïcödé 😀 header\n" + BEFORE.replace('"Zoë";', f'"{astral}"; // isolint: allow(ISO201)')
        diagnostics = await diagnostics_for(client, uri, 2)

        findings = analyze(final.encode(), DEFAULT_CONFIG.settings, tmp_path / "greet.rs").findings
        source = SourceText(final.encode())
        want = [
            (f.code, f.span.start_line, source.column(f.span.start_line, f.span.start_col, expected), source.column(f.span.end_line, f.span.end_col, expected))
            for f in findings
        ]
        got = [(d.code, d.range.start.line, d.range.start.character, d.range.end.character) for d in diagnostics]
        assert got == want
        # The suppression comment starts right after the astral text, in client units.
        comment_col = units(line_after, expected) + 1
        assert any(d.code == "ISO001" and d.range.start == types.Position(2, comment_col) for d in diagnostics)
    finally:
        await stop_session(client)


async def test_full_text_change_replaces_the_document(tmp_path):
    client, _ = await start_session(tmp_path, "visual-studio-code")
    try:
        uri = open_document(client, tmp_path / "lib.rs", BEFORE)
        assert await diagnostics_for(client, uri, 1) == []
        change_document(client, uri, 2, [types.TextDocumentContentChangeWholeDocument(text="// isolint: allow(ISO201)\nfn f() {}\n")])
        assert [d.code for d in await diagnostics_for(client, uri, 2)] == ["ISO001", "ISO002"]
    finally:
        await stop_session(client)
