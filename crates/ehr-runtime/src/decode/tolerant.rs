//! An optional field that is left out, not fatal, when its value has another type.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::EnumAccessDeserializer;
use serde::de::{self, Deserialize, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor};

use super::context;
use super::probe::{Refused, read_map, read_seq};
use super::replay::{Scalar, ScalarDeserializer, visit_scalars};

/// The decoded form of one optional field of a generated type: `None` when the field is
/// missing or `null` (or `""` when `BLANK`, DrChrono's rule), `Some` when its value decodes as
/// `T`, and, when it does not, `None` with the field noted as left out (see
/// [`decode`](super)), unless the decode is strict, where the error stands.
///
/// Generated code declares each `Option<T>` field of a response type's private field-by-field
/// copy as `Tolerant<T>` and moves `.0` into the public struct; nothing else uses it.
///
/// ```
/// use ehr_runtime::decode::{Decoding, Tolerant, from_slice};
///
/// #[derive(serde::Deserialize)]
/// struct Row {
///     #[serde(default)]
///     priority: Tolerant<i64>,
///     #[serde(default)]
///     doctor: Tolerant<i64, true>,
/// }
///
/// let (row, left_out) = from_slice::<Row>(br#"{"priority": "10", "doctor": ""}"#, Decoding::Tolerant)?;
/// assert_eq!((row.priority.0, row.doctor.0), (None, None));
/// assert_eq!((left_out[0].expected.as_str(), left_out[0].found), ("i64", "string"));
/// // (A generated struct decodes through `Record`, which puts `$.priority` in the path.)
/// assert_eq!(left_out.len(), 1, "\"\" is absent for a field that follows the blank rule");
/// assert!(from_slice::<Row>(br#"{"priority": "10"}"#, Decoding::Strict).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[repr(transparent)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tolerant<T, const BLANK: bool = false>(pub Option<T>);

impl<T, const BLANK: bool> Default for Tolerant<T, BLANK> {
    fn default() -> Self {
        Self(None)
    }
}

impl<'de, T: Deserialize<'de>, const BLANK: bool> Deserialize<'de> for Tolerant<T, BLANK> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(TolerantVisitor::<T, BLANK>(PhantomData))
            .map(Tolerant)
    }
}

struct TolerantVisitor<T, const BLANK: bool>(PhantomData<T>);

impl<'de, T: Deserialize<'de>, const BLANK: bool> TolerantVisitor<T, BLANK> {
    fn scalar<E: de::Error>(self, value: Scalar<'_, 'de>) -> Result<Option<T>, E> {
        let found = value.kind();
        match T::deserialize(ScalarDeserializer::new(value)) {
            Ok(value) => Ok(Some(value)),
            // A scalar was read whole: the decoder is already past it.
            Err(error) if !context::strict() => Self::left_out(error, found),
            Err(error) => Err(error),
        }
    }

    fn refused<E>(refused: Refused<E>, found: &'static str) -> Result<Option<T>, E> {
        if refused.skipped {
            Self::left_out(refused.error, found)
        } else {
            Err(refused.error)
        }
    }

    #[cold]
    fn left_out<E>(error: E, found: &'static str) -> Result<Option<T>, E> {
        drop(error);
        context::left_out(std::any::type_name::<T>(), found);
        Ok(None)
    }
}

impl<'de, T: Deserialize<'de>, const BLANK: bool> Visitor<'de> for TolerantVisitor<T, BLANK> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or null")
    }

    visit_scalars!();

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<T>, E> {
        if BLANK && v.is_empty() {
            return Ok(None);
        }
        self.scalar(Scalar::Str(v))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Option<T>, E> {
        if BLANK && v.is_empty() {
            return Ok(None);
        }
        self.scalar(Scalar::BorrowedStr(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Option<T>, E> {
        if BLANK && v.is_empty() {
            return Ok(None);
        }
        self.scalar(Scalar::String(v))
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        T::deserialize(d).map(Some)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<T>, A::Error> {
        match read_seq(seq, PhantomData::<T>) {
            Ok(value) => Ok(Some(value)),
            Err(refused) => Self::refused(refused, "array"),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<T>, A::Error> {
        match read_map(map, PhantomData::<T>) {
            Ok(value) => Ok(Some(value)),
            Err(refused) => Self::refused(refused, "object"),
        }
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Option<T>, A::Error> {
        T::deserialize(EnumAccessDeserializer::new(data)).map(Some)
    }
}
