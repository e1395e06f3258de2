//! `leadpost serve` (the default command): run the HTTP service and its
//! delivery worker until SIGTERM or Ctrl-C; and `leadpost migrate`.

use clap::Args;

use crate::app::{Application, shutdown_signal};
use crate::config::{LogFormat, Settings};
use crate::{demo, store};

#[derive(Args, Default)]
pub struct ServeArgs {
    /// Address to listen on (wins over LEADPOST_BIND and the config file).
    #[arg(long)]
    pub bind: Option<String>,
    /// Demo mode: create the demo account and lead source, show the demo page at `/`.
    #[arg(long)]
    pub demo: bool,
}

/// How long a stopped `serve` waits for its database connections to close.
const CLOSE_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

/// Serve until told to stop.
pub async fn run(args: ServeArgs, mut settings: Settings) -> anyhow::Result<()> {
    if let Some(bind) = args.bind {
        settings.server.bind = bind;
    }
    if args.demo {
        settings.demo.enabled = true;
    }
    let demo = settings.demo.enabled;
    let log_format = settings.log.format;
    let public_url = settings.server.public_url().map(str::to_string);
    let app = Application::build(settings).await?;
    if demo {
        let base = public_url.unwrap_or_else(|| match app.local_addr() {
            Ok(addr) => browsable_base(&addr.to_string()),
            Err(_) => "http://127.0.0.1".into(),
        });
        tracing::info!(web_key = demo::DEMO_WEB_KEY, "demo page: {base}/");
        // With JSON logs every output line must be a JSON object: no banner then.
        if log_format == LogFormat::Text {
            println!("{}", demo::instructions(&base));
        }
    }
    let store = app.store();
    app.run_until(shutdown_signal()).await?;
    // A clean close: on SQLite the WAL is checkpointed into the file and removed.
    if tokio::time::timeout(CLOSE_WITHIN, store.close())
        .await
        .is_err()
    {
        tracing::warn!("the database connections did not close in time");
    }
    Ok(())
}

/// Bring the database schema up to date.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let store = store::connect(&settings.database).await?;
    store.migrate().await?;
    println!("migrations applied to {}", store.backend());
    Ok(())
}

/// The address a browser on this machine can use for a bind address.
pub(super) fn browsable_base(bind: &str) -> String {
    let shown = match bind.rsplit_once(':') {
        Some(("0.0.0.0", port)) => format!("127.0.0.1:{port}"),
        Some(("[::]", port)) => format!("[::1]:{port}"),
        _ => bind.to_string(),
    };
    format!("http://{shown}")
}
