//! Who may use Portall. Three modes, chosen at start-up (`PORTALL_AUTH`):
//!
//! - `password` (the default): one admin account, created on the first visit (the setup page), then
//!   a login page; browser sessions live in the database (revocable), scripts use API tokens.
//! - `forward`: a reverse proxy that authenticates (Authelia, authentik, oauth2-proxy) names the user
//!   in a header, trusted only from the proxies' addresses.
//! - `none`: no check, for a loopback bind or a proxy that already guards every request.
//!
//! The types and the checks of what a user types (account, password, token name) are shared with
//! the browser, so a form says what is wrong before it is sent; the server checks again.

#[cfg(feature = "ssr")]
pub mod limiter;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

use crate::validation::{push_error, FieldErrors};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum AuthMode {
    Password,
    Forward,
    None,
}

impl AuthMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "password" | "" => Some(Self::Password),
            "forward" | "forward-proxy" => Some(Self::Forward),
            "none" | "off" => Some(Self::None),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Forward => "forward",
            Self::None => "none",
        }
    }
}

/// `GET /api/auth/status`: what a page or a script needs to know before anything else.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuthStatus {
    pub mode: AuthMode,
    pub setup_required: bool,
    pub user: Option<String>,
}

pub const USERNAME_MAX: usize = 64;
pub const PASSWORD_MIN: usize = 12;
pub const PASSWORD_MAX: usize = 1024;
pub const TOKEN_NAME_MAX: usize = 64;

/// A username and password as typed, parsed into what may be stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

// Never print a password, not even in a debug log line.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

fn text_field<'a>(input: &'a Value, key: &str, errors: &mut FieldErrors) -> &'a str {
    match input.get(key) {
        Some(Value::String(s)) => s,
        None | Some(Value::Null) => "",
        Some(_) => {
            push_error(errors, key, "must be text");
            ""
        }
    }
}

/// The rules for a new password (setup, change).
pub fn check_new_password(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        Err(format!("must be at least {PASSWORD_MIN} characters"))
    } else if n > PASSWORD_MAX {
        Err(format!("must be at most {PASSWORD_MAX} characters"))
    } else {
        Ok(())
    }
}

/// The rules for a username.
pub fn check_username(username: &str) -> Result<(), String> {
    if username.is_empty() {
        Err("is required".into())
    } else if username.chars().count() > USERNAME_MAX {
        Err(format!("must be at most {USERNAME_MAX} characters"))
    } else if username.chars().any(char::is_control) {
        Err("must be one line of text".into())
    } else {
        Ok(())
    }
}

/// `{username, password}` for the first account: the username trimmed, the password as typed.
pub fn parse_new_account(input: &Value) -> Result<Credentials, FieldErrors> {
    let mut errors = FieldErrors::new();
    let username = text_field(input, "username", &mut errors)
        .trim()
        .to_string();
    let password = text_field(input, "password", &mut errors).to_string();
    if let Err(m) = check_username(&username) {
        push_error(&mut errors, "username", m);
    }
    if let Err(m) = check_new_password(&password) {
        push_error(&mut errors, "password", m);
    }
    // The setup page asks twice; scripts need not.
    if let Some(Value::String(confirm)) = input.get("password_confirm") {
        if *confirm != password {
            push_error(
                &mut errors,
                "password_confirm",
                "does not match the password",
            );
        }
    }
    if errors.is_empty() {
        Ok(Credentials { username, password })
    } else {
        Err(errors)
    }
}

/// `{username, password}` for a login: only presence is checked (the rules may have changed since).
pub fn parse_login(input: &Value) -> Result<Credentials, FieldErrors> {
    let mut errors = FieldErrors::new();
    let username = text_field(input, "username", &mut errors)
        .trim()
        .to_string();
    let password = text_field(input, "password", &mut errors).to_string();
    if username.is_empty() {
        push_error(&mut errors, "username", "is required");
    }
    if password.is_empty() {
        push_error(&mut errors, "password", "is required");
    }
    if errors.is_empty() {
        Ok(Credentials { username, password })
    } else {
        Err(errors)
    }
}

/// `{current, new}` for a password change.
pub fn parse_password_change(input: &Value) -> Result<(String, String), FieldErrors> {
    let mut errors = FieldErrors::new();
    let current = text_field(input, "current", &mut errors).to_string();
    let new = text_field(input, "new", &mut errors).to_string();
    if current.is_empty() {
        push_error(&mut errors, "current", "is required");
    }
    if let Err(m) = check_new_password(&new) {
        push_error(&mut errors, "new", m);
    } else if new == current {
        push_error(&mut errors, "new", "must differ from the current password");
    }
    if errors.is_empty() {
        Ok((current, new))
    } else {
        Err(errors)
    }
}

/// `{name}` for a new API token.
pub fn parse_token_name(input: &Value) -> Result<String, FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = text_field(input, "name", &mut errors).trim().to_string();
    if name.is_empty() {
        push_error(
            &mut errors,
            "name",
            "is required (what uses it, e.g. \"backup script\")",
        );
    } else if name.chars().count() > TOKEN_NAME_MAX {
        push_error(
            &mut errors,
            "name",
            format!("must be at most {TOKEN_NAME_MAX} characters"),
        );
    } else if name.chars().any(char::is_control) {
        push_error(&mut errors, "name", "must be one line of text");
    }
    if errors.is_empty() {
        Ok(name)
    } else {
        Err(errors)
    }
}

/// An API token as Settings lists it (never the token itself).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    /// The token's first characters.
    pub hint: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// A token just created: the only time the token is shown.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedToken {
    pub id: i64,
    pub name: String,
    pub token: String,
}

impl std::fmt::Debug for CreatedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedToken")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_new_account_needs_a_name_and_twelve_characters() {
        let e = parse_new_account(&json!({"username": " ", "password": "short"})).unwrap_err();
        assert_eq!(e["username"], vec!["is required"]);
        assert_eq!(e["password"], vec!["must be at least 12 characters"]);
        let ok = parse_new_account(&json!({"username": " admin ", "password": "Zwölf Zeichen"}))
            .unwrap();
        assert_eq!(ok.username, "admin");
        assert_eq!(
            ok.password, "Zwölf Zeichen",
            "counted in characters, kept as typed"
        );
        let e = parse_new_account(&json!({"username": "a\nb", "password": 5})).unwrap_err();
        assert_eq!(e["username"], vec!["must be one line of text"]);
        assert_eq!(e["password"][0], "must be text");
    }

    #[test]
    fn debug_output_hides_passwords_and_tokens() {
        let c = parse_login(&json!({"username": "admin", "password": "hunter2-hunter2"})).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
        let t = CreatedToken {
            id: 1,
            name: "x".into(),
            token: "ptl_secret".into(),
        };
        assert!(!format!("{t:?}").contains("ptl_secret"));
    }

    #[test]
    fn password_change_and_token_names() {
        let e =
            parse_password_change(&json!({"current": "", "new": "same-same-same"})).unwrap_err();
        assert!(e.contains_key("current"));
        let e =
            parse_password_change(&json!({"current": "same-same-same", "new": "same-same-same"}))
                .unwrap_err();
        assert_eq!(e["new"], vec!["must differ from the current password"]);
        assert!(parse_token_name(&json!({"name": "  "})).is_err());
        assert_eq!(parse_token_name(&json!({"name": " ci "})).unwrap(), "ci");
        assert_eq!(AuthMode::parse("forward-proxy"), Some(AuthMode::Forward));
        assert_eq!(AuthMode::parse("ldap"), None);
    }
}
