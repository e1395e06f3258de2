//! The browser side in a real headless Chromium (Debian's `chromium` and
//! `chromium-driver`), driven over WebDriver: the demo page's forms, the hosted
//! pages, `fetch` from another origin (CORS, preflight) and the site-builder embed.
//!
//! Without Chromium these tests print `SKIPPED: Chromium not installed` and pass;
//! with `LEADPOST_REQUIRE_BROWSER=1` (as `.ci/run` sets) they fail instead.
//! They run on SQLite only: the store is covered on both backends elsewhere.

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use fantoccini::{Client, ClientBuilder, Locator};
use leadpost::demo::DEMO_WEB_KEY;
use leadpost::store::{Client as StoredClient, Page};
use serde_json::{Value, json};

use crate::helpers::{Backend, INTAKE, TestApp, spawn_app_with};

/// Debian's paths; `LEADPOST_CHROMIUM` / `LEADPOST_CHROMEDRIVER` point elsewhere.
fn chromium() -> String {
    std::env::var("LEADPOST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

fn chromedriver() -> String {
    std::env::var("LEADPOST_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}
/// How long the browser may take to show what a test waits for.
const PATIENCE: Duration = Duration::from_secs(15);

/// A headless Chromium session behind its own chromedriver on a loopback port.
struct Browser {
    client: Option<Client>,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn browser_required() -> bool {
    std::env::var("LEADPOST_REQUIRE_BROWSER")
        .is_ok_and(|v| leadpost::config::parse_bool(&v) == Some(true))
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

impl Browser {
    /// Start chromedriver and a fresh headless Chromium; `None` (skipped) when not installed.
    async fn start() -> Option<Browser> {
        Self::start_with(true).await
    }

    /// As [`Browser::start`], with JavaScript on or off.
    async fn start_with(javascript: bool) -> Option<Browser> {
        let (chromium, chromedriver) = (chromium(), chromedriver());
        let missing: Vec<&str> = [chromium.as_str(), chromedriver.as_str()]
            .into_iter()
            .filter(|p| !Path::new(p).exists())
            .collect();
        if !missing.is_empty() {
            assert!(
                !browser_required(),
                "LEADPOST_REQUIRE_BROWSER is set but {missing:?} is missing \
                 (apt-get install chromium chromium-driver)"
            );
            eprintln!(
                "SKIPPED: Chromium not installed ({missing:?} missing); \
                 set LEADPOST_REQUIRE_BROWSER=1 to fail instead"
            );
            return None;
        }
        let port = free_port();
        let mut command = Command::new(&chromedriver);
        command
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            // Its own process group, so that Drop can end chromedriver and its Chromium together.
            command.process_group(0);
        }
        let driver = command.spawn().expect("chromedriver starts");
        let profile = tempfile::tempdir().expect("profile dir");
        let mut browser = Browser {
            client: None,
            driver,
            _profile: profile,
        };
        let webdriver = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + PATIENCE;
        while http
            .get(format!("{webdriver}/status"))
            .send()
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--disable-domain-reliability",
            "--disable-client-side-phishing-detection",
            "--disable-features=Translate,OptimizationHints,MediaRouter",
            // Nothing but loopback ever resolves (the network rule of the tests).
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
            "--window-size=1280,1000",
            &format!("--user-data-dir={}", browser._profile.path().display()),
        ];
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": args,
                "prefs": {
                    "profile.managed_default_content_settings.javascript":
                        if javascript { 1 } else { 2 }
                },
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&webdriver)
            .await
            .expect("a WebDriver session");
        browser.client = Some(client);
        Some(browser)
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("session open")
    }

    /// End the session (Chromium quits), then chromedriver.
    async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }

    async fn goto(&self, url: &str) {
        self.client().goto(url).await.expect("page loads");
    }

    async fn fill(&self, css: &str, text: &str) {
        let field = self.client().find(Locator::Css(css)).await.expect(css);
        field.send_keys(text).await.expect("typed");
    }

    async fn click(&self, css: &str) {
        let element = self.client().find(Locator::Css(css)).await.expect(css);
        element.click().await.expect("clicked");
    }

    async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client()
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
    }

    /// Wait until the element's text contains `needle`; return the text.
    async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = self.wait_for(css).await.text().await.expect("text");
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{css} never showed {needle:?}; it shows {text:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Save a screenshot of the window as `target/screenshots/<name>.png`.
    async fn save_screenshot(&self, name: &str) -> PathBuf {
        let png = self.client().screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, &png).expect("screenshot saved");
        path
    }

    async fn url(&self) -> url::Url {
        self.client().current_url().await.expect("current url")
    }

    /// Run `script` (an async function body ending in `return ...`) in the page.
    async fn run(&self, script: &str, args: Vec<Value>) -> Value {
        let wrapped = format!(
            "const done = arguments[arguments.length - 1];\n\
             (async (...args) => {{ {script} }})(...Array.from(arguments).slice(0, -1))\n\
               .then(done, (e) => done({{ thrown: String(e) }}));"
        );
        self.client()
            .execute_async(&wrapped, args)
            .await
            .expect("script runs")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ends chromedriver and any Chromium it left (a test that panicked).
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.wait();
    }
}

/// The service in demo mode (demo account with hosted pages, `/` shown), on SQLite.
async fn demo_app() -> TestApp {
    spawn_app_with(Backend::Sqlite, |s| s.demo.enabled = true)
        .await
        .expect("sqlite app")
}

/// The demo account's clients, newest first.
async fn demo_clients(app: &TestApp) -> Vec<StoredClient> {
    let owner = app
        .store
        .resolve_web_key(DEMO_WEB_KEY)
        .await
        .expect("resolves")
        .expect("demo account exists");
    app.store
        .list_clients(owner.account_id, &Default::default(), Page::first(100))
        .await
        .expect("clients listed")
}

/// The embed snippet as the demo page shows it (read over HTTP, entities decoded).
async fn demo_embed_snippet(app: &TestApp) -> String {
    let html = app
        .http
        .get(format!("{}/", app.address))
        .send()
        .await
        .expect("home")
        .text()
        .await
        .expect("body");
    let start = html
        .find("<code id=\"embed-code\">")
        .expect("embed code block")
        + "<code id=\"embed-code\">".len();
    let end = start + html[start..].find("</code>").expect("end of the block");
    html_escape::decode_html_entities(&html[start..end]).into_owned()
}

/// Serve `html` at `/` of a second loopback origin; return its address.
async fn other_origin(html: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let router = Router::new().route("/", get(move || async move { Html(html) }));
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

/// Where the screenshot for a person goes: `$CARGO_TARGET_DIR` or `target/`, `screenshots/`.
fn screenshot_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("screenshots")
}

#[tokio::test]
async fn the_simple_form_lands_on_the_thanks_page_and_stores_the_client() {
    let app = demo_app().await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    browser.goto(&format!("{}/", app.address)).await;
    browser.fill("#simple-form [name=firstName]", "Ann").await;
    browser.fill("#simple-form [name=lastName]", "Lee").await;
    browser
        .fill("#simple-form [name=phone]", "8015551234")
        .await;
    browser
        .fill("#simple-form [name=email]", "ann@example.com")
        .await;
    browser
        .fill("#simple-form [name=notes]", "Roof leaks.\nCall after 5.")
        .await;
    browser.click("#simple-form [type=submit]").await;

    browser.wait_for_text("#thanks", "Thank you").await;
    assert_eq!(
        browser.url().await.as_str(),
        format!("{}/thanks", app.address)
    );
    let clients = demo_clients(&app).await;
    assert_eq!(clients.len(), 1);
    let client = &clients[0];
    assert_eq!(client.first_name, "Ann");
    assert_eq!(client.last_name.as_deref(), Some("Lee"));
    assert_eq!(client.phone.as_deref(), Some("8015551234"));
    assert_eq!(client.email.as_deref(), Some("ann@example.com"));
    assert_eq!(client.notes[0].body, "Roof leaks.\nCall after 5.");
    browser.save_screenshot("thanks").await;
    browser.close().await;
}

#[tokio::test]
async fn a_bad_web_key_lands_on_the_error_page_showing_ct101() {
    let app = demo_app().await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    browser.goto(&format!("{}/", app.address)).await;
    browser
        .run(
            "document.querySelector('#simple-form [name=web_key]').value = 'not_a_key';",
            vec![],
        )
        .await;
    browser.fill("#simple-form [name=firstName]", "Ann").await;
    browser.fill("#simple-form [name=lastName]", "Lee").await;
    browser.click("#simple-form [type=submit]").await;

    browser.wait_for_text("#oops", "not sent").await;
    assert_eq!(browser.wait_for_text("#error-code", "ct101").await, "ct101");
    assert_eq!(
        browser.wait_for_text("#error-msg", "Web_Key").await,
        "Invalid Web_Key"
    );
    let url = browser.url().await;
    assert_eq!(url.path(), "/oops");
    assert!(
        url.query()
            .unwrap_or_default()
            .starts_with("error_Code=ct101&msg=")
    );
    assert!(demo_clients(&app).await.is_empty());
    browser.save_screenshot("oops").await;
    browser.close().await;
}

#[tokio::test]
async fn the_async_form_shows_the_json_answer_inline() {
    let app = demo_app().await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    let home = format!("{}/", app.address);
    browser.goto(&home).await;
    browser.fill("#async-form [name=name]", "Bea Cruz").await;
    browser
        .fill("#async-form [name='Favorite Chocolate']", "Dark")
        .await;
    browser.click("#async-form [type=submit]").await;
    let shown = browser.wait_for_text("#async-answer", "Success").await;
    assert!(shown.starts_with("200"), "{shown}");

    // The same form as JSON; a missing name is answered inline too.
    browser.click("#async-json").await;
    browser
        .run(
            "document.querySelector('#async-form [name=name]').value = '';",
            vec![],
        )
        .await;
    browser.click("#async-form [type=submit]").await;
    let shown = browser.wait_for_text("#async-answer", "ct102").await;
    assert!(shown.starts_with("400"), "{shown}");
    assert_eq!(browser.url().await.as_str(), home, "the page stays");
    let clients = demo_clients(&app).await;
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0].custom_fields["Favorite Chocolate"], "Dark");
    browser.close().await;
}

