//! The delivery worker: claims due jobs from the durable queue under a lease —
//! `webhook` jobs (rendered for their client, signed when the webhook has a
//! secret) and the owner's `email` and `sms` jobs (composed by [`crate::notify`]) —
//! sends each (HTTP through the address guard, or SMTP), logs the attempt and
//! moves the job to `delivered`, `retrying`, `dead`, or `skipped` when nothing is
//! configured to send it with. It runs inside `serve`; several workers (tasks or
//! processes) may share one PostgreSQL. No database connection is held while a
//! request is in flight.

pub mod autoreply;
pub mod guard;
pub mod inputs;
pub mod retry;
pub mod sent;
pub mod signing;

use std::error::Error as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::actions::chat::ChatPreset;
use crate::actions::{acculynx, secret_key, template};
use crate::config::{DeliverySettings, NotifySettings};
use crate::notify::{self, Notifier, NotifyError};
use crate::store::{
    Account, DeliveryContext, Job, JobKind, NewAttempt, Store, StoreError, Webhook,
};
use crate::telemetry::Metrics;

use crate::attempt::{AttemptResult, Outcome, describe};
use inputs::Inputs;
pub use sent::SentRequest;

/// Why a mail job is skipped when no SMTP server is configured.
const NO_SMTP: &str = "no SMTP server configured (notify.smtp_url and notify.smtp_from, \
    LEADPOST_SMTP_URL and LEADPOST_SMTP_FROM)";

/// How much of an answer's body is kept in the attempt log.
const RESPONSE_LOG_BYTES: usize = 1024;

/// The worker could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error(transparent)]
    Notify(#[from] NotifyError),
}

/// Delivers webhook, email and text jobs.
pub struct Worker {
    store: Arc<dyn Store>,
    settings: DeliverySettings,
    http: reqwest::Client,
    notifier: Notifier,
    metrics: Metrics,
    /// Claim rounds so far: which kind goes first in the next one.
    rounds: AtomicUsize,
}

/// The guard's refusal, if that is what made a request fail.
fn refusal(err: &reqwest::Error) -> Option<&guard::RefusedTarget> {
    let mut source = err.source();
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<guard::RefusedTarget>() {
            return Some(refused);
        }
        source = cause.source();
    }
    None
}

impl Worker {
    /// A worker over `store` with the `[delivery]` settings and no email or text
    /// sender configured (such jobs are skipped).
    pub fn new(store: Arc<dyn Store>, settings: DeliverySettings) -> Result<Self, DeliveryError> {
        Self::with_notify(store, settings, &NotifySettings::default())
    }

