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
use tower_http::trace::TraceLayer;

use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::Settings;
use crate::openapi::{AdminSecurity, ApiDoc};
use crate::store::{self, Store};
use crate::{admin, intake};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Arc<Settings>,
}

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
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(intake)
        .routes(routes!(healthz))
        .routes(routes!(readyz))
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
    router
        .layer(Extension(OpenApiJson(Arc::new(json))))
        .layer(
            tower::ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(
                    |request: &axum::http::Request<axum::body::Body>| {
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
                    },
                ))
                .layer(PropagateRequestIdLayer::x_request_id()),
        )
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
    state: AppState,
}

impl Application {
    /// Open the store, run the migrations and bind the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let store = store::connect(&settings.database).await?;
        store.migrate().await?;
        Self::with_store(settings, store).await
    }

    /// Bind the listener for an already opened store.
    pub async fn with_store(settings: Settings, store: Arc<dyn Store>) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.server.bind)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.server.bind))?;
        let state = AppState {
            store,
            settings: Arc::new(settings),
        };
        Ok(Application { listener, state })
    }

    /// The address actually bound (port 0 becomes the real port).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The store the service uses.
    pub fn store(&self) -> Arc<dyn Store> {
        self.state.store.clone()
    }

    /// Serve until `shutdown` completes, then finish the requests in flight.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let addr = self.local_addr()?;
        tracing::info!(
            backend = self.state.store.backend(),
            "listening on http://{addr}"
        );
        let app = router(self.state).into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await
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
