//! Reading a value that may be refused without losing the decoder's place: the probes.
//!
//! When a type refuses a value halfway through a list or an object, the JSON decoder is left
//! inside it. To leave a field out and carry on, whatever is left of the value must be skipped.
//! Inside a [`Tolerant`](super::Tolerant) field every list and object is read through a probe:
//! [`ProbeSeed`] looks at each value before its type does (scalars are replayed, see
//! [`replay`](super::replay)), and [`ProbeSeq`] / [`ProbeMap`] hand the type their elements
//! and entries, so that a level whose type fails skips what it has left (`IgnoredAny`) before
//! the error goes up. Each level ends where it began, so the field can be left out cleanly.
//! In strict mode nothing is skipped: the first error fails the decode, at its own position.

use std::fmt;

use serde::de::value::EnumAccessDeserializer;
use serde::de::{
    DeserializeSeed, Deserializer, EnumAccess, IgnoredAny, MapAccess, SeqAccess, Visitor,
};

use super::context::{self, Level, Slot};
use super::replay::{Scalar, ScalarDeserializer, visit_scalars};

/// Why a list or object did not decode, and whether the decoder is past it.
pub(super) struct Refused<E> {
    pub(super) error: E,
    /// What the type left of the value was skipped: the decoder is where the value ends.
    pub(super) skipped: bool,
}

/// Reads the list `seq` with `seed`; when it fails, skips the rest of the list (unless strict).
pub(super) fn read_seq<'de, A: SeqAccess<'de>, S: DeserializeSeed<'de>>(
    mut seq: A,
    seed: S,
) -> Result<S::Value, Refused<A::Error>> {
    let mut probe = ProbeSeq::new(&mut seq);
    match seed.deserialize(Probed(&mut probe)) {
        Ok(value) => Ok(value),
        Err(error) => {
            let skipped = !context::strict() && skip_seq(&mut seq).is_ok();
            Err(Refused { error, skipped })
        }
    }
}

/// Reads the object `map` with `seed`; when it fails, skips the rest of the object (unless
/// strict).
pub(super) fn read_map<'de, A: MapAccess<'de>, S: DeserializeSeed<'de>>(
    mut map: A,
    seed: S,
) -> Result<S::Value, Refused<A::Error>> {
    let mut probe = ProbeMap {
        map: &mut map,
        value_pending: false,
    };
    match seed.deserialize(Probed(&mut probe)) {
        Ok(value) => Ok(value),
        Err(error) => {
            let skipped = !context::strict() && probe.skip_rest().is_ok();
            Err(Refused { error, skipped })
        }
    }
}

/// A list or object already entered, as a deserializer: its type reads it through the probe
/// (`deserialize_seq`, `deserialize_struct`, …), except a type that looks before it reads
/// (`deserialize_any`: a [`Tolerant`](super::Tolerant) field, `serde_json::Value`), which gets
/// the decoder's own access. A `Tolerant` probes by itself, and wrapping a probe in a probe
/// would make the types grow with every nested level (a recursive type never ends).
pub(super) struct Probed<'p, P>(&'p mut P);

/// What a probe wraps and how it replays itself to a visitor.
pub(super) trait Probe<'de> {
    type Error: serde::de::Error;
    /// The decoder's own access, handed to a visitor as it is.
    fn visit_raw<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Self::Error>;
    /// The probe, handed to a visitor.
    fn visit_probed<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Self::Error>;
}

impl<'de, A: SeqAccess<'de>> Probe<'de> for ProbeSeq<'_, A> {
    type Error = A::Error;
    fn visit_raw<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_seq(&mut *self.seq)
    }
    fn visit_probed<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_seq(self)
    }
}

impl<'de, A: MapAccess<'de>> Probe<'de> for ProbeMap<'_, A> {
    type Error = A::Error;
    fn visit_raw<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_map(&mut *self.map)
    }
    fn visit_probed<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_map(self)
    }
}

macro_rules! probed {
    ($($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, P::Error> {
            $(let _ = $arg;)*
            self.0.visit_probed(visitor)
        }
    )*};
}

