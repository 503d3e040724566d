"""Unit tests of the engine's plumbing: source positions, suppressions, fixes, and the
analysis pipeline around the rules (test code, syntax errors, failing rules, file reading)."""

from __future__ import annotations

from pathlib import Path, PurePath

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

import isolint.checks.engine as engine
from isolint.checks.config import DEFAULT_CONFIG, default_settings, parse_config_text
from isolint.checks.engine import analyze
from isolint.checks.files import FileSkipped, read_rust_file
from isolint.checks.fixes import apply_fixes
from isolint.checks.model import Applicability, Edit, Finding, Fix, FixAvailability, Severity, Span
from isolint.checks.parsing import parse
from isolint.checks.rules import all_rules
from isolint.checks.rules.base import Rule
from isolint.checks.source import SourceText
from isolint.checks.suppressions import collect_suppressions

UNSCOPED_LOOKUP = (
    "pub fn api_key(secrets: &dyn SecretsBackend, name: &str) -> Option<String> {\n"
    "    secrets.get_secret(name)\n"
    "}\n"
)


def codes_and_lines(findings) -> list[tuple[str, int]]:
    return [(f.code, f.span.start_line + 1) for f in findings]


# -- SourceText: bytes <-> columns -------------------------------------------------------

def test_columns_with_astral_characters():
    source = SourceText("a🎉b é\n".encode())
    byte_of_b = "a🎉".encode().__len__()
    assert byte_of_b == 5
    assert source.column(0, byte_of_b, "utf-8") == 5
    assert source.column(0, byte_of_b, "utf-16") == 3  # 🎉 is a surrogate pair
    assert source.column(0, byte_of_b, "utf-32") == 2
    assert source.char_column(0, byte_of_b) == 3  # 1-based, as rustc prints
    byte_after_e = len("a🎉b é".encode())
    assert source.column(0, byte_after_e, "utf-16") == 6
    assert source.byte_offset(0, 3, "utf-16") == 5
    assert source.byte_offset(0, 2, "utf-32") == 5
    assert source.byte_offset(0, 5, "utf-8") == 5


def test_position_inside_a_surrogate_pair_moves_past_the_character():
    source = SourceText("a🎉b".encode())
    assert source.byte_offset(0, 2, "utf-16") == 5  # never lands between a character's bytes


def test_positions_past_the_end_clamp():
    source = SourceText(b"ab\r\ncd")
    assert source.byte_offset(0, 99, "utf-16") == 2  # before the CR of CRLF
    assert source.byte_offset(0, 99, "utf-8") == 2
    assert source.byte_offset(7, 0, "utf-16") == len(source.data)


def test_crlf_lines():
    source = SourceText(b"first\r\nsecond\r\n\r\nlast")
    assert source.line_count() == 4
    assert [source.line_bytes(i) for i in range(4)] == [b"first", b"second", b"", b"last"]
    assert source.point_of(source.data.index(b"second") + 2) == (1, 2)
    assert source.byte_offset(1, 6, "utf-16") == source.data.index(b"second") + 6


def test_invalid_utf8_bytes_count_as_one_column_each():
    source = SourceText(b"\xff\xfex = 1;\n")
    assert not source.is_valid_utf8
    byte_of_x = 2
    assert source.column(0, byte_of_x, "utf-16") == 2
    assert source.column(0, byte_of_x, "utf-32") == 2
    assert source.char_column(0, byte_of_x) == 3
    assert source.byte_offset(0, 2, "utf-16") == byte_of_x
    assert source.line_text(0) == "\ufffd\ufffdx = 1;"


def test_bom_is_not_a_column():
    source = SourceText(b"\xef\xbb\xbffn main() {}\n")
    assert source.has_bom
    assert source.char_column(0, 3) == 1  # the first character after the BOM
    assert source.line_text(0) == "fn main() {}"


def test_empty_source():
    source = SourceText(b"")
    assert source.line_count() == 1
    assert source.line_bytes(0) == b""
    assert source.point_of(0) == (0, 0)
    assert source.byte_offset(0, 5) == 0


