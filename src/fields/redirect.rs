//! `OnSuccessURL` / `OnErrorURL`.

use url::Url;

use super::FieldError;

/// Longest redirect URL accepted (it becomes a `Location` header).
pub const REDIRECT_URL_MAX: usize = 2048;

/// An absolute `http`/`https` URL with a host, safe to put in a `Location` header as serialized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUrl(Url);

impl RedirectUrl {
    /// Accept an `http://` or `https://` URL; a URL without a scheme (`example.com/thanks`,
    /// `localhost:8080/x`, `//host/x`) gets `https:` in front. Any other scheme, a path alone
    /// (`/thanks`), a control character anywhere, or no host: refused.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        if s.len() > REDIRECT_URL_MAX {
            return Err(FieldError::new(format!(
                "must be at most {REDIRECT_URL_MAX} characters"
            )));
        }
        Self::absolute(s.trim())
            .and_then(|text| Url::parse(&text).ok())
            .filter(|url| {
                matches!(url.scheme(), "http" | "https")
                    && url.host_str().is_some_and(|host| !host.is_empty())
            })
            .map(Self)
            .ok_or_else(|| FieldError::new("must be an http:// or https:// URL"))
    }

    /// The text to parse as an absolute URL, or `None` when `s` is refused before parsing.
    fn absolute(s: &str) -> Option<String> {
        if s.chars().any(|c| c.is_ascii_control()) {
            return None;
        }
        if let Some((scheme, rest)) = s.split_once(':') {
            let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            if is_scheme {
                if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") {
                    return Some(s.to_owned());
                }
                // `host:port/...` looks like a scheme but is not one.
                if !rest.starts_with(|c: char| c.is_ascii_digit()) {
                    return None;
                }
            }
        }
        if s.starts_with("//") {
            Some(format!("https:{s}"))
        } else if s.starts_with('/') {
            None
        } else {
            Some(format!("https://{s}"))
        }
    }

    /// The URL, serialized (ASCII, percent-encoded).
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// A copy with `error_Code=<code>&msg=<msg>` added to the query (form-encoded; the existing
    /// query kept, the `#fragment` kept after it).
    pub fn with_error(&self, code: &str, msg: &str) -> String {
        let mut url = self.0.clone();
        url.query_pairs_mut()
            .append_pair("error_Code", code)
            .append_pair("msg", msg);
        url.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_over_2048_characters_is_refused() {
        let at_limit = format!("https://example.com/{}", "a".repeat(2048 - 20));
        assert!(RedirectUrl::parse(&at_limit).is_ok());
        assert!(RedirectUrl::parse(&format!("{at_limit}a")).is_err());
    }

    fn parsed(s: &str) -> String {
        RedirectUrl::parse(s).unwrap().as_str().to_owned()
    }

    #[test]
    fn http_and_https_urls_are_accepted() {
        assert_eq!(
            parsed("https://example.com/thanks?a=1"),
            "https://example.com/thanks?a=1"
        );
        assert_eq!(parsed("HTTP://Example.com/x"), "http://example.com/x");
        assert_eq!(parsed("HtTpS://example.com"), "https://example.com/");
    }

    #[test]
    fn schemeless_url_gets_https() {
        assert_eq!(parsed("example.com/thanks"), "https://example.com/thanks");
        assert_eq!(parsed("//example.com/x"), "https://example.com/x");
    }

    #[test]
    fn host_and_port_without_scheme_gets_https() {
        assert_eq!(parsed("localhost:8080/ok"), "https://localhost:8080/ok");
        assert_eq!(parsed("example.com:8443/x"), "https://example.com:8443/x");
    }

    #[test]
    fn other_schemes_are_refused() {
        for bad in [
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            "data:text/html,x",
            "ftp://example.com/x",
            "mailto:a@example.com",
            "vbscript:msgbox",
        ] {
            let err = RedirectUrl::parse(bad).unwrap_err();
            assert_eq!(
                err.to_string(),
                "must be an http:// or https:// URL",
                "{bad}"
            );
        }
    }

    #[test]
    fn path_alone_is_refused() {
        assert!(RedirectUrl::parse("/thanks").is_err());
    }

    #[test]
    fn control_characters_are_refused() {
        for bad in [
            "https://a.com/x\r\nSet-Cookie: y",
            "https://a.com/x\ny",
            "https://a.com/\tx",
            "java\tscript:alert(1)",
            "https://a.com/\0",
        ] {
            assert!(RedirectUrl::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn url_without_host_is_refused() {
        for bad in ["", "https://", "http:///", "https://:80/x", "a b c"] {
            assert!(RedirectUrl::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn with_error_keeps_query_and_fragment() {
        let url = RedirectUrl::parse("https://a.com/e?x=1#top").unwrap();
        assert_eq!(
            url.with_error("ct101", "Invalid Web_Key"),
            "https://a.com/e?x=1&error_Code=ct101&msg=Invalid+Web_Key#top"
        );
        assert_eq!(url.as_str(), "https://a.com/e?x=1#top");
    }

    #[test]
    fn with_error_starts_a_query_when_there_is_none() {
        let url = RedirectUrl::parse("example.com/oops").unwrap();
        assert_eq!(
            url.with_error("ct102", "Name Not Received"),
            "https://example.com/oops?error_Code=ct102&msg=Name+Not+Received"
        );
    }

    #[test]
    fn with_error_encodes_the_message() {
        let url = RedirectUrl::parse("https://a.com/e").unwrap();
        assert_eq!(
            url.with_error("ct104", "a&b=c<d>\r\n"),
            "https://a.com/e?error_Code=ct104&msg=a%26b%3Dc%3Cd%3E%0D%0A"
        );
    }
}
