"""Fingerprints identify a finding by rule, enclosing item path and normalised text: stable
under line shifts and re-indentation, different for the same text in another item."""

from __future__ import annotations

from pathlib import Path

from isolint.checks.batch import analyse_file
from isolint.checks.config import DEFAULT_CONFIG
from isolint.checks.fingerprint import enclosing_item_path
from isolint.checks.parsing import parse

REGISTRY = """\
pub struct FlowEngine {
    flows: HashMap<String, Flow>,
}

impl FlowEngine {
    pub fn register(&mut self, flow_id: String, flow: Flow) {
        self.flows.insert(flow_id, flow);
    }
}
"""


def _prints(text: str) -> list[tuple[str, str]]:
    outcome = analyse_file(text.encode(), DEFAULT_CONFIG.settings, Path("src/engine.rs"))
    return [(f.code, p) for f, p in zip(outcome.findings, outcome.fingerprints)]


def test_fingerprints_survive_line_shifts_and_reindentation():
    original = _prints(REGISTRY)
    assert [code for code, _ in original] == ["ISO201"]
    shifted = "//! Engine.\n\nuse std::collections::HashMap;\n\n" + REGISTRY.replace("    flows:", "        flows:")
    assert _prints(shifted) == original


def test_same_text_in_another_item_has_another_fingerprint():
    other = REGISTRY.replace("FlowEngine", "PackEngine")
    assert _prints(other) != _prints(REGISTRY)
    both = _prints(REGISTRY + "\n" + other)
    assert len({fingerprint for _, fingerprint in both}) == 2


def test_enclosing_item_path_names_impl_and_function():
    data = REGISTRY.encode()
    tree = parse(data)
    assert enclosing_item_path(tree, data.index(b"self.flows.insert")) == "impl FlowEngine > fn register"
    assert enclosing_item_path(tree, data.index(b"flows: HashMap")) == "struct FlowEngine"
