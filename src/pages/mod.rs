//! The browser side: the page at `/` (a form to copy with its live preview first,
//! then the other ways to post and the protocol), and the hosted `/thanks` and
//! `/oops` pages. Server-rendered from minijinja templates built into the binary
//! (HTML auto-escaped), with inline CSS and no external assets.

use std::sync::LazyLock;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{AutoEscape, Environment, Error, Output, State as RenderState, Value, context};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub mod hosted;

use crate::config::Settings;
use crate::demo::{DEMO_LEAD_SOURCE_KEY, DEMO_WEB_KEY};
use crate::state::AppState;

/// The templates, by name (`.html`: auto-escaped).
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("home.html", include_str!("templates/home.html")),
    ("thanks.html", include_str!("templates/thanks.html")),
    ("oops.html", include_str!("templates/oops.html")),
    ("account.html", include_str!("templates/account.html")),
    ("website.html", include_str!("templates/website.html")),
    (
        "snippets/simple_form.html",
        include_str!("templates/snippets/simple_form.html"),
    ),
    (
        "snippets/async_form.html",
        include_str!("templates/snippets/async_form.html"),
    ),
    (
        "snippets/embed.html",
        include_str!("templates/snippets/embed.html"),
    ),
    (
        "snippets/spam_fields.html",
        include_str!("templates/snippets/spam_fields.html"),
    ),
    (
        "snippets/before_send.js",
        include_str!("templates/snippets/before_send.js"),
    ),
];

/// The web_key shown on `/` when demo mode is off.
pub const PLACEHOLDER_WEB_KEY: &str = "YOUR_WEB_KEY";

/// Longest `msg` / `error_Code` the error page shows.
const MAX_SHOWN_CHARS: usize = 500;

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_formatter(html_formatter);
    for (name, source) in TEMPLATES {
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(template = name, error = %e, "a page template does not parse");
        }
    }
    env
});

/// HTML escaping of `& < > " '` only: unlike minijinja's default it leaves `/`
/// alone, so the code people copy from the page reads `https://...`.
fn html_formatter(
    out: &mut Output<'_>,
    state: &RenderState<'_, '_>,
    value: &Value,
) -> Result<(), Error> {
    let plain = value.is_safe()
        || value.is_undefined()
        || value.is_none()
        || matches!(state.auto_escape(), AutoEscape::None);
    if plain {
        return minijinja::escape_formatter(out, state, value);
    }
    let text = value.to_string();
    out.write_str(&html_escape::encode_quoted_attribute(&text))
        .map_err(Error::from)
}

/// The routes of the pages.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(home))
        .routes(routes!(thanks))
        .routes(routes!(oops))
}

/// Whether `/` is served: in demo mode, or when `pages.show_home` is set.
pub fn home_visible(settings: &Settings) -> bool {
    settings.demo.enabled || settings.pages.show_home
}

/// The base URL browsers use: the configured public URL, else `http://` + the
/// request's `Host` (when it is a plain `host[:port]`), else `http://localhost`.
pub fn base_url(settings: &Settings, headers: &HeaderMap) -> String {
    if let Some(url) = settings.server.public_url() {
        return url.to_string();
    }
    headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|host| is_plain_authority(host))
        .map_or_else(
            || "http://localhost".to_string(),
            |host| format!("http://{host}"),
        )
}

/// `host`, `host:port`, `[v6]:port`: nothing that could smuggle a path, user or query.
fn is_plain_authority(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        && host.parse::<axum::http::uri::Authority>().is_ok()
}

/// The example commands and forms of `/`, for a service at `base` and the given key
/// (in demo mode, the demo lead source's key, so that demo leads show a lead source).
pub fn render_home(base: &str, web_key: &str, demo: bool) -> Result<String, minijinja::Error> {
    let endpoint = format!("{base}{}", crate::intake::PATH);
    let snippet = |name: &str| {
        ENV.get_template(name)?.render(context! {
            base => base,
            endpoint => &endpoint,
            web_key => web_key,
        })
    };
    let simple_form = snippet("snippets/simple_form.html")?;
    let async_form = snippet("snippets/async_form.html")?;
    let embed = render_embed(&EmbedOptions::home(base, web_key))?;
    let curl = format!(
        "curl -i {endpoint} \\\n  -d web_key={web_key} -d firstName=Ann -d lastName=Lee \\\n  \
         -d phone=8015551234 -d email=ann@example.com \\\n  \
         --data-urlencode 'Favorite Chocolate=Dark' -d tag=vip -d notes='Call after 5'"
    );
    ENV.get_template("home.html")?.render(context! {
        demo => demo,
        web_key => web_key,
        account_web_key => DEMO_WEB_KEY,
        endpoint => &endpoint,
        curl => curl,
        simple_form_live => Value::from_safe_string(simple_form.clone()),
        simple_form_code => simple_form.trim_end(),
        async_form_live => Value::from_safe_string(async_form.clone()),
        async_form_code => async_form.trim_end(),
        embed_live => Value::from_safe_string(embed.clone()),
        embed_code => embed.trim_end(),
    })
}

