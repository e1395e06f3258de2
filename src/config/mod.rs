//! Configuration: `config/default.toml` (built in), then the file named by
//! `LEADPOST_CONFIG`, then the environment variables listed in `environment.rs`
//! (docs/operations.md lists them too).

use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Format, Toml};
use serde::Deserialize;

/// The defaults, compiled into the binary so it runs from any directory.
pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

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
    pub spam: SpamServiceSettings,
    #[serde(default)]
    pub people: PeopleSettings,
    #[serde(default)]
    pub inbound: InboundSettings,
    pub data: DataSettings,
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
    #[serde(deserialize_with = "lenient::flag")]
    pub trust_proxy: bool,
    /// A Redis shared by every instance (`redis://host:port/db`); empty counts per process.
    #[serde(default)]
    pub redis_url: String,
    /// What every key this service puts in Redis starts with.
    #[serde(default)]
    pub redis_key_prefix: String,
}

/// `[spam]`: where CAPTCHA tokens are verified (the providers' documented URLs by default).
#[derive(Debug, Clone, Deserialize)]
pub struct SpamServiceSettings {
    pub turnstile_verify_url: String,
    pub hcaptcha_verify_url: String,
    pub recaptcha_verify_url: String,
}

impl SpamServiceSettings {
    /// The verify URLs, for the CAPTCHA verifier (each checked when the settings are read; one
    /// that does not parse keeps the provider's documented URL).
    pub fn verify_urls(&self) -> crate::spam::VerifyUrls {
        let documented = crate::spam::VerifyUrls::default();
        let or = |raw: &str, default: url::Url| http_url(raw).unwrap_or(default);
        crate::spam::VerifyUrls {
            turnstile: or(&self.turnstile_verify_url, documented.turnstile),
            hcaptcha: or(&self.hcaptcha_verify_url, documented.hcaptcha),
            recaptcha: or(&self.recaptcha_verify_url, documented.recaptcha),
        }
    }

    /// The first verify URL that is not an http(s) URL, by its key.
    fn invalid_url(&self) -> Option<&'static str> {
        [
            ("spam.turnstile_verify_url", &self.turnstile_verify_url),
            ("spam.hcaptcha_verify_url", &self.hcaptcha_verify_url),
            ("spam.recaptcha_verify_url", &self.recaptcha_verify_url),
        ]
        .into_iter()
        .find(|(_, raw)| http_url(raw).is_none())
        .map(|(key, _)| key)
    }
}

/// `raw` as an http:// or https:// URL with a host.
fn http_url(raw: &str) -> Option<url::Url> {
    url::Url::parse(raw.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

/// `[delivery]`: the webhook delivery worker.
#[derive(Debug, Clone, Deserialize)]
pub struct DeliverySettings {
    /// Jobs handled at once; 0 runs no worker in this process.
    pub concurrency: usize,
    /// Most webhook jobs running at once for one receiver URL (every process counted).
    pub max_in_flight_per_url: usize,
    pub poll_interval_ms: u64,
    pub lease_seconds: u64,
    pub timeout_seconds: u64,
    /// Seconds before each retry; its length + 1 is the number of attempts.
    #[serde(deserialize_with = "lenient::seconds_list")]
    pub retry_schedule: Vec<u64>,
    #[serde(deserialize_with = "lenient::flag")]
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
    #[serde(deserialize_with = "lenient::flag")]
    pub enabled: bool,
}

/// `[pages]`
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PagesSettings {
    /// Show `/` even when demo mode is off.
    #[serde(deserialize_with = "lenient::flag")]
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

/// `[people]`: how long console sessions, login lockouts and invites last.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct PeopleSettings {
    /// A session unused this long ends.
    pub session_idle_seconds: u64,
    /// A session ends this long after login, used or not.
    pub session_max_seconds: u64,
    /// Ten failed logins for one email within this long lock it for this long.
    pub login_lock_seconds: u64,
    /// An invite link works this long.
    pub invite_ttl_seconds: u64,
}

impl Default for PeopleSettings {
    fn default() -> Self {
        PeopleSettings {
            session_idle_seconds: 1_209_600,
            session_max_seconds: 2_592_000,
            login_lock_seconds: 900,
            invite_ttl_seconds: 604_800,
        }
    }
}

/// `[data]`: how often the worker enforces the accounts' retention settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DataSettings {
    /// Seconds between purges; 0 runs none in this process.
    pub purge_interval_seconds: u64,
}

impl Default for DataSettings {
    fn default() -> Self {
        DataSettings {
            purge_interval_seconds: 3600,
        }
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
    File(Box<figment::Error>),
    #[error("{setting}: {reason}")]
    Invalid { setting: String, reason: String },
}

mod environment;
mod inbound;
mod lenient;

pub use environment::CONFIG_FILE_ENV;
pub use inbound::InboundSettings;
pub use lenient::parse_bool;

use environment::{describe_setting, env_value, environment};

impl Settings {
    /// Defaults, then the file named by `LEADPOST_CONFIG`, then the process environment.
    pub fn load() -> Result<Self, ConfigError> {
        let file = env_value(CONFIG_FILE_ENV).map(PathBuf::from);
        Self::extract(Self::layers(file).merge(environment()))
    }

    /// Defaults and `file`, without the environment (for tests and tools).
    pub fn load_from(file: Option<PathBuf>) -> Result<Self, ConfigError> {
        Self::extract(Self::layers(file))
    }

    /// The built-in defaults and the configuration file.
    fn layers(file: Option<PathBuf>) -> Figment {
        let figment = Figment::from(Toml::string(DEFAULT_TOML));
        match file {
            Some(path) => figment.merge(Toml::file_exact(path)),
            None => figment,
        }
    }

    fn extract(figment: Figment) -> Result<Self, ConfigError> {
        let mut settings: Settings = figment.extract().map_err(|e| {
            let setting = e.path.join(".");
            if setting.is_empty() {
                ConfigError::File(Box::new(e))
            } else {
                ConfigError::Invalid {
                    setting: describe_setting(&setting),
                    reason: e.kind.to_string(),
                }
            }
        })?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks no type can express, and the values kept in a normal form.
    fn validate(&mut self) -> Result<(), ConfigError> {
        let invalid = |key: &str, reason: &str| ConfigError::Invalid {
            setting: describe_setting(key),
            reason: reason.to_string(),
        };
        if self.delivery.timeout_seconds == 0 {
            return Err(invalid(
                "delivery.timeout_seconds",
                "must be a positive number of seconds",
            ));
        }
        let redis_url = self.limits.redis_url.trim();
        if !redis_url.is_empty() && redis::Client::open(redis_url).is_err() {
            return Err(invalid(
                "limits.redis_url",
                "must be a redis:// URL (redis://host:port/db)",
            ));
        }
        if let Some(key) = self.spam.invalid_url() {
            return Err(invalid(key, "must be an http:// or https:// URL"));
        }
        self.admin.token = self.admin.token.trim().to_string();
        self.server.public_url = normalize_public_url(&self.server.public_url)
            .map_err(|reason| invalid("server.public_url", reason))?;
        Ok(())
    }
}

/// An empty public URL stays empty; otherwise it must be an `http(s)://host[:port]` URL
/// (a path prefix is allowed), kept without its trailing `/`.
fn normalize_public_url(value: &str) -> Result<String, &'static str> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    let url = url::Url::parse(value).map_err(|_| "must be an http:// or https:// URL")?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err("must be an http:// or https:// URL with a host");
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err("must not carry a query, fragment or user name");
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}
