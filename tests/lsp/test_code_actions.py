"""Code actions applied the way a client applies them: quick fix, fix-all, "Allow here"
and "Allow in file" — the resulting text, and the findings on it."""

from __future__ import annotations

import pytest
from lsprotocol import types

from tests.lsp.harness import CLIENTS, apply_text_edits, change_document, diagnostics_for, open_document, start_session, stop_session
from tests.lsp.samples import REGISTRY, STALE_SUPPRESSIONS, STALE_SUPPRESSIONS_FIXED

# A reasonless suppression inside a macro call's token tree, on the call's third line.
MACRO_CALL = """fn report(flow: &Flow) {
    tracing::info!(
        "registered {}",
        // isolint: allow(ISO201)
        flow.id
    );
}
"""


@pytest.fixture(params=CLIENTS)
async def session(request, tmp_path):
    client, _ = await start_session(tmp_path, request.param)
    yield client, tmp_path
    await stop_session(client)


def whole_document() -> types.Range:
    return types.Range(start=types.Position(0, 0), end=types.Position(10_000, 0))


async def actions_for(client, uri, diagnostics, only=None):
    return await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostics[0].range if diagnostics else whole_document(),
            context=types.CodeActionContext(diagnostics=diagnostics, only=only),
        )
    )


def edits_of(action: types.CodeAction, uri: str, version: int) -> list[types.TextEdit]:
    (change,) = action.edit.document_changes
    assert change.text_document.uri == uri and change.text_document.version == version
    return list(change.edits)


def encoding_of(client) -> str:
    return "utf-8" if client.capabilities.general and client.capabilities.general.position_encodings else "utf-16"


async def test_quick_fix_removes_the_unused_suppression(session):
    client, root = session
    uri = open_document(client, root / "lookup.rs", STALE_SUPPRESSIONS)
    diagnostics = await diagnostics_for(client, uri, 1)
    unused = [d for d in diagnostics if d.code == "ISO002"]
    actions = await actions_for(client, uri, unused)
    fix = next(a for a in actions if a.title.startswith("Remove unused suppression"))
    assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
    assert apply_text_edits(STALE_SUPPRESSIONS, edits_of(fix, uri, 1), encoding_of(client)) == STALE_SUPPRESSIONS_FIXED
    # A finding without a fix gets only the suppression actions.
    unreasoned = [d for d in diagnostics if d.code == "ISO001"]
    titles = [a.title for a in await actions_for(client, uri, unreasoned)]
    assert titles == ["Allow ISO001 here", "Allow ISO001 in this file"]


async def test_fix_all_applies_safe_fixes_only(session):
    client, root = session
    uri = open_document(client, root / "lookup.rs", STALE_SUPPRESSIONS)
    await diagnostics_for(client, uri, 1)
    actions = await actions_for(client, uri, [], only=["source.fixAll.isolint"])
    (fix_all,) = actions
    if fix_all.edit is None:  # the client resolves edits lazily
        fix_all = await client.code_action_resolve_async(fix_all)
    assert apply_text_edits(STALE_SUPPRESSIONS, edits_of(fix_all, uri, 1), encoding_of(client)) == STALE_SUPPRESSIONS_FIXED
    # Asking for quick fixes only does not bring fix-all along.
    assert list(await actions_for(client, uri, [], only=[types.CodeActionKind.QuickFix])) == []


def placeholder_reminders(diagnostics) -> list[int]:
    """After "Allow" only ISO001's reminder to replace the `<why>` placeholder may remain."""
    assert all(d.code == "ISO001" and "placeholder" in d.message for d in diagnostics), diagnostics
    return [d.range.start.line for d in diagnostics]


async def test_allow_here_inside_a_macro_call_silences_the_finding(session):
    client, root = session
    uri = open_document(client, root / "report.rs", MACRO_CALL)
    unreasoned = [d for d in await diagnostics_for(client, uri, 1) if d.code == "ISO001"]
    allow = next(a for a in await actions_for(client, uri, unreasoned) if a.title == "Allow ISO001 here")
    fixed = apply_text_edits(MACRO_CALL, edits_of(allow, uri, 1), encoding_of(client))
    lines = fixed.splitlines()
    assert lines[3] == "        // isolint: allow(ISO001) reason: <why>"
    assert lines[4] == "        // isolint: allow(ISO201)"
    change_document(client, uri, 2, [types.TextDocumentContentChangeWholeDocument(text=fixed)])
    assert [d.code for d in await diagnostics_for(client, uri, 2)] == ["ISO002"]


