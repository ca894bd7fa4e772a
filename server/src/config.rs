//! Configuration from CLI flags and environment variables (compatible with the Python Portall's).

use crate::error::StartupError;
use app::auth::AuthMode;
use clap::Parser;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Parser)]
#[command(
    name = "portall",
    version,
    about = "Which ports are in use on which hosts."
)]
pub struct Args {
    /// SQLite database: sqlite://relative/path.db, sqlite:///abs/path.db or SQLAlchemy's sqlite:////abs/path.db
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/portall.db")]
    pub database_url: String,
    /// TCP port to listen on.
    #[arg(long, env = "PORT", default_value = "8080")]
    pub port: String,
    /// Address to listen on (0.0.0.0 for every interface).
    #[arg(long = "bind", env = "PORTALL_BIND", default_value = "127.0.0.1")]
    pub bind: String,
    /// Address recorded for ports the local engine publishes on all interfaces.
    #[arg(long, env = "HOST_IP")]
    pub host_ip: Option<String>,
    /// Overrides the host of the instance named "Default Docker".
    #[arg(long, env = "DOCKER_HOST")]
    pub docker_host: Option<String>,
    /// Folder holding the built browser assets (pkg/, CSS).
    #[arg(long, env = "PORTALL_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,
    /// Safe mode: serve everything but start no automatic scan.
    #[arg(long, env = "PORTALL_NO_SCAN", default_value = "false", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true")]
    pub no_scan: bool,
    /// How many scans may run at once across all instances.
    #[arg(long, env = "PORTALL_SCAN_CONCURRENCY", default_value = "8")]
    pub scan_concurrency: String,
    /// Who may use Portall: password (an admin account; the default), forward (a trusted proxy's
    /// user header) or none.
    #[arg(long = "auth", env = "PORTALL_AUTH", default_value = "password")]
    pub auth: String,
    /// The user header a forward-auth proxy sets (PORTALL_AUTH=forward).
    #[arg(long, env = "PORTALL_AUTH_HEADER", default_value = "Remote-User")]
    pub auth_header: String,
    /// Addresses (CIDRs) of the proxies whose user header is trusted; required with forward.
    #[arg(long, env = "PORTALL_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// Host names Portall answers to besides IP addresses, localhost and this machine's name
    /// (comma-separated; `*.home.lan` patterns; `*` turns the check off).
    #[arg(long, env = "PORTALL_ALLOWED_HOSTS", default_value = "")]
    pub allowed_hosts: String,
    /// Mark the session cookie Secure even when the request did not say it came over HTTPS.
    #[arg(long, env = "PORTALL_COOKIE_SECURE", default_value = "false", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true")]
    pub cookie_secure: bool,
    /// How many client connections are served at once (more wait to be accepted).
    #[arg(long, env = "PORTALL_MAX_CONNECTIONS", default_value = "256")]
    pub max_connections: String,
    /// Seconds a connection may stay silent (nothing read or written) before it is closed.
    #[arg(long, env = "PORTALL_IDLE_TIMEOUT", default_value = "60")]
    pub idle_timeout: String,
    /// A folder for scheduled backups (a consistent copy of the database); unset: none are made.
    #[arg(long, env = "PORTALL_BACKUP_DIR", default_value = "")]
    pub backup_dir: String,
    /// How many scheduled backups to keep (the oldest go).
    #[arg(long, env = "PORTALL_BACKUP_KEEP", default_value = "7")]
    pub backup_keep: String,
    /// Hours between scheduled backups (the first one is made at start-up).
    #[arg(long, env = "PORTALL_BACKUP_INTERVAL_HOURS", default_value = "24")]
    pub backup_interval_hours: String,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Benchmark: create N real containers on the local engine, time the listing and a full scan.
    BenchScan {
        /// Container counts to measure, e.g. 100,300.
        #[arg(long, value_delimiter = ',', default_value = "100,300")]
        containers: Vec<usize>,
    },
    /// Benchmark: the importers on generated Compose files and Caddyfiles of N services / sites.
    BenchImport {
        /// Sizes to measure, e.g. 100,1000.
        #[arg(long, value_delimiter = ',', default_value = "100,1000")]
        services: Vec<usize>,
    },
    /// Benchmark: a TCP connect scan of every port of a loopback address with 20 listeners, and of
    /// 1 024 ports that never answer (their accept queues are full, so handshakes are dropped).
    BenchHostscan {
        /// Ports tried at once.
        #[arg(long, default_value = "512")]
        concurrency: usize,
    },
    /// Forgot the admin password: removes the account (its sessions and API tokens go with it), so
    /// the next visit shows the first-run setup page again. Ports and integrations stay.
    ResetAuth,
    /// Exit 0 when this Portall answers `/healthz` (the container image's HEALTHCHECK).
    Healthcheck,
    /// Benchmark: how fast a started container shows up (Docker events), bursts, idle CPU.
    BenchLive {
        /// How many single starts to time.
        #[arg(long, default_value_t = 10)]
        runs: usize,
        /// How many containers to start at once.
        #[arg(long, default_value_t = 100)]
        burst: usize,
    },
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_path: PathBuf,
    pub addr: SocketAddr,
    pub host_ip: Option<String>,
    pub docker_host: Option<String>,
    pub site_root: PathBuf,
    pub no_scan: bool,
    pub scan_concurrency: usize,
    pub security: Security,
    pub max_connections: usize,
    pub idle_timeout: std::time::Duration,
    /// Scheduled backups: folder, how many to keep, how often.
    pub backup: Option<Backup>,
}

