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

/// The path template of `operation_id` in `vendor`'s spec (`/api/patients/{id}`), for the
/// `url.template` of a call's span; `None` for a vendor not built in or an unknown operation.
#[cfg_attr(
    not(any(
        feature = "drchrono",
        feature = "elation",
        feature = "empego",
        feature = "healthgorilla"
    )),
    allow(unused_variables)
)]
pub(crate) fn path_template(vendor: &str, operation_id: &str) -> Option<&'static str> {
    match vendor {
        #[cfg(feature = "drchrono")]
        "drchrono" => ehr_drchrono::operation(operation_id).map(|op| op.path),
        #[cfg(feature = "elation")]
        "elation" => ehr_elation::operation(operation_id).map(|op| op.path),
        #[cfg(feature = "empego")]
        "empego" => ehr_empego::operation(operation_id).map(|op| op.path),
        #[cfg(feature = "healthgorilla")]
        "healthgorilla" => ehr_healthgorilla::operation(operation_id).map(|op| op.path),
        _ => None,
    }
}

#[cfg(all(
    test,
    feature = "drchrono",
    feature = "elation",
    feature = "empego",
    feature = "healthgorilla"
))]
mod tests {
    use super::path_template;

    #[test]
    fn every_operation_of_every_spec_has_its_path_template() {
        let tables = [
            ("drchrono", ehr_drchrono::OPERATIONS),
            ("elation", ehr_elation::OPERATIONS),
            ("empego", ehr_empego::OPERATIONS),
            ("healthgorilla", ehr_healthgorilla::OPERATIONS),
        ];
        for (vendor, operations) in tables {
            assert!(!operations.is_empty(), "{vendor}");
            for op in operations {
                assert_eq!(
                    path_template(vendor, op.operation_id),
                    Some(op.path),
                    "{vendor} {}",
                    op.operation_id
                );
            }
        }
        assert_eq!(
            path_template("drchrono", "patients_retrieve"),
            Some("/api/patients/{id}")
        );
        assert_eq!(path_template("drchrono", "no_such_operation"), None);
        assert_eq!(path_template("oauth", "oauth_token_refresh"), None);
    }

    #[test]
    fn the_calls_the_facade_builds_by_hand_have_their_path_templates() {
        for (operation_id, method, path) in super::drchrono::MULTIPART_METHODS {
            let op = ehr_drchrono::operation(operation_id).expect(operation_id);
            assert_eq!((op.method, op.path), (*method, *path), "{operation_id}");
        }
        let hg = ehr_healthgorilla::operation("practitioner_role_create").expect("in the spec");
        assert_eq!(hg.method, "POST");
    }
}
