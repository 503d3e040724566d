"""`isolint check` and `isolint rule` through the installed console script: exit codes,
output formats (SARIF validated against the official OASIS schema), rule selection, config
discovery and config errors, and bad input that must not stop the run."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from isolint.checks.rules import all_rules

SCHEMA_PATH = Path(__file__).parent / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"

# One ISO101 finding on line 2 (the key `name`, column 24) and nothing else.
UNSCOPED_LOOKUP = (
    "pub fn api_key(secrets: &dyn SecretsBackend, name: &str) -> Option<String> {\n"
    "    secrets.get_secret(name)\n"
    "}\n"
)
# The safe look-alike: the key goes through the scoping helper.
SCOPED_LOOKUP = (
    "pub fn api_key(secrets: &dyn SecretsBackend, tenant: &TenantCtx, name: &str) -> Option<String> {\n"
    "    let key = scoped_key(tenant, name);\n"
    "    secrets.get_secret(&key)\n"
    "}\n"
)
# An unused suppression (ISO002, with a safe fix) on line 2, column 20.
UNUSED_SUPPRESSION = "fn totals() -> u32 {\n    let total = 1; // isolint: allow(ISO101) reason: legacy\n    total\n}\n"
# A suppressed ISO101 finding, carried into SARIF with its justification.
SUPPRESSED_LOOKUP = (
    "pub fn api_key(secrets: &dyn SecretsBackend, name: &str) -> Option<String> {\n"
    "    // isolint: allow(ISO101) reason: callers pass keys built by scoped_key\n"
    "    secrets.get_secret(name)\n"
    "}\n"
)


def isolint_executable() -> str:
    beside_python = Path(sys.executable).with_name("isolint")
    found = str(beside_python) if beside_python.exists() else shutil.which("isolint")
    assert found, "the isolint console script is not installed (pip install -e .)"
    return found


def isolint(cwd: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([isolint_executable(), *arguments], cwd=cwd, capture_output=True, text=True, timeout=300)


def check_json(cwd: Path, *arguments: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    completed = isolint(cwd, "check", "--no-cache", "--format", "json", *arguments)
    return completed, json.loads(completed.stdout)


def located(records: list[dict]) -> list[tuple[str, int, int, str]]:
    return sorted((r["path"], r["range"]["start"]["line"], r["range"]["start"]["column"], r["code"]) for r in records)


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# -- exit codes --------------------------------------------------------------------------

def test_exit_0_when_clean(tmp_path):
    write(tmp_path / "src" / "lib.rs", SCOPED_LOOKUP)
    completed = isolint(tmp_path, "check", "--no-cache")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "All checks passed (1 file)."


def test_exit_1_when_findings(tmp_path):
    write(tmp_path / "lib.rs", UNSCOPED_LOOKUP)
    completed = isolint(tmp_path, "check", "--no-cache", "lib.rs")
    assert completed.returncode == 1, completed.stderr
    assert completed.stderr == ""


@pytest.mark.parametrize("arguments, message", [
    (("check", "--no-cache", "missing.rs"), "no such file or directory"),
    (("check", "--no-cache", "--select", "ISO999"), "unknown rule code or name 'ISO999'"),
    (("check", "--no-cache", "--format", "xml"), "invalid choice: 'xml'"),
    (("check", "--no-cache", "--config", "nowhere.toml"), "config file not found"),
    (("frobnicate",), "invalid choice: 'frobnicate'"),
])
def test_exit_2_on_usage_and_io_errors(tmp_path, arguments, message):
    write(tmp_path / "lib.rs", SCOPED_LOOKUP)
    completed = isolint(tmp_path, *arguments)
    assert completed.returncode == 2
    assert message in completed.stderr


# -- text output -------------------------------------------------------------------------

def test_text_output_is_rustc_like(tmp_path):
    write(tmp_path / "lib.rs", UNSCOPED_LOOKUP)
    completed = isolint(tmp_path, "check", "--no-cache", "lib.rs")
    lines = completed.stdout.splitlines()
    assert re.fullmatch(r"(error|warning)\[ISO101\]: unscoped-secret-lookup: .*`name`.*", lines[0])
    assert lines[1] == " --> lib.rs:2:24"
    assert lines[2] == "  |"
    assert lines[3] == "2 |     secrets.get_secret(name)"
    assert lines[4] == "  |" + " " * 24 + "^^^^"
    assert lines[-1] == "Found 1 finding in 1 file."


def test_text_output_shows_the_fix_title(tmp_path):
    write(tmp_path / "lib.rs", UNUSED_SUPPRESSION)
    completed = isolint(tmp_path, "check", "--no-cache", "lib.rs")
    lines = completed.stdout.splitlines()
    assert lines[0] == "warning[ISO002]: unused-suppression: unused suppression: no ISO101 finding here"
    assert lines[1] == " --> lib.rs:2:20"
    assert lines[4] == "  |" + " " * 20 + "^" * len("// isolint: allow(ISO101) reason: legacy")
    assert lines[5] == "  = help: Remove unused suppression (safe fix)"
    assert completed.returncode == 1


def test_columns_are_exact_after_non_ascii_text(tmp_path):
    # é is 2 bytes / 1 column; 🎉 is 4 bytes / 1 code point / 2 UTF-16 units / 2 cells wide.
    source = (
        "pub fn api_key(secrets: &dyn SecretsBackend, name: &str) -> Option<String> {\n"
        '    let _l = "é🎉"; secrets.get_secret(name)\n'
        "}\n"
    )
    write(tmp_path / "lib.rs", source)
    text = isolint(tmp_path, "check", "--no-cache", "lib.rs").stdout.splitlines()
    assert text[1] == " --> lib.rs:2:39"
    assert text[4] == "  |" + " " * (1 + 38 + 1) + "^^^^"  # 38 characters, one of them two cells wide

    _, records = check_json(tmp_path, "lib.rs")
    start = records[0]["range"]["start"]
    line_start = source.encode().index(b"    let _l")
    assert (start["line"], start["column"], start["byte"] - line_start) == (2, 39, 38 + 1 + 3)
    assert records[0]["range"]["end"]["column"] == 43

    sarif = json.loads(isolint(tmp_path, "check", "--no-cache", "--format", "sarif", "lib.rs").stdout)
    region = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert sarif["runs"][0]["columnKind"] == "unicodeCodePoints"
    assert (region["startLine"], region["startColumn"], region["endColumn"]) == (2, 39, 43)


def test_tab_indentation_keeps_the_caret_under_the_span(tmp_path):
    write(tmp_path / "lib.rs", UNSCOPED_LOOKUP.replace("    secrets", "\tsecrets"))
    lines = isolint(tmp_path, "check", "--no-cache", "lib.rs").stdout.splitlines()
    assert lines[1] == " --> lib.rs:2:21"  # the tab is one character
    assert lines[3] == "2 |     secrets.get_secret(name)"  # shown with 4-column tab stops
    assert lines[4] == "  |" + " " * (1 + 4 + 19) + "^^^^"


# -- json and sarif ----------------------------------------------------------------------

def test_json_records(tmp_path):
    write(tmp_path / "lib.rs", UNSCOPED_LOOKUP)
    write(tmp_path / "fixes.rs", UNUSED_SUPPRESSION)
    completed, records = check_json(tmp_path)
    assert completed.returncode == 1
    assert located(records) == [("fixes.rs", 2, 20, "ISO002"), ("lib.rs", 2, 24, "ISO101")]
    lookup = next(r for r in records if r["code"] == "ISO101")
    assert lookup["name"] == "unscoped-secret-lookup"
    assert lookup["range"]["end"] == {"line": 2, "column": 28, "byte": UNSCOPED_LOOKUP.index("name)") + 4}
    assert lookup["url"].endswith("/docs/rules/ISO101.md")
    assert lookup["fingerprint"]
    unused = next(r for r in records if r["code"] == "ISO002")
    assert unused["fix"]["title"] == "Remove unused suppression"
    assert unused["fix"]["applicability"] == "safe"


@pytest.fixture(scope="module")
def sarif_validator():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    # Every format jsonschema knows (uri and uri-reference need rfc3986-validator), not only
    # draft 4's: SARIF's artifact locations are `uri-reference`s.
    checker = jsonschema.FormatChecker()
    assert {"uri", "uri-reference"} <= set(checker.checkers), "install the test extras (rfc3986-validator)"
    return jsonschema.Draft4Validator(schema, format_checker=checker)


def test_sarif_validates_against_the_official_schema(tmp_path, sarif_validator):
    write(tmp_path / "src" / "lib.rs", UNSCOPED_LOOKUP)
    write(tmp_path / "src" / "fixes.rs", UNUSED_SUPPRESSION)
    write(tmp_path / "src" / "audited.rs", SUPPRESSED_LOOKUP)
    completed = isolint(tmp_path, "check", "--no-cache", "--format", "sarif")
    assert completed.returncode == 1, completed.stderr
    document = json.loads(completed.stdout)
    errors = sorted(sarif_validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)

    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [rule.code for rule in all_rules()]
    for descriptor in rules:
        assert descriptor["name"] and descriptor["shortDescription"]["text"] and descriptor["fullDescription"]["text"]
        assert descriptor["help"]["markdown"].startswith(f"# {descriptor['name']} ({descriptor['id']})")
        assert descriptor["defaultConfiguration"]["level"] in ("error", "warning", "note")

    by_file = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r for r in run["results"]}
    assert set(by_file) == {"src/lib.rs", "src/fixes.rs", "src/audited.rs"}
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["partialFingerprints"]
    lookup = by_file["src/lib.rs"]
    assert lookup["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    assert lookup["locations"][0]["physicalLocation"]["region"]["startColumn"] == 24
    assert lookup["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == 1
    assert by_file["src/fixes.rs"]["fixes"][0]["description"]["text"] == "Remove unused suppression"
    audited = by_file["src/audited.rs"]
    assert audited["ruleId"] == "ISO101"
    assert audited["suppressions"] == [
        {"kind": "inSource", "status": "accepted", "justification": "callers pass keys built by scoped_key"}
    ]


def test_sarif_uris_of_awkward_file_names(tmp_path, sarif_validator):
    write(tmp_path / "src" / "my file.rs", UNSCOPED_LOOKUP)
    write(tmp_path / "src" / "café.rs", UNSCOPED_LOOKUP)
    outside = tmp_path / "elsewhere"
    write(outside / "lib.rs", UNSCOPED_LOOKUP)
    project = tmp_path / "project"
    project.mkdir()
    (project / "src").symlink_to(tmp_path / "src", target_is_directory=True)
    completed = isolint(project, "check", "--no-cache", "--format", "sarif", "src/my file.rs", "src/café.rs", str(outside))
    document = json.loads(completed.stdout)
    errors = list(sarif_validator.iter_errors(document))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    uris = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in document["runs"][0]["results"])
    assert uris == sorted(["src/my%20file.rs", "src/caf%C3%A9.rs", (outside / "lib.rs").as_uri()])


def test_sarif_of_a_clean_run_validates(tmp_path, sarif_validator):
    write(tmp_path / "lib.rs", SCOPED_LOOKUP)
    completed = isolint(tmp_path, "check", "--no-cache", "--format", "sarif")
    document = json.loads(completed.stdout)
    sarif_validator.validate(document)
    assert document["runs"][0]["results"] == []
    assert completed.returncode == 0


# -- selection, output file, statistics --------------------------------------------------

@pytest.mark.parametrize("arguments, expected", [
    (("--select", "unscoped-secret-lookup"), ["ISO101"]),
    (("--select", "ISO1"), ["ISO101"]),
    (("--ignore", "ISO002"), ["ISO101"]),
    (("--ignore", "ISO002,ISO101"), []),
    (("--select", "ISO0", "--extend-select", "ISO101"), ["ISO002", "ISO101"]),
    # With ISO101 off, a suppression of ISO101 cannot be judged unused (ruff's RUF100 agrees).
    (("--select", "ISO002"), []),
    (("--ignore", "ISO1"), []),
])
def test_select_and_ignore(tmp_path, arguments, expected):
    write(tmp_path / "lib.rs", UNSCOPED_LOOKUP)
    write(tmp_path / "fixes.rs", UNUSED_SUPPRESSION)
    completed, records = check_json(tmp_path, *arguments)
    assert sorted(r["code"] for r in records) == expected
    assert completed.returncode == (1 if expected else 0)


def test_command_line_selection_overrides_config(tmp_path):
    write(tmp_path / "isolint.toml", 'ignore = ["ISO101"]\n')
    write(tmp_path / "lib.rs", UNSCOPED_LOOKUP)
    assert check_json(tmp_path)[1] == []
    assert [r["code"] for r in check_json(tmp_path, "--select", "ISO101")[1]] == ["ISO101"]


def test_output_file(tmp_path):
    write(tmp_path / "lib.rs", UNSCOPED_LOOKUP)
    completed = isolint(tmp_path, "check", "--no-cache", "--format", "json", "--output-file", "report.json")
    assert completed.returncode == 1
    assert completed.stdout == ""
    records = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert [r["code"] for r in records] == ["ISO101"]


def test_output_file_that_cannot_be_written(tmp_path):
    write(tmp_path / "lib.rs", UNSCOPED_LOOKUP)
    completed = isolint(tmp_path, "check", "--no-cache", "--output-file", "no/such/folder/report.txt")
    assert completed.returncode == 2
    assert "report.txt" in completed.stderr


def test_statistics(tmp_path):
    write(tmp_path / "a.rs", UNSCOPED_LOOKUP)
    write(tmp_path / "b.rs", UNSCOPED_LOOKUP)
    write(tmp_path / "c.rs", UNUSED_SUPPRESSION)
    completed = isolint(tmp_path, "check", "--no-cache", "--statistics")
    assert "    2  ISO101  unscoped-secret-lookup\n" in completed.stdout
    assert "    1  ISO002  unused-suppression  (1 fixable)\n" in completed.stdout
    assert completed.stdout.index("ISO101  unscoped") < completed.stdout.index("ISO002  unused")
    json_run = isolint(tmp_path, "check", "--no-cache", "--statistics", "--format", "json")
    assert len(json.loads(json_run.stdout)) == 3  # stdout stays valid JSON
    assert "    2  ISO101  unscoped-secret-lookup" in json_run.stderr


# -- isolint rule ------------------------------------------------------------------------

def test_rule_by_code_and_by_name(tmp_path):
    by_code = isolint(tmp_path, "rule", "ISO101")
    by_name = isolint(tmp_path, "rule", "unscoped-secret-lookup")
    assert by_code.returncode == by_name.returncode == 0
    assert by_code.stdout == by_name.stdout
    assert by_code.stdout.startswith("# unscoped-secret-lookup (ISO101)\n")
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety"):
        assert heading in by_code.stdout


def test_rule_all_json(tmp_path):
    completed = isolint(tmp_path, "rule", "--all", "--format", "json")
    assert completed.returncode == 0
    payload = json.loads(completed.stdout)
    assert [r["code"] for r in payload] == [rule.code for rule in all_rules()]
    for entry in payload:
        assert re.fullmatch(r"ISO\d{3}", entry["code"]) and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", entry["name"])
        assert entry["summary"] and entry["rationale"] and entry["bad_example"] and entry["good_example"]
        assert entry["default_severity"] in ("error", "warning", "info", "hint")
        assert entry["fix_availability"] in ("none", "sometimes", "always")


def test_rule_accepts_the_prefixes_select_accepts(tmp_path):
    family = [rule for rule in all_rules() if rule.code.startswith("ISO1")]
    completed = isolint(tmp_path, "rule", "ISO1")
    assert completed.returncode == 0, completed.stderr
    assert [line for line in completed.stdout.splitlines() if line.startswith("# ")] == [f"# {r.name} ({r.code})" for r in family]
    as_json = json.loads(isolint(tmp_path, "rule", "iso1", "--format", "json").stdout)
    assert [entry["code"] for entry in as_json] == [r.code for r in family]
    everything = json.loads(isolint(tmp_path, "rule", "ALL", "--format", "json").stdout)
    assert [entry["code"] for entry in everything] == [r.code for r in all_rules()]


def test_rule_listing_names_every_rule(tmp_path):
    completed = isolint(tmp_path, "rule")
    listed = [line.split()[0] for line in completed.stdout.splitlines()]
    assert listed == [rule.code for rule in all_rules()]


def test_unknown_rule_exits_2(tmp_path):
    completed = isolint(tmp_path, "rule", "ISO999")
    assert completed.returncode == 2
    assert "unknown rule 'ISO999'" in completed.stderr


# -- config discovery --------------------------------------------------------------------

def _codes_for(tmp_path: Path, target: str) -> list[str]:
    return [r["code"] for r in check_json(tmp_path, target)[1]]


@pytest.mark.parametrize("config_name, config_text", [
    ("isolint.toml", 'ignore = ["ISO101"]\n'),
    (".isolint.toml", 'ignore = ["unscoped-secret-lookup"]\n'),
    ("Cargo.toml", '[package]\nname = "host"\nversion = "0.1.0"\n\n[package.metadata.isolint]\nignore = ["ISO1"]\n'),
    ("Cargo.toml", '[workspace]\nmembers = []\n\n[workspace.metadata.isolint]\nignore = ["ISO101"]\n'),
])
def test_config_discovered_above_the_file(tmp_path, config_name, config_text):
    write(tmp_path / config_name, config_text)
    write(tmp_path / "crates" / "host" / "src" / "lib.rs", UNSCOPED_LOOKUP)
    assert _codes_for(tmp_path, "crates/host/src/lib.rs") == []
    assert _codes_for(tmp_path, ".") == []


def test_nearest_config_wins(tmp_path):
    write(tmp_path / "isolint.toml", 'ignore = ["ISO101"]\n')
    write(tmp_path / "quiet" / "lib.rs", UNSCOPED_LOOKUP)
    write(tmp_path / "strict" / "isolint.toml", 'select = ["ALL"]\n')
    write(tmp_path / "strict" / "lib.rs", UNSCOPED_LOOKUP)
    _, records = check_json(tmp_path, ".")
    assert [(r["path"], r["code"]) for r in records] == [("strict/lib.rs", "ISO101")]


def test_cargo_toml_without_isolint_table_is_passed_over(tmp_path):
    write(tmp_path / "isolint.toml", 'ignore = ["ISO101"]\n')
    write(tmp_path / "host" / "Cargo.toml", '[package]\nname = "host"\nversion = "0.1.0"\n')
    write(tmp_path / "host" / "src" / "lib.rs", UNSCOPED_LOOKUP)
    assert _codes_for(tmp_path, "host") == []


def test_isolint_toml_beats_cargo_metadata_in_the_same_folder(tmp_path):
    write(tmp_path / "Cargo.toml", '[package]\nname = "h"\nversion = "0.1.0"\n[package.metadata.isolint]\nignore = ["ISO101"]\n')
    write(tmp_path / "isolint.toml", 'select = ["ALL"]\n')
    write(tmp_path / "src" / "lib.rs", UNSCOPED_LOOKUP)
    assert _codes_for(tmp_path, ".") == ["ISO101"]


def test_explicit_config_file_applies_everywhere(tmp_path):
    write(tmp_path / "nested" / "isolint.toml", 'select = ["ALL"]\n')
    write(tmp_path / "nested" / "lib.rs", UNSCOPED_LOOKUP)
    write(tmp_path / "ci.toml", 'ignore = ["ISO101"]\n')
    assert [r["code"] for r in check_json(tmp_path, "--config", "ci.toml", ".")[1]] == []


def test_config_severity_and_scope_helpers(tmp_path):
    write(tmp_path / "isolint.toml", '[severity]\nISO101 = "info"\n\n[scope]\nextend-helpers = ["vault_path_for"]\n')
    write(tmp_path / "a.rs", UNSCOPED_LOOKUP)
    write(tmp_path / "b.rs", (
        "pub fn api_key(secrets: &dyn SecretsBackend, tenant: &Tenant, name: &str) -> Option<String> {\n"
        "    secrets.get_secret(&vault_path_for(tenant, name))\n"
        "}\n"
    ))
    _, records = check_json(tmp_path)
    assert [(r["path"], r["code"], r["severity"]) for r in records] == [("a.rs", "ISO101", "info")]


# -- config errors -----------------------------------------------------------------------

@pytest.mark.parametrize("config_name, config_text, expected", [
    ("isolint.toml", 'select = ["ALL"]\nignore-everything = true\n', "isolint.toml:2: unknown option `ignore-everything`"),
    ("isolint.toml", '[scope]\nhelpers = ["scoped_key"]\ntenant-words = ["org"]\n', "isolint.toml:3: unknown option `scope.tenant-words`"),
    ("isolint.toml", 'ignore = ["ISO101", "ISO999"]\n', "isolint.toml:1: invalid value for `ignore`: unknown rule code or name 'ISO999'"),
    ("isolint.toml", 'max-file-size = -5\n', "isolint.toml:1: invalid value for `max-file-size`"),
    ("isolint.toml", 'select = ["ALL"]\nlint-tests = "sometimes"\n', "isolint.toml:2: invalid value for `lint-tests`"),
    ("isolint.toml", 'select = ["ALL"\nignore = []\n', "isolint.toml:2: invalid TOML"),
    (".isolint.toml", '[severity]\nISO101 = "fatal"\n', ".isolint.toml:2: invalid value for `severity.ISO101`"),
    ("Cargo.toml", '[package]\nname = "h"\nversion = "0.1.0"\n\n[package.metadata.isolint]\nselekt = ["ALL"]\n', "Cargo.toml:6: unknown option `selekt`"),
])
def test_config_errors_name_file_line_and_key(tmp_path, config_name, config_text, expected):
    write(tmp_path / config_name, config_text)
    write(tmp_path / "lib.rs", UNSCOPED_LOOKUP)
    completed = isolint(tmp_path, "check", "--no-cache")
    assert completed.returncode == 2
    assert expected in completed.stderr, completed.stderr
    assert str(tmp_path / config_name) in completed.stderr


def test_unknown_rule_in_severity_table_names_the_key_line(tmp_path):
    write(tmp_path / "isolint.toml", 'select = ["ALL"]\n\n[severity]\nISO101 = "error"\nISO999 = "warning"\n')
    write(tmp_path / "lib.rs", UNSCOPED_LOOKUP)
    completed = isolint(tmp_path, "check", "--no-cache")
    assert completed.returncode == 2
    assert "isolint.toml:5: invalid value for `severity.ISO999`" in completed.stderr, completed.stderr


# -- bad input ---------------------------------------------------------------------------

def test_syntax_errors_do_not_stop_the_rest_of_the_file(tmp_path):
    write(tmp_path / "lib.rs", "fn broken( {\n    let = ;\n}\n\n" + UNSCOPED_LOOKUP)
    completed, records = check_json(tmp_path, "lib.rs")
    assert located(records) == [("lib.rs", 6, 24, "ISO101")]
    assert completed.returncode == 1
    assert "syntax error" in completed.stderr


def test_non_utf8_bytes(tmp_path):
    source = (
        b"// caf\xe9 \xff\xfe\n"
        b"pub fn api_key(secrets: &dyn SecretsBackend, name: &str) -> Option<String> {\n"
        b"    /*\xff*/ secrets.get_secret(name)\n"
        b"}\n"
    )
    write(tmp_path / "lib.rs", source)
    completed, records = check_json(tmp_path, "lib.rs")
    # The undecodable byte counts as one column, as U+FFFD would.
    assert located(records) == [("lib.rs", 3, 24 + 6, "ISO101")]
    assert completed.returncode == 1
    assert "not valid UTF-8" in completed.stderr
    text = isolint(tmp_path, "check", "--no-cache", "lib.rs").stdout
    assert "3 |     /*\ufffd*/ secrets.get_secret(name)" in text


def test_bom_does_not_shift_columns(tmp_path):
    one_line = "pub fn k(secrets: &dyn SecretsBackend, name: &str) -> Option<String> { secrets.get_secret(name) }\n"
    write(tmp_path / "plain.rs", one_line)
    write(tmp_path / "bom.rs", b"\xef\xbb\xbf" + one_line.encode())
    completed, records = check_json(tmp_path)
    assert located(records) == [("bom.rs", 1, 91, "ISO101"), ("plain.rs", 1, 91, "ISO101")]
    text = isolint(tmp_path, "check", "--no-cache", "bom.rs").stdout.splitlines()
    assert text[1] == " --> bom.rs:1:91"
    assert text[3] == "1 | " + one_line.rstrip("\n")


def test_config_errors_list_every_problem_with_file_line_and_key(tmp_path):
    write(tmp_path / "isolint.toml", 'select = "ALL"\nlint_tests = true\n')
    write(tmp_path / "lib.rs", UNSCOPED_LOOKUP)
    completed = isolint(tmp_path, "check", "--no-cache", "lib.rs")
    assert completed.stderr.replace(f"{tmp_path.resolve()}/", "").splitlines() == [
        'isolint: error: isolint.toml:1: invalid value for `select`: expected a list, got "ALL"',
        "isolint: error: isolint.toml:2: unknown option `lint_tests`: options are kebab-case, write `lint-tests`",
    ]
    assert completed.stdout == ""
    assert completed.returncode == 2


def test_crlf_line_endings(tmp_path):
    write(tmp_path / "lib.rs", UNSCOPED_LOOKUP.replace("\n", "\r\n").encode())
    completed, records = check_json(tmp_path, "lib.rs")
    assert located(records) == [("lib.rs", 2, 24, "ISO101")]
    text = isolint(tmp_path, "check", "--no-cache", "lib.rs").stdout
    assert "2 |     secrets.get_secret(name)\n" in text
    assert "\r" not in text


def test_empty_file(tmp_path):
    write(tmp_path / "lib.rs", b"")
    completed = isolint(tmp_path, "check", "--no-cache", "lib.rs")
    assert completed.returncode == 0
    assert completed.stdout.strip() == "All checks passed (1 file)."


def test_binary_rs_file_is_skipped_and_the_run_exits_2(tmp_path):
    write(tmp_path / "blob.rs", b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)))
    write(tmp_path / "lib.rs", UNSCOPED_LOOKUP)
    completed, records = check_json(tmp_path)
    assert located(records) == [("lib.rs", 2, 24, "ISO101")]
    assert "error: blob.rs: skipped: binary file (a NUL byte at line 1, byte 8)" in completed.stderr
    assert completed.returncode == 2


def test_file_over_max_file_size_is_skipped_and_the_run_exits_2(tmp_path):
    write(tmp_path / "isolint.toml", "max-file-size = 1000\n")
    write(tmp_path / "generated.rs", UNSCOPED_LOOKUP + "// padding\n" * 200)
    write(tmp_path / "lib.rs", UNSCOPED_LOOKUP)
    completed, records = check_json(tmp_path)
    assert located(records) == [("lib.rs", 2, 24, "ISO101")]
    assert re.search(r"error: generated\.rs: skipped: \d+ bytes is over max-file-size \(1000 bytes\)", completed.stderr)
    assert completed.returncode == 2
    text = isolint(tmp_path, "check", "--no-cache")
    assert text.stdout.endswith("Found 1 finding in 1 file. 1 file was skipped (see above).\n")


# A finding that a NUL byte in a comment would hide if skipped files passed as clean.
NUL_IN_A_COMMENT = b"// generated \x00 marker\n" + UNSCOPED_LOOKUP.encode()


def test_a_nul_byte_skips_the_file_and_says_so_in_every_format(tmp_path):
    write(tmp_path / "lib.rs", NUL_IN_A_COMMENT)
    problem = "skipped: binary file (a NUL byte at line 1, byte 14)"
    text = isolint(tmp_path, "check", "--no-cache", "lib.rs")
    assert text.stdout == "No findings in 0 files, but 1 file was skipped (see above).\n"
    assert text.stderr == f"isolint: error: lib.rs: {problem}\n"
    assert text.returncode == 2
    completed, records = check_json(tmp_path, "lib.rs")
    assert records == [] and problem in completed.stderr and completed.returncode == 2
    sarif = isolint(tmp_path, "check", "--no-cache", "--format", "sarif", "lib.rs")
    invocation = json.loads(sarif.stdout)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert [(n["level"], n["message"]["text"]) for n in invocation["toolExecutionNotifications"]] == [("warning", problem)]
    assert sarif.returncode == 2
    github = isolint(tmp_path, "check", "--no-cache", "--format", "github", "lib.rs")
    assert github.stdout == f"::warning file=lib.rs,title=isolint::{problem}\n"


def test_quiet_still_says_a_file_was_skipped(tmp_path):
    write(tmp_path / "lib.rs", NUL_IN_A_COMMENT)
    completed = isolint(tmp_path, "check", "--no-cache", "--quiet", "lib.rs")
    assert completed.stdout == ""
    assert "lib.rs: skipped: binary file" in completed.stderr
    assert completed.returncode == 2


def test_nothing_passes_when_no_file_could_be_read(tmp_path):
    (tmp_path / "a.rs").symlink_to("b.rs")
    (tmp_path / "b.rs").symlink_to("a.rs")
    for path in ("missing.rs", "a.rs"):
        completed = isolint(tmp_path, "check", "--no-cache", path)
        assert "All checks passed" not in completed.stdout
        assert completed.stdout == "No findings in 0 files, but 1 error was reported (see above).\n"
        assert completed.returncode == 2


def test_unreadable_file_is_reported_and_the_run_goes_on(tmp_path):
    """Root reads through chmod 000, so the unreadable file is a link to /proc/self/mem: it
    exists, has size 0, and reading it from offset 0 fails with EIO for any user."""
    if not Path("/proc/self/mem").exists():
        pytest.skip("needs /proc/self/mem to make a file that cannot be read")
    (tmp_path / "locked.rs").symlink_to("/proc/self/mem")
    write(tmp_path / "lib.rs", UNSCOPED_LOOKUP)
    completed, records = check_json(tmp_path)
    assert located(records) == [("lib.rs", 2, 24, "ISO101")]
    assert re.search(r"error: locked\.rs: cannot read: ", completed.stderr), completed.stderr
    assert completed.returncode == 2
    alone = isolint(tmp_path, "check", "--no-cache", "locked.rs")
    assert alone.stdout == "No findings in 0 files, but 1 error was reported (see above).\n"
    assert alone.returncode == 2


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads files whatever their mode")
def test_file_without_read_permission(tmp_path):
    locked = write(tmp_path / "locked.rs", UNSCOPED_LOOKUP)
    locked.chmod(0)
    write(tmp_path / "lib.rs", UNSCOPED_LOOKUP)
    completed, records = check_json(tmp_path)
    assert located(records) == [("lib.rs", 2, 24, "ISO101")]
    assert "locked.rs: cannot read: Permission denied" in completed.stderr
    assert completed.returncode == 2


def test_symlink_loop_is_reported_and_the_run_goes_on(tmp_path):
    (tmp_path / "a.rs").symlink_to("b.rs")
    (tmp_path / "b.rs").symlink_to("a.rs")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "again").symlink_to("..", target_is_directory=True)
    write(tmp_path / "src" / "lib.rs", UNSCOPED_LOOKUP)
    completed, records = check_json(tmp_path)
    assert located(records) == [("src/lib.rs", 2, 24, "ISO101")]
    assert "a.rs: symlink loop" in completed.stderr and "b.rs: symlink loop" in completed.stderr
    assert "again" not in completed.stderr  # a directory link is not followed, so no loop
    assert completed.returncode == 2


def test_symlink_loop_given_on_the_command_line(tmp_path):
    (tmp_path / "a.rs").symlink_to("b.rs")
    (tmp_path / "b.rs").symlink_to("a.rs")
    write(tmp_path / "lib.rs", UNSCOPED_LOOKUP)
    completed, records = check_json(tmp_path, "a.rs", "lib.rs")
    assert located(records) == [("lib.rs", 2, 24, "ISO101")]
    assert "a.rs: symlink loop" in completed.stderr
    assert completed.returncode == 2


def test_broken_symlink_is_reported_and_the_run_goes_on(tmp_path):
    (tmp_path / "gone.rs").symlink_to("deleted.rs")
    write(tmp_path / "lib.rs", UNSCOPED_LOOKUP)
    completed, records = check_json(tmp_path)
    assert located(records) == [("lib.rs", 2, 24, "ISO101")]
    assert "gone.rs: broken symlink" in completed.stderr
    assert completed.returncode == 2


def test_gitignored_and_excluded_files_are_not_read(tmp_path):
    write(tmp_path / ".gitignore", "generated/\n")
    write(tmp_path / "isolint.toml", 'extend-exclude = ["vendor/"]\n')
    write(tmp_path / "generated" / "lib.rs", UNSCOPED_LOOKUP)
    write(tmp_path / "vendor" / "lib.rs", UNSCOPED_LOOKUP)
    write(tmp_path / "target" / "debug" / "build.rs", UNSCOPED_LOOKUP)
    write(tmp_path / "src" / "lib.rs", UNSCOPED_LOOKUP)
    _, records = check_json(tmp_path)
    assert located(records) == [("src/lib.rs", 2, 24, "ISO101")]


def test_a_nested_gitignore_applies_inside_its_folder_only(tmp_path):
    """Read in walk order: a folder's .gitignore stays in force for its subfolders, and
    no longer for the sibling folders walked after them."""
    write(tmp_path / "a" / ".gitignore", "*.rs\n!keep.rs\n")
    write(tmp_path / "a" / "dropped.rs", UNSCOPED_LOOKUP)
    write(tmp_path / "a" / "keep.rs", UNSCOPED_LOOKUP)
    write(tmp_path / "a" / "inner" / "dropped.rs", UNSCOPED_LOOKUP)
    write(tmp_path / "a" / "inner" / ".gitignore", "!again.rs\n")
    write(tmp_path / "a" / "inner" / "again.rs", UNSCOPED_LOOKUP)
    write(tmp_path / "b" / "dropped.rs", UNSCOPED_LOOKUP)
    write(tmp_path / "b" / "inner" / "keep.rs", UNSCOPED_LOOKUP)
    _, records = check_json(tmp_path)
    assert sorted(path for path, *_ in located(records)) == ["a/inner/again.rs", "a/keep.rs", "b/dropped.rs", "b/inner/keep.rs"]


def test_a_module_declared_for_tests_is_test_code(tmp_path):
    """`#[cfg(test)] mod conformance;` makes conformance.rs, and the modules it declares, test
    code: nothing in those files says so."""
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "host"\nversion = "0.1.0"\n', encoding="utf-8")
    source = tmp_path / "src"
    (source / "conformance").mkdir(parents=True)
    (source / "lib.rs").write_text("pub mod live;\n#[cfg(test)]\nmod conformance;\n", encoding="utf-8")
    (source / "live.rs").write_text(UNSCOPED_LOOKUP, encoding="utf-8")
    (source / "conformance.rs").write_text("mod doubles;\n" + UNSCOPED_LOOKUP, encoding="utf-8")
    (source / "conformance" / "doubles.rs").write_text(UNSCOPED_LOOKUP, encoding="utf-8")
    completed, findings = check_json(tmp_path, ".")
    assert completed.returncode == 1, completed.stderr
    assert sorted(Path(f["path"]).name for f in findings) == ["live.rs"]
    _, with_tests = check_json(tmp_path, ".", "--lint-tests")
    assert sorted(Path(f["path"]).name for f in with_tests) == ["conformance.rs", "doubles.rs", "live.rs"]
