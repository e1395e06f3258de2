//! An account's spam settings: what is stored, the PATCH that changes them (a key left out stays,
//! `null` clears it), the checks on every new value, and the read-back with the CAPTCHA secret masked.

use std::fmt;

use ipnet::IpNet;
use serde::{Deserialize, Deserializer, Serialize};

use super::control::{CAPTCHA_TOKEN_FIELDS, FILL_TIME_FIELD};
use super::origin::OriginPattern;

/// The honeypot field a new account has.
pub const DEFAULT_HONEYPOT_FIELD: &str = "_lp_hp";
/// The shortest believable time, in milliseconds, between page load and submit.
pub const DEFAULT_MIN_FILL_MS: u32 = 1500;
/// The reCAPTCHA v3 score below which a post is spam.
pub const DEFAULT_MIN_SCORE: f64 = 0.5;
/// What a CAPTCHA secret reads back as. Sent back in a PATCH, it keeps the stored secret.
pub const MASKED_SECRET: &str = "********";

/// Days a spam submission is kept unless the account says otherwise.
pub const DEFAULT_SPAM_RETENTION_DAYS: u32 = 30;
/// The longest too-fast threshold: an hour, in milliseconds.
pub const MAX_MIN_FILL_MS: u32 = 3_600_000;
/// The highest `max_links`.
pub const MAX_MAX_LINKS: u32 = 10_000;
/// The longest any retention setting may be: 100 years, in days.
pub const MAX_RETENTION_DAYS: u32 = 36_500;
/// Most entries in one list setting.
const LIST_MAX: usize = 1000;
/// Longest honeypot field name and blocked word, in characters.
const NAME_MAX: usize = 100;
/// Longest domain name.
const DOMAIN_MAX: usize = 253;
/// Longest CAPTCHA secret or site key.
const KEY_MAX: usize = 1000;

/// The spam checks of one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SpamSettings {
    /// The hidden field a person leaves empty; `None` turns the honeypot off.
    pub honeypot_field: Option<String>,
    /// A post whose `_lp_t` is below this is spam; 0 turns the check off.
    pub min_fill_ms: u32,
    /// CAPTCHA verification; `None` (the default) is off.
    pub captcha: Option<Captcha>,
    /// Lower-case domains; each also blocks its subdomains.
    pub blocked_email_domains: Vec<String>,
    /// Words blocked as whole words, in any case.
    pub blocked_words: Vec<String>,
    /// Addresses and ranges; a single address is a `/32` or `/128`.
    #[schema(value_type = Vec<String>)]
    pub blocked_ips: Vec<IpNet>,
    /// Most links allowed in a post; `None` is no limit.
    pub max_links: Option<u32>,
    /// Where posts may come from; empty allows any origin.
    #[schema(value_type = Vec<String>)]
    pub allowed_origins: Vec<OriginPattern>,
    /// Whether a post must carry an `Origin` or `Referer`.
    pub require_origin: bool,
    /// Spam submissions older than this many days are deleted by the purge (also read and
    /// written as part of the account's retention settings).
    pub spam_retention_days: u32,
}

impl Default for SpamSettings {
    fn default() -> Self {
        SpamSettings {
            honeypot_field: Some(DEFAULT_HONEYPOT_FIELD.to_string()),
            min_fill_ms: DEFAULT_MIN_FILL_MS,
            captcha: None,
            blocked_email_domains: Vec::new(),
            blocked_words: Vec::new(),
            blocked_ips: Vec::new(),
            max_links: None,
            allowed_origins: Vec::new(),
            require_origin: false,
            spam_retention_days: DEFAULT_SPAM_RETENTION_DAYS,
        }
    }
}

/// A CAPTCHA service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaptchaProvider {
    Turnstile,
    Hcaptcha,
    Recaptcha,
}

/// CAPTCHA verification settings. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Captcha {
    pub provider: CaptchaProvider,
    pub secret: String,
    pub site_key: String,
    /// Lowest passing reCAPTCHA v3 score; answers without a score ignore it.
    pub min_score: f64,
}

impl fmt::Debug for Captcha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Captcha")
            .field("provider", &self.provider)
            .field("secret", &MASKED_SECRET)
            .field("site_key", &self.site_key)
            .field("min_score", &self.min_score)
            .finish()
    }
}

/// One refused value: the setting (`blocked_ips[2]`, `captcha.secret`) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingProblem {
    pub field: String,
    pub reason: String,
}