#[derive(Debug, Clone)]
pub struct Backup {
    pub dir: PathBuf,
    pub keep: usize,
    pub every: std::time::Duration,
}

/// Who gets in, and under which names: the web layer's guards read this.
#[derive(Debug, Clone)]
pub struct Security {
    pub mode: AuthMode,
    pub auth_header: axum::http::HeaderName,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub allowed_hosts: AllowedHosts,
    pub cookie_secure: bool,
}

impl Security {
    /// `none`, for tests and benchmarks that drive the router themselves.
    pub fn open() -> Self {
        Security {
            mode: AuthMode::None,
            auth_header: axum::http::HeaderName::from_static("remote-user"),
            trusted_proxies: Vec::new(),
            allowed_hosts: AllowedHosts::parse("", None).expect("empty list"),
            cookie_secure: false,
        }
    }
}

/// The names Portall answers to (DNS rebinding defence): any IP literal, `localhost`, this machine's
/// name and `PORTALL_ALLOWED_HOSTS`. A page on another site that rebinds its own name to Portall's
/// address arrives with its own name in `Host`, so it is refused.
#[derive(Debug, Clone, PartialEq)]
pub struct AllowedHosts {
    any: bool,
    names: Vec<String>,
    /// `*.home.lan` as `.home.lan`.
    suffixes: Vec<String>,
}

impl AllowedHosts {
    pub fn parse(list: &str, hostname: Option<&str>) -> Result<Self, String> {
        let mut hosts = AllowedHosts {
            any: false,
            names: vec!["localhost".into()],
            suffixes: vec![".localhost".into()],
        };
        if let Some(h) = hostname
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
        {
            hosts.names.push(h);
        }
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let item = item.to_ascii_lowercase();
            if item == "*" {
                hosts.any = true;
            } else if let Some(rest) = item.strip_prefix("*.") {
                if !valid_name(rest) {
                    return Err(format!(
                        "'{item}' is not a host name pattern (e.g. *.home.lan)"
                    ));
                }
                hosts.suffixes.push(format!(".{rest}"));
            } else if valid_name(&item) {
                hosts.names.push(item.trim_end_matches('.').to_string());
            } else {
                return Err(format!(
                    "'{item}' is not a host name (give names without scheme or port, e.g. portall.home.lan)"
                ));
            }
        }
        Ok(hosts)
    }

    /// Whether a `Host` (or an `Origin`'s host) is served; `value` may carry a port.
    pub fn allows(&self, value: &str) -> bool {
        if self.any {
            return true;
        }
        let value = value.trim();
        // [v6]:port, v4:port, name:port, or without port.
        let host = if let Some(rest) = value.strip_prefix('[') {
            match rest.split_once(']') {
                Some((ip, _)) => return ip.parse::<std::net::Ipv6Addr>().is_ok(),
                None => return false,
            }
        } else {
            value.rsplit_once(':').map_or(value, |(h, _)| h)
        };
        if host.parse::<IpAddr>().is_ok() {
            return true;
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.names.contains(&host) || self.suffixes.iter().any(|s| host.ends_with(s.as_str()))
    }
}

