"""Open/change/close and diagnostics, end to end over stdio as VS Code (push) and Neovim
(pull): the findings match ``checks.engine.analyze`` and carry code, href, source, data."""

from __future__ import annotations

import pytest
from lsprotocol import types

from checks.config import DEFAULT_CONFIG
from checks.engine import analyze
from tests.lsp.harness import CLIENTS, change_document, diagnostics_for, edit, is_pull, open_document, start_session, stop_session

UNREASONED = """fn lookup(store: &SecretStore) -> String {
    // isolint: allow(ISO002)
    let a = 1;
    String::new()
}
"""


@pytest.fixture(params=CLIENTS)
async def session(request, tmp_path):
    client, result = await start_session(tmp_path, request.param)
    yield client, result, tmp_path
    await stop_session(client)


async def test_open_reports_engine_findings_with_full_metadata(session):
    client, _, root = session
    uri = open_document(client, root / "lib.rs", UNREASONED)
    diagnostics = await diagnostics_for(client, uri, 1)
    expected = analyze(UNREASONED.encode(), DEFAULT_CONFIG.settings, root / "lib.rs").findings
    assert [(d.code, d.range.start.line) for d in diagnostics] == [(f.code, f.span.start_line) for f in expected]
    first = diagnostics[0]
    assert first.code == "ISO001"
    assert first.source == "isolint"
    assert first.code_description.href.endswith("/ISO001.md")
    assert first.severity is not None
    assert first.range == types.Range(start=types.Position(1, 4), end=types.Position(1, 29))
    assert first.data["version"] == 1


async def test_change_then_close(session):
    client, _, root = session
    uri = open_document(client, root / "lib.rs", UNREASONED)
    assert await diagnostics_for(client, uri, 1)
    # Give the suppression a reason: the ISO001 finding goes away.
    change_document(client, uri, 2, [edit((1, 29), (1, 29), " reason: keys are scoped by the caller")])
    codes = [d.code for d in await diagnostics_for(client, uri, 2)]
    assert "ISO001" not in codes
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    if is_pull(client):
        with pytest.raises(Exception, match="not open"):
            await diagnostics_for(client, uri)
    else:
        assert await diagnostics_for(client, uri, None) == []
