"""checks.query_batch: whole-file queries that recur join one combined query, and each
caller still gets exactly its own query's results."""

from __future__ import annotations

from pathlib import Path

import tree_sitter

from isolint.checks.parsing import RUST, new_parser, query
from isolint.checks.query_batch import RootQueryBatch, query_captures, query_matches

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
