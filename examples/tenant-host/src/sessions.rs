//! Session, state and resume keys for paused flows, kept in one store for the whole host.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::packs::Flow;
use crate::tenancy::TenantCtx;

/// Paused flow state; keys decide whose state a resume gets back.
#[derive(Default)]
pub struct StateStore {
    entries: Mutex<HashMap<String, Vec<u8>>>,
}

impl StateStore {
    pub fn save(&self, key: String, state: Vec<u8>) {
        self.entries.lock().unwrap().insert(key, state);
    }

    pub fn load(&self, key: &str) -> Option<Vec<u8>> {
        self.entries.lock().unwrap().get(key).cloned()
    }
}

/// Two packs' `checkout` flows with session "42" share this key.
pub fn state_key(flow_id: &str, session: &str) -> String {
    format!("{flow_id}:{session}") // expect: ISO202
}

pub fn scoped_state_key(tenant: &TenantCtx, pack_id: &str, flow_id: &str, session: &str) -> String {
    format!("{}:{pack_id}:{flow_id}:{session}", tenant.tenant_id)
}

/// The pack id is right there on the flow, but the key leaves it out.
pub fn resume_key(flow: &Flow, session_hint: &str) -> String {
    flow.flow_id.clone() + ":" + session_hint // expect: ISO202
}

pub fn scoped_resume_key(tenant: &TenantCtx, flow: &Flow, session_hint: &str) -> String {
    format!(
        "{}/{}/{}:{}",
        tenant.tenant_id, flow.pack_id, flow.flow_id, session_hint
    )
}

/// A key type for paused sessions that forgets which pack (and tenant) the flow came from.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct SessionKey {
    // expect^: ISO203
    pub flow_id: String,
    pub session_id: String,
}

/// The scoped key type.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct ScopedSessionKey {
    pub tenant: TenantCtx,
    pub pack_id: String,
    pub flow_id: String,
    pub session_id: String,
}

/// Not about flows at all: routes are host-wide by design.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct RouteKey {
    pub method: String,
    pub path: String,
}

#[derive(Default)]
pub struct SessionTable {
    paused: HashMap<SessionKey, Vec<u8>>,
    scoped: HashMap<ScopedSessionKey, Vec<u8>>,
}

impl SessionTable {
    pub fn pause(&mut self, flow: &Flow, session_id: &str, state: Vec<u8>) {
        let key = SessionKey {
            flow_id: flow.flow_id.clone(),
            session_id: session_id.to_string(),
        };
        self.paused.insert(key, state);
    }

    pub fn pause_scoped(
        &mut self,
        tenant: &TenantCtx,
        flow: &Flow,
        session_id: &str,
        state: Vec<u8>,
    ) {
        let key = ScopedSessionKey {
            tenant: tenant.clone(),
            pack_id: flow.pack_id.clone(),
            flow_id: flow.flow_id.clone(),
            session_id: session_id.to_string(),
        };
        self.scoped.insert(key, state);
    }
}
