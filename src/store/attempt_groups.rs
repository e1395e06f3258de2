//! The attempts of many deliveries recorded together on PostgreSQL (group
//! commit, pg_groups.rs): each attempt's log row and its job's next state, for a
//! whole group, in one statement over arrays, one commit for the group.

use sqlx::PgPool;
use uuid::Uuid;

use super::StoreError;
use super::job_enums::JobState;
use super::pg_groups::{GroupCall, Groups};
use super::types::{DbId, DbTime};

/// The group as rows (`f`, one per attempt, in the parameters' order of
/// jobs.rs's `FINISH_JOB` and `INSERT_ATTEMPT`); each attempt logged with its
/// job's request id; each job moved on unless its lease passed and another
/// worker claimed it since. It answers the jobs it moved on.
const FINISH_ATTEMPTS: &str = "WITH f AS (SELECT * FROM unnest($1::uuid[], $2::text[], \
    $3::timestamptz[], $4::text[], $5::timestamptz[], $6::int4[], $7::uuid[], \
    $8::timestamptz[], $9::int4[], $10::int8[], $11::text[], $12::text[]) \
    AS f(job_id, state, due_at, last_error, now, attempts, attempt_id, attempted_at, \
    status_code, latency_ms, response, error)), \
    logged AS (INSERT INTO job_attempts (id, job_id, attempted_at, status_code, latency_ms, \
    response, error, request_id) SELECT f.attempt_id, j.id, f.attempted_at, f.status_code, \
    f.latency_ms, f.response, f.error, j.request_id FROM f JOIN jobs j ON j.id = f.job_id) \
    UPDATE jobs j SET state = f.state, due_at = COALESCE(f.due_at, j.due_at), \
    lease_until = NULL, last_error = f.last_error, updated_at = f.now \
    FROM f WHERE j.id = f.job_id AND j.state = 'running' AND j.attempts = f.attempts \
    RETURNING j.id, j.attempts";

/// An attempt's log row and its job's next state: the values of `FINISH_JOB`
/// and `INSERT_ATTEMPT` (jobs.rs), in their parameters' order.
#[derive(Clone)]
pub struct Finish {
    pub(super) job_id: DbId,
    pub(super) state: JobState,
    pub(super) due_at: Option<DbTime>,
    pub(super) last_error: Option<String>,
    pub(super) now: DbTime,
    pub(super) attempts: i32,
    pub(super) attempt_id: DbId,
    pub(super) attempted_at: DbTime,
    pub(super) status_code: Option<i32>,
    pub(super) latency_ms: i64,
    pub(super) response: Option<String>,
    pub(super) error: Option<String>,
}

/// The attempt writers' queue.
pub type AttemptGroups = Groups<FinishAttempts>;

/// A group of attempts, recorded by [`FINISH_ATTEMPTS`].
pub struct FinishAttempts;

impl GroupCall for FinishAttempts {
    type Item = Finish;
    /// Whether the job was still the attempt's to move on.
    type Done = bool;
    const SIZE_METRIC: &'static str = "leadpost_attempt_group_size";
    const ITEM: &'static str = "attempt";

    async fn call(
        &self,
        pool: &PgPool,
        group: Vec<Finish>,
    ) -> Result<Vec<Result<bool, StoreError>>, sqlx::Error> {
        // One array per column, in the group's order.
        fn column<'a, T>(group: &'a [Finish], value: impl Fn(&'a Finish) -> T) -> Vec<T> {
            group.iter().map(value).collect()
        }
        let moved: Vec<(Uuid, i32)> = sqlx::query_as(FINISH_ATTEMPTS)
            .bind(column(&group, |f| f.job_id.0))
            .bind(column(&group, |f| f.state.as_str()))
            .bind(column(&group, |f| f.due_at.map(|t| t.0)))
            .bind(column(&group, |f| f.last_error.as_deref()))
            .bind(column(&group, |f| f.now.0))
            .bind(column(&group, |f| f.attempts))
            .bind(column(&group, |f| f.attempt_id.0))
            .bind(column(&group, |f| f.attempted_at.0))
            .bind(column(&group, |f| f.status_code))
            .bind(column(&group, |f| f.latency_ms))
            .bind(column(&group, |f| f.response.as_deref()))
            .bind(column(&group, |f| f.error.as_deref()))
            .fetch_all(pool)
            .await?;
        Ok(group
            .iter()
            .map(|f| Ok(moved.contains(&(f.job_id.0, f.attempts))))
            .collect())
    }
}
