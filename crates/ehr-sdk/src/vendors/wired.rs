//! What every vendor's `Client` is built on: its generated client wired to the façade's
//! pipeline, and acting copies of it.

use ehr_runtime::{GeneratedClient, Runtime};

use crate::builder::Parts;
use crate::impersonation::Impersonation;
use crate::pipeline::FacadeTransport;

/// A generated client whose calls go through `transport`, kept with it so that an acting copy
/// can be made (same origin, connections, retries, rate limit and guard).
#[derive(Clone)]
pub(crate) struct Wired<A> {
    api: A,
    transport: FacadeTransport,
}

impl<A: GeneratedClient> Wired<A> {
    /// The generated client for the built settings' base URL, its calls through `transport`
    /// with the settings' HTTP client.
    pub(crate) fn new(parts: &Parts, transport: FacadeTransport) -> Self {
        Self {
            api: A::with_runtime(&parts.base_url, parts.runtime(transport.clone())),
            transport,
        }
    }

    /// A copy whose every call acts as `user` (see [`FacadeTransport::acting`]).
    #[cfg_attr(
        not(any(feature = "elation", feature = "empego", feature = "healthgorilla")),
        allow(dead_code)
    )]
    pub(crate) fn acting(&self, user: Impersonation) -> Self {
        let transport = self.transport.acting(user);
        let runtime = Runtime::new(self.api.runtime().http().clone(), transport.clone());
        Self {
            api: A::with_runtime(self.api.base_url(), runtime),
            transport,
        }
    }

    /// The generated client.
    pub(crate) fn api(&self) -> &A {
        &self.api
    }

    /// The pipeline the calls go through.
    pub(crate) fn transport(&self) -> &FacadeTransport {
        &self.transport
    }
}