impl<'de, P: Probe<'de>> Deserializer<'de> for Probed<'_, P> {
    type Error = P::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, P::Error> {
        self.0.visit_raw(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, P::Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, P::Error> {
        visitor.visit_newtype_struct(self)
    }

    probed! {
        deserialize_bool(), deserialize_i8(), deserialize_i16(), deserialize_i32(),
        deserialize_i64(), deserialize_i128(), deserialize_u8(), deserialize_u16(),
        deserialize_u32(), deserialize_u64(), deserialize_u128(), deserialize_f32(),
        deserialize_f64(), deserialize_char(), deserialize_str(), deserialize_string(),
        deserialize_bytes(), deserialize_byte_buf(), deserialize_unit(),
        deserialize_unit_struct(name: &'static str), deserialize_seq(),
        deserialize_tuple(len: usize), deserialize_tuple_struct(name: &'static str, len: usize),
        deserialize_map(),
        deserialize_struct(name: &'static str, fields: &'static [&'static str]),
        deserialize_enum(name: &'static str, variants: &'static [&'static str]),
        deserialize_identifier(), deserialize_ignored_any(),
    }
}

fn skip_seq<'de, A: SeqAccess<'de>>(seq: &mut A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// A list being read, one level of the path: notes each element's index before the element is
/// read.
pub(super) struct Indices {
    index: usize,
    level: Level,
}

impl Indices {
    pub(super) fn new() -> Self {
        Self {
            index: 0,
            level: Level::enter(),
        }
    }

    /// Called before each element.
    #[inline]
    pub(super) fn next(&mut self) {
        self.level.set(Slot::Index(self.index));
        self.index += 1;
    }
}

/// A list inside a tolerant value: each element is read through a [`ProbeSeed`].
pub(super) struct ProbeSeq<'a, A> {
    seq: &'a mut A,
    indices: Indices,
}

impl<'a, A> ProbeSeq<'a, A> {
    fn new(seq: &'a mut A) -> Self {
        Self {
            seq,
            indices: Indices::new(),
        }
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for ProbeSeq<'_, A> {
    type Error = A::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        self.indices.next();
        self.seq.next_element_seed(ProbeSeed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.seq.size_hint()
    }
}

/// An object inside a tolerant value: each value is read through a [`ProbeSeed`]; it knows
/// whether a key was read whose value was not, to skip the rest from the right place.
pub(super) struct ProbeMap<'a, A> {
    map: &'a mut A,
    value_pending: bool,
}

impl<'de, A: MapAccess<'de>> ProbeMap<'_, A> {
    fn skip_rest(&mut self) -> Result<(), A::Error> {
        if self.value_pending {
            self.map.next_value::<IgnoredAny>()?;
        }
        while self.map.next_key::<IgnoredAny>()?.is_some() {
            self.map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for ProbeMap<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        // A key that fails to decode was still read: its value comes next.
        self.value_pending = true;
        let key = self.map.next_key_seed(seed);
        if matches!(key, Ok(None)) {
            self.value_pending = false;
        }
        key
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.value_pending = false;
        self.map.next_value_seed(ProbeSeed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// A value inside a tolerant value: seen first ([`Deserializer::deserialize_any`]), then handed
/// to its type, so a list or object the type refuses is entered, and skipped.
pub(super) struct ProbeSeed<S>(pub(super) S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for ProbeSeed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        deserializer.deserialize_any(ProbeVisitor(self.0))
    }
}

struct ProbeVisitor<S>(S);

impl<S> ProbeVisitor<S> {
    fn scalar<'de, E: serde::de::Error>(self, value: Scalar<'_, 'de>) -> Result<S::Value, E>
    where
        S: DeserializeSeed<'de>,
    {
        self.0.deserialize(ScalarDeserializer::new(value))
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for ProbeVisitor<S> {
    type Value = S::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    visit_scalars!();

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<S::Value, E> {
        self.scalar(Scalar::Str(v))
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<S::Value, E> {
        self.scalar(Scalar::BorrowedStr(v))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<S::Value, E> {
        self.scalar(Scalar::String(v))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<S::Value, E> {
        self.scalar(Scalar::Unit)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<S::Value, E> {
        self.scalar(Scalar::Unit)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(d)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<S::Value, A::Error> {
        read_seq(seq, self.0).map_err(|refused| refused.error)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<S::Value, A::Error> {
        read_map(map, self.0).map_err(|refused| refused.error)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<S::Value, A::Error> {
        self.0.deserialize(EnumAccessDeserializer::new(data))
    }
}
