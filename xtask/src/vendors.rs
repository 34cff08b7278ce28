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

    /// The spec, relative to the workspace root.
    pub fn spec_path(self) -> String {
        format!("specs/{}.yaml", self.name())
    }

    /// The generated file, relative to the workspace root.
    pub fn generated_path(self) -> String {
        format!("crates/ehr-{}/src/generated.rs", self.name())
    }
}
