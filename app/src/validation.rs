//! Input validation shared by the browser and the server: every check returns a message a user can act on.

use std::collections::BTreeMap;

/// Field name → messages, as the REST API returns them with HTTP 422 and the forms show them inline.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Adds `message` to `field` in `errors`.
pub fn push_error(errors: &mut FieldErrors, field: &str, message: impl Into<String>) {
    errors
        .entry(field.to_string())
        .or_default()
        .push(message.into());
}

/// The first of `order` (a form's fields, top to bottom) that has an error, else any field with one:
/// where a form puts the focus after a failed save.
pub fn first_error<'a>(
    errors: &FieldErrors,
    order: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    order
        .into_iter()
        .find(|k| errors.contains_key(*k))
        .map(str::to_string)
        .or_else(|| errors.keys().next().cloned())
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
        Ok(())
    } else {
        Err(format!("'{host}' is not a valid host name or IP address"))
    }
}

/// Splits `host:port` (or `[v6]:port`) and checks both parts.
fn validate_host_port(authority: &str) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (h, p) = rest
            .split_once("]:")
            .ok_or_else(|| format!("'{authority}' needs a port, e.g. [::1]:2375"))?;
        (h.to_string(), p)
    } else {
        let (h, p) = authority
            .rsplit_once(':')
            .ok_or_else(|| format!("'{authority}' needs a port, e.g. docker.lan:2375"))?;
        (h.to_string(), p)
    };
    validate_host(&host)?;
    let port: u16 = port
        .parse()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("'{port}' is not a port number (1–65535)"))?;
    Ok((host, port))
}

/// A Docker Engine address: `unix:///path`, `tcp://host:port` or `http(s)://host:port`.
pub fn validate_docker_host(value: &str) -> Result<(), String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("is required, e.g. unix:///var/run/docker.sock".into());
    }
    if let Some(path) = value.strip_prefix("unix://") {
        if !path.starts_with('/') || path.len() < 2 {
            return Err(
                "a unix socket needs an absolute path, e.g. unix:///var/run/docker.sock".into(),
            );
        }
        return Ok(());
    }
    for scheme in ["tcp://", "http://", "https://"] {
        if let Some(rest) = value.strip_prefix(scheme) {
            let authority = rest.trim_end_matches('/');
            if authority.contains('/') || authority.contains('?') {
                return Err(format!("'{value}' must be just {scheme}host:port"));
            }
            return validate_host_port(authority).map(|_| ());
        }
    }
    Err(format!(
        "'{value}' is not a Docker address: use unix:///path, tcp://host:port or https://host:port"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_error_follows_the_form_order() {
        let mut e = FieldErrors::new();
        push_error(&mut e, "description", "is required");
        push_error(
            &mut e,
            "port_number",
            "must be a whole number from 1 to 65535",
        );
        assert_eq!(
            first_error(&e, ["ip_address", "port_number", "description"]).as_deref(),
            Some("port_number")
        );
        assert_eq!(first_error(&e, ["other"]).as_deref(), Some("description"));
        assert_eq!(first_error(&FieldErrors::new(), ["x"]), None);
    }

    #[test]
    fn docker_hosts() {
        for ok in [
            "unix:///var/run/docker.sock",
            "tcp://127.0.0.1:2375",
            "tcp://nas.lan:2376",
            "http://docker-proxy:2375",
            "https://[::1]:2376",
        ] {
            assert_eq!(validate_docker_host(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "ftp://x",
            "unix://relative.sock",
            "tcp://host",
            "tcp://host:0",
            "tcp://host:99999",
            "tcp://bad host:1",
            "tcp://h:1/path",
            "/var/run/docker.sock",
        ] {
            assert!(
                validate_docker_host(bad).is_err(),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn hosts() {
        assert!(validate_host("192.168.1.10").is_ok());
        assert!(validate_host("fe80::1").is_ok());
        assert!(validate_host("my-nas.local").is_ok());
        assert!(validate_host("").is_err());
        assert!(validate_host("a b").is_err());
        assert!(validate_host("-bad.lan").is_err());
    }
}
