"""Diagnostics that keep up with typing, end to end over stdio: a pull for a version still
being analysed is answered at once with the last diagnostics moved through the edits since
(in the client's position units, marked with the version they are for), the fresh result
follows on a diagnostic refresh, a cancelled pull leaves the analysis running, and an edit
inside one function body re-analyses that function with the same diagnostics a whole
analysis gives (edits elsewhere fall back to one)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from isolint.checks.config import DEFAULT_CONFIG
from isolint.checks.engine import analyze
from isolint.checks.source import SourceText
from tests.lsp.harness import capabilities, change_document, diagnostics_for, edit, open_document, start_session, stop_session, wait_until

ROOT = Path(__file__).resolve().parents[2]
SECRETS = (ROOT / "examples" / "tenant-host" / "src" / "secrets.rs").read_text()
FINDING_LINE = next(i for i, line in enumerate(SECRETS.splitlines()) if line.strip() == "secrets.get_secret(name) // expect: ISO101")
INLINE = 'let 名 = "Zoë 🚀"; '  # non-ASCII, and astral: two UTF-16 units for the rocket
HEADER = "// ünïcödé 😀 header\n"
# Secrets read through a vault: no rule that reads the whole file may fire here (a word like
# `env` or `static` would make one), so edits inside a body are analysed by function.
VAULT = """use std::collections::HashMap;

pub struct Vault {
    secrets: HashMap<String, String>,
}

impl Vault {
    pub fn read_secret(&self, name: &str) -> Option<String> {
        self.secrets.get(name).cloned()
    }
}

pub struct TenantCtx {
    pub tenant_id: String,
}

pub fn api_key(vault: &Vault, tenant: &TenantCtx, name: &str) -> Option<String> {
    let key = scoped_key(tenant, name);
    vault.read_secret(&key)
}

pub fn shared_key(vault: &Vault, tenant: &TenantCtx, name: &str) -> Option<String> {
    vault.read_secret(name)
}

pub fn database_url(vault: &Vault, tenant: &TenantCtx) -> Option<String> {
    let path = format!("tenants/{}/database_url", tenant.tenant_id);
    vault.read_secret(&path)
}

fn scoped_key(tenant: &TenantCtx, name: &str) -> String {
    format!("{}/{}", tenant.tenant_id, name)
}
"""
# A long debounce: the pull after an edit always finds its analysis still to come.
SLOW = {"debounceMs": 400}


def vs_code_pulling() -> types.ClientCapabilities:
    """VS Code as it is today: pull diagnostics, with refresh."""
    caps = capabilities("visual-studio-code", pull=True)
    caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    return caps


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def expected(text: str, path: Path) -> list[tuple]:
    """The engine's findings on ``text`` as (code, start, end) in UTF-16 positions."""
    source = SourceText(text.encode())
    findings = analyze(text.encode(), DEFAULT_CONFIG.settings, path).findings
    return [
        (f.code, (f.span.start_line, source.column(f.span.start_line, f.span.start_col, "utf-16")),
         (f.span.end_line, source.column(f.span.end_line, f.span.end_col, "utf-16")))
        for f in findings
    ]


def summary(diagnostics: list[types.Diagnostic]) -> list[tuple]:
    return [(d.code, (d.range.start.line, d.range.start.character), (d.range.end.line, d.range.end.character)) for d in diagnostics]


async def pull(client, uri: str, previous: str | None = None):
    return await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri), previous_result_id=previous))


@pytest.fixture
async def slow_secrets(tmp_path):
    """A VS Code-like pulling client with a slow analysis, and secrets.rs open in it."""
    client, _ = await start_session(tmp_path, "visual-studio-code", caps=vs_code_pulling(), init_options=SLOW)
    path = tmp_path / "secrets.rs"
    uri = open_document(client, path, SECRETS)
    yield client, path, uri
    await stop_session(client)


async def test_a_pull_while_typing_gets_moved_diagnostics_then_the_fresh_ones(slow_secrets):
    client, path, uri = slow_secrets
    first = await pull(client, uri)
    assert summary(first.items) == expected(SECRETS, path)
    # Non-ASCII text typed before a finding on its line, then a line above everything.
    change_document(client, uri, 2, [edit((FINDING_LINE, 4), (FINDING_LINE, 4), INLINE), edit((0, 0), (0, 0), HEADER)])
    refreshes = client.diagnostic_refresh_count
    early = await pull(client, uri, first.result_id)
    assert early.kind == "full" and early.result_id != first.result_id
    moved = []
    for code, (start_line, start_char), (end_line, end_char) in summary(first.items):
        shift = utf16(INLINE) if start_line == FINDING_LINE else 0
        moved.append((code, (start_line + 1, start_char + shift), (end_line + 1, end_char + shift)))
    assert summary(early.items) == moved
    assert {d.data["version"] for d in early.items} == {2}
    assert next(d for d in early.items if d.range.start.line == FINDING_LINE + 1).data["first_line"] == FINDING_LINE + 1

    # The analysis goes on; when it lands the client is asked to pull again.
    await wait_until(client, lambda: client.diagnostic_refresh_count > refreshes, "a diagnostic refresh")
    fresh = await pull(client, uri, early.result_id)
    final = HEADER + SECRETS.replace("secrets.get_secret(name) // expect", INLINE + "secrets.get_secret(name) // expect")
    assert fresh.kind == "full" and fresh.result_id != early.result_id
    assert summary(fresh.items) == expected(final, path) == moved
    assert (await pull(client, uri, fresh.result_id)).kind == "unchanged"


