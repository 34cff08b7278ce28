//! One module per vendor, each behind the cargo feature of the same name.

#[cfg(feature = "drchrono")]
pub mod drchrono;
#[cfg(feature = "elation")]
pub mod elation;
#[cfg(feature = "empego")]
pub mod empego;
#[cfg(feature = "healthgorilla")]
pub mod healthgorilla;
