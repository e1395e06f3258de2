//! The real `leadpost` binary: one-shot commands, and `serve` processes started
//! on a free loopback port and stopped with a signal.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use leadpost::store::{PgStore, SqliteStore, Store};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_leadpost");

/// Run the binary on the database `db`: whether it succeeded, its stdout and stderr.
pub fn run_any(db: &str, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", db)
        .output()
        .expect("leadpost runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// As [`run_any`], with `input` written to the binary's standard input.
pub fn run_with_stdin(db: &str, args: &[&str], input: &str) -> (bool, String, String) {
    use std::io::Write as _;
    let mut child = Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("leadpost runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("input written");
    let output = child.wait_with_output().expect("leadpost ends");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Run the binary on the database `db`, which must succeed; its stdout.
pub fn run_cli(db: &str, args: &[&str]) -> String {
    let (ok, stdout, stderr) = run_any(db, args);
    assert!(ok, "{args:?}: {stderr}");
    stdout
}

/// The first word after `label` on the output line that starts with it
/// (`account id:  01a2…` -> `01a2…`).
pub fn value_of(output: &str, label: &str) -> String {
    output
        .lines()
        .find_map(|line| line.strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no {label} in {output}"))
}

/// The `http://HOST:PORT` of a `serve` log line saying `listening on http://HOST:PORT`.
pub fn listening_address(line: &str) -> Option<String> {
    let at = line.find("listening on http://")?;
    let rest = &line[at + "listening on ".len()..];
    Some(
        rest.chars()
            .take_while(|c| !c.is_whitespace() && *c != '"')
            .collect(),
    )
}

/// A running `leadpost serve`, the address it bound, and every line it logged
/// so far (its stderr is read to the end, so it never blocks on a full pipe).
/// Dropping it kills the process.
pub struct ServeProcess {
    child: Child,
    pub address: String,
    log: Arc<Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl ServeProcess {
    /// `leadpost serve --bind 127.0.0.1:0` on `db`, with `extra_args` after `serve`
    /// and `configure` to add environment; returns once it logged its address.
    pub fn start(db: &str, extra_args: &[&str], configure: impl FnOnce(&mut Command)) -> Self {
        let mut command = Command::new(BIN);
        command
            .arg("serve")
            .args(extra_args)
            .args(["--bind", "127.0.0.1:0"])
            .env("DATABASE_URL", db)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        configure(&mut command);
        let mut child = command.spawn().expect("serve starts");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let lines = log.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(address) = listening_address(&line) {
                    let _ = tx.send(address);
                }
                lines.lock().expect("log lock").push(line);
            }
        });
        let address = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| {
                panic!(
                    "serve logged no address:\n{}",
                    log.lock().expect("log lock").join("\n")
                )
            });
        ServeProcess {
            child,
            address,
            log,
            reader: Some(reader),
        }
    }

    /// The lines logged so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().expect("log lock").clone()
    }

    /// How many logged lines so far satisfy `matches`.
    pub fn count_lines(&self, matches: impl Fn(&str) -> bool) -> usize {
        self.log
            .lock()
            .expect("log lock")
            .iter()
            .filter(|line| matches(line))
            .count()
    }

    /// Send `signal` (`-TERM`, `-KILL`), wait for the exit and for the last log line.
    pub fn stop(&mut self, signal: &str) -> ExitStatus {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} failed");
        let exit = self.child.wait().expect("serve exits");
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        exit
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh PostgreSQL schema that `leadpost` processes reach through the URL's `options`: the URL,
/// and the test's own store on it (migrated). `None` when PostgreSQL is absent and not required.
pub async fn postgres_schema() -> Option<(String, Arc<dyn Store>)> {
    let (url, schema) = super::create_test_schema().await?;
    let separator = if url.contains('?') { '&' } else { '?' };
    let schema_url = format!("{url}{separator}options=-c%20search_path%3D{schema}");
    let mut settings = super::base_settings();
    settings.database.url = schema_url.clone();
    let store = PgStore::connect(&settings.database).await.expect("store");
    store.migrate().await.expect("migrations");
    Some((schema_url, Arc::new(store)))
}

/// A database the binary and the test both open: a SQLite file or a PostgreSQL schema.
pub struct CliDb {
    /// The `DATABASE_URL` to run the binary with.
    pub url: String,
    /// The test's own store on the same database.
    pub store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
}

/// A fresh SQLite file and a fresh PostgreSQL schema (unless PostgreSQL is skipped).
pub async fn cli_databases() -> Vec<CliDb> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = super::base_settings();
    settings.database.url = format!("sqlite://{}", dir.path().join("cli.db").display());
    let sqlite = SqliteStore::connect(&settings.database)
        .await
        .expect("sqlite opens");
    sqlite.migrate().await.expect("sqlite migrations");
    let mut databases = vec![CliDb {
        url: settings.database.url,
        store: Arc::new(sqlite),
        _dir: Some(dir),
    }];
    if let Some((url, store)) = postgres_schema().await {
        databases.push(CliDb {
            url,
            store,
            _dir: None,
        });
    }
    databases
}