fn valid_name(s: &str) -> bool {
    let s = s.trim_end_matches('.');
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// This machine's name, as the kernel has it.
fn machine_hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|s| s.trim().to_string())
}

fn parse_security(args: &Args) -> Result<Security, StartupError> {
    let mode = AuthMode::parse(&args.auth).ok_or_else(|| {
        invalid(
            "PORTALL_AUTH (--auth)",
            format!("'{}' is not one of password, forward, none", args.auth),
        )
    })?;
    let auth_header = axum::http::HeaderName::from_bytes(args.auth_header.trim().as_bytes())
        .map_err(|_| {
            invalid(
                "PORTALL_AUTH_HEADER (--auth-header)",
                format!("'{}' is not a header name", args.auth_header),
            )
        })?;
    let mut trusted_proxies = Vec::new();
    for item in args
        .trusted_proxies
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let net = item
            .parse::<ipnet::IpNet>()
            .or_else(|_| item.parse::<IpAddr>().map(ipnet::IpNet::from))
            .map_err(|_| {
                invalid(
                    "PORTALL_TRUSTED_PROXIES (--trusted-proxies)",
                    format!("'{item}' is not an address or CIDR (e.g. 172.18.0.0/16)"),
                )
            })?;
        trusted_proxies.push(net);
    }
    if mode == AuthMode::Forward && trusted_proxies.is_empty() {
        return Err(invalid(
            "PORTALL_TRUSTED_PROXIES (--trusted-proxies)",
            "is required with PORTALL_AUTH=forward: the addresses of the proxy that sets the user header",
        ));
    }
    let allowed_hosts = AllowedHosts::parse(&args.allowed_hosts, machine_hostname().as_deref())
        .map_err(|r| invalid("PORTALL_ALLOWED_HOSTS (--allowed-hosts)", r))?;
    Ok(Security {
        mode,
        auth_header,
        trusted_proxies,
        allowed_hosts,
        cookie_secure: args.cookie_secure,
    })
}

/// A whole number within `range`, else an error naming the variable and the range.
fn number_in(
    value: &str,
    range: std::ops::RangeInclusive<u64>,
    name: &'static str,
    what: &str,
) -> Result<u64, StartupError> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            invalid(
                name,
                format!(
                    "'{value}' is not {what} from {} to {}",
                    range.start(),
                    range.end()
                ),
            )
        })
}

fn invalid(name: &'static str, reason: impl Into<String>) -> StartupError {
    StartupError::Config {
        name,
        reason: reason.into(),
    }
}

impl Config {
    pub fn from_args(args: Args) -> Result<Self, StartupError> {
        let database_path = parse_database_url(&args.database_url)
            .map_err(|r| invalid("DATABASE_URL (--database-url)", r))?;
        prepare_database_folder(&database_path)
            .map_err(|r| invalid("DATABASE_URL (--database-url)", r))?;
        let port = parse_port(&args.port).map_err(|r| invalid("PORT (--port)", r))?;
        let bind: IpAddr = args.bind.trim().parse().map_err(|_| {
            invalid(
                "PORTALL_BIND (--bind)",
                format!(
                    "'{}' is not an IP address (e.g. 127.0.0.1 or 0.0.0.0)",
                    args.bind
                ),
            )
        })?;
        let host_ip = match args.host_ip.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(h) => {
                app::validation::validate_host(h).map_err(|r| invalid("HOST_IP (--host-ip)", r))?;
                Some(h.to_string())
            }
        };
        let docker_host = match args.docker_host.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(h) => {
                app::validation::validate_docker_host(h)
                    .map_err(|r| invalid("DOCKER_HOST (--docker-host)", r))?;
                Some(h.to_string())
            }
        };
        let scan_concurrency = number_in(
            &args.scan_concurrency,
            1..=256,
            "PORTALL_SCAN_CONCURRENCY (--scan-concurrency)",
            "a number",
        )? as usize;
        let security = parse_security(&args)?;
        let max_connections = number_in(
            &args.max_connections,
            8..=65_536,
            "PORTALL_MAX_CONNECTIONS (--max-connections)",
            "a number",
        )? as usize;
        // Above the event stream's 15 s keep-alive, or live updates would be cut.
        let idle_timeout = std::time::Duration::from_secs(number_in(
            &args.idle_timeout,
            20..=3600,
            "PORTALL_IDLE_TIMEOUT (--idle-timeout)",
            "a number of seconds",
        )?);
        let backup = match args.backup_dir.trim() {
            "" => None,
            dir => Some(Backup {
                dir: PathBuf::from(dir),
                keep: number_in(
                    &args.backup_keep,
                    1..=365,
                    "PORTALL_BACKUP_KEEP (--backup-keep)",
                    "a number",
                )? as usize,
                every: std::time::Duration::from_secs(
                    3600 * number_in(
                        &args.backup_interval_hours,
                        1..=720,
                        "PORTALL_BACKUP_INTERVAL_HOURS (--backup-interval-hours)",
                        "a number of hours",
                    )?,
                ),
            }),
        };
        Ok(Config {
            backup,
            security,
            max_connections,
            idle_timeout,
            database_path,
            addr: SocketAddr::new(bind, port),
            host_ip,
            docker_host,
            site_root: PathBuf::from(args.site_root),
            no_scan: args.no_scan,
            scan_concurrency,
        })
    }
}

