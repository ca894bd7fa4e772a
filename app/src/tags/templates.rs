//! The five built-in rule templates the Python Portall offered (33 rules, all auto-run), written in
//! this Portall's canonical rule shape. Application detection matches descriptions against the app
//! presets' names (`generation/presets.json`, MIT, Need4Swede), one rule per category.

use super::Template;
use serde_json::{json, Value};

fn rule(
    name: &str,
    description: &str,
    priority: i64,
    conditions: Value,
    tag: &str,
    color: &str,
) -> Value {
    json!({
        "name": name, "description": description, "enabled": true, "auto_execute": true,
        "priority": priority, "conditions": conditions,
        "actions": [{"type": "add_tag", "tag_name": tag, "tag_color": color}],
    })
}

fn ports(list: &[i64]) -> Value {
    json!({"type": "port_list", "value": list})
}

fn described(pattern: &str) -> Value {
    json!({"type": "description_regex", "value": pattern})
}

fn any(items: Vec<Value>) -> Value {
    json!({"operator": "OR", "conditions": items})
}

/// A pattern matching any of `names` as words (presets' names, escaped).
fn names(list: &[&str]) -> String {
    let escaped: Vec<String> = list.iter().map(|n| regex::escape(n)).collect();
    format!(r"\b(?:{})\b", escaped.join("|"))
}

const CATEGORIES: [(&str, &str, &str, &[&str]); 19] = [
    (
        "media",
        "Media servers",
        "#db2777",
        &[
            "Plex", "Jellyfin", "Emby", "Stash", "Streama", "MediaCMS", "Peertube", "Owncast",
            "Tube",
        ],
    ),
    (
        "media-management",
        "Media management (*arr)",
        "#9333ea",
        &[
            "Sonarr",
            "Radarr",
            "Lidarr",
            "Readarr",
            "Bazarr",
            "Prowlarr",
            "Whisparr",
            "Servarr",
            "Jackett",
            "Overseerr",
            "Jellyseerr",
            "Ombi",
            "Requestrr",
            "Tautulli",
            "SickChill",
        ],
    ),
    (
        "downloads",
        "Download clients",
        "#ea580c",
        &[
            "qBittorrent",
            "Transmission",
            "SABnzbd",
            "NZBGet",
            "NZBHydra2",
            "rTorrent",
            "rFlood",
            "Jdownloader",
        ],
    ),
    (
        "music",
        "Music and audio",
        "#c026d3",
        &[
            "Navidrome",
            "Airsonic",
            "Ampache",
            "Funkwhale",
            "Koel",
            "Gonic",
            "Polaris",
            "mStream",
            "Madsonic",
            "Black Candy",
            "Audiobookshelf",
            "AzuraCast",
            "LibreTime",
            "Beets",
            "Maloja",
            "Castopod",
            "Podgrab",
        ],
    ),
    (
        "books",
        "Books and comics",
        "#b45309",
        &[
            "Calibre-Web",
            "Calibre-server",
            "Kavita",
            "Komga",
            "Ubooquity",
            "Stump",
            "BicBucStriim",
            "Librum",
        ],
    ),
    (
        "photos",
        "Photos and video surveillance",
        "#0d9488",
        &["Immich", "PhotoPrism", "Photoview", "Frigate", "Shinobi"],
    ),
    (
        "home-automation",
        "Home automation",
        "#16a34a",
        &["Home Assistant", "Nodered", "Node-RED", "n8n", "Huginn"],
    ),
    (
        "monitoring",
        "Monitoring",
        "#0891b2",
        &[
            "Grafana",
            "Prometheus",
            "Alertmanager",
            "Uptime Kuma",
            "Netdata",
            "Zabbix",
            "Nagios",
            "Icinga",
            "Checkmk",
            "LibreNMS",
            "cAdvisor",
            "Node Exporter",
            "Healthchecks.io",
            "Scrutiny",
            "Speedtest Tracker",
            "Statping",
            "SmokePing",
            "Munin",
            "Cacti",
            "Monit",
            "Gotify",
        ],
    ),
    (
        "logging",
        "Logs and tracing",
        "#64748b",
        &[
            "Loki",
            "Graylog",
            "Elasticsearch",
            "ELK",
            "Kibana",
            "Fluentd",
            "VictoriaLogs",
            "Jaeger",
            "Zipkin",
            "SigNoz",
            "Sentry",
            "Vector",
            "Dozzle",
        ],
    ),
    (
        "dns",
        "DNS and ad blocking",
        "#2563eb",
        &[
            "Pi-hole",
            "AdGuard Home",
            "AdGuard",
            "Technitium",
            "Unbound",
        ],
    ),
    (
        "proxy",
        "Reverse proxies",
        "#4f46e5",
        &[
            "Nginx Proxy Manager",
            "Traefik",
            "Caddy",
            "HAProxy",
            "Nginx",
            "Envoy",
            "Kong",
            "Cloudflare Tunnel",
        ],
    ),
    (
        "vpn",
        "VPN",
        "#1d4ed8",
        &[
            "WireGuard",
            "OpenVPN",
            "Pritunl",
            "SoftEther",
            "strongSwan",
            "ZeroTier",
            "Algo VPN",
            "Tailscale",
            "Headscale",
        ],
    ),
    (
        "auth",
        "Identity and secrets",
        "#dc2626",
        &[
            "Authelia",
            "Authentik",
            "Keycloak",
            "FreeIPA",
            "OpenLDAP",
            "Vault",
            "Vaultwarden",
            "Bitwarden",
        ],
    ),
    (
        "files",
        "Files and sync",
        "#ca8a04",
        &[
            "Nextcloud",
            "Seafile",
            "Syncthing",
            "Filebrowser",
            "MinIO",
            "Pydio",
            "Resilio Sync",
            "WebDAV",
            "OpenMediaVault",
            "TrueNAS",
        ],
    ),
    (
        "backup",
        "Backup",
        "#059669",
        &[
            "Duplicati",
            "Kopia",
            "UrBackup",
            "Bacula",
            "Duplicacy",
            "Restic",
        ],
    ),
    (
        "development",
        "Development and CI",
        "#7c3aed",
        &[
            "Gitea",
            "Forgejo",
            "GitLab",
            "Gogs",
            "Jenkins",
            "Drone",
            "Woodpecker",
            "Concourse",
            "TeamCity",
            "Code-server",
            "SonarQube",
            "Docker Registry",
            "Harbor",
            "Nexus",
            "Argo CD",
            "Sourcegraph",
        ],
    ),
    (
        "dashboards",
        "Dashboards and management",
        "#0284c7",
        &[
            "Heimdall",
            "Homer",
            "Homarr",
            "Dashy",
            "Portainer",
            "Rancher",
            "Proxmox",
            "Cockpit",
            "Webmin",
            "Kasm",
            "Webtop",
        ],
    ),
    (
        "productivity",
        "Notes, documents and office",
        "#65a30d",
        &[
            "Paperless-ngx",
            "BookStack",
            "Wiki.js",
            "Outline",
            "HedgeDoc",
            "Joplin",
            "Trilium",
            "Memos",
            "Docmost",
            "flatnotes",
            "SilverBullet",
            "Stirling-PDF",
            "Collabora",
            "OnlyOffice",
            "Etherpad",
            "Cryptpad",
            "Vikunja",
            "Planka",
            "Wekan",
            "Kanboard",
            "Focalboard",
            "Mealie",
            "Tandoor",
        ],
    ),
    (
        "communication",
        "Chat and mail",
        "#e11d48",
        &[
            "Mattermost",
            "Rocket.Chat",
            "Element",
            "Matrix",
            "Zulip",
            "Jitsi",
            "Mastodon",
            "TheLounge",
            "ZNC",
            "Mailcow",
            "Roundcube",
            "SOGo",
            "Zimbra",
            "TeamSpeak",
        ],
    ),
];

