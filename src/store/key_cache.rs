//! A short-lived cache of web_key lookups, so the intake hot path does not read
//! the key, its account and its lead source on every post.
//!
//! An entry lives at most [`KEY_CACHE_TTL`] (and never past the key's own expiry).
//! Any write through this store other than intake's and the worker's own rows
//! forgets every entry at once, so a key rotated, revoked or reconfigured through
//! this process takes effect on its next post; another process (a second `serve`
//! on the same PostgreSQL, the CLI) sees the change within [`KEY_CACHE_TTL`].
//! Unknown keys are never cached: a new key works at once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::time::Instant;

use super::KeyOwner;

/// How long a looked-up key is trusted without reading it again.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(5);
/// Most keys kept; past this the cache starts over.
const MAX_KEYS: usize = 10_000;

/// The cache; shared by every clone of the store.
#[derive(Default)]
pub struct KeyCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Bumped by every forgetting write: a lookup started before it is not kept.
    generation: u64,
    keys: HashMap<String, (Instant, KeyOwner)>,
}

impl KeyCache {
    /// The cached owner of `key`, if still fresh; else the generation to hand back
    /// to [`KeyCache::keep`] with what the database says.
    pub fn get(&self, key: &str) -> Result<KeyOwner, u64> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match inner.keys.get(key) {
            Some((until, owner)) if *until > Instant::now() => Ok(owner.clone()),
            Some(_) => {
                inner.keys.remove(key);
                Err(inner.generation)
            }
            None => Err(inner.generation),
        }
    }

    /// Keep `owner` for `key` (read at `generation`) until the TTL or the key's expiry.
    pub fn keep(
        &self,
        key: &str,
        owner: &KeyOwner,
        expires_at: Option<OffsetDateTime>,
        generation: u64,
    ) {
        let mut ttl = KEY_CACHE_TTL;
        if let Some(expires_at) = expires_at {
            let left = expires_at - OffsetDateTime::now_utc();
            ttl = ttl.min(Duration::try_from(left).unwrap_or_default());
        }
        if ttl.is_zero() {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.generation != generation {
            return;
        }
        if inner.keys.len() >= MAX_KEYS {
            inner.keys.clear();
        }
        inner
            .keys
            .insert(key.to_string(), (Instant::now() + ttl, owner.clone()));
    }

    /// Forget every key (a write that may have changed one).
    pub fn forget_all(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.generation += 1;
        inner.keys.clear();
    }
}
