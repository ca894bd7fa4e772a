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
use crate::ports::{text_field, NICKNAME_MAX};
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
    /// How many entries the host has in all.
    #[serde(default)]
    pub total: usize,
    /// Entries that match the filter but are not sent (a long panel's tail, a collapsed panel).
    #[serde(default)]
    pub hidden: usize,
    /// Of all its entries: how many are manual, and how many an integration still reports (and
    /// which ones) — what the delete and edit dialogs say, whatever the page shows.
    #[serde(default)]
    pub manual: usize,
    #[serde(default)]
    pub reported: usize,
    #[serde(default)]
    pub owners: Vec<String>,
}

impl HostGroup {
    /// The host without its entries (what a dialog keeps).
    pub fn facts(&self) -> HostGroup {
        HostGroup {
            address: self.address.clone(),
            nickname: self.nickname.clone(),
            pinned: self.pinned,
            entries: Vec::new(),
            total: self.total,
            hidden: self.hidden,
            manual: self.manual,
            reported: self.reported,
            owners: self.owners.clone(),
        }
    }

    /// Discovered entries no integration reports any more.
    pub fn stale(&self) -> usize {
        self.total.saturating_sub(self.manual + self.reported)
    }
}

/// How many entries an open panel shows before "Show all", and how many entries the page shows in
/// all before further panels start collapsed: what the first screens hold, so a page of thousands of
/// entries stays small and fast while a homelab's few dozen show whole.
pub const PAGE: usize = 24;
pub const ROW_BUDGET: usize = 288;

/// The Ports page's filter split into its `tag:` terms (`tag:web`, `tag:"home lab"`) and the rest.
pub fn split_filter(filter: &str) -> (Vec<String>, String) {
    let mut tags = Vec::new();
    let mut rest = String::new();
    let mut s = filter.trim();
    while !s.is_empty() {
        let lower = s.get(..4).map(str::to_ascii_lowercase);
        if lower.as_deref() == Some("tag:") {
            let after = &s[4..];
            let (name, tail) = match after.strip_prefix('"') {
                Some(q) => q.split_once('"').unwrap_or((q, "")),
                None => after.split_once(char::is_whitespace).unwrap_or((after, "")),
            };
            if !name.trim().is_empty() {
                tags.push(name.trim().to_string());
            }
            s = tail.trim_start();
        } else {
            let (word, tail) = s.split_once(char::is_whitespace).unwrap_or((s, ""));
            if !rest.is_empty() {
                rest.push(' ');
            }
            rest.push_str(word);
            s = tail.trim_start();
        }
    }
    (tags, rest)
}

/// The filter term that shows the entries carrying `tag` (quoted when the name has a space).
pub fn tag_term(tag: &str) -> String {
    if tag.contains(char::is_whitespace) {
        format!("tag:\"{tag}\"")
    } else {
        format!("tag:{tag}")
    }
}

/// Whether an entry matches the Ports page's filter: every `tag:` term names one of its tags
/// (ignoring case), and the rest, a number, matches ports starting with it, or text matches
/// description, address, nickname, source, protocol, a tag or the integrations that report it.
pub fn matches(p: &PortEntry, filter: &str) -> bool {
    let (tags, rest) = split_filter(filter);
    if !tags.iter().all(|t| {
        let t = t.to_lowercase();
        p.tags.iter().any(|have| have.name.to_lowercase() == t)
    }) {
        return false;
    }
    let f = rest.to_lowercase();
    if f.is_empty() {
        return true;
    }
    if f.chars().all(|c| c.is_ascii_digit()) {
        return p.port_number.to_string().starts_with(&f);
    }
    let mut fields = vec![
        p.description.as_str(),
        p.ip_address.as_str(),
        p.nickname.as_deref().unwrap_or_default(),
        p.source.as_str(),
        p.port_protocol.as_str(),
    ];
    fields.extend(p.discovered_by.iter().map(|d| d.name.as_str()));
    fields.extend(p.tags.iter().map(|t| t.name.as_str()));
    fields.iter().any(|s| s.to_lowercase().contains(&f))
}

/// How many entries each panel shows, panel after panel: the rule [`page_view`] applies, and what
/// the server uses to load only those entries when there is no filter.
pub struct Budget(usize);

