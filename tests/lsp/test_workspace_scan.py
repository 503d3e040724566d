"""The workspace scan on start (with $/progress) and re-scans of files changed on disk,
served through workspace/diagnostic (pull clients) or published (push clients)."""

from __future__ import annotations

import pytest
from lsprotocol import types

from tests.lsp.harness import CLIENTS, diagnostics_for, is_pull, start_session, stop_session, wait_until
from tests.lsp.samples import REGISTRY, STALE_SUPPRESSIONS


def make_crate(root):
    (root / "src" / "registry").mkdir(parents=True)
    (root / "src" / "registry" / "flows.rs").write_text(REGISTRY)
    (root / "src" / "lookup.rs").write_text(STALE_SUPPRESSIONS)
    (root / "src" / "clean.rs").write_text("pub fn add(a: u32, b: u32) -> u32 { a + b }\n")
    (root / "target").mkdir()
    (root / "target" / "generated.rs").write_text(STALE_SUPPRESSIONS)  # excluded by default
    # Not UTF-8: a Latin-1 comment before a reasonless suppression.
    (root / "src" / "latin1.rs").write_bytes(b"// caf\xe9\nfn f() {\n    // isolint: allow(ISO201)\n}\n")


async def scanned(client, root) -> dict[str, list[str]]:
    """Codes per file (relative path) once the scan has finished."""
    await wait_until(
        client,
        lambda: any(getattr(v, "kind", None) == "end" for reports in client.progress_reports.values() for v in reports),
        "the end of the scan's progress",
    )
    if is_pull(client):
        report = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
        by_uri = {item.uri: item.items for item in report.items}
    else:
        by_uri = dict(client.diagnostics)
    prefix = root.as_uri() + "/"
    return {uri[len(prefix):]: sorted(d.code for d in items) for uri, items in by_uri.items() if uri.startswith(prefix)}


@pytest.mark.parametrize("kind", CLIENTS)
async def test_scan_on_start_reports_progress_and_findings(tmp_path, kind):
    make_crate(tmp_path)
    client, _ = await start_session(tmp_path, kind, init_options={"workspaceScan": True})
    try:
        codes = await scanned(client, tmp_path)
        assert codes == {
            "src/registry/flows.rs": ["ISO201"],
            "src/lookup.rs": ["ISO001", "ISO002"],
            "src/clean.rs": [],
            "src/latin1.rs": ["ISO001", "ISO002"],
        }
        (reports,) = client.progress_reports.values()
        assert reports[0].kind == "begin" and reports[-1].kind == "end"
        assert reports[-2].kind == "report" and reports[-2].percentage == 100
        # The Latin-1 byte counts as one unit: the comment is still on line 2, column 4.
        latin1 = (tmp_path / "src" / "latin1.rs").as_uri()
        if not is_pull(client):
            assert client.diagnostics[latin1][0].range.start == types.Position(2, 4)
    finally:
        await stop_session(client)


@pytest.mark.parametrize("kind", CLIENTS)
async def test_files_changed_on_disk_are_rescanned(tmp_path, kind):
    make_crate(tmp_path)
    client, _ = await start_session(tmp_path, kind, init_options={"workspaceScan": True})
    try:
        await scanned(client, tmp_path)
        clean = tmp_path / "src" / "clean.rs"
        clean.write_text(STALE_SUPPRESSIONS)
        lookup = tmp_path / "src" / "lookup.rs"
        lookup.unlink()
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[
                    types.FileEvent(uri=clean.as_uri(), type=types.FileChangeType.Changed),
                    types.FileEvent(uri=lookup.as_uri(), type=types.FileChangeType.Deleted),
                ]
            )
        )
        if is_pull(client):
            async def current():
                report = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
                return {item.uri: sorted(d.code for d in item.items) for item in report.items}

            codes = await current()
            assert codes.get(clean.as_uri()) == ["ISO001", "ISO002"] and lookup.as_uri() not in codes
        else:
            await wait_until(client, lambda: len(client.diagnostics.get(lookup.as_uri(), [None])) == 0, "cleared diagnostics of a deleted file")
            assert sorted(d.code for d in await diagnostics_for(client, clean.as_uri())) == ["ISO001", "ISO002"]
    finally:
        await stop_session(client)


async def test_watchers_are_registered_with_clients_that_allow_it(tmp_path):
    client, _ = await start_session(tmp_path, "visual-studio-code")
    try:
        registration = await wait_until(client, lambda: next(iter(client.registrations), None), "a registration")
        assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        globs = [w["globPattern"] for w in registration.register_options["watchers"]]
        assert "**/*.rs" in globs and "**/isolint.toml" in globs
    finally:
        await stop_session(client)


async def test_workspace_diagnostic_unchanged_reports(tmp_path):
    make_crate(tmp_path)
    client, _ = await start_session(tmp_path, "neovim", init_options={"workspaceScan": True})
    try:
        await scanned(client, tmp_path)
        first = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
        previous = [types.PreviousResultId(uri=i.uri, value=i.result_id) for i in first.items]
        second = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=previous))
        assert {i.kind for i in second.items} == {"unchanged"}
    finally:
        await stop_session(client)
