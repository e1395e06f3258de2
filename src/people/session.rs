//! Console sessions: the `lp_session` cookie, when a session ends, its CSRF token and the `Origin`
//! rule, all as pure functions the console and the admin API call.
//!
//! CSRF: each session gets its own random [`CsrfToken`], stored with the session (in plain: it is put
//! in every form, and without the cookie it opens nothing). A random token rather than an HMAC of the
//! session id means no server key to configure, share between instances or rotate, and it dies with
//! the session.

use axum::http::Method;
use time::{Duration, OffsetDateTime};
use url::Url;

use super::secrets::{CsrfToken, SessionId};

/// The session cookie's name.
pub const COOKIE_NAME: &str = "lp_session";

/// A session seen again within this long is not written back: at most one store write a minute per
/// session, at the cost of the idle limit being up to a minute generous.
const TOUCH_INTERVAL: Duration = Duration::minutes(1);

/// The cookie's attributes after its value: never readable by scripts, sent on top-level navigation
/// from other sites but not on their cross-site posts, valid for every path.
fn cookie_attributes(max_age_seconds: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("Max-Age={max_age_seconds}; Path=/; HttpOnly; SameSite=Lax{secure}")
}

/// The `Set-Cookie` value that starts a session: lives `max_age` (rounded down to whole seconds,
/// never below zero), `Secure` when `secure`.
pub fn session_cookie(id: &SessionId, max_age: Duration, secure: bool) -> String {
    let seconds = max_age.whole_seconds().max(0);
    format!(
        "{COOKIE_NAME}={}; {}",
        id.expose(),
        cookie_attributes(seconds, secure)
    )
}

/// The `Set-Cookie` value that removes the session cookie from the browser (at logout).
pub fn cleared_session_cookie(secure: bool) -> String {
    format!("{COOKIE_NAME}=; {}", cookie_attributes(0, secure))
}

/// Whether the cookie must be `Secure`: when the service's public URL is https.
pub fn cookie_is_secure(public_url: Option<&Url>) -> bool {
    public_url.is_some_and(|url| url.scheme() == "https")
}

/// The session id in a `Cookie` request header: the first `lp_session` value shaped like one.
pub fn session_id_from_cookies(cookie_header: &str) -> Option<SessionId> {
    cookie_header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == COOKIE_NAME)
        .find_map(|(_, value)| SessionId::parse(value.trim_matches('"')).ok())
}

/// How long a session lasts: `idle` after it was last used, and `absolute` after it began, whichever
/// comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// Longest time between two uses.
    pub idle: Duration,
    /// Longest life from login.
    pub absolute: Duration,
}

impl SessionLimits {
    /// Limits of `idle_seconds` and `max_seconds` (as configured, e.g. for tests).
    pub fn from_seconds(idle_seconds: u64, max_seconds: u64) -> Self {
        let seconds = |s: u64| Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX));
        Self {
            idle: seconds(idle_seconds),
            absolute: seconds(max_seconds),
        }
    }
}

impl Default for SessionLimits {
    /// Idle 14 days, absolute 30 days.
    fn default() -> Self {
        Self {
            idle: Duration::days(14),
            absolute: Duration::days(30),
        }
    }
}

/// When a session began and when it was last used: all its expiry depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionClock {
    /// Login time.
    pub created_at: OffsetDateTime,
    /// Last request made with it.
    pub last_seen_at: OffsetDateTime,
}

impl SessionClock {
    /// A session that begins at `now`.
    pub fn started(now: OffsetDateTime) -> Self {
        Self {
            created_at: now,
            last_seen_at: now,
        }
    }

    /// When it ends unless used again: the idle limit after its last use, or the absolute limit
    /// after login, whichever is sooner.
    pub fn expires_at(&self, limits: SessionLimits) -> OffsetDateTime {
        let idle_end = self.last_seen_at.saturating_add(limits.idle);
        let absolute_end = self.created_at.saturating_add(limits.absolute);
        idle_end.min(absolute_end)
    }

    /// Whether it still opens the console at `now`.
    pub fn is_live(&self, limits: SessionLimits, now: OffsetDateTime) -> bool {
        now < self.expires_at(limits)
    }

