//! The struct side of decoding: [`Record`] names each field for the path of what is left out.
//!
//! A field left out inside a value is noted with no path ([`context::left_out`]). Paths are
//! named only in the second pass of a decode that left something out (see
//! [`context`](super::context)); in the first, a [`Record`] reads its struct as it is. In the
//! second, each level adds its segment on the way back up: a struct read through [`Record`] the
//! key of the field whose value noted it, a list held by such a struct the element's index. A
//! level knows a field was left out below it by the number of fields left out so far, read
//! once after each field or element.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::context::{self, Segment, dropped_count};
use super::probe::Indices;

/// A deserializer for one generated struct: its fields' values are read as they are, and each
/// field left out below one of them (see [`Tolerant`](super::Tolerant)) gets the field's key
/// and, inside a list, the element's index in its path.
///
/// Generated code uses it as
/// `impl Deserialize for X { fn deserialize(d) { let f = X_::deserialize(Record::new(d))?; … } }`,
/// where `X_` is a private copy of `X` whose optional fields are `Tolerant`.
///
/// ```
/// use serde::Deserialize;
/// use ehr_runtime::decode::{Decoding, Record, Tolerant, from_slice};
///
/// struct Visit { id: i64, room: Option<i64> }
///
/// #[derive(Deserialize)]
/// struct VisitFields { id: i64, #[serde(default)] room: Tolerant<i64> }
///
/// impl<'de> Deserialize<'de> for Visit {
///     fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
///         let f = VisitFields::deserialize(Record::new(d))?;
///         Ok(Visit { id: f.id, room: f.room.0 })
///     }
/// }
///
/// struct Page { results: Vec<Visit> }
///
/// #[derive(Deserialize)]
/// struct PageFields { results: Vec<Visit> }
///
/// impl<'de> Deserialize<'de> for Page {
///     fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
///         let f = PageFields::deserialize(Record::new(d))?;
///         Ok(Page { results: f.results })
///     }
/// }
///
/// let body = br#"{"results": [{"id": 1, "room": 2}, {"id": 2, "room": [3]}]}"#;
/// let (page, left_out) = from_slice::<Page>(body, Decoding::Tolerant)?;
/// assert_eq!(page.results[1].room, None);
/// assert_eq!(left_out[0].path, "$.results[1].room");
/// # Ok::<(), serde_json::Error>(())
/// ```
pub struct Record<D>(D);

impl<D> Record<D> {
    /// Wraps the deserializer a struct's `Deserialize` impl was given.
    pub fn new(deserializer: D) -> Self {
        Self(deserializer)
    }
}

/// Forwards `deserialize_*` methods to the same method of `self.0`.
macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method($($arg,)* visitor)
        }
    )*};
}

/// Every `deserialize_*` method but those named, forwarded.
macro_rules! forward_all_but_struct_map_seq {
    () => {
        forward! {
            deserialize_any(), deserialize_bool(), deserialize_i8(), deserialize_i16(),
            deserialize_i32(), deserialize_i64(), deserialize_i128(), deserialize_u8(),
            deserialize_u16(), deserialize_u32(), deserialize_u64(), deserialize_u128(),
            deserialize_f32(), deserialize_f64(), deserialize_char(), deserialize_str(),
            deserialize_string(), deserialize_bytes(), deserialize_byte_buf(),
            deserialize_option(), deserialize_unit(),
            deserialize_unit_struct(name: &'static str),
            deserialize_newtype_struct(name: &'static str),
            deserialize_tuple(len: usize), deserialize_tuple_struct(name: &'static str, len: usize),
            deserialize_enum(name: &'static str, variants: &'static [&'static str]),
            deserialize_identifier(), deserialize_ignored_any(),
        }

        fn is_human_readable(&self) -> bool {
            self.0.is_human_readable()
        }
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Record<D> {
    type Error = D::Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        if !context::naming() {
            return self.0.deserialize_struct(name, fields, visitor);
        }
        self.0
            .deserialize_struct(name, fields, StructVisitor { visitor, fields })
    }

    /// A struct with a flattened field asks for a map.
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        if !context::naming() {
            return self.0.deserialize_map(visitor);
        }
        self.0.deserialize_map(StructVisitor {
            visitor,
            fields: &[],
        })
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_seq(visitor)
    }

    forward_all_but_struct_map_seq!();
}

/// The struct's visitor, handed its map as [`Fields`].
struct StructVisitor<V> {
    visitor: V,
    fields: &'static [&'static str],
}

impl<'de, V: Visitor<'de>> Visitor<'de> for StructVisitor<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_map(Fields {
            map,
            key: Key::None,
            names: self.fields,
            mark: dropped_count(),
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_seq(seq)
    }
}

/// The key being read, as cheaply as it can be kept.
#[derive(Clone, Copy)]
enum Key<'de> {
    None,
    Borrowed(&'de str),
    Static(&'static str),
}

impl Key<'_> {
    fn name(self) -> Box<str> {
        match self {
            Key::None => "?".into(),
            Key::Borrowed(key) => key.into(),
            Key::Static(key) => key.into(),
        }
    }
}

/// The struct's map: each key kept, each value read through [`Field`], and the key added to the
/// path of each field left out inside the value.
struct Fields<'de, A> {
    map: A,
    key: Key<'de>,
    names: &'static [&'static str],
    mark: u32,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Fields<'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let Self {
            map, key, names, ..
        } = self;
        map.next_key_seed(KeySeed { seed, key, names })
    }

    fn next_value_seed<S: de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, A::Error> {
        let value = self.map.next_value_seed(FieldSeed(seed));
        let now = dropped_count();
        if now != self.mark {
            let key = self.key;
            context::label(self.mark, || Segment::Key(key.name()));
            self.mark = now;
        }
        value
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// A key's seed, whose deserializer notes the key on its way to the struct's field visitor.
struct KeySeed<'k, 'de, S> {
    seed: S,
    key: &'k mut Key<'de>,
    names: &'static [&'static str],
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<'_, 'de, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(KeyDeserializer {
            inner: deserializer,
            key: self.key,
            names: self.names,
        })
    }
}

