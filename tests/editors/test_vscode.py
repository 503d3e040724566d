"""Real VS Code (code-server) in headless Chromium with the packaged isolint extension.

The extension is packaged by `npm run package` (isolint and its Python dependencies bundled
for this platform) and installed into throwaway code-servers that the tests of this module
share; each test opens its own crate. The code-servers run as a new user's would: no
`isolint` on PATH and no isolint setting, with a `python3` on PATH that has no isolint, so
the extension's default (`useBundled`) is what runs unless a test's workspace settings say
otherwise. The Playwright driver (`vscode_driver.js`) opens a Rust file, waits for the
squiggle, reads the Problems panel, the inlay hint and the hover, changes workspace
settings, applies a quick fix with Ctrl+. and Enter or runs a command, saves, and waits
for the problem to clear. The file on disk after the save is the text the fixes produced;
the isolint output channel's log file is what the user's Output view shows.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.editors.crates import (
    CRATE_AFTER_FIX,
    CRATE_WITH_STALE_SUPPRESSION,
    FLOW_ID_KEYED_LINE,
    FLOW_REGISTRIES,
    MIXED_FIXES,
    MIXED_FIXES_AFTER_FIX_ALL,
    make_crate,
)
from tests.editors.editor_tools import EDITORS_CACHE, REPO_ROOT, missing_tool, playwright_core_path, tool_path

CODE_SERVER_VERSION = "4.100.3"
EXTENSION_DIR = REPO_ROOT / "editors" / "vscode"
DRIVER = Path(__file__).with_name("vscode_driver.js")
PYTHON_EXTENSION_STAND_IN = Path(__file__).with_name("python_extension_stand_in")
SCREENSHOT = REPO_ROOT / "docs" / "images" / "vscode-quickfix.png"
WAIT_MS = 30_000
WATCHDOG_MS = 50_000
PROCESS_TIMEOUT_S = 60
STARTUP_TIMEOUT_S = 30

# Everything that would phone home, nag or gate the workspace is off: the test must see only
# VS Code and the extension.
USER_SETTINGS = {
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "security.workspace.trust.enabled": False,
    "chat.disableAIFeatures": True,
    "chat.commandCenter.enabled": False,
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "workbench.enableExperiments": False,
    "git.enabled": False,
    "files.autoSave": "off",
}


@pytest.fixture(scope="module")
def vscode_tools() -> dict[str, Path]:
    tools = {
        "code_server": tool_path(
            "CODE_SERVER", [EDITORS_CACHE / f"code-server-{CODE_SERVER_VERSION}" / "node_modules" / ".bin" / "code-server"]
        ),
        "playwright_core": playwright_core_path(),
        "chromium": tool_path("CHROMIUM", [], on_path="chromium"),
        "npm": tool_path("NPM", [], on_path="npm"),
    }
    for name, path in tools.items():
        if path is None:
            missing_tool(name.replace("_", "-"))
    return tools


@pytest.fixture(scope="module")
def vsix(vscode_tools, tmp_path_factory) -> Path:
    """The extension as `npm run package` builds it, with the bundled libraries for the
    tests' own Python only: the code-servers' python3 is that version, and zipping the
    other versions' compiled libraries would only make packaging slower (their layout is
    checked in test_vscode_bundle.py)."""
    if not (EXTENSION_DIR / "node_modules" / ".bin" / "vsce").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=EXTENSION_DIR, check=True, capture_output=True)
    out = tmp_path_factory.mktemp("vsix") / "isolint.vsix"
    # The Python dependencies are cached beside the editors, so only a new machine downloads them.
    env = dict(os.environ, PYTHON=sys.executable, ISOLINT_BUNDLE_CACHE=str(EDITORS_CACHE / "vscode-bundle-deps"))
    process = subprocess.run(
        ["npm", "run", "package", "--", "--out", str(out), "--python-versions", f"{sys.version_info.major}.{sys.version_info.minor}"],
        cwd=EXTENSION_DIR, env=env, capture_output=True, text=True,
    )
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-3000:]
    return out


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def user_path(tmp_path_factory) -> str:
    """PATH as a new user's: no `isolint` on it, and first a `python3` without isolint.

    The tests' own environment has isolint installed (its bin/ is on PATH, and a system
    Python may have it too), which would hide what a user without it sees."""
    venv = tmp_path_factory.mktemp("python-without-isolint")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    folders = [folder for folder in os.environ.get("PATH", "").split(os.pathsep) if folder and not (Path(folder) / "isolint").exists()]
    path = os.pathsep.join([str(venv / "bin"), *folders])
    assert shutil.which("isolint", path=path) is None
    probe = subprocess.run([str(venv / "bin" / "python3"), "-c", "import isolint"], cwd=venv, capture_output=True)
    assert probe.returncode != 0, "the python3 on the user's PATH must not have isolint"
    return path


@dataclass
class CodeServer:
    url: str
    user_data: Path
    tools: dict[str, Path]

    def output_log(self, since: float) -> str:
        """The isolint output channel of the newest window opened after ``since`` (epoch s):
        VS Code writes each output channel to a file under the user-data logs, in a folder
        named when the window's extension host started (``output_logging_<time>``). The newest
        folder, not the newest write: an earlier window's server may still be logging."""
        logs = [log for log in self.user_data.glob("logs/**/*isolint*.log") if log.stat().st_mtime >= since]
        assert logs, f"no isolint output channel log under {self.user_data / 'logs'}"
        return max(logs, key=lambda log: (log.parent.name, log.stat().st_mtime)).read_text()


