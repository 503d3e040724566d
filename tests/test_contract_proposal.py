"""What `isolint init` proposes, read off small workspaces: the isolation unit found from how
the host's structs nest their ids (whatever the unit is called), the other ids of a proposed
unit, scopes inside the unit written commented out, names the vocabulary already counts said
once, and scoping helpers that take the unit's id and use it."""

from __future__ import annotations

import tomllib
from pathlib import Path

from isolint.checks.batch import model_of_sources
from isolint.checks.config import ConfigResolver
from isolint.checks.contract_proposal import propose, render_toml

CARGO = '[package]\nname = "host"\nversion = "0.1.0"\nedition = "2021"\n'


def proposal_for(root: Path, files: dict[str, str]) -> tuple[list, str]:
    files = {"Cargo.toml": CARGO, **files}
    sources = {}
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if relative.endswith(".rs"):
            sources[str(path)] = text.encode()
    settings = ConfigResolver().settings_for(root / "lib.rs")
    proposals = propose(model_of_sources(sources), settings, str(root))
    return proposals, render_toml(proposals, len(sources), str(root))


def entries(text: str, section: str) -> list[str]:
    return tomllib.loads(text)["contract"][section]


# A search host whose isolation unit is an index: no word of the defaults or of the unit
# words names it; its structs list `index_uid` before every id of what an index holds.
INDEX_HOST = {
    "src/lib.rs": (
        "pub struct SplitMetadata { pub index_uid: IndexUid, pub source_id: String, pub split_id: String }\n"
        "pub struct ShardState { pub index_uid: IndexUid, pub source_id: String, pub shard_id: u64 }\n"
        "pub struct MergeTask { pub index_uid: IndexUid, pub partition_id: u64, pub merge_id: String }\n"
        "pub struct Pipeline { pub index_uid: IndexUid, pub pipeline_id: String, pub node_id: String }\n"
        "pub struct DocMapping { pub index_uid: IndexUid, pub doc_mapping_uid: String }\n"
        "pub struct IndexConfig { pub index_id: String, pub index_uri: String }\n"
        "pub struct DeleteQuery { pub index_id: String, pub query: String }\n"
        "pub struct ListSplits { pub index_id: String, pub limit: usize }\n"
        # A response that repeats ids, in the order a client reads them: noise, not nesting.
        "pub struct SearchResponse { pub trace_id: String, pub span_id: String }\n"
        "pub struct IndexUid(String);\n"
        "pub fn split_path(index_uid: &IndexUid, split_id: &str) -> String { format!(\"{}/{}\", index_uid.0, split_id) }\n"
        "pub fn unused_scope(_index_uid: &IndexUid, split_id: &str) -> String { split_id.to_string() }\n"
    ),
}


def test_the_unit_is_the_outermost_id_the_host_composes(tmp_path):
    proposals, text = proposal_for(tmp_path, INDEX_HOST)
    assert entries(text, "scope-identities") == ["index_uid", "index_id"]
    assert "the outermost id of the structs that combine ids: listed before" in text
    assert "another id of the unit `index_uid` names" in text
    # The helper that builds a key of the proposed unit scopes it; one that ignores it does not.
    assert entries(text, "scoping-helpers") == ["split_path"]


def test_parallel_vocabularies_tied_at_the_top_propose_no_unit(tmp_path):
    # A single-tenant pipeline: events and records each carry ids of their own, neither
    # inside the other.
    fields = ["a_id", "b_id", "c_id", "d_id", "e_id", "f_id"]
    structs = "".join(f"pub struct Event{n} {{ pub event_id: u64, pub {f}: u64 }}\n"
                      f"pub struct Record{n} {{ pub record_id: u64, pub {f}: u64 }}\n" for n, f in enumerate(fields))
    _, text = proposal_for(tmp_path, {"src/lib.rs": structs})
    assert entries(text, "scope-identities") == []


