"""Write a deterministic, realistic multi-tenant Rust corpus for benchmarking.

    python bench/generate_corpus.py OUT_DIR [--megabytes 12] [--seed 7] [--cargo-workspace]

The corpus looks like a workspace of pack-host crates: runners, secret providers, flow
registries, session stores, telemetry setup, HTTP clients. Every module mixes the shapes
isolint's rules target (bare-key secret lookups, flow-id keyed maps, unscoped derived keys,
key structs without pack id, tenant context pushed into globals, shared mutable statics,
and lookups and keys that forget the tenant or pack id in reach, which come with fixes)
with the safe look-alikes beside them (scoped keys, pack-qualified maps, immutable statics,
test modules, doc comments). The same seed always writes the same bytes.

With ``--cargo-workspace`` the crates are Cargo packages of one workspace (manifests, a
``lib.rs`` declaring the modules, a ``main.rs`` building one of each registry), so the
workspace model knows them as a workspace and finds the state the host keeps one of; the
modules' bytes are the same either way.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
from pathlib import Path

CRATES = ("runner-host", "secrets-core", "flow-registry", "session-store", "telemetry", "pack-loader", "gateway", "scheduler")
NOUNS = ("flow", "pack", "component", "node", "session", "route", "module", "state", "resume", "trigger", "schedule", "webhook")
VERBS = ("load", "resolve", "register", "dispatch", "invoke", "refresh", "evict", "store", "fetch", "render", "prepare", "sync")
SECRETS = ("DATABASE_URL", "API_TOKEN", "WEBHOOK_SECRET", "SLACK_TOKEN", "OPENAI_API_KEY", "SMTP_PASSWORD", "STRIPE_KEY")

HEADER = """\
//! {crate}::{module} — {verb}s {noun}s for every tenant's packs in one host process.
//! The secret store, registries and caches below are shared by all tenants, so every key
//! must carry the tenant and the pack; see docs/isolation.md.

use std::collections::{{BTreeMap, HashMap, HashSet}};
use std::fmt;
use std::sync::{{Arc, Mutex, OnceLock, RwLock}};

use crate::secrets::{{SecretsManager, SecretError}};
use crate::tenant::{{TenantCtx, PackId, FlowId}};

"""

TEMPLATES = [
    # unscoped secret lookups and their scoped twins
    """\
pub async fn {verb}_{noun}_credentials(secrets: &dyn SecretsManager, name: &str) -> Result<String, SecretError> {{
    let key = format!("{noun}/{{}}", name);
    secrets.get_secret(&key).await
}}

pub async fn {verb}_{noun}_credentials_scoped(secrets: &dyn SecretsManager, tenant: &TenantCtx, name: &str) -> Result<String, SecretError> {{
    let key = scoped_key(tenant, &format!("{noun}/{{}}", name));
    secrets.get_secret(&key).await
}}
""",
    # the tenant (or the pack id) is right there and the key forgets it: the shapes that
    # come with a fix
    """\
pub async fn {verb}_{noun}_secret_{idx}(secrets: &dyn SecretsManager, tenant: &TenantCtx, name: &str) -> Result<String, SecretError> {{
    tracing::debug!(tenant = %tenant.tenant_id, "reading {noun} secret");
    secrets.get_secret(&format!("{noun}/{{}}", name)).await
}}

fn {noun}_resume_key_{idx}(pack_id: &str, flow_id: &str, session: &str) -> String {{
    format!("resume:{{}}:{{}}", flow_id, session)
}}
""",
    """\
fn {noun}_{idx}_token() -> Option<String> {{
    std::env::var("{secret}").ok()
}}

fn {noun}_{idx}_log_level() -> String {{
    std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_string())
}}
""",
    # flow-id keyed registries next to pack-qualified ones
    """\
pub struct {Noun}Registry{idx} {{
    by_id: Arc<RwLock<HashMap<String, {Noun}Def>>>,
    scoped: HashMap<(PackId, FlowId), {Noun}Def>,
}}

impl {Noun}Registry{idx} {{
    pub fn {verb}(&self, flow_id: String, def: {Noun}Def) {{
        self.by_id.write().unwrap().insert(flow_id, def);
    }}

    pub fn {verb}_scoped(&mut self, pack_id: PackId, flow_id: FlowId, def: {Noun}Def) {{
        self.scoped.insert((pack_id, flow_id), def);
    }}

    pub fn lookup(&self, flow_id: &str) -> Option<{Noun}Def> {{
        self.by_id.read().unwrap().get(flow_id).cloned()
    }}
}}
""",
    # derived keys
    """\
fn {noun}_state_key_{idx}(flow_id: &str, session: &str) -> String {{
    format!("state:{{}}:{{}}", flow_id, session)
}}

fn {noun}_state_key_scoped_{idx}(tenant: &TenantCtx, pack_id: &str, flow_id: &str, session: &str) -> String {{
    format!("state:{{}}:{{}}:{{}}:{{}}", tenant.tenant_id, pack_id, flow_id, session)
}}
""",
    # key structs
    """\
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct {Noun}Key{idx} {{
    pub flow_id: String,
    pub session: String,
}}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scoped{Noun}Key{idx} {{
    pub tenant: String,
    pub pack_id: String,
    pub flow_id: String,
}}
""",
    # telemetry
    """\