/// Where `portall healthcheck` finds the server: the bind address (loopback for 0.0.0.0 / ::).
pub fn health_url(args: &Args) -> Result<String, StartupError> {
    let port = parse_port(&args.port).map_err(|r| invalid("PORT (--port)", r))?;
    let ip: IpAddr = args.bind.trim().parse().map_err(|_| {
        invalid(
            "PORTALL_BIND (--bind)",
            format!("'{}' is not an IP address", args.bind),
        )
    })?;
    let ip = match ip {
        IpAddr::V4(v) if v.is_unspecified() => IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        IpAddr::V6(v) if v.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        other => other,
    };
    Ok(format!("http://{}/healthz", SocketAddr::new(ip, port)))
}

fn parse_port(value: &str) -> Result<u16, String> {
    match value.trim().parse::<u32>() {
        Ok(p) if (1..=65535).contains(&p) => Ok(p as u16),
        Ok(p) => Err(format!("{p} is outside 1–65535")),
        Err(_) => Err(format!("'{value}' is not a port number (1–65535)")),
    }
}

/// The file path of a `sqlite:` URL. Accepts sqlx's forms (`sqlite://rel.db`, `sqlite:///abs.db`),
/// SQLAlchemy's absolute form (`sqlite:////abs.db`) and `sqlite:rel.db`; a `?query` is ignored.
pub fn parse_database_url(url: &str) -> Result<PathBuf, String> {
    let url = url.trim();
    let rest = url.strip_prefix("sqlite:").ok_or_else(|| {
        format!("'{url}' is not a SQLite URL (expected e.g. sqlite://data/portall.db)")
    })?;
    let rest = rest.split('?').next().unwrap_or_default();
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    // What remains after the authority slashes: `//abs` is SQLAlchemy's four-slash absolute form.
    let path = if rest.starts_with("//") {
        &rest[1..]
    } else {
        rest
    };
    if path.is_empty() || path == "/" {
        return Err(format!("'{url}' names no database file"));
    }
    if path == ":memory:" {
        return Err("an in-memory database would lose every port on restart; name a file".into());
    }
    Ok(PathBuf::from(path))
}

