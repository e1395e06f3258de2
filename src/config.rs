//! Configuration: `config/default.toml` (built in), then the file named by
//! `LEADPOST_CONFIG`, then the environment variables of DESIGN.md §6/§7.

use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Format, Toml};
use serde::Deserialize;

/// The defaults, compiled into the binary so it runs from any directory.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// Everything the service can be told.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub intake: IntakeSettings,
    pub limits: LimitSettings,
    pub demo: DemoSettings,
    pub pages: PagesSettings,
    pub admin: AdminSettings,
    pub log: LogSettings,
    pub delivery: DeliverySettings,
    #[serde(default)]
    pub notify: NotifySettings,
}

/// `[server]`
#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub bind: String,
    pub request_timeout_seconds: u64,
    pub max_connections: usize,
    /// Open connections from one client IP (at most `max_connections`).
    #[serde(default = "default_max_connections_per_ip")]
    pub max_connections_per_ip: usize,
    /// Seconds to receive a request's head; also ends idle keep-alive connections.
    #[serde(default = "default_header_read_timeout_seconds")]
    pub header_read_timeout_seconds: u64,
    pub shutdown_grace_seconds: u64,
    /// `scheme://host[:port]` browsers use, without a trailing `/`; empty: from the Host header.
    #[serde(default)]
    pub public_url: String,
    /// Where `/metrics` is served on its own; empty: on the main listener.
    #[serde(default)]
    pub metrics_bind: String,
}

fn default_max_connections_per_ip() -> usize {
    256
}

fn default_header_read_timeout_seconds() -> u64 {
    10
}

impl ServerSettings {
    /// The configured public base URL, if any (no trailing `/`).
    pub fn public_url(&self) -> Option<&str> {
        Some(self.public_url.as_str()).filter(|u| !u.is_empty())
    }
}

/// `[database]`
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
    pub acquire_timeout_seconds: u64,
    pub sqlite_busy_timeout_ms: u64,
}

/// `[intake]`
#[derive(Debug, Clone, Deserialize)]
pub struct IntakeSettings {
    pub body_limit: usize,
    pub replay_window_seconds: i64,
}

/// `[limits]`
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LimitSettings {
    pub per_ip_per_minute: u32,
    pub per_key_per_minute: u32,
    pub trust_proxy: bool,
}

/// `[delivery]`: the webhook delivery worker.
#[derive(Debug, Clone, Deserialize)]
pub struct DeliverySettings {
    /// Jobs handled at once; 0 runs no worker in this process.
    pub concurrency: usize,
    pub poll_interval_ms: u64,
    pub lease_seconds: u64,
    pub timeout_seconds: u64,
    /// Seconds before each retry; its length + 1 is the number of attempts.
    pub retry_schedule: Vec<u64>,
    pub allow_private_targets: bool,
    pub shutdown_grace_seconds: u64,
}

impl DeliverySettings {
    /// How long a claimed job stays reserved: never shorter than an attempt can take.
    pub fn effective_lease_seconds(&self) -> u64 {
        self.lease_seconds.max(self.timeout_seconds + 5)
    }
}

/// `[notify]`: where owner emails and text messages go. Empty values mean "not
/// configured": those jobs are then recorded as `skipped` with the reason.
#[derive(Clone, Default, Deserialize)]
pub struct NotifySettings {
    /// `smtp://host:port` (plain; `?tls=required` or `?tls=opportunistic` for
    /// STARTTLS) or `smtps://user:pass@host:port` (implicit TLS).
    #[serde(default)]
    pub smtp_url: String,
    /// The From address of owner emails, e.g. `leadpost <leads@example.com>`.
    #[serde(default)]
    pub smtp_from: String,
    /// The SMS gateway's URL (POSTed a JSON body).
    #[serde(default)]
    pub sms_url: String,
    /// `Name: value`, or a bare value sent as `Authorization`.
    #[serde(default)]
    pub sms_auth_header: String,
    /// The JSON body template sent to the gateway (same engine as webhook bodies).
    #[serde(default)]
    pub sms_body: String,
}

/// Secrets (SMTP password, gateway credentials) never reach a log line.
impl std::fmt::Debug for NotifySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |v: &str| if v.is_empty() { "unset" } else { "set" };
        f.debug_struct("NotifySettings")
            .field("smtp_url", &set(&self.smtp_url))
            .field("smtp_from", &self.smtp_from)
            .field("sms_url", &set(&self.sms_url))
            .field("sms_auth_header", &set(&self.sms_auth_header))
            .field("sms_body", &self.sms_body)
            .finish()
    }
}