pub fn all() -> Vec<Template> {
    let security = vec![
        rule(
            "SSH services",
            "SSH on its usual ports",
            100,
            ports(&[22, 2222]),
            "ssh",
            "#dc2626",
        ),
        rule(
            "Database services",
            "Database ports and database names in descriptions",
            90,
            any(vec![
                ports(&[
                    1433, 1521, 3306, 5432, 5984, 6379, 8086, 9042, 9200, 11211, 27017,
                ]),
                described(
                    r"\b(?:mysql|mariadb|postgres(?:ql)?|mongo(?:db)?|redis|influxdb|elasticsearch|couchdb|memcached)\b",
                ),
            ]),
            "database",
            "#b45309",
        ),
        rule(
            "Web services",
            "HTTP and HTTPS ports",
            80,
            ports(&[80, 443, 8000, 8080, 8443, 8888]),
            "web",
            "#2563eb",
        ),
        rule(
            "Reverse proxies",
            "Proxy software by name",
            70,
            described(r"\b(?:nginx|traefik|caddy|haproxy|envoy|proxy)\b"),
            "reverse-proxy",
            "#4f46e5",
        ),
        rule(
            "Admin panels",
            "Management interfaces by port or name",
            60,
            any(vec![
                ports(&[8006, 9000, 9090, 9443, 10000]),
                described(r"\b(?:admin|portainer|webmin|cockpit|proxmox|dashboard)\b"),
            ]),
            "admin",
            "#ea580c",
        ),
    ];
    let infrastructure = vec![
        rule(
            "DNS servers",
            "Port 53 and DNS software",
            50,
            any(vec![
                ports(&[53, 853]),
                described(r"\b(?:dns|pi-?hole|adguard|unbound|bind)\b"),
            ]),
            "dns",
            "#0891b2",
        ),
        rule(
            "DHCP servers",
            "DHCP ports (UDP)",
            50,
            json!({"operator": "AND", "conditions": [ports(&[67, 68, 547]), {"type": "protocol", "value": "UDP"}]}),
            "dhcp",
            "#0d9488",
        ),
        rule(
            "File sharing",
            "SMB, NFS, FTP and WebDAV",
            50,
            any(vec![
                ports(&[20, 21, 139, 445, 2049]),
                described(r"\b(?:smb|samba|nfs|ftp|webdav)\b"),
            ]),
            "file-sharing",
            "#ca8a04",
        ),
        rule(
            "Remote access",
            "RDP, VNC and remote desktops",
            50,
            ports(&[3389, 5800, 5900, 5901]),
            "remote-access",
            "#9333ea",
        ),
    ];
    let segmentation = vec![
        rule(
            "DMZ network",
            "Entries on 192.168.100.0/24 (edit the network to yours)",
            40,
            json!({"type": "ip_cidr", "value": "192.168.100.0/24"}),
            "dmz",
            "#dc2626",
        ),
        rule(
            "Management network",
            "Entries on 192.168.1.0/24 (edit the network to yours)",
            40,
            json!({"type": "ip_cidr", "value": "192.168.1.0/24"}),
            "management",
            "#16a34a",
        ),
        rule(
            "Secure zone",
            "Entries on 10.1.0.0/16 (edit the network to yours)",
            40,
            json!({"type": "ip_cidr", "value": "10.1.0.0/16"}),
            "secure-zone",
            "#4f46e5",
        ),
    ];
    let monitoring = vec![
        rule(
            "Monitoring services",
            "Metrics and uptime tools by port or name",
            30,
            any(vec![
                ports(&[3001, 8086, 9090, 9093, 9100, 19999]),
                described(
                    r"\b(?:prometheus|grafana|uptime|netdata|zabbix|alertmanager|exporter|influx)",
                ),
            ]),
            "monitoring",
            "#0891b2",
        ),
        rule(
            "Logging services",
            "Log collectors by port or name",
            30,
            any(vec![
                ports(&[514, 3100, 5601, 12201]),
                described(r"\b(?:loki|graylog|kibana|logstash|fluentd|dozzle|syslog)"),
            ]),
            "logging",
            "#64748b",
        ),
    ];
    let detection = CATEGORIES
        .iter()
        .map(|(tag, title, color, apps)| {
            rule(
                &format!("Detect {title}"),
                &format!("Descriptions naming {}", apps[..3].join(", ")),
                10,
                described(&names(apps)),
                tag,
                color,
            )
        })
        .collect();
    vec![
        Template {
            name: "security_hardening".into(),
            title: "Security hardening".into(),
            description: "Tags SSH, databases, web services, reverse proxies and admin panels, so exposed services stand out.".into(),
            rules: security,
        },
        Template {
            name: "infrastructure_mapping".into(),
            title: "Infrastructure mapping".into(),
            description: "Tags DNS, DHCP, file sharing and remote access.".into(),
            rules: infrastructure,
        },
        Template {
            name: "network_segmentation".into(),
            title: "Network segmentation".into(),
            description: "Tags entries by network (CIDR): DMZ, management, secure zone. Edit the networks to yours.".into(),
            rules: segmentation,
        },
        Template {
            name: "monitoring_setup".into(),
            title: "Monitoring".into(),
            description: "Tags metrics, uptime and logging services.".into(),
            rules: monitoring,
        },
        Template {
            name: "application_detection".into(),
            title: "Application detection".into(),
            description: "Tags entries by the application their description names (19 categories from the app presets).".into(),
            rules: detection,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_three_valid_auto_rules() {
        let templates = all();
        assert_eq!(templates.len(), 5);
        let rules: Vec<&Value> = templates.iter().flat_map(|t| &t.rules).collect();
        assert_eq!(rules.len(), 33);
        let mut names = std::collections::HashSet::new();
        for r in rules {
            let spec = super::super::parse_rule(r).unwrap_or_else(|e| panic!("{r}: {e:?}"));
            assert!(spec.auto_execute && spec.enabled);
            assert!(names.insert(spec.name.clone()), "duplicate {}", spec.name);
            let mut errors = Default::default();
            assert!(
                super::super::engine::compile(&spec.conditions, "conditions", &mut errors)
                    .is_some(),
                "{errors:?}"
            );
        }
    }
}
