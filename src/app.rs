//! The HTTP application: shared state, the router, and a server bound to its
//! listener before it serves (so tests get the real port).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tower_http::cors::{Any, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::config::Settings;
use crate::intake;
use crate::pages;
use crate::store::{self, Store};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Arc<Settings>,
}

/// The routes of the service.
pub fn router(state: AppState) -> Router {
    // Any website may post leads; the preflight is answered too.
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::POST, Method::OPTIONS])
        .allow_headers(Any)
        .max_age(std::time::Duration::from_secs(86_400));
    let intake = Router::new()
        .route(intake::PATH, post(intake::post_lead))
        .layer(cors);
    // The pages and everything else are same-origin only: no CORS.
    Router::new()
        .merge(intake)
        .merge(pages::router())
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
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

/// `GET /healthz`: the process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: the database answers.
async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
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
