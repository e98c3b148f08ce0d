//! Helpers of the MongoDB end-to-end tests: the server address (`PUMP_TEST_MONGODB_URI`),
//! a database of its own per test, private SecantusDB servers for restart tests, and
//! reading documents back.

#![allow(dead_code)]

use mongodb::bson::{Document, doc};
use mongodb::sync::{Client, Database};
use pump_tests::{free_port, wait_for};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The shared MongoDB-wire server.
pub fn base_uri() -> String {
    std::env::var("PUMP_TEST_MONGODB_URI").unwrap_or_else(|_| "mongodb://127.0.0.1:27017/".into())
}

/// `base` with its database path set to `db` (URI options kept).
pub fn with_db(base: &str, db: &str) -> String {
    let (head, query) = base.split_once('?').unwrap_or((base, ""));
    let rest = head.strip_prefix("mongodb://").unwrap_or(head);
    let hosts = rest.split('/').next().unwrap_or(rest);
    let q = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("mongodb://{hosts}/{db}{q}")
}

/// A database name no other test uses (MongoDB limits names to 63 bytes).
pub fn unique_db(test: &str) -> String {
    let p = pump_tests::unique_prefix(test).replace(['-'], "_");
    p.chars().take(60).collect()
}

/// A client of a database.
pub fn database(uri: &str, db: &str) -> Database {
    Client::with_uri_str(with_db(uri, db))
        .expect("MongoDB client")
        .database(db)
}

/// Every document of a collection.
pub fn all(db: &Database, coll: &str) -> Vec<Document> {
    db.collection::<Document>(coll)
        .find(doc! {})
        .run()
        .expect("find")
        .map(|d| d.expect("document"))
        .collect()
}

/// The number of documents in a collection (0 while the server is unreachable).
pub fn count(db: &Database, coll: &str) -> u64 {
    db.collection::<Document>(coll)
        .count_documents(doc! {})
        .run()
        .unwrap_or(0)
}

/// Index names of a collection.
pub fn index_names(db: &Database, coll: &str) -> Vec<String> {
    db.collection::<Document>(coll)
        .list_index_names()
        .run()
        .expect("list indexes")
}

/// `secantusd-py`: `PUMP_TEST_SECANTUSD`, or the CI's venv.
pub fn secantusd() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("PUMP_TEST_SECANTUSD") {
        return Some(PathBuf::from(p));
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.ci/venv-mongo/bin/secantusd-py");
    p.exists().then_some(p)
}

/// A private SecantusDB on a free port, keeping its data in a directory across restarts;
/// stopped with SIGTERM (a plain `kill`) on drop.
pub struct Secantus {
    pub port: u16,
    bin: PathBuf,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Secantus {
    /// Starts one, or `None` when `secantusd-py` is not installed.
    pub fn start() -> Option<Secantus> {
        let mut s = Secantus {
            port: free_port(),
            bin: secantusd()?,
            dir: tempfile::tempdir().expect("tempdir"),
            child: None,
        };
        s.spawn();
        Some(s)
    }

    fn spawn(&mut self) {
        let child = Command::new(&self.bin)
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .arg("--storage-path")
            .arg(self.dir.path().join("data"))
            .args(["--log-level", "WARNING"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start secantusd-py");
        self.child = Some(child);
        let uri = self.uri();
        let up = wait_for(Duration::from_secs(30), || {
            Client::with_uri_str(format!("{uri}?serverSelectionTimeoutMS=300"))
                .and_then(|c| c.database("admin").run_command(doc! {"ping": 1}).run())
                .is_ok()
        });
        assert!(up, "secantusd-py on port {} did not start", self.port);
    }

    /// Its URI (no database).
    pub fn uri(&self) -> String {
        format!("mongodb://127.0.0.1:{}/", self.port)
    }

    /// Stops it with a plain `kill` (SIGTERM) and waits for the exit.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill").arg(c.id().to_string()).status();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port and data.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }
}

impl Drop for Secantus {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The `[sinks.<name>]` table of a MongoDB sink.
pub fn mongo_sink(name: &str, kind: &str, uri: &str, extra: &str) -> String {
    format!("\n[sinks.{name}]\ntype = \"{kind}\"\nmongo_url = \"{uri}\"\n{extra}\n")
}
