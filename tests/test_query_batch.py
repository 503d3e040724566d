"""checks.query_batch: whole-file queries that recur join one combined query, and each
caller still gets exactly its own query's results; on a large file a query runs a window of
top-level items at a time (and a large input is parsed a chunk at a time) with exactly the
results of one run."""

from __future__ import annotations

from pathlib import Path

import pytest
import tree_sitter

from isolint.checks import query_batch
from isolint.checks.config import ConfigResolver, default_settings
from isolint.checks.engine import analyze
from isolint.checks.parsing import PARSE_CHUNK_BYTES, RUST, new_parser, parse, query
from isolint.checks.query_batch import RootQueryBatch, query_captures, query_matches
from tests.rule_inputs import EXAMPLE, FIXTURE_DIR, FIXTURES, corpus_sample, fixture_settings

CALLS = "(call_expression function: (identifier) @callee) @call"
LETS = "(let_declaration pattern: (identifier) @name) @let"
SOURCE = b"fn f() { let a = g(1); let b = h(a); }\n"


def _names(captured: dict[str, list[tree_sitter.Node]], name: str) -> list[bytes]:
    return [node.text for node in captured.get(name, [])]


def test_queries_recurring_on_trees_dropped_in_turn_are_combined():
    # Each tree is freed before the next is parsed, so the next may reuse its memory (and
    # its root's node id): recurrence must still be counted per tree.
    batch = RootQueryBatch(RUST, query)
    parser = new_parser()
    for _ in range(3):
        root = parser.parse(SOURCE).root_node
        assert _names(batch.captures(CALLS, root), "callee") == [b"g", b"h"]
        assert _names(batch.captures(LETS, root), "name") == [b"a", b"b"]
        del root
    assert batch._combined is not None and set(batch._combined.sources) == {CALLS, LETS}


def test_prepared_queries_are_combined_from_the_first_tree_and_never_compiled_alone():
    compiled: list[str] = []

    def compile_and_record(source: str) -> tree_sitter.Query:
        compiled.append(source)
        return query(source)

    batch = RootQueryBatch(RUST, compile_and_record)
    batch.prepare([CALLS, LETS])
    root = new_parser().parse(SOURCE).root_node
    assert _names(batch.captures(LETS, root), "name") == [b"a", b"b"]
    assert [(pattern, _names(found, "callee")) for pattern, found in batch.matches(CALLS, root)] == [(0, [b"g"]), (0, [b"h"])]
    assert compiled == []
    assert set(batch._combined.sources) == {CALLS, LETS}


def test_each_tree_runs_only_the_queries_announced_for_it_and_a_set_is_compiled_once():
    compiled: list[str] = []
    batch = RootQueryBatch(RUST, query)
    batch._combine = lambda sources, combine=batch._combine: compiled.append(tuple(sources)) or combine(sources)
    parser = new_parser()
    for announced in ([CALLS, LETS], [CALLS], [CALLS, LETS], [CALLS]):
        batch.prepare(announced)
        root = parser.parse(SOURCE).root_node
        assert _names(batch.captures(CALLS, root), "callee") == [b"g", b"h"]
        assert batch._combined.sources == announced
    assert compiled == [(CALLS, LETS), (CALLS,)]


def test_reading_another_tree_midway_keeps_the_first_trees_matches():
    # Rules read other workspace files in the middle of one file's analysis; coming back,
    # the file's combined query must not run over it again.
    runs: list[int] = []
    batch = RootQueryBatch(RUST, query)
    batch.prepare([CALLS, LETS])
    parser = new_parser()
    analysed, other = parser.parse(SOURCE).root_node, parser.parse(b"fn o() { p(); }\n").root_node
    original_split = query_batch._Combined.split

    def counting_split(combined, root, *args):
        runs.append(root.end_byte)
        return original_split(combined, root, *args)

    query_batch._Combined.split = counting_split
    try:
        assert _names(batch.captures(CALLS, analysed), "callee") == [b"g", b"h"]
        assert _names(batch.captures(CALLS, other), "callee") == [b"p"]
        assert _names(batch.captures(LETS, analysed), "name") == [b"a", b"b"]
        assert _names(batch.captures(LETS, other), "name") == []
    finally:
        query_batch._Combined.split = original_split
    assert runs == [analysed.end_byte, other.end_byte]


def test_a_tree_left_out_of_is_dropped_once_done():
    batch = RootQueryBatch(RUST, query)
    batch.prepare([CALLS, LETS])
    copy = new_parser().parse(SOURCE).root_node
    batch.leave_out(copy, [(0, 1)])
    assert _names(batch.captures(CALLS, copy), "callee") == [b"g", b"h"]
    batch.leave_out(None, [])
    assert copy not in batch._local.trees


