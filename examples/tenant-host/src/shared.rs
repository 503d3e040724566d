//! Process-wide statics: an HTTP client and a response cache every tenant shares, next to
//! immutable tables that are safe to share.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, OnceLock};

use crate::tenancy::TenantCtx;

/// Stands in for an HTTP client with a connection pool and mutable default headers.
pub struct HttpClient {
    default_headers: Mutex<Vec<(String, String)>>,
    idle_connections: Mutex<Vec<String>>,
}

impl HttpClient {
    pub fn new() -> Self {
        HttpClient {
            default_headers: Mutex::new(Vec::new()),
            idle_connections: Mutex::new(Vec::new()),
        }
    }

    pub fn set_default_header(&self, name: &str, value: &str) {
        self.default_headers
            .lock()
            .unwrap()
            .push((name.to_string(), value.to_string()));
    }

    pub fn get(&self, url: &str) -> String {
        self.idle_connections.lock().unwrap().push(url.to_string());
        format!(
            "GET {url} with {} default headers",
            self.default_headers.lock().unwrap().len()
        )
    }
}

/// One client for all tenants: a default header set for one tenant is sent for all.
static HTTP: OnceLock<HttpClient> = OnceLock::new(); // expect: ISO401

pub fn http() -> &'static HttpClient {
    HTTP.get_or_init(HttpClient::new)
}

/// Responses cached by URL for the whole process.
static RESPONSE_CACHE: LazyLock<Mutex<HashMap<String, String>>> =
    LazyLock::new(|| Mutex::new(HashMap::new())); // expect^: ISO401

pub fn cached_get(url: &str) -> String {
    let mut cache = RESPONSE_CACHE.lock().unwrap();
    cache
        .entry(url.to_string())
        .or_insert_with(|| http().get(url))
        .clone()
}

/// Immutable lookup tables: built once, never written, no tenant data.
static CONTENT_TYPES: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| HashMap::from([("json", "application/json"), ("wasm", "application/wasm")]));

static RESERVED_FLOW_IDS: [&str; 3] = ["_init", "_health", "_admin"];

pub fn content_type(extension: &str) -> &'static str {
    CONTENT_TYPES
        .get(extension)
        .copied()
        .unwrap_or("application/octet-stream")
}

pub fn is_reserved(flow_id: &str) -> bool {
    RESERVED_FLOW_IDS.contains(&flow_id)
}

/// Host-level request counters, audited: they carry no tenant data. The tenant is in reach
/// where they are counted, and deliberately left out of the key.
// isolint: allow(ISO401) reason: process-wide counters only, never keyed or labelled by tenant
static REQUEST_COUNTS: OnceLock<Mutex<HashMap<u16, u64>>> = OnceLock::new();

pub fn count_status(tenant: &TenantCtx, status: u16) {
    debug_assert!(
        !tenant.tenant_id.is_empty(),
        "requests are counted once their tenant is known"
    );
    let counts = REQUEST_COUNTS.get_or_init(|| Mutex::new(HashMap::new()));
    *counts.lock().unwrap().entry(status).or_insert(0) += 1;
}

/// Per-tenant clients owned by the host instead of a process-wide static.
#[derive(Default)]
pub struct TenantClients {
    by_tenant: HashMap<String, HttpClient>,
}

impl TenantClients {
    pub fn for_tenant(&mut self, tenant_id: &str) -> &HttpClient {
        self.by_tenant
            .entry(tenant_id.to_string())
            .or_insert_with(HttpClient::new)
    }
}