def test_few_nested_ids_say_nothing_of_a_unit(tmp_path):
    _, text = proposal_for(tmp_path, {"src/lib.rs": (
        "pub struct Span { pub trace_id: String, pub span_id: String, pub parent_span_id: String }\n"
        "pub struct Link { pub trace_id: String, pub span_id: String }\n"
    )})
    assert entries(text, "scope-identities") == []


def test_ids_in_test_code_do_not_nest(tmp_path):
    structs = "".join(f"pub struct Case{n} {{ pub suite_id: u64, pub {f}: u64 }}\n"
                      for n, f in enumerate(["a_id", "b_id", "c_id", "d_id", "e_id", "f_id", "g_id"]))
    _, text = proposal_for(tmp_path, {"src/lib.rs": "pub fn serve() {}\n", "tests/cases.rs": structs})
    assert entries(text, "scope-identities") == []


# A lakehouse whose fleet holds projects: `project_ref` names a unit word, but every struct
# holding both lists it after `fleet_uid`.
FLEET_HOST = {
    "src/lib.rs": (
        "pub struct Table { pub fleet_uid: String, pub project_ref: String, pub table_id: String }\n"
        "pub struct View { pub fleet_uid: String, pub project_ref: String, pub view_id: String }\n"
        "pub struct Grant { pub fleet_uid: String, pub project_ref: String, pub role_id: String }\n"
        "pub struct Job { pub fleet_uid: String, pub job_id: String, pub queue_id: String }\n"
        "pub struct Stats { pub fleet_uid: String, pub snapshot_id: String }\n"
        "pub struct Moved { pub project_ref: String, pub parent_project_ref: String }\n"
        "pub struct Renamed { pub project_ref: String, pub parent_project_ref: String }\n"
        "pub struct Dropped { pub project_ref: String, pub parent_project_ref: String }\n"
        # Names the defaults count are not entries; a newtype of one is said once, in a comment.
        "pub struct TenantId(String);\n"
        "pub struct Audit { pub tenant_id: TenantId, pub event_id: String }\n"
    ),
}


def test_a_scope_inside_the_unit_is_written_commented_out(tmp_path):
    proposals, text = proposal_for(tmp_path, FLEET_HOST)
    assert entries(text, "scope-identities") == ["fleet_uid"]
    assert '    # "project_ref",' in text
    assert "listed after `fleet_uid` in 3 structs: a scope inside that unit" in text
    # `parent_project_ref` is counted by `project_ref` wherever that is kept.
    assert "parent_project_ref" not in [p.value for p in proposals]


def test_names_the_defaults_count_are_said_once_in_a_comment(tmp_path):
    proposals, text = proposal_for(tmp_path, FLEET_HOST)
    assert "TenantId" not in entries(text, "scope-identities")
    assert "# The default tenant words count already: `TenantId` (newtype in src/lib.rs:9)" in text
    assert [p.value for p in proposals if p.section == "scope-identities"] == ["fleet_uid", "project_ref"]


def test_a_unit_word_identity_outside_any_nesting_is_proposed_as_before(tmp_path):
    # A workload host: ids of workloads in several structs, nothing composed around them.
    _, text = proposal_for(tmp_path, {"src/lib.rs": (
        "pub struct Deployment { pub workload_ref: String, pub image: String }\n"
        "pub struct Quota { pub workload_ref: String, pub limit: u64 }\n"
        "pub struct Route { pub workload_ref: String, pub host: String }\n"
    )})
    assert entries(text, "scope-identities") == ["workload_ref"]


def handlers(template: str, count: int) -> str:
    return "".join(template.format(n=n) for n in range(count))