def test_a_prepared_query_that_does_not_compile_runs_alone_and_breaks_nothing():
    batch = RootQueryBatch(RUST, query)
    broken = "(call_expression function: (no_such_node) @x)"
    batch.prepare([CALLS, broken])
    root = new_parser().parse(SOURCE).root_node
    assert _names(batch.captures(CALLS, root), "callee") == [b"g", b"h"]
    assert batch._combined.sources == [CALLS]


def test_captures_come_in_source_order_batched_or_not():
    # py-tree-sitter's own captures() returns these comments out of source order.
    data = (Path(__file__).parent / "fixtures" / "rules" / "ISO002_unused_suppression.rs").read_bytes()
    batch = RootQueryBatch(RUST, query)
    parser = new_parser()
    for _ in range(3):  # alone on the first trees, combined from the third
        comments = batch.captures("(line_comment) @comment", parser.parse(data).root_node)["comment"]
        starts = [node.start_byte for node in comments]
        assert len(starts) > 5 and starts == sorted(starts)
    assert batch._combined is not None


def test_regex_predicates_read_undecodable_captures_leniently():
    # `#match?` hands captures to Python as strict UTF-8: on an undecodable one py-tree-sitter
    # drops the match and leaves the error pending, which surfaces or is silently lost. On
    # text that is not valid UTF-8 the regex is applied here, to the text decoded with
    # replacements, and the strict query never runs.
    root = new_parser().parse(b'fn f() { a("ok\xff"); b("ok"); c("no\xfe"); }\n').root_node
    matching = '((string_literal) @text (#match? @text "ok"))'
    not_matching = '((string_literal) @text (#not-match? @text "ok"))'
    assert _names(query_captures(query(matching), matching, root, query), "text") == [b'"ok\xff"', b'"ok"']
    assert [found["text"][0].text for _, found in query_matches(query(not_matching), not_matching, root, query)] == [b'"no\xfe"']
    never_matches = query("((string_literal) @text (#eq? @text \"none\"))")
    assert len(query_matches(never_matches, matching, root, query)) == 2  # the lenient twin of `matching` ran
    decodable = new_parser().parse(b'fn f() { a("ok"); }\n').root_node
    assert query_matches(never_matches, matching, decodable, query) == []  # valid UTF-8: the query itself ran


# -- windows -----------------------------------------------------------------------------
EVERY_GAP = 0  # a window boundary at every gap between top-level items
NEVER = 1 << 40


def _findings_windowed_and_whole(monkeypatch, data: bytes, settings, path: Path) -> tuple[list, list]:
    outcomes = []
    for window in (EVERY_GAP, NEVER):
        monkeypatch.setattr(query_batch, "QUERY_WINDOW_BYTES", window)
        result = analyze(data, settings, path)
        outcomes.append(list(result.findings + result.suppressed))
    return outcomes[0], outcomes[1]


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_fixture_findings_are_the_same_with_windowed_queries(monkeypatch, fixture: Path):
    windowed, whole = _findings_windowed_and_whole(monkeypatch, fixture.read_bytes(), fixture_settings(fixture), fixture.relative_to(FIXTURE_DIR))
    assert windowed == whole


def test_example_and_corpus_findings_are_the_same_with_windowed_queries(monkeypatch, tmp_path):
    resolver = ConfigResolver()
    sources = [(path, resolver.settings_for(path), EXAMPLE) for path in sorted((EXAMPLE / "src").rglob("*.rs"))]
    sources += [(path, default_settings(), tmp_path) for path in corpus_sample(tmp_path, megabytes=0.3, seed=5)]
    reported = 0
    for path, settings, root in sources:
        windowed, whole = _findings_windowed_and_whole(monkeypatch, path.read_bytes(), settings, path.relative_to(root))
        assert windowed == whole, path
        reported += len(whole)
    assert reported


def _matches_as_data(found) -> list:
    return [(pattern, {name: [(n.start_byte, n.end_byte, n.type) for n in nodes] for name, nodes in captured.items()}) for pattern, captured in found]


SPANNING = b"""struct A;
fn a() { struct B; }

// a comment between items
fn b() { let x = 1 }
struct C { c: u8 }
"""
ACROSS_ITEMS = [
    "(source_file (struct_item) @s)",  # the root itself
    "(_ (struct_item) @s)",  # a wildcard, which the root is too
    "((struct_item) @a . (function_item) @b)",  # top-level items in a row
    "((line_comment) @c . (function_item) @f)",
]