async def test_allow_here_on_a_field_of_a_multi_line_struct(session):
    client, root = session
    uri = open_document(client, root / "registry.rs", REGISTRY)
    keyed = [d for d in await diagnostics_for(client, uri, 1) if d.code == "ISO201"]
    assert keyed[0].range.start.line == 4
    allow = next(a for a in await actions_for(client, uri, keyed) if a.title == "Allow ISO201 here")
    fixed = apply_text_edits(REGISTRY, edits_of(allow, uri, 1), encoding_of(client))
    assert fixed.splitlines()[3:6] == [
        "pub struct FlowRegistry {",
        "    // isolint: allow(ISO201) reason: <why>",
        "    flows: Arc<RwLock<HashMap<String, Flow>>>,",
    ]
    change_document(client, uri, 2, [types.TextDocumentContentChangeWholeDocument(text=fixed)])
    assert placeholder_reminders(await diagnostics_for(client, uri, 2)) == [4]


async def test_allow_in_file_and_multi_line_spans(session):
    client, root = session
    uri = open_document(client, root / "registry.rs", REGISTRY)
    keyed = [d for d in await diagnostics_for(client, uri, 1) if d.code == "ISO201"]
    allow_file = next(a for a in await actions_for(client, uri, keyed) if a.title == "Allow ISO201 in this file")
    fixed = apply_text_edits(REGISTRY, edits_of(allow_file, uri, 1), encoding_of(client))
    assert fixed.startswith("// isolint: allow-file(ISO201) reason: <why>\n")
    change_document(client, uri, 2, [types.TextDocumentContentChangeWholeDocument(text=fixed)])
    assert placeholder_reminders(await diagnostics_for(client, uri, 2)) == [0]


async def test_actions_for_a_stale_diagnostic_are_not_offered(session):
    client, root = session
    uri = open_document(client, root / "lookup.rs", STALE_SUPPRESSIONS)
    unused = [d for d in await diagnostics_for(client, uri, 1) if d.code == "ISO002"]
    change_document(client, uri, 2, [types.TextDocumentContentChangeWholeDocument(text="// moved on\n" + STALE_SUPPRESSIONS)])
    assert list(await actions_for(client, uri, unused)) == []


async def test_diagnostics_sent_back_without_data_still_get_their_fix(session):
    client, root = session
    uri = open_document(client, root / "lookup.rs", STALE_SUPPRESSIONS)
    unused = [d for d in await diagnostics_for(client, uri, 1) if d.code == "ISO002"]
    unused[0].data = None  # a client without codeAction.dataSupport
    fix = next(a for a in await actions_for(client, uri, unused) if a.title.startswith("Remove unused suppression"))
    assert apply_text_edits(STALE_SUPPRESSIONS, edits_of(fix, uri, 1), encoding_of(client)) == STALE_SUPPRESSIONS_FIXED
    unused[0].data = {"version": "not a number", "first_line": []}  # garbage is not trusted either
    assert [a.title for a in await actions_for(client, uri, unused)][0].startswith("Remove unused suppression")


async def test_crlf_documents_keep_their_line_endings(session):
    client, root = session
    text = REGISTRY.replace("\n", "\r\n")
    uri = open_document(client, root / "registry.rs", text)
    keyed = [d for d in await diagnostics_for(client, uri, 1) if d.code == "ISO201"]
    assert keyed[0].range.start == types.Position(4, 4)
    assert keyed[0].related_information[0].location.range.start == types.Position(9, 8)
    allow = next(a for a in await actions_for(client, uri, keyed) if a.title == "Allow ISO201 here")
    fixed = apply_text_edits(text, edits_of(allow, uri, 1), encoding_of(client))
    assert "\r\n    // isolint: allow(ISO201) reason: <why>\r\n    flows:" in fixed
    assert "\n" not in fixed.replace("\r\n", "")
    change_document(client, uri, 2, [types.TextDocumentContentChangeWholeDocument(text=fixed)])
    assert placeholder_reminders(await diagnostics_for(client, uri, 2)) == [4]