#[tokio::test]
async fn fetch_from_another_origin_gets_success_urlencoded_json_and_preflighted() {
    let app = demo_app().await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    let site =
        other_origin("<!doctype html><title>Another site</title><p>elsewhere</p>".into()).await;
    browser.goto(&format!("{site}/")).await;
    let endpoint = format!("{}{INTAKE}", app.address);
    let post = |body: &'static str| {
        format!(
            "const [url, key] = args;\n\
             const response = await fetch(url, {body});\n\
             return {{ status: response.status, body: await response.json() }};"
        )
    };
    let urlencoded = browser
        .run(
            &post(
                "{ method: 'POST', body: new URLSearchParams({ web_key: key, \
                 firstName: 'Ann', lastName: 'Lee' }) }",
            ),
            vec![json!(endpoint), json!(DEMO_WEB_KEY)],
        )
        .await;
    assert_eq!(
        urlencoded,
        json!({"status": 200, "body": {"Message": "Success"}})
    );
    // application/json is not a "simple" content type: the browser preflights it.
    let preflighted_json = browser
        .run(
            &post(
                "{ method: 'POST', headers: { 'Content-Type': 'application/json' }, \
                 body: JSON.stringify({ web_key: key, name: 'Bea Cruz', tag: ['vip', 'roof'] }) }",
            ),
            vec![json!(endpoint), json!(DEMO_WEB_KEY)],
        )
        .await;
    assert_eq!(
        preflighted_json,
        json!({"status": 200, "body": {"Message": "Success"}})
    );
    // A custom header forces a preflight for a urlencoded body as well.
    let custom_header = browser
        .run(
            &post(
                "{ method: 'POST', headers: { 'X-Requested-With': 'fetch' }, \
                 body: new URLSearchParams({ web_key: key, name: 'Cy Dunn' }) }",
            ),
            vec![json!(endpoint), json!(DEMO_WEB_KEY)],
        )
        .await;
    assert_eq!(
        custom_header,
        json!({"status": 200, "body": {"Message": "Success"}})
    );
    let mut names: Vec<String> = demo_clients(&app)
        .await
        .into_iter()
        .map(|c| c.first_name)
        .collect();
    names.sort();
    assert_eq!(names, ["Ann", "Bea", "Cy"]);
    browser.close().await;
}

