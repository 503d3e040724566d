"""Configuration: the CLI's config files, editor settings (initializationOptions,
workspace/configuration, didChangeConfiguration), reload on config file changes, and a
broken config reported on its file while the last good one stays in force."""

from __future__ import annotations

import pytest
from lsprotocol import types

from isolint.lsp_server.configuration import ProjectConfiguration

from tests.lsp.harness import CLIENTS, capabilities, diagnostics_for, is_pull, open_document, start_session, stop_session, wait_until, wait_until_async

UNREASONED = """fn lookup() -> String {
    // isolint: allow(ISO201)
    String::new()
}
"""


def notify_changed(client, path, change=types.FileChangeType.Changed):
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=path.as_uri(), type=change)])
    )


async def expect_codes_after_reload(client, uri, version, expected):
    """Wait until the server has re-linted the document after a config change and its
    codes are ``expected``. A pull client without refresh support learns of the change
    only by pulling again, so it polls; the others wait for the refresh or the push."""
    workspace = client.capabilities.workspace
    if is_pull(client):
        if workspace.diagnostics and workspace.diagnostics.refresh_support:
            await wait_until(client, lambda: client.diagnostic_refresh_count, "a diagnostic refresh request")
            client.diagnostic_refresh_count = 0
        else:
            seen = []

            async def pulled():
                seen.append([d.code for d in await diagnostics_for(client, uri, version)])
                return seen[-1] == expected

            await wait_until_async(pulled, lambda: f"codes {expected}, last pulled {seen[-1:]}")
    else:
        count = len(client.published)
        await wait_until(client, lambda: any(p.uri == uri for p in client.published[count:]), "re-published diagnostics")
    assert [d.code for d in await diagnostics_for(client, uri, version)] == expected


@pytest.fixture(params=[*CLIENTS, "neovim+refresh"])
async def session(request, tmp_path):
    kind = request.param.split("+")[0]
    caps = capabilities(kind)
    if request.param.endswith("+refresh"):
        caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    client, _ = await start_session(tmp_path, kind, caps=caps)
    yield client, tmp_path
    await stop_session(client)


async def test_config_file_change_relints_open_documents(session):
    client, root = session
    uri = open_document(client, root / "lookup.rs", UNREASONED)
    assert [d.code for d in await diagnostics_for(client, uri, 1)] == ["ISO001", "ISO002"]
    (root / "isolint.toml").write_text('ignore = ["ISO001"]\n')
    notify_changed(client, root / "isolint.toml", types.FileChangeType.Created)
    await expect_codes_after_reload(client, uri, 1, ["ISO002"])


async def test_broken_config_is_reported_and_the_last_good_one_kept(session):
    client, root = session
    config = root / "isolint.toml"
    config.write_text('ignore = ["ISO001"]\n')
    uri = open_document(client, root / "lookup.rs", UNREASONED)
    assert [d.code for d in await diagnostics_for(client, uri, 1)] == ["ISO002"]
    config.write_text('ignore = ["ISO001"]\nlint_tests = true\n\n[severity]\nISO999 = "error"\n')
    notify_changed(client, config)
    await expect_codes_after_reload(client, uri, 1, ["ISO002"])
    message = await wait_until(client, lambda: next((m for m in client.messages if "ISO999" in m.message), None), "a showMessage")
    assert message.type == types.MessageType.Error and "isolint.toml" in message.message
    if is_pull(client):
        report = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
        (item,) = [i for i in report.items if i.uri == config.as_uri()]
        diagnostics = item.items
    else:
        diagnostics = await diagnostics_for(client, config.as_uri())
    # One per problem, each on its key's line: `lint_tests` (0-based 1), `ISO999` (0-based 4).
    assert [d.range.start.line for d in diagnostics] == [1, 4]
    assert "lint-tests" in diagnostics[0].message and "ISO999" in diagnostics[1].message
    # Fixing the file clears the config diagnostic and applies the new config.
    config.write_text("")
    notify_changed(client, config)
    await expect_codes_after_reload(client, uri, 1, ["ISO001", "ISO002"])
    if not is_pull(client):
        assert await diagnostics_for(client, config.as_uri()) == []


async def test_cargo_metadata_config(session):
    client, root = session
    (root / "Cargo.toml").write_text('[package]\nname = "host"\n\n[package.metadata.isolint]\nignore = ["ISO002"]\n')
    uri = open_document(client, root / "lookup.rs", UNREASONED)
    assert [d.code for d in await diagnostics_for(client, uri, 1)] == ["ISO001"]


@pytest.mark.parametrize("kind", CLIENTS)
async def test_editor_settings_override_and_reload(tmp_path, kind):
    client, _ = await start_session(tmp_path, kind, configuration={"ignore": ["ISO001"]})
    try:
        uri = open_document(client, tmp_path / "lookup.rs", UNREASONED)
        assert [d.code for d in await diagnostics_for(client, uri, 1)] == ["ISO002"]
        client.set_configuration({"severity": {"ISO002": "error"}}, section="isolint")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await expect_codes_after_reload(client, uri, 1, ["ISO001", "ISO002"])
        diagnostics = await diagnostics_for(client, uri, 1)
        assert diagnostics[1].severity == types.DiagnosticSeverity.Error
    finally:
        await stop_session(client)


async def test_invalid_editor_setting_is_shown_not_applied(tmp_path):
    client, _ = await start_session(tmp_path, "visual-studio-code", init_options={"select": ["NOPE123"]})
    try:
        message = await wait_until(client, lambda: next((m for m in client.messages if "NOPE123" in m.message), None), "a showMessage")
        assert message.type == types.MessageType.Error
        uri = open_document(client, tmp_path / "lookup.rs", UNREASONED)
        assert [d.code for d in await diagnostics_for(client, uri, 1)] == ["ISO001", "ISO002"]
    finally:
        await stop_session(client)


async def test_config_edits_are_noticed_on_save_without_file_watchers(tmp_path):
    client, _ = await start_session(tmp_path, "neovim")  # Neovim cannot register watchers
    try:
        uri = open_document(client, tmp_path / "lookup.rs", UNREASONED)
        assert [d.code for d in await diagnostics_for(client, uri, 1)] == ["ISO001", "ISO002"]
        (tmp_path / "isolint.toml").write_text('ignore = ["ISO002"]\n')
        client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        assert [d.code for d in await diagnostics_for(client, uri, 1)] == ["ISO001"]
    finally:
        await stop_session(client)


def test_an_unknown_rule_in_editor_severity_names_the_setting():
    # pydantic locates a bad dict key as `severity.ISO999.[key]`; the setting is `severity.ISO999`.
    with pytest.raises(ValueError, match=r"invalid isolint setting: invalid value for `severity\.ISO999`: unknown rule"):
        ProjectConfiguration.validate_overrides({"severity": {"ISO999": "error"}})


def test_every_invalid_editor_override_is_named_in_isolint_words():
    with pytest.raises(ValueError) as caught:
        ProjectConfiguration.validate_overrides({"select": "ALL", "lint-tests": "yes"})
    message = str(caught.value)
    assert "`select`: expected a list" in message and "`lint-tests`" in message
    assert "Input should be" not in message
