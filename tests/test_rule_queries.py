"""Rule queries (``Rule.queries``) are announced before the rules run: every whole-file query
a rule asks for on the fixtures, the example crate and a sample of the benchmark corpus is
already part of the combined query, under the file's own config and a widening one, so no
whole-file query is ever compiled or run on its own."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from checks import parsing
from checks.config import ConfigResolver, default_settings, parse_config_text
from checks.engine import analyze
from checks.query_batch import RootQueryBatch

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_DIR = ROOT / "tests" / "fixtures" / "rules"
FIXTURES = sorted(FIXTURE_DIR.glob("*.rs"))
EXAMPLE = ROOT / "examples" / "tenant-host"

WIDENING_CONFIG = """
lint-tests = true
[scope]
extend-per-pack-identifiers = ["recipe_slug"]
[secrets]
extra-apis = ["kv2_read"]
extra-receivers = ["KvClient"]
extra-env-backends = ["ProcessVars"]
[telemetry]
extra-setters = ["bind_tenant_span"]
"""


@pytest.fixture
def fresh_batch(monkeypatch) -> RootQueryBatch:
    batch = RootQueryBatch(parsing.RUST, parsing.query)
    monkeypatch.setattr(parsing, "_whole_file_queries", batch)
    return batch


def _settings_for(fixture: Path):
    config_file = fixture.with_suffix(".toml")
    if config_file.exists():
        return parse_config_text(config_file, config_file.read_text()).settings
    return default_settings()


def _unannounced(batch: RootQueryBatch) -> list[str]:
    """Whole-file queries that ran outside the combined query (and so were compiled alone)."""
    return sorted(batch._seen_on)


def _check(batch: RootQueryBatch, data: bytes, settings, path: Path) -> None:
    analyze(data, settings, path)
    assert _unannounced(batch) == [], path


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_fixture_queries_are_announced(fresh_batch, fixture: Path):
    widened = parse_config_text(Path("isolint.toml"), WIDENING_CONFIG).settings
    for settings in (_settings_for(fixture), widened):
        _check(fresh_batch, fixture.read_bytes(), settings, fixture.relative_to(FIXTURE_DIR))


def test_example_crate_queries_are_announced(fresh_batch):
    resolver = ConfigResolver()
    for source in sorted((EXAMPLE / "src").rglob("*.rs")):
        _check(fresh_batch, source.read_bytes(), resolver.settings_for(source), source.relative_to(EXAMPLE))


def test_corpus_sample_queries_are_announced(fresh_batch, tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from generate_corpus import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    generate(tmp_path, megabytes=0.3, seed=5)
    settings = default_settings()
    for source in sorted(tmp_path.rglob("*.rs")):
        _check(fresh_batch, source.read_bytes(), settings, source.relative_to(tmp_path))


def test_an_unannounced_query_is_detected(fresh_batch):
    root = parsing.parse(b"fn f() { g(); }\n").root_node
    parsing.captures("(call_expression) @call", root)
    assert _unannounced(fresh_batch) == ["(call_expression) @call"]
