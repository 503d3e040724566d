"""ISO002's removal fix keeps line endings and the BOM byte-exact."""

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
]


@pytest.mark.parametrize("source, expected", CASES)
def test_removal_is_byte_exact(source: bytes, expected: bytes):
    result = analyze(source, DEFAULT_CONFIG.settings)
    assert [f.code for f in result.findings] and all(f.code == "ISO002" for f in result.findings)
    fixed = apply_fixes(source, result.findings).data
    assert fixed == expected
    assert not analyze(fixed, DEFAULT_CONFIG.settings).findings
