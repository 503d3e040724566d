//! Packs are bundles of flows that one tenant installs; flow ids are only unique per pack.

use crate::tenancy::TenantCtx;

#[derive(Clone, Debug, PartialEq)]
pub struct Flow {
    pub pack_id: String,
    pub flow_id: String,
    pub entry_component: String,
}

#[derive(Clone, Debug)]
pub struct Pack {
    pub pack_id: String,
    pub owner: TenantCtx,
    pub flows: Vec<Flow>,
}

impl Pack {
    pub fn new(pack_id: &str, owner: TenantCtx, flow_ids: &[&str]) -> Self {
        let flows = flow_ids
            .iter()
            .map(|flow_id| Flow {
                pack_id: pack_id.to_string(),
                flow_id: flow_id.to_string(),
                entry_component: format!("{pack_id}/{flow_id}.wasm"),
            })
            .collect();
        Pack { pack_id: pack_id.to_string(), owner, flows }
    }
}