/// `[demo]`
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DemoSettings {
    /// Create the demo account and lead source at start and show the demo page.
    pub enabled: bool,
}

/// `[pages]`
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PagesSettings {
    /// Show `/` even when demo mode is off.
    pub show_home: bool,
}

/// `[admin]`
#[derive(Clone, Deserialize)]
pub struct AdminSettings {
    /// The bearer token of the admin API; empty disables the API (every route answers 403).
    pub token: String,
}

impl AdminSettings {
    /// Is the admin API switched on?
    pub fn enabled(&self) -> bool {
        !self.token.is_empty()
    }
}

impl std::fmt::Debug for AdminSettings {
    // The token is a secret: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminSettings")
            .field("token", &if self.enabled() { "<set>" } else { "<empty>" })
            .finish()
    }
}

/// `[log]`
#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// A setting that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file: {0}")]
    File(#[from] Box<figment::Error>),
    #[error("environment variable {name}: {reason}")]
    Env { name: &'static str, reason: String },
}

impl Settings {
    /// Defaults, then `LEADPOST_CONFIG`, then the process environment.
    pub fn load() -> Result<Self, ConfigError> {
        let file = std::env::var_os("LEADPOST_CONFIG").map(PathBuf::from);
        Self::load_from(file, |name| std::env::var(name).ok())
    }

    /// As [`Settings::load`], with the file and the environment given (for tests).
    pub fn load_from(
        file: Option<PathBuf>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULT_TOML));
        if let Some(path) = file {
            figment = figment.merge(Toml::file_exact(path));
        }
        let mut settings: Settings = figment.extract().map_err(Box::new)?;
        settings.apply_env(env)?;
        settings.server.public_url = normalize_public_url(&settings.server.public_url)?;
        Ok(settings)
    }

    fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let get = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        if let Some(url) = get("DATABASE_URL") {
            self.database.url = url;
        }
        if let Some(bind) = get("LEADPOST_BIND") {
            self.server.bind = bind;
        }
        if let Some(bind) = get("LEADPOST_METRICS_BIND") {
            self.server.metrics_bind = bind.trim().to_string();
        }
        if let Some(token) = get("LEADPOST_ADMIN_TOKEN") {
            self.admin.token = token.trim().to_string();
        }
        if let Some(limit) = get("LEADPOST_BODY_LIMIT") {
            self.intake.body_limit = parse_env("LEADPOST_BODY_LIMIT", &limit)?;
        }
        if let Some(n) = get("LEADPOST_RATE_LIMIT_PER_IP") {
            self.limits.per_ip_per_minute = parse_env("LEADPOST_RATE_LIMIT_PER_IP", &n)?;
        }
        if let Some(n) = get("LEADPOST_RATE_LIMIT_PER_KEY") {
            self.limits.per_key_per_minute = parse_env("LEADPOST_RATE_LIMIT_PER_KEY", &n)?;
        }
        if let Some(flag) = get("LEADPOST_TRUST_PROXY") {
            self.limits.trust_proxy = parse_env("LEADPOST_TRUST_PROXY", &flag)?;
        }
        if let Some(timeout) = get("LEADPOST_DELIVERY_TIMEOUT") {
            self.delivery.timeout_seconds = match timeout.trim().parse() {
                Ok(seconds) if seconds > 0 => seconds,
                _ => {
                    return Err(ConfigError::Env {
                        name: "LEADPOST_DELIVERY_TIMEOUT",
                        reason: "must be a positive number of seconds".into(),
                    });
                }
            };
        }
        if let Some(schedule) = get("LEADPOST_RETRY_SCHEDULE") {
            self.delivery.retry_schedule = schedule
                .split(',')
                .map(|s| s.trim().parse::<u64>())
                .collect::<Result<_, _>>()
                .map_err(|_| ConfigError::Env {
                    name: "LEADPOST_RETRY_SCHEDULE",
                    reason: "must be comma-separated whole seconds, e.g. 1,1,2".into(),
                })?;
        }
        if let Some(allow) = get("LEADPOST_ALLOW_PRIVATE_TARGETS") {
            self.delivery.allow_private_targets = match allow.trim() {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(ConfigError::Env {
                        name: "LEADPOST_ALLOW_PRIVATE_TARGETS",
                        reason: "must be true or false".into(),
                    });
                }
            };
        }
        if let Some(url) = get("LEADPOST_SMTP_URL") {
            self.notify.smtp_url = url;
        }
        if let Some(from) = get("LEADPOST_SMTP_FROM") {
            self.notify.smtp_from = from;
        }
        if let Some(url) = get("LEADPOST_SMS_URL") {
            self.notify.sms_url = url;
        }
        if let Some(header) = get("LEADPOST_SMS_AUTH_HEADER") {
            self.notify.sms_auth_header = header;
        }
        if let Some(url) = get("LEADPOST_PUBLIC_URL") {
            self.server.public_url = url;
        }
        if let Some(demo) = get("LEADPOST_DEMO") {
            self.demo.enabled = parse_bool("LEADPOST_DEMO", &demo)?;
        }
        if let Some(show) = get("LEADPOST_SHOW_HOME") {
            self.pages.show_home = parse_bool("LEADPOST_SHOW_HOME", &show)?;
        }
        if let Some(format) = get("LEADPOST_LOG_FORMAT") {
            self.log.format = match format.trim() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => {
                    return Err(ConfigError::Env {
                        name: "LEADPOST_LOG_FORMAT",
                        reason: "must be text or json".into(),
                    });
                }
            };
        }
        Ok(())
    }
}

