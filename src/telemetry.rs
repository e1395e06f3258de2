//! Logging and metrics: a `tracing` subscriber writing text or JSON lines to
//! stderr, and each application's own Prometheus recorder.

use std::future::Future;
use std::sync::Arc;

use axum::extract::State;
use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, SharedString, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusRecorder};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Install the global subscriber once; later calls (tests) are ignored.
pub fn init(format: LogFormat, default_level: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(default_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Buckets of the request latency histogram, in seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

tokio::task_local! {
    /// The recorder of the application whose request or job is being run.
    static CURRENT: Arc<PrometheusRecorder>;
}

/// One application's metrics: its own Prometheus recorder, so two services in
/// one process (tests run many) never count into each other's `/metrics`.
///
/// Code records with the ordinary `metrics::counter!` macros; they reach the
/// recorder of the application whose work is running inside [`Metrics::scope`]
/// (every request, through [`track_requests`], and every delivery job). Outside
/// any scope they are dropped.
#[derive(Clone)]
pub struct Metrics {
    recorder: Arc<PrometheusRecorder>,
}

impl Metrics {
    /// A new, empty set of metrics.
    pub fn new() -> Self {
        install_forwarder();
        let builder = PrometheusBuilder::new();
        let builder = match builder.set_buckets_for_metric(
            Matcher::Full("leadpost_http_request_duration_seconds".into()),
            LATENCY_BUCKETS,
        ) {
            Ok(with_buckets) => with_buckets,
            Err(e) => {
                tracing::warn!(error = %e, "latency buckets refused; using summaries");
                PrometheusBuilder::new()
            }
        };
        Metrics {
            recorder: Arc::new(builder.build_recorder()),
        }
    }

    /// Run `work` with its metrics going to this recorder.
    pub async fn scope<F: Future>(&self, work: F) -> F::Output {
        CURRENT.scope(self.recorder.clone(), work).await
    }

    /// Everything recorded so far, in the Prometheus text format.
    pub fn render(&self) -> String {
        self.recorder.handle().render()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// The process-wide recorder the `metrics` macros call: it hands each call to the
/// recorder of the [`Metrics::scope`] it runs in.
struct Forwarder;

impl Forwarder {
    fn with<T>(&self, f: impl FnOnce(&PrometheusRecorder) -> T) -> Option<T> {
        CURRENT.try_with(|recorder| f(recorder)).ok()
    }
}

impl metrics::Recorder for Forwarder {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.with(|r| r.describe_counter(key, unit, description));
    }

    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.with(|r| r.describe_gauge(key, unit, description));
    }

    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.with(|r| r.describe_histogram(key, unit, description));
    }

    fn register_counter(&self, key: &Key, metadata: &Metadata<'_>) -> Counter {
        self.with(|r| r.register_counter(key, metadata))
            .unwrap_or_else(Counter::noop)
    }

    fn register_gauge(&self, key: &Key, metadata: &Metadata<'_>) -> Gauge {
        self.with(|r| r.register_gauge(key, metadata))
            .unwrap_or_else(Gauge::noop)
    }

    fn register_histogram(&self, key: &Key, metadata: &Metadata<'_>) -> Histogram {
        self.with(|r| r.register_histogram(key, metadata))
            .unwrap_or_else(Histogram::noop)
    }
}

/// Install the [`Forwarder`] as the global recorder, once per process.
fn install_forwarder() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        if metrics::set_global_recorder(Forwarder).is_err() {
            tracing::warn!("another metrics recorder is installed; /metrics stays empty");
        }
    });
}

/// Middleware: count every request by route and status and time it, into the
/// application's own [`Metrics`].
pub async fn track_requests(
    State(metrics): State<Metrics>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    metrics
        .scope(async move {
            let started = std::time::Instant::now();
            let response = next.run(request).await;
            let status = response.status().as_u16().to_string();
            metrics::counter!("leadpost_http_requests_total", "route" => route.clone(), "status" => status)
                .increment(1);
            metrics::histogram!("leadpost_http_request_duration_seconds", "route" => route)
                .record(started.elapsed().as_secs_f64());
            response
        })
        .await
}