#[tokio::test]
async fn the_browser_refuses_cross_origin_reads_of_routes_without_cors() {
    let app = demo_app().await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    let site = other_origin("<!doctype html><title>Another site</title>".into()).await;
    browser.goto(&format!("{site}/")).await;
    let answer = browser
        .run(
            "const response = await fetch(args[0]); return { status: response.status };",
            vec![json!(format!("{}/thanks", app.address))],
        )
        .await;
    assert!(
        answer["thrown"]
            .as_str()
            .is_some_and(|e| e.contains("TypeError")),
        "{answer}"
    );
    browser.close().await;
}

#[tokio::test]
async fn the_embed_snippet_works_inside_a_site_builder_page() {
    let app = demo_app().await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    // The snippet exactly as a person copies it from the demo page.
    browser.goto(&format!("{}/", app.address)).await;
    let snippet = browser
        .wait_for("#embed-code")
        .await
        .text()
        .await
        .expect("snippet text");
    assert!(snippet.contains(&format!("action=\"{}{INTAKE}\"", app.address)));
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Acme Roofing</title>\
         <style>body{{font-family:Georgia,serif;margin:0}} .wsite-header{{background:#234;color:#fff;padding:1em}}\
         .wsite-section{{max-width:60em;margin:auto;padding:1em}} form{{border:0}}</style></head>\
         <body><div class=\"wsite-header\"><h1>Acme Roofing</h1></div>\
         <div id=\"wsite-content\" class=\"wsite-section\"><h2>Get a quote</h2>\
         <div class=\"wsite-multicol\"><div class=\"wcustomhtml\" style=\"overflow:hidden;width:100%\">\
         {snippet}</div></div></div><div class=\"wsite-footer\">Powered by a site builder</div></body></html>"
    );
    let site = other_origin(page).await;
    browser.goto(&format!("{site}/")).await;
    browser
        .fill("[data-leadpost] [name=firstName]", "Dee")
        .await;
    browser.fill("[data-leadpost] [name=lastName]", "Eve").await;
    browser
        .fill("[data-leadpost] [name=email]", "dee@example.com")
        .await;
    browser.click("[data-leadpost] [type=submit]").await;
    browser.wait_for_text(".leadpost-status", "Thank you").await;
    assert_eq!(
        browser.url().await.as_str(),
        format!("{site}/"),
        "the visitor stays on the site"
    );
    let clients = demo_clients(&app).await;
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0].email.as_deref(), Some("dee@example.com"));

    // Posting the same email again is answered in place with the contract's message.
    browser
        .fill("[data-leadpost] [name=firstName]", "Dee")
        .await;
    browser
        .fill("[data-leadpost] [name=lastName]", "Again")
        .await;
    browser
        .fill("[data-leadpost] [name=email]", "dee@example.com")
        .await;
    browser.click("[data-leadpost] [type=submit]").await;
    browser
        .wait_for_text(".leadpost-status", "Duplicate Client")
        .await;
    browser.close().await;
}

