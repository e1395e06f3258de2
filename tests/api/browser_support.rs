//! What the browser tests share: a headless Chromium (Debian's `chromium` and
//! `chromium-driver`) behind its own chromedriver, the service in demo mode, and
//! "other sites" on loopback that embed its forms.
//!
//! Without Chromium the tests print `SKIPPED: Chromium not installed` and pass;
//! with `LEADPOST_REQUIRE_BROWSER=1` (as `.ci/run` sets) they fail instead.

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

use crate::helpers::{Backend, TestApp, spawn_app_with};

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
pub struct Browser {
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
    pub async fn start() -> Option<Browser> {
        Self::start_with(true).await
    }

    /// As [`Browser::start`], with JavaScript on or off.
    pub async fn start_with(javascript: bool) -> Option<Browser> {
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

    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("session open")
    }

    /// End the session (Chromium quits), then chromedriver.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client().goto(url).await.expect("page loads");
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.client().find(Locator::Css(css)).await.expect(css);
        field.send_keys(text).await.expect("typed");
    }

    pub async fn click(&self, css: &str) {
        let element = self.client().find(Locator::Css(css)).await.expect(css);
        element.click().await.expect("clicked");
    }

    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client()
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
    }

    /// Wait until the element's text contains `needle`; return the text.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> String {
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
    pub async fn save_screenshot(&self, name: &str) -> PathBuf {
        let png = self.client().screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, &png).expect("screenshot saved");
        path
    }

    pub async fn url(&self) -> url::Url {
        self.client().current_url().await.expect("current url")
    }

    /// Save a screenshot of the whole page: the window grows to the page's height
    /// (at most 8,000 px) for it, then takes its size back.
    pub async fn save_full_page(&self, name: &str) -> PathBuf {
        let (width, height) = self.client().get_window_size().await.expect("window size");
        let (width, height) = (
            u32::try_from(width).expect("a width"),
            u32::try_from(height).expect("a height"),
        );
        let needed = self
            .run(
                "return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight;",
                vec![],
            )
            .await
            .as_u64()
            .and_then(|h| u32::try_from(h).ok())
            .expect("page height");
        let client = self.client();
        client
            .set_window_size(width, needed.clamp(600, 8000))
            .await
            .expect("window resized");
        let path = self.save_screenshot(name).await;
        client
            .set_window_size(width, height)
            .await
            .expect("window restored");
        path
    }

    /// Make the page area `width` CSS pixels wide (the window is resized until it is).
    pub async fn set_width(&self, width: u32) {
        let mut window = width;
        for _ in 0..3 {
            self.client()
                .set_window_size(window, 900)
                .await
                .expect("window resized");
            let inner = self.run("return window.innerWidth;", vec![]).await;
            let inner = inner
                .as_u64()
                .and_then(|w| u32::try_from(w).ok())
                .expect("a width");
            if inner == width {
                return;
            }
            window = (window + width).saturating_sub(inner);
        }
        panic!("the page area never became {width} px wide");
    }

    /// How far the page can be scrolled sideways, in CSS pixels (0: it cannot).
    pub async fn sideways_scroll(&self) -> i64 {
        self.run(
            "const root = document.documentElement;\n\
             return root.scrollWidth - root.clientWidth;",
            vec![],
        )
        .await
        .as_i64()
        .expect("a number")
    }

    /// Run `script` (an async function body ending in `return ...`) in the page.
    pub async fn run(&self, script: &str, args: Vec<Value>) -> Value {
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
/// The service in demo mode. A test browser fills a form faster than a person, so the
/// demo account's too-fast check is off here (the spam tests cover it).
pub async fn demo_app() -> TestApp {
    let app = spawn_app_with(Backend::Sqlite, |s| s.demo.enabled = true)
        .await
        .expect("sqlite app");
    let owner = app
        .store
        .find_key_owner(DEMO_WEB_KEY)
        .await
        .expect("resolves")
        .expect("demo account exists");
    let account = app
        .store
        .get_account(owner.account_id)
        .await
        .expect("demo account");
    app.set_spam(&account, serde_json::json!({"min_fill_ms": 0}))
        .await;
    app
}

/// The service in demo mode and a browser on its `/`; `None` (skipped) without Chromium.
pub async fn at_demo_home() -> Option<(TestApp, Browser)> {
    let app = demo_app().await;
    let browser = Browser::start().await?;
    browser.goto(&format!("{}/", app.address)).await;
    Some((app, browser))
}

/// The demo account's clients, newest first.
pub async fn demo_clients(app: &TestApp) -> Vec<StoredClient> {
    let owner = app
        .store
        .find_key_owner(DEMO_WEB_KEY)
        .await
        .expect("resolves")
        .expect("demo account exists");
    app.store
        .list_clients(owner.account_id, &Default::default(), Page::first(100))
        .await
        .expect("clients listed")
}

/// The embed snippet as the demo page shows it (read over HTTP, entities decoded).
pub async fn demo_embed_snippet(app: &TestApp) -> String {
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
pub async fn other_origin(html: String) -> String {
    other_site(vec![("/", html)]).await
}

/// Serve each `(path, html)` on a second loopback origin; return its address.
pub async fn other_site(pages: Vec<(&'static str, String)>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let router = pages
        .into_iter()
        .fold(Router::new(), |router, (path, html)| {
            router.route(path, get(move || async move { Html(html) }))
        });
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
