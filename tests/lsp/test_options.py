"""Editor settings and diagnostic ``data`` are validated by hand (no pydantic on the
server's start-up path): what is accepted, and that nothing else is."""

from __future__ import annotations

import copy

import pytest

from isolint.lsp_server.diagnostics import DiagnosticData, EditData, FixData, PositionData
from isolint.lsp_server.options import EditorOptions


def test_settings_are_layered_by_camel_case_or_field_name_and_foreign_keys_skipped():
    options = EditorOptions().merged({"debounceMs": 0, "workspaceScan": False, "select": ["ISO1"], "lint_tests": True, "isolint.path": "x"})
    assert (options.debounce_ms, options.workspace_scan, options.inlay_hints) == (0, False, True)
    assert options.config_overrides() == {"select": ("ISO1",), "lint_tests": True}
    assert options.merged({"select": None}).config_overrides() == {"lint_tests": True}


@pytest.mark.parametrize(
    "changes",
    [
        {"debounceMs": "75"},
        {"debounceMs": True},
        {"debounceMs": 5001},
        {"debounceMs": None},
        {"workspaceScan": "yes"},
        {"inlayHints": None},
        {"logLevel": "trace"},
        {"select": "ISO1"},
        {"ignore": [1]},
        {"severity": {"ISO201": "fatal"}},
        {"severity": ["ISO201"]},
        {"lintTests": 1},
    ],
)
def test_an_invalid_setting_is_named(changes):
    (key,) = changes
    with pytest.raises(ValueError, match=rf"invalid isolint setting `{key}`"):
        EditorOptions().merged(changes)


OURS = DiagnosticData(3, 4, FixData("Scope the key", "safe", (EditData(PositionData(1, 2), PositionData(1, 5), "x"),)))


def test_diagnostic_data_round_trips_through_json():
    assert DiagnosticData.from_client(OURS.to_json()) == OURS
    assert DiagnosticData.from_client({"version": None, "first_line": 0, "fix": None}) == DiagnosticData(None, 0)


def _altered(change) -> dict:
    raw = copy.deepcopy(OURS.to_json())
    change(raw)
    return raw


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "data",
        [1],
        _altered(lambda d: d.update(extra=1)),
        _altered(lambda d: d.pop("first_line")),
        _altered(lambda d: d.update(version="3")),
        _altered(lambda d: d.update(first_line=True)),
        _altered(lambda d: d["fix"].update(edits={})),
        _altered(lambda d: d["fix"]["edits"][0].pop("new_text")),
        _altered(lambda d: d["fix"]["edits"][0]["start"].update(line=1.0)),
    ],
)
def test_data_not_of_our_shape_is_not_ours(raw):
    assert DiagnosticData.from_client(raw) is None
