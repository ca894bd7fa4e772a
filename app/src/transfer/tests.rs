//! The importers on files other people wrote (`app/testdata/import/`, sources and licences in its
//! README): what each must give, including the cases the Python Portall got wrong.

use super::{caddy, compose, Candidate};
use crate::ports::Protocol;

fn data(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/import")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn summary(entries: &[Candidate]) -> Vec<(Option<&str>, i64, Protocol, &str)> {
    entries
        .iter()
        .map(|c| {
            (
                c.ip_address.as_deref(),
                c.port_number,
                c.port_protocol,
                c.description.as_str(),
            )
        })
        .collect()
}

#[test]
fn awesome_compose_pihole_tcp_and_udp_twins() {
    let p = compose::parse(&data("awesome-compose-pihole-cloudflared.yaml")).unwrap();
    use Protocol::{Tcp, Udp};
    assert_eq!(
        summary(&p.entries),
        vec![
            (None, 5054, Tcp, "cloudflared"),
            (None, 5054, Udp, "cloudflared"),
            (None, 53, Tcp, "pihole"),
            (None, 53, Udp, "pihole"),
            (None, 67, Udp, "pihole"),
            (None, 8080, Tcp, "pihole"),
            (None, 8443, Tcp, "pihole"),
        ]
    );
    // `${TIMEZONE}` sits in `environment`, which publishes nothing: not an error.
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.entries[0].line, Some(7));
}

#[test]
fn awesome_compose_elk_container_names_describe() {
    let p = compose::parse(&data("awesome-compose-elasticsearch-logstash-kibana.yaml")).unwrap();
    let ports: Vec<(i64, Protocol, &str)> = summary(&p.entries)
        .into_iter()
        .map(|(_, port, proto, d)| (port, proto, d))
        .collect();
    use Protocol::{Tcp, Udp};
    assert_eq!(
        ports,
        vec![
            (9200, Tcp, "es"),
            (9300, Tcp, "es"),
            (5000, Tcp, "log"),
            (5000, Udp, "log"),
            (5044, Tcp, "log"),
            (9600, Tcp, "log"),
            (5601, Tcp, "kib"),
        ]
    );
}

#[test]
fn awesome_compose_plex_host_network_is_reported_not_guessed() {
    let p = compose::parse(&data("awesome-compose-plex.yaml")).unwrap();
    assert!(p.entries.is_empty());
    assert_eq!(p.errors.len(), 1);
    assert!(p.errors[0]
        .message
        .contains("'plex' uses the host's network"));
    assert_eq!(p.errors[0].line, Some(3));
}

#[test]
fn caddy_single_site_with_a_proxy_block_of_subdirectives() {
    let p = caddy::parse(&data("caddy-reverse_proxy_handle_response.Caddyfile")).unwrap();
    assert_eq!(
        summary(&p.entries),
        vec![
            (None, 8884, Protocol::Tcp, "Caddy :8884"),
            (None, 65535, Protocol::Tcp, ":8884"),
        ]
    );
    assert!(p.errors.is_empty(), "{:?}", p.errors);
}

#[test]
fn caddy_php_fastcgi_behind_a_named_matcher() {
    let p = caddy::parse(&data("caddy-php_fastcgi_matcher.Caddyfile")).unwrap();
    assert_eq!(
        summary(&p.entries),
        vec![
            (None, 8884, Protocol::Tcp, "Caddy :8884"),
            (None, 9000, Protocol::Tcp, ":8884 @test"),
        ]
    );
    assert_eq!(p.entries[1].line, Some(9));
}

#[test]
fn caddy_sites_without_ports_or_proxies_give_nothing() {
    let p = caddy::parse(&data("caddy-import_args_snippet.Caddyfile")).unwrap();
    assert!(p.entries.is_empty(), "{:?}", p.entries);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
}