/// What an embed snippet holds: the service's base URL, the key, the optional inputs (form names;
/// first and last name are always there) and the visitor's landing pages (the hosted ones when
/// `None`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct EmbedOptions {
    pub base: String,
    pub web_key: String,
    pub fields: Vec<&'static str>,
    pub success_url: Option<String>,
    pub error_url: Option<String>,
}

/// The optional inputs an embed snippet may carry (form name, label), in the order shown.
pub const EMBED_FIELDS: &[(&str, &str)] = &[
    ("phone", "Phone"),
    ("email", "Email"),
    ("compName", "Company"),
    ("address", "Street address"),
    ("city", "City"),
    ("state", "State"),
    ("zip", "ZIP code"),
    ("notes", "Message"),
];

impl EmbedOptions {
    /// The snippet the page at `/` shows.
    pub fn home(base: &str, web_key: &str) -> Self {
        EmbedOptions {
            base: base.to_string(),
            web_key: web_key.to_string(),
            fields: vec!["phone", "email", "notes"],
            success_url: None,
            error_url: None,
        }
    }
}

/// The embed snippet (HTML with its style and script) for these options.
pub fn render_embed(options: &EmbedOptions) -> Result<String, minijinja::Error> {
    let endpoint = format!("{}{}", options.base, crate::intake::PATH);
    ENV.get_template("snippets/embed.html")?.render(context! {
        base => &options.base,
        endpoint => endpoint,
        web_key => &options.web_key,
        fields => &options.fields,
        success_url => &options.success_url,
        error_url => &options.error_url,
    })
}

/// `GET /`: the endpoint explained, with working examples (404 when hidden).
#[utoipa::path(get, path = "/", tag = "pages",
    responses((status = 200, description = "The demo page", content_type = "text/html", body = String),
              (status = 404, description = "Demo mode is off and pages.show_home is not set")))]
async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let settings = &state.settings;
    if !home_visible(settings) {
        return (
            StatusCode::NOT_FOUND,
            "Not found. The page at / is shown in demo mode (leadpost serve --demo) or with pages.show_home.",
        )
            .into_response();
    }
    let demo = settings.demo.enabled;
    let web_key = if demo {
        DEMO_LEAD_SOURCE_KEY
    } else {
        PLACEHOLDER_WEB_KEY
    };
    page(render_home(&base_url(settings, &headers), web_key, demo))
}

/// `GET /thanks`: the hosted success page.
#[utoipa::path(get, path = "/thanks", tag = "pages",
    params(("a" = Option<String>, Query, description = "The account id the page names")),
    responses((status = 200, description = "The hosted thank-you page", content_type = "text/html", body = String)))]
async fn thanks(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let account = hosted::lookup(
        state.store.as_ref(),
        hosted::account_param(query.as_deref()),
    )
    .await;
    framed_page(
        ENV.get_template("thanks.html").and_then(|t| {
            t.render(context! {
                home => home_visible(&state.settings),
                display_name => account.display_name,
                website_url => account.website_url,
            })
        }),
        &account.frame_ancestors,
    )
}

/// `GET /oops?error_Code=&msg=`: the hosted error page. It shows the code and that
/// code's own message, never the text it was sent (anyone can link here with any text).
#[utoipa::path(get, path = "/oops", tag = "pages",
    params(("a" = Option<String>, Query, description = "The account id the page names"),
           ("error_Code" = Option<String>, Query, description = "The error code, e.g. ct101"),
           ("msg" = Option<String>, Query, description = "The error message (not shown: the page shows the code's own message)")),
    responses((status = 200, description = "The hosted error page", content_type = "text/html", body = String)))]
