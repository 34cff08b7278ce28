//! The one piece of code each generated vendor crate needs by hand.

/// What every generated vendor client offers the code built on it (implemented by
/// [`hook_generated_client!`](crate::hook_generated_client)): made from a base URL and a [`Runtime`](crate::Runtime), and
/// giving both back, so a façade can make a copy of a client whose calls go through another
/// runtime (an acting copy) without knowing which vendor's client it holds.
pub trait GeneratedClient: Clone + Send + Sync + 'static {
    /// A client for `baseurl` whose requests go through `runtime`.
    fn with_runtime(baseurl: &str, runtime: crate::Runtime) -> Self;

    /// The base URL the client was made with.
    fn base_url(&self) -> &str;

    /// The runtime its requests go through.
    fn runtime(&self) -> &crate::Runtime;
}

/// Implements progenitor's `ClientHooks` for the generated `Client` in the calling crate, so
/// that every request goes through the client's [`Runtime`](crate::Runtime), and adds
/// `Client::with_runtime(baseurl, runtime)` and [`GeneratedClient`].
///
/// Call it once at the root of a vendor crate whose generated code was made with the inner type
/// `::ehr_runtime::Runtime` (as `cargo xtask codegen` does):
///
/// ```ignore
/// mod generated;
/// pub use generated::*;
/// ehr_runtime::hook_generated_client!("elation");
/// ```
///
/// Only `exec` is implemented: `cargo xtask codegen` takes progenitor's calls of the `pre` and
/// `post` hooks (empty by default) out of generated code, so implementing them here would have
/// no effect.
///
/// Decoding needs nothing here: the codegen gives each generated struct a `Deserialize` impl
/// that reads its optional fields tolerantly (and, for a vendor whose `""` means absent, reads
/// `""` as `None`; see [`decode`](crate::decode)), so responses are decoded as they arrive.
#[macro_export]
macro_rules! hook_generated_client {
    ($vendor:literal) => {
        impl $crate::__private::progenitor_client::ClientHooks<$crate::Runtime> for Client {
            // Not an `async fn`: the runtime's future is returned as it is, not moved into a
            // wrapper's on every call.
            fn exec(
                &self,
                request: $crate::__private::reqwest::Request,
                info: &$crate::__private::progenitor_client::OperationInfo,
            ) -> impl ::std::future::Future<
                Output = $crate::__private::reqwest::Result<$crate::__private::reqwest::Response>,
            > {
                let call = $crate::CallInfo {
                    vendor: $vendor,
                    operation_id: info.operation_id,
                };
                $crate::__private::progenitor_client::ClientInfo::inner(self).execute(request, call)
            }
        }

        impl Client {
            /// Creates a client for `baseurl` (scheme, host, port and path stem) whose requests
            /// go through `runtime` and are sent with the runtime's HTTP client.
            pub fn with_runtime(baseurl: &str, runtime: $crate::Runtime) -> Self {
                let http = runtime.http().clone();
                Self::new_with_client(baseurl, http, runtime)
            }
        }

        impl $crate::GeneratedClient for Client {
            fn with_runtime(baseurl: &str, runtime: $crate::Runtime) -> Self {
                Client::with_runtime(baseurl, runtime)
            }

            fn base_url(&self) -> &str {
                $crate::__private::progenitor_client::ClientInfo::baseurl(self)
            }

            fn runtime(&self) -> &$crate::Runtime {
                $crate::__private::progenitor_client::ClientInfo::inner(self)
            }
        }
    };
}
