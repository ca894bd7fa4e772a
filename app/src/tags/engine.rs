//! The rule engine: compiles a rule's conditions once (patterns with a size limit) and runs rules over
//! entries in memory. It is pure: the service loads the entries and their tags, the engine answers
//! which tags to add and remove, and the service writes that in one statement per kind.

use super::{Condition, Operator, SourceMatch};
use crate::model::PortEntry;
use crate::validation::{push_error, FieldErrors};
use regex::{Regex, RegexBuilder};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, OnceLock};

/// A pattern may compile to at most this much memory: a user's rule cannot exhaust the server.
const PATTERN_LIMIT: usize = 256 * 1024;

/// A condition tree ready to evaluate.
#[derive(Clone, Debug)]
pub enum Compiled {
    Group(Operator, Vec<Compiled>),
    Ip(Regex),
    Description(Regex),
    Nickname(Regex),
    Leaf(Condition),
}

fn pattern(source: &str, anchored: bool) -> Result<Regex, String> {
    let source = if anchored {
        format!("^(?:{source})")
    } else {
        source.to_string()
    };
    RegexBuilder::new(&source)
        .case_insensitive(true)
        .size_limit(PATTERN_LIMIT)
        .dfa_size_limit(PATTERN_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => "the pattern is too large".to_string(),
            other => other.to_string(),
        })
}

/// Compiles every pattern; a bad one is reported under its condition's path.
pub fn compile(c: &Condition, path: &str, errors: &mut FieldErrors) -> Option<Compiled> {
    let re = |s: &str, anchored: bool, errors: &mut FieldErrors| match pattern(s, anchored) {
        Ok(r) => Some(r),
        Err(e) => {
            push_error(errors, path, format!("invalid pattern '{s}': {e}"));
            None
        }
    };
    Some(match c {
        Condition::Group(op, items) => {
            let before = errors.len();
            let compiled: Vec<Compiled> = items
                .iter()
                .enumerate()
                .filter_map(|(i, c)| compile(c, &format!("{path}.{i}"), errors))
                .collect();
            if errors.len() != before {
                return None;
            }
            Compiled::Group(*op, compiled)
        }
        Condition::IpRegex(s) => Compiled::Ip(re(s, true, errors)?),
        Condition::DescriptionRegex(s) => Compiled::Description(re(s, false, errors)?),
        Condition::NicknameRegex(s) => Compiled::Nickname(re(s, false, errors)?),
        leaf => Compiled::Leaf(leaf.clone()),
    })
}

/// [`compile`] once per distinct condition tree (by its canonical JSON) in this process: a scan's
/// auto-run does not compile the same patterns again every time.
pub fn compile_cached(c: &Condition) -> Result<Compiled, FieldErrors> {
    static CACHE: OnceLock<Mutex<HashMap<String, Compiled>>> = OnceLock::new();
    let key = c.to_json().to_string();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Ok(hit);
    }
    let mut errors = FieldErrors::new();
    let compiled = compile(c, "conditions", &mut errors).ok_or(errors)?;
    if let Ok(mut map) = cache.lock() {
        // Bounded: rules edited many times leave old trees behind.
        if map.len() >= 1024 {
            map.clear();
        }
        map.insert(key, compiled.clone());
    }
    Ok(compiled)
}

/// What a condition sees of an entry: the entry and the names of the tags it carries now.
pub struct Subject<'a> {
    pub entry: &'a PortEntry,
    pub tags: &'a BTreeSet<i64>,
    pub names: &'a HashMap<i64, String>,
}

