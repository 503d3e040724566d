"""Rust sources shaped like a multi-tenant pack host, shared by the server tests."""

REGISTRY = """use std::collections::HashMap;
use std::sync::{Arc, RwLock};

pub struct FlowRegistry {
    flows: Arc<RwLock<HashMap<String, Flow>>>,
}

impl FlowRegistry {
    pub fn register(&self, flow: Flow) {
        self.flows.write().unwrap().insert(flow.id.clone(), flow);
    }
}
"""

# An unused suppression (ISO002, safe fix: remove the line) and one without a reason (ISO001).
STALE_SUPPRESSIONS = """fn lookup(store: &SecretStore) -> String {
    // isolint: allow(ISO201) reason: the cache below is per pack
    let cached = store.get("db_password");
    // isolint: allow(ISO002)
    String::new()
}
"""

STALE_SUPPRESSIONS_FIXED = """fn lookup(store: &SecretStore) -> String {
    let cached = store.get("db_password");
    // isolint: allow(ISO002)
    String::new()
}
"""
