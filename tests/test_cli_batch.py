"""CI-grade `isolint check`, through the installed entry point: output formats, exit codes,
fixes on CRLF/BOM files, --diff, baselines, the result cache and parallel workers."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from isolint.checks.parsing import parse
from tests.rule_inputs import corpus_sample

FIXTURES = Path(__file__).parent / "fixtures"
ISOLINT = shutil.which("isolint", path=str(Path(sys.executable).parent)) or shutil.which("isolint")

# A realistic host module: one shared singleton (ISO401) and one flow-id keyed registry
# (ISO201), with a safe look-alike of each beside them.
HOST = """\
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

static FLOW_CACHE: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
static SCHEMA_VERSION: &str = "v3";

pub struct FlowEngine {
    flows: HashMap<String, String>,
}

impl FlowEngine {
    pub fn register(&mut self, flow_id: String, body: String) {
        self.flows.insert(flow_id, body);
    }
}

pub struct ScopedEngine {
    flows: HashMap<(String, String), String>,
}

impl ScopedEngine {
    pub fn register(&mut self, pack_id: String, flow_id: String, body: String) {
        self.flows.insert((pack_id, flow_id), body);
    }
}
"""

CLEAN = """\
pub fn add(left: u64, right: u64) -> u64 {
    left + right
}
"""

# An ISO002 finding with a safe fix: a suppression on a line that has nothing to suppress.
STALE_SUPPRESSION = "let x = 1; // isolint: allow(ISO401) reason: was a static once"


def isolint(*args: str | Path, cwd: Path, text: bool = True) -> subprocess.CompletedProcess:
    """Run the installed console script; ``text=False`` keeps output bytes (CRLF) exact."""
    assert ISOLINT, "the isolint console script is not installed"
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    return subprocess.run([ISOLINT, *map(str, args)], cwd=cwd, capture_output=True, text=text, env=env, timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "host.rs").write_text(HOST)
    (tmp_path / "src" / "lib.rs").write_text(CLEAN)
    return tmp_path


def _json(result: subprocess.CompletedProcess):
    return json.loads(result.stdout)


# --- formats and exit codes -------------------------------------------------------------

def test_text_reports_findings_and_exits_one(project: Path):
    result = isolint("check", "--no-cache", cwd=project)
    assert result.returncode == 1, result.stderr
    assert "warning[ISO401]: shared-mutable-singleton" in result.stdout
    assert "--> src/host.rs:4:8" in result.stdout
    assert "--> src/host.rs:8:5" in result.stdout
    assert "SCHEMA_VERSION" not in result.stdout
    assert "Found 2 findings in 2 files." in result.stdout


def test_clean_code_exits_zero(project: Path):
    result = isolint("check", "--no-cache", "src/lib.rs", cwd=project)
    assert result.returncode == 0
    assert result.stdout == "All checks passed (1 file).\n"


def test_exit_zero_and_quiet(project: Path):
    result = isolint("check", "--no-cache", "--exit-zero", "--quiet", cwd=project)
    assert result.returncode == 0
    assert "ISO401" in result.stdout
    assert "Found" not in result.stdout and "passed" not in result.stdout


def test_missing_path_is_an_error_naming_it(project: Path):
    result = isolint("check", "--no-cache", "src/nope.rs", cwd=project)
    assert result.returncode == 2
    assert "src/nope.rs: no such file or directory" in result.stderr


def test_json_lines_is_one_record_per_line(project: Path):
    result = isolint("check", "--no-cache", "--format", "json-lines", cwd=project)
    assert result.returncode == 1
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["code"], r["path"], r["range"]["start"]["line"]) for r in records] == [
        ("ISO401", "src/host.rs", 4),
        ("ISO201", "src/host.rs", 8),
    ]
    assert records == _json(isolint("check", "--no-cache", "--format", "json", cwd=project))


def test_github_annotations(project: Path):
    result = isolint("check", "--no-cache", "--format", "github", cwd=project)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    pattern = re.compile(r"^::(error|warning|notice) file=([^,]+),line=(\d+),endLine=(\d+),col=(\d+),endColumn=(\d+),title=(ISO\d{3}) ([a-z-]+)::(.+)$")
    parsed = [pattern.match(line) for line in lines]
    assert all(parsed), lines
    assert [(m.group(1), m.group(2), m.group(3), m.group(5), m.group(7)) for m in parsed] == [
        ("warning", "src/host.rs", "4", "8", "ISO401"),
        ("warning", "src/host.rs", "8", "5", "ISO201"),
    ]


def test_github_escapes_property_and_message_separators(tmp_path: Path):
    # A comma or colon in the path would otherwise start a new property; a newline in the
    # message (the fix help) would end the command.
    odd = tmp_path / "tenant,a:b.rs"
    odd.write_text(f"fn f() {{\n    {STALE_SUPPRESSION}\n}}\n")
    result = isolint("check", "--no-cache", "--format", "github", odd.name, cwd=tmp_path)
    assert result.returncode == 1
    (line,) = result.stdout.splitlines()
    assert line.startswith("::warning file=tenant%2Ca%3Ab.rs,line=2,")
    assert "%0Ahelp: Remove unused suppression (safe fix)" in line


def test_sarif_validates_and_carries_suppression_justification(project: Path):
    jsonschema = pytest.importorskip("jsonschema")
    host = project / "src" / "host.rs"
    host.write_text(HOST.replace(
        "static FLOW_CACHE",
        "// isolint: allow(ISO401) reason: filled once at startup from the host manifest\nstatic FLOW_CACHE",
    ))
    result = isolint("check", "--no-cache", "--format", "sarif", cwd=project)
    assert result.returncode == 1
    document = _json(result)
    schema = json.loads((FIXTURES / "sarif" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(document, schema)
    run = document["runs"][0]
    descriptor = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "ISO401")
    assert descriptor["help"]["markdown"].startswith("# shared-mutable-singleton (ISO401)")
    suppressed = [r for r in run["results"] if r.get("suppressions")]
    assert [r["ruleId"] for r in suppressed] == ["ISO401"]
    assert suppressed[0]["suppressions"][0]["justification"] == "filled once at startup from the host manifest"
    assert all(r["partialFingerprints"]["isolint/v1"] for r in run["results"])
    assert run["invocations"][0]["executionSuccessful"] is True


def test_statistics(project: Path):
    result = isolint("check", "--no-cache", "--statistics", "--quiet", cwd=project)
    assert result.stdout.splitlines()[-2:] == ["    1  ISO201  flow-id-keyed-map", "    1  ISO401  shared-mutable-singleton"]


# --- fixes --------------------------------------------------------------------------------

def _stale(eol: str, bom: bool = False) -> bytes:
    text = eol.join(["fn handler() {", f"    {STALE_SUPPRESSION}", "    // isolint: allow(ISO401) reason: nothing below", "    let y = 2;", "}", ""])
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def _fixed(eol: str, bom: bool = False) -> bytes:
    text = eol.join(["fn handler() {", "    let x = 1;", "    let y = 2;", "}", ""])
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


@pytest.mark.parametrize("eol,bom", [("\n", False), ("\r\n", False), ("\r\n", True), ("\n", True)], ids=["lf", "crlf", "crlf-bom", "lf-bom"])
def test_fix_round_trip_keeps_line_endings_and_bom(tmp_path: Path, eol: str, bom: bool):
    target = tmp_path / "handler.rs"
    target.write_bytes(_stale(eol, bom))
    result = isolint("check", "--no-cache", "--fix", "--show-fixes", "handler.rs", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert target.read_bytes() == _fixed(eol, bom)
    assert "2 × ISO002 (unused-suppression): Remove unused suppression" in result.stdout
    assert "Fixed 2 findings in 1 file." in result.stdout
    again = isolint("check", "--no-cache", "--fix", "handler.rs", cwd=tmp_path)
    assert again.returncode == 0
    assert target.read_bytes() == _fixed(eol, bom)
    assert "Fixed" not in again.stdout


def test_fix_keeps_permissions_and_leaves_no_temporary_files(tmp_path: Path):
    target = tmp_path / "handler.rs"
    target.write_bytes(_stale("\n"))
    target.chmod(0o640)
    assert isolint("check", "--no-cache", "--fix", cwd=tmp_path).returncode == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["handler.rs"]


# The user a root test run drops to: `nobody`/`nogroup` on Debian-like systems.
UNPRIVILEGED_ID = 65534
RUNNING_AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _drop_to_unprivileged() -> None:
    os.setgroups([])
    os.setgid(UNPRIVILEGED_ID)
    os.setuid(UNPRIVILEGED_ID)


def isolint_unprivileged(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    """Run the console script as a user without root's licence to write any file: the test's
    own user when it is not root; else uid and gid 65534 with no supplementary groups
    (through ``setpriv`` when installed, else by dropping them in the child before exec)."""
    if not RUNNING_AS_ROOT:
        return isolint(*args, cwd=cwd)
    command = [ISOLINT, *map(str, args)]
    setpriv = shutil.which("setpriv")
    if setpriv:
        command = [setpriv, f"--reuid={UNPRIVILEGED_ID}", f"--regid={UNPRIVILEGED_ID}", "--clear-groups", *command]
    preexec = None if setpriv else _drop_to_unprivileged
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, timeout=120, preexec_fn=preexec)
    if "Permission denied" in completed.stderr and ISOLINT in completed.stderr:
        pytest.skip(f"the unprivileged user cannot run {ISOLINT}: its virtual environment is private to root "
                    "(.ci/run makes its own readable)")
    return completed


@pytest.fixture
def unprivileged_dir():
    """A folder the unprivileged user owns and can reach (pytest's own tmp folders are
    private to root): replacing a file by rename is then allowed there, as it is in any
    checkout the user owns."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="isolint-unprivileged-"))
    folder.chmod(0o755)
    if RUNNING_AS_ROOT:
        os.chown(folder, UNPRIVILEGED_ID, UNPRIVILEGED_ID)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


