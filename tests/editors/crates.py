"""The small Rust crates the editor tests open, with the lines their findings are on."""

from __future__ import annotations

from pathlib import Path

FLOW_REGISTRIES = """\
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

pub struct Flow {
    pub id: String,
    pub pack_id: String,
}

pub struct FlowRegistry {
    flows: Arc<RwLock<HashMap<String, Flow>>>,
}

impl FlowRegistry {
    pub fn register(&self, flow: Flow) {
        self.flows.write().unwrap().insert(flow.id.clone(), flow);
    }
}

pub struct ScopedFlowRegistry {
    flows: Arc<RwLock<HashMap<(String, String), Flow>>>,
}

impl ScopedFlowRegistry {
    pub fn register(&self, flow: Flow) {
        self.flows.write().unwrap().insert((flow.pack_id.clone(), flow.id.clone()), flow);
    }
}
"""
FLOW_ID_KEYED_LINE = 9  # 0-based: `flows: Arc<RwLock<HashMap<String, Flow>>>` of FlowRegistry

SECRET_LOOKUPS = """\
pub struct TenantCtx {
    pub id: String,
}

pub trait SecretStore {
    fn get_secret(&self, name: &str) -> Option<String>;
}

pub fn scoped_key(tenant: &TenantCtx, name: &str) -> String {
    format!("{}/{}", tenant.id, name)
}

pub fn stripe_key(ctx: &TenantCtx, store: &dyn SecretStore) -> Option<String> {
    store.get_secret("stripe/secret_key")
}

pub fn scoped_stripe_key(ctx: &TenantCtx, store: &dyn SecretStore) -> Option<String> {
    store.get_secret(&scoped_key(ctx, "stripe/secret_key"))
}
"""
UNSCOPED_LOOKUP_LINE = 13  # 0-based: `store.get_secret("stripe/secret_key")` in stripe_key
SECRET_LOOKUPS_SCOPED = SECRET_LOOKUPS.replace(
    'store.get_secret("stripe/secret_key")\n}\n\npub fn scoped',
    'store.get_secret(&scoped_key(ctx, "stripe/secret_key"))\n}\n\npub fn scoped',
)

CRATE_WITH_STALE_SUPPRESSION = """\
use std::collections::HashMap;

pub fn greeting(names: &HashMap<String, String>, user: &str) -> String {
    // isolint: allow(ISO401) reason: the shared cache that was here moved into the tenant context
    let name = names.get(user).cloned().unwrap_or_default();
    format!("hello {name}")
}
"""
STALE_SUPPRESSION_LINE = 3
CRATE_AFTER_FIX = """\
use std::collections::HashMap;

pub fn greeting(names: &HashMap<String, String>, user: &str) -> String {
    let name = names.get(user).cloned().unwrap_or_default();
    format!("hello {name}")
}
"""
CLEAN_CRATE = """\
pub fn add(left: u64, right: u64) -> u64 {
    left + right
}
"""


def make_crate(root: Path, lib_rs: str) -> Path:
    """A library crate named after ``root`` whose src/lib.rs is ``lib_rs``; returns lib.rs."""
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text(f'[package]\nname = "{root.name}"\nversion = "0.1.0"\nedition = "2021"\n')
    lib = root / "src" / "lib.rs"
    lib.write_text(lib_rs)
    return lib


# A safe fix (the stale suppression) beside an unsafe one (the unscoped lookup): fix-all must
# apply only the first.
MIXED_FIXES = CRATE_WITH_STALE_SUPPRESSION + "\n" + SECRET_LOOKUPS
MIXED_FIXES_AFTER_FIX_ALL = CRATE_AFTER_FIX + "\n" + SECRET_LOOKUPS
MIXED_UNSCOPED_LOOKUP_LINE_AFTER_FIX_ALL = len(CRATE_AFTER_FIX.splitlines()) + 1 + UNSCOPED_LOOKUP_LINE
