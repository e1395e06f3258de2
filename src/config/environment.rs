//! The environment variables the service reads: one table naming each variable
//! and the key it overrides, turned into figment providers.

use figment::Figment;
use figment::providers::{Env, Serialized};

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
    (
        "LEADPOST_METRICS_BIND",
        "server.metrics_bind",
        EnvValue::Text,
    ),
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
    ("LEADPOST_REDIS_URL", "limits.redis_url", EnvValue::Text),
    (
        "LEADPOST_REDIS_KEY_PREFIX",
        "limits.redis_key_prefix",
        EnvValue::Text,
    ),
    (
        "LEADPOST_TURNSTILE_VERIFY_URL",
        "spam.turnstile_verify_url",
        EnvValue::Text,
    ),
    (
        "LEADPOST_HCAPTCHA_VERIFY_URL",
        "spam.hcaptcha_verify_url",
        EnvValue::Text,
    ),
    (
        "LEADPOST_RECAPTCHA_VERIFY_URL",
        "spam.recaptcha_verify_url",
        EnvValue::Text,
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
    (
        "LEADPOST_SESSION_IDLE_SECONDS",
        "people.session_idle_seconds",
        EnvValue::Typed,
    ),
    (
        "LEADPOST_SESSION_MAX_SECONDS",
        "people.session_max_seconds",
        EnvValue::Typed,
    ),
    (
        "LEADPOST_LOGIN_LOCK_SECONDS",
        "people.login_lock_seconds",
        EnvValue::Typed,
    ),
    (
        "LEADPOST_INVITE_TTL_SECONDS",
        "people.invite_ttl_seconds",
        EnvValue::Typed,
    ),
    ("LEADPOST_INBOUND_DOMAIN", "inbound.domain", EnvValue::Text),
    (
        "LEADPOST_INBOUND_MAX_BYTES",
        "inbound.max_bytes",
        EnvValue::Typed,
    ),
    (
        "LEADPOST_SMTP_LISTEN",
        "inbound.smtp_listen",
        EnvValue::Text,
    ),
    (
        "LEADPOST_SMTP_HOSTNAME",
        "inbound.smtp_hostname",
        EnvValue::Text,
    ),
    (
        "LEADPOST_SMTP_TLS_CERT",
        "inbound.smtp_tls_cert",
        EnvValue::Text,
    ),
    (
        "LEADPOST_SMTP_TLS_KEY",
        "inbound.smtp_tls_key",
        EnvValue::Text,
    ),
    (
        "LEADPOST_SMTP_MAX_CONNECTIONS",
        "inbound.smtp_max_connections",
        EnvValue::Typed,
    ),
    (
        "LEADPOST_SMTP_IDLE_TIMEOUT_SECONDS",
        "inbound.smtp_idle_timeout_seconds",
        EnvValue::Typed,
    ),
];

/// The variable naming the configuration file.
pub const CONFIG_FILE_ENV: &str = "LEADPOST_CONFIG";

/// The value of an environment variable, unless it is unset or blank.
pub(super) fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The documented variables that are set, as figment providers: typed values
/// through figment's environment provider (parsed like TOML values), text values
/// as written (a token such as `0123` must stay `0123`).
pub(super) fn environment() -> Figment {
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
pub(super) fn describe_setting(key: &str) -> String {
    match ENVIRONMENT
        .iter()
        .find(|(env, k, _)| *k == key && env_value(env).is_some())
    {
        Some((env, _, _)) => format!("{key} (environment variable {env})"),
        None => key.to_string(),
    }
}

#[cfg(test)]
// figment's `Jail` takes closures returning its own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use figment::Jail;
    use figment::providers::{Format, Toml};

    use super::*;
    use crate::config::{ConfigError, DEFAULT_TOML, LogFormat, Settings};

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