    /// The clock after a use at `now`.
    pub fn seen(self, now: OffsetDateTime) -> Self {
        Self {
            last_seen_at: now.max(self.last_seen_at),
            ..self
        }
    }

    /// Whether a use at `now` should be written to the store (not when the last one recorded is
    /// under a minute old).
    pub fn use_worth_recording(&self, now: OffsetDateTime) -> bool {
        now - self.last_seen_at >= TOUCH_INTERVAL
    }

    /// The cookie's `Max-Age` for a session set or renewed at `now`: what remains of its absolute
    /// life (the idle limit is the store's to enforce).
    pub fn cookie_max_age(&self, limits: SessionLimits, now: OffsetDateTime) -> Duration {
        self.created_at.saturating_add(limits.absolute) - now
    }
}

/// Whether a state-changing request carried its session's CSRF token (form field `csrf_token` or
/// header `X-CSRF-Token`), compared in constant time.
pub fn csrf_token_valid(expected: &CsrfToken, presented: Option<&str>) -> bool {
    presented
        .is_some_and(|given| CsrfToken::parse(given).is_ok_and(|t| t.matches(&expected.hash())))
}

/// The `Origin` rule: a write (any method but GET, HEAD, OPTIONS and TRACE) whose `Origin` header is
/// present must come from this service's own origin: `public_url`'s when set, else `http://` + the
/// request's `Host`. An `Origin` of `null` or one that does not parse is foreign. Reads, and requests
/// without `Origin`, pass (the CSRF token guards those writes).
pub fn origin_allowed(
    method: &Method,
    origin: Option<&str>,
    host: Option<&str>,
    public_url: Option<&Url>,
) -> bool {
    if method.is_safe() {
        return true;
    }
    let Some(origin) = origin else {
        return true;
    };
    let own = match public_url {
        Some(url) => origin_of(url.as_str()),
        None => host.and_then(|host| origin_of(&format!("http://{host}"))),
    };
    match (own, origin_of(origin)) {
        (Some(own), Some(given)) => own == given,
        _ => false,
    }
}

