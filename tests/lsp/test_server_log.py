"""Where the server's log goes: to the client as ``window/logMessage``, with the type of each
record's level, and not to stderr, which editors show as well (VS Code in the same output
channel, so each line twice; Neovim as ``[ERROR]``). Routine noise goes nowhere.

The server runs as ``isolint server`` with its stderr redirected to a file, so the test
reads exactly what an editor would have received there."""

from __future__ import annotations

import sys
from pathlib import Path

from lsprotocol import types

from tests.lsp.harness import diagnostics_for, open_document, start_session, stop_session

UNREASONED = """fn lookup() -> String {
    // isolint: allow(ISO002)
    String::new()
}
"""


async def start_with_stderr_file(root: Path, stderr_file: Path):
    isolint = Path(sys.executable).parent / "isolint"
    # sh keeps the server's stdio for LSP and sends only its stderr to the file; the
    # harness appends `--log-level info`, which "$@" passes on.
    command = ("sh", "-c", f'exec "$0" "$@" 2>"{stderr_file}"', str(isolint), "server")
    return await start_session(root, "neovim", command=command)


async def test_log_lines_reach_the_client_once_and_not_stderr(tmp_path):
    stderr_file = tmp_path / "stderr.txt"
    client, _ = await start_with_stderr_file(tmp_path, stderr_file)
    try:  # stop_session's shutdown is answered after every notification sent before it
        uri = open_document(client, tmp_path / "lib.rs", UNREASONED)
        await diagnostics_for(client, uri, 1)
    finally:
        await stop_session(client)

    started = [m for m in client.log_messages if "position encoding" in m.message]
    assert len(started) == 1 and started[0].type == types.MessageType.Info, client.log_messages
    assert stderr_file.read_text() == "", "ordinary logging must not go to stderr"


async def test_pygls_warnings_reach_the_client_as_warnings(tmp_path):
    stderr_file = tmp_path / "stderr.txt"
    client, _ = await start_with_stderr_file(tmp_path, stderr_file)
    try:  # stop_session's shutdown is answered after every notification sent before it
        client.protocol.notify("isolint/noSuchNotification", {})
    finally:
        await stop_session(client)

    warnings = [m for m in client.log_messages if "noSuchNotification" in m.message]
    assert [m.type for m in warnings] == [types.MessageType.Warning], client.log_messages
    assert stderr_file.read_text() == ""


async def test_cancelling_an_answered_request_is_not_logged(tmp_path):
    stderr_file = tmp_path / "stderr.txt"
    client, _ = await start_with_stderr_file(tmp_path, stderr_file)
    try:  # stop_session's shutdown is answered after every notification sent before it
        # An id the server no longer has a request for, as when the answer crossed the cancel.
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=424242))
    finally:
        await stop_session(client)

    assert not [m for m in client.log_messages if "424242" in m.message], client.log_messages
    assert stderr_file.read_text() == ""