_CHARACTERS = st.sampled_from(["a", "z", " ", "é", "ß", "中", "🎉", "𝕏", "\n", "\r\n", "\t", "\udcff"])


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.lists(_CHARACTERS, max_size=40))
def test_columns_round_trip_at_every_character_boundary(pieces):
    # "\udcff" stands for an undecodable byte (0xff), the way SourceText decodes it.
    data = "".join(pieces).encode("utf-8", errors="surrogateescape")
    source = SourceText(data)
    for line in range(source.line_count()):
        line_start = source.line_starts[line]
        raw = source.line_bytes(line)
        boundaries = [0]
        for char in raw.decode("utf-8", errors="surrogateescape"):
            boundaries.append(boundaries[-1] + len(char.encode("utf-8", errors="surrogateescape")))
        for byte_col in boundaries:
            for encoding in ("utf-8", "utf-16", "utf-32"):
                column = source.column(line, byte_col, encoding)
                assert source.byte_offset(line, column, encoding) == line_start + byte_col
            assert source.point_of(line_start + byte_col) == (line, byte_col)


# -- suppressions ------------------------------------------------------------------------

def suppression_index(text: str):
    data = text.encode()
    return collect_suppressions(parse(data).root_node, data)


def finding_on(line: int, code: str = "ISO101") -> Finding:
    return Finding(code, "rule", "message", Span(0, 1, line, 0, line, 1), Severity.WARNING)


def test_trailing_suppression_covers_its_own_line_only():
    index = suppression_index("fn f() {\n    let k = name; // isolint: allow(ISO101) reason: scoped by caller\n    let j = name;\n}\n")
    [suppression] = index.suppressions
    assert suppression.reason == "scoped by caller"
    assert index.apply(finding_on(2)) is None
    info = index.apply(finding_on(1))
    assert (info.kind, info.reason, info.line) == ("inline", "scoped by caller", 1)
    assert suppression.codes[0].used


def test_suppression_alone_on_a_line_covers_the_next_code_line_past_attributes():
    index = suppression_index(
        "// isolint: allow(ISO203) reason: audited\n"
        "// isolint: allow(key-struct-missing-scope) reason: also audited\n"
        "#[derive(Hash, PartialEq, Eq)]\n"
        "struct SessionKey {\n"
        "    flow_id: String,\n"
        "}\n"
    )
    assert [s.covered_until for s in index.suppressions] == [3, 3]
    assert [c.code for s in index.suppressions for c in s.codes] == ["ISO203", "ISO203"]
    assert index.apply(finding_on(3, "ISO203")) is not None
    assert index.apply(finding_on(4, "ISO203")) is None


def test_only_the_named_codes_are_suppressed():
    index = suppression_index("let k = name; // isolint: allow(ISO201, ISO202) reason: r\n")
    assert index.apply(finding_on(0, "ISO101")) is None
    assert index.apply(finding_on(0, "ISO202")) is not None


def test_file_level_suppression():
    index = suppression_index("//! Crate docs.\n// isolint: allow-file(ISO401) reason: single-tenant tool\nuse std::sync::OnceLock;\n\n\nstatic A: u8 = 1;\n")
    [suppression] = index.suppressions
    assert suppression.kind == "file"
    assert index.apply(finding_on(5, "ISO401")).kind == "file"


def test_file_level_suppression_after_the_first_item_is_malformed():
    index = suppression_index("use std::sync::OnceLock;\n// isolint: allow-file(ISO401) reason: late\n")
    assert index.suppressions == []
    assert "before the first item" in index.malformed[0].problem


@pytest.mark.parametrize("comment, problem", [
    ("// isolint: allow ISO101", "expected"),
    ("// isolint: allow() reason: nothing", "names no rule"),
    ("// isolint: deny(ISO101)", "expected"),
])
def test_malformed_suppressions(comment, problem):
    index = suppression_index(f"fn f() {{}} {comment}\n")
    assert index.suppressions == []
    assert problem in index.malformed[0].problem


