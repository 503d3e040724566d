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
"""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from checks.config import SeverityName

log = logging.getLogger(__name__)

LogLevel = Literal["debug", "info", "warning", "error"]


class EditorOptions(BaseModel):
    # The same settings section also holds the editor extension's own keys (executable
    # path, trace level, …): those are not ours to reject; ``merged`` logs what it skips.
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True, alias_generator=to_camel)

    # Pause after the last keystroke before a document is re-analysed.
    debounce_ms: int = Field(default=75, ge=0, le=5000)
    workspace_scan: bool = True
    inlay_hints: bool = True
    # None keeps the level given on the command line (`isolint server --log-level`).
    log_level: LogLevel | None = None
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    severity: dict[str, SeverityName] | None = None
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
        """These options updated with a (partial, camelCase) settings object; validated."""
        known = {field.alias or name for name, field in EditorOptions.model_fields.items()} | set(EditorOptions.model_fields)
        skipped = sorted(key for key in changes if key not in known)
        if skipped:
            log.info("editor settings not used by the server: %s", ", ".join(skipped))
        return EditorOptions.model_validate({**self.model_dump(by_alias=True), **changes})
