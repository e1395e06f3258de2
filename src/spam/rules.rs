//! The local spam checks: honeypot, fill time, blocked email domains, words and IPs, and the link
//! count. CAPTCHA needs the network and lives in `captcha`; its reason joins these in one list.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::control::FILL_TIME_FIELD;
use super::settings::SpamSettings;

/// Fields whose links are not counted: the post's own redirects.
const REDIRECT_FIELDS: [&str; 2] = ["OnSuccessURL", "OnErrorURL"];

/// Why a post is spam. The declaration order is the order reasons are listed in, so sorting a list
/// of reasons puts it in that order.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SpamReason {
    Honeypot,
    TooFast,
    CaptchaMissing,
    CaptchaFailed,
    CaptchaUnverified,
    BlockedEmailDomain,
    BlockedWord,
    BlockedIp,
    TooManyLinks,
    /// An owner marked the lead as spam.
    Manual,
}

impl SpamReason {
    /// Every reason, in order.
    pub const ALL: [SpamReason; 10] = [
        SpamReason::Honeypot,
        SpamReason::TooFast,
        SpamReason::CaptchaMissing,
        SpamReason::CaptchaFailed,
        SpamReason::CaptchaUnverified,
        SpamReason::BlockedEmailDomain,
        SpamReason::BlockedWord,
        SpamReason::BlockedIp,
        SpamReason::TooManyLinks,
        SpamReason::Manual,
    ];

