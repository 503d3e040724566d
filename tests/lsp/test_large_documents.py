"""Large documents: one over ``max-file-size`` is skipped with a diagnostic saying why, as
the CLI skips such a file; one under it is analysed without holding up requests on other
documents; and ``exit`` does not wait for a long analysis to end."""

from __future__ import annotations

import asyncio
import time

import pytest
from lsprotocol import types

from tests.lsp.harness import CLIENTS, change_document, diagnostics_for, open_document, start_session, stop_session
from tests.lsp.raw_server import RawServer, frame, notification
from tests.lsp.samples import STALE_SUPPRESSIONS


def plain_rust(functions: int) -> str:
    """Code no rule reports, so the analysis is mostly parsing and whole-file queries: the
    work tree-sitter does in C, holding Python's lock, where a loop could starve."""
    return "".join(
        f"fn item_{i}(a: u32, b: u32) -> u32 {{\n    let c = a + b * {i};\n    if c > 10 {{ c - 1 }} else {{ c + 1 }}\n}}\n"
        for i in range(functions)
    )


def registries(count: int) -> str:
    """Code every rule has something to say about: each registry keys a shared map by a
    bare flow id (ISO201). Its analysis takes seconds per megabyte."""
    return "use std::collections::HashMap;\n" + "".join(
        f"\npub struct FlowRegistry{i} {{\n    flows: HashMap<String, Flow>,\n}}\n\nimpl FlowRegistry{i} {{\n"
        f"    pub fn register(&mut self, flow: Flow) {{\n        self.flows.insert(flow.id.clone(), flow);\n    }}\n}}\n"
        for i in range(count)
    )


@pytest.mark.parametrize("kind", CLIENTS)
async def test_a_document_over_max_file_size_is_skipped_with_a_diagnostic(tmp_path, kind):
    (tmp_path / "isolint.toml").write_text("max-file-size = 1000\n")
    client, _ = await start_session(tmp_path, kind)
    try:
        large = STALE_SUPPRESSIONS + "// padding the file past the limit\n" * 40
        uri = open_document(client, tmp_path / "generated.rs", large)
        [skipped] = await diagnostics_for(client, uri, 1)
        assert skipped.code == "skipped" and skipped.severity == types.DiagnosticSeverity.Information
        assert skipped.message == f"isolint skipped this file: {len(large)} bytes is over max-file-size (1000 bytes)"
        hover = await client.text_document_hover_async(
            types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(1, 8)))
        assert hover is None  # nothing analysed, nothing to say: not an error
        change_document(client, uri, 2, [types.TextDocumentContentChangeWholeDocument(text=STALE_SUPPRESSIONS)])
        assert [d.code for d in await diagnostics_for(client, uri, 2)] == ["ISO002", "ISO001"]
    finally:
        await stop_session(client)


async def test_hovers_on_another_document_are_answered_while_a_large_one_is_analysed(tmp_path):
    client, _ = await start_session(tmp_path, "visual-studio-code")
    loop = asyncio.get_running_loop()
    try:
        small = open_document(client, tmp_path / "small.rs", STALE_SUPPRESSIONS)
        await diagnostics_for(client, small, 1)
        on_suppression = types.HoverParams(text_document=types.TextDocumentIdentifier(uri=small), position=types.Position(1, 8))
        text = plain_rust(60_000)  # 6 MB, under the default max-file-size
        opened = loop.time()
        large = open_document(client, tmp_path / "large.rs", text)
        analysed = asyncio.ensure_future(diagnostics_for(client, large, 1))
        latencies = []
        while not analysed.done():
            asked = loop.time()
            assert await client.text_document_hover_async(on_suppression) is not None
            latencies.append(loop.time() - asked)
            await asyncio.sleep(0.02)
        analysis_seconds = loop.time() - opened
        assert await analysed == []
        assert len(latencies) >= 3, "the analysis ended before hovers could be timed"
        # A hover waits at most a slice of the analysis (a parse chunk, a query window),
        # never the whole of a parse or a query as before: it used to be 80% of it.
        assert max(latencies) < analysis_seconds / 3, (f"{analysis_seconds:.2f} s analysis", sorted(latencies)[-5:])
    finally:
        await stop_session(client)


def test_exit_does_not_wait_for_a_long_analysis(tmp_path):
    uri = (tmp_path / "registries.rs").as_uri()
    server = RawServer()
    try:
        server.initialize()
        item = {"uri": uri, "languageId": "rust", "version": 1, "text": registries(26_000)}  # 5 MB
        server.send(frame(notification("textDocument/didOpen", {"textDocument": item})))
        time.sleep(1.0)  # the analysis is under way
        asked = time.monotonic()
        assert server.shut_down() == 0
        exit_seconds = time.monotonic() - asked
        published = [m for m in server.received if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri]
        assert not published, "the analysis ended before exit: nothing was tested"
        assert exit_seconds < 5, f"exit took {exit_seconds:.1f} s"
    finally:
        server.close()
