//! Addresses, parsed once. Portall reads addresses in three shapes — a Docker Engine address
//! (`unix:///path`, `tcp://host:port`, `http(s)://host:port`), an HTTP URL (Portainer, Komodo) and a plain
//! host (`10.0.0.5`, `nas.lan`, `[::1]`) — and needs the same two things from each: is it well formed,
//! and which host does it name (the address its containers' ports are recorded at). One parser serves
//! all of them, in the browser and on the server, so the form, the API and the scanner agree.

/// How Portall connects to an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Unix,
    Tcp,
    Http,
    Https,
}

/// A parsed address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    pub scheme: Scheme,
    /// The host (without brackets for IPv6); empty for a unix socket.
    pub host: String,
    pub port: Option<u16>,
    /// The socket path for `unix://`, else what follows the authority (`/portainer`, or empty).
    pub path: String,
}

/// A host name or an IP address (v4, or v6 with or without brackets).
pub fn validate_host(host: &str) -> Result<(), String> {
    let host = host.trim();
    if host.is_empty() {
        return Err("must not be empty".into());
    }
    let unbracketed = host.trim_start_matches('[').trim_end_matches(']');
    if unbracketed.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    if host.len() > 253 {
        return Err("is longer than 253 characters".into());
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if host.split('.').all(label_ok) {
        return Ok(());
    }
    // The Python Portall stored some addresses as `host:port`; say how to fix one rather than only
    // that it is wrong.
    if let Some((h, p)) = host.rsplit_once(':') {
        if !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) && validate_host(h).is_ok() {
            return Err(format!(
                "'{host}' is an address with a port; enter the address only ({h}) and the port in its own field"
            ));
        }
    }
    Err(format!("'{host}' is not a valid host name or IP address"))
}

/// Splits an authority into host and port text: `h`, `h:p`, `[v6]`, `[v6]:p`, or a bare IPv6.
fn split_authority(authority: &str) -> (&str, Option<&str>) {
    if let Some(rest) = authority.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((h, tail)) => (h, tail.strip_prefix(':')),
            None => (rest, None),
        };
    }
    if authority.parse::<std::net::Ipv6Addr>().is_ok() {
        return (authority, None);
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    }
}

fn parse_port(port: &str) -> Result<u16, String> {
    port.parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("'{port}' is not a port number (1–65535)"))
}