/// Creates the database's folder if missing and checks that a file can be written there.
fn prepare_database_folder(path: &Path) -> Result<(), String> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&folder)
        .map_err(|e| format!("cannot create folder '{}': {e}", folder.display()))?;
    if path.is_dir() {
        return Err(format!(
            "'{}' is a folder, not a database file",
            path.display()
        ));
    }
    let probe = folder.join(format!(".portall-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"")
        .map_err(|e| format!("folder '{}' is not writable: {e}", folder.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Args {
        let mut v = vec!["portall"];
        v.extend_from_slice(extra);
        Args::try_parse_from(v).expect("args parse")
    }

    fn error_of(extra: &[&str]) -> String {
        Config::from_args(args(extra)).unwrap_err().to_string()
    }

    #[test]
    fn database_url_forms() {
        let cases = [
            ("sqlite://data/portall.db", "data/portall.db"),
            (
                "sqlite:///var/lib/portall/portall.db",
                "/var/lib/portall/portall.db",
            ),
            (
                "sqlite:////app/instance/portall.db",
                "/app/instance/portall.db",
            ),
            ("sqlite:portall.db", "portall.db"),
            ("sqlite://data/portall.db?mode=rwc", "data/portall.db"),
        ];
        for (url, path) in cases {
            assert_eq!(parse_database_url(url), Ok(PathBuf::from(path)), "{url}");
        }
        for bad in [
            "postgres://x/y",
            "sqlite://",
            "sqlite:///",
            "sqlite::memory:",
            "data.db",
        ] {
            assert!(parse_database_url(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn defaults_and_good_values() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/sub/p.db", dir.path().display());
        let c = Config::from_args(args(&["--database-url", &url])).unwrap();
        assert_eq!(c.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(c.database_path, dir.path().join("sub/p.db"));
        assert!(dir.path().join("sub").is_dir(), "folder created");
        assert_eq!(c.scan_concurrency, 8);
        assert!(!c.no_scan);

        let c = Config::from_args(args(&[
            "--database-url",
            &url,
            "--port",
            "9000",
            "--bind",
            "0.0.0.0",
            "--host-ip",
            "192.168.1.20",
            "--docker-host",
            "tcp://127.0.0.1:2375",
            "--no-scan",
        ]))
        .unwrap();
        assert_eq!(c.addr, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(c.host_ip.as_deref(), Some("192.168.1.20"));
        assert_eq!(c.docker_host.as_deref(), Some("tcp://127.0.0.1:2375"));
        assert!(c.no_scan);
    }

    #[test]
    fn allowed_hosts_take_ips_localhost_the_machine_and_the_list() {
        let h = AllowedHosts::parse("portall.example.org, *.home.lan", Some("nas")).unwrap();
        for ok in [
            "127.0.0.1:8080",
            "192.168.1.5",
            "[::1]:8080",
            "localhost:8080",
            "LOCALHOST",
            "nas:8080",
            "portall.example.org",
            "portall.example.org.:443",
            "dash.home.lan",
            "a.b.home.lan:1",
        ] {
            assert!(h.allows(ok), "{ok}");
        }
        for refused in [
            "evil.example",
            "home.lan",
            "nas.evil.example",
            "[not-ip]",
            "xhome.lan",
        ] {
            assert!(!h.allows(refused), "{refused}");
        }
        assert!(AllowedHosts::parse("*", None)
            .unwrap()
            .allows("anything.example"));
        assert!(AllowedHosts::parse("http://x.lan", None).is_err());
    }

    #[test]
    fn bad_values_name_the_variable() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/p.db", dir.path().display());
        let e = error_of(&["--database-url", &url, "--port", "0"]);
        assert!(
            e.starts_with("invalid PORT (--port)") && e.contains("outside"),
            "{e}"
        );
        let e = error_of(&["--database-url", &url, "--port", "http"]);
        assert!(e.contains("PORT") && e.contains("'http'"), "{e}");
        let e = error_of(&["--database-url", &url, "--bind", "localhost:80"]);
        assert!(e.starts_with("invalid PORTALL_BIND"), "{e}");
        let e = error_of(&["--database-url", &url, "--docker-host", "ftp://x"]);
        assert!(e.starts_with("invalid DOCKER_HOST"), "{e}");
        let e = error_of(&["--database-url", &url, "--scan-concurrency", "0"]);
        assert!(e.starts_with("invalid PORTALL_SCAN_CONCURRENCY"), "{e}");
        let e = error_of(&["--database-url", "mysql://x"]);
        assert!(e.starts_with("invalid DATABASE_URL"), "{e}");

        // A folder that cannot be created: its parent is a regular file.
        let file = dir.path().join("plain-file");
        std::fs::write(&file, b"x").unwrap();
        let e = error_of(&[
            "--database-url",
            &format!("sqlite://{}/sub/p.db", file.display()),
        ]);
        assert!(
            e.starts_with("invalid DATABASE_URL") && e.contains("cannot create folder"),
            "{e}"
        );
    }
}
