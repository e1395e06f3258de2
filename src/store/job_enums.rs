//! What a job does ([`JobKind`]) and where it stands ([`JobState`]), stored as
//! the same lowercase text on both backends and shown so in the admin API.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

/// Where a job stands in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for its due time.
    Queued,
    /// Claimed by a worker, under a lease.
    Running,
    /// Failed; waiting for its next try.
    Retrying,
    /// Done.
    Delivered,
    /// Gave up after its last try.
    Dead,
    /// Never sent, and never will be (the reason is its `last_error`).
    Skipped,
}

impl JobState {
    /// Every state, in the order of a job's life.
    pub const ALL: [JobState; 6] = [
        JobState::Queued,
        JobState::Running,
        JobState::Retrying,
        JobState::Delivered,
        JobState::Dead,
        JobState::Skipped,
    ];

    /// The stored (and shown) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Retrying => "retrying",
            JobState::Delivered => "delivered",
            JobState::Dead => "dead",
            JobState::Skipped => "skipped",
        }
    }

    /// Every state's name, comma-separated (for error messages).
    pub fn names() -> String {
        let names: Vec<&str> = Self::ALL.iter().map(|s| s.as_str()).collect();
        names.join(", ")
    }
}

/// What a job sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// A webhook of the account's action plan (or sent on demand).
    Webhook,
    /// The owner's new-lead email.
    Email,
    /// The owner's new-lead text message.
    Sms,
    /// The lead source's autoresponder mail to the lead.
    Autoreply,
}

impl JobKind {
    /// Every kind.
    pub const ALL: [JobKind; 4] = [
        JobKind::Webhook,
        JobKind::Email,
        JobKind::Sms,
        JobKind::Autoreply,
    ];

    /// The stored (and shown) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Webhook => "webhook",
            JobKind::Email => "email",
            JobKind::Sms => "sms",
            JobKind::Autoreply => "autoreply",
        }
    }
}

/// A spelling that names no state or kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what}: {value}")]
pub struct UnknownName {
    what: &'static str,
    value: String,
}

/// The text form shared by [`JobState`] and [`JobKind`]: parse, print, compare,
/// and store as text through sqlx on either backend.
pub trait StoredName: Copy + Sized + 'static {
    /// What the values are called in errors.
    const WHAT: &'static str;
    /// Every value.
    fn all() -> &'static [Self];
    /// The stored spelling.
    fn name(self) -> &'static str;

    /// The value spelled `text`.
    fn parse_name(text: &str) -> Result<Self, UnknownName> {
        Self::all()
            .iter()
            .copied()
            .find(|v| v.name() == text)
            .ok_or_else(|| UnknownName {
                what: Self::WHAT,
                value: text.to_string(),
            })
    }
}

impl StoredName for JobState {
    const WHAT: &'static str = "job state";
    fn all() -> &'static [Self] {
        &Self::ALL
    }
    fn name(self) -> &'static str {
        self.as_str()
    }
}

impl StoredName for JobKind {
    const WHAT: &'static str = "job kind";
    fn all() -> &'static [Self] {
        &Self::ALL
    }
    fn name(self) -> &'static str {
        self.as_str()
    }
}

impl FromStr for JobState {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        Self::parse_name(s)
    }
}

impl FromStr for JobKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        Self::parse_name(s)
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for JobState {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<&str> for JobKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl<DB: Database> Type<DB> for JobState
where
    str: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <str as Type<DB>>::type_info()
    }
    fn compatible(ty: &DB::TypeInfo) -> bool {
        <str as Type<DB>>::compatible(ty)
    }
}

impl<DB: Database> Type<DB> for JobKind
where
    str: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <str as Type<DB>>::type_info()
    }
    fn compatible(ty: &DB::TypeInfo) -> bool {
        <str as Type<DB>>::compatible(ty)
    }
}

impl<'q, DB: Database> Encode<'q, DB> for JobState
where
    &'static str: Encode<'q, DB>,
{
    fn encode_by_ref(&self, buf: &mut DB::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        self.as_str().encode_by_ref(buf)
    }
}

impl<'q, DB: Database> Encode<'q, DB> for JobKind
where
    &'static str: Encode<'q, DB>,
{
    fn encode_by_ref(&self, buf: &mut DB::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        self.as_str().encode_by_ref(buf)
    }
}

impl<'r, DB: Database> Decode<'r, DB> for JobState
where
    &'r str: Decode<'r, DB>,
{
    fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self::parse_name(<&str as Decode<DB>>::decode(value)?)?)
    }
}

impl<'r, DB: Database> Decode<'r, DB> for JobKind
where
    &'r str: Decode<'r, DB>,
{
    fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self::parse_name(<&str as Decode<DB>>::decode(value)?)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_parses_back_from_its_name() {
        for state in JobState::ALL {
            assert_eq!(state.as_str().parse::<JobState>(), Ok(state));
        }
        assert!("finished".parse::<JobState>().is_err());
    }

    #[test]
    fn every_kind_parses_back_from_its_name() {
        for kind in JobKind::ALL {
            assert_eq!(kind.as_str().parse::<JobKind>(), Ok(kind));
        }
        assert!("fax".parse::<JobKind>().is_err());
    }
}
