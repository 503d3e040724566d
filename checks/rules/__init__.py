"""The rule registry: every module in this package that defines ``RULE`` is a rule.

Codes are stable and grouped by family: ISO0xx meta, ISO1xx secrets, ISO2xx keys and
caches, ISO3xx telemetry, ISO4xx shared state.
"""

from __future__ import annotations

import importlib
import os
from functools import lru_cache

from .base import Rule

_NOT_RULES = {"base"}


@lru_cache(maxsize=1)
def all_rules() -> tuple[Rule, ...]:
    """Every registered rule, ordered by code."""
    found: list[Rule] = []
    # Listed from the directory: importing pkgutil would cost more than the listing.
    names = sorted(entry[:-3] for directory in __path__ for entry in os.listdir(directory) if entry.endswith(".py"))
    for name in names:
        if name in _NOT_RULES or name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{name}")
        rule = getattr(module, "RULE", None)
        if isinstance(rule, Rule):
            found.append(rule)
    found.sort(key=lambda r: r.code)
    codes = [r.code for r in found]
    names = [r.name for r in found]
    if len(set(codes)) != len(codes) or len(set(names)) != len(names):
        raise RuntimeError(f"duplicate rule code or name in registry: {codes} {names}")
    return tuple(found)


def rule_by_code_or_name(key: str) -> Rule | None:
    key_upper = key.upper()
    for rule in all_rules():
        if rule.code == key_upper or rule.name == key.lower():
            return rule
    return None


def rules_matching_selector(selector: str) -> list[Rule]:
    """Rules selected by a code prefix (``ISO1``, ``ISO101``), a name, or ``ALL``."""
    selector_upper = selector.upper()
    if selector_upper == "ALL":
        return list(all_rules())
    by_name = [r for r in all_rules() if r.name == selector.lower()]
    if by_name:
        return by_name
    return [r for r in all_rules() if r.code.startswith(selector_upper)]