def install_extensions(tools, home: Path, *vsixes: Path) -> Path:
    extensions = home / "extensions"
    for vsix_file in vsixes:
        subprocess.run(
            [str(tools["code_server"]), "--user-data-dir", str(home / "user-data"), "--extensions-dir", str(extensions), "--install-extension", str(vsix_file)],
            env=dict(os.environ, HOME=str(home)), check=True, capture_output=True, timeout=PROCESS_TIMEOUT_S,
        )
    return extensions


@pytest.fixture(scope="module")
def extensions_dir(vscode_tools, vsix, tmp_path_factory) -> Path:
    """The packaged extension installed once, for the code-servers of a new user."""
    return install_extensions(vscode_tools, tmp_path_factory.mktemp("vscode-install"), vsix)


@pytest.fixture(scope="module")
def python_extension_vsix(vsix, tmp_path_factory) -> Path:
    """tests/editors/python_extension_stand_in packaged: the real Python extension cannot be
    installed offline, and the isolint extension only uses its environments API."""
    source = tmp_path_factory.mktemp("python-extension") / "stand-in"
    shutil.copytree(PYTHON_EXTENSION_STAND_IN, source)
    out = source.parent / "ms-python.python.vsix"
    vsce = EXTENSION_DIR / "node_modules" / "@vscode" / "vsce" / "vsce"
    subprocess.run(
        ["node", str(vsce), "package", "--allow-missing-repository", "--skip-license", "--out", str(out)],
        cwd=source, check=True, capture_output=True, timeout=PROCESS_TIMEOUT_S,
    )
    return out


@pytest.fixture(scope="module")
def code_server_with_python_extension(vscode_tools, vsix, python_extension_vsix, user_path, tmp_path_factory):
    """A new user's code-server, but with the Python extension (its stand-in) installed."""
    home = tmp_path_factory.mktemp("vscode-home-python")
    extensions = install_extensions(vscode_tools, home / "install", vsix, python_extension_vsix)
    with running_code_server(vscode_tools, extensions, home, user_path, USER_SETTINGS, ["--disable-workspace-trust"]) as server:
        yield server


@contextmanager
def running_code_server(tools, extensions: Path, home: Path, path: str, user_settings: dict, extra_args=()):
    """A code-server with only the isolint extension, its user data in ``home``."""
    user_data = home / "user-data"
    # The extension host takes PATH from the user's login shell, as VS Code does on Linux:
    # the profile says what it is.
    (home / ".profile").write_text(f"export PATH={shlex.quote(path)}\n")
    (user_data / "User").mkdir(parents=True)
    (user_data / "User" / "settings.json").write_text(json.dumps(user_settings))
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"), PATH=path)
    # This machine's environment tells Python not to write bytecode; a user's rarely does, and
    # without it every server start recompiles the bundled libraries.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    binary = str(tools["code_server"])
    dirs = ["--user-data-dir", str(user_data), "--extensions-dir", str(extensions)]

    port = free_port()
    log = (home / "code-server.log").open("w")
    server = subprocess.Popen(
        [binary, *dirs, "--auth", "none", "--bind-addr", f"127.0.0.1:{port}", "--disable-telemetry",
         "--disable-update-check", "--disable-getting-started-override", *extra_args],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, server)
        yield CodeServer(url, user_data, tools)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def code_server(vscode_tools, extensions_dir, user_path, tmp_path_factory):
    """The code-server most tests share: workspace trust off, so workspace settings apply."""
    with running_code_server(
        vscode_tools, extensions_dir, tmp_path_factory.mktemp("vscode-home"), user_path, USER_SETTINGS, ["--disable-workspace-trust"]
    ) as server:
        yield server


