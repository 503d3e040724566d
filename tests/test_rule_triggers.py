"""Rule triggers (``Rule.triggers``) only skip work, never findings: every fixture, the
example crate and a sample of the benchmark corpus give the same findings with the engine's
trigger check on and off, under their own config and under one that adds words to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from isolint.checks import engine
from isolint.checks.config import ConfigResolver, default_settings
from isolint.checks.engine import analyze
from isolint.checks.rules import all_rules
from tests.rule_inputs import EXAMPLE, FIXTURE_DIR, FIXTURES, corpus_sample, fixture_settings, widened_settings


def _outcome(data: bytes, settings, path: Path | None) -> list[tuple]:
    result = analyze(data, settings, path)
    return list(result.findings + result.suppressed)


def _with_and_without_triggers(monkeypatch, data: bytes, settings, path: Path | None):
    triggered = _outcome(data, settings, path)
    with monkeypatch.context() as patched:
        patched.setattr(engine, "_may_fire", lambda triggers, lowered: True)
        everything = _outcome(data, settings, path)
    return triggered, everything


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_fixture_findings_do_not_depend_on_triggers(monkeypatch, fixture: Path):
    data = fixture.read_bytes()
    path = fixture.relative_to(FIXTURE_DIR)
    for settings in (fixture_settings(fixture), widened_settings()):
        triggered, everything = _with_and_without_triggers(monkeypatch, data, settings, path)
        assert triggered == everything


def test_example_crate_findings_do_not_depend_on_triggers(monkeypatch):
    resolver = ConfigResolver()
    for source in sorted((EXAMPLE / "src").rglob("*.rs")):
        triggered, everything = _with_and_without_triggers(monkeypatch, source.read_bytes(), resolver.settings_for(source), source.relative_to(EXAMPLE))
        assert triggered == everything, source


def test_corpus_sample_findings_do_not_depend_on_triggers(monkeypatch, tmp_path):
    settings = default_settings()
    reported = 0
    for source in corpus_sample(tmp_path, megabytes=0.6, seed=11):
        triggered, everything = _with_and_without_triggers(monkeypatch, source.read_bytes(), settings, source.relative_to(tmp_path))
        assert triggered == everything, source
        reported += len(triggered)
    assert reported  # the sample has findings to lose


CONFIGURED_ONLY = {
    # Each fires only through a word the widening config adds: no built-in trigger occurs.
    "ISO101": 'fn load(tenant: &Tenant) -> String {\n    kv2_read("db_password")\n}\n',
    "ISO102": "fn build() -> Box<dyn Backend> {\n    Box::new(ProcessVars)\n}\n",
    "ISO203": "#[derive(Hash, PartialEq, Eq)]\nstruct RecipeKey {\n    recipe_slug: String,\n}\n",
    "ISO301": "fn handle(tenant: TenantId) {\n    bind_tenant_span(tenant);\n}\n",
}


@pytest.mark.parametrize("code", sorted(CONFIGURED_ONLY))
def test_configured_words_are_triggers(code: str):
    data = CONFIGURED_ONLY[code].encode()
    settings = widened_settings()
    builtin = next(rule for rule in all_rules() if rule.code == code).triggers
    assert not any(word in data.lower() for word in builtin)
    assert code in {f.code for f in analyze(data, settings).findings}
