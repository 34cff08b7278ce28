//! FHIR decoding rules generated code calls (`cargo xtask codegen` writes the calls).

use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer, Error as _};

/// Decodes a FHIR Bundle entry's `resource` by its `resourceType`: one of type `wanted` as `T`
/// (strictly: a body that does not decode is an error, so it fails the page rather than being
/// left out of it), any other (an `OperationOutcome` with search mode `outcome`, an included
/// `Location`) as `O`, kept whole.
///
/// The resource is read once into memory to look at its type; FHIR searchsets are small pages.
///
/// ```
/// use serde::Deserialize;
///
/// #[derive(Debug, Deserialize)]
/// struct Practitioner { #[serde(rename = "resourceType")] resource_type: String, active: Option<bool> }
/// #[derive(Debug)]
/// enum Entry { Practitioner(Practitioner), Other(serde_json::Map<String, serde_json::Value>) }
/// impl<'de> Deserialize<'de> for Entry {
///     fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
///         ehr_runtime::fhir::entry_resource(d, "Practitioner", Entry::Practitioner, Entry::Other)
///     }
/// }
///
/// let outcome: Entry = serde_json::from_str(r#"{"resourceType": "OperationOutcome", "issue": []}"#).unwrap();
/// assert!(matches!(outcome, Entry::Other(map) if map.contains_key("issue")));
/// let bad = serde_json::from_str::<Entry>(r#"{"resourceType": "Practitioner", "active": "yes"}"#);
/// assert!(bad.is_err(), "a Practitioner that does not decode is an error, not `Other`");
/// ```
pub fn entry_resource<'de, D, T, O, W>(
    deserializer: D,
    wanted: &str,
    typed: impl FnOnce(T) -> W,
    other: impl FnOnce(O) -> W,
) -> Result<W, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
    O: DeserializeOwned,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    let is_wanted = value
        .get("resourceType")
        .and_then(serde_json::Value::as_str)
        == Some(wanted);
    if is_wanted {
        T::deserialize(value)
            .map(typed)
            // serde's own message, which `DecodeFailure` strips of the value it quotes.
            .map_err(D::Error::custom)
    } else {
        O::deserialize(value).map(other).map_err(D::Error::custom)
    }
}
