//! The struct side of decoding: [`Record`] names each field for the path of what is left out.
//!
//! A struct read through [`Record`] is one level of the path being read (see
//! [`context`](super::context)): it notes each key as the decoder hands it over (the borrowed
//! `&str`'s place in the body, or the struct's own name for an unescaped key); a list held by
//! such a struct is a level too, noting each element's index. A field left out copies the
//! levels into its path.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::context::{Level, Slot};
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
        self.0
            .deserialize_struct(name, fields, StructVisitor { visitor, fields })
    }

    /// A struct with a flattened field asks for a map.
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
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
            level: Level::enter(),
            names: self.fields,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_seq(seq)
    }
}

/// The struct's map, one level of the path: each key noted, each value read through [`Field`].
struct Fields<A> {
    map: A,
    level: Level,
    names: &'static [&'static str],
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Fields<A> {
    type Error = A::Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let Self { map, level, names } = self;
        map.next_key_seed(KeySeed { seed, level, names })
    }

    fn next_value_seed<S: de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, A::Error> {
        self.map.next_value_seed(FieldSeed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// A key's seed, whose deserializer notes the key on its way to the struct's field visitor.
struct KeySeed<'k, S> {
    seed: S,
    level: &'k Level,
    names: &'static [&'static str],
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(KeyDeserializer {
            inner: deserializer,
            level: self.level,
            names: self.names,
        })
    }
}

struct KeyDeserializer<'k, D> {
    inner: D,
    level: &'k Level,
    names: &'static [&'static str],
}

macro_rules! noting_key {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.inner.$method(KeyVisitor { inner: visitor, level: self.level, names: self.names })
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for KeyDeserializer<'_, D> {
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
struct KeyVisitor<'k, V> {
    inner: V,
    level: &'k Level,
    names: &'static [&'static str],
}

impl<V> KeyVisitor<'_, V> {
    /// A key handed over only for the call: kept as the struct's own name for it.
    #[cold]
    fn transient(&self, key: &str) {
        self.level.set(
            self.names
                .iter()
                .find(|name| **name == key)
                .map_or(Slot::Unknown, |name| Slot::Name(name)),
        );
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for KeyVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        // Where the key lies in the body: read back only if a path is written.
        self.level.set(Slot::InBody(v.as_ptr() as usize, v.len()));
        self.inner.visit_borrowed_str(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        self.transient(v);
        self.inner.visit_str(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        self.transient(&v);
        self.inner.visit_string(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<V::Value, E> {
        self.level.set(
            usize::try_from(v)
                .ok()
                .and_then(|i| self.names.get(i))
                .map_or(Slot::Unknown, |name| Slot::Name(name)),
        );
        self.inner.visit_u64(v)
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<V::Value, E> {
        self.transient(std::str::from_utf8(v).unwrap_or(""));
        self.inner.visit_bytes(v)
    }

    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<V::Value, E> {
        self.transient(std::str::from_utf8(v).unwrap_or(""));
        self.inner.visit_borrowed_bytes(v)
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<V::Value, E> {
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
        self.indices.next();
        self.seq.next_element_seed(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        self.seq.size_hint()
    }
}
