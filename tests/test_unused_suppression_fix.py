"""ISO002's removal fix keeps line endings and the BOM byte-exact, never deletes more than
the comment it names (CR-only files included), and suppression findings end before a line
break's CR."""

import pytest

from isolint.checks.config import DEFAULT_CONFIG
from isolint.checks.engine import analyze
from isolint.checks.fixes import apply_fixes

CASES = [
    pytest.param(
        b"\xef\xbb\xbf// isolint: allow(ISO401) reason: dev only\r\nfn a() {}\r\n",
        b"\xef\xbb\xbffn a() {}\r\n",
        id="own-line-after-bom-crlf",
    ),
    pytest.param(
        b"fn a() {\r\n    let x = 1; // isolint: allow(ISO401) reason: x\r\n    // isolint: allow(ISO101) reason: y\r\n}\r\n",
        b"fn a() {\r\n    let x = 1;\r\n}\r\n",
        id="trailing-and-own-line-crlf",
    ),
    pytest.param(
        b"fn a() {}\n// isolint: allow(ISO101) reason: last line, no newline",
        b"fn a() {}\n",
        id="last-line-without-newline",
    ),
    pytest.param(
        b"fn a() {}\r// isolint: allow(ISO401) reason: last line of a CR-only file\r",
        b"fn a() {}\r",
        id="cr-only-own-line",
    ),
]


@pytest.mark.parametrize("source, expected", CASES)
def test_removal_is_byte_exact(source: bytes, expected: bytes):
    result = analyze(source, DEFAULT_CONFIG.settings)
    assert [f.code for f in result.findings] and all(f.code == "ISO002" for f in result.findings)
    fixed = apply_fixes(source, result.findings).data
    assert fixed == expected
    assert not analyze(fixed, DEFAULT_CONFIG.settings).findings


# CR-only line endings: editors show four lines, but by Rust's rules the comment runs on to the
# end of the file (a line comment ends at LF only).
CR_ONLY = [
    pytest.param(b"fn handler() {\r    let x = 1; // isolint: allow(ISO401) reason: was a static once\r    let y = 2;\r}\r", id="trailing"),
    pytest.param(b"// isolint: allow(ISO401) reason: dev only\rfn a() {}\rfn b() {}\r", id="own-line-first"),
]


@pytest.mark.parametrize("source", CR_ONLY)
def test_no_removal_of_a_comment_that_runs_on_past_a_lone_cr(source: bytes):
    findings = analyze(source, DEFAULT_CONFIG.settings).findings
    unused = [f for f in findings if f.code == "ISO002"]
    assert len(unused) == 1 and unused[0].fix is None
    assert "no automatic fix: the comment runs on past a lone carriage return" in unused[0].message
    assert apply_fixes(source, findings).data == source
    # The finding names the directive as editors show it: up to the CR.
    span = unused[0].span
    assert source[span.start_byte : span.end_byte].startswith(b"// isolint: allow(ISO401) reason: ")
    assert source.find(b"\r", span.start_byte) == span.end_byte


SUPPRESSION_FINDINGS = """fn a() {
    let x = 1; // isolint: allow(ISO401) reason: unused here
    let y = 2; // isolint: allow(ISO401)
    let z = 3; // isolint: allow ISO401
}
"""


def test_suppression_findings_cover_the_same_columns_under_crlf_as_under_lf():
    lf = SUPPRESSION_FINDINGS.encode()
    crlf = lf.replace(b"\n", b"\r\n")

    def located(data: bytes) -> list:
        return [(f.code, f.span.start_line, f.span.start_col, f.span.end_line, f.span.end_col, data[f.span.start_byte : f.span.end_byte])
                for f in analyze(data, DEFAULT_CONFIG.settings).findings]

    found = located(lf)
    assert sorted(code for code, *_ in found) == ["ISO001", "ISO002", "ISO002", "ISO002"]  # unused x2, no reason, malformed
    assert located(crlf) == found