pub fn handle_{noun}_{idx}(ctx: &TenantCtx, request: &Request) -> Response {{
    set_current_tenant_ctx(ctx.clone());
    let span = tracing::info_span!("{noun}", tenant = %ctx.tenant_id);
    let _guard = span.enter();
    {verb}_request(request)
}}

pub fn init_telemetry_{idx}() {{
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
}}
""",
    # statics: mutable shared state vs immutable tables
    """\
static {NOUN}_CACHE_{idx}: OnceLock<Mutex<HashMap<String, Arc<{Noun}Def>>>> = OnceLock::new();
static {NOUN}_NAMES_{idx}: &[&str] = &["alpha", "beta", "gamma"];
const {NOUN}_LIMIT_{idx}: usize = {limit};

fn cached_{noun}_{idx}(id: &str) -> Option<Arc<{Noun}Def>> {{
    {NOUN}_CACHE_{idx}.get_or_init(Default::default).lock().unwrap().get(id).cloned()
}}
""",
    # plain business logic that must stay quiet
    """\
impl fmt::Display for {Noun}Summary{idx} {{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {{
        write!(f, "{{}} ({{}} items, {{}} bytes)", self.name, self.items.len(), self.size)
    }}
}}

pub fn summarize_{noun}_{idx}(items: &[{Noun}Def]) -> BTreeMap<String, usize> {{
    let mut counts = BTreeMap::new();
    for item in items.iter().filter(|i| i.enabled && i.size < {limit}) {{
        *counts.entry(item.kind.to_string()).or_insert(0) += 1;
    }}
    let unique: HashSet<&str> = items.iter().map(|i| i.kind.as_str()).collect();
    debug_assert!(unique.len() <= counts.len());
    counts
}}
""",
    # test module: findings here are not reported by default
    """\
#[cfg(test)]
mod tests_{idx} {{
    use super::*;

    static FIXTURE_CACHE: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();

    #[test]
    fn {verb}s_{noun}() {{
        let key = format!("state:{{}}", "flow-1");
        assert_eq!(key, "state:flow-1");
    }}
}}
""",
]


def _module(rng: random.Random, crate: str, module: str, target_bytes: int) -> str:
    noun, verb = rng.choice(NOUNS), rng.choice(VERBS)
    parts = [HEADER.format(crate=crate, module=module, noun=noun, verb=verb)]
    size = len(parts[0])
    index = 0
    while size < target_bytes:
        template = rng.choice(TEMPLATES)
        noun = rng.choice(NOUNS)
        chunk = template.format(
            noun=noun, Noun=noun.capitalize(), NOUN=noun.upper(), verb=rng.choice(VERBS),
            idx=index, secret=rng.choice(SECRETS), limit=rng.randrange(16, 4096),
        )
        parts.append(chunk + "\n")
        size += len(chunk) + 1
        index += 1
    return "".join(parts)


def generate(out_dir: Path, megabytes: float, seed: int, cargo_workspace: bool = False) -> tuple[int, int]:
    """Write the corpus; return (files, bytes) of its modules."""
    rng = random.Random(seed)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    total_target = int(megabytes * 1024 * 1024)
    written = files = 0
    while written < total_target:
        crate = CRATES[files % len(CRATES)]
        module = f"{rng.choice(NOUNS)}_{rng.choice(VERBS)}_{files}"
        text = _module(rng, crate, module, rng.randrange(4_000, 24_000))
        path = out_dir / crate / "src" / f"{module}.rs"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written += len(text.encode())
        files += 1
    if cargo_workspace:
        _write_cargo_workspace(out_dir)
    return files, written


_REGISTRY = re.compile(r"^pub struct (\w+Registry\d+) \{", re.MULTILINE)


def _write_cargo_workspace(out_dir: Path) -> None:
    crates = sorted(path.name for path in out_dir.iterdir() if (path / "src").is_dir())
    members = "".join(f'    "{crate}",\n' for crate in crates)
    (out_dir / "Cargo.toml").write_text(f'[workspace]\nresolver = "2"\nmembers = [\n{members}]\n')
    for crate in crates:
        source = out_dir / crate / "src"
        modules = sorted(path for path in source.glob("*.rs"))
        (out_dir / crate / "Cargo.toml").write_text(f'[package]\nname = "{crate}"\nversion = "0.1.0"\nedition = "2021"\n')
        (source / "lib.rs").write_text("".join(f"pub mod {module.stem};\n" for module in modules))
        registries = sorted({name for module in modules for name in _REGISTRY.findall(module.read_text())})
        built = "".join(f"    let _{name.lower()} = {name}::default();\n" for name in registries)
        (source / "main.rs").write_text(f"//! {crate}: one host process serving every tenant.\n\nfn main() {{\n{built}}}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--megabytes", type=float, default=12.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cargo-workspace", action="store_true", help="make the crates Cargo packages of one workspace")
    args = parser.parse_args()
    files, size = generate(args.out_dir, args.megabytes, args.seed, args.cargo_workspace)
    print(f"wrote {files} files, {size / 1e6:.1f} MB to {args.out_dir}")


if __name__ == "__main__":
    main()
