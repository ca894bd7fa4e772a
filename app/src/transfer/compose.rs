//! Docker Compose files: every published port of every service. The YAML is read by a real parser
//! (`yaml-rust2`'s event stream, so each value keeps its line), anchors, aliases and `<<` merge keys
//! included; Compose's own rules come after: `${VAR:-default}` interpolation (the server's
//! environment is never read, so a variable without a default is reported), short and long port
//! syntax, host addresses, ranges and `/udp`.

use super::{Candidate, LineError, ParseError, Parsed};
use crate::ports::Protocol;
use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A YAML value with the line it starts on.
#[derive(Clone, Debug)]
struct Node {
    line: usize,
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    /// The text and whether it was quoted (a quoted `8080` is a string, not a number).
    Scalar(String, bool),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    fn text(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.text() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar(s, false) if s.is_empty() || s == "~" || s == "null")
    }
}

/// How deep collections may nest, and how many values the tree may hold once aliases are expanded
/// (a small file of nested aliases would otherwise expand to billions: the "billion laughs").
const MAX_DEPTH: usize = 64;
const MAX_NODES: usize = 200_000;

fn size(node: &Node) -> usize {
    match &node.kind {
        Kind::Scalar(..) => 1,
        Kind::Seq(items) => 1 + items.iter().map(size).sum::<usize>(),
        Kind::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| size(k) + size(v))
                .sum::<usize>()
        }
    }
}

/// Builds the node tree from the parser's events.
#[derive(Default)]
struct Builder {
    stack: Vec<(Node, usize)>,
    /// Collections opened below `MAX_DEPTH` that are being skipped.
    skipped: usize,
    nodes: usize,
    /// A mapping's key waiting for its value, per open mapping (by stack depth).
    keys: Vec<Option<Node>>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    error: Option<String>,
}

