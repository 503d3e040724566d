//! The host binary: installs two tenants' packs and serves one request for each.

use std::env;

use tenant_host::host::{Host, Request};
use tenant_host::packs::Pack;
use tenant_host::secrets::{backend_for, host_admin_token, RunMode};
use tenant_host::telemetry;
use tenant_host::tenancy::TenantCtx;

fn main() {
    telemetry::init_telemetry("tenant-host");
    if host_admin_token().is_none() {
        eprintln!("HOST_ADMIN_TOKEN is not set; the admin endpoint stays disabled");
    }
    let mode = if env::var("TENANT_HOST_DEV").is_ok() {
        RunMode::Development
    } else {
        RunMode::Production
    };
    let mut host = Host::new(backend_for(mode, "https://vault.internal:8200"));

    let acme = TenantCtx::new("acme", "prod");
    let globex = TenantCtx::new("globex", "prod");
    // Both tenants ship a flow called `checkout`; only (pack_id, flow_id) tells them apart.
    for pack in [
        Pack::new("acme-shop", acme.clone(), &["checkout", "refund"]),
        Pack::new("globex-store", globex.clone(), &["checkout"]),
    ] {
        if let Err(problem) = host.install(pack) {
            eprintln!("{problem}");
        }
    }

    for (tenant, pack_id) in [(acme, "acme-shop"), (globex, "globex-store")] {
        let request = Request {
            tenant,
            pack_id: pack_id.to_string(),
            flow_id: "checkout".to_string(),
            session: "42".to_string(),
        };
        println!("{}", host.handle(&request));
    }
}
