"""Rule queries (``Rule.queries``) are announced before the rules run: every whole-file query
a rule asks for on the fixtures, the example crate and a sample of the benchmark corpus is
already part of the combined query, under the file's own config and a widening one, so no
whole-file query is ever compiled or run on its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from isolint.checks import parsing
from isolint.checks.config import ConfigResolver, default_settings
from isolint.checks.engine import analyze
from isolint.checks.query_batch import RootQueryBatch
from tests.rule_inputs import EXAMPLE, FIXTURE_DIR, FIXTURES, corpus_sample, fixture_settings, widened_settings


@pytest.fixture
def fresh_batch(monkeypatch) -> RootQueryBatch:
    batch = RootQueryBatch(parsing.RUST, parsing.query)
    monkeypatch.setattr(parsing, "_whole_file_queries", batch)
    return batch


def _unannounced(batch: RootQueryBatch) -> list[str]:
    """Whole-file queries that ran outside the combined query (and so were compiled alone)."""
    return sorted(batch._seen_on)


def _check(batch: RootQueryBatch, data: bytes, settings, path: Path) -> None:
    analyze(data, settings, path)
    assert _unannounced(batch) == [], path


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_fixture_queries_are_announced(fresh_batch, fixture: Path):
    for settings in (fixture_settings(fixture), widened_settings()):
        _check(fresh_batch, fixture.read_bytes(), settings, fixture.relative_to(FIXTURE_DIR))


def test_example_crate_queries_are_announced(fresh_batch):
    resolver = ConfigResolver()
    for source in sorted((EXAMPLE / "src").rglob("*.rs")):
        _check(fresh_batch, source.read_bytes(), resolver.settings_for(source), source.relative_to(EXAMPLE))


def test_corpus_sample_queries_are_announced(fresh_batch, tmp_path):
    settings = default_settings()
    for source in corpus_sample(tmp_path, megabytes=0.3, seed=5):
        _check(fresh_batch, source.read_bytes(), settings, source.relative_to(tmp_path))


def test_an_unannounced_query_is_detected(fresh_batch):
    root = parsing.parse(b"fn f() { g(); }\n").root_node
    parsing.captures("(call_expression) @call", root)
    assert _unannounced(fresh_batch) == ["(call_expression) @call"]
