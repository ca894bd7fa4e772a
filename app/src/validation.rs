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

/// Every message of every field, in field order, as one line (for a form with no field to point at).
pub fn all_messages(errors: &FieldErrors) -> String {
    errors
        .values()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join("; ")
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

pub use crate::address::validate_host;

/// A Docker Engine address: `unix:///path`, `tcp://host:port` or `http(s)://host:port`.
pub fn validate_docker_host(value: &str) -> Result<(), String> {
    crate::address::Address::docker(value).map(|_| ())
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
