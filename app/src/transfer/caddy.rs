//! Caddyfiles: the ports a Caddy server proxies to (`reverse_proxy`, `php_fastcgi`, with matchers,
//! inside `handle`/`route` blocks and imported snippets) and the ports its sites listen on when the
//! address names one. A small lexer follows Caddy's: whitespace separates tokens, `"…"` and `` `…` ``
//! quote, `#` at a token's start comments, `\` before a line break continues the line, and a token's
//! line decides which directive it belongs to. The global options block is skipped; `{$VAR:default}`
//! takes its default (the server's environment is never read).

use super::{Candidate, LineError, ParseError, Parsed};
use crate::ports::Protocol;
use std::collections::{HashMap, HashSet};

#[derive(Clone, Debug, PartialEq)]
struct Token {
    text: String,
    /// The physical line, for messages.
    line: usize,
    /// The logical line (continuations joined), which groups a directive's arguments.
    row: usize,
    quoted: bool,
}

impl Token {
    fn is(&self, s: &str) -> bool {
        !self.quoted && self.text == s
    }
}

/// `{$NAME:default}` → `default`; `{$NAME}` stays (it is reported where it is used).
fn env_defaults(content: &str) -> String {
    let mut out = String::with_capacity(content.len());
    let mut rest = content;
    while let Some(at) = rest.find("{$") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        match after.find('}') {
            Some(end) if !after[..end].contains(char::is_whitespace) => {
                match after[..end].split_once(':') {
                    Some((_, default)) => out.push_str(default),
                    None => out.push_str(&rest[at..at + 2 + end + 1]),
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str("{$");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn lex(content: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = content.chars().collect();
    let (mut i, mut line, mut row) = (0, 1, 0);
    let mut tokens = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            row += 1;
            i += 1;
        } else if c == '\\' && chars.get(i + 1) == Some(&'\n') {
            line += 1;
            i += 2;
        } else if c == '\\' && chars.get(i + 1) == Some(&'\r') && chars.get(i + 2) == Some(&'\n') {
            line += 1;
            i += 3;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '"' || c == '`' {
            let start = line;
            let mut text = String::new();
            i += 1;
            loop {
                let Some(&ch) = chars.get(i) else {
                    return Err(ParseError {
                        line: Some(start),
                        message: format!("the quote opened on line {start} is never closed"),
                    });
                };
                i += 1;
                if ch == c {
                    break;
                }
                if ch == '\n' {
                    line += 1;
                }
                if c == '"' && ch == '\\' && matches!(chars.get(i), Some('"') | Some('\\')) {
                    text.push(chars[i]);
                    i += 1;
                } else {
                    text.push(ch);
                }
            }
            tokens.push(Token {
                text,
                line: start,
                row,
                quoted: true,
            });
        } else {
            let mut text = String::new();
            while i < chars.len() && !chars[i].is_whitespace() {
                text.push(chars[i]);
                i += 1;
            }
            tokens.push(Token {
                text,
                line,
                row,
                quoted: false,
            });
        }
    }
    Ok(tokens)
}

/// A directive (or a site's address line) and the block that follows it.
#[derive(Clone, Debug)]
struct Item {
    args: Vec<Token>,
    block: Option<Vec<Item>>,
    line: usize,
}

/// How deep blocks may nest (Caddyfiles use a handful of levels; the parser recurses per level).
const MAX_DEPTH: usize = 32;

fn items(
    tokens: &[Token],
    pos: &mut usize,
    open: Option<usize>,
    depth: usize,
) -> Result<Vec<Item>, ParseError> {
    let mut out = Vec::new();
    loop {
        let Some(first) = tokens.get(*pos) else {
            return match open {
                Some(line) => Err(ParseError {
                    line: Some(line),
                    message: format!("the '{{' on line {line} is never closed"),
                }),
                None => Ok(out),
            };
        };
        if first.is("}") {
            if open.is_none() {
                return Err(ParseError {
                    line: Some(first.line),
                    message: "this '}' closes no block".into(),
                });
            }
            *pos += 1;
            return Ok(out);
        }
        let mut item = Item {
            args: Vec::new(),
            block: None,
            line: first.line,
        };
        let row = first.row;
        while let Some(t) = tokens.get(*pos).filter(|t| t.row == row) {
            if t.is("{") {
                *pos += 1;
                if depth >= MAX_DEPTH {
                    return Err(ParseError {
                        line: Some(t.line),
                        message: format!("blocks nest deeper than {MAX_DEPTH} levels"),
                    });
                }
                item.block = Some(items(tokens, pos, Some(t.line), depth + 1)?);
                break;
            }
            if t.is("}") {
                break;
            }
            item.args.push(t.clone());
            *pos += 1;
        }
        out.push(item);
    }
}

/// One site: its addresses and directives.
struct Site {
    addresses: Vec<Token>,
    directives: Vec<Item>,
}

fn structure(top: Vec<Item>) -> (Vec<Site>, HashMap<String, Vec<Item>>) {
    let mut sites = Vec::new();
    let mut snippets = HashMap::new();
    let mut pending: Vec<Token> = Vec::new();
    let mut iter = top.into_iter().peekable();
    // The global options block: a block with no address, first in the file.
    if iter
        .peek()
        .is_some_and(|i| i.args.is_empty() && i.block.is_some())
    {
        iter.next();
    }
    let mut single: Option<Site> = None;
    for item in iter {
        if let Some(site) = single.as_mut() {
            site.directives.push(item);
            continue;
        }
        let name = item
            .args
            .first()
            .map(|t| t.text.clone())
            .unwrap_or_default();
        if name.starts_with('(') && name.ends_with(')') || name.starts_with("&(") {
            let key = name
                .trim_start_matches('&')
                .trim_matches(|c| c == '(' || c == ')');
            snippets.insert(key.to_string(), item.block.unwrap_or_default());
            continue;
        }
        pending.extend(item.args);
        match item.block {
            Some(directives) => sites.push(Site {
                addresses: std::mem::take(&mut pending),
                directives,
            }),
            // An address line ending in a comma continues on the next line.
            None if pending.last().is_some_and(|t| t.text.ends_with(',')) => {}
            // A Caddyfile with one site may leave out the braces.
            None if sites.is_empty() => {
                single = Some(Site {
                    addresses: std::mem::take(&mut pending),
                    directives: Vec::new(),
                });
            }
            None => pending.clear(),
        }
    }
    sites.extend(single);
    (sites, snippets)
}

/// `[scheme://]host[:port[-end]]` as an upstream: the address (`None` for this host) and the ports.
fn upstream(text: &str, default_port: u16) -> Result<(Option<String>, u16, u16), String> {
    if text.starts_with('{') {
        return Err(format!(
            "the upstream '{text}' is a placeholder, known only when Caddy runs"
        ));
    }
    if text.starts_with("unix/") {
        return Err(format!(
            "the upstream '{text}' is a Unix socket; it has no port"
        ));
    }
    let (default_port, rest) = match text.split_once("://") {
        Some(("https", r)) => (443, r),
        Some(("http" | "h2c", r)) => (80, r),
        Some((scheme, _)) => {
            return Err(format!("the upstream scheme '{scheme}' has no fixed port"))
        }
        None => (default_port, text),
    };
    let rest = rest.split('/').next().unwrap_or_default();
    let (host, port) = if let Some(r) = rest.strip_prefix('[') {
        let (h, p) = r
            .split_once(']')
            .ok_or_else(|| format!("'{text}': '[' without ']'"))?;
        (h, p.strip_prefix(':'))
    } else {
        match rest.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    let (from, to) = match port {
        None | Some("") => (default_port, default_port),
        Some(p) => {
            let num = |t: &str| {
                t.parse::<u16>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("'{text}': '{t}' is not a port number"))
            };
            match p.split_once('-') {
                Some((a, b)) => (num(a)?, num(b)?),
                None => (num(p)?, num(p)?),
            }
        }
    };
    if from > to {
        return Err(format!("'{text}': the port range runs backwards"));
    }
    let host = match host.to_ascii_lowercase().as_str() {
        "" | "localhost" | "127.0.0.1" | "::1" => None,
        _ => Some(host.to_string()),
    };
    Ok((host, from, to))
}

/// A site address's explicit port (`:8080`, `example.com:8443`, `http://[::1]:81`).
fn site_port(address: &str) -> Option<u16> {
    let rest = address.split_once("://").map_or(address, |(_, r)| r);
    let rest = rest.split('/').next().unwrap_or_default();
    let port = match rest.rsplit_once(']') {
        Some((_, p)) => p.strip_prefix(':')?,
        None => rest.rsplit_once(':')?.1,
    };
    port.parse().ok().filter(|p| *p > 0)
}

struct Walk<'a> {
    snippets: &'a HashMap<String, Vec<Item>>,
    parsed: Parsed,
}

fn is_matcher(t: &Token) -> bool {
    !t.quoted && (t.text == "*" || t.text.starts_with('/') || t.text.starts_with('@'))
}

impl Walk<'_> {
    fn error(&mut self, line: usize, message: String) {
        self.parsed.errors.push(LineError {
            line: Some(line),
            message,
        });
    }

    fn add(&mut self, line: usize, text: &str, default_port: u16, description: &str) {
        match upstream(text, default_port) {
            Ok((ip, from, to)) => {
                for port in from..=to {
                    self.parsed.entries.push(Candidate {
                        ip_address: ip.clone(),
                        port_number: i64::from(port),
                        port_protocol: Protocol::Tcp,
                        description: description.to_string(),
                        line: Some(line),
                        ..Candidate::default()
                    });
                }
            }
            Err(message) => self.error(line, message),
        }
    }

    fn proxy(&mut self, item: &Item, default_port: u16, site: &str) {
        let mut args = &item.args[1..];
        let mut description = site.to_string();
        if let Some(m) = args.first().filter(|t| is_matcher(t)) {
            if m.text != "*" {
                description = format!("{site} {}", m.text);
            }
            args = &args[1..];
        }
        for t in args {
            self.add(t.line, &t.text, default_port, &description);
        }
        for sub in item.block.iter().flatten() {
            match sub.args.first().map(|t| t.text.as_str()) {
                Some("to") => {
                    for t in &sub.args[1..] {
                        self.add(t.line, &t.text, default_port, &description);
                    }
                }
                Some("dynamic") => self.error(
                    sub.line,
                    "upstreams found at run time ('dynamic') cannot be imported".into(),
                ),
                _ => {}
            }
        }
    }

    /// `args` and `from`: what an `import` passed to a snippet, and the import's line.
    fn walk(
        &mut self,
        directives: &[Item],
        site: &str,
        depth: usize,
        args: &[String],
        from: Option<usize>,
    ) {
        for item in directives {
            let Some(name) = item.args.first() else {
                if let Some(block) = &item.block {
                    self.walk(block, site, depth, args, from);
                }
                continue;
            };
            match name.text.as_str() {
                "reverse_proxy" => self.proxy(&substitute(item, args, from), 80, site),
                "php_fastcgi" => self.proxy(&substitute(item, args, from), 9000, site),
                "import" => {
                    let Some(target) = item.args.get(1) else {
                        continue;
                    };
                    match self.snippets.get(&target.text) {
                        Some(snippet) if depth < 10 => {
                            let passed: Vec<String> =
                                item.args[2..].iter().map(|t| t.text.clone()).collect();
                            let snippet = snippet.clone();
                            self.walk(&snippet, site, depth + 1, &passed, Some(item.line));
                        }
                        Some(_) => {
                            self.error(item.line, "snippets import each other too deeply".into())
                        }
                        None => self.error(
                            item.line,
                            format!(
                                "'import {}' names a file or an unknown snippet; not followed",
                                target.text
                            ),
                        ),
                    }
                }
                _ => {
                    if let Some(block) = &item.block {
                        self.walk(block, site, depth, args, from);
                    }
                }
            }
        }
    }
}

/// A snippet's `{args[0]}` / `{args.0}` replaced with what `import` passed; a value that came from
/// the import is reported on the import's line.
fn substitute(item: &Item, args: &[String], from: Option<usize>) -> Item {
    let mut item = item.clone();
    for t in &mut item.args {
        for (i, a) in args.iter().enumerate() {
            let text = t
                .text
                .replace(&format!("{{args[{i}]}}"), a)
                .replace(&format!("{{args.{i}}}"), a);
            if text != t.text {
                t.text = text;
                t.line = from.unwrap_or(t.line);
            }
        }
    }
    item
}

pub fn parse(content: &str) -> Result<Parsed, ParseError> {
    let tokens = lex(&env_defaults(content))?;
    let mut pos = 0;
    let top = items(&tokens, &mut pos, None, 0)?;
    let (sites, snippets) = structure(top);
    let mut walk = Walk {
        snippets: &snippets,
        parsed: Parsed::default(),
    };
    let mut site_ports = HashSet::new();
    for site in &sites {
        let addresses: Vec<String> = site
            .addresses
            .iter()
            .flat_map(|t| t.text.split(','))
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect();
        let label = addresses.first().cloned().unwrap_or_default();
        for (address, token) in addresses.iter().zip(site.addresses.iter().cycle()) {
            if let Some(port) = site_port(address) {
                if site_ports.insert(port) {
                    walk.parsed.entries.push(Candidate {
                        ip_address: None,
                        port_number: i64::from(port),
                        port_protocol: Protocol::Tcp,
                        description: format!("Caddy {address}"),
                        line: Some(token.line),
                        ..Candidate::default()
                    });
                }
            }
        }
        walk.walk(&site.directives, &label, 0, &[], None);
    }
    Ok(walk.parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(content: &str) -> Vec<(Option<String>, i64, String)> {
        parse(content)
            .unwrap()
            .entries
            .into_iter()
            .map(|c| (c.ip_address, c.port_number, c.description))
            .collect()
    }

    #[test]
    fn upstream_forms_upstream_portall_got_wrong() {
        let file = r#"
{
	email admin@example.com
	admin :2019
}

(proxy-headers) {
	header_up X-Real-IP {remote_host}
}

app.example.com {
	reverse_proxy 10.0.0.5:8080 10.0.0.6:8080 {
		import proxy-headers
		health_uri /health
	}
}

api.example.com, api2.example.com {
	handle /v1/* {
		reverse_proxy /v1/* localhost:9001
	}
	route {
		reverse_proxy @ws http://ws-host
	}
	reverse_proxy {
		to https://backend:8443 backend2:7000-7001
	}
}
"#;
        assert_eq!(
            entries(file),
            vec![
                (Some("10.0.0.5".into()), 8080, "app.example.com".into()),
                (Some("10.0.0.6".into()), 8080, "app.example.com".into()),
                (None, 9001, "api.example.com /v1/*".into()),
                (Some("ws-host".into()), 80, "api.example.com @ws".into()),
                (Some("backend".into()), 8443, "api.example.com".into()),
                (Some("backend2".into()), 7000, "api.example.com".into()),
                (Some("backend2".into()), 7001, "api.example.com".into()),
            ]
        );
    }

    #[test]
    fn site_ports_snippets_with_arguments_comments_quotes_and_continuations() {
        let file = "(svc) {\n  reverse_proxy {args[0]}\n}\n:8080 {\n  # reverse_proxy commented:1\n  import svc \"grafana:3000\"\n  php_fastcgi unix//run/php.sock\n  reverse_proxy \\\n     127.0.0.1:{$PORT:9090}\n}\n";
        let p = parse(file).unwrap();
        let got: Vec<_> = p
            .entries
            .iter()
            .map(|c| (c.ip_address.clone(), c.port_number, c.line))
            .collect();
        assert_eq!(
            got,
            vec![
                (None, 8080, Some(4)),
                (Some("grafana".into()), 3000, Some(6)),
                (None, 9090, Some(9)),
            ]
        );
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, Some(7));
        assert!(p.errors[0].message.contains("Unix socket"));
    }

    #[test]
    fn one_site_without_braces_and_placeholders() {
        let p =
            parse("localhost:2015\n\nreverse_proxy {upstream}\nreverse_proxy 192.168.1.9:32400\n")
                .unwrap();
        let got: Vec<_> = p.entries.iter().map(|c| c.port_number).collect();
        assert_eq!(got, vec![2015, 32400]);
        assert!(p.errors[0].message.contains("placeholder"));
    }

    #[test]
    fn unbalanced_braces_and_quotes_name_their_line() {
        let e = parse("a.com {\n  reverse_proxy b:1\n").unwrap_err();
        assert_eq!(e.line, Some(1));
        let e = parse("a.com {\n}\n}\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        let e = parse("a.com {\n respond \"hi\n}\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        // Deep nesting is refused, not a stack overflow.
        let e = parse(&"a {\n".repeat(100_000)).unwrap_err();
        assert!(e.message.contains("nest deeper"), "{e:?}");
    }
}