impl SettingProblem {
    fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        SettingProblem {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// A change to the settings: a key left out stays as it is, `null` clears it (the honeypot, CAPTCHA
/// and `max_links` turn off, `min_fill_ms` becomes 0, lists empty, `require_origin` false).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpamSettingsPatch {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub honeypot_field: Option<Option<String>>,
    /// Milliseconds, at most 3,600,000 (an hour); `null` turns the check off.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, maximum = 3600000)]
    pub min_fill_ms: Option<Option<u32>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<CaptchaPatch>)]
    pub captcha: Option<Option<CaptchaPatch>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub blocked_email_domains: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub blocked_words: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub blocked_ips: Option<Option<Vec<String>>>,
    /// At most 10,000; `null` turns the check off.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, maximum = 10000)]
    pub max_links: Option<Option<u32>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub allowed_origins: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<bool>)]
    pub require_origin: Option<Option<bool>>,
    /// A whole number of days, 1 to 36,500 (`null` is refused).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = u32, minimum = 1, maximum = 36500)]
    pub spam_retention_days: Option<Option<u32>>,
}

/// New CAPTCHA settings. A `secret` left out, or sent back masked, keeps the stored one (same provider).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaptchaPatch {
    pub provider: CaptchaProvider,
    #[serde(default)]
    pub secret: Option<String>,
    #[schema(min_length = 1, max_length = 1000)]
    pub site_key: String,
    /// reCAPTCHA v3: the lowest score that passes (default 0.5).
    #[serde(default)]
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub min_score: Option<f64>,
}

/// A key that is there: `null` becomes `Some(None)`; a key left out stays `None` through `default`.
pub(crate) fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl SpamSettings {
    /// These settings as they may be shown: the CAPTCHA secret replaced by [`MASKED_SECRET`].
    pub fn masked(&self) -> SpamSettings {
        let mut shown = self.clone();
        if let Some(captcha) = &mut shown.captcha {
            captcha.secret = MASKED_SECRET.to_string();
        }
        shown
    }

    /// The settings after `patch`, or every value it carries that is refused.
    pub fn apply(&self, patch: SpamSettingsPatch) -> Result<SpamSettings, Vec<SettingProblem>> {
        let mut next = self.clone();
        let mut problems = Vec::new();
        if let Some(field) = patch.honeypot_field {
            next.honeypot_field = field.and_then(|name| {
                honeypot_field(&name)
                    .map_err(|reason| problems.push(SettingProblem::new("honeypot_field", reason)))
                    .ok()
            });
        }
        if let Some(ms) = patch.min_fill_ms {
            match ms.unwrap_or(0) {
                ms if ms <= MAX_MIN_FILL_MS => next.min_fill_ms = ms,
                _ => problems.push(SettingProblem::new(
                    "min_fill_ms",
                    "must be a whole number of milliseconds, at most 3600000",
                )),
            }
        }
        if let Some(captcha) = patch.captcha {
            next.captcha = captcha.and_then(|c| {
                captcha_settings(c, self.captcha.as_ref())
                    .map_err(|mut refused| problems.append(&mut refused))
                    .ok()
            });
        }
        if let Some(list) = patch.blocked_email_domains {
            next.blocked_email_domains =
                each("blocked_email_domains", list, email_domain, &mut problems);
        }
        if let Some(list) = patch.blocked_words {
            next.blocked_words = each("blocked_words", list, blocked_word, &mut problems);
        }
        if let Some(list) = patch.blocked_ips {
            next.blocked_ips = each("blocked_ips", list, blocked_ip, &mut problems);
        }
        if let Some(max) = patch.max_links {
            match max {
                Some(links) if links > MAX_MAX_LINKS => problems.push(SettingProblem::new(
                    "max_links",
                    "must be a whole number, at most 10000",
                )),
                max => next.max_links = max,
            }
        }
        if let Some(list) = patch.allowed_origins {
            next.allowed_origins =
                each("allowed_origins", list, OriginPattern::parse, &mut problems);
        }
        if let Some(require) = patch.require_origin {
            next.require_origin = require.unwrap_or(false);
        }
        if let Some(days) = patch.spam_retention_days {
            match days.filter(|d| (1..=MAX_RETENTION_DAYS).contains(d)) {
                Some(days) => next.spam_retention_days = days,
                None => problems.push(SettingProblem::new(
                    "spam_retention_days",
                    "must be a whole number of days, 1 to 36500",
                )),
            }
        }
        if problems.is_empty() {
            Ok(next)
        } else {
            Err(problems)
        }
    }
}

