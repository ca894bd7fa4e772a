//! Hosts: the panels of the Ports page. A host is an address with a nickname and a place among the
//! panels; its entries keep their own order inside it. The legacy Portall had no host record (a panel
//! was "the ports sharing an address"), so a host exists when it has entries or when the user added it
//! by hand (pinned: an empty panel stays until deleted).
//!
//! The inputs are parsed here, once, for the browser and the server alike.

#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

use crate::model::PortEntry;
use crate::ports::NICKNAME_MAX;
use crate::validation::{push_error, validate_host, FieldErrors};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One panel: the host and its entries in their stored order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostGroup {
    pub address: String,
    /// The host's nickname (empty when it has none).
    pub nickname: String,
    /// Added by hand: shown even with no entry.
    pub pinned: bool,
    pub entries: Vec<PortEntry>,
}

/// A host as `GET /api/hosts` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HostSummary {
    pub address: String,
    pub nickname: Option<String>,
    /// Its place among the panels (0 first).
    pub position: i64,
    pub pinned: bool,
    /// How many entries it has, and how many of them are manual.
    pub ports: i64,
    pub manual: i64,
}

/// What deleting a host did: how many entries went, which stayed and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HostDeleted {
    pub deleted: usize,
    /// Discovered entries an integration still reports: they stay until it stops reporting them.
    pub kept: Vec<KeptEntry>,
    pub message: String,
}

/// A discovered entry that stayed, with the integrations that report it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct KeptEntry {
    pub id: i64,
    pub port_number: i64,
    pub port_protocol: crate::ports::Protocol,
    pub description: String,
    pub integrations: Vec<String>,
}

/// What editing a host did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HostEdited {
    pub address: String,
    pub nickname: Option<String>,
    /// Manual entries that moved to the new address.
    pub moved: usize,
    /// Discovered entries that kept the address their integration reports.
    pub stayed: usize,
    pub message: String,
}

/// A new host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewHost {
    pub address: String,
    pub nickname: Option<String>,
}

/// An edit of a host: a new address, a new nickname (`Some(None)` clears it), and whether merging
/// into an address that already has entries was confirmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostEdit {
    pub address: Option<String>,
    pub nickname: Option<Option<String>>,
    pub merge: bool,
}

fn object<'a>(
    input: &'a Value,
    errors: &mut FieldErrors,
) -> Option<&'a serde_json::Map<String, Value>> {
    let obj = input.as_object();
    if obj.is_none() {
        push_error(errors, "_body", "must be a JSON object");
    }
    obj
}

fn text_field(
    obj: &serde_json::Map<String, Value>,
    key: &str,
    errors: &mut FieldErrors,
) -> Option<String> {
    match obj.get(key) {
        None => None,
        Some(Value::Null) => Some(String::new()),
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(_) => {
            push_error(errors, key, "must be text");
            None
        }
    }
}

fn check_address(address: &str, errors: &mut FieldErrors) {
    if address.is_empty() {
        push_error(errors, "address", "is required");
    } else if let Err(m) = validate_host(address) {
        push_error(errors, "address", m);
    }
}

fn check_nickname(nickname: &str, errors: &mut FieldErrors) {
    if nickname.chars().count() > NICKNAME_MAX {
        push_error(
            errors,
            "nickname",
            format!("must be at most {NICKNAME_MAX} characters"),
        );
    }
}

/// `{"address", "nickname"?}`.
pub fn parse_new_host(input: &Value) -> Result<NewHost, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(obj) = object(input, &mut errors) else {
        return Err(errors);
    };
    let address = text_field(obj, "address", &mut errors).unwrap_or_default();
    check_address(&address, &mut errors);
    let nickname = text_field(obj, "nickname", &mut errors).unwrap_or_default();
    check_nickname(&nickname, &mut errors);
    if errors.is_empty() {
        Ok(NewHost {
            address,
            nickname: (!nickname.is_empty()).then_some(nickname),
        })
    } else {
        Err(errors)
    }
}

