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
    pub admin: AdminSettings,
    pub log: LogSettings,
}

/// `[server]`
#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub bind: String,
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
        if let Some(token) = get("LEADPOST_ADMIN_TOKEN") {
            self.admin.token = token.trim().to_string();
        }
        if let Some(limit) = get("LEADPOST_BODY_LIMIT") {
            self.intake.body_limit = limit.trim().parse().map_err(|_| ConfigError::Env {
                name: "LEADPOST_BODY_LIMIT",
                reason: "must be a number of bytes".into(),
            })?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
