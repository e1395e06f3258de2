//! The durable job queue as the delivery worker sees it: claiming due jobs under a
//! lease (fairly across accounts and receivers; see [`claim_statement`]),
//! recording each attempt with the job's next state, queuing a webhook on demand,
//! and reading what an attempt needs.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::attempt_groups::Finish;
use super::automation::WEBHOOK_COLUMNS;
use super::group_commit::Conn;
use super::records::{ClientOwnerRow, JobAttemptRow, JobRow, KindRow, WebhookRow, into_all};
use super::sql::{Backend, Bind, IdList, SqlStore, execute, fetch_all, sql, sql_built};
use super::sqlite_handle;
use super::types::{DbId, DbTime};
use super::{
    Client, Job, JobAttempt, JobKind, JobState, LeadSourceRef, StoreError, Webhook, new_id,
};

/// The queue operations of the delivery worker.
#[async_trait::async_trait]
pub trait JobStore: Send + Sync + 'static {
    /// Reserve up to `limit` jobs of `kind` that are due (or whose worker's lease has
    /// passed) for `lease_seconds`: each comes back `running`, its `attempts` already
    /// counting the attempt about to be made.
    async fn claim_due_jobs(
        &self,
        kind: JobKind,
        limit: i64,
        lease_seconds: i64,
    ) -> Result<Vec<Job>, StoreError>;

    /// The kinds that have a job due now (or whose worker's lease has passed): a
    /// plain read, so a worker asks it before it claims and an idle poll never
    /// takes SQLite's write lock.
    async fn due_kinds(&self) -> Result<Vec<JobKind>, StoreError>;

    /// [`JobStore::claim_due_jobs`], taking accounts in turn and leaving out webhook
    /// jobs whose URL would then have more than `per_url` jobs running (counting
    /// every process's live leases).
    async fn claim_due_jobs_fairly(
        &self,
        kind: JobKind,
        limit: i64,
        lease_seconds: i64,
        per_url: i64,
    ) -> Result<Vec<Job>, StoreError>;

    /// Log an attempt of a claimed job and move the job on. The job changes only
    /// while it is still held by this claim (`job.attempts` is the claim's number);
    /// returns whether it was.
    async fn finish_attempt(
        &self,
        job: &Job,
        attempt: &NewAttempt,
        next: &JobNext,
    ) -> Result<bool, StoreError>;

    /// Queue one webhook of the client's account for the client, due now.
    async fn queue_webhook_job(&self, client_id: Uuid, webhook_id: Uuid)
    -> Result<Job, StoreError>;

    /// One job.
    async fn get_job(&self, id: Uuid) -> Result<Job, StoreError>;
    /// One webhook, with its secret.
    async fn get_webhook(&self, id: Uuid) -> Result<Webhook, StoreError>;
    /// The webhooks with these ids that exist, with their secrets, in one read
    /// (what a claimed batch of jobs sends).
    async fn get_webhooks(&self, ids: &[Uuid]) -> Result<Vec<Webhook>, StoreError>;
    /// A job's attempts, oldest first.
    async fn list_job_attempts(&self, job_id: Uuid) -> Result<Vec<JobAttempt>, StoreError>;
    /// What a body template is rendered over: the client, its account and lead source.
    async fn get_delivery_context(&self, client_id: Uuid) -> Result<DeliveryContext, StoreError>;
    /// The delivery contexts of the clients with these ids that exist, read
    /// together (five queries for a claimed batch, not five per job).
    async fn get_delivery_contexts(
        &self,
        client_ids: &[Uuid],
    ) -> Result<Vec<DeliveryContext>, StoreError>;
}

/// One attempt as it is logged.
#[derive(Debug, Clone)]
pub struct NewAttempt {
    pub attempted_at: OffsetDateTime,
    /// The answer's status, when one came.
    pub status_code: Option<u16>,
    pub latency_ms: i64,
    /// The first KiB of the answer's body.
    pub response: Option<String>,
    pub error: Option<String>,
}

