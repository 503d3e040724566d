"""The isolation contract: `[contract]` in config changes what the rules count as a scope, a
tenant-chosen value and a sink; `isolint init` proposes one from the workspace, with a reason
on every line, and never overwrites a file."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from isolint.checks.config import ConfigError, parse_config_text

# A host whose isolation unit is an "app": the words isolint's defaults know are absent.
APP_HOST = {
    "Cargo.toml": '[package]\nname = "app-host"\nversion = "0.1.0"\nedition = "2021"\n',
    "src/main.rs": "mod ids;\nmod kv;\nmod registry;\nfn main() {}\n",
    "src/ids.rs": "#[derive(Clone, Hash, PartialEq, Eq)]\npub struct AppRef(pub String);\n",
    "src/registry.rs": (
        "use std::collections::HashMap;\n"
        "pub struct Registry { apps: HashMap<AppRef, Deployment>, quotas: HashMap<AppRef, u64> }\n"
        "pub struct Deployment { app_ref: AppRef, image: String }\n"
        "pub struct Quota { app_ref: AppRef, limit: u64 }\n"
        "pub struct Route { app_ref: AppRef, host: String }\n"
        "pub fn app_storage_key(app_ref: &AppRef, name: &str) -> String { format!(\"{}/{}\", app_ref.0, name) }\n"
    ),
    "src/kv.rs": (
        "use std::sync::Arc;\n"
        "pub trait ObjectStore { fn fetch(&self, key: &str) -> Option<Vec<u8>>; fn store(&self, key: &str, value: Vec<u8>); }\n"
        "pub struct Guest { app: AppRef, objects: Arc<dyn ObjectStore> }\n"
        "impl wasi::keyvalue::store::Host for Guest {\n"
        "    fn read(&mut self, key: String) -> Option<Vec<u8>> {\n"
        "        self.objects.fetch(&key)\n"
        "    }\n"
        "}\n"
        "pub trait GuestCalls { fn load(&mut self, name: String) -> Option<Vec<u8>>; }\n"
        "impl GuestCalls for Guest {\n"
        "    fn load(&mut self, name: String) -> Option<Vec<u8>> {\n"
        "        self.objects.fetch(&name)\n"
        "    }\n"
        "}\n"
    ),
}


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def isolint(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "isolint", *arguments], capture_output=True, text=True, cwd=cwd, timeout=120)


def findings(root: Path) -> list[dict]:
    completed = isolint("check", "--no-cache", "--format", "json", "--exit-zero", "--select", "ISO204", str(root))
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_init_proposes_a_contract_with_a_reason_on_every_line(tmp_path):
    root = write_tree(tmp_path / "host", APP_HOST)
    completed = isolint("init", str(root))
    assert completed.returncode == 0, completed.stderr
    text = (root / "isolint.toml").read_text()
    contract = tomllib.loads(text)["contract"]
    assert contract["scope-identities"] == ["app_ref", "AppRef"]
    assert contract["tenant-chosen"] == []
    assert "# 1 host interfaces are recognised without an entry here: Host" in text
    assert contract["sinks"] == ["ObjectStore"]
    assert contract["scoping-helpers"] == ["app_storage_key"]
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if line.startswith('    "'):
            assert lines[number - 1].startswith("    # "), f"no reason above {line!r}"
    assert "the key of 2 maps" in text


def test_the_proposed_contract_is_a_valid_config_that_changes_findings(tmp_path):
    root = write_tree(tmp_path / "host", APP_HOST)
    # Without a contract: the `Host` read is found (the host interface is built in) but its
    # scope is not known, and the custom `GuestCalls` trait is not a host interface.
    before = findings(root)
    assert [f["range"]["start"]["line"] for f in before] == []
    assert isolint("init", str(root)).returncode == 0
    text = (root / "isolint.toml").read_text().replace('tenant-chosen = [', 'tenant-chosen = [\n    "GuestCalls",')
    (root / "isolint.toml").write_text(text)
    after = findings(root)
    # With `AppRef` as the scope identity, `self.app` is the host's scope in reach, left out
    # of both keys; `GuestCalls` makes `load`'s parameter tenant-chosen.
    assert sorted(f["range"]["start"]["line"] for f in after) == [6, 12]
    assert all("self.app" in f["message"] for f in after)


def test_init_never_overwrites(tmp_path):
    root = write_tree(tmp_path / "host", APP_HOST)
    (root / "isolint.toml").write_text("select = ['ISO1']\n")
    completed = isolint("init", str(root))
    assert completed.returncode == 2
    assert "exists" in completed.stderr and "isolint.toml" in completed.stderr
    assert (root / "isolint.toml").read_text() == "select = ['ISO1']\n"
    printed = isolint("init", "--stdout", str(root))
    assert printed.returncode == 0 and "[contract]" in printed.stdout


def test_init_on_a_missing_folder_is_an_error(tmp_path):
    completed = isolint("init", str(tmp_path / "nowhere"))
    assert completed.returncode == 2
    assert "nowhere" in completed.stderr


@pytest.mark.parametrize("text, key", [
    ('[contract]\nscope-identity = ["AppId"]\n', "scope-identity"),
    ('[contract]\nsinks = "Db::get"\n', "sinks"),
    ('[contract]\ntenant-chosen = [""]\n', "tenant-chosen"),
])
def test_contract_errors_name_the_line_and_key(tmp_path, text, key):
    path = tmp_path / "isolint.toml"
    with pytest.raises(ConfigError) as caught:
        parse_config_text(path, text)
    assert key in str(caught.value)
    assert caught.value.line == 2


def test_contract_scope_identities_join_the_vocabulary(tmp_path):
    settings = parse_config_text(tmp_path / "isolint.toml", '[contract]\nscope-identities = ["WorkloadId"]\n').settings
    assert settings.vocabulary.tenant.match("workload_id")
    assert settings.vocabulary.tenant.match("WorkloadId")
