//! CAPTCHA verification, server-side: the post's token goes to the provider's verify URL with the
//! account's secret and the client's address. Every failure is a spam reason, never a refusal: a
//! missing token, a `success: false` or low score, or a provider that cannot be asked.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use serde::Deserialize;
use url::Url;

use super::control::CAPTCHA_TOKEN_FIELDS;
use super::rules::SpamReason;
use super::settings::{Captcha, CaptchaProvider};

/// Cloudflare Turnstile's documented verify URL.
pub const TURNSTILE_VERIFY_URL: &str = "https://challenges.cloudflare.com/turnstile/v0/siteverify";
/// hCaptcha's documented verify URL.
pub const HCAPTCHA_VERIFY_URL: &str = "https://api.hcaptcha.com/siteverify";
/// Google reCAPTCHA's documented verify URL.
pub const RECAPTCHA_VERIFY_URL: &str = "https://www.google.com/recaptcha/api/siteverify";
/// How long a provider has to answer.
pub const VERIFY_TIMEOUT: Duration = Duration::from_secs(5);

impl CaptchaProvider {
    /// The form field the provider's widget puts its token in.
    pub fn token_field(self) -> &'static str {
        let [turnstile, hcaptcha, recaptcha] = CAPTCHA_TOKEN_FIELDS;
        match self {
            CaptchaProvider::Turnstile => turnstile,
            CaptchaProvider::Hcaptcha => hcaptcha,
            CaptchaProvider::Recaptcha => recaptcha,
        }
    }
}

/// Where each provider is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyUrls {
    pub turnstile: Url,
    pub hcaptcha: Url,
    pub recaptcha: Url,
}

impl Default for VerifyUrls {
    fn default() -> Self {
        let documented = |raw: &str| Url::parse(raw).expect("a documented verify URL parses");
        VerifyUrls {
            turnstile: documented(TURNSTILE_VERIFY_URL),
            hcaptcha: documented(HCAPTCHA_VERIFY_URL),
            recaptcha: documented(RECAPTCHA_VERIFY_URL),
        }
    }
}

impl VerifyUrls {
    fn of(&self, provider: CaptchaProvider) -> &Url {
        match provider {
            CaptchaProvider::Turnstile => &self.turnstile,
            CaptchaProvider::Hcaptcha => &self.hcaptcha,
            CaptchaProvider::Recaptcha => &self.recaptcha,
        }
    }
}

/// What verification found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptchaOutcome {
    Passed,
    /// The post has no token.
    Missing,
    /// The provider said no, or scored the post too low.
    Failed,
    /// The provider answered with an error, nonsense or not in time.
    Unverified,
}

impl CaptchaOutcome {
    /// The spam reason this outcome adds, if any.
    pub fn reason(self) -> Option<SpamReason> {
        match self {
            CaptchaOutcome::Passed => None,
            CaptchaOutcome::Missing => Some(SpamReason::CaptchaMissing),
            CaptchaOutcome::Failed => Some(SpamReason::CaptchaFailed),
            CaptchaOutcome::Unverified => Some(SpamReason::CaptchaUnverified),
        }
    }
}

/// The part of a provider's answer that decides.
#[derive(Deserialize)]
struct ProviderAnswer {
    success: bool,
    score: Option<f64>,
}

/// Asks the providers about tokens.
#[derive(Debug, Clone)]
pub struct CaptchaVerifier {
    client: reqwest::Client,
    urls: VerifyUrls,
    timeout: Duration,
}

impl CaptchaVerifier {
    /// A verifier using `client`, asking `urls`, waiting at most [`VERIFY_TIMEOUT`].
    pub fn new(client: reqwest::Client, urls: VerifyUrls) -> Self {
        CaptchaVerifier {
            client,
            urls,
            timeout: VERIFY_TIMEOUT,
        }
    }

    /// The same verifier with another answer deadline.
    pub fn with_timeout(self, timeout: Duration) -> Self {
        CaptchaVerifier { timeout, ..self }
    }