/// Where a job goes after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobNext {
    Delivered,
    Retry {
        due_at: OffsetDateTime,
        error: String,
    },
    Dead {
        error: String,
    },
    /// Not sent, and never will be (e.g. no SMTP server configured); the reason
    /// becomes the job's `last_error`.
    Skipped {
        reason: String,
    },
}

impl JobNext {
    /// The state the job moves to.
    pub fn state(&self) -> JobState {
        match self {
            JobNext::Delivered => JobState::Delivered,
            JobNext::Retry { .. } => JobState::Retrying,
            JobNext::Dead { .. } => JobState::Dead,
            JobNext::Skipped { .. } => JobState::Skipped,
        }
    }
}

/// The account's id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountRef {
    pub id: Uuid,
    pub name: String,
}

/// Everything a webhook body is rendered over.
#[derive(Debug, Clone)]
pub struct DeliveryContext {
    pub client: Client,
    pub account: AccountRef,
    pub lead_source: Option<LeadSourceRef>,
}

/// The columns of a job as read back.
pub(super) const JOB_COLUMNS: &str = "id, account_id, client_id, kind, webhook_id, state, due_at, \
    attempts, message_id, last_error, created_at";

/// The jobs a worker may take: due, or running under a lease that has passed
/// (`$1` the kind, `$2` now).
const DUE: &str = "kind = $1 AND ((state IN ('queued', 'retrying') AND due_at <= $2) \
    OR (state = 'running' AND lease_until <= $2))";

/// How a backend walks each account's due jobs (the claim's `chain` and `picked`
/// steps) and hands the chosen ids to its UPDATE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ClaimWalk {
    /// Each step a scalar subquery that finds the previous job again by id
    /// (SQLite, which has no LATERAL); the row comparison with it is a filter.
    Scalar,
    /// Each step a LATERAL subquery on the previous job's `(due_at, id)` carried
    /// along, so the comparison is an index condition: one seek per step
    /// (PostgreSQL). The UPDATE takes the chosen ids as an array, one primary-key
    /// probe each, whatever the planner guesses of the due jobs' count.
    Lateral,
}