impl Address {
    /// Any supported address: `unix:///path`, or `tcp|http|https://host[:port][/path]`.
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if let Some(path) = value.strip_prefix("unix://") {
            if !path.starts_with('/') || path.len() < 2 {
                return Err(
                    "a unix socket needs an absolute path, e.g. unix:///var/run/docker.sock".into(),
                );
            }
            return Ok(Address {
                scheme: Scheme::Unix,
                host: String::new(),
                port: None,
                path: path.to_string(),
            });
        }
        let (scheme, rest) = [
            ("tcp://", Scheme::Tcp),
            ("http://", Scheme::Http),
            ("https://", Scheme::Https),
        ]
        .into_iter()
        .find_map(|(prefix, scheme)| value.strip_prefix(prefix).map(|rest| (scheme, rest)))
        .ok_or_else(|| format!("'{value}' must start with unix://, tcp://, http:// or https://"))?;
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        if authority.is_empty() {
            return Err("needs a host, e.g. https://portainer.lan:9443".into());
        }
        if authority.contains('@') {
            return Err("must not contain credentials; use the API key fields".into());
        }
        let (host, port) = split_authority(authority);
        validate_host(host)?;
        let port = port.map(parse_port).transpose()?;
        Ok(Address {
            scheme,
            host: host.to_string(),
            port,
            path: path.to_string(),
        })
    }

    /// A Docker Engine address: a unix socket, or `tcp|http|https://host:port` with nothing after it.
    pub fn docker(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if value.is_empty() {
            return Err("is required, e.g. unix:///var/run/docker.sock".into());
        }
        let known = ["unix://", "tcp://", "http://", "https://"];
        if !known.iter().any(|k| value.starts_with(k)) {
            return Err(format!(
                "'{value}' is not a Docker address: use unix:///path, tcp://host:port or https://host:port"
            ));
        }
        let address = Address::parse(value.trim_end_matches('/'))?;
        if address.scheme == Scheme::Unix {
            return Ok(address);
        }
        if !address.path.is_empty() {
            return Err(format!(
                "'{value}' must be just {}host:port",
                address.prefix()
            ));
        }
        if address.port.is_none() {
            let example = if address.host.contains(':') {
                "[::1]:2375"
            } else {
                "docker.lan:2375"
            };
            return Err(format!(
                "'{}' needs a port, e.g. {example}",
                address.authority()
            ));
        }
        Ok(address)
    }

    /// An HTTP(S) URL of a web API (Portainer, Komodo): a host, an optional port and path.
    pub fn http_url(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if !(value.starts_with("http://") || value.starts_with("https://")) {
            return Err(format!("'{value}' must start with http:// or https://"));
        }
        Address::parse(value)
    }

    /// The host an address names, read leniently (for display and for recording ports): a URL's or
    /// Docker address's host, `host:port`, `[v6]:port`, or a bare host; none for a unix socket.
    pub fn host_of(value: &str) -> Option<String> {
        let value = value.trim();
        if value.is_empty() || value.starts_with("unix://") {
            return None;
        }
        let rest = value.split_once("://").map_or(value, |(_, r)| r);
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let (host, port) = split_authority(authority);
        // `nas.lan:abc` is not host and port; keep it whole as the bare form always did.
        let host = match port {
            Some(p) if !value.contains("://") && !p.chars().all(|c| c.is_ascii_digit()) => {
                authority
            }
            _ => host,
        };
        (!host.is_empty()).then(|| host.to_string())
    }

    fn prefix(&self) -> &'static str {
        match self.scheme {
            Scheme::Unix => "unix://",
            Scheme::Tcp => "tcp://",
            Scheme::Http => "http://",
            Scheme::Https => "https://",
        }
    }

    fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match self.port {
            Some(p) => format!("{host}:{p}"),
            None => host,
        }
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.scheme {
            Scheme::Unix => write!(f, "unix://{}", self.path),
            _ => write!(f, "{}{}{}", self.prefix(), self.authority(), self.path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_addresses() {
        for ok in [
            "unix:///var/run/docker.sock",
            "tcp://docker.lan:2375",
            "tcp://10.0.0.5:2376/",
            "https://[fd00::5]:2376",
            "http://socket-proxy:2375",
        ] {
            let a = Address::docker(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(a.to_string(), ok.trim_end_matches('/'), "round trip");
        }
        for (bad, says) in [
            ("", "is required"),
            ("unix://relative.sock", "absolute path"),
            ("tcp://docker.lan", "needs a port, e.g. docker.lan:2375"),
            ("tcp://[::1]", "needs a port, e.g. [::1]:2375"),
            ("tcp://docker.lan:0", "not a port number"),
            (
                "tcp://docker.lan:2375/v1.41",
                "must be just tcp://host:port",
            ),
            ("docker.lan:2375", "is not a Docker address"),
            ("ftp://docker.lan:21", "is not a Docker address"),
            ("tcp://bad_host!:2375", "not a valid host"),
        ] {
            let e = Address::docker(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn http_urls() {
        let a = Address::http_url("https://portainer.lan:9443/sub/").unwrap();
        assert_eq!(
            (a.host.as_str(), a.port, a.path.as_str()),
            ("portainer.lan", Some(9443), "/sub/")
        );
        assert_eq!(Address::http_url("http://[::1]").unwrap().host, "::1");
        for (bad, says) in [
            ("portainer.lan", "must start with http"),
            ("tcp://p.lan:1", "must start with http"),
            ("https://", "needs a host"),
            ("https://admin:pw@p.lan", "credentials"),
            ("https://p.lan:99999", "not a port number"),
        ] {
            let e = Address::http_url(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn the_host_an_address_names() {
        for (address, host) in [
            ("tcp://10.0.0.5:2375", Some("10.0.0.5")),
            ("https://portainer.lan:9443/x", Some("portainer.lan")),
            ("https://[fd00::1]:9443", Some("fd00::1")),
            ("nas.lan:8080", Some("nas.lan")),
            ("[::1]:80", Some("::1")),
            ("fd00::7", Some("fd00::7")),
            ("10.0.0.9", Some("10.0.0.9")),
            ("10.0.0.5:9001", Some("10.0.0.5")),
            ("[fe80::1]:8120", Some("fe80::1")),
            ("pi.lan", Some("pi.lan")),
            ("host:abc", Some("host:abc")),
            ("unix:///var/run/docker.sock", None),
            ("", None),
        ] {
            assert_eq!(Address::host_of(address).as_deref(), host, "{address}");
        }
    }
}