async fn oops(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let account = hosted::lookup(
        state.store.as_ref(),
        hosted::account_param(query.as_deref()),
    )
    .await;
    let mut code = String::new();
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if name == "error_Code" {
            code = shorten(&value);
        }
    }
    let (heading, hint) = wording_for(&code);
    let msg = own_message(&code);
    framed_page(
        ENV.get_template("oops.html").and_then(|t| {
            t.render(context! {
                returning => is_returning(&code),
                heading => heading,
                code => code,
                msg => msg,
                hint => hint,
                home => home_visible(&state.settings),
                display_name => account.display_name,
                website_url => account.website_url,
            })
        }),
        &account.frame_ancestors,
    )
}

/// Whether the code says the visitor is already known (ct103): not an error for them
/// (the owner is told about the repeat post).
fn is_returning(code: &str) -> bool {
    code.eq_ignore_ascii_case("ct103")
}

/// The heading of the page for an error code, and what the visitor can do about it.
fn wording_for(code: &str) -> (&'static str, &'static str) {
    if is_returning(code) {
        return (
            "Thank you, we already have your details",
            "You have contacted us before, so there is no need to send them again. We will be in touch soon.",
        );
    }
    ("Your details were not sent", hint_for(code))
}

/// The message shown for `code`: the code's own message (the text a form post was
/// answered with; any other given text is not shown), nothing for an unknown code.
fn own_message(code: &str) -> &'static str {
    match code.to_ascii_lowercase().as_str() {
        "ct101" => "Invalid Web_Key",
        "ct102" => "Name Not Received",
        "ct103" => "Duplicate Client creation attempted",
        "ct104" => "Invalid request or field value",
        "ct105" => "Temporarily unable to accept the lead; please try again",
        "ct106" => "Too many requests; try again later",
        _ => "",
    }
}

/// What a visitor can do about an error code.
fn hint_for(code: &str) -> &'static str {
    match code.to_ascii_lowercase().as_str() {
        "ct101" => {
            "This form is not connected to a valid account (its web_key is wrong). Please let the site owner know."
        }
        "ct102" => "Please go back and enter your name.",
        "ct104" => "One of the values was not accepted. Please go back and check the form.",
        "ct105" | "ct106" => {
            "We could not take your details just now. Please try again in a minute."
        }
        _ => "Something went wrong while sending the form.",
    }
}

fn shorten(s: &str) -> String {
    s.trim().chars().take(MAX_SHOWN_CHARS).collect()
}

/// An HTML answer with the headers every page carries; a render failure is logged, 500.
fn page(rendered: Result<String, minijinja::Error>) -> Response {
    framed_page(rendered, "'none'")
}

