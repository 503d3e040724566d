"""In-process checks of the server's document model and linter: random edit sequences
keep the incrementally edited tree equal to a fresh parse and the diagnostics equal to
the engine's on the final text; a rule that raises is logged and the others still report."""

from __future__ import annotations

import asyncio
import logging

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isolint.checks.config import DEFAULT_CONFIG
from isolint.checks.engine import analyze
from isolint.checks.model import FixAvailability, Severity
from isolint.checks.parsing import parse
from isolint.checks.rules import all_rules
from isolint.checks.rules.base import Rule
from isolint.lsp_server.configuration import ProjectConfiguration
from isolint.lsp_server.diagnostics import diagnostics_for
from isolint.lsp_server.documents import DocumentStore, TextChange
from isolint.lsp_server.linting import DocumentLinter
from tests.lsp.samples import REGISTRY, STALE_SUPPRESSIONS

SEED = REGISTRY + "\n" + STALE_SUPPRESSIONS + 'fn s() { let t = "tenant 🚀 ünï\\r\\n"; }\r\n'
SNIPPETS = st.sampled_from([
    "", "x", "\n", "\r\n", "{", "}", "(", '"', "'", "//", "/*", "*/", "🚀", "ü", "𝔗", "é\n",
    "// isolint: allow(ISO201)\n", " reason: scoped", "flow.id", "pack_id, ", "fn g() {}\n",
    "HashMap<String, Flow>", "self.flows.insert(flow_id, f);", "impl X {", "struct K { flow_id: String }\n",
    "a\nb", "}\n{", "ü\r\n🚀x",
])


@st.composite
def edit_sequences(draw):
    """Edits as (start, end) character indexes into the current text plus new text; turned
    into LSP (line, column) positions in the chosen encoding when applied."""
    count = draw(st.integers(min_value=1, max_value=12))
    return [(draw(st.floats(0, 1)), draw(st.floats(0, 1)), draw(SNIPPETS)) for _ in range(count)]


def lsp_position(text: str, index: int, encoding: str) -> tuple[int, int]:
    before = text[:index]
    line = before.count("\n")
    line_text = before[before.rfind("\n") + 1 :]
    if encoding == "utf-8":
        return line, len(line_text.encode("utf-8"))
    if encoding == "utf-16":
        return line, len(line_text.encode("utf-16-le")) // 2
    return line, len(line_text)


def structure(node) -> tuple:
    return (node.type, node.start_byte, node.end_byte, node.start_point, node.end_point, node.is_missing, tuple(structure(c) for c in node.children))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=edit_sequences(), encoding=st.sampled_from(["utf-8", "utf-16", "utf-32"]))
def test_incremental_tree_and_diagnostics_match_a_fresh_analysis(edits, encoding):
    store = DocumentStore()
    document = store.open("file:///host/src/lib.rs", None, 1, SEED)
    document.tree  # parse once so later edits are incremental
    text = SEED
    for start_fraction, end_fraction, new_text in edits:
        # Keep CRLF pairs whole: an LSP position cannot sit between \r and \n.
        start = _not_inside_crlf(text, int(start_fraction * len(text)))
        end = _not_inside_crlf(text, int(end_fraction * len(text)))
        start, end = min(start, end), max(start, end)
        document.apply(TextChange(new_text, lsp_position(text, start, encoding), lsp_position(text, end, encoding)), encoding)
        text = text[:start] + new_text + text[end:]
        if len(text) % 3 == 0:
            document.tree  # reparse mid-sequence sometimes, as analyses between edits do
    assert document.data == text.encode("utf-8")
    fresh = parse(document.data)
    assert structure(document.tree.root_node) == structure(fresh.root_node)
    assert str(document.tree.root_node) == str(fresh.root_node)

    incremental = analyze(document.data, DEFAULT_CONFIG.settings, None, document.tree)
    expected = analyze(text.encode("utf-8"), DEFAULT_CONFIG.settings, None)
    assert diagnostics_for(incremental, encoding, document.uri, 1) == diagnostics_for(expected, encoding, document.uri, 1)


def _not_inside_crlf(text: str, index: int) -> int:
    return index - 1 if 0 < index < len(text) and text[index - 1] == "\r" and text[index] == "\n" else index


def _raising_check(ctx):
    raise RuntimeError("rule bug")
    yield  # a generator, like every rule's check


RAISING_RULE = Rule(
    code="ISO999", name="always-raises", summary="test rule", rationale="", bad_example="", good_example="",
    default_severity=Severity.WARNING, fix_availability=FixAvailability.NONE, fix_safety=None, check=_raising_check,
)


def test_a_raising_rule_is_logged_and_the_others_still_report(monkeypatch, caplog):
    monkeypatch.setattr("isolint.checks.engine.all_rules", lambda: (*all_rules(), RAISING_RULE))
    configuration = ProjectConfiguration()
    settings_with_rule = DEFAULT_CONFIG.settings._replace(rules=DEFAULT_CONFIG.settings.rules.enabling("ISO999"))
    monkeypatch.setattr(configuration, "settings_for", lambda path: settings_with_rule)
    analysed = []
    linter = DocumentLinter(configuration, lambda: "utf-16", lambda document, analysis: analysed.append(analysis))
    document = DocumentStore().open("file:///host/src/lookup.rs", None, 1, STALE_SUPPRESSIONS)

    async def run():
        linter.schedule(document, delay=0)
        return await linter.current(document)

    with caplog.at_level(logging.ERROR, logger="isolint.lsp_server"):
        analysis = asyncio.run(run())
    assert [d.code for d in analysis.diagnostics] == ["ISO002", "ISO001"]
    assert analysed == [analysis]
    assert any("rule ISO999 failed" in record.getMessage() and "rule bug" in record.getMessage() for record in caplog.records)
