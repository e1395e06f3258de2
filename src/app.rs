//! The HTTP application: shared state, the router, and a server bound to its
//! listener before it serves (so tests get the real port).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{Method, StatusCode, header};
use axum::response::IntoResponse;
use axum::{Extension, Router};
use tokio::net::TcpListener;
use tower_http::cors::{Any, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::Settings;
use crate::openapi::{AdminSecurity, ApiDoc};
use crate::server::{self, ConnectionLimits};
use crate::store::{self, JobState, Store};
use crate::telemetry::Metrics;
use crate::{admin, console, delivery, intake, pages, telemetry};

pub use crate::state::AppState;

/// Every route of the service with its OpenAPI description: the one list both
/// the router and `/openapi.json` are made from.
pub fn routes(state: AppState) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    // Any website may post leads; the preflight is answered too.
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::POST, Method::OPTIONS])
        .allow_headers(Any)
        .max_age(std::time::Duration::from_secs(86_400));
    let intake = OpenApiRouter::new()
        .routes(routes!(intake::post_lead))
        .layer(cors);
    // With a metrics address of its own, /metrics is not on the public listener.
    let metrics_here = state.settings.server.metrics_bind.is_empty();
    let mut api = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(intake)
        // The pages and everything else are same-origin only: no CORS.
        .merge(pages::router())
        // The console's door: same-origin HTML forms.
        .merge(console::router())
        .routes(routes!(intake::inbound::post_inbound))
        .routes(routes!(intake::inbound::post_thumbtack))
        .routes(routes!(healthz))
        .routes(routes!(readyz));
    if metrics_here {
        api = api.routes(routes!(metrics_endpoint));
    }
    let (router, mut doc) = api
        .routes(routes!(openapi_json))
        // The admin API: bearer token, no CORS.
        .merge(admin::router(state))
        .split_for_parts();
    AdminSecurity.modify(&mut doc);
    (router, doc)
}

/// The OpenAPI document, serialized once.
#[derive(Clone)]
struct OpenApiJson(Arc<String>);

/// The routes of the service.
pub fn router(state: AppState) -> Router {
    let (router, doc) = routes(state.clone());
    let json = doc.to_json().unwrap_or_else(|e| {
        tracing::error!(error = %e, "the OpenAPI document does not serialize");
        "{}".to_string()
    });
    let timeout = std::time::Duration::from_secs(state.settings.server.request_timeout_seconds);
    router
        .layer(Extension(OpenApiJson(Arc::new(json))))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            telemetry::track_requests,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(
            tower::ServiceBuilder::new()
                .map_request(drop_unusable_request_id)
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|request: &axum::http::Request<axum::body::Body>| {
                            let request_id = request
                                .headers()
                                .get("x-request-id")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default();
                            tracing::info_span!(
                                "request",
                                method = %request.method(),
                                path = %request.uri().path(),
                                request_id = %request_id,
                            )
                        })
                        .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
                )
                .layer(PropagateRequestIdLayer::x_request_id()),
        )
        .with_state(state)
}

/// Longest client `X-Request-Id` kept (echoed, logged, stored on jobs).
const REQUEST_ID_MAX: usize = 128;

/// Drop a client `X-Request-Id` that is not 1–128 visible ASCII characters, so a new
/// one is made instead.
fn drop_unusable_request_id<B>(mut request: axum::http::Request<B>) -> axum::http::Request<B> {
    let usable =
        |v: &[u8]| !v.is_empty() && v.len() <= REQUEST_ID_MAX && v.iter().all(u8::is_ascii_graphic);
    let ids = request.headers().get_all("x-request-id");
    let keep = ids.iter().count() == 1 && ids.iter().all(|v| usable(v.as_bytes()));
    if !keep {
        request.headers_mut().remove("x-request-id");
    }
    request
}

/// `/metrics` alone, for its own listener (`server.metrics_bind`).
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", axum::routing::get(metrics_endpoint))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            telemetry::track_requests,
        ))
        .with_state(state)
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "ok", body = String)))]
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "ready", body = String),
        (status = 503, description = "database unavailable", body = String),
    ))]