    /// Verify the token a post carries (its last non-blank value of the provider's field).
    pub async fn verify(
        &self,
        captcha: &Captcha,
        fields: &[(String, String)],
        client_ip: IpAddr,
    ) -> CaptchaOutcome {
        let field = captcha.provider.token_field();
        let token = fields
            .iter()
            .filter(|(name, _)| name == field)
            .map(|(_, value)| value.trim())
            .rfind(|value| !value.is_empty());
        let Some(token) = token else {
            return CaptchaOutcome::Missing;
        };
        match self.ask(captcha, token, client_ip).await {
            Ok(answer) => judge_answer(captcha, &answer),
            Err(error) => {
                tracing::warn!(
                    provider = ?captcha.provider,
                    %error,
                    "CAPTCHA provider could not verify the token; the post is kept as spam"
                );
                CaptchaOutcome::Unverified
            }
        }
    }

    async fn ask(
        &self,
        captcha: &Captcha,
        token: &str,
        client_ip: IpAddr,
    ) -> Result<ProviderAnswer, VerifyError> {
        let remote_ip = client_ip.to_canonical().to_string();
        let form = serde_urlencoded::to_string([
            ("secret", captcha.secret.as_str()),
            ("response", token),
            ("remoteip", remote_ip.as_str()),
        ])
        .map_err(|e| VerifyError::Malformed(e.to_string()))?;
        let response = self
            .client
            .post(self.urls.of(captcha.provider).clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| VerifyError::Unreachable(e.without_url()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(VerifyError::Status(status));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| VerifyError::Unreachable(e.without_url()))?;
        serde_json::from_slice(&body).map_err(|e| VerifyError::Malformed(e.to_string()))
    }
}

/// Why a provider's verdict could not be had (logged; the post is `captcha_unverified`).
#[derive(Debug, thiserror::Error)]
enum VerifyError {
    #[error("request failed: {0}")]
    Unreachable(reqwest::Error),
    #[error("answered {0}")]
    Status(reqwest::StatusCode),
    #[error("answered something unreadable: {0}")]
    Malformed(String),
}

/// `success: false` fails; a reCAPTCHA score below `min_score` fails (equal passes); an answer
/// without a score is judged on `success` alone.
fn judge_answer(captcha: &Captcha, answer: &ProviderAnswer) -> CaptchaOutcome {
    let scored_low = captcha.provider == CaptchaProvider::Recaptcha
        && answer.score.is_some_and(|score| score < captcha.min_score);
    if answer.success && !scored_low {
        CaptchaOutcome::Passed
    } else {
        CaptchaOutcome::Failed
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::net::Ipv4Addr;
    use std::sync::{Arc, Mutex};

    use axum::routing::post;
    use axum::{Form, Json, Router, extract::State, http::StatusCode};
    use serde_json::{Value, json};

    use super::*;

    type Seen = Arc<Mutex<Vec<HashMap<String, String>>>>;

    /// A loopback provider: each path answers one way and every form it gets is kept.
    async fn provider() -> (String, Seen) {
        let seen: Seen = Arc::default();
        let answer = |reply: Value| {
            move |State(seen): State<Seen>, Form(form): Form<HashMap<String, String>>| async move {
                seen.lock().expect("lock").push(form);
                Json(reply)
            }
        };
        let app = Router::new()
            .route("/ok", post(answer(json!({"success": true}))))
            .route(
                "/no",
                post(answer(json!({"success": false, "error-codes": ["x"]}))),
            )
            .route("/low", post(answer(json!({"success": true, "score": 0.3}))))
            .route(
                "/equal",
                post(answer(json!({"success": true, "score": 0.5}))),
            )
            .route("/garbage", post(|| async { "<html>not json</html>" }))
            .route("/error", post(|| async { StatusCode::BAD_GATEWAY }))
            .route(
                "/silent",
                post(|| async {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    "late"
                }),
            )
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        (base, seen)
    }

    fn verifier(base: &str, path: &str) -> CaptchaVerifier {
        let url = Url::parse(&format!("{base}{path}")).expect("url");
        let urls = VerifyUrls {
            turnstile: url.clone(),
            hcaptcha: url.clone(),
            recaptcha: url,
        };
        CaptchaVerifier::new(reqwest::Client::new(), urls).with_timeout(Duration::from_millis(500))
    }

    fn captcha(provider: CaptchaProvider) -> Captcha {
        Captcha {
            provider,
            secret: "s3cret".into(),
            site_key: "site".into(),
            min_score: 0.5,
        }
    }

    fn token_post(provider: CaptchaProvider) -> Vec<(String, String)> {
        vec![
            ("email".into(), "ann@example.com".into()),
            (provider.token_field().into(), "tok-123".into()),
        ]
    }

    async fn outcome(path: &str, provider: CaptchaProvider) -> CaptchaOutcome {
        let (verifier, _) = provider_for(path).await;
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        verifier
            .verify(&captcha(provider), &token_post(provider), ip)
            .await
    }

    async fn provider_for(path: &str) -> (CaptchaVerifier, Seen) {
        let (base, seen) = provider().await;
        (verifier(&base, path), seen)
    }

    #[test]
    fn the_documented_urls_are_the_defaults() {
        let urls = VerifyUrls::default();
        assert_eq!(urls.turnstile.as_str(), TURNSTILE_VERIFY_URL);
        assert_eq!(urls.hcaptcha.as_str(), HCAPTCHA_VERIFY_URL);
        assert_eq!(urls.recaptcha.as_str(), RECAPTCHA_VERIFY_URL);
    }

    #[tokio::test]
    async fn the_provider_gets_secret_token_and_client_address_form_encoded() {
        let (verifier, seen) = provider_for("/ok").await;
        let provider = CaptchaProvider::Hcaptcha;
        let ip: IpAddr = "::ffff:127.0.0.1".parse().expect("ip");
        let outcome = verifier
            .verify(&captcha(provider), &token_post(provider), ip)
            .await;
        assert_eq!(outcome, CaptchaOutcome::Passed);
        let forms = seen.lock().expect("lock").clone();
        let expected: HashMap<String, String> = [
            ("secret", "s3cret"),
            ("response", "tok-123"),
            ("remoteip", "127.0.0.1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(forms, [expected]);
    }

    #[tokio::test]
    async fn a_post_without_a_token_is_captcha_missing_and_nobody_is_asked() {
        let (verifier, seen) = provider_for("/ok").await;
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let blank = vec![("cf-turnstile-response".to_string(), "  ".to_string())];
        let other_provider = token_post(CaptchaProvider::Recaptcha);
        let turnstile = captcha(CaptchaProvider::Turnstile);
        assert_eq!(
            verifier.verify(&turnstile, &blank, ip).await,
            CaptchaOutcome::Missing
        );
        let outcome = verifier.verify(&turnstile, &other_provider, ip).await;
        assert_eq!(outcome, CaptchaOutcome::Missing);
        assert!(seen.lock().expect("lock").is_empty());
    }

    #[test]
    fn each_failed_outcome_is_its_own_spam_reason() {
        assert_eq!(CaptchaOutcome::Passed.reason(), None);
        assert_eq!(
            CaptchaOutcome::Missing.reason(),
            Some(SpamReason::CaptchaMissing)
        );
        assert_eq!(
            CaptchaOutcome::Failed.reason(),
            Some(SpamReason::CaptchaFailed)
        );
        assert_eq!(
            CaptchaOutcome::Unverified.reason(),
            Some(SpamReason::CaptchaUnverified)
        );
    }

    #[tokio::test]
    async fn success_false_is_captcha_failed() {
        let outcome = outcome("/no", CaptchaProvider::Turnstile).await;
        assert_eq!(outcome, CaptchaOutcome::Failed);
    }

    #[tokio::test]
    async fn a_score_below_the_minimum_fails_and_an_equal_one_passes() {
        let low = outcome("/low", CaptchaProvider::Recaptcha).await;
        assert_eq!(low, CaptchaOutcome::Failed);
        let equal = outcome("/equal", CaptchaProvider::Recaptcha).await;
        assert_eq!(equal, CaptchaOutcome::Passed);
    }

    #[tokio::test]
    async fn an_answer_without_a_score_is_judged_on_success_alone() {
        let outcome = outcome("/ok", CaptchaProvider::Recaptcha).await;
        assert_eq!(outcome, CaptchaOutcome::Passed);
    }

    #[tokio::test]
    async fn an_error_status_is_captcha_unverified() {
        let outcome = outcome("/error", CaptchaProvider::Turnstile).await;
        assert_eq!(outcome, CaptchaOutcome::Unverified);
    }

    #[tokio::test]
    async fn a_malformed_answer_is_captcha_unverified() {
        let outcome = outcome("/garbage", CaptchaProvider::Hcaptcha).await;
        assert_eq!(outcome, CaptchaOutcome::Unverified);
    }

    #[tokio::test]
    async fn a_late_answer_is_captcha_unverified() {
        let outcome = outcome("/silent", CaptchaProvider::Turnstile).await;
        assert_eq!(outcome, CaptchaOutcome::Unverified);
    }
}
