//! The blank rule applied by the struct, not by each field: [`BlankFields`].
//!
//! `#[serde(deserialize_with = …)]` on every optional field makes serde's derive emit a wrapper
//! type and its `Deserialize` impl per field (twice: for maps and for sequences); on DrChrono's
//! ~1,300 optional fields that was 40 % of the crate's compile time. Instead, the xtask derives
//! each such struct's field-by-field code on a private copy of the struct
//! (`#[serde(remote = "…")]`) and gives the struct a `Deserialize` impl that runs it through
//! [`BlankFields`]: every value of the struct's own map is read through `Field`, which answers
//! `deserialize_option` (what an `Option<T>` field asks for) with `""` and `null` as `None`, and
//! forwards every other request untouched, so a required string keeps its `""`, and an array
//! element or a map value is read by the inner deserializer as it is.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{EnumAccessDeserializer, MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};

/// A deserializer for one struct whose optional fields read `""` as absent.
///
/// Generated code uses it as
/// `impl Deserialize for X { fn deserialize(d) { XFields::deserialize(BlankFields::new(d)) } }`,
/// where `XFields` is a `#[serde(remote = "X")]` copy of `X`. It only changes what the struct's
/// own field values see (see the module docs); anything other than a struct is passed on.
///
/// ```
/// use serde::Deserialize;
///
/// #[derive(Debug)]
/// struct Patient {
///     doctor: Option<i64>,
///     last_name: String,
/// }
///
/// #[derive(Deserialize)]
/// #[serde(remote = "Patient")]
/// struct PatientFields {
///     #[serde(default)]
///     doctor: Option<i64>,
///     last_name: String,
/// }
///
/// impl<'de> Deserialize<'de> for Patient {
///     fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
///         PatientFields::deserialize(ehr_runtime::BlankFields::new(d))
///     }
/// }
///
/// let p: Patient = serde_json::from_str(r#"{"doctor": "", "last_name": ""}"#)?;
/// assert_eq!((p.doctor, p.last_name.as_str()), (None, ""));
/// let p: Patient = serde_json::from_str(r#"{"doctor": 5, "last_name": "Roe"}"#)?;
/// assert_eq!(p.doctor, Some(5));
/// assert!(serde_json::from_str::<Patient>(r#"{"doctor": "x", "last_name": ""}"#).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
pub struct BlankFields<D>(D);

impl<D> BlankFields<D> {
    /// Wraps the deserializer a struct's `Deserialize` impl was given.
    pub fn new(deserializer: D) -> Self {
        Self(deserializer)
    }
}

/// Forwards every `deserialize_*` method but `deserialize_option` and `deserialize_struct` (each
/// wrapper writes those two itself) to the same method of the inner deserializer, `self.0`.
macro_rules! forward_the_rest {
    () => {
        forward! {
            deserialize_any(), deserialize_bool(), deserialize_i8(), deserialize_i16(),
            deserialize_i32(), deserialize_i64(), deserialize_i128(), deserialize_u8(),
            deserialize_u16(), deserialize_u32(), deserialize_u64(), deserialize_u128(),
            deserialize_f32(), deserialize_f64(), deserialize_char(), deserialize_str(),
            deserialize_string(), deserialize_bytes(), deserialize_byte_buf(), deserialize_unit(),
            deserialize_unit_struct(name: &'static str),
            deserialize_newtype_struct(name: &'static str), deserialize_seq(),
            deserialize_tuple(len: usize), deserialize_tuple_struct(name: &'static str, len: usize),
            deserialize_map(),
            deserialize_enum(name: &'static str, variants: &'static [&'static str]),
            deserialize_identifier(), deserialize_ignored_any(),
        }

        fn is_human_readable(&self) -> bool {
            self.0.is_human_readable()
        }
    };
}

macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method($($arg,)* visitor)
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for BlankFields<D> {
    type Error = D::Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0
            .deserialize_struct(name, fields, StructVisitor(visitor))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_option(visitor)
    }

    forward_the_rest!();
}

/// The struct's visitor, handed the struct's map with each value read through [`Field`].
struct StructVisitor<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for StructVisitor<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(Values(map))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(seq)
    }
}

/// The struct's map: keys as they are, values through [`Field`].
struct Values<A>(A);

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Values<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(seed)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.0.next_value_seed(FieldSeed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

/// A field value's seed, handed a [`Field`] instead of the map's own deserializer.
struct FieldSeed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for FieldSeed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Field(deserializer))
    }
}