/// Every entry of a list through `parse`; a refused entry is reported as `name[i]`.
fn each<T>(
    name: &str,
    list: Option<Vec<String>>,
    parse: impl Fn(&str) -> Result<T, String>,
    problems: &mut Vec<SettingProblem>,
) -> Vec<T> {
    let list = list.unwrap_or_default();
    if list.len() > LIST_MAX {
        problems.push(SettingProblem::new(
            name,
            format!("must have at most {LIST_MAX} entries"),
        ));
        return Vec::new();
    }
    let mut parsed = Vec::with_capacity(list.len());
    for (i, entry) in list.iter().enumerate() {
        match parse(entry) {
            Ok(value) => parsed.push(value),
            Err(reason) => problems.push(SettingProblem::new(format!("{name}[{i}]"), reason)),
        }
    }
    parsed
}

fn honeypot_field(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        return Err(format!("must be 1 to {NAME_MAX} characters"));
    }
    if name.chars().any(char::is_whitespace) {
        return Err("must not contain spaces".into());
    }
    if CAPTCHA_TOKEN_FIELDS.contains(&name) || name == FILL_TIME_FIELD {
        return Err("is a CAPTCHA token or fill-time field".into());
    }
    Ok(name.to_string())
}

fn email_domain(raw: &str) -> Result<String, String> {
    let domain = raw.trim().trim_start_matches('@').trim_end_matches('.');
    let domain = domain.to_lowercase();
    let labels_ok = domain.split('.').all(|label| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    });
    if domain.is_empty() || domain.len() > DOMAIN_MAX || !labels_ok {
        return Err("must be a domain name such as example.com".into());
    }
    Ok(domain)
}

fn blocked_word(raw: &str) -> Result<String, String> {
    let word = raw.trim();
    if word.is_empty() || word.chars().count() > NAME_MAX {
        return Err(format!("must be 1 to {NAME_MAX} characters"));
    }
    Ok(word.to_string())
}

/// An address (`/32` or `/128`) or a CIDR range, host bits cleared.
fn blocked_ip(raw: &str) -> Result<IpNet, String> {
    let raw = raw.trim();
    raw.parse::<IpNet>()
        .map(|net| net.trunc())
        .or_else(|_| raw.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| "must be an IP address or a CIDR range such as 192.0.2.0/24".into())
}

