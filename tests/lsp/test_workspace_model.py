"""The server keeps a workspace model: built on start (with progress), it lets findings rest
on other files, and an edit to one file re-analyses the open documents that read it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.lsp.harness import (CLIENTS, change_document, column_in, diagnostics_for, edit, negotiated, open_document, start_session,
                               stop_session, wait_until, wait_until_async)

CRATE = Path(__file__).parent.parent / "fixtures" / "crates" / "shared_state_across_files"


def iso401_lines(diagnostics) -> list[int]:
    return sorted(d.range.start.line for d in diagnostics if d.code == "ISO401")


async def settles_on(client, uri: str, lines: list[int]) -> None:
    """Wait until the document's ISO401 findings are on ``lines`` (pulled, or last pushed)."""
    seen: list[list[int]] = []

    async def settled() -> bool:
        seen.append(iso401_lines(await diagnostics_for(client, uri)))
        return seen[-1] == lines

    await wait_until_async(settled, lambda: f"ISO401 on lines {lines} of {uri}; last seen {seen[-1:]}")


async def model_built(client) -> None:
    await wait_until(
        client,
        lambda: any(getattr(v, "kind", None) == "end" for reports in client.progress_reports.values() for v in reports),
        "the end of the workspace model's progress",
    )


@pytest.mark.parametrize("kind", CLIENTS)
async def test_findings_rest_on_uses_in_other_files_and_follow_their_edits(tmp_path, kind):
    shutil.copytree(CRATE, tmp_path, dirs_exist_ok=True)
    client, result = await start_session(tmp_path, kind)
    try:
        await model_built(client)
        caches = open_document(client, tmp_path / "src" / "caches.rs", (tmp_path / "src" / "caches.rs").read_text())
        # RESULT_CACHE and PENDING are filled in handlers.rs with the tenant in reach and
        # left out of the key; the quota map is keyed by the tenant there, the counters by
        # names the host fixed (a one-file view would report all four by their shape).
        await settles_on(client, caches, [6, 9])
        # The use that makes RESULT_CACHE a finding is in handlers.rs: related information
        # points there, in the negotiated columns past the non-ASCII comment before it.
        result_cache = next(d for d in await diagnostics_for(client, caches) if d.range.start.line == 6)
        uses = [info.location for info in result_cache.related_information if info.location.uri.endswith("/handlers.rs")]
        handlers_line = (tmp_path / "src" / "handlers.rs").read_text().splitlines()[4]
        column = column_in(handlers_line[:handlers_line.index("query.to_string()")], negotiated(result))
        assert [(use.range.start.line, use.range.start.character) for use in uses] == [(4, column)]

        handlers_path = tmp_path / "src" / "handlers.rs"
        text = handlers_path.read_text()
        handlers = open_document(client, handlers_path, text)
        await diagnostics_for(client, handlers, 1)
        line = next(number for number, content in enumerate(text.splitlines()) if "RESULT_CACHE.lock()" in content)
        content = text.splitlines()[line]
        start = column_in(content[:content.index("query.to_string()")], negotiated(result))
        change_document(client, handlers, 2, [edit((line, start), (line, start + len("query.to_string()")),
                                                    "format!(\"{}/{query}\", tenant.tenant_id.0)")])
        await diagnostics_for(client, handlers, 2)
        # caches.rs was not edited, yet its finding on RESULT_CACHE goes: the use it rested on
        # now keys the cache by the tenant.
        await settles_on(client, caches, [9])
    finally:
        await stop_session(client)