def test_unknown_code_is_kept_for_reporting():
    index = suppression_index("let k = 1; // isolint: allow(ISO999, ISO101) reason: typo\n")
    assert [(c.text, c.code) for c in index.suppressions[0].codes] == [("ISO999", None), ("ISO101", "ISO101")]


def test_comments_that_are_not_suppressions_are_ignored():
    index = suppression_index("// see isolint docs: allow lists\n/* isolint: allow(ISO101) */\nfn f() {}\n")
    assert index.suppressions == [] and index.malformed == []


def test_suppressed_finding_moves_to_suppressed_with_its_reason():
    source = UNSCOPED_LOOKUP.replace("    secrets.get_secret(name)", "    secrets.get_secret(name) // isolint: allow(ISO101) reason: caller scopes it")
    result = analyze(source.encode(), DEFAULT_CONFIG.settings)
    assert result.findings == []
    [suppressed] = result.suppressed
    assert suppressed.code == "ISO101"
    assert suppressed.suppression.reason == "caller scopes it"


def test_suppression_without_reason_still_suppresses_but_is_reported():
    source = "    // isolint: allow(unscoped-secret-lookup)\n".join(UNSCOPED_LOOKUP.split("    ", 1))
    result = analyze(source.encode(), DEFAULT_CONFIG.settings)
    assert codes_and_lines(result.findings) == [("ISO001", 2)]
    assert codes_and_lines(result.suppressed) == [("ISO101", 3)]


def test_unused_suppression_in_test_code_is_quiet_unless_tests_are_linted():
    source = "#[cfg(test)]\nmod tests {\n    fn f() { let x = 1; } // isolint: allow(ISO101) reason: r\n}\n"
    assert analyze(source.encode(), DEFAULT_CONFIG.settings).findings == []
    linting_tests = parse_config_text(PurePath("isolint.toml"), "lint-tests = true\n").settings
    assert codes_and_lines(analyze(source.encode(), linting_tests).findings) == [("ISO002", 3)]


# -- fixes -------------------------------------------------------------------------------

def fixed_finding(edits, applicability=Applicability.SAFE, code="ISO002") -> Finding:
    return Finding(code, "rule", "m", Span(edits[0][0], edits[0][1], 0, 0, 0, 0), Severity.WARNING,
                   fix=Fix("title", tuple(Edit(s, e, r) for s, e, r in edits), applicability))


def test_non_overlapping_fixes_apply_together():
    data = b"let key = name;"
    outcome = apply_fixes(data, [fixed_finding([(10, 14, "scoped_key(&t, name)")]), fixed_finding([(4, 7, "k")])])
    assert outcome.data == b"let k = scoped_key(&t, name);"
    assert len(outcome.applied) == 2 and outcome.skipped == []


def test_overlapping_fix_is_skipped_whole():
    data = b"abcdef"
    first = fixed_finding([(0, 3, "X"), (4, 5, "Y")])
    second = fixed_finding([(2, 4, "Z"), (5, 6, "W")])
    outcome = apply_fixes(data, [second, first])
    assert outcome.data == b"XdYf"
    assert outcome.skipped == [second]


def test_two_insertions_at_one_point_do_not_interleave():
    outcome = apply_fixes(b"ab", [fixed_finding([(1, 1, "X")]), fixed_finding([(1, 1, "Y")], code="ISO001")])
    assert outcome.data in (b"aXb", b"aYb")
    assert len(outcome.skipped) == 1


def test_unsafe_and_display_only_fixes():
    unsafe = fixed_finding([(0, 1, "X")], Applicability.UNSAFE)
    display = fixed_finding([(1, 2, "Y")], Applicability.DISPLAY_ONLY)
    assert apply_fixes(b"ab", [unsafe, display]).data == b"ab"
    assert apply_fixes(b"ab", [unsafe, display], unsafe=True).data == b"Xb"