/// `{"address"?, "nickname"?, "merge"?}`: omitted fields stay as they are.
pub fn parse_host_edit(input: &Value) -> Result<HostEdit, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(obj) = object(input, &mut errors) else {
        return Err(errors);
    };
    let address = text_field(obj, "address", &mut errors);
    if let Some(a) = &address {
        check_address(a, &mut errors);
    }
    let nickname = text_field(obj, "nickname", &mut errors);
    if let Some(n) = &nickname {
        check_nickname(n, &mut errors);
    }
    let merge = match obj.get("merge") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            push_error(&mut errors, "merge", "must be true or false");
            false
        }
    };
    if errors.is_empty() {
        Ok(HostEdit {
            address,
            nickname: nickname.map(|n| (!n.is_empty()).then_some(n)),
            merge,
        })
    } else {
        Err(errors)
    }
}

/// `{"hosts": [address, …]}`: the panels in their new order.
pub fn parse_host_order(input: &Value) -> Result<Vec<String>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let list = input.get("hosts").and_then(Value::as_array);
    let Some(list) = list else {
        push_error(&mut errors, "hosts", "must be a list of host addresses");
        return Err(errors);
    };
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for v in list {
        match v.as_str().map(str::trim) {
            Some(a) if !a.is_empty() => {
                if out.iter().any(|o| o == a) {
                    push_error(&mut errors, "hosts", format!("'{a}' is listed twice"));
                } else {
                    out.push(a.to_string());
                }
            }
            _ => push_error(&mut errors, "hosts", "every item must be a host address"),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// `{"port_ids": [id, …]}`: a panel's entries in their new order.
pub fn parse_port_order(input: &Value) -> Result<Vec<i64>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(list) = input.get("port_ids").and_then(Value::as_array) else {
        push_error(&mut errors, "port_ids", "must be a list of entry ids");
        return Err(errors);
    };
    let mut out: Vec<i64> = Vec::with_capacity(list.len());
    for v in list {
        match v.as_i64() {
            Some(id) if out.contains(&id) => {
                push_error(&mut errors, "port_ids", format!("{id} is listed twice"))
            }
            Some(id) => out.push(id),
            None => push_error(&mut errors, "port_ids", "every item must be an entry id"),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The nickname a panel shows: the host's own, else its first entry's (as the legacy Portall did).
pub fn panel_nickname(own: Option<&str>, entries: &[PortEntry]) -> String {
    own.filter(|n| !n.is_empty())
        .map(str::to_string)
        .or_else(|| {
            entries
                .iter()
                .find_map(|p| p.nickname.clone().filter(|n| !n.is_empty()))
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn host_inputs() {
        let h = parse_new_host(&json!({"address": " 10.0.0.9 ", "nickname": ""})).unwrap();
        assert_eq!((h.address.as_str(), h.nickname), ("10.0.0.9", None));
        let e = parse_new_host(&json!({"address": "10.0.0.9:8080", "nickname": "n".repeat(51)}))
            .unwrap_err();
        assert!(e["address"][0].contains("enter the address only (10.0.0.9)"));
        assert!(e["nickname"][0].contains("at most 50"));
        let edit = parse_host_edit(&json!({"nickname": "", "merge": true})).unwrap();
        assert_eq!(
            (edit.address, edit.nickname, edit.merge),
            (None, Some(None), true)
        );
        assert!(parse_host_edit(&json!({"merge": "yes"})).is_err());
    }

    #[test]
    fn order_inputs() {
        assert_eq!(
            parse_host_order(&json!({"hosts": ["b", "a"]})).unwrap(),
            vec!["b", "a"]
        );
        assert!(
            parse_host_order(&json!({"hosts": ["a", "a"]})).unwrap_err()["hosts"][0]
                .contains("twice")
        );
        assert!(parse_host_order(&json!({"hosts": "a"})).is_err());
        assert_eq!(
            parse_port_order(&json!({"port_ids": [3, 1]})).unwrap(),
            vec![3, 1]
        );
        assert!(parse_port_order(&json!({"port_ids": [1, "x"]})).is_err());
    }
}
