//! The key-value interface that packs' components call: the guest names its keys, and the
//! host decides whose entry a name reaches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::tenancy::{scoped_key, TenantCtx};

/// What the component bindings generator (wit-bindgen) emits for the `kv` interface the host
/// provides: the host implements `Host`; the guest calls it with keys of its own choosing.
pub mod bindings {
    pub mod kv {
        pub trait Host {
            fn get(&mut self, key: String) -> Option<Vec<u8>>;
            fn set(&mut self, key: String, value: Vec<u8>);
        }
    }
}

/// One store for the whole host; every component instance holds a handle to it.
#[derive(Default)]
pub struct KvBackend {
    entries: Mutex<HashMap<String, Vec<u8>>>,
}

impl KvBackend {
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.entries.lock().unwrap().get(key).cloned()
    }

    pub fn put(&self, key: String, value: Vec<u8>) {
        self.entries.lock().unwrap().insert(key, value);
    }
}

/// The host state of one component instance, made when a tenant's pack is instantiated.
pub struct GuestKv {
    tenant: TenantCtx,
    backend: Arc<KvBackend>,
}

impl GuestKv {
    pub fn new(tenant: TenantCtx, backend: Arc<KvBackend>) -> Self {
        GuestKv { tenant, backend }
    }
}

impl bindings::kv::Host for GuestKv {
    /// The guest's name used as it is: another tenant's component that asks for `config`
    /// reads this tenant's entry.
    fn get(&mut self, key: String) -> Option<Vec<u8>> {
        self.backend.get(&key) // expect: ISO204
    }

    fn set(&mut self, key: String, value: Vec<u8>) {
        self.backend.put(scoped_key(&self.tenant, &key), value);
    }
}