/// Parse one environment value, naming the variable when it is wrong.
fn parse_env<T: std::str::FromStr>(name: &'static str, value: &str) -> Result<T, ConfigError> {
    value.trim().parse().map_err(|_| ConfigError::Env {
        name,
        reason: format!("cannot use {value:?} here"),
    })
}

/// `true`/`false` (also `1`/`0`, `yes`/`no`, any case).
fn parse_bool(name: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Env {
            name,
            reason: "must be true or false".into(),
        }),
    }
}

/// An empty public URL stays empty; otherwise it must be an `http(s)://host[:port]` URL
/// (a path prefix is allowed), kept without its trailing `/`.
fn normalize_public_url(value: &str) -> Result<String, ConfigError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    let bad = |reason: &str| ConfigError::Env {
        name: "LEADPOST_PUBLIC_URL (server.public_url)",
        reason: reason.to_string(),
    };
    let url = url::Url::parse(value).map_err(|_| bad("must be an http:// or https:// URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad("must be an http:// or https:// URL with a host"));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(bad("must not carry a query, fragment or user name"));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_is_unconfigured_by_default_and_set_from_the_environment() {
        let s = Settings::load_from(None, |_| None).expect("defaults load");
        assert!(s.notify.smtp_url.is_empty() && s.notify.sms_url.is_empty());
        let s = Settings::load_from(None, |name| {
            match name {
                "LEADPOST_SMTP_URL" => Some("smtps://u:secret@mail.example.com"),
                "LEADPOST_SMTP_FROM" => Some("leads@example.com"),
                "LEADPOST_SMS_URL" => Some("https://sms.example.com/send"),
                "LEADPOST_SMS_AUTH_HEADER" => Some("Bearer sms-secret"),
                _ => None,
            }
            .map(String::from)
        })
        .expect("loads");
        assert_eq!(s.notify.smtp_url, "smtps://u:secret@mail.example.com");
        assert_eq!(s.notify.smtp_from, "leads@example.com");
        assert_eq!(s.notify.sms_url, "https://sms.example.com/send");
        assert_eq!(s.notify.sms_auth_header, "Bearer sms-secret");
        let shown = format!("{:?}", s.notify);
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn defaults_bind_loopback_8080_on_a_sqlite_file() {
        let s = Settings::load_from(None, |_| None).expect("defaults load");
        assert_eq!(s.server.bind, "127.0.0.1:8080");
        assert_eq!(s.database.url, "sqlite://leadpost.db");
        assert_eq!(s.intake.body_limit, 262_144);
        assert_eq!(s.log.format, LogFormat::Text);
        assert!(
            !s.admin.enabled(),
            "the admin API is off until a token is set"
        );
    }

    #[test]
    fn the_admin_token_comes_from_the_environment_and_is_never_printed() {
        let s = Settings::load_from(None, |name| {
            (name == "LEADPOST_ADMIN_TOKEN").then(|| "s3cret-token".to_string())
        })
        .expect("env applies");
        assert_eq!(s.admin.token, "s3cret-token");
        assert!(!format!("{s:?}").contains("s3cret-token"));
    }

    #[test]
    fn environment_overrides_the_defaults() {
        let s = Settings::load_from(None, |name| {
            match name {
                "DATABASE_URL" => Some("postgres://x@127.0.0.1/db"),
                "LEADPOST_BIND" => Some("127.0.0.1:0"),
                "LEADPOST_BODY_LIMIT" => Some("1024"),
                "LEADPOST_LOG_FORMAT" => Some("json"),
                _ => None,
            }
            .map(String::from)
        })
        .expect("env applies");
        assert_eq!(s.database.url, "postgres://x@127.0.0.1/db");
        assert_eq!(s.server.bind, "127.0.0.1:0");
        assert_eq!(s.intake.body_limit, 1024);
        assert_eq!(s.log.format, LogFormat::Json);
    }

    #[test]
    fn delivery_defaults_follow_the_design() {
        let s = Settings::load_from(None, |_| None).expect("defaults load");
        assert_eq!(s.delivery.timeout_seconds, 15);
        assert_eq!(
            s.delivery.retry_schedule,
            vec![5, 300, 1800, 7200, 18000, 36000, 36000]
        );
        assert!(!s.delivery.allow_private_targets);
    }

    #[test]
    fn delivery_environment_variables_apply() {
        let s = Settings::load_from(None, |name| {
            match name {
                "LEADPOST_DELIVERY_TIMEOUT" => Some("3"),
                "LEADPOST_RETRY_SCHEDULE" => Some("1, 1,2"),
                "LEADPOST_ALLOW_PRIVATE_TARGETS" => Some("true"),
                _ => None,
            }
            .map(String::from)
        })
        .expect("env applies");
        assert_eq!(s.delivery.timeout_seconds, 3);
        assert_eq!(s.delivery.retry_schedule, vec![1, 1, 2]);
        assert!(s.delivery.allow_private_targets);
    }

    #[test]
    fn a_bad_retry_schedule_names_its_variable() {
        let err = Settings::load_from(None, |name| {
            (name == "LEADPOST_RETRY_SCHEDULE").then(|| "1,x".to_string())
        })
        .expect_err("refused");
        assert!(err.to_string().contains("LEADPOST_RETRY_SCHEDULE"));
    }

    #[test]
    fn a_bad_log_format_names_its_variable() {
        let err = Settings::load_from(None, |name| {
            (name == "LEADPOST_LOG_FORMAT").then(|| "yaml".to_string())
        })
        .expect_err("refused");
        assert!(err.to_string().contains("LEADPOST_LOG_FORMAT"));
    }

    #[test]
    fn a_config_file_overrides_only_the_keys_it_names() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("leadpost.toml");
        std::fs::write(&path, "[server]\nbind = \"127.0.0.1:9999\"\n").expect("write");
        let s = Settings::load_from(Some(path), |_| None).expect("loads");
        assert_eq!(s.server.bind, "127.0.0.1:9999");
        assert_eq!(s.database.max_connections, 10);
    }

    #[test]
    fn demo_mode_and_the_home_page_are_off_by_default() {
        let s = Settings::load_from(None, |_| None).expect("defaults load");
        assert!(!s.demo.enabled);
        assert!(!s.pages.show_home);
        assert_eq!(s.server.public_url(), None);
    }
    #[test]
    fn demo_public_url_and_show_home_come_from_the_environment() {
        let s = Settings::load_from(None, |name| {
            match name {
                "LEADPOST_DEMO" => Some("true"),
                "LEADPOST_SHOW_HOME" => Some("1"),
                "LEADPOST_PUBLIC_URL" => Some("https://leads.example.com/"),
                _ => None,
            }
            .map(String::from)
        })
        .expect("env applies");
        assert!(s.demo.enabled);
        assert!(s.pages.show_home);
        assert_eq!(s.server.public_url(), Some("https://leads.example.com"));
    }
    #[test]
    fn a_public_url_that_is_not_http_is_refused() {
        for bad in [
            "javascript:alert(1)",
            "leads.example.com",
            "https://x.example/?a=1",
        ] {
            let err = Settings::load_from(None, |name| {
                (name == "LEADPOST_PUBLIC_URL").then(|| bad.to_string())
            })
            .expect_err("refused");
            assert!(
                err.to_string().contains("LEADPOST_PUBLIC_URL"),
                "{bad}: {err}"
            );
        }
    }
    #[test]
    fn a_bad_demo_flag_names_its_variable() {
        let err = Settings::load_from(None, |name| {
            (name == "LEADPOST_DEMO").then(|| "maybe".to_string())
        })
        .expect_err("refused");
        assert!(err.to_string().contains("LEADPOST_DEMO"));
    }
}