/// The claim statement, fair across accounts and receivers: due jobs are taken
/// round-robin by account (each account's oldest first, then every account's
/// second, ...), and a webhook job is skipped while its URL already has `$5` jobs
/// running under a live lease (in any process) or chosen before it in this claim.
///
/// Its cost does not grow with the backlog: `accounts` walks the accounts with
/// pending jobs of the kind by index (one seek each), and `chain` takes each
/// account's oldest due jobs one index step at a time (see [`ClaimWalk`]), as many
/// as a fair share of `$4` needs; only those candidates are ranked. (So an account
/// whose first candidates all wait on a busy receiver gets its jobs to other
/// receivers at the next claims, once those are among its oldest.)
///
/// The chosen ids are materialized once, so the LIMIT holds however the UPDATE is
/// planned (`$3` the lease's end, `$4` how many); the UPDATE checks again that each
/// is still due, so two workers choosing the same job concurrently (PostgreSQL,
/// READ COMMITTED re-checks a row changed under it) never both take it.
pub(super) fn claim_statement(walk: ClaimWalk) -> String {
    let (chain, chosen) = match walk {
        ClaimWalk::Scalar => (
            format!(
                "chain(account_id, id, n) AS (SELECT a.account_id, (SELECT x.id FROM jobs x \
                 WHERE x.account_id = a.account_id AND {DUE_X} ORDER BY x.due_at, x.id LIMIT 1), 1 \
                 FROM accounts a WHERE a.account_id IS NOT NULL \
                 UNION ALL SELECT c.account_id, (SELECT x.id FROM jobs x JOIN jobs p ON p.id = c.id \
                 WHERE x.account_id = c.account_id AND {DUE_X} \
                 AND (x.due_at, x.id) > (p.due_at, p.id) \
                 ORDER BY x.due_at, x.id LIMIT 1), c.n + 1 \
                 FROM chain c WHERE c.id IS NOT NULL AND c.n < (SELECT n FROM share)), \
                 picked AS (SELECT c.id, c.account_id, \
                 (SELECT due_at FROM jobs WHERE id = c.id) AS due_at, \
                 (SELECT webhook_id FROM jobs WHERE id = c.id) AS webhook_id \
                 FROM chain c WHERE c.id IS NOT NULL)"
            ),
            "id IN (SELECT id FROM due)",
        ),
        ClaimWalk::Lateral => (
            format!(
                "chain(account_id, id, due_at, webhook_id, n) AS (SELECT a.account_id, f.id, \
                 f.due_at, f.webhook_id, 1 FROM accounts a CROSS JOIN LATERAL \
                 (SELECT x.id, x.due_at, x.webhook_id FROM jobs x \
                 WHERE x.account_id = a.account_id AND {DUE_X} ORDER BY x.due_at, x.id LIMIT 1) f \
                 WHERE a.account_id IS NOT NULL \
                 UNION ALL SELECT c.account_id, f.id, f.due_at, f.webhook_id, c.n + 1 \
                 FROM chain c CROSS JOIN LATERAL (SELECT x.id, x.due_at, x.webhook_id FROM jobs x \
                 WHERE x.account_id = c.account_id AND {DUE_X} \
                 AND (x.due_at, x.id) > (c.due_at, c.id) \
                 ORDER BY x.due_at, x.id LIMIT 1) f WHERE c.n < (SELECT n FROM share)), \
                 picked AS (SELECT id, account_id, due_at, webhook_id FROM chain)"
            ),
            "id = ANY(ARRAY(SELECT id FROM due))",
        ),
    };
    format!(
        "WITH RECURSIVE \
         accounts(account_id) AS (SELECT (SELECT account_id FROM jobs \
         WHERE kind = $1 AND state IN ('queued', 'retrying', 'running') \
         ORDER BY account_id LIMIT 1) \
         UNION ALL SELECT (SELECT x.account_id FROM jobs x WHERE x.kind = $1 \
         AND x.state IN ('queued', 'retrying', 'running') AND x.account_id > a.account_id \
         ORDER BY x.account_id LIMIT 1) \
         FROM accounts a WHERE a.account_id IS NOT NULL), \
         share(n) AS (SELECT CASE WHEN COUNT(account_id) = 0 THEN 0 \
         ELSE ($4 + COUNT(account_id) - 1) / COUNT(account_id) END FROM accounts), \
         {chain}, \
         busy AS (SELECT w.url, COUNT(*) AS n FROM jobs r JOIN webhooks w \
         ON w.id = r.webhook_id WHERE r.state = 'running' AND r.lease_until > $2 GROUP BY w.url), \
         ranked AS (SELECT j.id, j.due_at, w.url, \
         ROW_NUMBER() OVER (PARTITION BY j.account_id ORDER BY j.due_at, j.id) AS turn, \
         ROW_NUMBER() OVER (PARTITION BY w.url ORDER BY j.due_at, j.id) + COALESCE(b.n, 0) AS load \
         FROM picked j LEFT JOIN webhooks w ON w.id = j.webhook_id \
         LEFT JOIN busy b ON b.url = w.url), \
         due AS MATERIALIZED (SELECT id FROM ranked WHERE url IS NULL OR load <= $5 \
         ORDER BY turn, due_at, id LIMIT $4) \
         UPDATE jobs SET state = 'running', attempts = attempts + 1, \
         lease_until = $3, updated_at = $2 WHERE {chosen} AND {DUE} \
         RETURNING {JOB_COLUMNS}"
    )
}

/// [`DUE`] on the jobs table under the alias `x`, bounded by `due_at` so an index
/// scan stops at the first job not yet due (a running job's `due_at` passed before
/// it was claimed).
const DUE_X: &str = "x.kind = $1 AND x.state IN ('queued', 'retrying', 'running') \
    AND x.due_at <= $2 AND (x.state <> 'running' OR x.lease_until <= $2)";