def test_inserted_newlines_follow_the_file_and_the_bom_survives():
    data = b"\xef\xbb\xbffn a() {}\r\nfn b() {}\r\n"
    outcome = apply_fixes(data, [fixed_finding([(0, 0, "// first\n")])])
    assert outcome.data == b"\xef\xbb\xbf// first\r\nfn a() {}\r\nfn b() {}\r\n"


def test_unused_suppression_fix_removes_the_line_and_is_idempotent():
    source = b"fn f() {\n    // isolint: allow(ISO101) reason: stale\n    let x = 1;\n}\n"
    result = analyze(source, DEFAULT_CONFIG.settings)
    assert codes_and_lines(result.findings) == [("ISO002", 2)]
    fixed = apply_fixes(source, result.findings).data
    assert fixed == b"fn f() {\n    let x = 1;\n}\n"
    assert analyze(fixed, DEFAULT_CONFIG.settings).findings == []
    assert apply_fixes(fixed, analyze(fixed, DEFAULT_CONFIG.settings).findings).data == fixed


# -- the pipeline ------------------------------------------------------------------------

def test_findings_in_test_code_are_dropped_by_default():
    in_test_module = "#[cfg(test)]\nmod tests {\n" + UNSCOPED_LOOKUP + "}\n"
    assert analyze(in_test_module.encode(), DEFAULT_CONFIG.settings).findings == []
    linting_tests = parse_config_text(PurePath("isolint.toml"), "lint-tests = true\n").settings
    assert codes_and_lines(analyze(in_test_module.encode(), linting_tests).findings) == [("ISO101", 4)]


def test_test_attribute_and_tests_folder_count_as_test_code():
    as_test_fn = "#[test]\n" + UNSCOPED_LOOKUP
    assert analyze(as_test_fn.encode(), DEFAULT_CONFIG.settings).findings == []
    assert analyze(UNSCOPED_LOOKUP.encode(), DEFAULT_CONFIG.settings, PurePath("crate/tests/it.rs")).findings == []
    assert codes_and_lines(analyze(UNSCOPED_LOOKUP.encode(), DEFAULT_CONFIG.settings, PurePath("crate/src/lib.rs")).findings) == [("ISO101", 2)]


def test_cfg_not_test_is_production_code():
    gated = "#[cfg(not(test))]\n" + UNSCOPED_LOOKUP
    assert codes_and_lines(analyze(gated.encode(), DEFAULT_CONFIG.settings).findings) == [("ISO101", 3)]


def test_syntax_errors_are_reported_and_the_rest_is_analysed():
    source = "fn broken( {\n    let = ;\n}\n\n" + UNSCOPED_LOOKUP
    result = analyze(source.encode(), DEFAULT_CONFIG.settings)
    assert result.syntax_errors and result.syntax_errors[0].start_line == 0
    assert codes_and_lines(result.findings) == [("ISO101", 6)]


def test_a_failing_rule_is_isolated(monkeypatch):
    def explode(ctx):
        raise RuntimeError("rule bug")
        yield  # a generator, like every rule's check

    broken = Rule("ISO499", "always-broken", "s", "r", "b", "g", Severity.WARNING, FixAvailability.NONE, None, explode)
    rules = (*all_rules(), broken)
    monkeypatch.setattr(engine, "all_rules", lambda: rules)
    settings = DEFAULT_CONFIG.settings._replace(rules=DEFAULT_CONFIG.settings.rules.enabling("ISO499"))
    result = analyze(UNSCOPED_LOOKUP.encode(), settings)
    assert [(f.code, f.error) for f in result.rule_failures] == [("ISO499", "RuntimeError: rule bug")]
    assert codes_and_lines(result.findings) == [("ISO101", 2)]


def test_disabled_rules_do_not_run():
    settings = parse_config_text(PurePath("isolint.toml"), 'ignore = ["ISO1"]\n').settings
    assert analyze(UNSCOPED_LOOKUP.encode(), settings).findings == []


