//! One module per vendor, each behind the cargo feature of the same name.

/// What every vendor's `Client` has alike: [`api`] (the generated client), `Deref` to it (so
/// every operation is a method), and a `Debug` named `$name` showing the base URL, the
/// pipeline and the listed fields (each already free of secrets). Used as
/// `vendor_client!("elation::Client", acting_as)` in the module defining `Client`, whose
/// `wired` field is a [`wired::Wired`] over the generated client.
#[allow(unused_macros)]
macro_rules! vendor_client {
    ($name:literal $(, $field:ident)*) => {
        impl Client {
            /// The generated client.
            pub fn api(&self) -> &super::api::Client {
                self.wired.api()
            }
        }

        impl std::ops::Deref for Client {
            type Target = super::api::Client;

            fn deref(&self) -> &Self::Target {
                self.wired.api()
            }
        }

        impl std::fmt::Debug for Client {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct($name)
                    .field(
                        "base_url",
                        &ehr_runtime::GeneratedClient::base_url(self.wired.api()),
                    )
                    .field("transport", self.wired.transport())
                    $(.field(stringify!($field), &self.$field))*
                    .finish_non_exhaustive()
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use vendor_client;

#[cfg(any(
    feature = "drchrono",
    feature = "elation",
    feature = "empego",
    feature = "healthgorilla"
))]
pub(crate) mod wired;

#[cfg(feature = "drchrono")]
pub mod drchrono;
#[cfg(feature = "elation")]
pub mod elation;
#[cfg(feature = "empego")]
pub mod empego;
#[cfg(feature = "healthgorilla")]
pub mod healthgorilla;
