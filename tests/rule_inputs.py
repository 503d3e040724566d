"""The inputs tests run every rule over: the rule fixtures (each under its own config), the
example crate, a sample of the benchmark corpus, and a config that widens every configurable
part of the rules (each configured trigger and query gets a word of its own)."""

from __future__ import annotations

import sys
from pathlib import Path

from isolint.checks.config import default_settings, parse_config_text

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


def widened_settings():
    return parse_config_text(Path("isolint.toml"), WIDENING_CONFIG).settings


def fixture_settings(fixture: Path):
    """The settings a fixture is checked under: its ``.toml`` beside it, else the defaults."""
    config_file = fixture.with_suffix(".toml")
    if config_file.exists():
        return parse_config_text(config_file, config_file.read_text()).settings
    return default_settings()


def corpus_sample(folder: Path, megabytes: float, seed: int) -> list[Path]:
    """Write a sample of the benchmark corpus (bench/generate_corpus.py) to ``folder``."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from generate_corpus import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    generate(folder, megabytes=megabytes, seed=seed)
    return sorted(folder.rglob("*.rs"))
