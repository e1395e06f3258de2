//! Allowed origins: the `scheme://host[:port]` patterns an account or lead source accepts posts from
//! (`*.` matches subdomains only), where a post says it comes from (`Origin`, else `Referer`), and the
//! verdict. A refusal is not spam: the intake answers it as an error right after the web_key check.

use std::fmt;

use axum::http::HeaderMap;
use axum::http::header::{ORIGIN, REFERER};
use serde::{Deserialize, Serialize};
use url::{Host, Origin, Url};

/// One allowed origin, kept in lower case with its port made explicit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OriginPattern {
    scheme: String,
    /// The host, or for a `*.` pattern the domain whose subdomains match.
    host: String,
    subdomains: bool,
    port: u16,
    /// The pattern as given (trimmed, lower case), for read-back.
    text: String,
}

impl OriginPattern {
    /// Parse `scheme://host[:port]` or `scheme://*.domain[:port]`; http and https only.
    pub fn parse(raw: &str) -> Result<OriginPattern, String> {
        let refused = || "must be scheme://host[:port], e.g. https://*.example.com".to_string();
        let text = raw.trim().trim_end_matches('/').to_lowercase();
        let (scheme, rest) = text.split_once("://").ok_or_else(refused)?;
        if scheme != "http" && scheme != "https" {
            return Err("must start with http:// or https://".into());
        }
        let (subdomains, rest) = match rest.strip_prefix("*.") {
            Some(domain) => (true, domain),
            None => (false, rest),
        };
        if rest.is_empty() || rest.contains(['/', '?', '#', '@', '*', '\\']) {
            return Err(refused());
        }
        let url = Url::parse(&format!("{scheme}://{rest}")).map_err(|_| refused())?;
        let (host, port) = match url.origin() {
            Origin::Tuple(_, host, port) => (host, port),
            Origin::Opaque(_) => return Err(refused()),
        };
        if subdomains && !matches!(host, Host::Domain(_)) {
            return Err("a *. wildcard needs a domain name".into());
        }
        Ok(OriginPattern {
            scheme: scheme.to_string(),
            host: host.to_string(),
            subdomains,
            port,
            text,
        })
    }

    /// Whether a post from `origin` is allowed by this pattern.
    pub fn matches(&self, origin: &Origin) -> bool {
        let Origin::Tuple(scheme, host, port) = origin else {
            return false;
        };
        if *scheme != self.scheme || *port != self.port {
            return false;
        }
        let host = host.to_string();
        if self.subdomains {
            host.strip_suffix(self.host.as_str())
                .is_some_and(|rest| rest.len() > 1 && rest.ends_with('.'))
        } else {
            host == self.host
        }
    }
}

impl fmt::Display for OriginPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl TryFrom<String> for OriginPattern {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        OriginPattern::parse(&raw)
    }
}

impl From<OriginPattern> for String {
    fn from(pattern: OriginPattern) -> String {
        pattern.text
    }
}

/// Where a post says it comes from: its `Origin` (`null` counts as none), else the origin of its
/// `Referer`. A header that cannot be read gives an origin no pattern matches.
pub fn origin_of(headers: &HeaderMap) -> Option<Origin> {
    let header = |name| {
        headers
            .get(name)
            .map(|v| v.to_str().map(str::trim).unwrap_or_default())
    };
    let origin = header(ORIGIN).filter(|v| !v.eq_ignore_ascii_case("null"));
    let raw = origin.or_else(|| header(REFERER))?;
    Some(
        Url::parse(raw)
            .map(|url| url.origin())
            .unwrap_or_else(|_| Origin::new_opaque()),
    )
}

/// The verdict on a post's origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginCheck {
    Allowed,
    /// ct107 "Origin not allowed", 403.
    Refused,
}

/// The origin rules that apply to one post.
#[derive(Debug, Clone, Copy)]
pub struct OriginPolicy<'a> {
    pub patterns: &'a [OriginPattern],
    pub require_origin: bool,
}

impl<'a> OriginPolicy<'a> {
    /// The account's rules, each replaced by the lead source's when the source's is set (an empty
    /// list included).
    pub fn resolve(
        account_patterns: &'a [OriginPattern],
        account_require_origin: bool,
        source_patterns: Option<&'a [OriginPattern]>,
        source_require_origin: Option<bool>,
    ) -> OriginPolicy<'a> {
        OriginPolicy {
            patterns: source_patterns.unwrap_or(account_patterns),
            require_origin: source_require_origin.unwrap_or(account_require_origin),
        }
    }

    /// The verdict on a post with these headers. An empty list allows any origin; a post with none
    /// passes unless one is required.
    pub fn check(&self, headers: &HeaderMap) -> OriginCheck {
        check(self.patterns, self.require_origin, headers)
    }
}

