//! Decoding responses: one odd optional field never fails a whole page.
//!
//! Vendors' responses do not always match their documents (nor our specs, which follow the
//! evidence). A response whose *optional* field holds another type than the spec says (an
//! array for a string, an object for a list, `"10"` for `10`, a code the enum does not know)
//! still decodes: that field is `None`, and the field is *left out*: each call warns about it
//! (`tracing`, target `ehr_runtime::decode`) with the operation, the JSON path and the type
//! expected, never the value (it can be PHI). A required field that does not decode (a wrong
//! `id`) still fails the call, with its JSON path in the error.
//!
//! [`Decoding::Strict`] turns tolerance off (for tests and spec maintainers: the façades'
//! `strict_decoding()`); the first value that does not decode fails the call.
//!
//! How: `cargo xtask codegen` gives every generated struct a `Deserialize` impl that decodes a
//! private copy of it whose optional fields are [`Tolerant`], through [`Record`], and moves the
//! fields over. A body is decoded in one pass, with no copy of it: a value is looked at before
//! its type reads it, and a list or object its type refuses is skipped (`probe`); the path
//! being read is kept as it goes (`context`), one slot write a key. The blank rule of DrChrono
//! (`""` is absent) is the same code (`Tolerant<T, true>`).
//!
//! ```
//! use ehr_runtime::decode::{Decoding, from_slice};
//!
//! // Any generated type: here DrChrono-like, `id` required, `doctor` optional.
//! # use ehr_runtime::decode::{Record, Tolerant};
//! # struct Patient { id: i64, doctor: Option<i64> }
//! # #[derive(serde::Deserialize)]
//! # struct PatientFields { id: i64, #[serde(default)] doctor: Tolerant<i64, true> }
//! # impl<'de> serde::Deserialize<'de> for Patient {
//! #     fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
//! #         let f = PatientFields::deserialize(Record::new(d))?;
//! #         Ok(Patient { id: f.id, doctor: f.doctor.0 })
//! #     }
//! # }
//! let (patient, left_out) = from_slice::<Patient>(br#"{"id": 7, "doctor": {"id": 5}}"#, Decoding::Tolerant)?;
//! assert_eq!((patient.id, patient.doctor), (7, None));
//! assert_eq!(left_out[0].to_string(), "$.doctor: expected i64, found object");
//!
//! assert!(from_slice::<Patient>(br#"{"id": 7, "doctor": {"id": 5}}"#, Decoding::Strict).is_err());
//! assert!(from_slice::<Patient>(br#"{"id": "7"}"#, Decoding::Tolerant).is_err());
//! # Ok::<(), serde_json::Error>(())
//! ```

mod context;
mod probe;
mod record;
pub(crate) mod replay;
mod tolerant;

use std::fmt;

use serde::de::DeserializeOwned;

pub use record::Record;
pub use tolerant::Tolerant;

/// Whether a value that does not decode leaves its optional field out, or fails the decode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Decoding {
    /// An optional field whose value does not decode is left out (and reported); a required
    /// one fails the decode. The default.
    #[default]
    Tolerant,
    /// The first value that does not decode fails the decode.
    Strict,
}

/// An optional field left out of a decoded value because its value did not decode.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DroppedField {
    /// Its JSON path: `$.results[3].icd10_codes`.
    pub path: String,
    /// The type the spec gives it, without module paths: `Vec<String>`.
    pub expected: String,
    /// The JSON kind it held: `string`, `number`, `boolean`, `array` or `object`. Never the
    /// value.
    pub found: &'static str,
}

impl fmt::Display for DroppedField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, found {}",
            self.path, self.expected, self.found
        )
    }
}

/// Decodes `json` as `T` the way responses are decoded, and says which optional fields were
/// left out (always none with [`Decoding::Strict`]). Warns about nothing: the caller has the
/// list.
pub fn from_slice<T: DeserializeOwned>(
    json: &[u8],
    decoding: Decoding,
) -> serde_json::Result<(T, Vec<DroppedField>)> {
    let mut scope = context::Scope::enter(decoding == Decoding::Strict);
    let value = decode::<T>(json)?;
    Ok((value, scope.take(json)))
}

/// Decodes the body of a response to `operation` as generated code does: with `decoding`, and
/// a warning (`tracing`, target `ehr_runtime::decode`) for every place a field was left out.
/// For calls built by hand (the façade's uploads).
#[inline]
pub fn response_body<T: DeserializeOwned>(
    json: &[u8],
    decoding: Decoding,
    operation: &str,
) -> serde_json::Result<T> {
    let mut scope = context::Scope::enter(decoding == Decoding::Strict);
    let value = decode::<T>(json);
    if value.is_ok() && scope.left_out_any() {
        warn(operation, &scope.take(json));
    }
    value
}

/// Decodes `json` as `T` in the current scope.
#[inline(always)]
fn decode<T: DeserializeOwned>(json: &[u8]) -> serde_json::Result<T> {
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    // A list at the top is a level of the path too (`$[3].id`); an object, the usual body,
    // is read as it is.
    let value = if json.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        T::deserialize(record::top(&mut deserializer))
    } else {
        T::deserialize(&mut deserializer)
    };
    // The value is handed back in the `Result` it came in (a large struct moves once less);
    // what follows it is checked only when it decoded.
    match value {
        Ok(_) => match deserializer.end() {
            Ok(()) => value,
            Err(error) => Err(error),
        },
        Err(_) => value,
    }
}

/// One warning per distinct place (indices aside): a page of 250 records with the same odd
/// field warns once, with how many records had it.
#[cold]
fn warn(operation: &str, left_out: &[DroppedField]) {
    let mut places: Vec<(String, &DroppedField, usize)> = Vec::new();
    for field in left_out {
        let place = without_indices(&field.path);
        match places
            .iter_mut()
            .find(|(p, f, _)| *p == place && f.expected == field.expected && f.found == field.found)
        {
            Some((_, _, count)) => *count += 1,
            None => places.push((place, field, 1)),
        }
    }
    for (place, first, count) in places {
        tracing::warn!(
            target: "ehr_runtime::decode",
            operation,
            path = %first.path,
            place = %place,
            count,
            expected = %first.expected,
            found = first.found,
            "a field of the response was left out: it does not have the type the spec says"
        );
    }
}

/// `$.results[3].codes[0]` → `$.results[].codes[]`.
fn without_indices(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push_str("[]");
            }
            ']' => in_index = false,
            c if !in_index => out.push(c),
            _ => {}
        }
    }
    out
}

/// A type's name without module paths: `alloc::vec::Vec<alloc::string::String>` →
/// `Vec<String>`.
fn short_type_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut word = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
        } else {
            out.push_str(word.rsplit("::").next().unwrap_or(""));
            word.clear();
            out.push(c);
        }
    }
    out.push_str(word.rsplit("::").next().unwrap_or(""));
    out
}

#[cfg(test)]
mod tests;
