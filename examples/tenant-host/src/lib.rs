//! tenant-host: runs several tenants' packs of flows in one process.
//!
//! This crate is the isolint example. Lines ending in an `expect:` comment are isolation
//! risks isolint reports (`expect^:` marks the line above); the functions beside them do
//! the same job safely.

pub mod flows;
pub mod guest_kv;
pub mod host;
pub mod observability;
pub mod packs;
pub mod secrets;
pub mod sessions;
pub mod shared;
pub mod telemetry;
pub mod tenancy;