/// The kinds with a job due now (`$1`): [`DUE_X`] for each kind, in one
/// statement; its every branch names the claim index's states, so each kind's
/// probe walks that index (only pending jobs). The same test written with an OR
/// (as in [`DUE`]) made SQLite scan every job ever run.
static DUE_KINDS: LazyLock<String> = LazyLock::new(|| {
    let kinds: Vec<String> = JobKind::ALL
        .iter()
        .map(|kind| format!("SELECT '{}' AS kind", kind.as_str()))
        .collect();
    let due = DUE_X.replace("$1", "k.kind").replace("$2", "$1");
    format!(
        "SELECT k.kind FROM ({}) k WHERE EXISTS (SELECT 1 FROM jobs x WHERE {due})",
        kinds.join(" UNION ALL ")
    )
});

static GET_JOB: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"));

/// A client's account and lead source (completed by a `WHERE` on `c.id`).
const CLIENT_OWNERS: &str = "SELECT c.id AS client_id, a.id AS account_id, \
    a.name AS account_name, s.id AS source_id, s.name AS source_name FROM clients c \
    JOIN accounts a ON a.id = c.account_id LEFT JOIN lead_sources s ON s.id = c.lead_source_id";

/// An attempt's columns.
pub(super) const ATTEMPT_COLUMNS: &str =
    "id, job_id, attempted_at, status_code, latency_ms, response, error, request_id";

static LIST_ATTEMPTS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {ATTEMPT_COLUMNS} FROM job_attempts WHERE job_id = $1 ORDER BY attempted_at, id"
    )
});

/// Move a running job on after its attempt, unless its lease passed and another
/// worker claimed it since. `$1`–`$6`: job id, next state, next due time (kept when
/// null), last error, now, the attempt's number.
const FINISH_JOB: &str = "UPDATE jobs SET state = $2, due_at = COALESCE($3, due_at), \
    lease_until = NULL, last_error = $4, updated_at = $5 \
    WHERE id = $1 AND state = 'running' AND attempts = $6";

/// Log an attempt of a job, the job's request id copied onto it. `$1`: job id;
/// `$7`–`$12`: attempt id, attempted at, status code, latency, response, error
/// (numbered after [`FINISH_JOB`]'s, so both take the same values).
const INSERT_ATTEMPT: &str = "INSERT INTO job_attempts (id, job_id, attempted_at, status_code, \
    latency_ms, response, error, request_id) SELECT $7, j.id, $8, $9, $10, $11, $12, j.request_id \
    FROM jobs j WHERE j.id = $1";

/// Both as one statement (PostgreSQL: one round trip and its own commit); the
/// rows it changed are the job's.
static FINISH_IN_ONE_STATEMENT: LazyLock<String> =
    LazyLock::new(|| format!("WITH logged AS ({INSERT_ATTEMPT} RETURNING 1) {FINISH_JOB}"));

impl Finish {
    /// Both statements on the SQLite writer's handle, inside its group's
    /// transaction; whether the job was still this attempt's to move on.
    fn on_handle(&self, db: &Conn) -> Result<bool, StoreError> {
        let state = self.state.as_str();
        let values: [&dyn rusqlite::ToSql; 12] = [
            &self.job_id,
            &state,
            &self.due_at,
            &self.last_error,
            &self.now,
            &self.attempts,
            &self.attempt_id,
            &self.attempted_at,
            &self.status_code,
            &self.latency_ms,
            &self.response,
            &self.error,
        ];
        sqlite_handle::execute(db, INSERT_ATTEMPT, &values)?;
        Ok(sqlite_handle::execute(db, FINISH_JOB, &values)? > 0)
    }
}

#[async_trait::async_trait]
impl<DB: Backend> JobStore for SqlStore<DB> {
    async fn claim_due_jobs(
        &self,
        kind: JobKind,
        limit: i64,
        lease_seconds: i64,
    ) -> Result<Vec<Job>, StoreError> {
        self.claim_due_jobs_fairly(kind, limit, lease_seconds, i64::MAX)
            .await
    }

    async fn due_kinds(&self) -> Result<Vec<JobKind>, StoreError> {
        let rows: Vec<KindRow> = self
            .read_all(sql_built(&DUE_KINDS).param(DbTime::now()))
            .await?;
        Ok(rows.into_iter().map(|row| row.kind).collect())
    }

