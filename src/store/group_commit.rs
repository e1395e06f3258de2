//! Group commit for the single SQLite writer: write units queued by many posts
//! are run in one transaction, each under its own savepoint, and committed with
//! one COMMIT — one fsync for the whole group instead of one per post.
//!
//! The group runs on a thread of its own, on the writer connection's own SQLite
//! handle, locked out of sqlx for the group's length: every statement of every
//! unit is a direct call on that thread, not a message to the connection's
//! worker thread and back (two thread switches per statement, a dozen
//! statements per lead), and its COMMIT's wait for the disk blocks no task of
//! the runtime.
//!
//! A unit's caller is answered only after the COMMIT that holds its writes has
//! returned, so a success answer still means "on disk" (`synchronous=FULL`
//! stays). A unit that fails is rolled back to its savepoint alone and answered
//! with its own error; the others of its group commit as usual. When the COMMIT
//! itself (or a savepoint statement) fails, every unit of the group is answered
//! with an error: none of them was stored.

use std::time::Duration;

use std::time::Instant;

use sqlx::SqlitePool;
use tokio::runtime::Handle;
use tokio::sync::oneshot;

use super::StoreError;

/// Most units committed together.
pub const MAX_GROUP: usize = 64;
/// How long the writer waits, after the first unit of a group, for more.
pub const GROUP_WINDOW: Duration = Duration::from_millis(2);
/// Units that may wait for the writer before callers wait to queue.
const QUEUE_DEPTH: usize = 4096;

/// The connection a unit writes on (inside the group's transaction).
pub type Conn = rusqlite::Connection;

/// What a unit leaves behind once run: whether its writes stand, and how to
/// answer its caller once the group's COMMIT has returned (with the group's size
/// for the first unit of the group, which records it).
struct Ran {
    ok: bool,
    answer: Answer,
}

/// Answers a unit's caller: the group's COMMIT (or why it failed), and the
/// group's size when the unit was the group's first.
type Answer = Box<dyn FnOnce(Result<(), String>, Option<usize>) + Send>;

/// One queued unit of writes, type-erased.
type Unit = Box<dyn FnOnce(&Conn) -> Ran + Send>;

/// The queue in front of the writer. Cloning shares it.
#[derive(Clone)]
pub struct GroupCommit {
    queue: flume::Sender<Unit>,
}

impl GroupCommit {
    /// Start the writer thread on `writer` (it ends when every handle is dropped).
    /// Must be called inside the runtime, which the thread uses to borrow the
    /// pool's connection.
    pub fn start(writer: SqlitePool) -> Result<Self, StoreError> {
        let (queue, units) = flume::bounded(QUEUE_DEPTH);
        let runtime = Handle::current();
        std::thread::Builder::new()
            .name("leadpost-writer".into())
            .spawn(move || run(&runtime, &writer, &units))
            .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        Ok(GroupCommit { queue })
    }

    /// Run `work` in the next group under its own savepoint; its result once the
    /// group is committed (or its own error, its writes rolled back).
    pub async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Conn) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<(Result<T, StoreError>, Option<usize>)>();
        let unit: Unit = Box::new(move |conn| {
            let result = work(conn);
            let ok = result.is_ok();
            let answer = Box::new(move |commit: Result<(), String>, size: Option<usize>| {
                let answer = match (result, commit) {
                    (Ok(value), Ok(())) => Ok(value),
                    (Ok(_), Err(why)) => Err(group_failed(why)),
                    (Err(own), _) => Err(own),
                };
                // The caller may have gone away (its request was cancelled).
                let _ = reply.send((answer, size));
            });
            Ran { ok, answer }
        });
        if self.queue.send_async(unit).await.is_err() {
            return Err(group_failed("the writer has stopped".into()));
        }
        let Ok((answer, size)) = answer.await else {
            return Err(group_failed("the writer dropped the write".into()));
        };
        // Recorded by the caller, whose request or job has the application's metrics.
        if let Some(size) = size {
            metrics::histogram!("leadpost_group_commit_size").record(size as f64);
        }
        answer
    }
}

/// The error every unit of a group that could not be committed is answered with.
fn group_failed(why: String) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(format!("group commit failed: {why}")))
}