fn contains(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

impl Compiled {
    pub fn matches(&self, s: &Subject) -> bool {
        let p = s.entry;
        let nickname = p.nickname.as_deref().unwrap_or_default();
        match self {
            Compiled::Group(Operator::And, items) => items.iter().all(|c| c.matches(s)),
            Compiled::Group(Operator::Or, items) => items.iter().any(|c| c.matches(s)),
            Compiled::Ip(re) => re.is_match(&p.ip_address),
            Compiled::Description(re) => re.is_match(&p.description),
            Compiled::Nickname(re) => re.is_match(nickname),
            Compiled::Leaf(c) => match c {
                Condition::IpExact(v) => p.ip_address.eq_ignore_ascii_case(v),
                Condition::IpPrefix(v) => {
                    p.ip_address.to_lowercase().starts_with(&v.to_lowercase())
                }
                Condition::IpContains(v) => contains(&p.ip_address, v),
                Condition::IpCidr(net) => net.contains(&p.ip_address),
                Condition::PortExact(n) => p.port_number == *n,
                Condition::PortRange(a, b) => (*a..=*b).contains(&p.port_number),
                Condition::PortList(l) => l.contains(&p.port_number),
                Condition::Protocol(proto) => p.port_protocol == *proto,
                Condition::DescriptionContains(v) => contains(&p.description, v),
                Condition::NicknameContains(v) => contains(nickname, v),
                Condition::Source(SourceMatch::Kind(k)) => {
                    p.source.as_str().eq_ignore_ascii_case(k)
                        || p.discovered_by
                            .iter()
                            .any(|d| d.instance_type.eq_ignore_ascii_case(k))
                }
                Condition::Source(SourceMatch::Instance(id)) => {
                    p.discovered_by.iter().any(|d| d.instance_id == *id)
                }
                Condition::TagPresent(name) => s.tags.iter().any(|t| {
                    s.names
                        .get(t)
                        .is_some_and(|n| n.to_lowercase() == name.to_lowercase())
                }),
                // Patterns and groups are compiled into their own variants.
                Condition::IpRegex(_)
                | Condition::DescriptionRegex(_)
                | Condition::NicknameRegex(_)
                | Condition::Group(..) => false,
            },
        }
    }
}

/// A rule ready to run: its compiled conditions and its actions with tag ids resolved (a tag the
/// service has not created yet, in a preview, has a negative id).
pub struct Prepared {
    pub id: i64,
    pub conditions: Compiled,
    /// (add, tag id)
    pub actions: Vec<(bool, i64)>,
}

/// One tag added to or removed from one entry by one rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Effect {
    pub rule_id: i64,
    pub port_id: i64,
    pub tag_id: i64,
    pub add: bool,
}