@pytest.fixture(scope="module")
def trusting_code_server(vscode_tools, extensions_dir, user_path, tmp_path_factory):
    """A code-server that asks whether to trust each folder it opens, as VS Code does by default."""
    settings = {**USER_SETTINGS, "security.workspace.trust.enabled": True, "security.workspace.trust.startupPrompt": "always"}
    with running_code_server(vscode_tools, extensions_dir, tmp_path_factory.mktemp("vscode-home-trust"), user_path, settings) as server:
        yield server


def wait_until_serving(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"code-server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail("code-server did not start serving")


def run_vscode(code_server: CodeServer, tmp_path: Path, folder: Path, file: str, **spec) -> dict:
    spec_file, result_file = tmp_path / "spec.json", tmp_path / "result.json"
    spec_file.write_text(json.dumps({
        "playwrightCore": str(code_server.tools["playwright_core"]),
        "chromium": str(code_server.tools["chromium"]),
        "url": code_server.url,
        "folder": str(folder),
        "file": file,
        "waitMs": WAIT_MS,
        "watchdogMs": WATCHDOG_MS,
        "failureScreenshot": str(tmp_path / "failure.png"),
        **spec,
    }))
    process = subprocess.run(
        ["node", str(DRIVER), str(spec_file), str(result_file)], capture_output=True, text=True, timeout=PROCESS_TIMEOUT_S
    )
    assert result_file.exists(), f"the driver wrote no result (exit {process.returncode}):\n{process.stderr}"
    result = json.loads(result_file.read_text())
    assert "error" not in result, f"{result['error']}\n(screenshot: {tmp_path / 'failure.png'})\n{process.stderr}"
    # Where a slow run spent its time (shown with -rP or on failure).
    print("driver stages (ms since start):", result["stage_started_ms"])
    return result


def workspace_settings(crate: Path, settings: dict) -> None:
    (crate / ".vscode").mkdir(exist_ok=True)
    (crate / ".vscode" / "settings.json").write_text(json.dumps(settings))


def start_line(log: str, strategy: str) -> str:
    """The extension's line saying which isolint it started with ``strategy``, run by which
    interpreter. Not simply the first line: the code-server is shared by a module's tests,
    and another window's server may log in the same span."""
    return next((line for line in log.splitlines() if f"({strategy})" in line and "starting isolint" in line), log)


def assert_started_bundled_isolint(log: str) -> None:
    started = start_line(log, "useBundled")
    assert "bundled/libs/common/isolint" in started and "(python3 on PATH)" in started and "(useBundled)" in started, started


def assert_each_server_log_line_once(log: str) -> None:
    # Before, every server log line came twice: once as a log message and once copied from
    # the server's stderr ("2025-… INFO isolint.lsp_server.server: …").
    assert sum("position encoding" in line for line in log.splitlines()) == 1, log
    assert " INFO isolint." not in log and " WARNING pygls." not in log, log
    assert "Cancel notification for unknown message id" not in log, log


def test_flow_id_keyed_registry_is_flagged_and_allowed_by_quick_fix(code_server, tmp_path):
    """With no isolint on PATH and no isolint setting, the bundled isolint serves the file."""
    lib = make_crate(tmp_path / "registry", FLOW_REGISTRIES)
    settings_file = tmp_path / "registry" / ".vscode" / "settings.json"
    workspace_settings(tmp_path / "registry", {"isolint.severity": {"ISO201": "error"}})
    line = FLOW_ID_KEYED_LINE + 1
    screenshot = tmp_path / "quickfix.png"
    since = time.time()

    result = run_vscode(
        code_server, tmp_path, tmp_path / "registry", "src/lib.rs",
        # ISO201 is a warning by default. Error at start: the workspace settings reached the
        # server's initializationOptions; removing them must restore the default, and adding
        # them back must reach the running server.
        squiggle="error",
        workspaceSettings=str(settings_file),
        settingsChanges=[
            {"settings": None, "squiggle": "warning"},
            {"settings": {"isolint.severity": {"ISO201": "error"}}, "squiggle": "error"},
            {"settings": None, "squiggle": "warning"},
        ],
        screenshot=str(screenshot),
        problem={"code": "ISO201", "text": "is keyed by `String`"},
        quickFix={"line": line, "column": 5, "lineText": "HashMap<String, Flow>", "title": "Allow ISO201 here"},
    )

    flagged = [row for row in result["problems"] if "ISO201" in row]
    assert len(flagged) == 1 and f"[Ln {line}, Col 5]" in flagged[0], result["problems"]
    assert "no pack id" in flagged[0]
    assert "no pack_id" in result["finding_line_text"], "the inlay hint on the key"
    assert "flow-id-keyed-map" in result["hover_text"], "the rule's docs on hover"
    assert result["found_action"], result.get("menu_actions")
    lines_after = lib.read_text().splitlines()
    assert lines_after[FLOW_ID_KEYED_LINE].strip().startswith("// isolint: allow(ISO201) reason:")
    assert lines_after[FLOW_ID_KEYED_LINE + 1:] == FLOW_REGISTRIES.splitlines()[FLOW_ID_KEYED_LINE:]
    assert not any("is keyed by" in row for row in result["problems_after_save"])
    # ISO001 asks for the inserted `<why>` placeholder to be replaced by a reason.
    assert any("placeholder reason" in row for row in result["problems_after_save"]), result["problems_after_save"]
    log = code_server.output_log(since)
    assert_started_bundled_isolint(log)
    assert_each_server_log_line_once(log)
    if os.environ.get("ISOLINT_UPDATE_SCREENSHOT"):
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(screenshot, SCREENSHOT)


def test_fix_all_on_save_applies_only_safe_fixes_and_diagnostics_are_pulled_after_the_save(code_server, tmp_path):
    lib = make_crate(tmp_path / "greeter", MIXED_FIXES)
    workspace_settings(tmp_path / "greeter", {"isolint.fixAllOnSave": True, "isolint.trace.server": "messages"})
    problem = "unused suppression: no ISO401 finding here"
    since = time.time()

    result = run_vscode(
        code_server, tmp_path, tmp_path / "greeter", "src/lib.rs",
        squiggle="warning",
        problem={"code": "ISO002", "text": problem},
        save=True,
        settleMs=1000,
    )

    assert any(problem in row for row in result["problems"]), result["problems"]
    assert lib.read_text() == MIXED_FIXES_AFTER_FIX_ALL
    assert not any(problem in row for row in result["problems_after_save"])
    assert any("ISO101" in row for row in result["problems_after_save"]), "the unsafe fix is not applied on save"
    # The client's pull options are set explicitly: on save it pulls the diagnostics again.
    trace = code_server.output_log(since)
    after_save = trace[trace.rindex("Sending notification 'textDocument/didSave'"):]
    assert "Sending request 'textDocument/diagnostic" in after_save, after_save[:3000]


def test_code_actions_on_save_with_source_fix_all_isolint_applies_only_safe_fixes(code_server, tmp_path):
    lib = make_crate(tmp_path / "greeter", MIXED_FIXES)
    workspace_settings(tmp_path / "greeter", {"editor.codeActionsOnSave": {"source.fixAll.isolint": "explicit"}})
    problem = "unused suppression: no ISO401 finding here"

    result = run_vscode(
        code_server, tmp_path, tmp_path / "greeter", "src/lib.rs",
        squiggle="warning",
        problem={"code": "ISO002", "text": problem},
        save=True,
    )

    assert lib.read_text() == MIXED_FIXES_AFTER_FIX_ALL
    assert not any(problem in row for row in result["problems_after_save"])
    assert any("ISO101" in row for row in result["problems_after_save"]), "the unsafe fix is not applied on save"


def test_from_environment_runs_the_venv_interpreters_isolint_and_fix_all_command_applies_safe_fixes(code_server, tmp_path):
    lib = make_crate(tmp_path / "greeter", CRATE_WITH_STALE_SUPPRESSION)
    # The tests' own virtual environment, where isolint is installed from this clone. With a
    # wrong command line (extra args included) the server would exit and no squiggle show.
    assert sys.prefix != sys.base_prefix, "the tests run in a virtual environment"
    workspace_settings(tmp_path / "greeter", {
        "isolint.importStrategy": "fromEnvironment",
        "isolint.interpreter": sys.executable,
        "isolint.serverArgs": ["--log-level", "debug"],
    })
    problem = "unused suppression: no ISO401 finding here"
    since = time.time()

    result = run_vscode(
        code_server, tmp_path, tmp_path / "greeter", "src/lib.rs",
        squiggle="warning",
        problem={"code": "ISO002", "text": problem},
        command="isolint: Fix All in File",
    )

    assert lib.read_text() == CRATE_AFTER_FIX
    assert not any(problem in row for row in result["problems_after_save"])
    started = start_line(code_server.output_log(since), "fromEnvironment")
    assert f"from {REPO_ROOT / 'isolint'}, run by {sys.executable} (isolint.interpreter)" in started, started


def test_a_server_that_cannot_start_names_each_attempt_and_what_to_do(code_server, tmp_path):
    make_crate(tmp_path / "greeter", CRATE_WITH_STALE_SUPPRESSION)
    # The python3 on the user's PATH has no isolint, and there is no isolint on PATH.
    workspace_settings(tmp_path / "greeter", {"isolint.importStrategy": "fromEnvironment"})

    result = run_vscode(
        code_server, tmp_path, tmp_path / "greeter", "src/lib.rs",
        expectNotification="could not find a way to start the isolint language server",
    )

    message = next(text for text in result["notifications"] if "could not find a way" in text)
    assert "(python3 on PATH): cannot import isolint" in message, message
    assert "isolint on PATH: not found" in message, message
    assert "install isolint into one of these interpreters" in message, message
    assert "undefined" not in message, message


def test_untrusted_workspace_never_runs_a_program_its_settings_name(trusting_code_server, tmp_path):
    crate = tmp_path / "untrusted"
    make_crate(crate, CRATE_WITH_STALE_SUPPRESSION)
    # What a hostile repository could ship and name in its .vscode/settings.json: each would
    # leave a mark if run.
    ran = tmp_path / "a-workspace-program-ran"
    for program in (crate / "tools" / "isolint", crate / ".venv" / "bin" / "python"):
        program.parent.mkdir(parents=True)
        program.write_text(f"#!/bin/sh\necho {program.name} >> {shlex.quote(str(ran))}\nexit 1\n")
        program.chmod(0o755)
    workspace_settings(crate, {
        "isolint.path": str(crate / "tools" / "isolint"),
        "isolint.interpreter": str(crate / ".venv" / "bin" / "python"),
        "isolint.importStrategy": "fromEnvironment",
    })
    problem = "unused suppression: no ISO401 finding here"
    since = time.time()

    run_vscode(
        trusting_code_server, tmp_path, crate, "src/lib.rs",
        trust=False,  # "No, I don't trust the authors": Restricted Mode
        squiggle="warning",
        problem={"code": "ISO002", "text": problem},
    )

    assert not ran.exists(), ran.read_text()
    # The user's own setup serves the file: the bundled isolint, as without any setting.
    assert_started_bundled_isolint(trusting_code_server.output_log(since))


def test_the_python_extensions_selected_interpreter_runs_the_server(code_server_with_python_extension, tmp_path):
    crate = tmp_path / "greeter"
    make_crate(crate, CRATE_WITH_STALE_SUPPRESSION)
    # The interpreter selected in the Python extension has isolint; the python3 on PATH has not.
    workspace_settings(crate, {"python.defaultInterpreterPath": sys.executable, "isolint.importStrategy": "fromEnvironment"})
    since = time.time()

    run_vscode(
        code_server_with_python_extension, tmp_path, crate, "src/lib.rs",
        squiggle="warning",
        problem={"code": "ISO002", "text": "unused suppression: no ISO401 finding here"},
    )

    started = start_line(code_server_with_python_extension.output_log(since), "fromEnvironment")
    assert f"run by {sys.executable} (the Python extension's selected interpreter)" in started, started

