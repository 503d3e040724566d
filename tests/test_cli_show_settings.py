"""`isolint check --show-settings`: the config file in effect for a path and what it resolves
to, without linting; editors' health checks (Neovim's `:checkhealth isolint`) read it."""

from __future__ import annotations

import json
from pathlib import Path

from isolint.checks.config import default_settings
from tests.test_cli_check import isolint


def shown(cwd: Path, *arguments: str) -> dict:
    process = isolint(cwd, "check", "--show-settings", "--format", "json", *arguments)
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout)


def test_shows_the_nearest_config_file_and_what_it_selects(tmp_path):
    (tmp_path / "isolint.toml").write_text('ignore = ["ISO1"]\nseverity = { ISO201 = "error" }\n')
    (tmp_path / "src").mkdir()

    settings = shown(tmp_path, "src")

    assert settings["configFile"] == str(tmp_path / "isolint.toml")
    assert settings["table"] is None
    assert not [code for code in settings["enabled"] if code.startswith("ISO1")]
    assert settings["severity"]["ISO201"] == "error"


def test_shows_the_cargo_table_a_config_lives_in(tmp_path):
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "a"\n\n[package.metadata.isolint]\nlint-tests = true\n')

    settings = shown(tmp_path, ".")

    assert (settings["configFile"], settings["table"], settings["lintTests"]) == (str(tmp_path / "Cargo.toml"), "package.metadata.isolint", True)


def test_without_a_config_file_shows_the_defaults(tmp_path):
    settings = shown(tmp_path, ".")

    assert settings["configFile"] is None
    assert settings["enabled"] == sorted(default_settings().enabled_codes)
    assert settings["severity"] == {code: default_settings().severities[code].value for code in settings["enabled"]}


def test_text_output_names_the_config_file(tmp_path):
    (tmp_path / "isolint.toml").write_text("lint-tests = true\n")

    process = isolint(tmp_path, "check", "--show-settings")

    assert process.returncode == 0, process.stderr
    assert f"config file: {tmp_path / 'isolint.toml'}" in process.stdout
    assert "lint tests: true" in process.stdout


def test_a_config_error_exits_2_with_the_file_and_line(tmp_path):
    (tmp_path / "isolint.toml").write_text('lint-tests = true\nselect = ["ISO999"]\n')

    process = isolint(tmp_path, "check", "--show-settings", ".")

    assert process.returncode == 2
    assert process.stdout == ""
    assert f"{tmp_path / 'isolint.toml'}:2: invalid value for `select`" in process.stderr