@pytest.mark.parametrize("source", ACROSS_ITEMS)
def test_a_query_whose_matches_can_span_items_runs_whole(monkeypatch, source: str):
    root = new_parser().parse(SPANNING).root_node
    compiled = query(source)
    monkeypatch.setattr(query_batch, "QUERY_WINDOW_BYTES", NEVER)
    whole = _matches_as_data(query_matches(compiled, source, root, query))
    monkeypatch.setattr(query_batch, "QUERY_WINDOW_BYTES", EVERY_GAP)
    assert _matches_as_data(query_matches(compiled, source, root, query)) == whole
    assert whole


def test_a_query_within_items_runs_in_windows_with_the_same_matches(monkeypatch):
    source = "[(struct_item) (let_declaration) (line_comment)] @item"
    root = new_parser().parse(SPANNING).root_node
    monkeypatch.setattr(query_batch, "QUERY_WINDOW_BYTES", EVERY_GAP)
    assert len(query_batch._cursors(query(source), source, root)) == 5  # one per item: no gap before `struct C`
    windowed = _matches_as_data(query_matches(query(source), source, root, query))
    captured = query_captures(query(source), source, root, query)
    monkeypatch.setattr(query_batch, "QUERY_WINDOW_BYTES", NEVER)
    assert windowed == _matches_as_data(query_matches(query(source), source, root, query))
    assert captured == query_captures(query(source), source, root, query)


def test_a_large_input_parses_to_the_same_tree_in_chunks():
    data = b"".join(b"fn item_%d(a: u32) -> u32 { let b = a * %d; b + 1 }\n" % (i, i) for i in range(4000))
    assert len(data) > 3 * PARSE_CHUNK_BYTES
    tree = parse(data)
    assert str(tree.root_node) == str(new_parser().parse(data).root_node)
    assert tree.root_node.children[-1].text == data.splitlines()[-1]  # texts come from the bytes
    middle = data.index(b"item_2000")
    tree.edit(start_byte=middle, old_end_byte=middle + 4, new_end_byte=middle + 4,
              start_point=(2000, 3), old_end_point=(2000, 7), new_end_point=(2000, 7))
    edited = data[:middle] + b"elem" + data[middle + 4:]
    assert str(parse(edited, tree).root_node) == str(new_parser().parse(edited).root_node)


def test_reparsing_a_large_document_after_each_keystroke_holds_no_copies_of_it():
    """py-tree-sitter 0.26 keeps every chunk a parse callback returns: a reparse read that
    way at each keystroke would keep one and a half copies of the document per keystroke."""
    import tracemalloc

    data = b"".join(b"fn item_%d(a: u32) -> u32 { let b = a * %d; b + 1 }\n" % (i, i) for i in range(4000))
    tree = parse(data)
    middle = data.index(b"item_2000") + 4
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for keystroke in range(40):
            edited = data[:middle] + b"x" + data[middle:]
            tree = tree.copy()
            column = middle - data.rindex(b"\n", 0, middle) - 1
            tree.edit(start_byte=middle, old_end_byte=middle, new_end_byte=middle + 1,
                      start_point=(2000, column), old_end_point=(2000, column), new_end_point=(2000, column + 1))
            tree, data = parse(edited, tree), edited
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert str(tree.root_node) == str(new_parser().parse(data).root_node)
    assert grown < 4 * len(data), f"{grown} bytes still held after 40 reparses of {len(data)} bytes"


@pytest.mark.parametrize("fixture", FIXTURES[::3], ids=lambda path: path.name)
def test_matches_around_left_out_functions_are_the_whole_run_less_those_starting_in_them(fixture: Path):
    """With the text of some functions left out (``checks.function_edits``: those an edit
    does not reach), a query gives the matches of one whole run, in its order, but those
    with a node starting in a function left out."""
    from isolint.checks.function_edits import FunctionBodies

    data = fixture.read_bytes()
    tree = parse(data)
    root = tree.root_node
    bodies = FunctionBodies.of(tree, data)
    left_out = [(start, end) for index, (start, end) in enumerate(zip(bodies.function_starts, bodies.ends)) if index % 2 == 0]
    for source in ("(function_item name: (identifier) @name) @function", "(impl_item) @impl",
                   "[(struct_item) (let_declaration) (call_expression)] @item",
                   "(impl_item body: (declaration_list (function_item name: (identifier) @method)))"):
        compiled = query(source)
        whole = query_matches(compiled, source, root, query)
        kept = [(pattern, captured) for pattern, captured in whole
                if not any(start <= node.start_byte < end for nodes in captured.values() for node in nodes for start, end in left_out)]
        around = query_matches(compiled, source, root, query, left_out=left_out)
        assert _matches_as_data(around) == _matches_as_data(kept), source