def test_severity_comes_from_settings():
    settings = parse_config_text(PurePath("isolint.toml"), '[severity]\nunscoped-secret-lookup = "hint"\n').settings
    [finding] = analyze(UNSCOPED_LOOKUP.encode(), settings).findings
    assert finding.severity is Severity.HINT


def test_analysis_never_raises_on_garbage():
    for data in (b"", b"\x00\x01\x02", b"fn", b"}}}}{{{{", b"\xff" * 100, "é🎉".encode() * 50, b"fn f() { let x = \"unterminated"):
        result = analyze(data, DEFAULT_CONFIG.settings)
        assert result.rule_failures == []


def test_read_rust_file(tmp_path):
    source = tmp_path / "lib.rs"
    source.write_bytes(UNSCOPED_LOOKUP.encode())
    assert read_rust_file(source, 10_000) == UNSCOPED_LOOKUP.encode()
    with pytest.raises(FileSkipped, match="over max-file-size"):
        read_rust_file(source, 10)
    binary = tmp_path / "blob.rs"
    binary.write_bytes(b"\x00asm\x01\x00\x00\x00")
    with pytest.raises(FileSkipped, match="binary"):
        read_rust_file(binary, 10_000)
    with pytest.raises(OSError):
        read_rust_file(tmp_path / "missing.rs", 10_000)


# Undecodable bytes wherever a rule's query may capture text: tree-sitter query predicates
# (`#eq?`, `#any-of?`, `#match?`) decode what they compare, and one capture that fails to
# decode must not take down the combined whole-file pass, nor any rule.
NON_UTF8_EVERYWHERE = (
    b"use std::env::\xffvar;\n"
    b"static CACHE\xff: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();\n"
    b"thread_local! { static TENANT\xfe: RefCell<String> = RefCell::new(String::new()); }\n"
    b"// isolint: allow(ISO101) reason: \xff\n"
    b"fn load\xff(secrets: &Secrets, flow_id: &str) -> String {\n"
    b"    let key = format!(\"flows/{}\xfe\", flow_id);\n"
    b"    set_current\xff_tenant(ctx);\n"
    b"    tracing::Span::current().record(\"tenant\xff\", ctx.tenant);\n"
    b"    std::env::var(\"API_\xffTOKEN\").unwrap();\n"
    b"    secrets.get_secret\xff(&key);\n"
    b"    \xff\xfe(key)\n"
    b"}\n"
    b"impl Hash for Key\xff { }\n"
    b"struct Key\xfe { flow_id: String }\n"
)


@pytest.mark.parametrize("config_text", ["", "lint-tests = true\n[telemetry]\nextra-setters = [\"bind\\u00e9_span\"]\n[secrets]\nextra-apis = [\"kv_read\"]\n"])
def test_undecodable_bytes_break_no_rule(config_text: str):
    settings = parse_config_text(PurePath("isolint.toml"), config_text).settings
    for repeat in range(3):  # alone on the first trees, in the combined query after
        result = engine.analyze(NON_UTF8_EVERYWHERE, settings, PurePath("src/lib.rs"))
        assert result.rule_failures == [], result.rule_failures[0].detail


# A comment inside a path belongs to the node a regex predicate (`#match?`) reads: undecodable
# bytes there once made the combined query raise, and every rule sharing it failed (or, run
# alone, the rule silently lost its finding).
UNDECODABLE_COMMENTS_IN_PATHS = (
    b"use std::collections::HashMap;\n"
    b"pub fn secrets_backend(config: &HostConfig) -> Arc<dyn SecretsManager> {\n"
    b"    Arc::new(crate::/* \xff */EnvSecretsManager::new())\n"
    b"}\n"
    b"fn token() -> String {\n"
    b"    std::/* \xfe */env::var(\"API_TOKEN\").unwrap()\n"
    b"}\n"
    b"std::/* \xfe */thread_local! { static FLOW_CACHE: RefCell<HashMap<String, u8>> = RefCell::new(HashMap::new()); }\n"
    b"struct Registry { flows: HashMap<String, String> }\n"
    b"impl Registry {\n"
    b"    fn add(&mut self, flow_id: String) { self.flows.insert(flow_id, String::new()); }\n"
    b"}\n"
)