    async fn claim_due_jobs_fairly(
        &self,
        kind: JobKind,
        limit: i64,
        lease_seconds: i64,
        per_url: i64,
    ) -> Result<Vec<Job>, StoreError> {
        let now = DbTime::now();
        let lease_until = DbTime::from(now.0 + time::Duration::seconds(lease_seconds));
        let claim = sql_built(DB::claim_due_jobs_sql())
            .param(kind)
            .param(now)
            .param(lease_until)
            .param(limit)
            .param(per_url);
        let rows: Vec<JobRow> = if DB::CLAIM_ALONE {
            fetch_all(claim, DB::on_pool(&self.claims)).await?
        } else {
            let mut tx = self.begin_hot_write().await?;
            let rows = fetch_all(claim, DB::on_conn(&mut tx)).await?;
            tx.commit().await?;
            rows
        };
        let mut jobs: Vec<Job> = into_all(rows);
        jobs.sort_by_key(|j| (j.due_at, j.id));
        Ok(jobs)
    }

    async fn finish_attempt(
        &self,
        job: &Job,
        attempt: &NewAttempt,
        next: &JobNext,
    ) -> Result<bool, StoreError> {
        let now = DbTime::now();
        let (due_at, error) = match next {
            JobNext::Delivered => (None, None),
            JobNext::Retry { due_at, error } => (Some(DbTime::from(*due_at)), Some(error)),
            JobNext::Dead { error } => (None, Some(error)),
            JobNext::Skipped { reason } => (None, Some(reason)),
        };
        let finish = Finish {
            attempt_id: DbId(new_id()),
            job_id: DbId(job.id),
            attempted_at: DbTime::from(attempt.attempted_at),
            status_code: attempt.status_code.map(i32::from),
            latency_ms: attempt.latency_ms,
            response: attempt.response.clone(),
            error: attempt.error.clone(),
            state: next.state(),
            due_at,
            last_error: error.cloned(),
            now,
            attempts: job.attempts as i32,
        };
        if let Some(group) = &self.group {
            // SQLite: in the writer's next group, one fsync for many attempts.
            return group.run(move |db| finish.on_handle(db)).await;
        }
        if let Some(groups) = &self.attempt_groups {
            // PostgreSQL: in the next group of attempts, one commit for many.
            match groups.run(finish.clone()).await {
                Ok(moved) => return Ok(moved),
                // The database refused the group's statement: written alone, this
                // attempt fails only if it is the cause.
                Err(StoreError::Database(sqlx::Error::Protocol(why))) => {
                    tracing::warn!(error = %why, "a group of attempts was refused; recording this one alone");
                }
                Err(e) => return Err(e),
            }
        }
        // One statement.
        let query = sql_built(&FINISH_IN_ONE_STATEMENT)
            .param(finish.job_id)
            .param(finish.state)
            .param(finish.due_at)
            .param(finish.last_error)
            .param(finish.now)
            .param(finish.attempts)
            .param(finish.attempt_id)
            .param(finish.attempted_at)
            .param(finish.status_code)
            .param(finish.latency_ms)
            .param(finish.response)
            .param(finish.error);
        let updated = execute(query, DB::on_pool(&self.writer)).await?;
        Ok(updated > 0)
    }

    async fn queue_webhook_job(
        &self,
        client_id: Uuid,
        webhook_id: Uuid,
    ) -> Result<Job, StoreError> {
        let id = new_id();
        let now = DbTime::now();
        let insert = sql(
            "INSERT INTO jobs (id, account_id, client_id, kind, webhook_id, state, due_at, \
             attempts, message_id, last_error, created_at, updated_at) \
             SELECT $1, c.account_id, c.id, $6, w.id, $7, $4, 0, $5, NULL, $4, $4 \
             FROM clients c JOIN webhooks w ON w.account_id = c.account_id \
             WHERE c.id = $2 AND w.id = $3",
        )
        .param(DbId(id))
        .param(DbId(client_id))
        .param(DbId(webhook_id))
        .param(now)
        .param(super::sql::message_id())
        .param(JobKind::Webhook)
        .param(JobState::Queued);
        if self.write(insert).await? == 0 {
            return Err(StoreError::NotFound);
        }
        // Due now: wake a waiting worker of this process (PostgreSQL's trigger wakes the others').
        self.jobs_queued.notify_one();
        self.get_job(id).await
    }

