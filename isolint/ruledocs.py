"""Rule documentation rendered from rule metadata (``isolint rule``, docs/rules/*.md)."""

from __future__ import annotations

from .checks.rules.base import Rule


def rule_markdown(rule: Rule) -> str:
    fix = {
        "none": "No automatic fix.",
        "sometimes": "A fix is available in some cases",
        "always": "A fix is always available",
    }[rule.fix_availability.value]
    if rule.fix_safety is not None:
        fix += f" ({rule.fix_safety.value})."
    lines = [
        f"# {rule.name} ({rule.code})",
        "",
        f"Family: {rule.family} · Default severity: {rule.default_severity.value} · Fix: {rule.fix_availability.value}",
        "",
        "## What it does",
        rule.summary,
        "",
        "## Why is this bad?",
        rule.rationale,
        "",
        "## Example",
        "```rust",
        rule.bad_example.rstrip("\n"),
        "```",
        "",
        "## Use instead",
        "```rust",
        rule.good_example.rstrip("\n"),
        "```",
        "",
        "## Fix safety",
        fix,
    ]
    if rule.options:
        lines += ["", "## Options", *[f"- `{option}`" for option in rule.options]]
    lines += [
        "",
        "## Suppressing",
        f"`// isolint: allow({rule.code}) reason: <why this is safe>` on the line or the line above.",
    ]
    return "\n".join(lines) + "\n"


def rule_dict(rule: Rule) -> dict:
    return {
        "code": rule.code,
        "name": rule.name,
        "family": rule.family,
        "summary": rule.summary,
        "rationale": rule.rationale,
        "bad_example": rule.bad_example,
        "good_example": rule.good_example,
        "default_severity": rule.default_severity.value,
        "fix_availability": rule.fix_availability.value,
        "fix_safety": rule.fix_safety.value if rule.fix_safety else None,
        "options": list(rule.options),
        "url": rule.doc_url(),
        "explanation": rule_markdown(rule),
    }
