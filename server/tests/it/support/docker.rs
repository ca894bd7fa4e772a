//! Docker test helpers: a reachable engine, a `FROM scratch` busybox image, and uniquely named
//! containers that are removed (only they) when the guard drops.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

pub const IMAGE: &str = "portall-test-busybox:1";

fn docker(args: &[&str]) -> Result<String, String> {
    let out = Command::new("docker")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run docker: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(format!(
            "docker {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Panics with a clear message when no engine answers (tests that need Docker must fail, not skip).
pub fn ensure_engine_and_image() {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    let ready = READY.get_or_init(|| {
        docker(&["version", "--format", "{{.Server.Version}}"])
            .map_err(|e| format!("no Docker engine answers (run scripts/ensure-dockerd.sh): {e}"))?;
        if docker(&["image", "inspect", IMAGE]).is_ok() {
            return Ok(());
        }
        let busybox = ["/bin/busybox", "/usr/bin/busybox"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .ok_or("busybox-static is not installed (apt-get install busybox-static)")?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        std::fs::copy(busybox, dir.path().join("busybox")).map_err(|e| e.to_string())?;
        std::fs::write(
            dir.path().join("Dockerfile"),
            "FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT [\"/bin/busybox\"]\nCMD [\"sleep\", \"86400\"]\n",
        )
        .map_err(|e| e.to_string())?;
        let out = Command::new("docker")
            .env("DOCKER_BUILDKIT", "0")
            .args(["build", "-q", "-t", IMAGE])
            .arg(dir.path())
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("building {IMAGE}: {}", String::from_utf8_lossy(&out.stderr)))
        }
    });
    if let Err(e) = ready {
        panic!("{e}");
    }
}

/// Containers started by one test, named `<prefix><name>`; all removed on drop.
pub struct Containers {
    pub prefix: String,
    names: Vec<String>,
}

impl Containers {
    pub fn new(test: &str) -> Self {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        ensure_engine_and_image();
        let prefix = format!(
            "portall-test-{}-{}-{test}-",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        );
        Containers {
            prefix,
            names: Vec::new(),
        }
    }

    /// Runs a detached container with `-p` publish specs and an optional command (default: sleep).
    /// Returns its full id.
    pub fn run(&mut self, name: &str, publish: &[&str], command: &[&str]) -> String {
        let full = format!("{}{name}", self.prefix);
        let mut args: Vec<String> = vec!["run".into(), "-d".into(), "--name".into(), full.clone()];
        args.extend(["--label".into(), "portall-test=1".into()]);
        for p in publish {
            args.push("-p".into());
            args.push((*p).into());
        }
        args.push(IMAGE.into());
        args.extend(command.iter().map(|c| c.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let id = docker(&refs).unwrap_or_else(|e| panic!("{e}"));
        self.names.push(full);
        id
    }

    /// Runs a detached container with any `docker run` arguments before the image.
    pub fn run_args(&mut self, name: &str, args: &[&str], command: &[&str]) -> String {
        let full = format!("{}{name}", self.prefix);
        let mut all: Vec<&str> = vec!["run", "-d", "--name", &full, "--label", "portall-test=1"];
        all.extend_from_slice(args);
        all.push(IMAGE);
        all.extend_from_slice(command);
        let id = docker(&all).unwrap_or_else(|e| panic!("{e}"));
        self.names.push(full);
        id
    }

    /// Creates (does not start) a container with any `docker create` arguments before the image.
    pub fn create(&mut self, name: &str, args: &[&str]) -> String {
        let full = format!("{}{name}", self.prefix);
        let mut all: Vec<&str> = vec!["create", "--name", &full, "--label", "portall-test=1"];
        all.extend_from_slice(args);
        all.push(IMAGE);
        let id = docker(&all).unwrap_or_else(|e| panic!("{e}"));
        self.names.push(full);
        id
    }

    pub fn name(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    pub fn stop(&self, name: &str) {
        docker(&["stop", "-t", "1", &self.name(name)]).unwrap_or_else(|e| panic!("{e}"));
    }

    pub fn start(&self, name: &str) {
        docker(&["start", &self.name(name)]).unwrap_or_else(|e| panic!("{e}"));
    }

    /// Names of the running containers that carry this guard's prefix.
    pub fn running(&self) -> Vec<String> {
        docker(&[
            "ps",
            "--filter",
            &format!("name={}", self.prefix),
            "--format",
            "{{.Names}}",
        ])
        .unwrap_or_else(|e| panic!("{e}"))
        .lines()
        .map(str::to_string)
        .collect()
    }
}

impl Drop for Containers {
    fn drop(&mut self) {
        if !self.names.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(self.names.iter().map(String::as_str));
            let _ = docker(&args);
        }
    }
}

/// The host address of Docker's default bridge (a local, non-loopback address to publish on).
pub fn bridge_gateway() -> String {
    let out = Command::new("ip")
        .args(["-4", "-o", "addr", "show", "docker0"])
        .output()
        .expect("ip (iproute2) is installed");
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .skip_while(|w| *w != "inet")
        .nth(1)
        .and_then(|cidr| cidr.split('/').next())
        .map(str::to_string)
        .unwrap_or_else(|| panic!("docker0 has no IPv4 address: {text}"))
}
