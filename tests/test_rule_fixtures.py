"""Every fixture under tests/fixtures/rules: findings exactly as annotated, and fixes as in
the ``.fixed`` file beside it (all fixes, safe and unsafe, applied once)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from isolint.checks.config import DEFAULT_CONFIG, parse_config_text
from isolint.checks.engine import analyze
from isolint.checks.fixes import apply_fixes
from tests.annotations import expected_findings

FIXTURE_DIR = Path(__file__).parent / "fixtures" / "rules"
FIXTURES = sorted(FIXTURE_DIR.glob("*.rs"))


def _settings_for(fixture: Path):
    config_file = fixture.with_suffix(".toml")
    if config_file.exists():
        return parse_config_text(config_file, config_file.read_text()).settings
    return DEFAULT_CONFIG.settings


def _linted_path(fixture: Path) -> Path:
    """The path the engine sees: relative to the fixture folder, because the real path lies
    under ``tests/`` and would make every fixture test code, which is not reported by default."""
    return fixture.relative_to(FIXTURE_DIR)


def _describe(counter: Counter) -> str:
    return ", ".join(f"line {line}: {code}" + (f" x{n}" if n > 1 else "") for (line, code), n in sorted(counter.items())) or "none"


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_fixture_findings(fixture: Path):
    data = fixture.read_bytes()
    result = analyze(data, _settings_for(fixture), _linted_path(fixture))
    assert not result.rule_failures, result.rule_failures[0].detail
    actual = Counter((f.span.start_line + 1, f.code) for f in result.findings)
    expected = expected_findings(data.decode("utf-8", errors="replace"))
    missing = expected - actual
    unexpected = actual - expected
    messages = {(f.span.start_line + 1, f.code): f.message for f in result.findings}
    assert not missing and not unexpected, (
        f"\nmissing:    {_describe(missing)}\nunexpected: {_describe(unexpected)}\n"
        + "\n".join(f"  {line}: {code}: {messages[(line, code)]}" for line, code in sorted(unexpected))
    )


FIXED = [f for f in FIXTURES if f.with_suffix(".fixed").exists()]


@pytest.mark.parametrize("fixture", FIXED, ids=[f.stem for f in FIXED])
def test_fixture_fixes(fixture: Path):
    data = fixture.read_bytes()
    settings = _settings_for(fixture)
    result = analyze(data, settings, _linted_path(fixture))
    outcome = apply_fixes(data, result.findings, unsafe=True)
    assert outcome.data.decode() == fixture.with_suffix(".fixed").read_text()
    again = apply_fixes(outcome.data, analyze(outcome.data, settings, _linted_path(fixture)).findings, unsafe=True)
    assert again.data == outcome.data, "fixes are not idempotent"


def _with_undecodable_byte_in_every_string(data: bytes) -> bytes:
    """``data`` with the byte 0xFF, which is never UTF-8, first in every string literal."""
    from isolint.checks.parsing import captures, parse

    literals = captures("(string_literal) @literal", parse(data).root_node).get("literal", [])
    result = bytearray(data)
    for opening in sorted((literal.start_byte + 1 for literal in literals), reverse=True):
        result[opening:opening] = b"\xff"
    return bytes(result)


def test_fixes_never_rewrite_bytes_that_are_not_utf8():
    """Fixes copy no source text through a lossy decode: with an undecodable byte first in
    every string literal of every fixture, each fix still applies and every such byte
    survives as it was."""
    applied = 0
    for fixture in FIXTURES:
        settings = _settings_for(fixture)
        clean = fixture.read_bytes()
        data = _with_undecodable_byte_in_every_string(clean)
        outcome = apply_fixes(data, analyze(data, settings, _linted_path(fixture)).findings, unsafe=True)
        expected = apply_fixes(clean, analyze(clean, settings, _linted_path(fixture)).findings, unsafe=True)
        assert [f.code for f in outcome.applied] == [f.code for f in expected.applied], fixture.name
        assert outcome.data.count(b"\xff") == data.count(b"\xff"), fixture.name
        assert "\ufffd".encode() not in outcome.data, fixture.name
        applied += len(outcome.applied) if data != clean else 0
    assert applied >= 5, "too few fixes touch files with string literals for this test to mean anything"


def test_every_rule_has_a_fixture():
    from isolint.checks.rules import all_rules

    covered = {f.stem.split("_")[0] for f in FIXTURES}
    missing = [r.code for r in all_rules() if r.code not in covered]
    assert not missing, f"rules without a fixture file: {missing}"


def test_a_registry_of_identities_is_not_named_as_the_scope_in_reach():
    """A map whose values are identities (``apps: DashMap<String, AppId>``) lists every
    tenant: a message names the field that is the instance's scope, or none."""
    fixture = FIXTURE_DIR / "ISO204_identity_registries.rs"
    result = analyze(fixture.read_bytes(), _settings_for(fixture), _linted_path(fixture))
    scopes = {f.span.start_line + 1: f.message.split("the host's scope ", 1)[1].split(" ", 1)[0] if "the host's scope " in f.message else None
              for f in result.findings}
    assert scopes == {26: "`self.app_id`", 35: "`self.app_id`", 55: None}