impl Builder {
    fn push_value(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some((parent, _)) => match &mut parent.kind {
                Kind::Seq(items) => items.push(node),
                Kind::Map(entries) => {
                    let slot = self.keys.last_mut().expect("a key slot per mapping");
                    match slot.take() {
                        None => *slot = Some(node),
                        Some(key) => entries.push((key, node)),
                    }
                }
                Kind::Scalar(..) => {}
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let line = mark.line();
        if self.error.is_some() {
            return;
        }
        if self.skipped > 0 || self.stack.len() >= MAX_DEPTH {
            match ev {
                Event::SequenceStart(..) | Event::MappingStart(..) => {
                    self.skipped += 1;
                    self.error = Some(format!(
                        "line {line}: values nest deeper than {MAX_DEPTH} levels"
                    ));
                }
                Event::SequenceEnd | Event::MappingEnd if self.skipped > 0 => self.skipped -= 1,
                _ => {}
            }
            if self.skipped > 0 {
                return;
            }
        }
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            self.error = Some(format!("more than {MAX_NODES} values (aliases included)"));
            return;
        }
        match ev {
            Event::Scalar(text, style, anchor, _) => {
                let node = Node {
                    line,
                    kind: Kind::Scalar(text, style != TScalarStyle::Plain),
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.push_value(node);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                let kind = if matches!(ev, Event::SequenceStart(..)) {
                    Kind::Seq(Vec::new())
                } else {
                    Kind::Map(Vec::new())
                };
                self.stack.push((Node { line, kind }, anchor));
                self.keys.push(None);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                self.keys.pop();
                if let Some((mut node, anchor)) = self.stack.pop() {
                    merge_keys(&mut node);
                    if anchor > 0 {
                        self.anchors.insert(anchor, node.clone());
                    }
                    self.push_value(node);
                }
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(node) => {
                    self.nodes += size(node);
                    if self.nodes > MAX_NODES {
                        self.error =
                            Some(format!("more than {MAX_NODES} values (aliases included)"));
                        return;
                    }
                    let node = Node {
                        line,
                        kind: node.kind.clone(),
                    };
                    self.push_value(node)
                }
                None => {
                    self.error
                        .get_or_insert(format!("line {line}: an alias names no anchor"));
                }
            },
            _ => {}
        }
    }
}

/// Applies `<<` merge keys: the merged mappings' entries come in where the mapping has none of its own.
fn merge_keys(node: &mut Node) {
    let Kind::Map(entries) = &mut node.kind else {
        return;
    };
    if !entries.iter().any(|(k, _)| k.text() == Some("<<")) {
        return;
    }
    let (merges, mut own): (Vec<_>, Vec<_>) = std::mem::take(entries)
        .into_iter()
        .partition(|(k, _)| k.text() == Some("<<"));
    let sources: Vec<Node> = merges
        .into_iter()
        .flat_map(|(_, v)| match v.kind {
            Kind::Seq(items) => items,
            _ => vec![v],
        })
        .collect();
    for source in sources {
        if let Kind::Map(more) = source.kind {
            for (k, v) in more {
                if !own
                    .iter()
                    .any(|(o, _)| o.text().is_some() && o.text() == k.text())
                {
                    own.push((k, v));
                }
            }
        }
    }
    *entries = own;
}

fn load(content: &str) -> Result<Node, ParseError> {
    let mut builder = Builder::default();
    Parser::new_from_str(content)
        .load(&mut builder, false)
        .map_err(|e| ParseError {
            line: Some(e.marker().line()),
            message: format!("not valid YAML: {}", e.info()),
        })?;
    if let Some(message) = builder.error {
        return Err(ParseError {
            line: None,
            message,
        });
    }
    builder.root.ok_or(ParseError {
        line: None,
        message: "the file is empty".into(),
    })
}

/// Compose's interpolation of one value. `Err` names the variable that has no value here.
pub fn interpolate(text: &str) -> Result<String, String> {
    interpolate_at(text, 0)
}

fn interpolate_at(text: &str, depth: usize) -> Result<String, String> {
    if depth > 8 {
        return Err("defaults nest deeper than 8 levels".into());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(r) = rest.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(r) = rest.strip_prefix('{') {
            let mut open = 0usize;
            let end = r
                .char_indices()
                .find(|&(_, c)| match c {
                    '{' => {
                        open += 1;
                        false
                    }
                    '}' if open == 0 => true,
                    '}' => {
                        open -= 1;
                        false
                    }
                    _ => false,
                })
                .map(|(i, _)| i)
                .ok_or_else(|| format!("'${{' without a closing '}}' in \"{text}\""))?;
            let expr = &r[..end];
            rest = &r[end + 1..];
            let name_end = expr
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(expr.len());
            let (name, op) = expr.split_at(name_end);
            if name.is_empty() {
                return Err(format!("'${{{expr}}}' names no variable"));
            }
            // The variable is unset here: `:-`/`-` give the default, `:+`/`+` give nothing.
            if let Some(default) = op.strip_prefix(":-").or_else(|| op.strip_prefix('-')) {
                out.push_str(&interpolate_at(default, depth + 1)?);
            } else if op.starts_with(":+") || op.starts_with('+') {
            } else if op.is_empty() || op.starts_with(":?") || op.starts_with('?') {
                return Err(format!(
                    "${{{name}}} has no default here; write ${{{name}:-value}} or the value itself"
                ));
            } else {
                return Err(format!("'${{{expr}}}' is not Compose interpolation"));
            }
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if end == 0 {
                out.push('$');
                continue;
            }
            return Err(format!(
                "${} has no default here; write ${{{}:-value}} or the value itself",
                &rest[..end],
                &rest[..end]
            ));
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// `8000-8002` or `8000`.
fn parse_range(s: &str) -> Result<(u16, u16), String> {
    let num = |t: &str| {
        t.trim()
            .parse::<u16>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("'{t}' is not a port number (1-65535)"))
    };
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (num(a)?, num(b)?);
            if a > b {
                return Err(format!("the range '{s}' runs backwards"));
            }
            Ok((a, b))
        }
        None => num(s).map(|n| (n, n)),
    }
}

fn protocol(s: &str) -> Result<Protocol, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "tcp" => Ok(Protocol::Tcp),
        "udp" => Ok(Protocol::Udp),
        other => Err(format!("protocol '{other}' has no place on the Ports page")),
    }
}

/// A host address as Compose writes it; `None` for "every interface" (the import's target host).
fn host_ip(s: &str) -> Option<String> {
    let s = s.trim().trim_start_matches('[').trim_end_matches(']');
    match s {
        "" | "0.0.0.0" | "::" => None,
        other => Some(other.to_string()),
    }
}

/// One published mapping: host address, host ports, container ports, protocol.
struct Mapping {
    ip: Option<String>,
    host: Option<(u16, u16)>,
    container: (u16, u16),
    protocol: Protocol,
}

/// The short syntax: `[HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTOCOL]`.
fn short(spec: &str) -> Result<Mapping, String> {
    let (spec, proto) = match spec.rsplit_once('/') {
        Some((s, p)) => (s, protocol(p)?),
        None => (spec, Protocol::Tcp),
    };
    let (ip, rest) = if let Some(r) = spec.strip_prefix('[') {
        let (ip, rest) = r
            .split_once(']')
            .ok_or_else(|| format!("'{spec}': '[' without ']'"))?;
        let rest = rest
            .strip_prefix(':')
            .ok_or_else(|| format!("'{spec}': a port must follow the address"))?;
        (host_ip(ip), rest)
    } else {
        let parts: Vec<&str> = spec.split(':').collect();
        if parts.len() > 3 {
            // An IPv6 address without brackets: everything before the last two parts.
            let cut = spec.len() - parts[parts.len() - 2..].join(":").len() - 1;
            (host_ip(&spec[..cut]), &spec[cut + 1..])
        } else if parts.len() == 3 {
            (host_ip(parts[0]), &spec[parts[0].len() + 1..])
        } else {
            (None, spec)
        }
    };
    let (host, container) = match rest.split_once(':') {
        Some((h, c)) if h.trim().is_empty() => (None, c),
        Some((h, c)) => (Some(parse_range(h)?), c),
        None => (None, rest),
    };
    Ok(Mapping {
        ip,
        host,
        container: parse_range(container)?,
        protocol: proto,
    })
}

