"""The distribution as a user installs it: the sdist and wheel built from this repository,
the wheel installed into a fresh virtual environment that already has top-level packages
named ``checks`` and ``lsp_server`` (a Django app, a test helper folder), and isolint's
command line, rule docs and language server run from there, away from this checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

import isolint

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "tenant-host"
# The user's own packages, which isolint must neither import nor shadow.
USER_PACKAGES = ("checks", "lsp_server")


@pytest.fixture(scope="module")
def distributions(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    # The wheel is built from the sdist, as `python -m build` does by default: both must work.
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
                   check=True, capture_output=True, text=True)
    (wheel,) = out.glob("isolint-*.whl")
    (sdist,) = out.glob("isolint-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


@pytest.fixture(scope="module")
def user_environment(distributions, tmp_path_factory) -> Path:
    """A fresh venv holding the user's ``checks`` and ``lsp_server`` packages, then isolint."""
    venv = tmp_path_factory.mktemp("user") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site_packages = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip())
    for package in USER_PACKAGES:
        (site_packages / package).mkdir()
        (site_packages / package / "__init__.py").write_text(f"OWNER = 'the user'\nNAME = {package!r}\n")
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(distributions["wheel"])],
                   check=True, capture_output=True, text=True)
    return venv


def run_in(venv: Path, *command: str, **options) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    environment["PATH"] = f"{venv / 'bin'}{os.pathsep}{environment.get('PATH', '')}"
    options.setdefault("text", True)
    return subprocess.run(command, capture_output=True, env=environment, **options)


def test_the_wheel_installs_one_top_level_package(distributions):
    names = zipfile.ZipFile(distributions["wheel"]).namelist()
    top_level = sorted({name.split("/", 1)[0] for name in names})
    assert top_level == ["isolint", f"isolint-{isolint.__version__}.dist-info"]
    assert "isolint/checks/rules/unscoped_secret_lookup.py" in names
    assert "isolint/lsp_server/server.py" in names
    assert not any("__pycache__" in name for name in names)


def test_the_sdist_keeps_the_source_layout(distributions):
    with tarfile.open(distributions["sdist"]) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"pyproject.toml", "README.md", "checks/engine.py", "lsp_server/server.py", "isolint/cli.py"} <= names


def test_check_runs_from_the_installed_wheel(user_environment, tmp_path):
    completed = run_in(user_environment, "isolint", "check", str(EXAMPLE), "--format", "json", cwd=tmp_path)
    assert completed.returncode == 1, completed.stderr
    findings = json.loads(completed.stdout)
    assert {finding["code"] for finding in findings} >= {"ISO101", "ISO201", "ISO301", "ISO401"}
    # Run from the repository, it reports the same findings: one engine, wherever it is installed.
    from_checkout = subprocess.run([sys.executable, "-m", "isolint", "check", str(EXAMPLE), "--format", "json"],
                                   capture_output=True, text=True, cwd=tmp_path)
    assert [f["fingerprint"] for f in findings] == [f["fingerprint"] for f in json.loads(from_checkout.stdout)]


def test_report_runs_from_the_installed_wheel(user_environment, tmp_path):
    for output_format, start in (("markdown", "# Multi-tenant readiness"), ("json", "{"), ("html", "<!DOCTYPE html>")):
        output = tmp_path / f"report.{output_format}"
        completed = run_in(user_environment, "isolint", "report", str(EXAMPLE), "--format", output_format,
                           "-o", str(output), "--no-cache", "-q", cwd=tmp_path)
        assert completed.returncode == 0, completed.stderr
        assert output.read_text().startswith(start)


def test_the_user_packages_are_untouched(user_environment, tmp_path):
    program = (
        "import isolint.checks.engine, isolint.lsp_server.server, checks, lsp_server\n"
        "assert checks.OWNER == lsp_server.OWNER == 'the user', (checks, lsp_server)\n"
        "print(isolint.checks.engine.__file__)\n"
    )
    completed = run_in(user_environment, str(user_environment / "bin" / "python"), "-c", program, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert str(user_environment) in completed.stdout


def test_version_and_rule_docs_work_offline(user_environment, tmp_path):
    version = run_in(user_environment, str(user_environment / "bin" / "python"), "-m", "isolint", "--version", cwd=tmp_path)
    assert version.stdout.strip() == f"isolint {isolint.__version__}"
    docs = run_in(user_environment, "isolint", "rule", "ISO101", cwd=tmp_path)
    assert docs.returncode == 0, docs.stderr
    assert docs.stdout.startswith("# unscoped-secret-lookup (ISO101)")
    assert "## Why is this bad?" in docs.stdout


def frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def read_frames(stream: bytes) -> list[dict]:
    messages = []
    while stream:
        header, _, rest = stream.partition(b"\r\n\r\n")
        length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
        messages.append(json.loads(rest[:length]))
        stream = rest[length:]
    return messages


def test_the_installed_server_answers_initialize(user_environment, tmp_path):
    requests = b"".join([
        frame({"jsonrpc": "2.0", "id": 1, "method": "initialize",
               "params": {"processId": None, "rootUri": None, "capabilities": {}}}),
        frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
        frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}),
        frame({"jsonrpc": "2.0", "method": "exit"}),
    ])
    completed = run_in(user_environment, "isolint", "server", input=requests, text=False, cwd=tmp_path, timeout=60)
    assert completed.returncode == 0, completed.stderr
    replies = {message["id"]: message for message in read_frames(completed.stdout) if "id" in message}
    assert replies[1]["result"]["serverInfo"] == {"name": "isolint", "version": isolint.__version__}
    assert replies[2]["result"] is None


def test_one_version_and_one_project_url_everywhere():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "isolint.__version__"}
    assert pyproject["project"]["urls"]["Homepage"] == isolint.PROJECT_URL
    assert all(url.startswith(isolint.PROJECT_URL) for url in pyproject["project"]["urls"].values())
    extension = json.loads((REPO / "editors" / "vscode" / "package.json").read_text())
    assert extension["version"] == isolint.__version__
    assert extension["repository"]["url"] == isolint.PROJECT_URL
    assert extension["homepage"] == isolint.PROJECT_URL