def test_undecodable_comments_inside_matched_paths_lose_no_finding():
    settings = default_settings()
    decodable = UNDECODABLE_COMMENTS_IN_PATHS.replace(b"\xff", b"x").replace(b"\xfe", b"x")
    expected = [(f.code, f.span) for f in engine.analyze(decodable, settings, PurePath("src/lib.rs")).findings]
    assert {code for code, _ in expected} == {"ISO102", "ISO201"}
    for repeat in range(3):  # alone on the first trees, in the combined query after
        result = engine.analyze(UNDECODABLE_COMMENTS_IN_PATHS, settings, PurePath("src/lib.rs"))
        assert result.rule_failures == [], result.rule_failures[0].detail
        assert [(f.code, f.span) for f in result.findings] == expected


TEST_CODE_SHAPES = b"""\
#![cfg(test)]
fn test_helper_outside() { marker_a(); }
#[cfg(not(test))]
fn production() { marker_b(); }
#[doc = "test"]
fn documented() { marker_c(); }
#[cfg(all(test, feature = "slow"))]
// a comment between the attribute and its item
/* and a block comment */
mod slow_tests { fn inner() { marker_d(); } }
mod checks {
    #[inline]
    #[tokio::test]
    async fn runs() { marker_e(); }
    fn not_a_test() { marker_f(); }
    #[rstest]
    fn cases() { marker_g(); }
}
#[derive(Debug)]
#[cfg(test)]
struct Fixture { marker_h: u8 }
"""


def test_test_code_is_what_test_attributes_mark():
    from isolint.checks.context import AnalysisContext
    from isolint.checks.source import SourceText

    data = TEST_CODE_SHAPES
    tree = engine.parse(data)
    ctx = AnalysisContext(SourceText(data), tree, DEFAULT_CONFIG.settings, PurePath("src/lib.rs"))
    verdicts = {}
    for marker in "abcdefgh":
        offset = data.index(f"marker_{marker}".encode())
        verdicts[marker] = ctx.is_test_code(tree.root_node.descendant_for_byte_range(offset, offset + 8))
    assert verdicts == {"a": False, "b": False, "c": False, "d": True, "e": True, "f": False, "g": True, "h": True}


def test_large_files_find_calls_through_the_identifier_index_as_the_scan_does(monkeypatch):
    """Over ``INDEXED_FILE_BYTES`` calls are looked up in an index of the file's identifiers
    instead of scanning its bytes once per question: the findings must not change."""
    from isolint.checks import context
    from isolint.checks.config import DEFAULT_CONFIG

    fixtures = sorted((Path(__file__).parent / "fixtures" / "rules").glob("ISO1*.rs"))
    unit = b"\n".join(path.read_bytes() for path in fixtures)
    data = unit * (context.INDEXED_FILE_BYTES // len(unit) + 2)
    indexed = engine.analyze(data, DEFAULT_CONFIG.settings, Path("big.rs")).findings
    monkeypatch.setattr(context, "INDEXED_FILE_BYTES", len(data) + 1)
    scanned = engine.analyze(data, DEFAULT_CONFIG.settings, Path("big.rs")).findings
    assert len(indexed) > 10
    assert [(f.code, f.span) for f in indexed] == [(f.code, f.span) for f in scanned]



@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab_1 .(é", max_size=40), st.sampled_from([b"a", b"ab", b"a_b", b"ba", b"b1"]))
def test_one_spelling_is_found_where_the_pattern_for_it_finds_it(text, spelled):
    """A one-name set is scanned for, not compiled: the same places either way."""
    from isolint.checks.context import _ending_identifier_runs, _inside_name, _run_ending_in

    data = text.encode()
    by_pattern = [match.span() for match in _run_ending_in(frozenset({spelled})).finditer(data) if not _inside_name(data, match.start())]
    assert list(_ending_identifier_runs(data, frozenset({spelled}))) == by_pattern