fn captcha_settings(
    patch: CaptchaPatch,
    current: Option<&Captcha>,
) -> Result<Captcha, Vec<SettingProblem>> {
    let mut problems = Vec::new();
    let kept = current
        .filter(|c| c.provider == patch.provider)
        .map(|c| c.secret.clone());
    let secret = match patch.secret.as_deref().map(str::trim) {
        None | Some(MASKED_SECRET) => kept,
        Some(secret) => Some(secret.to_string()),
    };
    let secret = match secret {
        Some(s) if !s.is_empty() && s.len() <= KEY_MAX => s,
        _ => {
            problems.push(SettingProblem::new(
                "captcha.secret",
                format!("is required: 1 to {KEY_MAX} characters"),
            ));
            String::new()
        }
    };
    let site_key = patch.site_key.trim().to_string();
    if site_key.is_empty() || site_key.len() > KEY_MAX {
        problems.push(SettingProblem::new(
            "captcha.site_key",
            format!("must be 1 to {KEY_MAX} characters"),
        ));
    }
    let min_score = patch.min_score.unwrap_or(DEFAULT_MIN_SCORE);
    if !(0.0..=1.0).contains(&min_score) {
        problems.push(SettingProblem::new(
            "captcha.min_score",
            "must be between 0 and 1",
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Captcha {
        provider: patch.provider,
        secret,
        site_key,
        min_score,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patch(body: serde_json::Value) -> SpamSettingsPatch {
        serde_json::from_value(body).expect("a well-typed patch")
    }

    fn with_captcha() -> SpamSettings {
        SpamSettings::default()
            .apply(patch(json!({"captcha": {
                "provider": "turnstile", "secret": "s3cret", "site_key": "site"
            }})))
            .expect("valid captcha")
    }

    fn problems(current: &SpamSettings, body: serde_json::Value) -> Vec<String> {
        let refused = current.apply(patch(body)).expect_err("refused");
        refused.into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn defaults_have_the_honeypot_and_fill_time_on_and_the_rest_off() {
        let settings = SpamSettings::default();
        assert_eq!(settings.honeypot_field.as_deref(), Some("_lp_hp"));
        assert_eq!(settings.min_fill_ms, 1500);
        assert_eq!(settings.captcha, None);
        assert_eq!(settings.max_links, None);
        assert!(!settings.require_origin);
    }

    #[test]
    fn stored_settings_missing_keys_read_as_defaults() {
        let settings: SpamSettings = serde_json::from_value(json!({"max_links": 2})).expect("json");
        assert_eq!(settings.max_links, Some(2));
        assert_eq!(settings.min_fill_ms, 1500);
    }

    #[test]
    fn absent_keys_stay_and_null_clears() {
        let current = SpamSettings {
            max_links: Some(3),
            ..SpamSettings::default()
        };
        let next = current
            .apply(patch(json!({"honeypot_field": null, "min_fill_ms": null})))
            .expect("valid");
        assert_eq!(next.honeypot_field, None);
        assert_eq!(next.min_fill_ms, 0);
        assert_eq!(next.max_links, Some(3));
        let next = next
            .apply(patch(json!({"max_links": null})))
            .expect("valid");
        assert_eq!(next.max_links, None);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let body = json!({"honeypot": "x"});
        assert!(serde_json::from_value::<SpamSettingsPatch>(body).is_err());
    }

    #[test]
    fn blocked_ips_read_back_in_cidr_form() {
        let next = SpamSettings::default()
            .apply(patch(
                json!({"blocked_ips": ["203.0.113.7", "2001:db8::1", "198.51.100.9/24"]}),
            ))
            .expect("valid");
        let shown = serde_json::to_value(&next).expect("json");
        assert_eq!(
            shown["blocked_ips"],
            json!(["203.0.113.7/32", "2001:db8::1/128", "198.51.100.0/24"])
        );
    }

    #[test]
    fn every_bad_value_is_reported_by_name() {
        let fields = problems(
            &SpamSettings::default(),
            json!({
                "honeypot_field": " ",
                "blocked_email_domains": ["ok.com", "bad domain"],
                "blocked_words": ["fine", ""],
                "blocked_ips": ["10.0.0.0/33"],
                "allowed_origins": ["ftp://x.com"],
                "captcha": {"provider": "hcaptcha", "site_key": "", "min_score": 2.0}
            }),
        );
        assert_eq!(
            fields,
            [
                "honeypot_field",
                "captcha.secret",
                "captcha.site_key",
                "captcha.min_score",
                "blocked_email_domains[1]",
                "blocked_words[1]",
                "blocked_ips[0]",
                "allowed_origins[0]",
            ]
        );
    }

    #[test]
    fn email_domains_are_kept_in_lower_case_without_at_sign() {
        let next = SpamSettings::default()
            .apply(patch(json!({"blocked_email_domains": ["@Spam.Example."]})))
            .expect("valid");
        assert_eq!(next.blocked_email_domains, ["spam.example"]);
    }

    #[test]
    fn the_captcha_secret_reads_back_masked() {
        let shown = serde_json::to_value(with_captcha().masked()).expect("json");
        assert_eq!(shown["captcha"]["secret"], MASKED_SECRET);
        assert_eq!(shown["captcha"]["site_key"], "site");
        assert_eq!(shown["captcha"]["min_score"], 0.5);
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let captcha = with_captcha().captcha.expect("captcha");
        assert!(!format!("{captcha:?}").contains("s3cret"));
    }

    #[test]
    fn a_masked_secret_sent_back_keeps_the_stored_one() {
        let next = with_captcha()
            .apply(patch(json!({"captcha": {
                "provider": "turnstile", "secret": MASKED_SECRET, "site_key": "new-site"
            }})))
            .expect("valid");
        let captcha = next.captcha.expect("captcha");
        assert_eq!(captcha.secret, "s3cret");
        assert_eq!(captcha.site_key, "new-site");
    }

    #[test]
    fn another_provider_needs_its_own_secret() {
        let body = json!({"captcha": {"provider": "recaptcha", "site_key": "k"}});
        assert_eq!(problems(&with_captcha(), body), ["captcha.secret"]);
    }

    #[test]
    fn the_honeypot_cannot_be_a_captcha_token_or_the_fill_time_field() {
        for name in ["g-recaptcha-response", "_lp_t"] {
            let body = json!({"honeypot_field": name});
            assert_eq!(problems(&SpamSettings::default(), body), ["honeypot_field"]);
        }
    }
}
