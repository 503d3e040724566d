"""The Python side of the VS Code extension's release build: `scripts/bundle_python.py` lays
out isolint and its dependencies for every supported Python version, and the launcher
(`bundled/tool/isolint_server.py`) starts isolint from that layout or says why it cannot.

The real-editor tests (test_vscode.py) package the vsix for the tests' own Python only, to
keep its packaging short; this checks the layout a release ships for all versions."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from isolint import __version__
from tests.editors.editor_tools import EDITORS_CACHE, REPO_ROOT

EXTENSION_DIR = REPO_ROOT / "editors" / "vscode"
BUNDLE_SCRIPT = EXTENSION_DIR / "scripts" / "bundle_python.py"
LAUNCHER = EXTENSION_DIR / "bundled" / "tool" / "isolint_server.py"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """A release layout for this machine's platform: bundled/tool and bundled/libs."""
    bundled = tmp_path_factory.mktemp("extension") / "bundled"
    (bundled / "tool").mkdir(parents=True)
    shutil.copy2(LAUNCHER, bundled / "tool" / LAUNCHER.name)
    env = dict(os.environ, ISOLINT_BUNDLE_CACHE=str(EDITORS_CACHE / "vscode-bundle-deps"))
    process = subprocess.run(
        [sys.executable, str(BUNDLE_SCRIPT), "--libs", str(bundled / "libs")], env=env, capture_output=True, text=True, timeout=600
    )
    assert process.returncode == 0, process.stderr[-3000:]
    return bundled


def probe(python: str, bundled: Path, strategy: str = "useBundled") -> tuple[int, dict]:
    process = subprocess.run(
        [python, str(bundled / "tool" / LAUNCHER.name), "--probe"],
        env=dict(os.environ, ISOLINT_IMPORT_STRATEGY=strategy), cwd=bundled, capture_output=True, text=True, timeout=60,
    )
    return process.returncode, json.loads(process.stdout)


def lsp_messages(stream: bytes) -> list[dict]:
    """The JSON-RPC messages of an LSP byte stream (headers, blank line, body; repeated)."""
    messages = []
    while stream:
        headers, _, rest = stream.partition(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in headers.split(b"\r\n") if line.lower().startswith(b"content-length:"))
        messages.append(json.loads(rest[:length]))
        stream = rest[length:]
    return messages


def test_every_supported_python_gets_its_own_compiled_packages(bundle):
    manifest = json.loads((bundle / "libs" / "manifest.json").read_text())
    assert manifest["isolint"] == __version__
    assert manifest["pythonVersions"] == ["3.11", "3.12", "3.13", "3.14"]
    for version in manifest["pythonVersions"]:
        tag = "cp" + version.replace(".", "")
        compiled = {path.name for path in (bundle / "libs" / tag).rglob("*.so")}
        assert any(name.startswith("_pydantic_core.cpython-" + tag[2:]) for name in compiled), (tag, compiled)
        assert not (bundle / "libs" / tag / "isolint").exists(), "isolint is pure Python: shared, not per version"
    common = bundle / "libs" / "common"
    # The wheel's layout: the engine and the server inside the one top-level package.
    assert (common / "isolint" / "checks" / "rules").is_dir() and (common / "isolint" / "lsp_server" / "server.py").is_file()
    assert not list(common.rglob("__pycache__")) and not (common / "bin").exists()


def test_the_launcher_imports_isolint_from_the_bundle_ahead_of_the_environment(bundle):
    # The tests' own Python has isolint installed from this clone; the bundle must win.
    code, report = probe(sys.executable, bundle)

    assert code == 0, report
    assert report["location"] == str(bundle / "libs" / "common" / "isolint")
    assert report["isolint"] == __version__


def test_the_launcher_starts_the_bundled_server(bundle):
    initialize = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}, "processId": None, "rootUri": None}})
    exit_ = json.dumps({"jsonrpc": "2.0", "method": "exit"})
    frames = "".join(f"Content-Length: {len(body)}\r\n\r\n{body}" for body in (initialize, exit_))

    # Bytes, not text: LSP headers end in \r\n, which text mode would turn into \n.
    process = subprocess.run(
        [sys.executable, str(bundle / "tool" / LAUNCHER.name)], input=frames.encode(), cwd=bundle, capture_output=True, timeout=60
    )

    answers = [message for message in lsp_messages(process.stdout) if message.get("id") == 1]
    assert answers, process.stdout[:2000] + process.stderr[-2000:]
    assert answers[0]["result"]["serverInfo"] == {"name": "isolint", "version": __version__}


def test_a_python_without_a_bundle_is_told_which_versions_are_shipped(bundle, tmp_path):
    # A build for another version only stands in for an interpreter too old or too new.
    other = tmp_path / "bundled"
    shutil.copytree(bundle, other)
    manifest = json.loads((other / "libs" / "manifest.json").read_text())
    (other / "libs" / "manifest.json").write_text(json.dumps({**manifest, "pythonVersions": ["3.99"]}))

    code, report = probe(sys.executable, other)

    assert code == 1
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert report["problem"] == f"Python {version} has no bundled isolint (this build ships it for Python 3.99)"


def test_from_environment_imports_only_what_the_interpreter_has(bundle, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)

    code, report = probe(str(venv / "bin" / "python"), bundle, strategy="fromEnvironment")

    assert code == 1
    assert report["problem"] == "cannot import isolint (No module named 'isolint')"


def test_a_single_version_build_still_marks_the_version_it_ships(tmp_path):
    bundled = tmp_path / "bundled"
    (bundled / "tool").mkdir(parents=True)
    shutil.copy2(LAUNCHER, bundled / "tool" / LAUNCHER.name)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    env = dict(os.environ, ISOLINT_BUNDLE_CACHE=str(EDITORS_CACHE / "vscode-bundle-deps"))
    subprocess.run(
        [sys.executable, str(BUNDLE_SCRIPT), "--libs", str(bundled / "libs"), "--python-versions", version],
        env=env, check=True, capture_output=True, timeout=600,
    )

    # Packaging keeps files only: nothing may depend on an empty folder.
    for folder in sorted((bundled / "libs").rglob("*"), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()

    code, report = probe(sys.executable, bundled)

    assert code == 0, report
    assert report["location"] == str(bundled / "libs" / "common" / "isolint")

