//! Starts the real `portall` binary on a free loopback port with a temporary SQLite file, and stops it.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub struct Portall {
    child: Option<Child>,
    pub base_url: String,
    pub db_path: PathBuf,
    pub log_path: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

impl Portall {
    /// A fresh instance on a new temporary database.
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("portall.db");
        let mut p = Self::start_on(&db, &[]).await;
        p._dir = Some(dir);
        p
    }

    /// A fresh instance with extra environment (e.g. `PORTALL_AUTH=password`).
    pub async fn start_with(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("portall.db");
        let mut p = Self::start_on(&db, env).await;
        p._dir = Some(dir);
        p
    }

    /// An instance on an existing (or to-be-created) database file, with extra environment.
    pub async fn start_on(db_path: &Path, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let log_path = db_path.with_extension(format!("{port}.log"));
        let log = std::fs::File::create(&log_path).expect("log file");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_portall"));
        cmd.current_dir(workspace_root())
            .env("PORT", port.to_string())
            .env("PORTALL_BIND", "127.0.0.1")
            .env("DATABASE_URL", format!("sqlite://{}", db_path.display()))
            .env("PORTALL_SITE_ROOT", workspace_root().join("target/site"))
            .env("RUST_LOG", "info")
            // Tests of the API log in only where they test logging in (`auth.rs`).
            .env("PORTALL_AUTH", "none")
            .env_remove("DOCKER_HOST")
            .env_remove("HOST_IP")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn portall");
        let mut p = Portall {
            child: Some(child),
            base_url: format!("http://127.0.0.1:{port}"),
            db_path: db_path.to_path_buf(),
            log_path,
            _dir: None,
        };
        p.wait_healthy(Duration::from_secs(20)).await;
        p
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    async fn wait_healthy(&mut self, limit: Duration) {
        let client = reqwest::Client::new();
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("portall exited early ({status}); log:\n{}", self.log());
            }
            if let Ok(r) = client.get(self.url("/healthz")).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("portall not healthy within {limit:?}; log:\n{}", self.log());
    }

    /// SIGKILL: the process dies wherever it is.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends SIGTERM and waits (up to `limit`) for the exit; returns the status and how long it took.
    pub async fn terminate(&mut self, limit: Duration) -> (ExitStatus, Duration) {
        let child = self.child.as_mut().expect("running");
        let pid = child.id().to_string();
        let start = Instant::now();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                self.child = None;
                return (status, start.elapsed());
            }
            if start.elapsed() > limit {
                panic!("portall did not exit within {limit:?} of SIGTERM");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Portall {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs the binary with arguments and environment and returns (exit code, stderr) — for start-up errors.
pub fn run_expecting_exit(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portall"));
    cmd.args(args)
        .current_dir(workspace_root())
        .env_remove("DATABASE_URL")
        .env_remove("PORT")
        .env_remove("DOCKER_HOST")
        .env_remove("HOST_IP");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run portall");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