async def test_an_edit_across_a_diagnostic_drops_it_until_the_fresh_result(slow_secrets):
    client, path, uri = slow_secrets
    first = await pull(client, uri)
    flagged = next(d for d in first.items if d.range.start.line == FINDING_LINE)
    # Replace from the middle of the flagged call to the end of its line.
    start = (FINDING_LINE, flagged.range.start.character + 3)
    end = (FINDING_LINE, len(SECRETS.splitlines()[FINDING_LINE]))
    change_document(client, uri, 2, [edit(start, end, "x")])
    early = await pull(client, uri, first.result_id)
    assert [d for d in early.items if d.range.start.line == FINDING_LINE] == []
    assert len(early.items) == len(first.items) - 1


async def test_a_cancelled_pull_leaves_the_analysis_running(slow_secrets):
    client, path, uri = slow_secrets
    # A pull waiting for the first analysis, cancelled as VS Code cancels one.
    waiting = client.protocol.send_request(
        types.TEXT_DOCUMENT_DIAGNOSTIC, types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri)), msg_id="first-pull")
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="first-pull"))
    await wait_until(client, waiting.done, "the cancelled pull's answer")
    assert waiting.exception() is not None  # answered as cancelled
    report = await pull(client, uri)
    assert summary(report.items) == expected(SECRETS, path)


def _log_of_analyses(client) -> list[str]:
    return [m.message for m in client.log_messages if m.message.startswith("analysed ")]


async def test_edits_in_one_function_re_analyse_it_and_others_the_whole_file(tmp_path):
    caps = capabilities("neovim", pull=False)
    client, _ = await start_session(tmp_path, "neovim", caps=caps, init_options={"logLevel": "debug"})
    try:
        path = tmp_path / "vault.rs"
        uri = open_document(client, path, VAULT)
        await diagnostics_for(client, uri, 1)
        lines = VAULT.splitlines(keepends=True)
        scoped = next(i for i, line in enumerate(lines) if "let key = scoped_key(tenant, name);" in line)
        column = lines[scoped].index("scoped_key(tenant, name)")
        # Inside a body: the helper call becomes the bare name (a new ISO101 below it).
        # Outside bodies: a comment line between two functions. Then an item changed: a
        # parameter renamed in a signature.
        steps = [
            ([edit((scoped, column), (scoped, column + len("scoped_key(tenant, name)")), "name")], "the edited function"),
            ([edit((scoped - 1, 0), (scoped - 1, 0), "// a note between functions\n")], "the whole file"),
        ]
        text = VAULT
        version = 1
        for changes, how in steps:
            version += 1
            change_document(client, uri, version, changes)
            text = _applied(text, changes)
            got = await diagnostics_for(client, uri, version)
            assert summary(got) == expected(text, path)
            await wait_until(client, lambda: len(_log_of_analyses(client)) >= version, f"the log of analysis {version}")
            assert how in _log_of_analyses(client)[-1]
        renamed_line = next(i for i, line in enumerate(text.splitlines()) if line.startswith("pub fn database_url("))
        column = text.splitlines()[renamed_line].index("tenant: &TenantCtx")
        rename = [edit((renamed_line, column), (renamed_line, column + len("tenant")), "ctx")]
        version += 1
        change_document(client, uri, version, rename)
        text = _applied(text, rename)
        assert summary(await diagnostics_for(client, uri, version)) == expected(text, path)
        await wait_until(client, lambda: len(_log_of_analyses(client)) >= version, f"the log of analysis {version}")
        assert "the whole file" in _log_of_analyses(client)[-1]
    finally:
        await stop_session(client)


def _applied(text: str, changes: list[types.TextDocumentContentChangePartial]) -> str:
    """ASCII edits applied in order, as the server applies them."""
    for change in changes:
        lines = text.splitlines(keepends=True)
        start = sum(len(line) for line in lines[:change.range.start.line]) + change.range.start.character
        end = sum(len(line) for line in lines[:change.range.end.line]) + change.range.end.character
        text = text[:start] + change.text + text[end:]
    return text
