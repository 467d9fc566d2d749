//! Typed views of JSON bodies: read the few fields a check needs without building the whole
//! document as a `Value` (a map and a string per key, freed again at once).
//!
//! A view must read what the full `Value` parse followed by `get` lookups reads. Derived
//! structs differ from it in two ways, and every reader built on a view handles both: a
//! derived struct reads a JSON array as its fields in order ([`ObjectOnly`] refuses it), and
//! it refuses a repeated field or a field of an unexpected type where the `Value` lookup keeps
//! the last value or finds no string. Each reader falls back to the full parse when its view
//! fails, and a property test per reader holds the two to the same answers.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};

/// A value deserialized only from a JSON object. A derived struct also reads an array as its
/// fields in order (`[0, {...}]` as `index` and `message`), which a `Value` lookup never does:
/// this refuses the array, and the reader falls back to the full parse.
pub(crate) struct ObjectOnly<T>(pub T);

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> Visitor<'de> for Fields<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(Fields(std::marker::PhantomData))
            .map(ObjectOnly)
    }
}
