"""Fix application: overlap resolution, line endings of inserted text, BOM and CRLF safety,
settling over several rounds, and never writing over a file that changed since it was read."""

from __future__ import annotations

import os
from pathlib import Path

from isolint.checks.batch import BatchOptions, fix_files, lint_paths
from isolint.checks.config import ConfigResolver
from isolint.checks.fixes import apply_fixes, fix_until_settled, line_ending_of
from isolint.checks.model import Applicability, Edit, Finding, Fix, Severity, Span
from isolint.checks.safe_write import FileChangedSinceRead, replace_contents

import pytest


def _finding(start: int, end: int, replacement: str, code: str = "ISO201", applicability: Applicability = Applicability.SAFE) -> Finding:
    span = Span(start, end, 0, start, 0, end)
    return Finding(code, "flow-id-keyed-map", "m", span, Severity.WARNING, Fix("t", (Edit(start, end, replacement),), applicability))


def test_overlapping_fixes_apply_the_first_whole_and_skip_the_other():
    data = b"cache.insert(flow_id, v);"
    first = _finding(13, 20, "(pack_id, flow_id)")
    overlapping = _finding(6, 25, "get(flow_id)", code="ISO202")
    outcome = apply_fixes(data, [overlapping, first])
    assert outcome.data == b"cache.get(flow_id)"
    assert outcome.applied == [overlapping] and outcome.skipped == [first]


def test_a_fix_wrapping_an_expression_claims_what_it_wraps():
    data = b"get(format!(\"k/{}\", id))"
    wrap = Finding("ISO101", "unscoped-secret-lookup", "m", Span(4, 23, 0, 4, 0, 23), Severity.WARNING,
                   Fix("t", (Edit(4, 4, "&scoped_key(ctx, "), Edit(23, 23, ")")), Applicability.SAFE))
    inside = _finding(13, 13, "{}:", code="ISO201")
    outcome = apply_fixes(data, [inside, wrap])
    assert outcome.data == b"get(&scoped_key(ctx, format!(\"k/{}\", id)))"
    assert outcome.applied == [wrap] and outcome.skipped == [inside]


def test_unsafe_fixes_need_opting_in_and_display_only_never_apply():
    data = b"let key = flow_id;"
    unsafe = _finding(10, 17, "scoped_key(&tenant, flow_id)", applicability=Applicability.UNSAFE)
    display = _finding(0, 3, "const", applicability=Applicability.DISPLAY_ONLY)
    assert apply_fixes(data, [unsafe, display]).data == data
    assert apply_fixes(data, [unsafe, display], unsafe=True).data == b"let key = scoped_key(&tenant, flow_id);"


def test_inserted_newlines_follow_the_file_line_ending():
    data = b"fn a() {\r\n}\r\n"
    insertion = _finding(10, 10, "// first\n// second\r\n")
    assert apply_fixes(data, [insertion]).data == b"fn a() {\r\n// first\r\n// second\r\n}\r\n"
    assert apply_fixes(data.replace(b"\r\n", b"\n"), [_finding(9, 9, "// x\r\n")]).data == b"fn a() {\n// x\n}\n"


def test_line_ending_detection():
    assert line_ending_of(b"a\r\nb\n") == "\r\n"
    assert line_ending_of(b"a\nb\r\n") == "\n"
    assert line_ending_of(b"no newline") == "\n"


def test_no_edit_eats_the_bom_or_splits_crlf():
    bom = b"\xef\xbb\xbf// stale\nfn a() {}\n"
    assert apply_fixes(bom, [_finding(0, 12, "")]).data == b"\xef\xbb\xbffn a() {}\n"
    crlf = b"let x = 1; // stale\r\nlet y = 2;\r\n"
    assert apply_fixes(crlf, [_finding(10, 20, "")]).data == b"let x = 1;\r\nlet y = 2;\r\n"


def test_fixes_settle_over_rounds_and_skipped_ones_are_retried():
    data = b"aaa"
    rounds_seen = []

    def reanalyse(current: bytes) -> list[Finding]:
        rounds_seen.append(current)
        position = current.find(b"a")
        return [] if position < 0 else [_finding(position, position + 1, "b")]

    settled = fix_until_settled(data, [_finding(0, 1, "b"), _finding(0, 2, "c")], reanalyse)
    assert settled.data == b"bbb"
    assert settled.rounds == 3 and len(settled.applied) == 3
    assert rounds_seen == [b"baa", b"bba", b"bbb"]


def test_replace_contents_refuses_a_file_changed_since_read(tmp_path: Path):
    target = tmp_path / "a.rs"
    target.write_bytes(b"new contents")
    with pytest.raises(FileChangedSinceRead):
        replace_contents(target, b"fixed", expected=b"old contents")
    assert target.read_bytes() == b"new contents"


def test_replace_contents_writes_through_a_symlink(tmp_path: Path):
    real = tmp_path / "real.rs"
    real.write_bytes(b"old")
    link = tmp_path / "link.rs"
    link.symlink_to(real)
    replace_contents(link, b"new", expected=b"old")
    assert link.is_symlink() and real.read_bytes() == b"new"


def test_replace_contents_keeps_a_hard_linked_file_one_file(tmp_path: Path):
    original = tmp_path / "a.rs"
    original.write_bytes(b"old contents")
    other_name = tmp_path / "b.rs"
    os.link(original, other_name)
    inode = original.stat().st_ino
    replace_contents(original, b"new", expected=b"old contents")
    assert original.stat().st_ino == inode and original.stat().st_nlink == 2
    assert other_name.read_bytes() == b"new"  # shorter than before: the tail is cut off
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.rs", "b.rs"]


def test_fix_files_skips_a_file_edited_after_it_was_linted(tmp_path: Path):
    target = tmp_path / "handler.rs"
    target.write_text("fn f() {\n    let x = 1; // isolint: allow(ISO401) reason: old\n}\n")
    report = lint_paths([tmp_path], ConfigResolver(), BatchOptions(jobs=1))
    assert [f.code for f in report.files[0].findings] == ["ISO002"]
    edited = "fn f() {\n    let x = 2; // isolint: allow(ISO401) reason: old\n}\n"
    target.write_text(edited)  # an editor saves while the fixes are being computed
    fix_files(report, unsafe=False, write=True)
    assert target.read_text() == edited
    assert report.notices == [(target, "changed since it was read; not fixed")]
    assert report.fixed == []