impl Budget {
    pub fn new() -> Self {
        Budget(ROW_BUDGET)
    }

    /// The number of entries (of `len` matching) the next panel, `address`, shows.
    pub fn limit(&mut self, address: &str, len: usize, open: &[String]) -> usize {
        if open.iter().any(|o| o == address) {
            len
        } else if self.0 > 0 {
            let n = PAGE.min(len);
            self.0 = self.0.saturating_sub(n);
            n
        } else {
            0
        }
    }
}

impl Default for Budget {
    fn default() -> Self {
        Self::new()
    }
}

/// What the Ports page shows of `groups` for a filter: matching entries only, panels open with at
/// most [`PAGE`] entries each until [`ROW_BUDGET`] entries are shown, the rest collapsed, except the
/// panels in `open` (shown whole). The "is port N free?" answer looks at every entry.
pub fn page_view(
    mut groups: Vec<HostGroup>,
    filter: &str,
    open: &[String],
) -> (Vec<HostGroup>, Option<String>) {
    let mut pairs: Vec<(String, Vec<PortEntry>)> = groups
        .iter_mut()
        .map(|g| (g.address.clone(), std::mem::take(&mut g.entries)))
        .collect();
    let availability = crate::model::port_availability(&pairs, filter);
    let filtering = !filter.trim().is_empty();
    let mut shown = Vec::with_capacity(groups.len());
    let mut budget = Budget::new();
    for (mut g, (_, mut entries)) in groups.into_iter().zip(pairs.drain(..)) {
        g.total = entries.len();
        if filtering {
            entries.retain(|p| matches(p, filter));
            if entries.is_empty() {
                continue;
            }
        }
        let limit = budget.limit(&g.address, entries.len(), open);
        g.hidden = entries.len().saturating_sub(limit);
        entries.truncate(limit);
        g.entries = entries;
        shown.push(g);
    }
    (shown, availability)
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
    /// How many entries it has, how many of them are manual, and how many an integration still
    /// reports (and which integrations).
    pub ports: i64,
    pub manual: i64,
    pub reported: i64,
    pub owners: Vec<String>,
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

/// The sort buttons' keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Number,
    Protocol,
    Description,
}

impl SortKey {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "number" => Some(SortKey::Number),
            "protocol" => Some(SortKey::Protocol),
            "description" => Some(SortKey::Description),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Number => "number",
            SortKey::Protocol => "protocol",
            SortKey::Description => "description",
        }
    }
}

/// A panel's entry ids sorted by `key` (protocol: TCP first; description: case-insensitive), ties by
/// number; reversed when not `ascending`.
pub fn sorted_ids(entries: &[PortEntry], key: SortKey, ascending: bool) -> Vec<i64> {
    let mut list: Vec<&PortEntry> = entries.iter().collect();
    list.sort_by(|a, b| {
        let primary = match key {
            SortKey::Number => a.port_number.cmp(&b.port_number),
            SortKey::Protocol => a.port_protocol.cmp(&b.port_protocol),
            SortKey::Description => a
                .description
                .to_lowercase()
                .cmp(&b.description.to_lowercase()),
        };
        primary
            .then(a.port_number.cmp(&b.port_number))
            .then(a.port_protocol.cmp(&b.port_protocol))
    });
    if !ascending {
        list.reverse();
    }
    list.into_iter().map(|e| e.id).collect()
}

/// A panel's new order: the ids in order, or a sort of all its entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortOrder {
    Ids(Vec<i64>),
    Sort { key: SortKey, ascending: bool },
}