/// The serialized origin (`scheme://host[:port]`, lower case, default port left out) of an http or
/// https URL that names nothing but an origin and perhaps a path; `None` for anything else.
fn origin_of(s: &str) -> Option<String> {
    let url = Url::parse(s).ok()?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.has_host()
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none();
    plain.then(|| url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::seconds(seconds)
    }

    const DAY: i64 = 86_400;

    #[test]
    fn the_session_cookie_is_http_only_lax_and_site_wide() {
        let id = SessionId::generate().unwrap();
        let cookie = session_cookie(&id, Duration::days(30), false);
        assert_eq!(
            cookie,
            format!(
                "lp_session={}; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax",
                id.expose()
            )
        );
    }

    #[test]
    fn the_cookie_is_secure_under_an_https_public_url() {
        let id = SessionId::generate().unwrap();
        let https = Url::parse("https://leads.example.com").ok();
        let secure = cookie_is_secure(https.as_ref());
        assert!(secure);
        assert!(session_cookie(&id, Duration::days(1), secure).ends_with("; Secure"));
    }

    #[test]
    fn the_cookie_is_not_secure_over_plain_http_or_without_a_public_url() {
        let http = Url::parse("http://leads.example.com").ok();
        assert!(!cookie_is_secure(http.as_ref()));
        assert!(!cookie_is_secure(None));
    }

    #[test]
    fn clearing_the_cookie_empties_it_and_expires_it_now() {
        assert_eq!(
            cleared_session_cookie(true),
            "lp_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
    }

    #[test]
    fn the_session_id_is_found_among_other_cookies() {
        let id = SessionId::generate().unwrap();
        let header = format!("theme=dark; lp_session={}; lang=en", id.expose());
        let found = session_id_from_cookies(&header).unwrap();
        assert_eq!(found.expose(), id.expose());
    }

    #[test]
    fn a_malformed_session_cookie_is_no_session() {
        assert!(session_id_from_cookies("lp_session=abc").is_none());
        assert!(session_id_from_cookies("other=1").is_none());
        assert!(session_id_from_cookies("").is_none());
    }

    #[test]
    fn the_default_limits_are_14_days_idle_and_30_days_absolute() {
        let limits = SessionLimits::default();
        assert_eq!(limits, SessionLimits::from_seconds(1_209_600, 2_592_000));
    }

    #[test]
    fn a_session_unused_for_the_idle_limit_has_ended() {
        let clock = SessionClock::started(at(0));
        let limits = SessionLimits::default();
        assert!(clock.is_live(limits, at(14 * DAY - 1)));
        assert!(!clock.is_live(limits, at(14 * DAY)));
    }

    #[test]
    fn using_a_session_pushes_its_idle_end_back() {
        let clock = SessionClock::started(at(0)).seen(at(10 * DAY));
        assert!(clock.is_live(SessionLimits::default(), at(20 * DAY)));
    }

    #[test]
    fn a_session_ends_at_the_absolute_limit_however_often_used() {
        let limits = SessionLimits::default();
        let clock = SessionClock::started(at(0)).seen(at(29 * DAY));
        assert_eq!(clock.expires_at(limits), at(30 * DAY));
        assert!(!clock.is_live(limits, at(30 * DAY)));
    }

    #[test]
    fn a_use_under_a_minute_after_the_last_is_not_recorded() {
        let clock = SessionClock::started(at(0));
        assert!(!clock.use_worth_recording(at(59)));
        assert!(clock.use_worth_recording(at(60)));
    }

    #[test]
    fn the_cookie_lives_as_long_as_the_absolute_limit_leaves() {
        let clock = SessionClock::started(at(0));
        let max_age = clock.cookie_max_age(SessionLimits::default(), at(DAY));
        assert_eq!(max_age, Duration::days(29));
    }

    #[test]
    fn the_sessions_own_csrf_token_passes() {
        let token = CsrfToken::generate().unwrap();
        assert!(csrf_token_valid(&token, Some(token.expose())));
    }

    #[test]
    fn a_missing_or_wrong_csrf_token_fails() {
        let token = CsrfToken::generate().unwrap();
        let other = CsrfToken::generate().unwrap();
        assert!(!csrf_token_valid(&token, None));
        assert!(!csrf_token_valid(&token, Some("")));
        assert!(!csrf_token_valid(&token, Some(other.expose())));
    }

    fn public(url: &str) -> Option<Url> {
        Url::parse(url).ok()
    }

    #[test]
    fn a_write_from_the_public_urls_origin_passes() {
        let url = public("https://leads.example.com/base/");
        let origin = Some("https://LEADS.example.com:443");
        assert!(origin_allowed(
            &Method::POST,
            origin,
            Some("other"),
            url.as_ref()
        ));
    }

    #[test]
    fn a_write_from_a_foreign_origin_is_refused() {
        let url = public("https://leads.example.com");
        for origin in [
            "https://evil.example.com",
            "http://leads.example.com",
            "https://leads.example.com:8443",
            "null",
            "not a url",
        ] {
            for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
                assert!(
                    !origin_allowed(&method, Some(origin), None, url.as_ref()),
                    "{method} {origin}"
                );
            }
        }
    }

    #[test]
    fn without_a_public_url_the_own_origin_is_http_and_the_host() {
        let host = Some("localhost:8080");
        let post = &Method::POST;
        assert!(origin_allowed(
            post,
            Some("http://localhost:8080"),
            host,
            None
        ));
        assert!(!origin_allowed(
            post,
            Some("https://localhost:8080"),
            host,
            None
        ));
        assert!(!origin_allowed(
            post,
            Some("http://localhost:9090"),
            host,
            None
        ));
    }

    #[test]
    fn a_write_with_an_origin_but_no_host_to_compare_is_refused() {
        assert!(!origin_allowed(
            &Method::POST,
            Some("http://localhost"),
            None,
            None
        ));
    }

    #[test]
    fn a_write_without_an_origin_passes() {
        assert!(origin_allowed(&Method::POST, None, Some("localhost"), None));
    }

    #[test]
    fn reads_pass_whatever_their_origin() {
        for method in [Method::GET, Method::HEAD, Method::OPTIONS] {
            assert!(origin_allowed(
                &method,
                Some("https://evil.example.com"),
                None,
                None
            ));
        }
    }
}
