//! Telemetry context: tenant data travels with the call, never through thread-wide slots.

use std::cell::RefCell;
use std::env;

use crate::observability::opentelemetry::global;
use crate::observability::{tracing, Subscriber, TracerProvider};
use crate::tenancy::TenantCtx;

thread_local! {
    /// The tenant "currently" being served on this worker thread.
    static CURRENT_TENANT: RefCell<Option<TenantCtx>> = RefCell::new(None);
    /// A formatting buffer reused by the log writer; holds no tenant data between calls.
    static LINE_BUFFER: RefCell<String> = RefCell::new(String::new());
}

/// Process startup: the one place global telemetry is installed.
pub fn init_telemetry(service_name: &str) {
    env::set_var("OTEL_SERVICE_NAME", service_name);
    global::set_tracer_provider(TracerProvider::for_service(service_name));
    tracing::subscriber::set_global_default(Subscriber { json: true })
        .expect("telemetry installed twice");
}

/// Tenant context pushed into a thread slot: a pooled worker that skips this call, or an
/// await that resumes on another thread, logs the wrong tenant.
pub fn enter_tenant(ctx: &TenantCtx) {
    CURRENT_TENANT.with(|slot| *slot.borrow_mut() = Some(ctx.clone())); // expect: ISO301
}

pub fn current_tenant() -> Option<TenantCtx> {
    CURRENT_TENANT.with(|slot| slot.borrow().clone())
}

/// The tenant travels with the event.
pub fn record_event(ctx: &TenantCtx, flow_id: &str, event: &str) -> String {
    LINE_BUFFER.with(|buffer| {
        let mut line = buffer.borrow_mut();
        line.clear();
        line.push_str(&format!(
            "tenant={} flow={} event={}",
            ctx.tenant_id, flow_id, event
        ));
        line.clone()
    })
}

/// Reconfigures global telemetry for whichever tenant's request came in last.
pub fn retag_for_request(ctx: &TenantCtx) {
    global::set_tracer_provider(TracerProvider::for_service(&ctx.tenant_id)); // expect: ISO302
}