/// The long syntax: `{target, published, host_ip, protocol, mode}`.
fn long(node: &Node) -> Result<Mapping, String> {
    let field = |key: &str| -> Result<Option<String>, String> {
        match node.get(key) {
            None => Ok(None),
            Some(n) if n.is_null() => Ok(None),
            Some(n) => n
                .text()
                .map(|t| interpolate(t).map(Some))
                .unwrap_or_else(|| Err(format!("'{key}' must be a single value"))),
        }
    };
    let target = field("target")?.ok_or("a port in the long syntax needs 'target'")?;
    let published = field("published")?.filter(|p| !p.trim().is_empty());
    Ok(Mapping {
        ip: field("host_ip")?.and_then(|ip| host_ip(&ip)),
        host: published.as_deref().map(parse_range).transpose()?,
        container: parse_range(&target)?,
        protocol: protocol(&field("protocol")?.unwrap_or_default())?,
    })
}

/// The entries one mapping publishes at fixed host ports.
fn expand(m: Mapping, description: &str, line: usize) -> Result<Vec<Candidate>, String> {
    let (c0, c1) = m.container;
    let Some((h0, h1)) = m.host else {
        return Err(format!(
            "container port {} is published on a port Docker picks at start-up; nothing fixed to add",
            if c0 == c1 { c0.to_string() } else { format!("{c0}-{c1}") }
        ));
    };
    if h1 - h0 != c1 - c0 {
        return Err(format!(
            "host ports {h0}-{h1} and container ports {c0}-{c1} differ in length; Docker picks one at start-up"
        ));
    }
    Ok((h0..=h1)
        .map(|port| Candidate {
            ip_address: m.ip.clone(),
            port_number: i64::from(port),
            port_protocol: m.protocol,
            description: description.to_string(),
            line: Some(line),
            ..Candidate::default()
        })
        .collect())
}

