"""Cross-file fixtures: each folder under tests/fixtures/crates is a small crate whose files
carry ``//~ CODE`` markers; isolint run on the whole crate must report exactly the marked
lines, in whichever file they are (the workspace model sees every file of the crate)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.annotations import expected_findings

CRATES = Path(__file__).parent / "fixtures" / "crates"


def check_crate(crate: str, output_format: str = "json") -> str:
    """``isolint check`` of a fixture crate (test code linted: fixtures live under tests/)."""
    completed = subprocess.run(
        [sys.executable, "-m", "isolint", "check", "--no-cache", "--lint-tests", "--format", output_format, "--exit-zero", str(CRATES / crate)],
        capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


@pytest.mark.parametrize("crate", sorted(p.name for p in CRATES.iterdir() if (p / "Cargo.toml").is_file()))
def test_crate_findings_are_exactly_the_marked_lines(crate: str):
    root = CRATES / crate
    expected: Counter = Counter()
    for file in sorted(root.rglob("*.rs")):
        for (line, code), count in expected_findings(file.read_text()).items():
            expected[(str(file.relative_to(root)), line, code)] += count
    findings = json.loads(check_crate(crate))
    actual = Counter((str(Path(f["path"]).resolve().relative_to(root.resolve())), f["range"]["start"]["line"], f["code"]) for f in findings)
    messages = {(str(Path(f["path"]).resolve().relative_to(root.resolve())), f["range"]["start"]["line"], f["code"]): f["message"] for f in findings}
    missing, unexpected = expected - actual, actual - expected
    assert not missing and not unexpected, f"missing: {sorted(missing)}\nunexpected: {[(k, messages[k]) for k in sorted(unexpected)]}"


def test_a_finding_in_one_file_shows_the_use_in_another():
    findings = json.loads(check_crate("shared_state_across_files"))
    result_cache = next(f for f in findings if "RESULT_CACHE" in f["message"])
    uses = [related for related in result_cache["related"] if (related["path"] or "").endswith("handlers.rs")]
    assert [(use["range"]["start"]["line"], "tenant" in use["message"]) for use in uses] == [(5, True)], result_cache

    # Text output names the other file, with the column of the use in it.
    text = check_crate("shared_state_across_files", "text")
    handlers = (CRATES / "shared_state_across_files" / "src" / "handlers.rs").read_text(encoding="utf-8").splitlines()
    column = uses[0]["range"]["start"]["column"]
    assert handlers[4][column - 1:].startswith("query.to_string()")
    assert f"handlers.rs:5:{column}: " in text

    sarif = json.loads(check_crate("shared_state_across_files", "sarif"))
    result = next(r for r in sarif["runs"][0]["results"] if "RESULT_CACHE" in r["message"]["text"])
    elsewhere = [(related["physicalLocation"]["artifactLocation"]["uri"].rsplit("/", 1)[-1], related["physicalLocation"]["region"]["startColumn"])
                 for related in result["relatedLocations"] if not related["physicalLocation"]["artifactLocation"]["uri"].endswith("caches.rs")]
    assert elsewhere == [("handlers.rs", column)]


def test_a_cached_finding_goes_when_the_use_in_another_file_is_scoped(tmp_path):
    """caches.rs is unchanged, so its result comes from the cache, but the answers it rested
    on (who fills RESULT_CACHE, with which key) changed in handlers.rs: it is analysed again."""
    crate = tmp_path / "crate"
    shutil.copytree(CRATES / "shared_state_across_files", crate)

    def run() -> tuple[list[str], str]:
        completed = subprocess.run(
            [sys.executable, "-m", "isolint", "check", "--lint-tests", "--format", "json", "--exit-zero", "-v",
             "--cache-dir", str(tmp_path / "cache"), str(crate)],
            capture_output=True, text=True, timeout=120,
        )
        assert completed.returncode == 0, completed.stderr
        return [f["message"] for f in json.loads(completed.stdout)], completed.stderr

    messages, _ = run()
    assert any("RESULT_CACHE" in message for message in messages)
    assert run()[1].count("0 files analysed") == 1
    handlers = crate / "src" / "handlers.rs"
    handlers.write_text(handlers.read_text(encoding="utf-8").replace(
        "query.to_string()", "format!(\"{}:{}\", tenant.tenant_id.0, query)"), encoding="utf-8")
    messages, progress = run()
    assert not any("RESULT_CACHE" in message for message in messages), messages
    assert "0 files analysed" not in progress


def test_a_chosen_value_followed_across_files_names_each_step():
    findings = json.loads(check_crate("chosen_value_chains"))
    search = next(f for f in findings if f["code"] == "ISO204" and "its field `trace_id`" in f["message"])
    assert "static `SCANS`" in search["message"] and "`fn register`" in search["message"], search["message"]
    # Each step is a related location in its own file, in the order the value travels: the
    # handler's parameter, the calls passing it on, the keyed call, the store's declaration.
    crate = "tests/fixtures/crates/chosen_value_chains/src/"
    steps = [(related["path"], related["range"]["start"]["line"] + 1, related["message"]) for related in search["related"]]
    assert [(path, line) for path, line, _ in steps] == [
        (None, 31),  # `headers: HeaderMap` in handlers.rs, the finding's own file
        (crate + "plan.rs", 13), (crate + "plan.rs", 17), (crate + "plan.rs", 21),
        (crate + "scan_state.rs", 14), (crate + "scan_state.rs", 7),
    ], steps
    assert [message for _, _, message in steps] == [
        "chosen by the client here", "`fn plan_scan` passes it on", "`fn prepare` passes it on", "`fn stage` passes it on",
        "`fn register` keys static `SCANS` with it", "the store: process-wide",
    ], steps
