//! Cross-process wake-up on PostgreSQL: a job due now queued by any `serve`
//! process (or the CLI) wakes the delivery worker of every process on the
//! database, not only its own. Migration 0015's trigger sends `NOTIFY
//! leadpost_jobs` at the commit of an INSERT that queued a job due now; this
//! task LISTENs on a connection of its own and turns each notification into a
//! signal on the store's `jobs_queued`, which the worker waits on beside its poll.
//!
//! The listener never makes start-up fail: it connects in the background,
//! reconnects with a growing backoff whenever the server goes away, and wakes
//! the worker once after each (re)connection, since a notification sent while
//! it was not listening is lost. The poll (`delivery.poll_interval_ms`) remains
//! the fallback for whatever a lost notification would have announced.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgListener, PgPoolOptions};
use sqlx::{PgPool, Postgres};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

/// The channel migration 0015's trigger notifies.
pub const JOBS_CHANNEL: &str = "leadpost_jobs";

/// The first wait before connecting again after a failure; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// The longest wait between two connection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Start listening for queued jobs on the database of `pool` (on a connection of
/// its own, not one of the pool's); each notification signals `wake`. Stops when
/// `shutdown` turns true.
pub(super) fn spawn(
    pool: &PgPool,
    wake: Arc<Notify>,
    shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let options = (*pool.connect_options()).clone();
    // One connection, held as long as it lives: no idle timeout, no lifetime.
    let own = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .idle_timeout(None)
        .max_lifetime(None)
        .acquire_timeout(CONNECT_TIMEOUT)
        .connect_lazy_with(options);
    tokio::spawn(listen(own, wake, shutdown))
}

/// The next wait after `current` failed again.
pub(super) fn next_backoff(current: Duration) -> Duration {
    (current * 2).min(MAX_BACKOFF)
}

/// Connect, listen, relay; on any failure wait (backoff) and start again.
async fn listen(
    pool: sqlx::Pool<Postgres>,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut backoff = FIRST_BACKOFF;
    while !*shutdown.borrow() {
        let connected = tokio::select! {
            connected = subscribe(&pool) => connected,
            _ = shutdown.changed() => break,
        };
        match connected {
            Ok(mut listener) => {
                tracing::info!(
                    channel = JOBS_CHANNEL,
                    "listening for jobs queued by any process"
                );
                backoff = FIRST_BACKOFF;
                // Whatever was queued while nobody listened here: look now.
                wake.notify_one();
                let lost = tokio::select! {
                    lost = relay(&mut listener, &wake) => lost,
                    _ = shutdown.changed() => break,
                };
                tracing::warn!(
                    error = %lost,
                    retry_in_ms = backoff.as_millis() as u64,
                    "lost the job notifications; the poll covers until they are back"
                );
            }
            Err(e) => tracing::warn!(
                error = %e,
                retry_in_ms = backoff.as_millis() as u64,
                "cannot listen for job notifications; the poll covers until it can"
            ),
        }
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            _ = shutdown.changed() => break,
        }
        backoff = next_backoff(backoff);
    }
    // Give the connection back (the listener UNLISTENs as it goes), without
    // holding up a stopping process.
    let _ = tokio::time::timeout(Duration::from_secs(1), pool.close()).await;
}

/// A listener on [`JOBS_CHANNEL`] that reports a lost connection instead of
/// quietly reconnecting (reconnection and its backoff are [`listen`]'s).
async fn subscribe(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.eager_reconnect(false);
    listener.ignore_pool_close_event(true);
    listener.listen(JOBS_CHANNEL).await?;
    Ok(listener)
}

/// Signal `wake` for each notification until the connection fails; returns why.
async fn relay(listener: &mut PgListener, wake: &Notify) -> sqlx::Error {
    loop {
        match listener.try_recv().await {
            Ok(Some(_)) => wake.notify_one(),
            Ok(None) => return sqlx::Error::Protocol("connection to the server lost".into()),
            Err(e) => return e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_its_ceiling() {
        assert_eq!(next_backoff(FIRST_BACKOFF), Duration::from_secs(1));
        assert_eq!(next_backoff(Duration::from_secs(20)), MAX_BACKOFF);
        assert_eq!(next_backoff(MAX_BACKOFF), MAX_BACKOFF);
    }
}