#[tokio::test]
async fn without_javascript_the_embed_snippet_posts_and_lands_on_the_thanks_page() {
    let app = demo_app().await;
    let snippet = demo_embed_snippet(&app).await;
    let Some(browser) = Browser::start_with(false).await else {
        return;
    };
    let site = other_origin(format!(
        "<!doctype html><title>Acme Roofing</title><div class=\"wcustomhtml\">{snippet}</div>"
    ))
    .await;
    browser.goto(&format!("{site}/")).await;
    browser
        .fill("[data-leadpost] [name=firstName]", "Gus")
        .await;
    browser
        .fill("[data-leadpost] [name=lastName]", "Hale")
        .await;
    browser.click("[data-leadpost] [type=submit]").await;
    browser.wait_for_text("#thanks", "Thank you").await;
    assert_eq!(
        browser.url().await.as_str(),
        format!("{}/thanks", app.address)
    );
    assert_eq!(demo_clients(&app).await[0].first_name, "Gus");
    browser.close().await;
}

#[tokio::test]
async fn a_plain_browser_post_without_urls_lands_on_the_hosted_thanks_page() {
    let app = demo_app().await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    let form = format!(
        "<!doctype html><form method=post action=\"{}{INTAKE}\">\
         <input name=web_key value=\"{DEMO_WEB_KEY}\"><input name=name value=\"Fay Gold\">\
         <button id=send>Send</button></form>",
        app.address
    );
    let site = other_origin(form).await;
    browser.goto(&format!("{site}/")).await;
    browser.click("#send").await;
    browser.wait_for_text("#thanks", "Thank you").await;
    assert_eq!(
        browser.url().await.as_str(),
        format!("{}/thanks", app.address)
    );
    assert_eq!(demo_clients(&app).await[0].first_name, "Fay");
    browser.close().await;
}

#[tokio::test]
async fn a_screenshot_of_the_home_page_is_saved_for_a_person() {
    let app = demo_app().await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    browser.goto(&format!("{}/", app.address)).await;
    let height = browser
        .run("return document.documentElement.scrollHeight;", vec![])
        .await
        .as_u64()
        .expect("page height");
    let height = u32::try_from(height).unwrap_or(8000).clamp(600, 8000);
    browser
        .client()
        .set_window_size(1280, height + 140)
        .await
        .expect("window resized");
    let path = browser.save_screenshot("home").await;
    assert!(path.ends_with("screenshots/home.png"));
    eprintln!("screenshot of / saved to {}", path.display());
    browser.close().await;
}
