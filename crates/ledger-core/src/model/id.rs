//! Object ids: 24 lowercase hex characters that sort by creation time.
//!
//! The layout mirrors the seed's ids (`68f76721...`): four bytes of Unix
//! seconds, two bytes of milliseconds, six random bytes. Lexicographic order
//! is creation order to the millisecond; the random tail keeps ids unguessable
//! and collision-free across Lambda instances.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Id(String);

/// Only canonical ids deserialize, so an id from a request body is as safe to
/// put in a key as one from a path.
impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Id::parse(&text).ok_or_else(|| {
            serde::de::Error::custom("must be an id: 24 lowercase hexadecimal characters")
        })
    }
}

impl Id {
    pub const LEN: usize = 24;

    /// A fresh id stamped with `now`.
    pub fn generate(now: DateTime<Utc>) -> Self {
        let mut bytes = [0u8; 12];
        // Seconds fit in four bytes until 2106; truncation is the documented layout.
        bytes[..4].copy_from_slice(&(now.timestamp() as u32).to_be_bytes());
        bytes[4..6].copy_from_slice(&(now.timestamp_subsec_millis() as u16).to_be_bytes());
        getrandom::fill(&mut bytes[6..])
            .expect("the operating system's random source is available");
        Self(hex::encode(bytes))
    }

    /// The id a digest's first 12 bytes spell: the id of something addressed
    /// by a secret's hash rather than by when it was made (a portal session).
    pub(crate) fn of_digest(digest: &[u8; 32]) -> Self {
        Self(hex::encode(&digest[..12]))
    }

    /// The smallest id stamped at `at` or later: a lower bound for "created since".
    pub fn first_at(at: DateTime<Utc>) -> Self {
        Self(format!("{}000000000000", Self::stamp(at)))
    }

    /// The largest id stamped at `at` or earlier: an upper bound for "created until".
    pub fn last_at(at: DateTime<Utc>) -> Self {
        Self(format!("{}ffffffffffff", Self::stamp(at)))
    }

    /// The id stamped `at` whose tail is taken from `digest` (at least six
    /// bytes) instead of chance: for objects that must get the same id every
    /// time they are made, such as a period's payout.
    pub fn derived(at: DateTime<Utc>, digest: &[u8]) -> Self {
        Self(format!("{}{}", Self::stamp(at), hex::encode(&digest[..6])))
    }

    /// The time part of the layout: seconds then milliseconds, in hex.
    fn stamp(at: DateTime<Utc>) -> String {
        let seconds = u32::try_from(at.timestamp().max(0)).unwrap_or(u32::MAX);
        format!("{seconds:08x}{:04x}", at.timestamp_subsec_millis())
    }

    /// Accepts only the canonical form, so a parsed id is always safe to put in a key.
    pub fn parse(text: &str) -> Option<Self> {
        let canonical = text.len() == Self::LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        canonical.then(|| Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// In the API's document, every id field refers to this one schema.
impl PartialSchema for Id {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "An object's id: 24 lowercase hexadecimal characters, in creation order.",
            ))
            .examples(["68f76721a1b2c3d4e5f60718"])
            .into()
    }
}

impl ToSchema for Id {}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn generated_ids_are_canonical_and_sort_by_time() {
        let earlier = Utc.with_ymd_and_hms(2025, 10, 21, 10, 57, 37).unwrap();
        let later = earlier + chrono::Duration::milliseconds(1);
        let a = Id::generate(earlier);
        let b = Id::generate(later);
        assert!(a.as_str().starts_with("68f76721"), "{a}");
        assert_eq!(Id::parse(a.as_str()), Some(a.clone()));
        assert!(a < b);
    }

    #[test]
    fn time_bounds_enclose_the_ids_of_their_moment() {
        let at = Utc.with_ymd_and_hms(2026, 1, 15, 10, 0, 0).unwrap();
        let id = Id::generate(at);
        assert!(Id::first_at(at) <= id && id <= Id::last_at(at));
        let later = at + chrono::Duration::milliseconds(1);
        assert!(Id::last_at(at) < Id::first_at(later));
        assert!(Id::parse(Id::first_at(at).as_str()).is_some());
        assert!(Id::parse(Id::last_at(chrono::DateTime::<Utc>::MAX_UTC).as_str()).is_some());
    }

    #[test]
    fn derived_ids_are_canonical_and_carry_their_moment() {
        let at = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let id = Id::derived(at, &[0xab; 32]);
        assert_eq!(Id::parse(id.as_str()), Some(id.clone()));
        assert!(Id::first_at(at) <= id && id <= Id::last_at(at));
        assert!(id.as_str().ends_with("abababababab"));
    }

    #[test]
    fn parse_rejects_anything_but_24_lowercase_hex() {
        assert!(Id::parse("68f76721aaaaaaaaaaaaaaaa").is_some());
        assert!(Id::parse("68F76721AAAAAAAAAAAAAAAA").is_none());
        assert!(Id::parse("68f76721").is_none());
        assert!(Id::parse("68f76721aaaaaaaaaaaaaaaz").is_none());
        assert!(Id::parse("68f76721aaaaaaaaaaaaaaaa#").is_none());
    }
}
