"""Hover on a finding (rule docs), on a suppression comment (the rule), and inlay hints
from a finding's notes (a key's composition and what it lacks)."""

from __future__ import annotations

import pytest
from lsprotocol import types

from tests.lsp.harness import CLIENTS, diagnostics_for, open_document, start_session, stop_session
from tests.lsp.samples import REGISTRY


@pytest.fixture(params=CLIENTS)
async def session(request, tmp_path):
    client, _ = await start_session(tmp_path, request.param)
    yield client, tmp_path
    await stop_session(client)


async def hover(client, uri, line, character):
    return await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line, character))
    )


async def test_hover_on_a_finding_shows_the_rule_docs(session):
    client, root = session
    uri = open_document(client, root / "registry.rs", REGISTRY)
    await diagnostics_for(client, uri, 1)
    result = await hover(client, uri, 4, 6)
    assert result.contents.kind == types.MarkupKind.Markdown
    assert "(ISO201)" in result.contents.value and "## Why is this bad?" in result.contents.value
    assert result.range.start == types.Position(4, 4)
    assert await hover(client, uri, 0, 2) is None


async def test_hover_on_a_suppression_comment_names_the_rule(session):
    client, root = session
    text = REGISTRY.replace("    flows:", "    // isolint: allow(flow-id-keyed-map) reason: one registry per pack\n    flows:", 1)
    uri = open_document(client, root / "registry.rs", text)
    assert await diagnostics_for(client, uri, 1) == []  # the suppression is used: no finding on it
    result = await hover(client, uri, 4, 20)
    assert "**ISO201 flow-id-keyed-map**" in result.contents.value
    assert "Reason: one registry per pack" in result.contents.value
    assert result.range.start == types.Position(4, 4)


async def test_inlay_hint_shows_the_key_composition(session):
    client, root = session
    uri = open_document(client, root / "registry.rs", REGISTRY)
    await diagnostics_for(client, uri, 1)
    params = types.InlayHintParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(0, 0), end=types.Position(12, 0)),
    )
    (hint,) = await client.text_document_inlay_hint_async(params)
    assert hint.position == types.Position(4, 9)
    assert "no pack_id" in hint.label


async def test_inlay_hints_can_be_switched_off(tmp_path):
    client, _ = await start_session(tmp_path, "neovim", init_options={"inlayHints": False})
    try:
        uri = open_document(client, tmp_path / "registry.rs", REGISTRY)
        params = types.InlayHintParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(0, 0), end=types.Position(12, 0)),
        )
        assert list(await client.text_document_inlay_hint_async(params)) == []
    finally:
        await stop_session(client)
