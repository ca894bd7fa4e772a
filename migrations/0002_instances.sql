-- Any number of Docker / Portainer / Komodo instances, and which instance discovered what.

CREATE TABLE docker_instance (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(100) NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 100),
    type VARCHAR(20) NOT NULL CHECK (type IN ('docker', 'portainer', 'komodo')),
    enabled BOOLEAN NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    auto_detect BOOLEAN NOT NULL DEFAULT 1 CHECK (auto_detect IN (0, 1)),
    scan_interval INTEGER NOT NULL DEFAULT 300 CHECK (scan_interval BETWEEN 60 AND 86400),
    config TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(config) AND json_type(config) = 'object'),
    created_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    updated_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    -- Scan status shown on the instance block.
    last_scan_at DATETIME,
    last_success_at DATETIME,
    last_error TEXT,
    last_duration_ms INTEGER,
    last_result TEXT CHECK (last_result IS NULL OR json_valid(last_result))
);

CREATE UNIQUE INDEX ux_docker_instance_name ON docker_instance (name COLLATE NOCASE);
CREATE INDEX ix_docker_instance_type ON docker_instance (type);

-- Every discovered container belongs to the instance that reported it.
ALTER TABLE docker_service ADD COLUMN instance_id INTEGER REFERENCES docker_instance (id) ON DELETE CASCADE;
-- Which environment / server of the instance reported the container ('' for a plain Docker engine).
ALTER TABLE docker_service ADD COLUMN source_key TEXT NOT NULL DEFAULT '';
CREATE INDEX ix_docker_service_instance ON docker_service (instance_id, container_id);
CREATE INDEX ix_docker_port_service ON docker_port (service_id);

-- A published binding reachable only on the host's loopback (127.0.0.1 / ::1).
ALTER TABLE docker_port ADD COLUMN local_only BOOLEAN NOT NULL DEFAULT 0;

-- Which instance(s) reported a Ports-page entry; an entry no instance sees any more is stale.
CREATE TABLE port_discovery (
    port_id INTEGER NOT NULL REFERENCES port (id) ON DELETE CASCADE,
    instance_id INTEGER NOT NULL REFERENCES docker_instance (id) ON DELETE CASCADE,
    first_seen_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    last_seen_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    seen BOOLEAN NOT NULL DEFAULT 1 CHECK (seen IN (0, 1)),
    -- The environment / server that reported it: a failed one never marks its entries stale.
    source_key TEXT NOT NULL DEFAULT '',
    -- Published on the host's loopback only: not reachable from other machines.
    local_only BOOLEAN NOT NULL DEFAULT 0 CHECK (local_only IN (0, 1)),
    -- The container and its port, for the entry's details.
    container_name TEXT,
    container_port INTEGER,
    PRIMARY KEY (port_id, instance_id)
);
CREATE INDEX ix_port_discovery_instance ON port_discovery (instance_id);

CREATE INDEX ix_port_source ON port (source);
CREATE INDEX ix_port_tag_tag ON port_tag (tag_id);