/// Every published port of every service.
pub fn parse(content: &str) -> Result<Parsed, ParseError> {
    let root = load(content)?;
    if !matches!(root.kind, Kind::Map(_)) {
        return Err(ParseError {
            line: Some(root.line),
            message: "a Compose file is a mapping with a 'services' key".into(),
        });
    }
    // Compose file format 1 has the services at the top level.
    let services = root.get("services").unwrap_or(&root);
    let Kind::Map(services) = &services.kind else {
        return Err(ParseError {
            line: Some(services.line),
            message: "'services' must be a mapping of service names".into(),
        });
    };
    let mut parsed = Parsed::default();
    for (name, service) in services {
        let Some(name) = name.text() else { continue };
        if !matches!(service.kind, Kind::Map(_)) {
            continue;
        }
        let host_network = service
            .get("network_mode")
            .and_then(Node::text)
            .is_some_and(|m| m == "host");
        let Some(ports) = service.get("ports") else {
            if host_network {
                parsed.errors.push(LineError {
                    line: Some(service.line),
                    message: format!(
                        "service '{name}' uses the host's network: its ports are whatever it opens, and the file does not say; add them by hand"
                    ),
                });
            }
            continue;
        };
        let description = service
            .get("container_name")
            .and_then(Node::text)
            .and_then(|t| interpolate(t).ok())
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| name.to_string());
        if host_network {
            parsed.errors.push(LineError {
                line: Some(ports.line),
                message: format!(
                    "service '{name}' uses the host's network; Docker ignores its 'ports'"
                ),
            });
            continue;
        }
        let Kind::Seq(items) = &ports.kind else {
            parsed.errors.push(LineError {
                line: Some(ports.line),
                message: format!("service '{name}': 'ports' must be a list"),
            });
            continue;
        };
        for item in items {
            let mapping = match &item.kind {
                Kind::Scalar(text, _) => interpolate(text).and_then(|t| short(t.trim())),
                Kind::Map(_) => long(item),
                Kind::Seq(_) => Err("a port must be a value or a mapping".into()),
            };
            match mapping.and_then(|m| expand(m, &description, item.line)) {
                Ok(found) => parsed.entries.extend(found),
                Err(message) => parsed.errors.push(LineError {
                    line: Some(item.line),
                    message: format!("service '{name}': {message}"),
                }),
            }
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports(content: &str) -> Vec<(Option<String>, i64, Protocol, String)> {
        parse(content)
            .unwrap()
            .entries
            .into_iter()
            .map(|c| (c.ip_address, c.port_number, c.port_protocol, c.description))
            .collect()
    }

    #[test]
    fn four_space_indentation_and_every_short_form() {
        let file = "services:\n    web:\n        image: nginx:1.27\n        ports:\n            - \"8080:80\"\n            - 127.0.0.1:8443:443\n            - \"8000-8002:8000-8002\"\n            - 5353:5353/udp\n            - \"[::1]:9090:90\"\n            - 9000\n";
        let p = parse(file).unwrap();
        let got: Vec<_> = p
            .entries
            .iter()
            .map(|c| (c.ip_address.clone(), c.port_number, c.port_protocol, c.line))
            .collect();
        assert_eq!(
            got,
            vec![
                (None, 8080, Protocol::Tcp, Some(5)),
                (Some("127.0.0.1".into()), 8443, Protocol::Tcp, Some(6)),
                (None, 8000, Protocol::Tcp, Some(7)),
                (None, 8001, Protocol::Tcp, Some(7)),
                (None, 8002, Protocol::Tcp, Some(7)),
                (None, 5353, Protocol::Udp, Some(8)),
                (Some("::1".into()), 9090, Protocol::Tcp, Some(9)),
            ]
        );
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, Some(10));
        assert!(
            p.errors[0].message.contains("Docker picks"),
            "{:?}",
            p.errors
        );
    }

    #[test]
    fn long_syntax_interpolation_anchors_and_merge_keys() {
        let file = r#"
x-base: &base
  restart: unless-stopped
  ports:
    - "${HTTP_PORT:-8081}:80"
services:
  app:
    <<: *base
    container_name: my-app
  db:
    image: postgres
    ports:
      - target: 5432
        published: "15432"
        host_ip: 10.0.0.5
        protocol: tcp
      - target: 53
        published: 1053
        protocol: udp
      - target: 6379
      - "${NOPE}:1"
      - "$${literal}:1"
"#;
        let p = parse(file).unwrap();
        let got: Vec<_> = p
            .entries
            .iter()
            .map(|c| {
                (
                    c.ip_address.clone(),
                    c.port_number,
                    c.port_protocol,
                    c.description.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (None, 8081, Protocol::Tcp, "my-app".into()),
                (Some("10.0.0.5".into()), 15432, Protocol::Tcp, "db".into()),
                (None, 1053, Protocol::Udp, "db".into()),
            ]
        );
        let messages: Vec<_> = p.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].contains("6379"));
        assert!(messages[1].contains("${NOPE}"));
        assert!(messages[2].contains("not a port number"));
    }

    #[test]
    fn version_one_files_and_host_networking() {
        assert_eq!(
            ports("web:\n  image: nginx\n  ports:\n    - \"80:80\"\n"),
            vec![(None, 80, Protocol::Tcp, "web".into())]
        );
        let p = parse("services:\n  a:\n    network_mode: host\n    ports: [\"80:80\"]\n").unwrap();
        assert!(p.entries.is_empty());
        assert!(p.errors[0].message.contains("host's network"));
    }

    #[test]
    fn broken_yaml_names_its_line() {
        let e = parse("services:\n  web:\n    ports:\n      - \"80:80\n").unwrap_err();
        assert!(e.line.is_some());
        assert!(e.message.starts_with("not valid YAML"), "{e:?}");
        let e = parse("- a\n- b\n").unwrap_err();
        assert!(e.message.contains("mapping"));
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_refused() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            bomb.push_str(&format!(
                "{}: &{} [",
                (b'a' + i) as char,
                (b'a' + i) as char
            ));
            let prev = (b'a' + i - 1) as char;
            bomb.push_str(&vec![format!("*{prev}"); 10].join(", "));
            bomb.push_str("]\n");
        }
        let e = parse(&bomb).unwrap_err();
        assert!(e.message.contains("aliases"), "{e:?}");
        let deep = format!("services: {}{}", "[".repeat(10_000), "]".repeat(10_000));
        // The parser's own recursion limit or ours, whichever comes first.
        let e = parse(&deep).unwrap_err();
        assert!(
            e.message.contains("recursion limit") || e.message.contains("nest deeper"),
            "{e:?}"
        );
    }

    #[test]
    fn interpolation_rules() {
        assert_eq!(interpolate("${A:-1}${B-2}${C:+x}$$").unwrap(), "12$");
        assert_eq!(interpolate("${A:-${B:-9}}x").unwrap(), "9x");
        assert!(interpolate("$HOME").is_err());
        assert!(interpolate("${X:?need it}").is_err());
        let deep = format!("{}1{}", "${A:-".repeat(50_000), "}".repeat(50_000));
        assert!(interpolate(&deep).unwrap_err().contains("nest deeper"));
    }
}
