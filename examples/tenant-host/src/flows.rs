//! Flow registries, caches and de-duplication. Flow ids are unique only within a pack, so
//! anything shared across packs must be keyed by (pack_id, flow_id).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use crate::packs::{Flow, Pack};

/// Loaded flows by flow id: a second pack shipping `checkout` silently replaces the first.
#[derive(Clone, Default)]
pub struct FlowRegistry {
    flows: Arc<RwLock<HashMap<String, Flow>>>, // expect: ISO201
}

impl FlowRegistry {
    pub fn register(&self, flow: Flow) {
        self.flows
            .write()
            .unwrap()
            .insert(flow.flow_id.clone(), flow);
    }

    pub fn lookup(&self, flow_id: &str) -> Option<Flow> {
        self.flows.read().unwrap().get(flow_id).cloned()
    }
}

/// What identifies a flow across packs.
#[derive(Clone, Debug, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlowKey {
    pub pack_id: String,
    pub flow_id: String,
}

impl FlowKey {
    pub fn of(flow: &Flow) -> Self {
        FlowKey {
            pack_id: flow.pack_id.clone(),
            flow_id: flow.flow_id.clone(),
        }
    }
}

/// The same registry keyed by pack and flow.
#[derive(Clone, Default)]
pub struct PackFlowRegistry {
    flows: Arc<RwLock<HashMap<FlowKey, Flow>>>,
}

impl PackFlowRegistry {
    pub fn register(&self, flow: Flow) {
        let key = FlowKey::of(&flow);
        self.flows.write().unwrap().insert(key, flow);
    }

    pub fn lookup(&self, pack_id: &str, flow_id: &str) -> Option<Flow> {
        let key = FlowKey {
            pack_id: pack_id.to_string(),
            flow_id: flow_id.to_string(),
        };
        self.flows.read().unwrap().get(&key).cloned()
    }
}

/// Compiled components, cached per node: node ids repeat across packs just like flow ids.
#[derive(Default)]
pub struct ComponentCache {
    compiled: Mutex<HashMap<String, Vec<u8>>>, // expect: ISO201
}

impl ComponentCache {
    pub fn get_or_compile(&self, node_id: &str, compile: impl FnOnce() -> Vec<u8>) -> Vec<u8> {
        let mut compiled = self.compiled.lock().unwrap();
        compiled
            .entry(node_id.to_string())
            .or_insert_with(compile)
            .clone()
    }
}

/// Compiled components cached by (pack_id, node_id).
#[derive(Default)]
pub struct PackComponentCache {
    compiled: Mutex<BTreeMap<(String, String), Vec<u8>>>,
}

impl PackComponentCache {
    pub fn get_or_compile(
        &self,
        pack_id: &str,
        node_id: &str,
        compile: impl FnOnce() -> Vec<u8>,
    ) -> Vec<u8> {
        let mut compiled = self.compiled.lock().unwrap();
        compiled
            .entry((pack_id.to_string(), node_id.to_string()))
            .or_insert_with(compile)
            .clone()
    }
}

/// Installed packs by pack id: the pack id is the scope, so this map is fine.
#[derive(Default)]
pub struct PackIndex {
    packs: HashMap<String, Pack>,
}

impl PackIndex {
    pub fn install(&mut self, pack: Pack) {
        self.packs.insert(pack.pack_id.clone(), pack);
    }

    pub fn get(&self, pack_id: &str) -> Option<&Pack> {
        self.packs.get(pack_id)
    }
}

/// Flows installed on this host, in install order.
#[derive(Default)]
pub struct InstalledFlows {
    flows: Vec<Flow>, // expect: ISO201
}

impl InstalledFlows {
    /// Replacing "the same flow" by flow id drops another pack's flow of that name.
    pub fn install(&mut self, incoming: Flow) {
        self.flows
            .retain(|existing| existing.flow_id != incoming.flow_id);
        self.flows.push(incoming);
    }

    /// The first flow with that id, from whichever pack was loaded first.
    pub fn find(&self, flow_id: &str) -> Option<&Flow> {
        self.flows.iter().find(|flow| flow.flow_id == flow_id)
    }
}

/// The same list, de-duplicated and searched by pack and flow.
#[derive(Default)]
pub struct InstalledPackFlows {
    flows: Vec<Flow>,
}

impl InstalledPackFlows {
    pub fn install(&mut self, incoming: Flow) {
        self.flows.retain(|existing| {
            !(existing.pack_id == incoming.pack_id && existing.flow_id == incoming.flow_id)
        });
        self.flows.push(incoming);
    }

    pub fn find(&self, pack_id: &str, flow_id: &str) -> Option<&Flow> {
        self.flows
            .iter()
            .find(|flow| flow.pack_id == pack_id && flow.flow_id == flow_id)
    }

    pub fn len(&self) -> usize {
        self.flows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }
}
