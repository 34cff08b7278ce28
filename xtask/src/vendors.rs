//! The vendors this workspace generates clients for, and where their files live.

/// One vendor: a spec in `specs/` and a generated crate in `crates/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vendor {
    DrChrono,
    Elation,
    Empego,
    HealthGorilla,
}

impl Vendor {
    /// Every vendor, in the order codegen processes them.
    pub const ALL: [Vendor; 4] = [
        Vendor::DrChrono,
        Vendor::Elation,
        Vendor::Empego,
        Vendor::HealthGorilla,
    ];

    /// The vendor's short name, as used in file names and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Vendor::DrChrono => "drchrono",
            Vendor::Elation => "elation",
            Vendor::Empego => "empego",
            Vendor::HealthGorilla => "healthgorilla",
        }
    }

    /// Parses a command-line vendor name.
    pub fn from_name(name: &str) -> Option<Vendor> {
        Vendor::ALL.into_iter().find(|v| v.name() == name)
    }

    /// How the vendor's list operations (operationId `*_list`) page, checked by the lint.
    pub fn list_convention(self) -> Option<ListConvention> {
        match self {
            Vendor::DrChrono => Some(ListConvention {
                params: &["page", "page_size", "verbose"],
                envelope: &["next", "previous", "results"],
            }),
            Vendor::Elation => Some(ListConvention {
                params: &["limit", "offset"],
                envelope: &["count", "next", "previous", "results"],
            }),
            // Empego has no lists; Health Gorilla pages FHIR Bundles (searches, not `*_list`).
            Vendor::Empego | Vendor::HealthGorilla => None,
        }
    }

    /// Whether the vendor documents `""` as an absent value (DrChrono: an optional value "will
    /// default to "" or null depending on its type. These cases should be interpreted as an
    /// absent value"): then every optional field of its types decodes `""` as `None`.
    pub fn blank_strings_are_absent(self) -> bool {
        matches!(self, Vendor::DrChrono)
    }

    /// The spec, relative to the workspace root.
    pub fn spec_path(self) -> String {
        format!("specs/{}.yaml", self.name())
    }

    /// The generated file, relative to the workspace root.
    pub fn generated_path(self) -> String {
        format!("crates/ehr-{}/src/generated.rs", self.name())
    }
}

/// What every list operation of a vendor must declare.
#[derive(Clone, Copy, Debug)]
pub struct ListConvention {
    /// Query parameters every list takes.
    pub params: &'static [&'static str],
    /// Properties of the page envelope every list returns; `results` must be an array.
    pub envelope: &'static [&'static str],
}