    async fn get_job(&self, id: Uuid) -> Result<Job, StoreError> {
        let row: JobRow = self.read_one(sql_built(&GET_JOB).param(DbId(id))).await?;
        Ok(row.into())
    }

    async fn get_webhook(&self, id: Uuid) -> Result<Webhook, StoreError> {
        self.get_webhooks(&[id])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    async fn get_webhooks(&self, ids: &[Uuid]) -> Result<Vec<Webhook>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let query = IdList::new(ids)
            .query(|list| format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id IN ({list})"));
        Ok(into_all::<WebhookRow, _>(self.read_all(query).await?))
    }

    async fn list_job_attempts(&self, job_id: Uuid) -> Result<Vec<JobAttempt>, StoreError> {
        let query = sql_built(&LIST_ATTEMPTS).param(DbId(job_id));
        Ok(into_all::<JobAttemptRow, _>(self.read_all(query).await?))
    }

    async fn get_delivery_context(&self, client_id: Uuid) -> Result<DeliveryContext, StoreError> {
        self.get_delivery_contexts(&[client_id])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    async fn get_delivery_contexts(
        &self,
        client_ids: &[Uuid],
    ) -> Result<Vec<DeliveryContext>, StoreError> {
        if client_ids.is_empty() {
            return Ok(Vec::new());
        }
        let owners =
            IdList::new(client_ids).query(|list| format!("{CLIENT_OWNERS} WHERE c.id IN ({list})"));
        let (owners, clients): (Vec<ClientOwnerRow>, _) =
            futures::try_join!(self.read_all(owners), self.clients_by_ids(client_ids))?;
        let mut owners: HashMap<Uuid, ClientOwnerRow> =
            owners.into_iter().map(|o| (o.client_id.0, o)).collect();
        Ok(clients
            .into_iter()
            .filter_map(|client| {
                let owner = owners.remove(&client.id)?;
                Some(DeliveryContext {
                    client,
                    account: AccountRef {
                        id: owner.account_id.0,
                        name: owner.account_name,
                    },
                    lead_source: owner.source_id.map(|id| LeadSourceRef {
                        id: id.0,
                        name: owner.source_name.unwrap_or_default(),
                    }),
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plan SQLite makes for `text` on the schema of every migration, one
    /// line per step.
    fn plan_on_sqlite(text: &str) -> Vec<String> {
        let db = rusqlite::Connection::open_in_memory().expect("opens");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("migrations")
            .map(|entry| entry.expect("entry").path())
            .collect();
        files.sort();
        for file in files {
            db.execute_batch(&std::fs::read_to_string(file).expect("reads"))
                .expect("migrates");
        }
        let mut explain = db
            .prepare(&format!("EXPLAIN QUERY PLAN {text}"))
            .expect("plans");
        // Unbound parameters are NULL: the plan is made when the statement is prepared.
        let mut rows = explain.raw_query();
        let mut lines = Vec::new();
        while let Some(row) = rows.next().expect("plan row") {
            lines.push(row.get::<_, String>(3).expect("plan line"));
        }
        lines
    }

    /// A full pass over the jobs table (under any of the statements' aliases).
    fn scans_jobs(plan: &[String]) -> bool {
        plan.iter()
            .any(|line| ["SCAN jobs", "SCAN x", "SCAN r", "SCAN p"].contains(&line.as_str()))
    }

    #[test]
    fn the_due_kinds_probe_walks_the_claim_index_not_every_job_ever_run() {
        let plan = plan_on_sqlite(&DUE_KINDS);
        assert!(!scans_jobs(&plan), "{plan:?}");
        assert!(plan.iter().any(|l| l.contains("jobs_claim")), "{plan:?}");
    }

    #[test]
    fn the_claim_reads_jobs_only_through_indexes() {
        let plan = plan_on_sqlite(&claim_statement(ClaimWalk::Scalar));
        assert!(!scans_jobs(&plan), "{plan:?}");
    }
}
