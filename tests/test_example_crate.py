"""The example crate through the installed CLI: isolint reports exactly the lines marked
``// expect: CODE`` in examples/tenant-host, and nothing on the safe look-alikes beside them.
``// expect^: CODE`` marks the line above (one ``^`` per line), for statements that rustfmt
spreads over several lines.

Only codes of rules in the registry are compared, so the test tightens by itself as rules
land; a marker naming an unregistered code is checked once its rule exists.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from isolint.checks.rules import all_rules

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "tenant-host"
EXPECT_MARKER = re.compile(r"//\s*expect(?P<up>\^*):\s*(?P<codes>ISO\d{3}(?:\s*,\s*ISO\d{3})*)\s*$")


def isolint_executable() -> str:
    beside_python = Path(sys.executable).with_name("isolint")
    found = str(beside_python) if beside_python.exists() else shutil.which("isolint")
    assert found, "the isolint console script is not installed (pip install -e .)"
    return found


def run_isolint(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([isolint_executable(), *arguments], cwd=ROOT, capture_output=True, text=True, timeout=300)


def expected_findings(registered: set[str]) -> Counter:
    expected: Counter = Counter()
    for path in sorted(EXAMPLE.rglob("*.rs")):
        if "target" in path.relative_to(EXAMPLE).parts:
            continue
        relative = path.relative_to(ROOT).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = EXPECT_MARKER.search(line)
            if match is None:
                continue
            target = number - len(match.group("up"))
            for code in re.split(r"\s*,\s*", match.group("codes")):
                if code in registered:
                    expected[(relative, target, code)] += 1
    return expected


def _describe(counter: Counter, messages: dict) -> str:
    return "\n".join(
        f"  {path}:{line}: {code}" + (f" — {messages[(path, line, code)]}" if (path, line, code) in messages else "")
        for (path, line, code) in sorted(counter)
    ) or "  none"


@pytest.fixture(scope="module")
def json_report() -> tuple[subprocess.CompletedProcess, list[dict]]:
    completed = run_isolint("check", "--no-cache", "examples/tenant-host", "--format", "json")
    return completed, json.loads(completed.stdout)


def test_every_marker_names_a_known_family():
    families = {"ISO0", "ISO1", "ISO2", "ISO3", "ISO4"}
    for path in EXAMPLE.rglob("*.rs"):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = EXPECT_MARKER.search(line)
            if match:
                assert all(code[:4] in families for code in re.split(r"\s*,\s*", match.group("codes"))), line


def test_findings_are_exactly_the_marked_lines(json_report):
    completed, records = json_report
    registered = {rule.code for rule in all_rules()}
    expected = expected_findings(registered)
    actual = Counter((r["path"], r["range"]["start"]["line"], r["code"]) for r in records)
    messages = {(r["path"], r["range"]["start"]["line"], r["code"]): r["message"] for r in records}
    missing = expected - actual
    unexpected = actual - expected
    assert not missing and not unexpected, (
        f"\nmissing (marked, not reported):\n{_describe(missing, messages)}"
        f"\nunexpected (reported, not marked):\n{_describe(unexpected, messages)}\nstderr: {completed.stderr}"
    )


def test_exit_code_and_clean_stderr(json_report):
    completed, records = json_report
    assert completed.returncode == (1 if records else 0), completed.stderr
    assert "error" not in completed.stderr, completed.stderr


def test_config_of_the_example_applies(json_report):
    """isolint.toml raises every secrets rule to error; the other families keep their default."""
    _, records = json_report
    secret_findings = [r for r in records if r["code"].startswith("ISO1")]
    if not secret_findings:
        pytest.skip("no secrets rule registered yet")
    assert {r["severity"] for r in secret_findings} == {"error"}
    defaults = {rule.code: rule.default_severity.value for rule in all_rules()}
    for record in records:
        if not record["code"].startswith("ISO1"):
            assert record["severity"] == defaults[record["code"]], record


def test_audited_singleton_is_suppressed_with_its_reason():
    if "ISO401" not in {rule.code for rule in all_rules()}:
        pytest.skip("ISO401 not registered yet")
    completed = run_isolint("check", "--no-cache", "examples/tenant-host", "--format", "sarif")
    results = json.loads(completed.stdout)["runs"][0]["results"]
    suppressed = [r for r in results if r.get("suppressions")]
    located = {
        (r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["ruleId"]): r["suppressions"][0]
        for r in suppressed
    }
    suppression = located.get(("examples/tenant-host/src/shared.rs", "ISO401"))
    assert suppression is not None, suppressed
    assert suppression["kind"] == "inSource"
    assert suppression["justification"].startswith("process-wide counters only")


@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed")
def test_example_is_valid_rust(tmp_path):
    environment = {**os.environ, "CARGO_TARGET_DIR": str(tmp_path / "target")}
    completed = subprocess.run(
        ["cargo", "check", "--offline", "--locked", "--quiet", "--all-targets", "--manifest-path", str(EXAMPLE / "Cargo.toml")],
        capture_output=True, text=True, env=environment, timeout=600,
    )
    assert completed.returncode == 0, completed.stderr
    assert "warning" not in completed.stderr, completed.stderr


@pytest.mark.skipif(shutil.which("cargo") is None or shutil.which("rustfmt") is None, reason="cargo fmt is not installed")
def test_example_is_rustfmt_clean():
    completed = subprocess.run(
        ["cargo", "fmt", "--check", "--manifest-path", str(EXAMPLE / "Cargo.toml")],
        capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
