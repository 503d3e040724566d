"""`isolint report` through the installed console script: the committed example report is
what the command writes today, the JSON follows its published schema, output is
deterministic and the same from the cache, statuses follow the documented rules, and bad
input gets exit 2 with the file named."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from isolint.checks.report_records import STATUSES, VERDICTS, ReadinessReport

from .test_cli_check import isolint

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "tenant-host"
SCHEMA = ROOT / "docs" / "report-schema.json"
REGENERATE = "cd examples/tenant-host && isolint report . --no-cache -q -o isolint-report.md"

# A small crate: one unscoped secret read (ISO101, error), one scoped, a static of flags that
# holds no tenant data, and a host-wide registry keyed by the tenant.
CRATE = {
    "Cargo.toml": '[package]\nname = "mini-host"\nversion = "0.1.0"\nedition = "2021"\n',
    "src/lib.rs": (
        "pub mod secrets;\npub mod host;\n"
        "use std::sync::atomic::AtomicBool;\n"
        "pub static READY: AtomicBool = AtomicBool::new(false);\n"
    ),
    "src/secrets.rs": (
        "pub struct TenantCtx { pub tenant_id: String }\n"
        "pub fn api_key(secrets: &dyn SecretsBackend, tenant: &TenantCtx, name: &str) -> Option<String> {\n"
        "    secrets.get_secret(name)\n"
        "}\n"
        "pub fn scoped_api_key(secrets: &dyn SecretsBackend, tenant: &TenantCtx, name: &str) -> Option<String> {\n"
        "    let key = format!(\"{}/{}\", tenant.tenant_id, name);\n"
        "    secrets.get_secret(&key)\n"
        "}\n"
        "#[cfg(test)]\nmod tests {\n"
        "    fn reads() { let _ = secrets().get_secret(&format!(\"{}/x\", tenant().tenant_id)); }\n"
        "}\n"
    ),
    "src/host.rs": (
        "use std::collections::HashMap;\nuse std::sync::Mutex;\n"
        "pub struct TenantId(String);\n"
        "pub struct Host { pub runtimes: Mutex<HashMap<TenantId, Runtime>> }\n"
        "pub struct Runtime;\n"
    ),
    "src/main.rs": "fn main() { let _host = mini_host::host::Host { runtimes: Default::default() }; }\n",
}


def write_crate(folder: Path, files: dict[str, str] = CRATE) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def report_json(folder: Path, *arguments: str) -> dict:
    completed = isolint(folder, "report", ".", "--format", "json", *arguments)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_committed_example_report_is_what_the_command_writes():
    completed = isolint(EXAMPLE, "report", ".", "--no-cache", "-q")
    assert completed.returncode == 0, completed.stderr
    committed = (EXAMPLE / "isolint-report.md").read_text(encoding="utf-8")
    assert completed.stdout == committed, f"the example report is stale: regenerate it with `{REGENERATE}`"


def test_example_report_shows_each_capability_with_evidence():
    report = ReadinessReport.model_validate(report_json(EXAMPLE, "--no-cache", "-q"))
    areas = {area.area: area for area in report.readiness}
    assert list(areas) == ["secrets", "state", "keys", "singletons", "telemetry", "guest-input", "credentials"]
    assert areas["secrets"].status == "Not ready"  # ISO101 errors stand
    assert {e.verdict for e in areas["secrets"].scoped} == {"scoped"}
    assert any(e.item == "src/secrets.rs::database_url" for e in areas["secrets"].scoped)
    assert areas["credentials"].status == "Unknown"
    audited = [f for f in areas["keys"].findings if f.suppressed]  # a keyed static is filed under keys
    assert [f.item for f in audited] == ["src/shared.rs::REQUEST_COUNTS"] and audited[0].suppression_reason
    guest = next(e for e in report.identity.entry_points if e.item == "src/guest_kv.rs::GuestKv::get")
    assert guest.kind == "host-interface" and guest.chosen == ["key"]
    assert guest.steps[0].verdict == "unscoped" and guest.steps[0].location.line == 52
    assert all(entry.verdict in VERDICTS for entry in report.inventory)


def test_json_follows_the_published_schema():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema == ReadinessReport.model_json_schema(), "docs/report-schema.json is stale: regenerate it with scripts/gen_report_schema.py"
    jsonschema.validate(report_json(EXAMPLE, "--no-cache", "-q"), schema)


def test_statuses_follow_the_documented_rules(tmp_path):
    report = ReadinessReport.model_validate(report_json(write_crate(tmp_path), "--no-cache", "-q"))
    areas = {area.area: area for area in report.readiness}
    secrets = areas["secrets"]
    assert secrets.status == "Not ready" and secrets.reason.startswith("1 error-level finding")
    assert [(e.item, e.verdict) for e in secrets.scoped] == [("src/secrets.rs::scoped_api_key", "scoped")]
    assert [e.location.line for e in secrets.unscoped] == [3]
    # Test code is no evidence either way.
    assert all("tests" not in e.item for e in secrets.scoped + secrets.unscoped)
    inventory = {entry.item: entry for entry in report.inventory}
    assert inventory["src/lib.rs::READY"].verdict == "holds no tenant data"
    runtimes = inventory["src/host.rs::Host::runtimes"]
    assert (runtimes.scope, runtimes.key, runtimes.verdict) == ("host-wide", "TenantId", "scoped")
    assert report.summary.statuses == {status: sum(a.status == status for a in report.readiness) for status in STATUSES}
    assert [i.name for i in report.identity.identities][:1] == ["tenant"]

    # Fixing the one unscoped read makes the area ready.
    fixed = CRATE["src/secrets.rs"].replace("secrets.get_secret(name)", "secrets.get_secret(&format!(\"{}/{}\", tenant.tenant_id, name))")
    (tmp_path / "src/secrets.rs").write_text(fixed, encoding="utf-8")
    secrets = ReadinessReport.model_validate(report_json(tmp_path, "--no-cache", "-q")).readiness[0]
    assert (secrets.status, len(secrets.scoped), secrets.unscoped) == ("Ready", 2, [])


HANDLERS = """use axum::extract::Path;

