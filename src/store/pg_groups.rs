//! Group commit on PostgreSQL (DESIGN.md §13): a queue in front of a few writer
//! tasks, each of which takes whatever is queued when it is free (up to
//! [`MAX_GROUP`]) and writes it with one statement, one round trip and one commit
//! for the group. What is written is the [`GroupCall`]'s business: the leads of
//! many posts (lead_groups.rs), the attempts of many deliveries (attempt_groups.rs).
//!
//! There is no waiting window: a lone item is written at once, and a burst forms
//! groups by itself while the writers are busy. A caller is answered after the
//! call returns, that is after the commit holding its item.

use std::future::Future;
use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::oneshot;

use super::StoreError;

/// Most items written by one call.
pub const MAX_GROUP: usize = 64;
/// Items that may wait for a writer before callers wait to queue.
const QUEUE_DEPTH: usize = 4096;

/// One statement that writes a whole group.
pub trait GroupCall: Send + Sync + 'static {
    /// What one caller hands in.
    type Item: Send + 'static;
    /// What one caller gets back once the group is committed.
    type Done: Send + 'static;
    /// The histogram of the groups' sizes (recorded by each group's first caller,
    /// inside its request's or job's metrics scope).
    const SIZE_METRIC: &'static str;
    /// What an item is, for errors ("lead", "attempt").
    const ITEM: &'static str;

    /// Write `items` in one transaction: each item's answer, in the items' order
    /// (an item left without one fails), or the call's own failure (every item
    /// fails with it).
    fn call(
        &self,
        pool: &PgPool,
        items: Vec<Self::Item>,
    ) -> impl Future<Output = Result<Vec<Result<Self::Done, StoreError>>, sqlx::Error>> + Send;
}

/// How an item's caller is answered: what became of it, and the group's size
/// for the first item of a group.
type Reply<D> = oneshot::Sender<(Result<D, StoreError>, Option<usize>)>;

/// One item waiting for a writer.
struct Pending<C: GroupCall> {
    item: C::Item,
    reply: Reply<C::Done>,
}

/// The queue in front of the writers. Cloning shares it.
pub struct Groups<C: GroupCall> {
    queue: flume::Sender<Pending<C>>,
}

impl<C: GroupCall> Clone for Groups<C> {
    fn clone(&self) -> Self {
        Groups {
            queue: self.queue.clone(),
        }
    }
}

impl<C: GroupCall> Groups<C> {
    /// Start `writers` writer tasks on `pool` (each holds a connection only for
    /// its call); they end when every handle is dropped. Must be called inside
    /// the runtime.
    pub fn start(pool: &PgPool, writers: usize, call: C) -> Self {
        let (queue, pending) = flume::bounded(QUEUE_DEPTH);
        let call = Arc::new(call);
        for _ in 0..writers.max(1) {
            tokio::spawn(write(pool.clone(), call.clone(), pending.clone()));
        }
        Groups { queue }
    }

    /// Write `item` in the next group; its answer once the group is committed.
    pub async fn run(&self, item: C::Item) -> Result<C::Done, StoreError> {
        let (reply, answer) = oneshot::channel();
        if self
            .queue
            .send_async(Pending { item, reply })
            .await
            .is_err()
        {
            return Err(failed::<C>("the writers have stopped"));
        }
        let Ok((done, size)) = answer.await else {
            return Err(failed::<C>("the writer dropped it"));
        };
        // Recorded by the caller, whose request or job has the application's metrics.
        if let Some(size) = size {
            metrics::histogram!(C::SIZE_METRIC).record(size as f64);
        }
        done
    }
}

/// A writer: take what is queued, write it with one call, answer each; again.
async fn write<C: GroupCall>(pool: PgPool, call: Arc<C>, pending: flume::Receiver<Pending<C>>) {
    while let Ok(first) = pending.recv_async().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match pending.try_recv() {
                Ok(more) => group.push(more),
                Err(_) => break,
            }
        }
        let (items, replies): (Vec<_>, Vec<_>) =
            group.into_iter().map(|p| (p.item, p.reply)).unzip();
        let size = replies.len();
        let first = |index: usize| (index == 0).then_some(size);
        match call.call(&pool, items).await {
            Ok(answers) => {
                let mut answers = answers.into_iter();
                for (index, reply) in replies.into_iter().enumerate() {
                    let done = answers
                        .next()
                        .unwrap_or_else(|| Err(failed::<C>("no answer in its group")));
                    // The caller may have gone away (its request was cancelled).
                    let _ = reply.send((done, first(index)));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, size, item = C::ITEM, "a group was not written");
                for (index, reply) in replies.into_iter().enumerate() {
                    let _ = reply.send((Err(StoreError::Database(same_failure(&e))), first(index)));
                }
            }
        }
    }
}

/// The failure of a group's call, once for each of its items: the same kind of
/// error (a pool timeout stays a pool timeout: "storage unavailable"), its text
/// otherwise.
fn same_failure(e: &sqlx::Error) -> sqlx::Error {
    match e {
        sqlx::Error::PoolTimedOut => sqlx::Error::PoolTimedOut,
        sqlx::Error::PoolClosed => sqlx::Error::PoolClosed,
        sqlx::Error::Io(io) => sqlx::Error::Io(std::io::Error::new(io.kind(), io.to_string())),
        other => sqlx::Error::Protocol(other.to_string()),
    }
}

/// The error of an item its group left unanswered.
pub(super) fn failed<C: GroupCall>(why: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(format!(
        "{} group failed: {why}",
        C::ITEM
    )))
}
