//! Configuration: `config/default.toml` (built in), then the file named by
//! `LEADPOST_CONFIG`, then the environment variables listed in `ENVIRONMENT`
//! (docs/operations.md lists them too).

use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
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
    pub shutdown_grace_seconds: u64,
    /// `scheme://host[:port]` browsers use, without a trailing `/`; empty: from the Host header.
    #[serde(default)]
    pub public_url: String,
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

/// What a documented environment variable holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EnvValue {
    /// Taken exactly as written (URLs, addresses, tokens).
    Text,
    /// Read like a TOML value: a number, `true`/`false`, a word, a list.
    Typed,
}

/// Every environment variable the service reads, and the key it overrides.
/// Empty or blank values count as unset.
const ENVIRONMENT: &[(&str, &str, EnvValue)] = &[
    ("DATABASE_URL", "database.url", EnvValue::Text),
    ("LEADPOST_BIND", "server.bind", EnvValue::Text),
    ("LEADPOST_PUBLIC_URL", "server.public_url", EnvValue::Text),
    ("LEADPOST_ADMIN_TOKEN", "admin.token", EnvValue::Text),
    ("LEADPOST_BODY_LIMIT", "intake.body_limit", EnvValue::Typed),
    (
        "LEADPOST_RATE_LIMIT_PER_IP",
        "limits.per_ip_per_minute",
        EnvValue::Typed,
    ),
    (
        "LEADPOST_RATE_LIMIT_PER_KEY",
        "limits.per_key_per_minute",
        EnvValue::Typed,
    ),
    (
        "LEADPOST_TRUST_PROXY",
        "limits.trust_proxy",
        EnvValue::Typed,
    ),
    ("LEADPOST_DEMO", "demo.enabled", EnvValue::Typed),
    ("LEADPOST_SHOW_HOME", "pages.show_home", EnvValue::Typed),
    ("LEADPOST_LOG_FORMAT", "log.format", EnvValue::Typed),
    (
        "LEADPOST_DELIVERY_TIMEOUT",
        "delivery.timeout_seconds",
        EnvValue::Typed,
    ),
    (
        "LEADPOST_RETRY_SCHEDULE",
        "delivery.retry_schedule",
        EnvValue::Typed,
    ),
    (
        "LEADPOST_ALLOW_PRIVATE_TARGETS",
        "delivery.allow_private_targets",
        EnvValue::Typed,
    ),
    ("LEADPOST_SMTP_URL", "notify.smtp_url", EnvValue::Text),
    ("LEADPOST_SMTP_FROM", "notify.smtp_from", EnvValue::Text),
    ("LEADPOST_SMS_URL", "notify.sms_url", EnvValue::Text),
    (
        "LEADPOST_SMS_AUTH_HEADER",
        "notify.sms_auth_header",
        EnvValue::Text,
    ),
];

/// The variable naming the configuration file.
pub const CONFIG_FILE_ENV: &str = "LEADPOST_CONFIG";

/// The value of an environment variable, unless it is unset or blank.
fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The documented variables that are set, as figment providers: typed values
/// through figment's environment provider (parsed like TOML values), text values
/// as written (a token such as `0123` must stay `0123`).
fn environment() -> Figment {
    let typed = Env::raw().filter_map(|name| {
        ENVIRONMENT
            .iter()
            .find(|(env, _, kind)| *kind == EnvValue::Typed && name == *env)
            .filter(|(env, _, _)| env_value(env).is_some())
            .map(|(_, key, _)| (*key).into())
    });
    ENVIRONMENT
        .iter()
        .filter(|(_, _, kind)| *kind == EnvValue::Text)
        .filter_map(|(env, key, _)| Some((*key, env_value(env)?)))
        .fold(Figment::from(typed), |figment, (key, value)| {
            figment.merge(Serialized::default(key, value))
        })
}

