//! "" means absent, for one field: [`absent_if_blank`].
//!
//! DrChrono's reference says an optional value with no default "will default to "" or null
//! depending on its type. These cases should be interpreted as an absent value." Generated types
//! follow that rule through [`Tolerant<T, true>`](crate::decode::Tolerant) (see
//! [`decode`](crate::decode)); [`absent_if_blank`] is the same rule for a field of a
//! hand-written type (a webhook payload of the façade). An array element `""` stays an element,
//! and so does a map value.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{
    BorrowedBytesDeserializer, BorrowedStrDeserializer, EnumAccessDeserializer,
    MapAccessDeserializer, SeqAccessDeserializer,
};
use serde::de::{self, Deserialize, Deserializer, IntoDeserializer, Visitor};

/// Deserializes an optional value with `""` read as absent: `null`, `""` → `None`; anything
/// else is decoded as `T` (and fails as `T` would).
///
/// Meant for `#[serde(default, deserialize_with = "::ehr_runtime::absent_if_blank")]` on an
/// `Option<T>` field; the value is read in one pass, without buffering.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Patient {
///     #[serde(default, deserialize_with = "ehr_runtime::absent_if_blank")]
///     doctor: Option<i64>,
///     #[serde(default, deserialize_with = "ehr_runtime::absent_if_blank")]
///     first_name: Option<String>,
///     last_name: String,
/// }
///
/// let p: Patient = serde_json::from_str(r#"{"doctor": "", "first_name": "", "last_name": ""}"#)?;
/// assert_eq!((p.doctor, p.first_name, p.last_name.as_str()), (None, None, ""));
/// let p: Patient = serde_json::from_str(r#"{"doctor": 5, "last_name": "Roe"}"#)?;
/// assert_eq!((p.doctor, p.first_name), (Some(5), None));
/// assert!(serde_json::from_str::<Patient>(r#"{"doctor": "x", "last_name": ""}"#).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn absent_if_blank<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_any(BlankIsAbsent(PhantomData))
}

/// Sees the value first: `null` and `""` are absent; every other value is handed, unchanged,
/// to `T`'s own `Deserialize`.
struct BlankIsAbsent<T>(PhantomData<T>);

macro_rules! forward {
    ($($method:ident($ty:ty)),* $(,)?) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
            T::deserialize(v.into_deserializer()).map(Some)
        }
    )*};
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for BlankIsAbsent<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value, null or \"\"")
    }

    forward! {
        visit_bool(bool), visit_i8(i8), visit_i16(i16), visit_i32(i32), visit_i64(i64),
        visit_i128(i128), visit_u8(u8), visit_u16(u16), visit_u32(u32), visit_u64(u64),
        visit_u128(u128), visit_f32(f32), visit_f64(f64), visit_char(char),
        visit_byte_buf(Vec<u8>),
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v.is_empty() {
            return Ok(None);
        }
        T::deserialize(v.into_deserializer()).map(Some)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        if v.is_empty() {
            return Ok(None);
        }
        T::deserialize(BorrowedStrDeserializer::new(v)).map(Some)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        if v.is_empty() {
            return Ok(None);
        }
        T::deserialize(v.into_deserializer()).map(Some)
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        T::deserialize(v.into_deserializer()).map(Some)
    }

    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        T::deserialize(BorrowedBytesDeserializer::new(v)).map(Some)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        absent_if_blank(d)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        T::deserialize(d).map(Some)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        T::deserialize(SeqAccessDeserializer::new(seq)).map(Some)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Some)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        T::deserialize(EnumAccessDeserializer::new(data)).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::absent_if_blank;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Row {
        #[serde(default, deserialize_with = "absent_if_blank")]
        n: Option<i64>,
        #[serde(default, deserialize_with = "absent_if_blank")]
        tags: Option<Vec<String>>,
        #[serde(default, deserialize_with = "absent_if_blank")]
        inner: Option<Box<Row>>,
        #[serde(default, deserialize_with = "absent_if_blank")]
        s: Option<String>,
    }

    fn row(json: &str) -> Result<Row, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn blank_null_and_missing_are_absent() {
        let absent = Row {
            n: None,
            tags: None,
            inner: None,
            s: None,
        };
        assert_eq!(
            row(r#"{"n":"","tags":"","inner":"","s":""}"#).unwrap(),
            absent
        );
        assert_eq!(
            row(r#"{"n":null,"tags":null,"inner":null,"s":null}"#).unwrap(),
            absent
        );
        assert_eq!(row("{}").unwrap(), absent);
    }

    #[test]
    fn values_decode_as_their_type_and_array_elements_stay() {
        let r = row(r#"{"n":-3,"tags":["","x"],"inner":{"n":""}}"#).unwrap();
        assert_eq!(r.n, Some(-3));
        assert_eq!(
            r.tags.as_deref(),
            Some(&["".to_string(), "x".to_string()][..])
        );
        assert_eq!(r.inner.unwrap().n, None);
    }

    #[test]
    fn a_value_of_the_wrong_type_still_fails_and_escaped_text_is_not_blank() {
        assert!(row(r#"{"n":"x"}"#).is_err());
        assert!(row(r#"{"n":1.5}"#).is_err());
        assert!(row(r#"{"tags":"x"}"#).is_err());
        let quoted = row(r#"{"s":"\"\""}"#).unwrap();
        assert_eq!(quoted.s.as_deref(), Some("\"\""));
        assert_eq!(row(r#"{"s":" "}"#).unwrap().s.as_deref(), Some(" "));
    }
}
