"""A generated key of thousands of `+` terms: one ISO202 candidate, traced to its deepest term.

Not timed: before the chain was handled as one candidate with memoised climbing, 3,000 terms
took minutes, so a regression shows as a run that does not finish."""

from __future__ import annotations

from isolint.checks.config import DEFAULT_CONFIG
from isolint.checks.engine import analyze
from isolint.checks.rules import unscoped_derived_key

TERMS = 3000


def _chain_source(terms: int) -> bytes:
    # `flow_id` first: the most deeply nested operand of the left-nested chain.
    operands = ["flow_id"] + [f"part{i}" if i % 2 == 0 else '":"' for i in range(1, terms)]
    return (
        "pub fn save(store: &StateStore, flow_id: &str, state: &State) {\n"
        f"    let key = {' + '.join(operands)};\n"
        "    store.put(&key, state);\n"
        "}\n"
    ).encode()


def test_a_long_concatenation_is_one_candidate_traced_to_its_first_term(monkeypatch):
    judged = []
    destination = unscoped_derived_key._destination

    def counting_destination(ctx, collections, derived):
        judged.append(derived)
        return destination(ctx, collections, derived)

    monkeypatch.setattr(unscoped_derived_key, "_destination", counting_destination)
    result = analyze(_chain_source(TERMS), DEFAULT_CONFIG.settings)
    assert not result.rule_failures, result.rule_failures[0].detail
    assert len(judged) == 1 and judged[0].type == "binary_expression"
    assert [f.code for f in result.findings] == ["ISO202"]
    assert "`flow_id`" in result.findings[0].message