async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
async fn metrics_endpoint(State(state): State<AppState>) -> axum::response::Response {
    // The gauges land in this application's metrics: requests run in its scope.
    match state.store.count_jobs().await {
        Ok(counts) => {
            // Every state, so the queue-depth gauge shows zeros too.
            for known in JobState::ALL {
                let n = counts
                    .iter()
                    .find(|(s, _)| *s == known)
                    .map_or(0, |(_, n)| *n);
                metrics::gauge!("leadpost_jobs", "state" => known.as_str()).set(n as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not count jobs for /metrics"),
    }
    let pool = state.store.pool_stats();
    for (label, value) in [("open", pool.open), ("idle", pool.idle), ("max", pool.max)] {
        metrics::gauge!("leadpost_db_pool_connections", "state" => label).set(f64::from(value));
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// This document: OpenAPI 3.1 for the intake endpoint and the admin API.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)))]
async fn openapi_json(Extension(OpenApiJson(json)): Extension<OpenApiJson>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        json.as_str().to_string(),
    )
}

/// A service bound to its address, ready to serve.
pub struct Application {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    /// The receiving SMTP server's listener, when `inbound.smtp_listen` is set.
    smtp_listener: Option<TcpListener>,
    state: AppState,
}

impl Application {
    /// Open the store, run the migrations and bind the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        // Unusable [notify] settings stop the start before anything is opened.
        crate::notify::Notifier::new(&settings.notify, std::time::Duration::from_secs(1))?;
        let store = store::connect(&settings.database).await?;
        store.migrate().await?;
        Self::with_store(settings, store).await
    }

    /// Bind the listener for an already opened store (in demo mode, after making
    /// sure the demo account and lead source exist).
    pub async fn with_store(settings: Settings, store: Arc<dyn Store>) -> anyhow::Result<Self> {
        if settings.demo.enabled {
            let demo = crate::demo::ensure(&store).await?;
            tracing::info!(account_id = %demo.account_id, created = demo.created, "demo mode on");
        }
        let listener = TcpListener::bind(&settings.server.bind)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.server.bind))?;
        let metrics_listener = match settings.server.metrics_bind.as_str() {
            "" => None,
            bind => Some(
                TcpListener::bind(bind)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot listen on {bind} for /metrics: {e}"))?,
            ),
        };
        let smtp_listener = intake::smtp::bind(&settings.inbound).await?;
        let state = AppState::new(settings, store);
        Ok(Application {
            listener,
            metrics_listener,
            smtp_listener,
            state,
        })
    }

    /// The address actually bound (port 0 becomes the real port).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The metrics the service counts into (and serves at `/metrics`).
    pub fn metrics(&self) -> Metrics {
        self.state.metrics.clone()
    }

    /// The address `/metrics` is served on alone, when `server.metrics_bind` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    /// The address the SMTP server listens on, when `inbound.smtp_listen` is set.
    pub fn smtp_addr(&self) -> Option<SocketAddr> {
        self.smtp_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    /// The store the service uses.
    pub fn store(&self) -> Arc<dyn Store> {
        self.state.store.clone()
    }

    /// Serve (and deliver, unless `delivery.concurrency` is 0) until `shutdown`
    /// completes, then let the requests in flight finish for at most the
    /// configured grace period, and the deliveries in flight for theirs.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let addr = self.local_addr()?;
        let server = &self.state.settings.server;
        let grace = std::time::Duration::from_secs(server.shutdown_grace_seconds);
        let connection_limits = ConnectionLimits::from_settings(server);
        let limits = self.state.limits.clone();
        let sweeper = tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                every.tick().await;
                limits.shrink();
            }
        });
        tracing::info!(
            backend = self.state.store.backend(),
            "listening on http://{addr}"
        );
        // The delivery worker runs beside the server and stops with it.
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let worker = delivery::spawn(
            self.state.store.clone(),
            self.state.settings.delivery.clone(),
            &self.state.settings.notify,
            self.state.metrics.clone(),
            stop_rx,
        )
        .map_err(std::io::Error::other)?;
        let stop = stop_tx.clone();
        let shutdown = async move {
            shutdown.await;
            let _ = stop.send(true);
        };
        let metrics = self.metrics_listener.map(|listener| {
            let mut stopped = stop_tx.subscribe();
            let app = metrics_router(self.state.clone());
            tokio::spawn(server::serve(
                listener,
                app,
                connection_limits,
                async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                },
            ))
        });
        let smtp = match self.smtp_listener {
            Some(listener) => Some(
                intake::smtp::spawn(listener, self.state.clone(), stop_tx.subscribe())
                    .map_err(std::io::Error::other)?,
            ),
            None => None,
        };
        let app = router(self.state);
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let serve = server::serve(self.listener, app, connection_limits, async move {
            shutdown.await;
            let _ = stopping_tx.send(());
        });
        let deadline = async move {
            if stopping_rx.await.is_ok() {
                tokio::time::sleep(grace).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        let served = tokio::select! {
            result = serve => result,
            () = deadline => {
                tracing::warn!(
                    grace_seconds = grace.as_secs(),
                    "requests still in flight after the grace period; exiting"
                );
                Ok(())
            }
        };
        sweeper.abort();
        let _ = stop_tx.send(true);
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        if let Some(smtp) = smtp {
            smtp.abort();
        }
        if let Some(worker) = worker {
            tracing::info!("finishing deliveries in flight");
            if let Err(e) = worker.await {
                tracing::error!(error = %e, "delivery worker failed");
            }
        }
        served
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
