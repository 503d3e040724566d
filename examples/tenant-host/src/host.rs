//! The host: installs tenants' packs and serves their requests in one process.

use std::env;

use crate::flows::{InstalledPackFlows, PackFlowRegistry, PackIndex};
use crate::packs::Pack;
use crate::secrets::{payment_api_key_for, SecretsBackend};
use crate::sessions::{scoped_state_key, StateStore};
use crate::shared::{content_type, count_status, TenantClients};
use crate::telemetry::record_event;
use crate::tenancy::TenantCtx;

pub struct Request {
    pub tenant: TenantCtx,
    pub pack_id: String,
    pub flow_id: String,
    pub session: String,
}

pub struct Host {
    secrets: Box<dyn SecretsBackend>,
    packs: PackIndex,
    registry: PackFlowRegistry,
    installed: InstalledPackFlows,
    states: StateStore,
    clients: TenantClients,
}

impl Host {
    pub fn new(secrets: Box<dyn SecretsBackend>) -> Self {
        Host {
            secrets,
            packs: PackIndex::default(),
            registry: PackFlowRegistry::default(),
            installed: InstalledPackFlows::default(),
            states: StateStore::default(),
            clients: TenantClients::default(),
        }
    }

    pub fn install(&mut self, pack: Pack) -> Result<(), String> {
        let duplicates = pack.duplicate_flow_ids();
        if !duplicates.is_empty() {
            return Err(format!(
                "pack {} ships flow ids more than once: {}",
                pack.pack_id,
                duplicates.join(", ")
            ));
        }
        for flow in &pack.flows {
            self.registry.register(flow.clone());
            self.installed.install(flow.clone());
        }
        self.packs.install(pack);
        Ok(())
    }

    /// Per-request path: everything tenant-specific is derived from `request.tenant`.
    pub fn handle(&mut self, request: &Request) -> String {
        let Some(flow) = self.registry.lookup(&request.pack_id, &request.flow_id) else {
            count_status(&request.tenant, 404);
            return "404".to_string();
        };
        let owner_matches = self
            .packs
            .get(&flow.pack_id)
            .map(|pack| pack.owner == request.tenant);
        if owner_matches != Some(true) {
            count_status(&request.tenant, 403);
            return "403".to_string();
        }
        let api_key = payment_api_key_for(self.secrets.as_ref(), &request.tenant, "stripe_api_key");
        let key = scoped_state_key(
            &request.tenant,
            &flow.pack_id,
            &flow.flow_id,
            &request.session,
        );
        self.states
            .save(key, flow.entry_component.clone().into_bytes());
        let client = self.clients.for_tenant(&request.tenant.tenant_id);
        let fetched = client.get(&format!("https://api.example.com/{}", flow.flow_id));
        count_status(&request.tenant, 200);
        format!(
            "{} ({}, key {}) {}",
            record_event(&request.tenant, &flow.flow_id, "completed"),
            content_type("json"),
            if api_key.is_some() {
                "present"
            } else {
                "missing"
            },
            fetched
        )
    }

    /// A debugging aid that ended up on the request path: the exporter's resource attributes
    /// are process-wide, so every tenant's spans get the last caller's tenant id.
    pub fn tag_exporter(&self, request: &Request) {
        let attributes = format!("tenant.id={}", request.tenant.tenant_id);
        env::set_var("OTEL_RESOURCE_ATTRIBUTES", attributes); // expect: ISO302
    }
}