#[tracing::instrument(fields(app_id = %app_id))]
pub async fn logs(Path(app_id): Path<String>, Path(line): Path<String>) {
    tracing::info!("{line}");
}

INSTRUMENTED pub async fn status(Path(app_id): Path<String>) -> String {
    app_id
}

pub async fn health(Path(app_id): Path<String>) -> String {
    app_id
}

fn main() {}
"""


def test_telemetry_judged_in_too_few_entry_points_is_only_partially_ready(tmp_path):
    cargo = CRATE["Cargo.toml"]
    one_of_three = write_crate(tmp_path / "few", {"Cargo.toml": cargo, "src/main.rs": HANDLERS.replace("INSTRUMENTED ", "")})
    telemetry = {a.area: a for a in ReadinessReport.model_validate(report_json(one_of_three, "--no-cache", "-q")).readiness}["telemetry"]
    assert (telemetry.status, telemetry.unscoped) == ("Partially ready", [])
    assert telemetry.reason.endswith("but only 1 of 3 entry points judged")

    two_of_three = write_crate(tmp_path / "most", {"Cargo.toml": cargo, "src/main.rs": HANDLERS.replace(
        "INSTRUMENTED ", "#[tracing::instrument(fields(app_id = %app_id))]\n")})
    telemetry = {a.area: a for a in ReadinessReport.model_validate(report_json(two_of_three, "--no-cache", "-q")).readiness}["telemetry"]
    assert telemetry.status == "Ready" and telemetry.reason.endswith("; 2 of 3 entry points judged")


def test_output_is_deterministic_and_the_same_from_the_cache(tmp_path):
    crate = write_crate(tmp_path / "crate")
    cache = str(tmp_path / "cache")
    cold = isolint(crate, "report", ".", "--cache-dir", cache, "-q")
    warm = isolint(crate, "report", ".", "--cache-dir", cache, "-q")
    uncached = isolint(crate, "report", ".", "--no-cache", "-q")
    assert cold.returncode == warm.returncode == uncached.returncode == 0
    assert cold.stdout == warm.stdout == uncached.stdout
    assert str(tmp_path) not in cold.stdout  # no absolute paths: a committed report diffs cleanly


def test_a_cached_report_is_never_stale(tmp_path):
    crate = write_crate(tmp_path / "crate")
    cache = tmp_path / "cache"
    first = isolint(crate, "report", ".", "--cache-dir", str(cache), "-q")
    assert list(cache.glob("derived-*-report-markdown.txt")), "the rendered report is kept beside the results"
    secrets = crate / "src" / "secrets.rs"
    secrets.write_text(secrets.read_text(encoding="utf-8").replace("secrets.get_secret(name)", "secrets.get_secret(&format!(\"{}/{}\", tenant.tenant_id, name))"),
                       encoding="utf-8")
    edited = isolint(crate, "report", ".", "--cache-dir", str(cache), "-q")
    assert edited.stdout == isolint(crate, "report", ".", "--no-cache", "-q").stdout != first.stdout
    # Another format, or the same report written elsewhere (its links differ), is made afresh.
    (tmp_path / "out").mkdir()
    elsewhere = isolint(crate, "report", ".", "--cache-dir", str(cache), "-q", "-o", str(tmp_path / "out" / "r.md"))
    assert elsewhere.returncode == 0 and "(../crate/src/" in (tmp_path / "out" / "r.md").read_text(encoding="utf-8")
    assert isolint(crate, "report", ".", "--cache-dir", str(cache), "-q", "--format", "json").stdout.startswith("{")


def test_links_resolve_from_where_the_report_is_written(tmp_path):
    crate = write_crate(tmp_path / "crate")
    (tmp_path / "docs").mkdir()
    completed = isolint(tmp_path, "report", "crate", "--no-cache", "-q", "-o", "docs/audit.md")
    assert completed.returncode == 0, completed.stderr
    text = (tmp_path / "docs" / "audit.md").read_text(encoding="utf-8")
    assert "(../crate/src/secrets.rs#L3)" in text
    assert (tmp_path / "docs" / "../crate/src/secrets.rs").is_file()


def test_bad_input_is_named_and_exits_2(tmp_path):
    missing = isolint(tmp_path, "report", "nowhere")
    assert missing.returncode == 2 and "nowhere: no such file or folder" in missing.stderr

    crate = write_crate(tmp_path / "broken-config")
    (crate / "isolint.toml").write_text("[scope]\ntenant-identifiers = 3\n", encoding="utf-8")
    broken = isolint(crate, "report", ".", "--no-cache", "-q")
    assert broken.returncode == 2 and "isolint.toml:2:" in broken.stderr

    crate = write_crate(tmp_path / "odd-files")
    (crate / "src" / "binary.rs").write_bytes(b"fn x() {}\0\0")
    (crate / "src" / "broken.rs").write_text("fn half( {\n", encoding="utf-8")
    (crate / "src" / "latin1.rs").write_bytes("// caf\xe9\npub fn f() {}\n".encode("latin-1"))
    odd = isolint(crate, "report", ".", "--no-cache", "-q", "--format", "json")
    assert odd.returncode == 2 and "binary.rs" in odd.stderr
    report = json.loads(odd.stdout)  # still written, naming what it could not vouch for
    assert any(entry.startswith("src/binary.rs: skipped: binary file") for entry in report["incomplete"])
    assert report["readiness"][0]["status"] == "Not ready"


def test_unwritable_output_file_is_an_error(tmp_path):
    crate = write_crate(tmp_path / "crate")
    completed = isolint(crate, "report", ".", "--no-cache", "-q", "-o", str(tmp_path / "no-such-folder" / "r.md"))
    assert completed.returncode == 2 and "cannot write" in completed.stderr


def test_markdown_escapes_source_text(tmp_path):
    files = dict(CRATE)
    files["src/secrets.rs"] = CRATE["src/secrets.rs"].replace(
        "secrets.get_secret(name)", "secrets.get_secret(&format!(\"<img src=x>|{name}\"))")
    crate = write_crate(tmp_path, files)
    text = isolint(crate, "report", ".", "--no-cache", "-q").stdout
    row = next(line for line in text.splitlines() if line.startswith("| `src/secrets.rs::api_key`"))
    assert "<img" not in row.replace("`&format!(\"<img src=x>\\|{name}\")`", "")
    assert "\\|{name}" in row  # a pipe in code does not split the table row