    /// The snake_case name, as stored, serialised and used as the metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            SpamReason::Honeypot => "honeypot",
            SpamReason::TooFast => "too_fast",
            SpamReason::CaptchaMissing => "captcha_missing",
            SpamReason::CaptchaFailed => "captcha_failed",
            SpamReason::CaptchaUnverified => "captcha_unverified",
            SpamReason::BlockedEmailDomain => "blocked_email_domain",
            SpamReason::BlockedWord => "blocked_word",
            SpamReason::BlockedIp => "blocked_ip",
            SpamReason::TooManyLinks => "too_many_links",
            SpamReason::Manual => "manual",
        }
    }

    /// The reason with this name.
    pub fn from_name(name: &str) -> Option<SpamReason> {
        SpamReason::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl std::fmt::Display for SpamReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Count a spam verdict in `leadpost_spam_total{reason}`, once for each of its reasons.
pub fn count_spam(reasons: &[SpamReason]) {
    for reason in reasons {
        metrics::counter!("leadpost_spam_total", "reason" => reason.as_str()).increment(1);
    }
}

/// Every local reason that applies to a post's `(name, value)` fields from `client_ip`, in order.
pub fn judge(
    settings: &SpamSettings,
    fields: &[(String, String)],
    client_ip: IpAddr,
) -> Vec<SpamReason> {
    let mut reasons = Vec::new();
    let mut flag = |applies: bool, reason| {
        if applies {
            reasons.push(reason);
        }
    };
    flag(honeypot_filled(settings, fields), SpamReason::Honeypot);
    flag(too_fast(settings, fields), SpamReason::TooFast);
    flag(
        email_domain_blocked(settings, fields),
        SpamReason::BlockedEmailDomain,
    );
    flag(word_blocked(settings, fields), SpamReason::BlockedWord);
    flag(ip_blocked(settings, client_ip), SpamReason::BlockedIp);
    flag(too_many_links(settings, fields), SpamReason::TooManyLinks);
    reasons
}

fn values_of<'a>(fields: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
    fields
        .iter()
        .filter(move |(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn honeypot_filled(settings: &SpamSettings, fields: &[(String, String)]) -> bool {
    settings
        .honeypot_field
        .as_deref()
        .is_some_and(|name| values_of(fields, name).any(|v| !v.trim().is_empty()))
}

/// The last `_lp_t` decides; a value that is not a whole number is not judged.
fn too_fast(settings: &SpamSettings, fields: &[(String, String)]) -> bool {
    let Some(raw) = values_of(fields, FILL_TIME_FIELD).last() else {
        return false;
    };
    let raw = raw.trim();
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    // Too many digits for a u64 is far slower than any minimum.
    raw.parse::<u64>()
        .is_ok_and(|ms| ms < u64::from(settings.min_fill_ms))
}

fn email_domain_blocked(settings: &SpamSettings, fields: &[(String, String)]) -> bool {
    if settings.blocked_email_domains.is_empty() {
        return false;
    }
    values_of(fields, "email").any(|email| {
        let Some((_, domain)) = email.trim().rsplit_once('@') else {
            return false;
        };
        let domain = domain.trim_end_matches('.').to_lowercase();
        settings.blocked_email_domains.iter().any(|blocked| {
            domain == *blocked
                || domain
                    .strip_suffix(blocked.as_str())
                    .is_some_and(|rest| rest.ends_with('.'))
        })
    })
}

fn word_blocked(settings: &SpamSettings, fields: &[(String, String)]) -> bool {
    if settings.blocked_words.is_empty() {
        return false;
    }
    let words: Vec<String> = settings
        .blocked_words
        .iter()
        .map(|w| w.to_lowercase())
        .collect();
    fields.iter().any(|(_, value)| {
        let value = value.to_lowercase();
        words.iter().any(|word| contains_whole_word(&value, word))
    })
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `word` occurs in `text` with no word character right before or after it.
fn contains_whole_word(text: &str, word: &str) -> bool {
    if word.is_empty() {
        return false;
    }
    text.match_indices(word).any(|(start, _)| {
        let end = start + word.len();
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        !before.is_some_and(is_word_char) && !after.is_some_and(is_word_char)
    })
}

fn ip_blocked(settings: &SpamSettings, client_ip: IpAddr) -> bool {
    let ip = client_ip.to_canonical();
    settings.blocked_ips.iter().any(|net| net.contains(&ip))
}

fn too_many_links(settings: &SpamSettings, fields: &[(String, String)]) -> bool {
    let Some(max) = settings.max_links else {
        return false;
    };
    let links: usize = fields
        .iter()
        .filter(|(name, _)| !REDIRECT_FIELDS.contains(&name.as_str()))
        .map(|(_, value)| count_links(value))
        .sum();
    links > max as usize
}

/// `http://` and `https://` occurrences, plus `www.` not right after `://`, in any case.
fn count_links(value: &str) -> usize {
    let value = value.to_ascii_lowercase();
    let schemes = value.matches("http://").count() + value.matches("https://").count();
    let bare_www = value
        .match_indices("www.")
        .filter(|(at, _)| !value[..*at].ends_with("://"))
        .count();
    schemes + bare_www
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    fn post(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn judged(settings: &SpamSettings, pairs: &[(&str, &str)]) -> Vec<SpamReason> {
        judge(settings, &post(pairs), LOOPBACK)
    }

    fn no_time_check() -> SpamSettings {
        SpamSettings {
            min_fill_ms: 0,
            ..SpamSettings::default()
        }
    }

    #[test]
    fn reasons_serialise_in_snake_case_and_sort_in_listed_order() {
        let mut reasons = vec![
            SpamReason::Manual,
            SpamReason::TooFast,
            SpamReason::Honeypot,
        ];
        reasons.sort();
        let json = serde_json::to_string(&reasons).expect("json");
        assert_eq!(json, r#"["honeypot","too_fast","manual"]"#);
        for reason in SpamReason::ALL {
            assert_eq!(SpamReason::from_name(reason.as_str()), Some(reason));
            assert_eq!(serde_json::to_value(reason).expect("json"), reason.as_str());
        }
    }

    #[test]
    fn each_reason_of_a_verdict_is_counted_in_the_metric() {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            count_spam(&[SpamReason::Honeypot, SpamReason::TooFast]);
            count_spam(&[SpamReason::Honeypot]);
        });
        let text = handle.render();
        assert!(
            text.contains(r#"leadpost_spam_total{reason="honeypot"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"leadpost_spam_total{reason="too_fast"} 1"#),
            "{text}"
        );
    }

    #[test]
    fn a_clean_post_is_not_spam() {
        let fields = [
            ("name", "Ann Lee"),
            ("email", "ann@example.com"),
            ("_lp_hp", ""),
        ];
        assert!(judged(&SpamSettings::default(), &fields).is_empty());
    }

    #[test]
    fn a_filled_honeypot_is_spam_and_a_blank_one_is_empty() {
        let settings = SpamSettings::default();
        assert_eq!(
            judged(&settings, &[("_lp_hp", "x")]),
            [SpamReason::Honeypot]
        );
        assert!(judged(&settings, &[("_lp_hp", "  \t")]).is_empty());
    }

    #[test]
    fn a_renamed_or_disabled_honeypot_follows_the_setting() {
        let renamed = SpamSettings {
            honeypot_field: Some("website".into()),
            ..SpamSettings::default()
        };
        assert!(judged(&renamed, &[("_lp_hp", "x")]).is_empty());
        assert_eq!(
            judged(&renamed, &[("website", "x")]),
            [SpamReason::Honeypot]
        );
        let off = SpamSettings {
            honeypot_field: None,
            ..SpamSettings::default()
        };
        assert!(judged(&off, &[("_lp_hp", "x")]).is_empty());
    }

    #[test]
    fn a_fill_time_under_the_minimum_is_too_fast() {
        let settings = SpamSettings::default();
        assert_eq!(
            judged(&settings, &[("_lp_t", "1499")]),
            [SpamReason::TooFast]
        );
        assert!(judged(&settings, &[("_lp_t", "1500")]).is_empty());
        assert!(judged(&settings, &[("name", "no timing")]).is_empty());
    }

    #[test]
    fn a_fill_time_that_is_not_a_whole_number_is_ignored() {
        let settings = SpamSettings::default();
        for raw in ["", "12.5", "-3", "+3", "soon", "0x10"] {
            assert!(judged(&settings, &[("_lp_t", raw)]).is_empty(), "{raw}");
        }
        assert!(judged(&settings, &[("_lp_t", "99999999999999999999999")]).is_empty());
    }

    #[test]
    fn a_blocked_email_domain_blocks_its_subdomains_in_any_case() {
        let settings = SpamSettings {
            blocked_email_domains: vec!["spam.example".into()],
            ..no_time_check()
        };
        let blocked = [SpamReason::BlockedEmailDomain];
        assert_eq!(judged(&settings, &[("email", "a@spam.example")]), blocked);
        assert_eq!(
            judged(&settings, &[("email", "a@Mail.SPAM.example")]),
            blocked
        );
        assert!(judged(&settings, &[("email", "a@notspam.example")]).is_empty());
        assert!(judged(&settings, &[("email", "a@spam.example.org")]).is_empty());
        assert!(judged(&settings, &[("notes", "a@spam.example")]).is_empty());
    }

    #[test]
    fn blocked_words_match_whole_words_in_any_case_in_any_value() {
        let settings = SpamSettings {
            blocked_words: vec!["casino".into(), "free money".into()],
            ..no_time_check()
        };
        let blocked = [SpamReason::BlockedWord];
        assert_eq!(judged(&settings, &[("notes", "Best CASINO!")]), blocked);
        assert_eq!(
            judged(&settings, &[("Custom", "get Free Money now")]),
            blocked
        );
        assert!(judged(&settings, &[("notes", "casinos and macasino")]).is_empty());
        assert!(judged(&settings, &[("notes", "casino_royale")]).is_empty());
    }

    #[test]
    fn blocked_ips_match_addresses_and_ranges_of_both_families() {
        let settings = SpamSettings {
            blocked_ips: vec![
                "192.0.2.0/24".parse().expect("net"),
                "2001:db8::/32".parse().expect("net"),
            ],
            ..no_time_check()
        };
        let check = |ip: &str| judge(&settings, &[], ip.parse().expect("ip"));
        assert_eq!(check("192.0.2.77"), [SpamReason::BlockedIp]);
        assert_eq!(check("::ffff:192.0.2.77"), [SpamReason::BlockedIp]);
        assert_eq!(check("2001:db8:1::5"), [SpamReason::BlockedIp]);
        assert!(check("198.51.100.1").is_empty());
        assert!(check("::1").is_empty());
    }

    #[test]
    fn links_are_counted_across_values_except_the_redirects() {
        let settings = SpamSettings {
            max_links: Some(1),
            ..no_time_check()
        };
        let one = [
            ("notes", "see https://www.a.example"),
            ("OnSuccessURL", "https://b.example"),
        ];
        assert!(judged(&settings, &one).is_empty());
        let two = [("notes", "http://a.example"), ("x", "WWW.b.example")];
        assert_eq!(judged(&settings, &two), [SpamReason::TooManyLinks]);
    }

    #[test]
    fn max_links_zero_allows_none_and_null_is_off() {
        let none = SpamSettings {
            max_links: Some(0),
            ..no_time_check()
        };
        assert_eq!(
            judged(&none, &[("n", "www.a.example")]),
            [SpamReason::TooManyLinks]
        );
        assert!(judged(&none, &[("n", "no links here")]).is_empty());
        let off = no_time_check();
        assert!(judged(&off, &[("n", "http://a http://b http://c")]).is_empty());
    }

    #[test]
    fn every_applying_reason_is_listed_in_order() {
        let settings = SpamSettings {
            blocked_words: vec!["viagra".into()],
            max_links: Some(0),
            ..SpamSettings::default()
        };
        let fields = [
            ("notes", "viagra http://x"),
            ("_lp_t", "5"),
            ("_lp_hp", "bot"),
        ];
        assert_eq!(
            judged(&settings, &fields),
            [
                SpamReason::Honeypot,
                SpamReason::TooFast,
                SpamReason::BlockedWord,
                SpamReason::TooManyLinks
            ]
        );
    }
}