def test_the_unit_is_the_id_routes_take_first_from_the_url(tmp_path):
    # axum: the id is the first name the path pattern binds, whatever the unit is called.
    _, text = proposal_for(tmp_path, {"src/lib.rs": (
        "use axum::extract::Path;\n"
        + handlers("pub async fn get_doc{n}(Path((realm_uid, doc_id)): Path<(String, String)>) {{}}\n", 4)
        + "pub async fn list(Path(realm_uid): Path<String>) {}\n"
        + "pub async fn user(Path(user_id): Path<String>) {}\n"
        # std's `Path` is a file path, not a route.
        + handlers("pub fn read{n}(file_id: &Path) {{}}\n", 9)
    )})
    assert entries(text, "scope-identities") == ["realm_uid"]
    assert "the first URL path parameter of 5 request handlers" in text


def test_a_route_scope_read_from_a_named_parameter_or_a_path_struct(tmp_path):
    # actix: `web::Path<String>` named for the id, or a struct of the path's segments.
    _, text = proposal_for(tmp_path, {"src/lib.rs": (
        "use actix_web::web;\n"
        "pub struct DocumentParam { pub bucket_id: String, pub document_id: String }\n"
        + handlers("pub async fn docs{n}(bucket_id: web::Path<String>) {{}}\n", 3)
        + handlers("pub async fn doc{n}(path: web::Path<DocumentParam>) {{}}\n", 2)
        + "pub async fn rename(mut bucket_id: web::Path<String>) {}\n"
    )})
    assert entries(text, "scope-identities") == ["bucket_id"]
    assert "the first URL path parameter of 6 request handlers" in text


def test_routes_split_between_ids_or_too_few_propose_no_unit(tmp_path):
    _, text = proposal_for(tmp_path, {"src/lib.rs": (
        "use axum::extract::Path;\n"
        + handlers("pub async fn job{n}(Path(job_id): Path<u64>) {{}}\n", 5)
        + handlers("pub async fn run{n}(Path(run_id): Path<u64>) {{}}\n", 5)
    )})
    assert entries(text, "scope-identities") == []
    _, text = proposal_for(tmp_path / "few", {"src/lib.rs": (
        "use axum::extract::Path;\n" + handlers("pub async fn job{n}(Path(job_id): Path<u64>) {{}}\n", 4)
    )})
    assert entries(text, "scope-identities") == []


def test_a_store_keyed_by_a_file_path_is_a_sink(tmp_path):
    _, text = proposal_for(tmp_path, {"src/lib.rs": (
        "use std::path::{Path, PathBuf};\n"
        "pub trait BlobStorage { fn put(&self, path: &Path, data: Vec<u8>); fn get(&self, path: PathBuf) -> Vec<u8>; }\n"
        "pub trait SegmentCache { fn get(&self, key: &str) -> Option<Vec<u8>>; }\n"
        # Not stores: no store in the name, or not keyed by what the caller passes first.
        "pub trait Decoder { fn get(&self, path: &Path) -> Vec<u8>; }\n"
        "pub trait QuotaStore { fn get(&self, limit: u64) -> u64; }\n"
    )})
    assert entries(text, "sinks") == ["BlobStorage", "SegmentCache::get"]


def test_a_unit_the_defaults_know_is_named_not_proposed(tmp_path):
    _, text = proposal_for(tmp_path, {"src/lib.rs": (
        "use axum::extract::Path;\n"
        + handlers("pub async fn stream{n}(Path((org_id, stream_name)): Path<(String, String)>) {{}}\n", 5)
    )})
    assert entries(text, "scope-identities") == []
    assert "# The unit the routes and ids are under, `org_id`, is counted by the default tenant words." in text


def test_a_single_tenant_workspace_is_told_it_needs_no_identity(tmp_path):
    _, text = proposal_for(tmp_path, {"src/lib.rs": (
        "pub struct Event { pub event_id: u64, pub payload: Vec<u8> }\n"
        "pub struct Checkpoint { pub record_id: u64, pub offset: u64 }\n"
    )})
    assert entries(text, "scope-identities") == []
    assert "a host serving one tenant per process needs no entry here" in text
    # Where a unit is proposed, that is not said.
    _, text = proposal_for(tmp_path / "index", INDEX_HOST)
    assert "needs no entry here" not in text
