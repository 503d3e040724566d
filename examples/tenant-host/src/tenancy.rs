//! Who a request belongs to, and the one place that turns a bare name into a tenant key.

/// The tenant a request runs for; handed explicitly to everything that touches tenant data.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TenantCtx {
    pub tenant_id: String,
    pub env: String,
}

impl TenantCtx {
    pub fn new(tenant_id: &str, env: &str) -> Self {
        TenantCtx {
            tenant_id: tenant_id.to_string(),
            env: env.to_string(),
        }
    }
}

/// `tenants/{tenant}/{env}/{name}`: every secret and cache key goes through here.
pub fn scoped_key(tenant: &TenantCtx, name: &str) -> String {
    format!("tenants/{}/{}/{}", tenant.tenant_id, tenant.env, name)
}

/// The same scoping under the name older modules use (configured in isolint.toml).
pub fn tenant_scope_key(tenant: &TenantCtx, name: &str) -> String {
    scoped_key(tenant, name)
}
