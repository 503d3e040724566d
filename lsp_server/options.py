"""Editor settings: ``initializationOptions`` and the ``isolint`` section of
``workspace/configuration``. Every field is defaulted and validated (jedi-language-server's
``initialization_options.py``); keys are camelCase as editors write them::

    {"debounceMs": 75, "workspaceScan": true, "inlayHints": true, "logLevel": "info",
     "select": ["ISO1"], "extendSelect": [], "ignore": ["ISO401"],
     "severity": {"ISO201": "error"}, "lintTests": false}

The rule options (``select``, ``extendSelect``, ``ignore``, ``severity``, ``lintTests``)
override the config file found by discovery, like the CLI's flags do. Each
``workspace/configuration`` answer is layered on the initializationOptions; an invalid
setting is shown to the user and the previous settings stay in force.

Validated by hand rather than with pydantic: these few JSON values are checked at every
server start, and importing pydantic would cost a fifth of the start-up budget. Whether
the rule options name real rules is checked against the config schema
(``ProjectConfiguration.validate_overrides``), only when the editor sets any.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields, replace
from typing import Callable, get_args

from ..checks.config import SeverityName

log = logging.getLogger(__name__)

LOG_LEVELS = ("debug", "info", "warning", "error")
SEVERITY_NAMES = get_args(SeverityName)
MAX_DEBOUNCE_MS = 5000


@dataclass(frozen=True)
class EditorOptions:
    # Pause after the last keystroke before a document is re-analysed.
    debounce_ms: int = 75
    workspace_scan: bool = True
    inlay_hints: bool = True
    # None keeps the level given on the command line (`isolint server --log-level`).
    log_level: str | None = None
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    severity: dict[str, str] | None = None
    lint_tests: bool | None = None

    def config_overrides(self) -> dict:
        """The options that override the discovered config file, by its field names."""
        overrides = {}
        for name in ("select", "extend_select", "ignore", "severity", "lint_tests"):
            value = getattr(self, name)
            if value is not None:
                overrides[name] = value
        return overrides

    def merged(self, changes: dict) -> "EditorOptions":
        """These options updated with a (partial, camelCase) settings object; raises
        ``ValueError`` naming the first invalid setting.

        The same settings section also holds the editor extension's own keys (executable
        path, trace level, …): those are not ours to reject; they are logged and skipped."""
        values = {}
        skipped = []
        for key, value in changes.items():
            name = _FIELD_NAMES.get(key)
            if name is None:
                skipped.append(key)
                continue
            check, expected = _CHECKS[name]
            if not check(value):
                raise ValueError(f"invalid isolint setting `{key}`: expected {expected}, got {value!r}")
            values[name] = tuple(value) if isinstance(value, list) else value
        if skipped:
            log.info("editor settings not used by the server: %s", ", ".join(sorted(skipped)))
        return replace(self, **values)


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_words(value: object) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value)


def _optional(check: Callable[[object], bool]) -> Callable[[object], bool]:
    return lambda value: value is None or check(value)


_CHECKS: dict[str, tuple[Callable[[object], bool], str]] = {
    "debounce_ms": (lambda v: _is_int(v) and 0 <= v <= MAX_DEBOUNCE_MS, f"an integer from 0 to {MAX_DEBOUNCE_MS}"),
    "workspace_scan": (lambda v: isinstance(v, bool), "true or false"),
    "inlay_hints": (lambda v: isinstance(v, bool), "true or false"),
    "log_level": (_optional(lambda v: v in LOG_LEVELS), f"null or one of {', '.join(LOG_LEVELS)}"),
    "select": (_optional(_is_words), "null or a list of strings"),
    "extend_select": (_optional(_is_words), "null or a list of strings"),
    "ignore": (_optional(_is_words), "null or a list of strings"),
    "severity": (
        _optional(lambda v: isinstance(v, dict) and all(isinstance(k, str) and s in SEVERITY_NAMES for k, s in v.items())),
        f"null or an object of rule selectors to {', '.join(SEVERITY_NAMES)}",
    ),
    "lint_tests": (_optional(lambda v: isinstance(v, bool)), "null, true or false"),
}
# Editors write camelCase; the field names are accepted too.
_FIELD_NAMES = {key: field.name for field in fields(EditorOptions) for key in (_camel(field.name), field.name)}