def _write_as_unprivileged(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    if RUNNING_AS_ROOT:
        os.chown(path, UNPRIVILEGED_ID, UNPRIVILEGED_ID)
    return path


def test_fix_leaves_a_read_only_file_alone_and_fixes_the_others(unprivileged_dir: Path):
    read_only = _write_as_unprivileged(unprivileged_dir / "read_only.rs", _stale("\n"))
    read_only.chmod(0o444)
    writable = _write_as_unprivileged(unprivileged_dir / "writable.rs", _stale("\n"))
    result = isolint_unprivileged("check", "--no-cache", "--fix", ".", cwd=unprivileged_dir)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "isolint: error: read_only.rs: read-only, not fixed (Permission denied)" in result.stderr
    assert read_only.read_bytes() == _stale("\n") and stat.S_IMODE(read_only.stat().st_mode) == 0o444
    assert writable.read_bytes() == _fixed("\n")
    # The read-only file's findings are still reported: nothing was fixed there.
    assert "Fixed 2 findings in 1 file." in result.stdout and "read_only.rs:2:16" in result.stdout


@pytest.mark.skipif(not RUNNING_AS_ROOT, reason="only root can give a file to another user to fix")
def test_fix_by_root_keeps_the_owner_and_group_of_another_users_file(tmp_path: Path):
    target = tmp_path / "handler.rs"
    target.write_bytes(_stale("\n"))
    os.chown(target, UNPRIVILEGED_ID, UNPRIVILEGED_ID)
    target.chmod(0o640)
    assert isolint("check", "--no-cache", "--fix", cwd=tmp_path).returncode == 0
    assert target.read_bytes() == _fixed("\n")
    info = target.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (UNPRIVILEGED_ID, UNPRIVILEGED_ID, 0o640)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["handler.rs"]


@pytest.mark.skipif(not RUNNING_AS_ROOT, reason="needs root to make a file another user may write but does not own")
def test_fix_by_a_user_who_cannot_give_the_file_away_writes_it_in_place(unprivileged_dir: Path):
    shared = unprivileged_dir / "shared.rs"  # root's file, writable by all, in the user's folder
    shared.write_bytes(_stale("\n"))
    shared.chmod(0o666)
    inode = shared.stat().st_ino
    result = isolint_unprivileged("check", "--no-cache", "--fix", cwd=unprivileged_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert shared.read_bytes() == _fixed("\n")
    info = shared.stat()
    assert (info.st_uid, info.st_gid, info.st_ino) == (0, 0, inode)


def test_diff_prints_changes_and_writes_nothing(tmp_path: Path):
    target = tmp_path / "handler.rs"
    target.write_bytes(_stale("\r\n"))
    before = target.stat().st_mtime_ns
    result = isolint("check", "--no-cache", "--diff", cwd=tmp_path, text=False)
    assert result.returncode == 1
    assert target.read_bytes() == _stale("\r\n") and target.stat().st_mtime_ns == before
    assert result.stdout.startswith(b"--- a/handler.rs\n+++ b/handler.rs\n@@ -1,5 +1,4 @@\n")
    assert f"-    {STALE_SUPPRESSION}\r\n-    // isolint: allow(ISO401) reason: nothing below\r\n+    let x = 1;\r\n".encode() in result.stdout
    target.write_bytes(_fixed("\r\n"))
    clean = isolint("check", "--no-cache", "--diff", cwd=tmp_path)
    assert (clean.returncode, clean.stdout) == (0, "")


@pytest.mark.parametrize("source", [
    pytest.param(b"fn a() {}\r// isolint: allow(ISO401) reason: was a static once\r", id="cr-only"),
    pytest.param(b"fn a() {}\x0c\n// isolint: allow(ISO401) reason: was a static once\nfn b() {}\n", id="form-feed"),
])
def test_diff_applies_with_git_apply_to_what_fix_writes(tmp_path: Path, source: bytes):
    """Lines end at LF only, as patch tools count them: a lone CR or a form feed inside a line
    must not end it in the diff, or the hunk no longer describes the file."""
    git = shutil.which("git")
    if git is None:
        pytest.skip("needs git to apply the diff")
    previewed, fixed = tmp_path / "previewed", tmp_path / "fixed"
    for folder in (previewed, fixed):
        folder.mkdir()
        (folder / "handler.rs").write_bytes(source)
    diff = isolint("check", "--no-cache", "--diff", cwd=previewed, text=False)
    assert diff.returncode == 1 and diff.stdout.startswith(b"--- a/handler.rs\n+++ b/handler.rs\n@@ "), diff.stdout
    applied = subprocess.run([git, "apply", "-"], input=diff.stdout, cwd=previewed, capture_output=True, timeout=60)
    assert applied.returncode == 0, applied.stderr
    assert isolint("check", "--no-cache", "--fix", cwd=fixed).returncode == 0
    assert (previewed / "handler.rs").read_bytes() == (fixed / "handler.rs").read_bytes() != source


def test_fix_and_diff_together_is_a_usage_error(tmp_path: Path):
    result = isolint("check", "--fix", "--diff", cwd=tmp_path)
    assert result.returncode == 2 and "--fix and --diff" in result.stderr


def test_unfixable_findings_remain_after_fix(project: Path):
    (project / "src" / "lib.rs").write_text(f"fn f() {{\n    {STALE_SUPPRESSION}\n}}\n")
    result = isolint("check", "--no-cache", "--fix", cwd=project)
    assert result.returncode == 1
    assert "Fixed 1 finding in 1 file." in result.stdout
    assert "Found 2 findings in 2 files." in result.stdout
    assert (project / "src" / "lib.rs").read_text() == "fn f() {\n    let x = 1;\n}\n"


# --- baselines ----------------------------------------------------------------------------

def test_baseline_survives_line_shifts_and_reports_only_new_findings(project: Path):
    written = isolint("check", "--no-cache", "--write-baseline", "isolint-baseline.json", cwd=project)
    assert written.returncode == 0, written.stderr
    assert "recorded 2 findings in isolint-baseline.json" in written.stderr
    baseline = json.loads((project / "isolint-baseline.json").read_text())
    assert {e["path"] for e in baseline["findings"]} == {"src/host.rs"}

    host = project / "src" / "host.rs"
    shifted = HOST.replace("use std::collections::HashMap;\n", "//! Tenant flow host.\n\nuse std::collections::HashMap;\nuse std::fmt;\n\n")
    host.write_text(shifted)
    quiet = isolint("check", "--no-cache", "--baseline", "isolint-baseline.json", cwd=project)
    assert quiet.returncode == 0, quiet.stdout
    assert "2 known findings hidden" in quiet.stderr

    host.write_text(shifted + "\nstatic CLIENTS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();\n")
    new = isolint("check", "--no-cache", "--baseline", "isolint-baseline.json", "--format", "json", cwd=project)
    assert new.returncode == 1
    assert [(r["code"], r["message"].split("`")[1].split(":")[0]) for r in _json(new)] == [("ISO401", "CLIENTS")]


def test_baseline_reports_entries_that_no_longer_match_as_fixed(project: Path):
    assert isolint("check", "--no-cache", "--write-baseline", "base.json", cwd=project).returncode == 0
    host = project / "src" / "host.rs"
    host.write_text(HOST.replace("static FLOW_CACHE: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();\n", ""))
    result = isolint("check", "--no-cache", "--baseline", "base.json", cwd=project)
    assert result.returncode == 0
    assert "1 baseline entry no longer found (fixed)" in result.stderr
    assert re.search(r"fixed: src/host.rs:4: ISO401: `FLOW_CACHE", result.stderr)


def test_baseline_paths_are_relative_to_the_baseline_file(project: Path):
    assert isolint("check", "--no-cache", "--write-baseline", "base.json", cwd=project).returncode == 0
    from_src = isolint("check", "--no-cache", "--baseline", "../base.json", ".", cwd=project / "src")
    assert from_src.returncode == 0, from_src.stdout + from_src.stderr
    assert "no longer found" not in from_src.stderr


def test_bad_baseline_is_an_error_naming_the_file(project: Path):
    (project / "base.json").write_text("{\n  \"findings\": [\n")
    result = isolint("check", "--no-cache", "--baseline", "base.json", cwd=project)
    assert result.returncode == 2
    assert "base.json:3: not valid JSON" in result.stderr


# --- cache and parallel workers -----------------------------------------------------------

def _counts(result: subprocess.CompletedProcess) -> tuple[int, int]:
    match = re.search(r"isolint: (\d+) files? analysed, (\d+) from cache", result.stderr)
    assert match, result.stderr
    return int(match.group(1)), int(match.group(2))


def test_cache_hits_and_invalidation(project: Path):
    for index in range(3):
        (project / "src" / f"module_{index}.rs").write_text(CLEAN.replace("add", f"add_{index}"))
    first = isolint("check", "-v", cwd=project)
    assert _counts(first) == (5, 0)
    assert (project / ".isolint_cache" / "CACHEDIR.TAG").is_file()
    warm = isolint("check", "-v", cwd=project)
    assert _counts(warm) == (0, 5)
    assert warm.stdout == first.stdout and warm.returncode == first.returncode == 1

    (project / "src" / "module_1.rs").write_text(CLEAN.replace("add", "sum"))
    assert _counts(isolint("check", "-v", cwd=project)) == (1, 4)

    (project / "isolint.toml").write_text('ignore = ["ISO401"]\n')
    after_config = isolint("check", "-v", cwd=project)
    assert _counts(after_config) == (5, 0)
    assert "ISO401" not in after_config.stdout and "ISO201" in after_config.stdout
    assert _counts(isolint("check", "-v", "--select", "ISO2", cwd=project)) == (5, 0)


def test_a_warm_run_imports_neither_the_parser_nor_any_rule(project: Path):
    """Every file from the cache: the run needs the options and the cached outcomes, and
    importing the rules and tree-sitter would be most of its start-up."""
    program = (
        "import sys\nfrom isolint.cli import main\n"
        "try:\n    main(['check'])\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted(name for name in sys.modules if name.startswith(('isolint.checks.rules.', 'tree_sitter')))))\n"
    )
    cold = subprocess.run([sys.executable, "-c", program], cwd=project, capture_output=True, text=True, check=True)
    imported_cold = cold.stdout.splitlines()[-1].split()
    assert "isolint.checks.rules.unscoped_secret_lookup" in imported_cold and "tree_sitter" in imported_cold
    warm = subprocess.run([sys.executable, "-c", program], cwd=project, capture_output=True, text=True, check=True)
    assert warm.stdout.splitlines()[-1].split() == []
    assert _counts(isolint("check", "-v", cwd=project)) == (0, 2)


def test_warm_runs_print_what_a_cold_run_prints_in_every_format_and_directory(project: Path):
    """Cached files keep their findings pickled and their text rendering: whatever reads the
    findings instead (other formats, statistics, a baseline) or renders them for another
    working directory must still see exactly what an uncached run sees."""
    runs = [
        (project, ("check",)),
        (project, ("check", "--format", "json")),
        (project, ("check", "--statistics")),
        (project / "src", ("check", ".")),
        (project, ("check", "--show-fixes", "--format", "github")),
    ]
    for cwd, args in runs:
        uncached = isolint(*args, "--no-cache", cwd=cwd)
        for _ in range(2):  # the first fills the cache (and its renderings), the second reads them
            cached = isolint(*args, "--cache-dir", project / ".isolint_cache", cwd=cwd)
            assert (cached.stdout, cached.returncode) == (uncached.stdout, uncached.returncode), args

    assert isolint("check", "--no-cache", "--write-baseline", "base.json", cwd=project).returncode == 0
    host = project / "src" / "host.rs"
    host.write_text(HOST + "\nstatic CLIENTS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();\n")
    isolint("check", cwd=project)
    with_baseline = isolint("check", "--baseline", "base.json", cwd=project)
    assert with_baseline.returncode == 1
    assert "CLIENTS" in with_baseline.stdout and "FLOW_CACHE" not in with_baseline.stdout
    assert "Found 1 finding in 2 files." in with_baseline.stdout
    assert isolint("check", cwd=project).stdout == isolint("check", "--no-cache", cwd=project).stdout


def test_a_cache_of_another_shape_is_ignored_and_replaced(project: Path):
    """Valid pickles of the wrong shape (as another program, or a damaged disk, might leave)
    and an undecodable workspace state: read, they broke every run with a traceback until
    the cache was deleted."""
    cold = isolint("check", "-v", cwd=project)
    cache = project / ".isolint_cache"
    sources = sorted((project / "src").glob("*.rs"))
    for results in cache.glob("results-*.pickle"):
        results.write_bytes(pickle.dumps({str(path.absolute()): 5 for path in sources}))
    for summaries in cache.glob("summaries-*.pickle"):
        summaries.write_bytes(pickle.dumps({str(path.absolute()): (hashlib.sha256(path.read_bytes()).digest(), "not a summary") for path in sources}))
    for state in cache.glob("workspace-*.txt"):
        state.write_bytes(b"\xff\xfe not text")
    damaged = isolint("check", "-v", cwd=project)
    assert "Traceback" not in damaged.stderr
    assert (damaged.stdout, damaged.returncode) == (cold.stdout, cold.returncode) == (cold.stdout, 1)
    assert _counts(damaged) == (2, 0)
    assert _counts(isolint("check", "-v", cwd=project)) == (0, 2)  # the damaged cache was replaced


def test_verbose_counts_in_words_that_agree(project: Path):
    one = isolint("check", "-v", "--no-cache", "src/lib.rs", cwd=project)
    assert "isolint: 1 file analysed, 0 from cache" in one.stderr
    two = isolint("check", "-v", "--no-cache", cwd=project)
    assert "isolint: 2 files analysed, 0 from cache" in two.stderr


def test_no_cache_writes_no_cache(project: Path):
    result = isolint("check", "-v", "--no-cache", cwd=project)
    assert _counts(result) == (2, 0)
    assert not (project / ".isolint_cache").exists()


def test_fix_updates_the_cache(tmp_path: Path):
    (tmp_path / "handler.rs").write_bytes(_stale("\n"))
    assert isolint("check", "--fix", cwd=tmp_path).returncode == 0
    assert _counts(isolint("check", "-v", cwd=tmp_path)) == (0, 1)


def test_parallel_output_is_identical_to_serial(project: Path):
    for index in range(12):
        body = HOST.replace("FLOW_CACHE", f"FLOW_CACHE_{index}") if index % 3 == 0 else CLEAN.replace("add", f"add_{index}")
        (project / "src" / f"tenant_{index:02}.rs").write_text(body)
    serial = isolint("check", "--no-cache", "-v", "--jobs", "1", "--format", "json", cwd=project)
    parallel = isolint("check", "--no-cache", "-v", "--jobs", "2", "--format", "json", cwd=project)
    assert serial.returncode == parallel.returncode == 1
    assert _counts(parallel) == (14, 0)
    assert len(_json(serial)) == 10
    assert parallel.stdout == serial.stdout

    # Text is rendered by the workers, kept in the cache, and copied by the next run.
    serial_text = isolint("check", "--no-cache", "--jobs", "1", cwd=project)
    for _ in range(2):
        parallel_text = isolint("check", "--jobs", "2", cwd=project)
        assert (parallel_text.stdout, parallel_text.returncode) == (serial_text.stdout, serial_text.returncode)
    with_statistics = isolint("check", "--jobs", "2", "--statistics", cwd=project)
    assert with_statistics.stdout.startswith(serial_text.stdout)
    assert re.search(r"^\s+5\s+ISO401\s+shared-mutable-singleton", with_statistics.stdout, re.MULTILINE)


def test_jobs_must_be_positive(project: Path):
    result = isolint("check", "--jobs", "0", cwd=project)
    assert result.returncode == 2 and "must be at least 1" in result.stderr


def test_no_progress_output_when_piped(project: Path):
    result = isolint("check", "--no-cache", cwd=project)
    assert "\r" not in result.stderr and "files]" not in result.stderr


BILLING = """\
pub async fn charge(ctx: &TenantCtx, store: &dyn SecretStore, amount: u64) -> Result<(), Error> {
    let stripe = store.get_secret("stripe/secret_key").await?;
    bill(&stripe, amount).await
}
"""


def test_unsafe_fixes_apply_only_when_asked(tmp_path: Path):
    billing = tmp_path / "billing.rs"
    billing.write_text(BILLING)
    safe_only = isolint("check", "--no-cache", "--fix", cwd=tmp_path)
    assert safe_only.returncode == 1
    assert billing.read_text() == BILLING
    assert "Found 1 finding in 1 file. (1 more with --fix --unsafe-fixes)" in safe_only.stdout
    preview = isolint("check", "--no-cache", "--diff", "--unsafe-fixes", cwd=tmp_path)
    assert preview.returncode == 1 and billing.read_text() == BILLING
    assert '+    let stripe = store.get_secret(&scoped_key(ctx, "stripe/secret_key")).await?;\n' in preview.stdout
    applied = isolint("check", "--no-cache", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert applied.returncode == 0, applied.stdout
    assert billing.read_text() == BILLING.replace('get_secret("stripe/secret_key")', 'get_secret(&scoped_key(ctx, "stripe/secret_key"))')


def test_fix_on_a_corpus_sample_applies_every_offered_fix_and_settles(tmp_path: Path):
    corpus = tmp_path / "corpus"
    sources = corpus_sample(corpus, megabytes=0.3, seed=5)
    before = {source: source.read_bytes() for source in sources}
    offered = json.loads(isolint("check", "--no-cache", "--format", "json", cwd=corpus).stdout)
    assert sum(1 for finding in offered if finding["fix"]) >= 10  # the sample has fixable shapes
    fixed = isolint("check", "--no-cache", "--fix", "--unsafe-fixes", cwd=corpus)
    assert fixed.returncode == 1, fixed.stderr  # unfixable findings remain
    changed = [source for source in sources if source.read_bytes() != before[source]]
    assert changed
    for source in changed:  # a fix never breaks the syntax of a file that parsed
        assert parse(before[source]).root_node.has_error or not parse(source.read_bytes()).root_node.has_error, source
    after = {source: source.read_bytes() for source in sources}
    assert isolint("check", "--no-cache", "--diff", "--unsafe-fixes", cwd=corpus).stdout == ""
    isolint("check", "--no-cache", "--fix", "--unsafe-fixes", cwd=corpus)
    assert {source: source.read_bytes() for source in sources} == after


def test_fixing_in_parallel_workers_writes_and_reports_what_one_process_does(tmp_path: Path):
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    corpus_sample(serial, megabytes=0.3, seed=9)
    shutil.copytree(serial, parallel)
    for flags in (["--diff", "--unsafe-fixes"], ["--fix", "--unsafe-fixes", "--show-fixes"]):
        in_one = isolint("check", "--no-cache", "--jobs", "1", *flags, cwd=serial)
        in_two = isolint("check", "--no-cache", "--jobs", "2", *flags, cwd=parallel)
        assert (in_two.returncode, in_two.stdout, in_two.stderr) == (in_one.returncode, in_one.stdout, in_one.stderr)
    assert "Fixed " in in_one.stdout
    assert {p.relative_to(serial): p.read_bytes() for p in serial.rglob("*.rs")} == {p.relative_to(parallel): p.read_bytes() for p in parallel.rglob("*.rs")}


def test_fix_keeps_undecodable_bytes_exact(tmp_path: Path):
    target = tmp_path / "legacy.rs"
    target.write_bytes(b'fn a() {\n    let s = "\xff\xfe"; // isolint: allow(ISO401) reason: x\n}\n')
    result = isolint("check", "--no-cache", "--fix", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert target.read_bytes() == b'fn a() {\n    let s = "\xff\xfe";\n}\n'


def test_unsafe_fix_keeps_undecodable_bytes_in_the_key_it_wraps(tmp_path: Path):
    billing = tmp_path / "billing.rs"
    billing.write_bytes(BILLING.encode().replace(b"stripe/secret_key", b"stripe/\xff\xfe_key"))
    preview = isolint("check", "--no-cache", "--diff", "--unsafe-fixes", cwd=tmp_path)
    assert preview.returncode == 1
    # The diff shows undecodable bytes as U+FFFD on both sides: the fix changes none of them.
    assert '-    let stripe = store.get_secret("stripe/\ufffd\ufffd_key").await?;\n' in preview.stdout
    assert '+    let stripe = store.get_secret(&scoped_key(ctx, "stripe/\ufffd\ufffd_key")).await?;\n' in preview.stdout
    applied = isolint("check", "--no-cache", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert billing.read_bytes() == BILLING.encode().replace(b'get_secret("stripe/secret_key")', b'get_secret(&scoped_key(ctx, "stripe/\xff\xfe_key"))')


def test_unwritable_cache_is_a_warning_not_a_failure(project: Path):
    (project / "blocker").write_text("a file where the cache folder should go")
    result = isolint("check", "--cache-dir", "blocker/cache", "src/lib.rs", cwd=project)
    assert result.returncode == 0
    assert "blocker/cache: cannot write cache" in result.stderr
    assert result.stdout == "All checks passed (1 file).\n"


# --- Ctrl-C -------------------------------------------------------------------------------

def _started_analysing(process: subprocess.Popen) -> bool:
    """Whether ``process`` has loaded the parser: it is then inside ``main``, past the
    imports of the console script, where an interrupt is isolint's to report."""
    try:
        return "tree_sitter" in Path(f"/proc/{process.pid}/maps").read_text()
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc to see when the run has started")
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_during_check_says_so_in_one_line_and_exits_130(tmp_path: Path, jobs: str):
    corpus_sample(tmp_path / "corpus", megabytes=3, seed=11)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    process = subprocess.Popen([ISOLINT, "check", "--no-cache", "--jobs", jobs, "corpus"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(1500):
        if _started_analysing(process) or process.poll() is not None:
            break
        time.sleep(0.02)
    time.sleep(0.3)  # into the analysis, which takes seconds
    assert process.poll() is None, "the run ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert (stderr, process.returncode) == ("isolint: interrupted\n", 130)
    assert stdout == ""


@pytest.mark.parametrize("command, interrupted", [
    (["rule", "ISO101"], "isolint.ruledocs.rule_markdown"),
    (["server"], "isolint.lsp_server.server.run_stdio"),
])
def test_ctrl_c_in_rule_and_at_server_start_says_so_in_one_line_and_exits_130(tmp_path: Path, command, interrupted):
    """The interrupt is raised where the command does its work, in a real process through
    the console script's ``main`` (a signal's timing cannot pick that moment)."""
    module, name = interrupted.rsplit(".", 1)
    program = (
        "import importlib, sys\n"
        f"module = importlib.import_module({module!r})\n"
        "def interrupt(*args, **kwargs):\n    raise KeyboardInterrupt\n"
        f"setattr(module, {name!r}, interrupt)\n"
        "from isolint.cli import main\n"
        f"sys.exit(main({command!r}))\n"
    )
    completed = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert (completed.stderr, completed.returncode) == ("isolint: interrupted\n", 130)