    /// A worker over `store` with the `[delivery]` and `[notify]` settings.
    pub fn with_notify(
        store: Arc<dyn Store>,
        settings: DeliverySettings,
        notify: &NotifySettings,
    ) -> Result<Self, DeliveryError> {
        let notifier = Notifier::new(notify, Duration::from_secs(settings.timeout_seconds.max(1)))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.timeout_seconds.max(1)))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(guard::GuardedResolver {
                allow_private: settings.allow_private_targets,
            }))
            .user_agent(concat!("leadpost/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Worker {
            store,
            settings,
            http,
            notifier,
            metrics: Metrics::new(),
            rounds: AtomicUsize::new(0),
        })
    }

    /// Count the attempts into these metrics (the serving application's).
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Claim up to `limit` due jobs, kind after kind, starting each round with the
    /// next kind (so owners' messages are not always served last), accounts in turn
    /// within a kind, and at most `max_in_flight_per_url` running jobs per receiver.
    async fn claim(&self, limit: usize) -> Result<Vec<Job>, StoreError> {
        let mut jobs = Vec::new();
        let per_url = i64::try_from(self.settings.max_in_flight_per_url.max(1)).unwrap_or(i64::MAX);
        let first = self.rounds.fetch_add(1, Ordering::Relaxed);
        let kinds = JobKind::ALL.len();
        // One plain read for every kind; only the kinds with work are claimed.
        let due = self.store.due_kinds().await?;
        let turn = (0..kinds).map(|i| JobKind::ALL[(first + i) % kinds]);
        for kind in turn.filter(|kind| due.contains(kind)) {
            let free = limit.saturating_sub(jobs.len());
            if free == 0 {
                break;
            }
            jobs.extend(
                self.store
                    .claim_due_jobs_fairly(kind, free as i64, self.lease_seconds(), per_url)
                    .await?,
            );
        }
        Ok(jobs)
    }

    fn lease_seconds(&self) -> i64 {
        i64::try_from(self.settings.effective_lease_seconds()).unwrap_or(i64::MAX)
    }

    /// Claim the jobs due now (up to `concurrency`, at least one) and deliver them;
    /// returns how many were claimed.
    pub async fn run_once(&self) -> Result<usize, StoreError> {
        let jobs = self.claim(self.settings.concurrency.max(1)).await?;
        let count = jobs.len();
        let inputs = Inputs::read(&*self.store, &jobs).await;
        futures::future::join_all(jobs.into_iter().map(|job| self.process(job, &inputs))).await;
        Ok(count)
    }

    /// Deliver until `shutdown` turns true, keeping up to `concurrency` jobs in
    /// flight; then wait for those (within the grace period) and return.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let concurrency = self.settings.concurrency.max(1);
        let poll = Duration::from_millis(self.settings.poll_interval_ms.max(10));
        let mut in_flight = JoinSet::new();
        // A job queued in this process wakes the worker at once instead of at the
        // poll; on PostgreSQL so does one queued by any other process (LISTEN).
        let queued = self.store.jobs_queued();
        let listener = self.store.listen_for_jobs(shutdown.clone());
        tracing::info!(concurrency, "delivery worker started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            let free = concurrency.saturating_sub(in_flight.len());
            let mut claimed = 0;
            if free > 0 {
                match self.claim(free).await {
                    Ok(jobs) => {
                        claimed = jobs.len();
                        // The batch's tasks read what they send; the next claim need not wait.
                        let inputs = Inputs::read_shared(self.store.clone(), &jobs);
                        for job in jobs {
                            let (worker, inputs) = (self.clone(), inputs.clone());
                            in_flight
                                .spawn(async move { worker.process(job, &*inputs.await).await });
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot claim jobs"),
                }
            }
            if claimed == free && free > 0 {
                // Full batch: more may be waiting.
                if in_flight.len() < concurrency {
                    continue;
                }
            }
            tokio::select! {
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
                Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {
                    // Collect the jobs already finished too, so one claim fills their
                    // slots; waiting for more to finish (2 ms, before) cost more in idle
                    // slots than it saved in claims.
                    while in_flight.try_join_next().is_some() {}
                }
                () = queued.notified() => {}
                () = tokio::time::sleep(poll) => {}
            }
        }
        let grace = Duration::from_secs(self.settings.shutdown_grace_seconds);
        let drained = tokio::time::timeout(grace, async {
            while in_flight.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                unfinished = in_flight.len(),
                "delivery grace period over: unfinished jobs will be claimed again after their lease"
            );
            in_flight.abort_all();
        }
        if let Some(listener) = listener {
            // It stops on the same signal; it must not outlive the worker either way.
            listener.abort();
        }
        tracing::info!("delivery worker stopped");
    }

    /// One attempt of a claimed job (what a webhook job sends read with its batch's
    /// `inputs`), logged, and the job moved on.
    async fn process(&self, job: Job, inputs: &Inputs) {
        let span = tracing::info_span!(
            "job",
            job_id = %job.id,
            kind = %job.kind,
            attempt = job.attempts,
            webhook_id = %job.message_id,
        );
        let work = async {
            let attempted_at = OffsetDateTime::now_utc();
            let started = Instant::now();
            let result = match job.kind {
                JobKind::Webhook => self.attempt(&job, inputs).await,
                JobKind::Email => self.attempt_email(&job).await,
                JobKind::Sms => self.attempt_sms(&job).await,
                JobKind::Autoreply => self.attempt_autoreply(&job).await,
            };
            let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
            let error = match &result.outcome {
                Outcome::Delivered => None,
                Outcome::Transient { error, .. }
                | Outcome::Permanent { error }
                | Outcome::Skipped { reason: error } => Some(error.clone()),
            };
            let next = retry::next(
                &self.settings.retry_schedule,
                job.attempts,
                result.outcome,
                OffsetDateTime::now_utc(),
            );
            metrics::counter!(
                "leadpost_delivery_attempts_total",
                "kind" => job.kind.as_str(),
                "outcome" => next.state().as_str()
            )
            .increment(1);
            let attempt = NewAttempt {
                attempted_at,
                status_code: result.status,
                latency_ms,
                response: result.response,
                error,
            };
            match self.store.finish_attempt(&job, &attempt, &next).await {
                Ok(true) => tracing::info!(
                    status = attempt.status_code,
                    latency_ms,
                    next = ?next,
                    "delivery attempt"
                ),
                Ok(false) => tracing::warn!(
                    "the job's lease passed during the attempt; another worker holds it now"
                ),
                Err(e) => tracing::error!(
                    error = %e,
                    "cannot record the attempt; the job is retried after its lease"
                ),
            }
        };
        self.metrics.scope(work.instrument(span)).await
    }

    /// Render and send the job's webhook.
    async fn attempt(&self, job: &Job, inputs: &Inputs) -> AttemptResult {
        match inputs.of(job) {
            Ok((webhook, context)) => {
                self.send_webhook(webhook, context, &job.message_id, None)
                    .await
            }
            Err(failed) => failed,
        }
    }

    /// Render `webhook` for the client in `context`, sign it, and send it with `message_id` as
    /// its `webhook-id`; the request as sent is written to `record` when one is given (a test
    /// send shows it).
    pub async fn send_webhook(
        &self,
        webhook: &Webhook,
        context: &DeliveryContext,
        message_id: &str,
        record: Option<&mut Option<SentRequest>>,
    ) -> AttemptResult {
        let chat = webhook.preset.as_deref().and_then(ChatPreset::from_name);
        let body = if webhook.preset.as_deref() == Some(acculynx::PRESET) {
            acculynx::body(&context.client)
        } else if let Some(chat) = chat {
            let message = webhook
                .body
                .as_ref()
                .and_then(|b| b.as_str())
                .unwrap_or(crate::actions::chat::DEFAULT_MESSAGE);
            match chat.render(message, &template::context(context)) {
                Ok(body) => body,
                Err(e) => return AttemptResult::permanent(e.to_string()),
            }
        } else {
            let ctx = template::context(context);
            match &webhook.body {
                Some(tpl) => match template::render_body(tpl, &ctx) {
                    Ok(body) => body,
                    Err(e) => return AttemptResult::permanent(e.to_string()),
                },
                // No template: the whole context, so nothing is lost.
                None => ctx,
            }
        };
        let Ok(url) = reqwest::Url::parse(&webhook.url) else {
            return AttemptResult::permanent(format!("invalid webhook URL {}", webhook.url));
        };
        if let Err(refused) = self.check_literal(&url) {
            return refused;
        }
        let Ok(method) = reqwest::Method::from_bytes(webhook.method.as_bytes()) else {
            return AttemptResult::permanent(format!("invalid method {}", webhook.method));
        };
        let sends_body = !matches!(method, reqwest::Method::GET | reqwest::Method::HEAD);
        let payload = if sends_body {
            match serde_json::to_vec(&body) {
                Ok(bytes) => bytes,
                Err(e) => return AttemptResult::permanent(format!("cannot encode the body: {e}")),
            }
        } else {
            Vec::new()
        };

        let mut headers = HeaderMap::new();
        if let serde_json::Value::Object(map) = &webhook.headers {
            for (name, value) in map {
                if let (Ok(name), Some(Ok(value))) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    value.as_str().map(HeaderValue::from_str),
                ) {
                    headers.insert(name, value);
                }
            }
        }
        if sends_body && !headers.contains_key(CONTENT_TYPE) {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        let timestamp = OffsetDateTime::now_utc().unix_timestamp();
        let standard = [
            ("webhook-id", message_id.to_string()),
            ("webhook-timestamp", timestamp.to_string()),
        ];
        for (name, value) in standard {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
        if let Some(secret) = &webhook.secret {
            let Some(key) = secret_key(secret) else {
                return AttemptResult::permanent("the webhook's secret is not a whsec_ secret");
            };
            let signature = signing::signature(&key, message_id, timestamp, &payload);
            if let Ok(value) = HeaderValue::from_str(&signature) {
                headers.insert(HeaderName::from_static("webhook-signature"), value);
            }
        }

        let mut request = self.http.request(method, url).headers(headers);
        if sends_body {
            request = request.body(payload);
        }
        let request = match request.build() {
            Ok(r) => r,
            Err(e) => return AttemptResult::permanent(format!("cannot build the request: {e}")),
        };
        if let Some(record) = record {
            *record = Some(SentRequest::of(&request));
        }
        self.send(reqwest::RequestBuilder::from_parts(
            self.http.clone(),
            request,
        ))
        .await
    }

    /// An IP literal is never resolved, so the guard's resolver never sees it:
    /// check it here.
    fn check_literal(&self, url: &reqwest::Url) -> Result<(), AttemptResult> {
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = literal
            && let Err(refused) = guard::check(ip, self.settings.allow_private_targets)
        {
            return Err(AttemptResult::permanent(refused.to_string()));
        }
        Ok(())
    }

    /// Send an HTTP request and classify the answer (keeping its first KiB).
    async fn send(&self, request: reqwest::RequestBuilder) -> AttemptResult {
        let mut response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                if let Some(refused) = refusal(&e) {
                    return AttemptResult::permanent(refused.to_string());
                }
                if e.is_timeout() {
                    return AttemptResult::transient(format!(
                        "timed out after {} s",
                        self.settings.timeout_seconds
                    ));
                }
                return AttemptResult::transient(describe(&e));
            }
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry::parse_retry_after(v, std::time::SystemTime::now()));
        let mut kept = Vec::new();
        while kept.len() < RESPONSE_LOG_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(e) => {
                    tracing::debug!(error = %e, "answer body cut short");
                    break;
                }
            }
        }
        kept.truncate(RESPONSE_LOG_BYTES);
        // NUL cannot be stored in a text column (PostgreSQL refuses it): replaced,
        // like the bytes that are not UTF-8.
        let mut text = String::from_utf8_lossy(&kept).replace('\0', "\u{FFFD}");
        while text.len() > RESPONSE_LOG_BYTES {
            text.pop();
        }
        AttemptResult {
            status: Some(status),
            response: Some(text),
            outcome: retry::classify(status, retry_after),
        }
    }

    /// The client's delivery context and its account (for the owner's address).
    async fn owner_context(&self, job: &Job) -> Result<(DeliveryContext, Account), AttemptResult> {
        let Some(client_id) = job.client_id else {
            return Err(AttemptResult::permanent("the job names no client"));
        };
        let context = match self.store.get_delivery_context(client_id).await {
            Ok(c) => c,
            Err(StoreError::NotFound) => {
                return Err(AttemptResult::permanent("the client no longer exists"));
            }
            Err(e) => return Err(AttemptResult::transient(format!("storage: {e}"))),
        };
        let account = match self.store.get_account(context.account.id).await {
            Ok(a) => a,
            Err(StoreError::NotFound) => {
                return Err(AttemptResult::permanent("the account no longer exists"));
            }
            Err(e) => return Err(AttemptResult::transient(format!("storage: {e}"))),
        };
        Ok((context, account))
    }

    /// Email the account owner about the job's client.
    async fn attempt_email(&self, job: &Job) -> AttemptResult {
        let Some(smtp) = &self.notifier.smtp else {
            return AttemptResult::skipped(NO_SMTP);
        };
        let (context, account) = match self.owner_context(job).await {
            Ok(found) => found,
            Err(failed) => return failed,
        };
        let Some(to) = account.owner_email.filter(|e| !e.trim().is_empty()) else {
            return AttemptResult::skipped("the account has no owner email");
        };
        let message = match notify::email::compose(&context, &smtp.from, &to) {
            Ok(m) => m,
            Err(e) => return AttemptResult::permanent(e),
        };
        notify::email::send(smtp, message).await
    }

    /// Text the account owner about the job's client through the SMS gateway.
    async fn attempt_sms(&self, job: &Job) -> AttemptResult {
        let Some(gateway) = &self.notifier.sms else {
            return AttemptResult::skipped(
                "no SMS gateway configured (notify.sms_url, LEADPOST_SMS_URL)",
            );
        };
        let (context, account) = match self.owner_context(job).await {
            Ok(found) => found,
            Err(failed) => return failed,
        };
        let Some(to) = account.owner_phone.filter(|p| !p.trim().is_empty()) else {
            return AttemptResult::skipped("the account has no owner phone");
        };
        let payload = match notify::sms::payload(gateway, &context, &to) {
            Ok(p) => p,
            Err(e) => return AttemptResult::permanent(e),
        };
        if let Err(refused) = self.check_literal(&gateway.url) {
            return refused;
        }
        let mut request = self
            .http
            .post(gateway.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(payload);
        if let Some((name, value)) = &gateway.auth {
            request = request.header(name.clone(), value.clone());
        }
        self.send(request).await
    }
}

/// Start a worker task (when `concurrency` > 0); it stops when `shutdown` turns true.
pub fn spawn(
    store: Arc<dyn Store>,
    settings: DeliverySettings,
    notify: &NotifySettings,
    metrics: Metrics,
    shutdown: watch::Receiver<bool>,
) -> Result<Option<tokio::task::JoinHandle<()>>, DeliveryError> {
    if settings.concurrency == 0 {
        tracing::info!("delivery worker disabled (delivery.concurrency = 0)");
        return Ok(None);
    }
    let worker = Arc::new(Worker::with_notify(store, settings, notify)?.with_metrics(metrics));
    Ok(Some(tokio::spawn(worker.run(shutdown))))
}