/// `{"port_ids": [id, …]}`, or `{"sort": "number" | "protocol" | "description", "descending"?}`
/// (a sort covers every entry of the panel, also those a long panel does not show).
pub fn parse_port_order(input: &Value) -> Result<PortOrder, FieldErrors> {
    let mut errors = FieldErrors::new();
    if let Some(sort) = input.get("sort") {
        let key = sort.as_str().and_then(SortKey::parse);
        let descending = input.get("descending").map(Value::as_bool);
        match (key, descending) {
            (Some(key), None | Some(Some(_))) => {
                return Ok(PortOrder::Sort {
                    key,
                    ascending: !descending.flatten().unwrap_or(false),
                })
            }
            (None, _) => push_error(
                &mut errors,
                "sort",
                "must be number, protocol or description",
            ),
            (_, Some(None)) => push_error(&mut errors, "descending", "must be true or false"),
        }
        return Err(errors);
    }
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
        Ok(PortOrder::Ids(out))
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
    fn the_filter_understands_tags() {
        assert_eq!(
            split_filter(r#"tag:web  jelly tag:"home lab" TAG:Media"#),
            (
                vec!["web".to_string(), "home lab".into(), "Media".into()],
                "jelly".to_string()
            )
        );
        assert_eq!(tag_term("home lab"), r#"tag:"home lab""#);
        let mut e = crate::model::manual_entry(
            1,
            "10.0.0.5",
            8096,
            crate::ports::Protocol::Tcp,
            "Jellyfin",
        );
        let tag = |id, name: &str| crate::tags::TagRef {
            id,
            name: name.into(),
            color: "#000000".into(),
        };
        e.tags = vec![tag(1, "media"), tag(2, "home lab")];
        assert!(matches(&e, "tag:media"));
        assert!(matches(&e, "tag:MEDIA tag:\"home lab\""));
        assert!(matches(&e, "tag:media jelly"));
        assert!(!matches(&e, "tag:media tag:web"), "several tags are AND");
        assert!(!matches(&e, "tag:media plex"));
        assert!(matches(&e, "home lab"), "plain text finds tag names too");
        assert!(!matches(&e, "tag:med"), "a tag term names the whole tag");
    }

    fn group(address: &str, n: usize) -> HostGroup {
        HostGroup {
            address: address.into(),
            nickname: String::new(),
            pinned: false,
            entries: (0..n)
                .map(|i| {
                    let mut e = crate::model::manual_entry(
                        i as i64,
                        address,
                        1000 + i as i64,
                        crate::ports::Protocol::Tcp,
                        &format!("svc {i}"),
                    );
                    e.order = i as i64;
                    e
                })
                .collect(),
            total: 0,
            hidden: 0,
            manual: 0,
            reported: 0,
            owners: vec![],
        }
    }

    #[test]
    fn big_pages_are_paged_and_collapsed_but_answer_for_everything() {
        let groups: Vec<HostGroup> = (0..20).map(|i| group(&format!("h{i}"), 100)).collect();
        let (view, answer) = page_view(groups.clone(), "", &[]);
        assert_eq!(view.len(), 20);
        assert_eq!(
            (view[0].entries.len(), view[0].hidden, view[0].total),
            (PAGE, 100 - PAGE, 100)
        );
        assert_eq!(
            (
                view[11].entries.len(),
                view[12].entries.len(),
                view[12].hidden
            ),
            (PAGE, 0, 100)
        );
        // Small hosts all show whole.
        let small: Vec<HostGroup> = (0..40).map(|i| group(&format!("s{i}"), 5)).collect();
        let (view, _) = page_view(small, "", &[]);
        assert!(view.iter().all(|g| g.entries.len() == 5 && g.hidden == 0));
        assert_eq!(answer, None);
        let (view, _) = page_view(groups.clone(), "", &["h15".to_string()]);
        assert_eq!(view[15].entries.len(), 100);
        // The answer covers the collapsed panels too; the filter finds entries anywhere.
        let (view, answer) = page_view(groups.clone(), "1099", &[]);
        assert_eq!(view.len(), 20);
        assert!(answer
            .unwrap()
            .starts_with("Port 1099 is in use on every host"));
        let (view, _) = page_view(groups, "svc 99", &[]);
        assert!(view.iter().all(|g| g.entries.len() == 1 && g.total == 100));
    }

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
            PortOrder::Ids(vec![3, 1])
        );
        assert_eq!(
            parse_port_order(&json!({"sort": "protocol", "descending": true})).unwrap(),
            PortOrder::Sort {
                key: SortKey::Protocol,
                ascending: false
            }
        );
        assert!(
            parse_port_order(&json!({"sort": "colour"})).unwrap_err()["sort"][0].contains("number")
        );
        assert!(parse_port_order(&json!({"sort": "number", "descending": "yes"})).is_err());
        assert!(parse_port_order(&json!({"port_ids": [1, "x"]})).is_err());
    }
}