/// `delivery.retry_schedule (LEADPOST_RETRY_SCHEDULE)`: a key and, when one is
/// set, the variable that gave it its value.
fn describe_setting(key: &str) -> String {
    match ENVIRONMENT
        .iter()
        .find(|(env, k, _)| *k == key && env_value(env).is_some())
    {
        Some((env, _, _)) => format!("{key} (environment variable {env})"),
        None => key.to_string(),
    }
}

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
        self.admin.token = self.admin.token.trim().to_string();
        self.server.public_url = normalize_public_url(&self.server.public_url)
            .map_err(|reason| invalid("server.public_url", reason))?;
        Ok(())
    }
}

/// Serde helpers for values that may come from the environment as text.
mod lenient {
    use serde::Deserializer;
    use serde::de::{self, SeqAccess, Visitor};

    /// The one boolean parser: `true`/`false`, also `1`/`0`, `yes`/`no`,
    /// `on`/`off`, in any case.
    pub fn parse_bool(value: &str) -> Option<bool> {
        match value.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Some(true),
            "false" | "0" | "no" | "off" => Some(false),
            _ => None,
        }
    }

    /// A boolean written as a TOML boolean, `0`/`1`, or a word [`parse_bool`] knows.
    pub fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
        struct Flag;
        impl Visitor<'_> for Flag {
            type Value = bool;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("true or false")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
                Ok(v)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
                parse_bool(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        deserializer.deserialize_any(Flag)
    }

    /// Whole seconds as a list (`[1, 1, 2]`), a comma-separated text (`"1,1,2"`),
    /// or a single number.
    pub fn seconds_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u64>, D::Error> {
        struct Seconds;
        impl<'de> Visitor<'de> for Seconds {
            type Value = Vec<u64>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("comma-separated whole seconds, e.g. 1,1,2")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Vec<u64>, E> {
                Ok(vec![v])
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Vec<u64>, E> {
                u64::try_from(v)
                    .map(|v| vec![v])
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u64>, E> {
                v.split(',')
                    .map(|s| s.trim().parse::<u64>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u64>, A::Error> {
                let mut all = Vec::new();
                while let Some(n) = seq.next_element::<u64>()? {
                    all.push(n);
                }
                Ok(all)
            }
        }
        deserializer.deserialize_any(Seconds)
    }
}

pub use lenient::parse_bool;

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

#[cfg(test)]
// figment's `Jail` takes closures returning its own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use figment::Jail;

    use super::*;

    /// Blank every variable the service reads (blank counts as unset); the jail
    /// puts the old values back. Only ours: other tests share the process.
    fn blank_ours(jail: &mut Jail) {
        for (name, _, _) in ENVIRONMENT {
            jail.set_env(name, "");
        }
        jail.set_env(CONFIG_FILE_ENV, "");
    }

    /// Load with these variables set (and no other of ours), in a jail.
    fn with_env(vars: &[(&str, &str)], check: impl FnOnce(Result<Settings, ConfigError>)) {
        Jail::expect_with(|jail| {
            blank_ours(jail);
            for (name, value) in vars {
                jail.set_env(name, value);
            }
            check(Settings::load());
            Ok(())
        });
    }

    fn loaded(vars: &[(&str, &str)]) -> Settings {
        let mut out = None;
        with_env(vars, |s| out = Some(s.expect("settings load")));
        out.expect("checked")
    }

    fn refused(vars: &[(&str, &str)]) -> String {
        let mut out = None;
        with_env(vars, |s| out = Some(s.expect_err("refused").to_string()));
        out.expect("checked")
    }

    #[test]
    fn defaults_bind_loopback_8080_on_a_sqlite_file() {
        let s = loaded(&[]);
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
    fn every_documented_variable_overrides_its_key() {
        let s = loaded(&[
            ("DATABASE_URL", "postgres://x@127.0.0.1/db"),
            ("LEADPOST_BIND", "127.0.0.1:0"),
            ("LEADPOST_PUBLIC_URL", "https://leads.example.com/"),
            ("LEADPOST_ADMIN_TOKEN", " s3cret-token "),
            ("LEADPOST_BODY_LIMIT", "1024"),
            ("LEADPOST_RATE_LIMIT_PER_IP", "7"),
            ("LEADPOST_RATE_LIMIT_PER_KEY", "3"),
            ("LEADPOST_TRUST_PROXY", "true"),
            ("LEADPOST_DEMO", "true"),
            ("LEADPOST_SHOW_HOME", "1"),
            ("LEADPOST_LOG_FORMAT", "json"),
            ("LEADPOST_DELIVERY_TIMEOUT", "3"),
            ("LEADPOST_RETRY_SCHEDULE", "1, 1,2"),
            ("LEADPOST_ALLOW_PRIVATE_TARGETS", "true"),
            ("LEADPOST_SMTP_URL", "smtps://u:secret@mail.example.com"),
            ("LEADPOST_SMTP_FROM", "leads@example.com"),
            ("LEADPOST_SMS_URL", "https://sms.example.com/send"),
            ("LEADPOST_SMS_AUTH_HEADER", "Bearer sms-secret"),
        ]);
        assert_eq!(s.database.url, "postgres://x@127.0.0.1/db");
        assert_eq!(s.server.bind, "127.0.0.1:0");
        assert_eq!(s.server.public_url(), Some("https://leads.example.com"));
        assert_eq!(s.admin.token, "s3cret-token");
        assert_eq!(s.intake.body_limit, 1024);
        assert_eq!(s.limits.per_ip_per_minute, 7);
        assert_eq!(s.limits.per_key_per_minute, 3);
        assert!(s.limits.trust_proxy);
        assert!(s.demo.enabled);
        assert!(s.pages.show_home);
        assert_eq!(s.log.format, LogFormat::Json);
        assert_eq!(s.delivery.timeout_seconds, 3);
        assert_eq!(s.delivery.retry_schedule, vec![1, 1, 2]);
        assert!(s.delivery.allow_private_targets);
        assert_eq!(s.notify.smtp_url, "smtps://u:secret@mail.example.com");
        assert_eq!(s.notify.smtp_from, "leads@example.com");
        assert_eq!(s.notify.sms_url, "https://sms.example.com/send");
        assert_eq!(s.notify.sms_auth_header, "Bearer sms-secret");
    }

    #[test]
    fn every_variable_in_the_table_names_a_key_of_default_toml() {
        let defaults: figment::value::Dict = Figment::from(Toml::string(DEFAULT_TOML))
            .extract()
            .expect("default.toml parses");
        for (env, key, _) in ENVIRONMENT {
            let (section, name) = key.split_once('.').expect("section.key");
            let found = defaults
                .get(section)
                .and_then(|s| s.as_dict())
                .is_some_and(|s| s.contains_key(name));
            assert!(found, "{env} -> {key} is not in default.toml");
            assert!(
                DEFAULT_TOML.contains(&format!("Environment: {env}")),
                "default.toml does not document {env}"
            );
        }
    }

    #[test]
    fn text_values_are_taken_exactly_as_written() {
        let s = loaded(&[
            ("LEADPOST_ADMIN_TOKEN", "0123456789"),
            ("LEADPOST_SMTP_FROM", "true"),
        ]);
        assert_eq!(s.admin.token, "0123456789");
        assert_eq!(s.notify.smtp_from, "true");
    }

    #[test]
    fn blank_variables_count_as_unset() {
        let s = loaded(&[("LEADPOST_BIND", "  "), ("LEADPOST_BODY_LIMIT", "")]);
        assert_eq!(s.server.bind, "127.0.0.1:8080");
        assert_eq!(s.intake.body_limit, 262_144);
    }

    #[test]
    fn one_boolean_parser_reads_every_flag() {
        for (written, meant) in [
            ("true", true),
            ("1", true),
            ("Yes", true),
            ("on", true),
            ("false", false),
            ("0", false),
            ("NO", false),
            ("off", false),
        ] {
            let s = loaded(&[
                ("LEADPOST_TRUST_PROXY", written),
                ("LEADPOST_DEMO", written),
                ("LEADPOST_SHOW_HOME", written),
                ("LEADPOST_ALLOW_PRIVATE_TARGETS", written),
            ]);
            assert_eq!(s.limits.trust_proxy, meant, "{written}");
            assert_eq!(s.demo.enabled, meant, "{written}");
            assert_eq!(s.pages.show_home, meant, "{written}");
            assert_eq!(s.delivery.allow_private_targets, meant, "{written}");
        }
    }

    #[test]
    fn a_one_entry_retry_schedule_is_a_list_of_one() {
        let s = loaded(&[("LEADPOST_RETRY_SCHEDULE", "5")]);
        assert_eq!(s.delivery.retry_schedule, vec![5]);
    }

    #[test]
    fn a_bad_value_names_its_variable_and_its_key() {
        for (name, value, key) in [
            ("LEADPOST_RETRY_SCHEDULE", "1,x", "delivery.retry_schedule"),
            ("LEADPOST_LOG_FORMAT", "yaml", "log.format"),
            ("LEADPOST_DEMO", "maybe", "demo.enabled"),
            ("LEADPOST_BODY_LIMIT", "big", "intake.body_limit"),
            ("LEADPOST_DELIVERY_TIMEOUT", "0", "delivery.timeout_seconds"),
        ] {
            let err = refused(&[(name, value)]);
            assert!(err.contains(name) && err.contains(key), "{name}: {err}");
        }
    }

    #[test]
    fn a_public_url_that_is_not_http_is_refused() {
        for bad in [
            "javascript:alert(1)",
            "leads.example.com",
            "https://x.example/?a=1",
        ] {
            let err = refused(&[("LEADPOST_PUBLIC_URL", bad)]);
            assert!(err.contains("LEADPOST_PUBLIC_URL"), "{bad}: {err}");
        }
    }

    #[test]
    fn secrets_are_never_printed() {
        let s = loaded(&[
            ("LEADPOST_ADMIN_TOKEN", "s3cret-token"),
            ("LEADPOST_SMTP_URL", "smtps://u:secret@mail.example.com"),
            ("LEADPOST_SMS_AUTH_HEADER", "Bearer sms-secret"),
        ]);
        let shown = format!("{s:?}");
        assert!(!shown.contains("s3cret-token"), "{shown}");
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn delivery_defaults_follow_the_documented_schedule() {
        let s = loaded(&[]);
        assert_eq!(s.delivery.timeout_seconds, 15);
        assert_eq!(
            s.delivery.retry_schedule,
            vec![5, 300, 1800, 7200, 18000, 36000, 36000]
        );
        assert!(!s.delivery.allow_private_targets);
    }

    #[test]
    fn notify_demo_and_the_home_page_are_off_by_default() {
        let s = loaded(&[]);
        assert!(s.notify.smtp_url.is_empty() && s.notify.sms_url.is_empty());
        assert!(!s.demo.enabled);
        assert!(!s.pages.show_home);
        assert_eq!(s.server.public_url(), None);
    }

    #[test]
    fn the_file_named_by_leadpost_config_overrides_only_the_keys_it_names() {
        Jail::expect_with(|jail| {
            blank_ours(jail);
            jail.create_file("leadpost.toml", "[server]\nbind = \"127.0.0.1:9999\"\n")?;
            jail.set_env(CONFIG_FILE_ENV, "leadpost.toml");
            let s = Settings::load().map_err(|e| e.to_string())?;
            assert_eq!(s.server.bind, "127.0.0.1:9999");
            assert_eq!(s.database.max_connections, 10);
            Ok(())
        });
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        Jail::expect_with(|jail| {
            blank_ours(jail);
            jail.create_file("leadpost.toml", "[server]\nbind = \"127.0.0.1:9999\"\n")?;
            jail.set_env(CONFIG_FILE_ENV, "leadpost.toml");
            jail.set_env("LEADPOST_BIND", "127.0.0.1:7777");
            let s = Settings::load().map_err(|e| e.to_string())?;
            assert_eq!(s.server.bind, "127.0.0.1:7777");
            Ok(())
        });
    }

    #[test]
    fn load_from_ignores_the_environment() {
        Jail::expect_with(|jail| {
            jail.set_env("LEADPOST_BIND", "127.0.0.1:7777");
            let s = Settings::load_from(None).map_err(|e| e.to_string())?;
            assert_eq!(s.server.bind, "127.0.0.1:8080");
            Ok(())
        });
    }
}