struct KeyDeserializer<'k, 'de, D> {
    inner: D,
    key: &'k mut Key<'de>,
    names: &'static [&'static str],
}

macro_rules! noting_key {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.inner.$method(KeyVisitor { inner: visitor, key: self.key, names: self.names })
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for KeyDeserializer<'_, 'de, D> {
    type Error = D::Error;

    noting_key!(
        deserialize_identifier,
        deserialize_str,
        deserialize_string,
        deserialize_any
    );

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum ignored_any
    }
}

/// Notes the key, then hands it to the struct's field visitor as it came.
struct KeyVisitor<'k, 'de, V> {
    inner: V,
    key: &'k mut Key<'de>,
    names: &'static [&'static str],
}

impl<'de, V> KeyVisitor<'_, 'de, V> {
    /// A key handed over only for the call: kept as the struct's own name for it.
    fn transient(&mut self, key: &str) {
        *self.key = self
            .names
            .iter()
            .find(|name| **name == key)
            .map_or(Key::None, |name| Key::Static(name));
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for KeyVisitor<'_, 'de, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        *self.key = Key::Borrowed(v);
        self.inner.visit_borrowed_str(v)
    }

    fn visit_str<E: de::Error>(mut self, v: &str) -> Result<V::Value, E> {
        self.transient(v);
        self.inner.visit_str(v)
    }

    fn visit_string<E: de::Error>(mut self, v: String) -> Result<V::Value, E> {
        self.transient(&v);
        self.inner.visit_string(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<V::Value, E> {
        *self.key = usize::try_from(v)
            .ok()
            .and_then(|i| self.names.get(i))
            .map_or(Key::None, |name| Key::Static(name));
        self.inner.visit_u64(v)
    }

    fn visit_bytes<E: de::Error>(mut self, v: &[u8]) -> Result<V::Value, E> {
        self.transient(std::str::from_utf8(v).unwrap_or(""));
        self.inner.visit_bytes(v)
    }

    fn visit_borrowed_bytes<E: de::Error>(mut self, v: &'de [u8]) -> Result<V::Value, E> {
        self.transient(std::str::from_utf8(v).unwrap_or(""));
        self.inner.visit_borrowed_bytes(v)
    }

    fn visit_byte_buf<E: de::Error>(mut self, v: Vec<u8>) -> Result<V::Value, E> {
        self.transient(std::str::from_utf8(&v).unwrap_or(""));
        self.inner.visit_byte_buf(v)
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

/// One field value of the struct: read as it is, except that a list gets its indices counted.
pub(super) struct Field<D>(D);

/// The whole body, read as a field is: a list at the top gets its indices counted too.
pub(super) fn top<D>(deserializer: D) -> Field<D> {
    Field(deserializer)
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Field<D> {
    type Error = D::Error;

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_seq(IndexedVisitor(visitor))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_struct(name, fields, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    forward_all_but_struct_map_seq!();
}

/// A list's visitor, handed the list as [`IndexedSeq`].
struct IndexedVisitor<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for IndexedVisitor<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(IndexedSeq {
            seq,
            indices: Indices::new(),
        })
    }
}

/// A list held by a struct's field: adds each element's index to the path of each field left
/// out inside it.
struct IndexedSeq<A> {
    seq: A,
    indices: Indices,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for IndexedSeq<A> {
    type Error = A::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        let element = self.seq.next_element_seed(seed);
        self.indices.next();
        element
    }

    fn size_hint(&self) -> Option<usize> {
        self.seq.size_hint()
    }
}
