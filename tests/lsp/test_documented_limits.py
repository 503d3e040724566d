"""The README's "Language server" section states what the server does with input it cannot
use and with large documents, in the numbers and words the code uses."""

from __future__ import annotations

from isolint.checks.parsing import PARSE_CHUNK_BYTES
from isolint.checks.query_batch import QUERY_WINDOW_BYTES
from isolint.lsp_server.diagnostics import skipped_file_diagnostic
from isolint.lsp_server.framing import MAX_BODY_BYTES
from tests.conftest import ROOT


def language_server_section() -> str:
    """The section, its lines joined (where a sentence wraps does not matter)."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## Language server")
    return " ".join(readme[start:readme.index("\n## ", start + 1)].split())


def test_the_readme_states_the_servers_limits_and_replies():
    section = language_server_section()
    assert f"a body over {MAX_BODY_BYTES // 2**20} MiB" in section
    assert f"{PARSE_CHUNK_BYTES // 1024} KiB of parsing" in section
    assert f"a {QUERY_WINDOW_BYTES // 1024} KiB window of items per query" in section
    assert "(`-32700`, id null)" in section and "`-32600`" in section
    assert f"`{skipped_file_diagnostic('N bytes is over max-file-size (M bytes)').message}`" in section
