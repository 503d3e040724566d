//! Std-only stand-ins with the shapes of the `opentelemetry` and `tracing` crates' global
//! setters, so the example builds without dependencies. Both install process-wide state.

use std::sync::atomic::{AtomicBool, Ordering};

static PROVIDER_INSTALLED: AtomicBool = AtomicBool::new(false);
static SUBSCRIBER_INSTALLED: AtomicBool = AtomicBool::new(false);

#[derive(Clone, Debug)]
pub struct TracerProvider {
    pub service_name: String,
}

impl TracerProvider {
    pub fn for_service(service_name: &str) -> Self {
        TracerProvider {
            service_name: service_name.to_string(),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Subscriber {
    pub json: bool,
}

pub mod opentelemetry {
    pub mod global {
        use super::super::{TracerProvider, PROVIDER_INSTALLED};
        use std::sync::atomic::Ordering;

        pub fn set_tracer_provider(provider: TracerProvider) {
            PROVIDER_INSTALLED.store(!provider.service_name.is_empty(), Ordering::SeqCst);
        }
    }
}

pub mod tracing {
    pub mod subscriber {
        use super::super::{Subscriber, SUBSCRIBER_INSTALLED};
        use std::sync::atomic::Ordering;

        pub fn set_global_default(subscriber: Subscriber) -> Result<(), String> {
            if SUBSCRIBER_INSTALLED.swap(true, Ordering::SeqCst) {
                return Err("a global subscriber is already installed".to_string());
            }
            let _ = subscriber.json;
            Ok(())
        }
    }
}

pub fn provider_installed() -> bool {
    PROVIDER_INSTALLED.load(Ordering::SeqCst)
}
