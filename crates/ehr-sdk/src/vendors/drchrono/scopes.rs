//! DrChrono's OAuth scopes: `<area>:read`, `<area>:write` and the bare `<area>` (both) for each
//! documented area.

use std::fmt;

/// An area of the API a scope covers (the scopes DrChrono's authorization page lists).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScopeArea {
    /// `user`: the authorizing user, doctors, offices.
    User,
    /// `calendar`: appointments.
    Calendar,
    /// `patients`.
    Patients,
    /// `patients:summary`: a patient's summary data only.
    PatientsSummary,
    /// `billing`.
    Billing,
    /// `billing:patient-payment`: patient payments only.
    BillingPatientPayment,
    /// `clinical`: clinical notes, problems, medications, allergies.
    Clinical,
    /// `labs`.
    Labs,
    /// `messages`.
    Messages,
    /// `settings`.
    Settings,
    /// `tasks`.
    Tasks,
}

impl ScopeArea {
    /// Every area.
    pub const ALL: [ScopeArea; 11] = [
        ScopeArea::User,
        ScopeArea::Calendar,
        ScopeArea::Patients,
        ScopeArea::PatientsSummary,
        ScopeArea::Billing,
        ScopeArea::BillingPatientPayment,
        ScopeArea::Clinical,
        ScopeArea::Labs,
        ScopeArea::Messages,
        ScopeArea::Settings,
        ScopeArea::Tasks,
    ];

    /// The area as DrChrono spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeArea::User => "user",
            ScopeArea::Calendar => "calendar",
            ScopeArea::Patients => "patients",
            ScopeArea::PatientsSummary => "patients:summary",
            ScopeArea::Billing => "billing",
            ScopeArea::BillingPatientPayment => "billing:patient-payment",
            ScopeArea::Clinical => "clinical",
            ScopeArea::Labs => "labs",
            ScopeArea::Messages => "messages",
            ScopeArea::Settings => "settings",
            ScopeArea::Tasks => "tasks",
        }
    }
}

/// The access a scope grants to its area.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScopeAccess {
    /// `<area>:read`.
    Read,
    /// `<area>:write`.
    Write,
    /// The bare `<area>`: read and write (DrChrono's API reference names its required scopes
    /// this way: `Required scopes: patients`).
    ReadWrite,
}

/// One DrChrono scope: read, write, or both (the bare area) on an area.
///
/// ```
/// use ehr_sdk::drchrono::{Scope, ScopeArea};
///
/// assert_eq!(Scope::read(ScopeArea::Patients).to_string(), "patients:read");
/// assert_eq!(Scope::write(ScopeArea::PatientsSummary).to_string(), "patients:summary:write");
/// assert_eq!(Scope::read_write(ScopeArea::Patients).to_string(), "patients");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Scope {
    /// The area.
    pub area: ScopeArea,
    /// The access.
    pub access: ScopeAccess,
}

impl Scope {
    /// `<area>:read`.
    pub const fn read(area: ScopeArea) -> Self {
        Self {
            area,
            access: ScopeAccess::Read,
        }
    }

    /// `<area>:write`.
    pub const fn write(area: ScopeArea) -> Self {
        Self {
            area,
            access: ScopeAccess::Write,
        }
    }

    /// The bare `<area>`: read and write.
    pub const fn read_write(area: ScopeArea) -> Self {
        Self {
            area,
            access: ScopeAccess::ReadWrite,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let area = self.area.as_str();
        match self.access {
            ScopeAccess::Read => write!(f, "{area}:read"),
            ScopeAccess::Write => write!(f, "{area}:write"),
            ScopeAccess::ReadWrite => f.write_str(area),
        }
    }
}

/// A scope's text that names no DrChrono scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownScope(pub String);

impl fmt::Display for UnknownScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a DrChrono scope (an area such as `patients`, alone or with `:read` or `:write`)",
            self.0
        )
    }
}

impl std::error::Error for UnknownScope {}

/// Reads a scope as [`Display`](fmt::Display) writes it: `patients:read`, `patients:write`,
/// or the bare `patients` (read and write).
///
/// ```
/// use ehr_sdk::drchrono::{Scope, ScopeArea};
///
/// assert_eq!("patients:summary:write".parse(), Ok(Scope::write(ScopeArea::PatientsSummary)));
/// assert_eq!("patients".parse(), Ok(Scope::read_write(ScopeArea::Patients)));
/// assert!("patients:delete".parse::<Scope>().is_err());
/// ```
impl std::str::FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (area, access) = match text.rsplit_once(':') {
            Some((area, "read")) => (area, ScopeAccess::Read),
            Some((area, "write")) => (area, ScopeAccess::Write),
            _ => (text, ScopeAccess::ReadWrite),
        };
        ScopeArea::ALL
            .into_iter()
            .find(|a| a.as_str() == area)
            .map(|area| Scope { area, access })
            .ok_or_else(|| UnknownScope(text.to_string()))
    }
}