/// One field value of the struct: `deserialize_option` reads `null` and `""` as `None`; every
/// other request goes to the inner deserializer unchanged.
struct Field<D>(D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Field<D> {
    type Error = D::Error;

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(Nullable {
            visitor,
            blank_is_absent: true,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_struct(name, fields, visitor)
    }

    forward_the_rest!();
}

/// Deserializes a field that must be present but may be `null` (an `Option<T>` with no
/// default): `null` is `None`, and `""` is a value like any other, as without the blank rule.
///
/// The xtask puts it on such fields of a struct read through [`BlankFields`] (where
/// `Option::deserialize` would follow the blank rule).
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Appointment {
///     #[serde(deserialize_with = "ehr_runtime::nullable")]
///     patient: Option<String>,
/// }
///
/// let a: Appointment = serde_json::from_str(r#"{"patient": null}"#)?;
/// assert_eq!(a.patient, None);
/// let a: Appointment = serde_json::from_str(r#"{"patient": ""}"#)?;
/// assert_eq!(a.patient.as_deref(), Some(""));
/// assert!(serde_json::from_str::<Appointment>("{}").is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: de::Deserialize<'de>,
{
    deserializer.deserialize_any(Nullable {
        visitor: OptionOf(PhantomData::<T>),
        blank_is_absent: false,
    })
}

/// What `Option<T>` does with a value: `None`, or `T` read from a deserializer.
struct OptionOf<T>(PhantomData<T>);

impl<'de, T: de::Deserialize<'de>> Visitor<'de> for OptionOf<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        T::deserialize(d).map(Some)
    }
}

/// Sees the value first: `null` (and `""` when `blank_is_absent`) goes to the option visitor's
/// `visit_none`; any other value is replayed to its `visit_some`, through one deserializer type
/// for every scalar ([`Scalar`]) and serde's own for maps, sequences and enums, so each `T` is
/// instantiated for a handful of deserializer types, not one per scalar kind.
struct Nullable<V> {
    visitor: V,
    blank_is_absent: bool,
}

impl<V> Nullable<V> {
    fn scalar<'de, E: de::Error>(self, value: Scalar<'_, 'de>) -> Result<V::Value, E>
    where
        V: Visitor<'de>,
    {
        self.visitor.visit_some(ScalarDeserializer {
            value,
            error: PhantomData,
        })
    }
}

macro_rules! scalar {
    ($($method:ident($ty:ty) => $variant:ident),* $(,)?) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            self.scalar(Scalar::$variant(v.into()))
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Nullable<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    scalar! {
        visit_bool(bool) => Bool, visit_i8(i8) => I64, visit_i16(i16) => I64,
        visit_i32(i32) => I64, visit_i64(i64) => I64, visit_i128(i128) => I128,
        visit_u8(u8) => U64, visit_u16(u16) => U64, visit_u32(u32) => U64, visit_u64(u64) => U64,
        visit_u128(u128) => U128, visit_f32(f32) => F64, visit_f64(f64) => F64,
        visit_char(char) => Char, visit_bytes(&[u8]) => Bytes,
        visit_borrowed_bytes(&'de [u8]) => BorrowedBytes, visit_byte_buf(Vec<u8>) => ByteBuf,
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        if v.is_empty() && self.blank_is_absent {
            return self.visitor.visit_none();
        }
        self.scalar(Scalar::Str(v))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        if v.is_empty() && self.blank_is_absent {
            return self.visitor.visit_none();
        }
        self.scalar(Scalar::BorrowedStr(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        if v.is_empty() && self.blank_is_absent {
            return self.visitor.visit_none();
        }
        self.scalar(Scalar::String(v))
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_none()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_some(d)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_some(SeqAccessDeserializer::new(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_some(MapAccessDeserializer::new(map))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_some(EnumAccessDeserializer::new(data))
    }
}

/// A scalar seen by [`Nullable`], handed on as it came.
enum Scalar<'a, 'de> {
    Bool(bool),
    I64(i64),
    I128(i128),
    U64(u64),
    U128(u128),
    F64(f64),
    Char(char),
    Str(&'a str),
    BorrowedStr(&'de str),
    String(String),
    Bytes(&'a [u8]),
    BorrowedBytes(&'de [u8]),
    ByteBuf(Vec<u8>),
}

/// Replays a [`Scalar`] to whatever asks.
struct ScalarDeserializer<'a, 'de, E> {
    value: Scalar<'a, 'de>,
    error: PhantomData<E>,
}

impl<'de, E: de::Error> Deserializer<'de> for ScalarDeserializer<'_, 'de, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.value {
            Scalar::Bool(v) => visitor.visit_bool(v),
            Scalar::I64(v) => visitor.visit_i64(v),
            Scalar::I128(v) => visitor.visit_i128(v),
            Scalar::U64(v) => visitor.visit_u64(v),
            Scalar::U128(v) => visitor.visit_u128(v),
            Scalar::F64(v) => visitor.visit_f64(v),
            Scalar::Char(v) => visitor.visit_char(v),
            Scalar::Str(v) => visitor.visit_str(v),
            Scalar::BorrowedStr(v) => visitor.visit_borrowed_str(v),
            Scalar::String(v) => visitor.visit_string(v),
            Scalar::Bytes(v) => visitor.visit_bytes(v),
            Scalar::BorrowedBytes(v) => visitor.visit_borrowed_bytes(v),
            Scalar::ByteBuf(v) => visitor.visit_byte_buf(v),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, E> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, E> {
        // A scalar names a unit variant, as serde's own string deserializers read it.
        visitor.visit_enum(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

impl<'de, E: de::Error> de::EnumAccess<'de> for ScalarDeserializer<'_, 'de, E> {
    type Error = E;
    type Variant = UnitOnly<E>;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, UnitOnly<E>), E> {
        seed.deserialize(self).map(|v| (v, UnitOnly(PhantomData)))
    }
}

/// The variant named by a scalar: a unit variant, nothing else.
struct UnitOnly<E>(PhantomData<E>);

impl<'de, E: de::Error> de::VariantAccess<'de> for UnitOnly<E> {
    type Error = E;

    fn unit_variant(self) -> Result<(), E> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _: T) -> Result<T::Value, E> {
        Err(de::Error::invalid_type(
            de::Unexpected::UnitVariant,
            &"newtype variant",
        ))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, E> {
        Err(de::Error::invalid_type(
            de::Unexpected::UnitVariant,
            &"tuple variant",
        ))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, E> {
        Err(de::Error::invalid_type(
            de::Unexpected::UnitVariant,
            &"struct variant",
        ))
    }
}
