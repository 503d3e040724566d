"""Open/change/close and diagnostics, end to end over stdio as VS Code (push) and Neovim
(pull): the findings match ``checks.engine.analyze`` and carry code, href, source, data."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from lsprotocol import types

from isolint.checks.config import DEFAULT_CONFIG
from isolint.checks.engine import analyze
from tests.lsp.harness import CLIENTS, change_document, diagnostics_for, edit, is_pull, open_document, start_session, stop_session
from tests.lsp.samples import REGISTRY

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
        assert list(await diagnostics_for(client, uri, None)) == []


async def test_related_information_points_at_the_fill_site(session):
    client, _, root = session
    uri = open_document(client, root / "registry.rs", REGISTRY)
    diagnostics = await diagnostics_for(client, uri, 1)
    keyed = next(d for d in diagnostics if d.code == "ISO201")
    assert keyed.range.start == types.Position(4, 4)
    assert keyed.related_information and keyed.related_information[0].location.uri == uri
    assert keyed.related_information[0].location.range.start == types.Position(9, 8)
    assert "flow.id" in keyed.related_information[0].message


async def test_severity_comes_from_the_config_file(session):
    client, _, root = session
    (root / "isolint.toml").write_text('[severity]\nISO201 = "error"\n')
    uri = open_document(client, root / "registry.rs", REGISTRY)
    keyed = next(d for d in await diagnostics_for(client, uri, 1) if d.code == "ISO201")
    assert keyed.severity == types.DiagnosticSeverity.Error


@pytest.mark.parametrize("kind", CLIENTS)
async def test_pull_mode_never_pushes_and_push_mode_carries_versions(tmp_path, kind):
    client, result = await start_session(tmp_path, kind)
    try:
        uri = open_document(client, tmp_path / "lib.rs", UNREASONED)
        await diagnostics_for(client, uri, 1)
        change_document(client, uri, 2, [edit((2, 0), (2, 0), "    let b = 2;\n")])
        await diagnostics_for(client, uri, 2)
        if is_pull(client):
            assert result.capabilities.diagnostic_provider is not None
            assert not [p for p in client.published if p.uri == uri]
        else:
            assert {p.version for p in client.published if p.uri == uri} <= {1, 2}
            assert client.published[-1].version == 2
    finally:
        await stop_session(client)


async def test_pull_answers_unchanged_for_the_same_result_id(tmp_path):
    client, _ = await start_session(tmp_path, "neovim")
    try:
        uri = open_document(client, tmp_path / "lib.rs", UNREASONED)
        params = types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        first = await client.text_document_diagnostic_async(params)
        assert first.kind == "full" and first.result_id
        params.previous_result_id = first.result_id
        second = await client.text_document_diagnostic_async(params)
        assert second.kind == "unchanged" and second.result_id == first.result_id
        change_document(client, uri, 2, [edit((0, 0), (0, 0), "// header\n")])
        third = await client.text_document_diagnostic_async(params)
        assert third.kind == "full" and third.result_id != first.result_id
        assert [d.range.start.line for d in third.items] == [d.range.start.line + 1 for d in first.items]
    finally:
        await stop_session(client)


async def test_isolint_server_entry_point_logs_to_the_client(tmp_path):
    executable = Path(sys.executable).parent / "isolint"
    client, result = await start_session(tmp_path, "visual-studio-code", command=(str(executable), "server"))
    try:
        assert result.server_info.name == "isolint"
        uri = open_document(client, tmp_path / "lib.rs", UNREASONED)
        assert [d.code for d in await diagnostics_for(client, uri, 1)] == ["ISO001"]
        assert any("position encoding utf-16" in m.message for m in client.log_messages)
    finally:
        await stop_session(client)


async def test_rapid_edits_publish_only_what_each_version_really_has(tmp_path):
    client, _ = await start_session(tmp_path, "visual-studio-code", init_options={"debounceMs": 0})
    try:
        text = REGISTRY
        uri = open_document(client, tmp_path / "registry.rs", text)
        texts = {1: text}
        for version in range(2, 30):
            # Alternately break and restore the suppression-free file: add a reasonless
            # suppression above line 4, then remove it again.
            if version % 2 == 0:
                change = edit((4, 0), (4, 0), "    // isolint: allow(ISO201)\n")
                text = text.replace("    flows:", "    // isolint: allow(ISO201)\n    flows:", 1)
            else:
                change = edit((4, 0), (5, 0), "")
                text = text.replace("    // isolint: allow(ISO201)\n", "", 1)
            change_document(client, uri, version, [change])
            texts[version] = text
        await diagnostics_for(client, uri, 29)
        versions = [p.version for p in client.published if p.uri == uri]
        assert versions == sorted(versions) and versions[-1] == 29
        for item in (p for p in client.published if p.uri == uri):
            findings = analyze(texts[item.version].encode(), DEFAULT_CONFIG.settings, tmp_path / "registry.rs").findings
            assert [(d.code, d.range.start.line) for d in item.diagnostics] == [(f.code, f.span.start_line) for f in findings]
    finally:
        await stop_session(client)


GUEST_KV = """pub struct GuestKv {
    tenant_id: TenantId,
    backend: Arc<KvBackend>,
}

impl kv::Host for GuestKv {
    fn get(&mut self, key: String) -> Option<Vec<u8>> {
        self.backend.get(&key)
    }
}
"""


async def test_a_guest_input_finding_shows_where_the_value_came_from(session):
    client, _, root = session
    uri = open_document(client, root / "guest.rs", GUEST_KV)
    diagnostics = [d for d in await diagnostics_for(client, uri, 1) if d.code == "ISO204"]
    assert [d.range.start.line for d in diagnostics] == [7]
    (related,) = diagnostics[0].related_information
    assert related.location.uri == uri
    assert related.location.range.start.line == 6
    assert related.message == "chosen by the guest here"
    assert "self.tenant_id" in diagnostics[0].message