/// The writer thread: take a group, run it, commit it, answer it; again.
fn run(runtime: &Handle, writer: &SqlitePool, units: &flume::Receiver<Unit>) {
    while let Ok(first) = units.recv() {
        let mut group = vec![first];
        let until = Instant::now() + GROUP_WINDOW;
        while group.len() < MAX_GROUP {
            match units.recv_deadline(until) {
                Ok(unit) => group.push(unit),
                Err(_) => break,
            }
        }
        runtime.block_on(commit_group(writer, group));
    }
}

/// Run one group in one transaction and answer each unit after the COMMIT.
/// The group's statements and its COMMIT block this thread, which is the
/// writer's own, not one of the runtime's.
async fn commit_group(writer: &SqlitePool, group: Vec<Unit>) {
    let size = group.len();
    let mut conn = match writer.acquire().await {
        Ok(conn) => conn,
        Err(e) => return fail_group(group, &e.to_string()),
    };
    let mut handle = match conn.lock_handle().await {
        Ok(handle) => handle,
        Err(e) => return fail_group(group, &e.to_string()),
    };
    let raw = handle.as_raw_handle();
    // SAFETY: the handle is locked out of sqlx (its worker thread waits on the
    // lock) until `handle` is dropped below, after the last use of `db`; the
    // wrapper does not own the handle, so dropping it closes nothing.
    let db = match unsafe { rusqlite::Connection::from_handle(raw.as_ptr()) } {
        Ok(db) => db,
        Err(e) => return fail_group(group, &e.to_string()),
    };
    let (ran, committed) = write_group(&db, group);
    let stuck = !db.is_autocommit();
    drop(db);
    drop(handle);
    if stuck {
        // Not even the ROLLBACK went through: sqlx must not be handed a connection
        // inside a transaction. The pool opens a fresh one for the next write.
        tracing::error!("the writer connection is left inside a transaction; closing it");
        conn.close_on_drop();
    }
    drop(conn);
    if let Err(why) = &committed {
        tracing::error!(error = %why, units = ran.len(), "a group of writes was not committed");
    }
    for (i, done) in ran.into_iter().enumerate() {
        (done.answer)(committed.clone(), (i == 0).then_some(size));
    }
}

/// BEGIN, each unit under its savepoint, COMMIT: what each unit left, and
/// whether the group was committed.
fn write_group(db: &Conn, group: Vec<Unit>) -> (Vec<Ran>, Result<(), String>) {
    if let Err(e) = db.execute_batch("BEGIN IMMEDIATE") {
        fail_group(group, &e.to_string());
        return (Vec::new(), Err(e.to_string()));
    }
    let mut ran = Vec::with_capacity(group.len());
    let mut broken: Option<String> = None;
    let mut waiting = group.into_iter();
    for unit in waiting.by_ref() {
        if let Err(e) = run_cached(db, "SAVEPOINT lead") {
            broken = Some(e.to_string());
            drop(unit);
            break;
        }
        let done = unit(db);
        let close = if done.ok {
            run_cached(db, "RELEASE lead")
        } else {
            db.execute_batch("ROLLBACK TO lead; RELEASE lead")
        };
        ran.push(done);
        if let Err(e) = close {
            broken = Some(e.to_string());
            break;
        }
    }
    let committed = match broken {
        None => db.execute_batch("COMMIT").map_err(|e| e.to_string()),
        Some(why) => Err(why),
    };
    if committed.is_err() {
        // Leave the connection as sqlx expects it: outside any transaction.
        let _ = db.execute_batch("ROLLBACK");
    }
    fail_group(
        waiting.collect(),
        committed.as_ref().err().map_or("", String::as_str),
    );
    (ran, committed)
}

/// Run a statement without parameters, prepared once per group.
fn run_cached(db: &Conn, text: &str) -> rusqlite::Result<()> {
    db.prepare_cached(text)?.execute([]).map(drop)
}

/// Answer units that never ran: their group could not be written.
fn fail_group(units: Vec<Unit>, why: &str) {
    if units.is_empty() {
        return;
    }
    // A unit never run is dropped with its reply channel, and its caller is
    // answered with the group's failure.
    drop(units);
    tracing::debug!(error = %why, "queued writes were dropped with their group");
}