/// [`page`] that the given `frame-ancestors` sources may frame.
fn framed_page(rendered: Result<String, minijinja::Error>, frame_ancestors: &str) -> Response {
    match rendered {
        Ok(html) => {
            let mut response = Html(html).into_response();
            let headers = response.headers_mut();
            let policy = format!(
                "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; \
                 connect-src *; form-action *; img-src data:; base-uri 'none'; \
                 frame-ancestors {frame_ancestors}"
            );
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_str(&policy).unwrap_or_else(|_| {
                    HeaderValue::from_static(
                        "default-src 'none'; style-src 'unsafe-inline'; \
                         script-src 'unsafe-inline'; connect-src *; form-action *; \
                         img-src data:; base-uri 'none'; frame-ancestors 'none'",
                    )
                }),
            );
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "a page could not be rendered");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        for (name, _) in TEMPLATES {
            assert!(ENV.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn the_home_page_points_every_example_at_the_base_and_key() {
        let html = render_home("http://127.0.0.1:9", "demo_web_key", true).expect("renders");
        let endpoint = "http://127.0.0.1:9/v1/external-api/external-form-lead";
        assert_eq!(
            html.matches(&format!("action=\"{endpoint}\"")).count(),
            3,
            "the live embed, simple and async forms"
        );
        assert!(
            html.contains(
                "action=&quot;http://127.0.0.1:9/v1/external-api/external-form-lead&quot;"
            )
        );
        assert!(html.contains("value=\"http://127.0.0.1:9/thanks\""));
        assert!(html.contains("value=\"http://127.0.0.1:9/oops\""));
        assert!(html.contains("web_key=demo_web_key"));
    }

    /// Each snippet as a site owner copies it.
    fn snippets() -> Vec<(&'static str, String)> {
        [
            "snippets/simple_form.html",
            "snippets/async_form.html",
            "snippets/embed.html",
        ]
        .into_iter()
        .map(|name| {
            let html = ENV
                .get_template(name)
                .and_then(|t| {
                    t.render(
                        context! { base => "http://h", endpoint => "http://h/v1", web_key => "k" },
                    )
                })
                .expect("renders");
            (name, html)
        })
        .collect()
    }

    /// The `<input ...>` tags of `html`.
    fn inputs(html: &str) -> Vec<&str> {
        html.match_indices("<input")
            .map(|(at, _)| &html[at..at + html[at..].find('>').expect("tag ends")])
            .collect()
    }

    #[test]
    fn every_snippet_falls_back_to_the_top_level_page() {
        for (name, html) in snippets() {
            assert!(html.contains("method=\"post\" target=\"_top\""), "{name}");
        }
    }

    #[test]
    fn every_snippet_carries_a_hidden_honeypot_and_the_fill_time() {
        for (name, html) in snippets() {
            let honeypot = inputs(&html)
                .into_iter()
                .find(|tag| tag.contains("name=\"_lp_hp\""))
                .unwrap_or_else(|| panic!("{name} has no honeypot"));
            assert!(honeypot.contains("tabindex=\"-1\""), "{name}");
            assert!(honeypot.contains("autocomplete=\"off\""), "{name}");
            assert!(
                html.contains("<div aria-hidden=\"true\" style=\"position:absolute;left:-10000px")
            );
            assert!(
                html.contains("<input type=\"hidden\" name=\"_lp_t\""),
                "{name}"
            );
            assert!(html.contains("form.elements._lp_t.value"), "{name}");
        }
    }

    #[test]
    fn every_snippet_asks_for_phones_as_tel_with_a_hint_and_sends_digits() {
        for (name, html) in snippets() {
            let phones: Vec<&str> = inputs(&html)
                .into_iter()
                .filter(|tag| tag.contains("name=\"phone\""))
                .collect();
            assert_eq!(phones.len(), 1, "{name}");
            assert!(phones[0].contains("type=\"tel\" name=\"phone\" inputmode=\"tel\""));
            assert!(html.contains("10 digits, e.g. (801) 555-0102"), "{name}");
            assert!(html.contains("beforeSend(form)"), "{name}");
        }
    }

    #[test]
    fn every_visible_input_of_a_snippet_says_what_to_autocomplete() {
        for (name, html) in snippets() {
            for tag in inputs(&html) {
                let visible = ["text", "email", "tel"]
                    .iter()
                    .any(|kind| tag.contains(&format!("type=\"{kind}\"")));
                assert!(!visible || tag.contains("autocomplete="), "{name}: {tag}");
            }
        }
    }

    #[test]
    fn the_name_inputs_of_every_snippet_are_required() {
        for (name, html) in snippets() {
            let names: Vec<&str> = inputs(&html)
                .into_iter()
                .filter(|tag| {
                    ["name", "firstName", "lastName"]
                        .iter()
                        .any(|n| tag.contains(&format!("name=\"{n}\"")))
                })
                .collect();
            assert!(!names.is_empty(), "{name}");
            assert!(
                names.iter().all(|tag| tag.contains(" required")),
                "{name}: {names:?}"
            );
        }
    }

    #[test]
    fn a_returning_customer_is_thanked_not_shown_an_error() {
        let (heading, hint) = wording_for("ct103");
        assert!(heading.starts_with("Thank you"));
        assert!(!hint.contains("not sent"));
        assert_eq!(wording_for("CT103"), (heading, hint));
        assert_eq!(wording_for("ct102").0, "Your details were not sent");
    }

    #[test]
    fn the_home_page_escapes_what_it_is_given() {
        let html = render_home("http://h", "<script>x</script>", false).expect("renders");
        assert!(!html.contains("<script>x</script>"));
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"));
    }

    #[test]
    fn only_a_plain_host_header_becomes_the_base() {
        let settings = Settings::load_from(None).expect("defaults");
        let with_host = |host: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::HOST, HeaderValue::from_str(host).expect("header"));
            base_url(&settings, &headers)
        };
        assert_eq!(with_host("127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(with_host("[::1]:8080"), "http://[::1]:8080");
        assert_eq!(with_host("leads.example.com"), "http://leads.example.com");
        assert_eq!(with_host("evil.example/\"><x"), "http://localhost");
        assert_eq!(with_host("user@evil.example"), "http://localhost");
        assert_eq!(base_url(&settings, &HeaderMap::new()), "http://localhost");
    }

    #[test]
    fn a_public_url_wins_over_the_host_header() {
        let mut settings = Settings::load_from(None).expect("defaults");
        settings.server.public_url = "https://leads.example.com".into();
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:1"));
        assert_eq!(base_url(&settings, &headers), "https://leads.example.com");
    }
}
