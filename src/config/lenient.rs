//! Serde helpers for settings that may come from the environment as text: the
//! one boolean parser and comma-separated lists of seconds.

use serde::Deserializer;
use serde::de::{self, SeqAccess, Visitor};

/// The one boolean parser: `true`/`false`, also `1`/`0`, `yes`/`no`,
/// `on`/`off`, in any case.
pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// A boolean written as a TOML boolean, `0`/`1`, or a word [`parse_bool`] knows.
pub fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    struct Flag;
    impl Visitor<'_> for Flag {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("true or false")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
            self.visit_str(&v.to_string())
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
            self.visit_str(&v.to_string())
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
            parse_bool(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
        }
    }
    deserializer.deserialize_any(Flag)
}

/// Whole seconds as a list (`[1, 1, 2]`), a comma-separated text (`"1,1,2"`),
/// or a single number.
pub fn seconds_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u64>, D::Error> {
    struct Seconds;
    impl<'de> Visitor<'de> for Seconds {
        type Value = Vec<u64>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("comma-separated whole seconds, e.g. 1,1,2")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Vec<u64>, E> {
            Ok(vec![v])
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Vec<u64>, E> {
            u64::try_from(v)
                .map(|v| vec![v])
                .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u64>, E> {
            v.split(',')
                .map(|s| s.trim().parse::<u64>())
                .collect::<Result<_, _>>()
                .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u64>, A::Error> {
            let mut all = Vec::new();
            while let Some(n) = seq.next_element::<u64>()? {
                all.push(n);
            }
            Ok(all)
        }
    }
    deserializer.deserialize_any(Seconds)
}
