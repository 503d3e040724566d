"""The readiness inventory in the editor: a code lens above each static and host-wide field
with its verdict, and the verdict on hover over its name, in UTF-16 (or negotiated) columns
past non-ASCII text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lsprotocol import types

from tests.lsp.harness import (CLIENTS, RecordingClient, capabilities, change_document, diagnostics_for, edit, negotiated, open_document, start_session,
                               stop_session, wait_until)
from tests.lsp.test_workspace_model import model_built

CRATE = Path(__file__).parent.parent / "fixtures" / "crates" / "shared_state_inventory"


def record_lens_refresh(client: RecordingClient, params: None) -> None:
    client.lens_refreshes += 1


@pytest.fixture(params=CLIENTS)
async def crate_session(request, tmp_path):
    # A copy: the server caches summaries under the workspace root, and files under a
    # `tests` folder count as test code, which serves no tenant.
    shutil.copytree(CRATE, tmp_path, dirs_exist_ok=True)
    client, result = await start_session(tmp_path, request.param, features_override={types.WORKSPACE_CODE_LENS_REFRESH: record_lens_refresh})
    client.lens_refreshes = 0
    await model_built(client)
    yield client, negotiated(result), tmp_path
    await stop_session(client)


CODE_UNIT_BYTES = {"utf-8": 1, "utf-16": 2, "utf-32": 4}


def name_range(text: str, name: str, encoding: str) -> types.Range:
    """Where ``name`` is declared in ``text`` (the first line spelling ``name:``), in
    ``encoding`` code units."""
    lines = text.splitlines()
    line = next(number for number, content in enumerate(lines) if f"{name}:" in content)
    prefix = lines[line][: lines[line].index(name)]

    def width(part: str) -> int:
        codec = encoding if encoding == "utf-8" else f"{encoding}-le"  # no byte-order mark
        return len(part.encode(codec)) // CODE_UNIT_BYTES[encoding]

    return types.Range(start=types.Position(line, width(prefix)), end=types.Position(line, width(prefix + name)))


async def lenses(client, uri: str):
    return await client.text_document_code_lens_async(types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri)))


async def hover(client, uri: str, position: types.Position):
    return await client.text_document_hover_async(types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position))


def open_file(client, path: Path) -> tuple[str, str]:
    text = path.read_text(encoding="utf-8")
    return open_document(client, path, text), text


async def test_code_lenses_give_each_shared_declaration_its_verdict(crate_session):
    client, encoding, root = crate_session
    main, main_text = open_file(client, root / "src" / "main.rs")
    host, host_text = open_file(client, root / "src" / "host.rs")

    shown = {(lens.range.start.line, lens.range.start.character, lens.range.end.character): lens.command.title for lens in await lenses(client, main)}
    responses, tracing = name_range(main_text, "RESPONSES", encoding), name_range(main_text, "TRACING_READY", encoding)
    buffer = name_range(main_text, "LINE_BUFFER", encoding)  # declared inside `thread_local!`
    assert shown == {
        (responses.start.line, responses.start.character, responses.end.character): "isolint: process-wide static · keyed by String · unscoped",
        (tracing.start.line, tracing.start.character, tracing.end.character): "isolint: process-wide static · holds no tenant data",
        (buffer.start.line, buffer.start.character, buffer.end.character): "isolint: thread-wide thread-local · holds no tenant data",
    }

    # `Host` is built in main.rs: the workspace model, not host.rs alone, makes its fields host-wide.
    (sessions,) = await lenses(client, host)
    assert sessions.range == name_range(host_text, "sessions", encoding)
    assert sessions.command.title == "isolint: host-wide field · keyed by TenantId · scoped"
    assert sessions.command.tooltip == "every key type carries the tenant or pack identity"


async def test_lenses_are_refreshed_once_the_workspace_model_is_built(crate_session):
    client, _, _ = crate_session
    workspace = client.capabilities.workspace
    if workspace.code_lens is not None and workspace.code_lens.refresh_support:
        # Before the model, a document's lenses read that file alone.
        await wait_until(client, lambda: client.lens_refreshes, "a code lens refresh request")
    else:
        assert client.lens_refreshes == 0


async def test_hover_on_a_shared_name_gives_its_verdict(crate_session):
    client, encoding, root = crate_session
    main, main_text = open_file(client, root / "src" / "main.rs")
    host, host_text = open_file(client, root / "src" / "host.rs")

    tracing = name_range(main_text, "TRACING_READY", encoding)
    result = await hover(client, main, tracing.start)
    assert result.contents.value == ("**process-wide** static: **holds no tenant data** — "
                                     "ISO401: `TRACING_READY: AtomicBool` holds flags, numbers, constants or instruments")
    assert result.range == tracing

    # RESPONSES carries a finding too: the verdict's line leads, the finding's hover follows
    # (its message once, not repeated as the verdict's reason).
    responses = name_range(main_text, "RESPONSES", encoding)
    result = await hover(client, main, types.Position(responses.start.line, responses.start.character + 3))
    verdict, finding = result.contents.value.split("\n\n---\n\n", 1)
    assert verdict == "**process-wide** static, keyed by `String`: **unscoped**"
    assert finding.startswith("**`RESPONSES: Lazy<Mutex<HashMap<String, Vec<u8>>>>` is one `HashMap`") and "ISO401" in finding
    assert result.range == responses

    sessions = name_range(host_text, "sessions", encoding)
    result = await hover(client, host, sessions.end)
    assert result.contents.value == ("**host-wide** field of `Host`, keyed by `TenantId`: **scoped** — "
                                     "every key type carries the tenant or pack identity")
    assert result.range == sessions

    # Not shared state: a plain field, a function's name.
    assert await hover(client, host, name_range(host_text, "greeting", encoding).start) is None
    remember = next(number for number, content in enumerate(main_text.splitlines()) if "pub fn remember" in content)
    assert await hover(client, main, types.Position(remember, 8)) is None


async def test_lenses_follow_an_edit_before_the_workspace_model_does(crate_session):
    client, encoding, root = crate_session
    main, main_text = open_file(client, root / "src" / "main.rs")
    await diagnostics_for(client, main, 1)
    # Asked at once, the lenses come from the analysed edit, not the model's older copy.
    change_document(client, main, 2, [edit((0, 0), (0, 0), "// Ä, 🚀 und ✓\n")])
    titles = {lens.range.start.line: lens.command.title for lens in await lenses(client, main)}
    responses = name_range(main_text, "RESPONSES", encoding)
    assert titles[responses.start.line + 1].endswith("· unscoped")
    assert titles[responses.start.line + 2].endswith("· holds no tenant data")


# A block comment with umlauts, `≤` and an emoji precedes RESPONSES on its line.
COMMENTED = "/* Größe ≤ 1 MiB 🚀 */ static "


@pytest.mark.parametrize("encoding, column", [
    ("utf-16", len(COMMENTED) + 1),  # the emoji takes two UTF-16 units
    ("utf-8", len(COMMENTED.encode())),
    ("utf-32", len(COMMENTED)),
])
async def test_columns_follow_the_negotiated_encoding(tmp_path, encoding, column):
    shutil.copytree(CRATE, tmp_path, dirs_exist_ok=True)
    client, result = await start_session(tmp_path, "neovim", caps=capabilities("neovim", encodings=[encoding]))
    try:
        assert negotiated(result) == encoding
        assert result.capabilities.code_lens_provider == types.CodeLensOptions(resolve_provider=False)
        main, main_text = open_file(client, tmp_path / "src" / "main.rs")
        responses = name_range(main_text, "RESPONSES", encoding)
        assert responses.start.character == column
        assert responses in [lens.range for lens in await lenses(client, main)]
        assert (await hover(client, main, responses.start)).range == responses
    finally:
        await stop_session(client)


async def test_no_lenses_for_a_document_that_is_not_open(crate_session):
    client, _, root = crate_session
    assert await lenses(client, (root / "src" / "elsewhere.rs").as_uri()) is None
    main, _ = open_file(client, root / "src" / "main.rs")
    assert len(await lenses(client, main)) == 3  # the server still answers
