//! Group commit for the single writer (SQLite): write units queued by many posts
//! are run in one transaction, each under its own savepoint, and committed with
//! one COMMIT — one fsync for the whole group instead of one per post.
//!
//! A unit's caller is answered only after the COMMIT that holds its writes has
//! returned, so a success answer still means "on disk" (`synchronous=FULL`
//! stays). A unit that fails is rolled back to its savepoint alone and answered
//! with its own error; the others of its group commit as usual. When the COMMIT
//! itself (or a savepoint statement) fails, every unit of the group is answered
//! with an error: none of them was stored.

use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::{Database, Pool};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::StoreError;
use super::sql::{Backend, execute, sql};

/// Most units committed together.
pub const MAX_GROUP: usize = 64;
/// How long the writer waits, after the first unit of a group, for more.
pub const GROUP_WINDOW: Duration = Duration::from_millis(2);
/// Units that may wait for the writer before callers wait to queue.
const QUEUE_DEPTH: usize = 4096;

/// The connection a unit writes on (inside the group's transaction).
pub type Conn<DB> = <DB as Database>::Connection;

/// What a unit leaves behind once run: whether its writes stand, and how to
/// answer its caller once the group's COMMIT has returned.
struct Ran {
    ok: bool,
    answer: Box<dyn FnOnce(Result<(), String>) + Send>,
}

/// One queued unit of writes, type-erased.
type Unit<DB> = Box<dyn for<'c> FnOnce(&'c mut Conn<DB>) -> BoxFuture<'c, Ran> + Send>;

/// The queue in front of the writer. Cloning shares it.
pub struct GroupCommit<DB: Database> {
    queue: mpsc::Sender<Unit<DB>>,
}

impl<DB: Database> Clone for GroupCommit<DB> {
    fn clone(&self) -> Self {
        GroupCommit {
            queue: self.queue.clone(),
        }
    }
}

impl<DB: Backend> GroupCommit<DB> {
    /// Start the committing task on `writer` (it ends when every handle is dropped).
    pub fn start(writer: Pool<DB>) -> Self {
        let (queue, units) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(run(writer, units));
        GroupCommit { queue }
    }

    /// Run `work` in the next group under its own savepoint; its result once the
    /// group is committed (or its own error, its writes rolled back).
    pub async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut Conn<DB>) -> BoxFuture<'c, Result<T, StoreError>>
            + Send
            + 'static,
    {
        let (reply, answer) = oneshot::channel::<Result<T, StoreError>>();
        let unit: Unit<DB> = Box::new(move |conn| {
            Box::pin(async move {
                let result = work(conn).await;
                let ok = result.is_ok();
                let answer = Box::new(move |commit: Result<(), String>| {
                    let answer = match (result, commit) {
                        (Ok(value), Ok(())) => Ok(value),
                        (Ok(_), Err(why)) => Err(group_failed(why)),
                        (Err(own), _) => Err(own),
                    };
                    // The caller may have gone away (its request was cancelled).
                    let _ = reply.send(answer);
                });
                Ran { ok, answer }
            })
        });
        if self.queue.send(unit).await.is_err() {
            return Err(group_failed("the writer has stopped".into()));
        }
        answer
            .await
            .unwrap_or_else(|_| Err(group_failed("the writer dropped the write".into())))
    }
}

/// The error every unit of a group that could not be committed is answered with.
fn group_failed(why: String) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(format!("group commit failed: {why}")))
}

/// The committing task: take a group, run it, commit it, answer it; again.
async fn run<DB: Backend>(writer: Pool<DB>, mut units: mpsc::Receiver<Unit<DB>>) {
    while let Some(first) = units.recv().await {
        let mut group = vec![first];
        let until = Instant::now() + GROUP_WINDOW;
        while group.len() < MAX_GROUP {
            match units.try_recv() {
                Ok(unit) => group.push(unit),
                Err(mpsc::error::TryRecvError::Empty) => {
                    match tokio::time::timeout_at(until, units.recv()).await {
                        Ok(Some(unit)) => group.push(unit),
                        _ => break,
                    }
                }
                Err(mpsc::error::TryRecvError::Disconnected) => break,
            }
        }
        metrics::histogram!("leadpost_group_commit_size").record(group.len() as f64);
        commit_group(&writer, group).await;
    }
}

/// Run one group in one transaction and answer each unit after the COMMIT.
async fn commit_group<DB: Backend>(writer: &Pool<DB>, group: Vec<Unit<DB>>) {
    let mut tx = match writer.begin_with(DB::BEGIN_WRITE).await {
        Ok(tx) => tx,
        Err(e) => {
            tracing::error!(error = %e, "cannot open the group's transaction");
            // Each unit still runs nowhere: answer them all with the failure.
            let why = e.to_string();
            for unit in group {
                fail_unrun::<DB>(unit, &why);
            }
            return;
        }
    };
    let mut ran = Vec::with_capacity(group.len());
    let mut broken: Option<String> = None;
    let mut waiting = group.into_iter();
    for unit in waiting.by_ref() {
        if let Err(e) = execute(sql::<DB>("SAVEPOINT lead"), DB::on_conn(&mut tx)).await {
            broken = Some(e.to_string());
            fail_unrun::<DB>(unit, &e.to_string());
            break;
        }
        let done = unit(&mut *tx).await;
        let close = if done.ok {
            execute(sql::<DB>("RELEASE lead"), DB::on_conn(&mut tx)).await
        } else {
            match execute(sql::<DB>("ROLLBACK TO lead"), DB::on_conn(&mut tx)).await {
                Ok(_) => execute(sql::<DB>("RELEASE lead"), DB::on_conn(&mut tx)).await,
                Err(e) => Err(e),
            }
        };
        ran.push(done);
        if let Err(e) = close {
            broken = Some(e.to_string());
            break;
        }
    }
    let why = broken.unwrap_or_default();
    for unit in waiting {
        fail_unrun::<DB>(unit, &why);
    }
    let committed = if why.is_empty() {
        tx.commit().await.map_err(|e| e.to_string())
    } else {
        // Dropping the transaction rolls it back.
        drop(tx);
        Err(why)
    };
    if let Err(why) = &committed {
        tracing::error!(error = %why, units = ran.len(), "a group of writes was not committed");
    }
    for done in ran {
        (done.answer)(committed.clone());
    }
}

/// Answer a unit that never ran: its group could not be written.
fn fail_unrun<DB: Backend>(unit: Unit<DB>, why: &str) {
    // The unit's future is never polled; dropping it drops its reply channel,
    // and its caller is answered with the group's failure.
    drop(unit);
    tracing::debug!(error = %why, "a queued write was dropped with its group");
}