/// Runs `rules` in the order given (the service sorts them by priority, higher first) over
/// `entries`, updating `tags` (entry id → tag ids) as it goes, so a later rule's `tag_present` sees
/// what an earlier one added. Returns what changed; an action that changes nothing is not an effect.
pub fn run(
    rules: &[Prepared],
    entries: &[PortEntry],
    tags: &mut HashMap<i64, BTreeSet<i64>>,
    names: &HashMap<i64, String>,
) -> Vec<Effect> {
    let empty = BTreeSet::new();
    let mut effects = Vec::new();
    for rule in rules {
        for entry in entries {
            let current = tags.get(&entry.id).unwrap_or(&empty);
            let subject = Subject {
                entry,
                tags: current,
                names,
            };
            if !rule.conditions.matches(&subject) {
                continue;
            }
            let set = tags.entry(entry.id).or_default();
            for &(add, tag_id) in &rule.actions {
                let changed = if add {
                    set.insert(tag_id)
                } else {
                    set.remove(&tag_id)
                };
                if changed {
                    effects.push(Effect {
                        rule_id: rule.id,
                        port_id: entry.id,
                        tag_id,
                        add,
                    });
                }
            }
        }
    }
    effects
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Discovery;
    use crate::ports::Protocol;
    use crate::tags::Cidr;
    use serde_json::json;

    fn entry(id: i64, ip: &str, port: i64, proto: Protocol, desc: &str) -> PortEntry {
        let mut e = crate::model::manual_entry(id, ip, port, proto, desc);
        e.nickname = Some("Büro NAS".into());
        e
    }

    fn compiled(v: serde_json::Value) -> Compiled {
        let mut errors = FieldErrors::new();
        let c = Condition::parse(&v, "conditions", &mut errors).expect("parses");
        compile(&c, "conditions", &mut errors).expect("compiles")
    }

    fn check(v: serde_json::Value, e: &PortEntry) -> bool {
        let names = HashMap::from([(1, "Monitoring".to_string())]);
        let tags = BTreeSet::from([1]);
        compiled(v).matches(&Subject {
            entry: e,
            tags: &tags,
            names: &names,
        })
    }

    #[test]
    fn every_condition_type() {
        let web = entry(1, "192.168.1.20", 8080, Protocol::Tcp, "Grafana dashboard");
        let dns = entry(2, "fd00::53", 53, Protocol::Udp, "Pi-hole DNS");
        let cases: Vec<(serde_json::Value, bool, bool)> = vec![
            (
                json!({"type": "ip_exact", "value": "192.168.1.20"}),
                true,
                false,
            ),
            (
                json!({"type": "ip_prefix", "value": "192.168."}),
                true,
                false,
            ),
            (json!({"type": "ip_contains", "value": ".1."}), true, false),
            // Anchored at the start: "168" alone does not match 192.168…
            (json!({"type": "ip_regex", "value": "168"}), false, false),
            (
                json!({"type": "ip_regex", "value": r"192\.168\.1\.\d+$"}),
                true,
                false,
            ),
            (
                json!({"type": "ip_cidr", "value": "192.168.0.0/16"}),
                true,
                false,
            ),
            (json!({"type": "ip_cidr", "value": "fd00::/8"}), false, true),
            (json!({"type": "port_exact", "value": "8080"}), true, false),
            (
                json!({"type": "port_range", "start": 1, "end": 1024}),
                false,
                true,
            ),
            (
                json!({"type": "port_list", "value": [53, 8080]}),
                true,
                true,
            ),
            (json!({"type": "protocol", "value": "UDP"}), false, true),
            (
                json!({"type": "description_contains", "value": "GRAFANA"}),
                true,
                false,
            ),
            (
                json!({"type": "description_regex", "value": "dns$"}),
                false,
                true,
            ),
            (
                json!({"type": "nickname_contains", "value": "büro"}),
                true,
                true,
            ),
            (
                json!({"type": "nickname_regex", "value": "^b.ro"}),
                true,
                true,
            ),
            (json!({"type": "source", "value": "manual"}), true, true),
            (
                json!({"type": "tag_present", "value": "monitoring"}),
                true,
                true,
            ),
            (json!({"type": "tag_present", "value": "web"}), false, false),
        ];
        for (c, a, b) in cases {
            assert_eq!(
                (check(c.clone(), &web), check(c.clone(), &dns)),
                (a, b),
                "{c}"
            );
        }
    }

    #[test]
    fn sources_match_types_and_instances() {
        let mut e = entry(1, "10.0.0.5", 80, Protocol::Tcp, "x");
        e.source = crate::ports::PortSource::Docker;
        e.is_immutable = true;
        e.discovered_by = vec![Discovery {
            instance_id: 7,
            name: "NAS".into(),
            instance_type: "portainer".into(),
            seen: true,
            last_seen_at: String::new(),
            local_only: false,
            container_name: None,
            container_port: None,
        }];
        assert!(check(json!({"type": "source", "value": "docker"}), &e));
        assert!(check(json!({"type": "source", "value": "portainer"}), &e));
        assert!(check(json!({"type": "source", "value": "instance:7"}), &e));
        assert!(!check(json!({"type": "source", "value": "instance:8"}), &e));
        assert!(!check(json!({"type": "source", "value": "manual"}), &e));
    }

    #[test]
    fn nesting() {
        let e = entry(1, "10.1.2.3", 22, Protocol::Tcp, "ssh");
        let tree = |inner: &str| {
            json!({"operator": "AND", "conditions": [
                {"type": "protocol", "value": "TCP"},
                {"operator": inner, "conditions": [
                    {"type": "port_exact", "value": 2222},
                    {"operator": "AND", "conditions": [
                        {"type": "ip_cidr", "value": "10.1.0.0/16"},
                        {"type": "port_list", "value": [22]}
                    ]}
                ]}
            ]})
        };
        assert!(check(tree("OR"), &e));
        assert!(!check(tree("AND"), &e));
    }

    #[test]
    fn bad_and_huge_patterns_are_refused_on_their_condition() {
        let mut errors = FieldErrors::new();
        let c = Condition::Group(
            Operator::Or,
            vec![
                Condition::PortExact(1),
                Condition::DescriptionRegex("(unclosed".into()),
                Condition::NicknameRegex("\\w{1000}{1000}".into()),
            ],
        );
        assert!(compile(&c, "conditions", &mut errors).is_none());
        assert!(
            errors["conditions.1"][0].contains("invalid pattern"),
            "{errors:?}"
        );
        assert!(
            errors["conditions.2"][0].contains("too large"),
            "{errors:?}"
        );
        let _ = Cidr::parse("10.0.0.0/8").unwrap();
    }

    #[test]
    fn rules_run_in_order_and_see_each_others_tags() {
        let entries = vec![
            entry(1, "10.0.0.1", 22, Protocol::Tcp, "ssh"),
            entry(2, "10.0.0.1", 80, Protocol::Tcp, "web"),
        ];
        let names = HashMap::from([(1, "ssh".to_string()), (2, "secure".to_string())]);
        let rules = vec![
            Prepared {
                id: 10,
                conditions: compiled(json!({"type": "port_exact", "value": 22})),
                actions: vec![(true, 1)],
            },
            Prepared {
                id: 11,
                conditions: compiled(json!({"type": "tag_present", "value": "ssh"})),
                actions: vec![(true, 2), (false, 1)],
            },
        ];
        let mut tags = HashMap::new();
        let effects = run(&rules, &entries, &mut tags, &names);
        assert_eq!(
            effects,
            vec![
                Effect {
                    rule_id: 10,
                    port_id: 1,
                    tag_id: 1,
                    add: true
                },
                Effect {
                    rule_id: 11,
                    port_id: 1,
                    tag_id: 2,
                    add: true
                },
                Effect {
                    rule_id: 11,
                    port_id: 1,
                    tag_id: 1,
                    add: false
                },
            ]
        );
        assert_eq!(tags[&1], BTreeSet::from([2]));
        // Run again: rule 10 adds ssh back, rule 11 removes it again, and adds nothing new.
        let again = run(&rules, &entries, &mut tags, &names);
        assert_eq!(again.len(), 2);
        assert!(!tags.contains_key(&2) || tags[&2].is_empty());
    }
}
