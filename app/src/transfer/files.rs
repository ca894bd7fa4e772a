//! Portall's own files: the JSON export (ours, the Python Portall's version 3 export and its older
//! plain array of ports) and the CSV export. Both directions live here so what one writes the other
//! reads.

use super::{Candidate, LineError, ParseError, Parsed};
use crate::ports::Protocol;
use serde_json::{json, Map, Value};

/// The `format` of our JSON export, and its version (the Python Portall's exports say "3.0").
pub const FORMAT: &str = "portall";
pub const VERSION: u32 = 4;

/// The CSV export's columns, in order.
pub const CSV_COLUMNS: [&str; 9] = [
    "ip_address",
    "port_number",
    "port_protocol",
    "description",
    "nickname",
    "tags",
    "order",
    "source",
    "integrations",
];

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// One port object of any of the three JSON shapes.
fn port(v: &Value, at: &str) -> Result<Candidate, String> {
    let o = v.as_object().ok_or(format!("{at}: not an object"))?;
    let port_number = number(o.get("port_number").or_else(|| o.get("port")))
        .ok_or(format!("{at}: 'port_number' is missing or not a number"))?;
    let port_protocol = match text(o.get("port_protocol").or_else(|| o.get("protocol"))) {
        None => Protocol::Tcp,
        Some(p) => Protocol::parse(&p).ok_or(format!("{at}: protocol '{p}' is not TCP or UDP"))?,
    };
    let tags = match o.get("tags") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|t| match t {
                Value::String(s) => Some(s.clone()),
                Value::Object(m) => text(m.get("name")),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(Candidate {
        ip_address: text(o.get("ip_address").or_else(|| o.get("ip")))
            .filter(|s| !s.trim().is_empty()),
        port_number,
        port_protocol,
        description: text(o.get("description")).unwrap_or_default(),
        nickname: text(o.get("nickname")).filter(|s| !s.trim().is_empty()),
        tags,
        order: number(o.get("order")),
        line: None,
    })
}

/// Our export, the Python Portall's (version "3.0": `ports`, `tags`, `tagging_rules`), its legacy
/// array of ports, or a tagging export (tags and rules only).
pub fn parse_json(content: &str) -> Result<Parsed, ParseError> {
    let value: Value = serde_json::from_str(content).map_err(|e| ParseError {
        line: Some(e.line()),
        message: format!("not valid JSON: {e}"),
    })?;
    let mut parsed = Parsed::default();
    let ports = match &value {
        Value::Array(items) => items.clone(),
        Value::Object(o) => {
            let list = |key: &str| match o.get(key) {
                Some(Value::Array(a)) => a.clone(),
                _ => Vec::new(),
            };
            parsed.tags = list("tags");
            parsed.rules = o
                .get("rules")
                .or_else(|| o.get("tagging_rules"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if !o.contains_key("ports") && parsed.tags.is_empty() && parsed.rules.is_empty() {
                return Err(ParseError {
                    line: None,
                    message:
                        "this JSON is not a Portall export: it has no 'ports', 'tags' or 'rules'"
                            .into(),
                });
            }
            list("ports")
        }
        _ => {
            return Err(ParseError {
                line: None,
                message: "a Portall export is an object (or a list of ports)".into(),
            })
        }
    };
    for (i, p) in ports.iter().enumerate() {
        match port(p, &format!("ports[{i}]")) {
            Ok(c) => parsed.entries.push(c),
            Err(message) => parsed.errors.push(LineError {
                line: None,
                message,
            }),
        }
    }
    Ok(parsed)
}

/// A spreadsheet would run a cell starting with one of these as a formula; the export writes such
/// values with a leading `'` and the import takes it off again.
fn is_formula(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

pub fn cell(s: &str) -> String {
    if is_formula(s) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn uncell(s: &str) -> String {
    match s.strip_prefix('\'') {
        Some(rest) if is_formula(rest) => rest.to_string(),
        _ => s.to_string(),
    }
}

/// The line a record starts on (the reader's offset may point at blank lines before it).
fn line_at(content: &str, byte: usize) -> usize {
    let bytes = content.as_bytes();
    let mut byte = byte.min(bytes.len());
    while matches!(bytes.get(byte), Some(b'\n' | b'\r')) {
        byte += 1;
    }
    bytes[..byte].iter().filter(|b| **b == b'\n').count() + 1
}

/// Our CSV export (a header row names the columns; `ip_address` and `port_number` are needed, the
/// others optional; tags are separated by `;`).
pub fn parse_csv(content: &str) -> Result<Parsed, ParseError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(content.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ParseError {
            line: Some(1),
            message: format!("not valid CSV: {e}"),
        })?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let column = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let Some(port_col) = column(&["port_number", "port"]) else {
        return Err(ParseError {
            line: Some(1),
            message: format!(
                "the first row must name the columns ({}); it has no 'port_number'",
                CSV_COLUMNS.join(", ")
            ),
        });
    };
    let ip_col = column(&["ip_address", "ip", "address", "host"]);
    let cols = [
        column(&["port_protocol", "protocol"]),
        column(&["description"]),
        column(&["nickname"]),
        column(&["tags"]),
        column(&["order"]),
    ];
    let mut parsed = Parsed::default();
    for record in reader.records() {
        let record = record.map_err(|e| ParseError {
            line: e.position().map(|p| line_at(content, p.byte() as usize)),
            message: format!("not valid CSV: {e}"),
        })?;
        // From the byte offset: the reader's own line count is off after blank lines.
        let line = record
            .position()
            .map(|p| line_at(content, p.byte() as usize));
        let get = |c: Option<usize>| {
            c.and_then(|c| record.get(c))
                .map(uncell)
                .unwrap_or_default()
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let port = get(Some(port_col));
        let Ok(port_number) = port.parse::<i64>() else {
            parsed.errors.push(LineError {
                line,
                message: format!("'{port}' is not a port number"),
            });
            continue;
        };
        let protocol = get(cols[0]);
        let Some(port_protocol) = (if protocol.is_empty() {
            Some(Protocol::Tcp)
        } else {
            Protocol::parse(&protocol)
        }) else {
            parsed.errors.push(LineError {
                line,
                message: format!("protocol '{protocol}' is not TCP or UDP"),
            });
            continue;
        };
        parsed.entries.push(Candidate {
            ip_address: Some(get(ip_col)).filter(|s| !s.is_empty()),
            port_number,
            port_protocol,
            description: get(cols[1]),
            nickname: Some(get(cols[2])).filter(|s| !s.is_empty()),
            tags: get(cols[3])
                .split(';')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
            order: get(cols[4]).parse().ok(),
            line,
        });
    }
    Ok(parsed)
}

/// The integrations that found an entry (reporting it now or not).
fn integrations(e: &crate::model::PortEntry) -> Vec<String> {
    e.discovered_by.iter().map(|d| d.name.clone()).collect()
}

/// One exported entry, as JSON.
pub fn port_json(e: &crate::model::PortEntry) -> Value {
    json!({
        "ip_address": e.ip_address,
        "nickname": e.nickname,
        "port_number": e.port_number,
        "port_protocol": e.port_protocol,
        "description": e.description,
        "order": e.order,
        "tags": e.tags.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
        "source": e.source,
        "integrations": integrations(e),
    })
}

/// The CSV export of the entries.
pub fn write_csv(entries: &[crate::model::PortEntry]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(CSV_COLUMNS);
    for e in entries {
        let tags: Vec<&str> = e.tags.iter().map(|t| t.name.as_str()).collect();
        let _ = w.write_record([
            cell(&e.ip_address),
            e.port_number.to_string(),
            e.port_protocol.to_string(),
            cell(&e.description),
            cell(e.nickname.as_deref().unwrap_or_default()),
            cell(&tags.join("; ")),
            e.order.to_string(),
            e.source.to_string(),
            cell(&integrations(e).join("; ")),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Keys of an exported object that are ours (the rest of an object passes through).
pub fn object(pairs: Vec<(&str, Value)>) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<Map<_, _>>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_v3_export_and_legacy_array() {
        let v3 = r##"{"exported_at": "2025-01-01T00:00:00", "version": "3.0",
          "ports": [{"ip_address": "192.168.1.10", "nickname": "nas", "port_number": 8080,
                     "description": "Sonarr", "port_protocol": "TCP", "order": 2,
                     "tags": [{"id": 1, "name": "media", "color": "#ff0000", "description": null}]},
                    {"ip_address": "192.168.1.10", "port_number": "53", "description": "DNS", "port_protocol": "udp"},
                    {"ip_address": "192.168.1.10", "port_number": "x"}],
          "tags": [{"id": 1, "name": "media", "color": "#ff0000"}],
          "tagging_rules": [{"name": "r"}],
          "general_settings": {"default_ip": "192.168.1.10", "theme": "dark", "custom_css": ""},
          "portainer": {"api_key": "ptr_secret"}}"##;
        let p = parse_json(v3).unwrap();
        assert_eq!(p.entries.len(), 2);
        assert_eq!(p.entries[0].tags, vec!["media".to_string()]);
        assert_eq!(p.entries[0].order, Some(2));
        assert_eq!(p.entries[1].port_protocol, Protocol::Udp);
        assert_eq!(p.entries[1].port_number, 53);
        assert_eq!(p.errors.len(), 1);
        assert!(p.errors[0].message.starts_with("ports[2]"));
        assert_eq!((p.tags.len(), p.rules.len()), (1, 1));

        let legacy = r#"[{"ip_address": "10.0.0.1", "nickname": null, "port_number": 22, "description": "SSH", "port_protocol": "TCP"}]"#;
        assert_eq!(parse_json(legacy).unwrap().entries[0].port_number, 22);
        let e = parse_json("{\n  \"ports\": [,]\n}").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(parse_json("{\"a\": 1}")
            .unwrap_err()
            .message
            .contains("not a Portall export"));
    }

    #[test]
    fn csv_reads_what_it_writes_and_defuses_formulas() {
        assert_eq!(cell("=cmd()"), "'=cmd()");
        let csv = "ip_address,port_number,port_protocol,description,nickname,tags,order\n10.0.0.1,80,TCP,'=1+1,box,web; prod,3\n\n10.0.0.1,x,TCP,bad,,,\n10.0.0.2,53,SCTP,dns,,,\n";
        let p = parse_csv(csv).unwrap();
        assert_eq!(p.entries.len(), 1);
        let e = &p.entries[0];
        assert_eq!(e.description, "=1+1");
        assert_eq!(e.tags, vec!["web".to_string(), "prod".to_string()]);
        assert_eq!(e.order, Some(3));
        assert_eq!(e.line, Some(2));
        assert_eq!(
            p.errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![Some(4), Some(5)]
        );
        assert!(parse_csv("a,b\n1,2\n")
            .unwrap_err()
            .message
            .contains("port_number"));
    }
}
