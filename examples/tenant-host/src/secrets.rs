//! Secret backends and the lookups flows make through them.

use std::collections::HashMap;
use std::env;

use crate::packs::{Flow, Pack};
use crate::tenancy::{scoped_key, tenant_scope_key, TenantCtx};

/// Where flows read credentials from. One backend serves every tenant in the process.
pub trait SecretsBackend: Send + Sync {
    fn get_secret(&self, key: &str) -> Option<String>;
}

/// Reads secrets from the process environment: a single namespace shared by all tenants.
pub struct EnvSecrets;

impl EnvSecrets {
    pub fn new() -> Self {
        EnvSecrets
    }
}

impl SecretsBackend for EnvSecrets {
    fn get_secret(&self, key: &str) -> Option<String> {
        let variable = key.to_uppercase().replace('/', "_");
        env::var(variable).ok()
    }
}

/// Stands in for a remote vault client; entries are stored under their full (scoped) path.
pub struct VaultSecrets {
    entries: HashMap<String, String>,
}

impl VaultSecrets {
    pub fn connect(address: &str) -> Self {
        let mut entries = HashMap::new();
        entries.insert("vault/address".to_string(), address.to_string());
        VaultSecrets { entries }
    }

    pub fn with_entry(mut self, path: &str, value: &str) -> Self {
        self.entries.insert(path.to_string(), value.to_string());
        self
    }
}

impl SecretsBackend for VaultSecrets {
    fn get_secret(&self, key: &str) -> Option<String> {
        self.entries.get(key).cloned()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunMode {
    Development,
    Production,
}

/// Production wiring that never got its guard: every tenant reads the host's environment.
pub fn production_backend() -> Box<dyn SecretsBackend> {
    Box::new(EnvSecrets::new()) // expect: ISO102
}

/// The environment backend only on a developer machine; a real vault everywhere else.
pub fn backend_for(mode: RunMode, vault_address: &str) -> Box<dyn SecretsBackend> {
    match mode {
        RunMode::Development => Box::new(EnvSecrets::new()),
        RunMode::Production => Box::new(VaultSecrets::connect(vault_address)),
    }
}

/// Debug builds may read secrets from the environment; release builds never compile this.
#[cfg(debug_assertions)]
pub fn local_backend() -> Box<dyn SecretsBackend> {
    Box::new(EnvSecrets::new())
}

/// A bare name: tenant A's flow asking for "stripe_api_key" gets the entry tenant B wrote.
pub fn payment_api_key(secrets: &dyn SecretsBackend, name: &str) -> Option<String> {
    secrets.get_secret(name) // expect: ISO101
}

/// The same lookup routed through the scoping helper.
pub fn payment_api_key_for(
    secrets: &dyn SecretsBackend,
    tenant: &TenantCtx,
    name: &str,
) -> Option<String> {
    let key = scoped_key(tenant, name);
    secrets.get_secret(&key)
}

/// Keys built inline from the tenant context are scoped too.
pub fn database_url(secrets: &dyn SecretsBackend, tenant: &TenantCtx) -> Option<String> {
    let path = format!("tenants/{}/{}/database_url", tenant.tenant_id, tenant.env);
    secrets.get_secret(path.as_str())
}

/// Per-pack credentials are keyed by the pack that owns them.
pub fn webhook_signing_key(secrets: &dyn SecretsBackend, pack: &Pack) -> Option<String> {
    let key = format!("packs/{}/webhook_signing_key", pack.pack_id);
    secrets.get_secret(&key)
}

/// The flow id alone does not say whose database this is.
pub fn flow_database_password(secrets: &dyn SecretsBackend, flow: &Flow) -> Option<String> {
    let key = format!("flows/{}/db_password", flow.flow_id); // expect: ISO202
    secrets.get_secret(&key) // expect: ISO101
}

/// Mail settings for one tenant: the sender is per tenant, but the password is the one
/// SMTP password the whole process has, with the tenant in reach and ignored.
pub fn smtp_settings_for(tenant: &TenantCtx) -> (String, Option<String>) {
    let sender = format!("noreply+{}@mail.example.com", tenant.tenant_id);
    let password = env::var("SMTP_PASSWORD").ok(); // expect: ISO101
    (sender, password)
}

/// The host's own admin token, read once at startup; it belongs to no tenant.
pub fn host_admin_token() -> Option<String> {
    env::var("HOST_ADMIN_TOKEN").ok()
}

/// Not a secret: the listen port is host configuration.
pub fn listen_port() -> u16 {
    env::var("PORT")
        .ok()
        .and_then(|port| port.parse().ok())
        .unwrap_or(8080)
}

/// A secret store with its own read API, as many vault clients have.
pub struct SecretStore {
    backend: Box<dyn SecretsBackend>,
}

impl SecretStore {
    pub fn new(backend: Box<dyn SecretsBackend>) -> Self {
        SecretStore { backend }
    }

    pub fn read(&self, path: &str) -> Option<String> {
        self.backend.get_secret(path)
    }

    pub fn resolve_binding(&self, name: &str) -> Option<String> {
        self.backend.get_secret(name)
    }
}

/// Called from the request path with names that come from pack manifests.
pub fn oauth_client_secret(secret_store: &SecretStore, provider: &str) -> Option<String> {
    secret_store.read(&format!("oauth/{provider}/client_secret")) // expect: ISO101
}

pub fn oauth_client_secret_for(
    secret_store: &SecretStore,
    tenant: &TenantCtx,
    provider: &str,
) -> Option<String> {
    secret_store.read(&tenant_scope_key(
        tenant,
        &format!("oauth/{provider}/client_secret"),
    ))
}

pub fn smtp_credential(secret_store: &SecretStore, name: &str) -> Option<String> {
    secret_store.resolve_binding(name) // expect: ISO101
}

pub fn smtp_credential_for(secret_store: &SecretStore, tenant: &TenantCtx) -> Option<String> {
    let name = scoped_key(tenant, "smtp");
    secret_store.resolve_binding(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Test code reads fixed names from a throwaway backend; not reported by default.
    #[test]
    fn vault_returns_stored_entries() {
        let vault =
            VaultSecrets::connect("http://127.0.0.1:8200").with_entry("stripe_api_key", "sk_test");
        assert_eq!(
            vault.get_secret("stripe_api_key").as_deref(),
            Some("sk_test")
        );
    }
}