/// The verdict on a post with these headers under `patterns` and `require_origin`.
pub fn check(patterns: &[OriginPattern], require_origin: bool, headers: &HeaderMap) -> OriginCheck {
    let allowed = match origin_of(headers) {
        None => !require_origin,
        Some(origin) => patterns.is_empty() || patterns.iter().any(|p| p.matches(&origin)),
    };
    if allowed {
        OriginCheck::Allowed
    } else {
        OriginCheck::Refused
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn pattern(raw: &str) -> OriginPattern {
        OriginPattern::parse(raw).expect("valid pattern")
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).expect("header"));
        }
        map
    }

    fn verdict(patterns: &[&str], require: bool, pairs: &[(&'static str, &str)]) -> OriginCheck {
        let patterns: Vec<_> = patterns.iter().map(|p| pattern(p)).collect();
        check(&patterns, require, &headers(pairs))
    }

    fn allows(raw: &str, origin: &str) -> bool {
        let origin = Url::parse(origin).expect("url").origin();
        pattern(raw).matches(&origin)
    }

    #[test]
    fn exact_patterns_match_scheme_host_and_port_in_any_case() {
        assert!(allows("https://Example.com", "https://example.COM"));
        assert!(allows("https://example.com", "https://example.com:443"));
        assert!(allows("http://localhost:8080/", "http://localhost:8080"));
        assert!(!allows("https://example.com", "http://example.com"));
        assert!(!allows("https://example.com", "https://example.com:8443"));
        assert!(!allows("https://example.com", "https://www.example.com"));
    }

    #[test]
    fn a_wildcard_matches_subdomains_only() {
        assert!(allows("https://*.example.com", "https://www.example.com"));
        assert!(allows("https://*.example.com", "https://a.b.example.com"));
        assert!(!allows("https://*.example.com", "https://example.com"));
        assert!(!allows("https://*.example.com", "https://badexample.com"));
    }

    #[test]
    fn patterns_read_back_as_given_in_lower_case() {
        let json = serde_json::to_value(pattern("HTTPS://*.Example.com:8443")).expect("json");
        assert_eq!(json, "https://*.example.com:8443");
        let back: OriginPattern = serde_json::from_value(json).expect("pattern");
        assert_eq!(back, pattern("https://*.example.com:8443"));
    }

    #[test]
    fn malformed_patterns_are_refused() {
        for raw in [
            "example.com",
            "ftp://example.com",
            "https://",
            "https://example.com/path",
            "https://*.",
            "https://a.*.example.com",
            "https://user@example.com",
            "https://example.com:99999",
        ] {
            assert!(OriginPattern::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn the_origin_header_decides_before_the_referer() {
        let listed = ["https://shop.example"];
        let from_shop = [
            ("origin", "https://shop.example"),
            ("referer", "https://x.example/"),
        ];
        assert_eq!(verdict(&listed, false, &from_shop), OriginCheck::Allowed);
        let elsewhere = [
            ("origin", "https://x.example"),
            ("referer", "https://shop.example/"),
        ];
        assert_eq!(verdict(&listed, false, &elsewhere), OriginCheck::Refused);
    }

    #[test]
    fn a_null_origin_leaves_the_decision_to_the_referer() {
        let listed = ["https://shop.example"];
        let pairs = [
            ("origin", "null"),
            ("referer", "https://shop.example/form?x=1"),
        ];
        assert_eq!(verdict(&listed, true, &pairs), OriginCheck::Allowed);
        assert_eq!(
            verdict(&listed, true, &[("origin", "null")]),
            OriginCheck::Refused
        );
    }

    #[test]
    fn a_post_without_either_header_passes_unless_an_origin_is_required() {
        assert_eq!(
            verdict(&["https://a.example"], false, &[]),
            OriginCheck::Allowed
        );
        assert_eq!(
            verdict(&["https://a.example"], true, &[]),
            OriginCheck::Refused
        );
    }

    #[test]
    fn an_empty_list_allows_any_origin_but_may_still_require_one() {
        let any = [("origin", "https://anything.example")];
        assert_eq!(verdict(&[], true, &any), OriginCheck::Allowed);
        assert_eq!(verdict(&[], true, &[]), OriginCheck::Refused);
    }

    #[test]
    fn an_unreadable_origin_matches_no_pattern() {
        let pairs = [("origin", "not a url")];
        assert_eq!(
            verdict(&["https://a.example"], false, &pairs),
            OriginCheck::Refused
        );
    }

    #[test]
    fn a_lead_source_setting_replaces_the_account_one_when_set() {
        let account = [pattern("https://a.example")];
        let source: [OriginPattern; 0] = [];
        let inherited = OriginPolicy::resolve(&account, true, None, None);
        assert_eq!(inherited.patterns, &account);
        assert!(inherited.require_origin);
        let replaced = OriginPolicy::resolve(&account, true, Some(&source), Some(false));
        assert!(replaced.patterns.is_empty());
        assert!(!replaced.require_origin);
    }
}
