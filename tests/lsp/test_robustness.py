"""Bad input never kills the server: unknown documents, changes for unopened documents,
out-of-range edits, invalid params, cancelled requests and a rule that raises."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from isolint.checks.config import DEFAULT_CONFIG
from isolint.checks.engine import analyze
from tests.lsp.harness import CLIENTS, change_document, diagnostics_for, edit, open_document, start_session, stop_session
from tests.lsp.samples import STALE_SUPPRESSIONS


@pytest.fixture(params=CLIENTS)
async def session(request, tmp_path):
    client, _ = await start_session(tmp_path, request.param)
    yield client, tmp_path
    await stop_session(client)


async def still_serving(client, root) -> None:
    uri = open_document(client, root / "alive.rs", STALE_SUPPRESSIONS)
    assert [d.code for d in await diagnostics_for(client, uri, 1)] == ["ISO002", "ISO001"]


async def test_requests_for_unknown_documents_get_errors(session):
    client, root = session
    unknown = types.TextDocumentIdentifier(uri=(root / "never-opened.rs").as_uri())
    with pytest.raises(JsonRpcException, match="not open"):
        await client.text_document_hover_async(types.HoverParams(text_document=unknown, position=types.Position(0, 0)))
    with pytest.raises(JsonRpcException, match="not open"):
        await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=unknown))
    with pytest.raises(JsonRpcException, match="not open"):
        await client.text_document_code_action_async(
            types.CodeActionParams(text_document=unknown, range=types.Range(start=types.Position(0, 0), end=types.Position(0, 0)), context=types.CodeActionContext(diagnostics=[]))
        )
    await still_serving(client, root)


async def test_notifications_for_unopened_documents_are_ignored(session):
    client, root = session
    ghost = (root / "ghost.rs").as_uri()
    change_document(client, ghost, 2, [edit((0, 0), (0, 0), "fn f() {}\n")])
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=ghost)))
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri="untitled:Untitled-1", language_id="rust", version=1, text=STALE_SUPPRESSIONS))
    )
    assert [d.code for d in await diagnostics_for(client, "untitled:Untitled-1", 1)] == ["ISO002", "ISO001"]
    await still_serving(client, root)


async def test_out_of_range_edits_clamp_to_the_text(session):
    client, root = session
    text = "fn f() {}\n"
    uri = open_document(client, root / "lib.rs", text)
    await diagnostics_for(client, uri, 1)
    # Past the end of a line, past the last line, and a reversed range.
    change_document(
        client,
        uri,
        2,
        [
            edit((0, 500), (0, 900), " // isolint: allow(ISO201)"),
            edit((40, 0), (45, 3), "\n// isolint: allow(ISO002)\n"),
            edit((0, 5), (0, 2), "x"),
        ],
    )
    final = "fn f(x) {} // isolint: allow(ISO201)\n\n// isolint: allow(ISO002)\n"
    expected = analyze(final.encode(), DEFAULT_CONFIG.settings, root / "lib.rs").findings
    diagnostics = await diagnostics_for(client, uri, 2)
    assert [(d.code, d.range.start.line) for d in diagnostics] == [(f.code, f.span.start_line) for f in expected]
    assert expected


async def test_invalid_params_get_an_error_response(session):
    client, root = session
    # The client's own types refuse to serialise bad params, so write the raw message.
    response: Future = Future()
    client.protocol._request_futures["bad-params"] = response
    client.protocol._send_data(
        {"jsonrpc": "2.0", "id": "bad-params", "method": types.TEXT_DOCUMENT_HOVER, "params": {"textDocument": 42, "position": "nowhere"}}
    )
    with pytest.raises(JsonRpcException) as raised:
        await asyncio.wrap_future(response)
    assert raised.value.code in (-32602, -32603)
    await still_serving(client, root)


async def test_a_cancelled_pull_is_dropped(tmp_path):
    client, _ = await start_session(tmp_path, "neovim", init_options={"debounceMs": 3000})
    try:
        uri = open_document(client, tmp_path / "lib.rs", STALE_SUPPRESSIONS)
        await diagnostics_for(client, uri, 1)
        change_document(client, uri, 2, [edit((0, 0), (0, 0), "// typing\n")])  # debounced for 3 s
        params = types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        # pytest-lsp's send_request_async sends only once it runs: make it a task.
        pending = asyncio.ensure_future(client.protocol.send_request_async(types.TEXT_DOCUMENT_DIAGNOSTIC, params, msg_id="pull-to-cancel"))
        await asyncio.sleep(0.1)
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="pull-to-cancel"))
        with pytest.raises(JsonRpcException) as raised:
            await pending
        assert raised.value.code == -32800  # RequestCancelled
        # The document is still analysed once the debounce ends.
        report = await client.text_document_diagnostic_async(params)
        assert [d.range.start.line for d in report.items] == [2, 4]
    finally:
        await stop_session(client)


async def test_a_configuration_answer_pygls_cannot_read_does_not_stall_diagnostics(tmp_path):
    """A client answering workspace/configuration with null (not a list) gets its diagnostics
    after the reply timeout, under initializationOptions, instead of never."""

    def null_configuration(params):
        return None

    client, _ = await start_session(
        tmp_path, "visual-studio-code", features_override={types.WORKSPACE_CONFIGURATION: null_configuration}
    )
    try:
        uri = open_document(client, tmp_path / "lookup.rs", STALE_SUPPRESSIONS)
        assert "ISO002" in [d.code for d in await diagnostics_for(client, uri, 1)]
    finally:
        await stop_session(client)
