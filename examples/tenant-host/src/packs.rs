//! Packs are bundles of flows that one tenant installs; flow ids are only unique per pack.

use std::collections::HashSet;

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
        Pack {
            pack_id: pack_id.to_string(),
            owner,
            flows,
        }
    }

    /// Flow ids repeated inside this one pack. Within a pack the flow id alone is the
    /// right key: uniqueness is only promised per pack.
    pub fn duplicate_flow_ids(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        self.flows
            .iter()
            .map(|flow| flow.flow_id.as_str())
            .filter(|flow_id| !seen.insert(*flow_id))
            .collect()
    }
}
