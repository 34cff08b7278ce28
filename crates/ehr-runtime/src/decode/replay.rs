//! A scalar seen once, handed on as it came: [`Scalar`] and [`ScalarDeserializer`].
//!
//! [`Tolerant`](super::Tolerant) and the probes look at a value before its type does (to skip
//! it cleanly when the type refuses it). A scalar they have seen is replayed to the type through
//! one deserializer type for every kind of scalar, so each type is instantiated for a handful
//! of deserializers, not one per kind.

use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, Visitor};

/// A scalar, as a visitor was handed it.
pub(super) enum Scalar<'a, 'de> {
    Unit,
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

impl Scalar<'_, '_> {
    /// The JSON kind of the value (what a warning says was found, never the value).
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Scalar::Unit => "null",
            Scalar::Bool(_) => "boolean",
            Scalar::I64(_)
            | Scalar::I128(_)
            | Scalar::U64(_)
            | Scalar::U128(_)
            | Scalar::F64(_) => "number",
            Scalar::Char(_) | Scalar::Str(_) | Scalar::BorrowedStr(_) | Scalar::String(_) => {
                "string"
            }
            Scalar::Bytes(_) | Scalar::BorrowedBytes(_) | Scalar::ByteBuf(_) => "bytes",
        }
    }
}

/// Visitor methods for scalars, each calling `self.scalar(Scalar::…)`.
macro_rules! visit_scalars {
    () => {
        $crate::decode::replay::visit_scalars! {
            visit_bool(bool) => Bool, visit_i8(i8) => I64, visit_i16(i16) => I64,
            visit_i32(i32) => I64, visit_i64(i64) => I64, visit_i128(i128) => I128,
            visit_u8(u8) => U64, visit_u16(u16) => U64, visit_u32(u32) => U64,
            visit_u64(u64) => U64, visit_u128(u128) => U128, visit_f32(f32) => F64,
            visit_f64(f64) => F64, visit_char(char) => Char, visit_bytes(&[u8]) => Bytes,
            visit_borrowed_bytes(&'de [u8]) => BorrowedBytes, visit_byte_buf(Vec<u8>) => ByteBuf,
        }
    };
    ($($method:ident($ty:ty) => $variant:ident),* $(,)?) => {$(
        fn $method<E: serde::de::Error>(self, v: $ty) -> Result<Self::Value, E> {
            self.scalar($crate::decode::replay::Scalar::$variant(v.into()))
        }
    )*};
}
pub(super) use visit_scalars;

/// Replays a [`Scalar`] to whatever asks.
pub(super) struct ScalarDeserializer<'a, 'de, E> {
    value: Scalar<'a, 'de>,
    error: PhantomData<E>,
}

impl<'a, 'de, E> ScalarDeserializer<'a, 'de, E> {
    pub(super) fn new(value: Scalar<'a, 'de>) -> Self {
        Self {
            value,
            error: PhantomData,
        }
    }
}

impl<'de, E: de::Error> Deserializer<'de> for ScalarDeserializer<'_, 'de, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.value {
            Scalar::Unit => visitor.visit_unit(),
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
        match self.value {
            Scalar::Unit => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
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
pub(super) struct UnitOnly<E>(PhantomData<E>);

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
