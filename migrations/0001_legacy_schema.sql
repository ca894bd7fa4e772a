-- The legacy Portall v2.0.x schema, verbatim, so a fresh database and an upgraded legacy one
-- end with the same tables. On a legacy database this migration is recorded as applied, not run.

CREATE TABLE migration_versions (
                            id INTEGER PRIMARY KEY AUTOINCREMENT,
                            migration_name VARCHAR(100) UNIQUE NOT NULL,
                            applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
                        );

CREATE TABLE port (
	id INTEGER NOT NULL, 
	ip_address VARCHAR(15) NOT NULL, 
	nickname VARCHAR(50), 
	port_number INTEGER NOT NULL, 
	port_protocol VARCHAR(3) NOT NULL, 
	description VARCHAR(100) NOT NULL, 
	"order" INTEGER, 
	source VARCHAR(20), 
	is_immutable BOOLEAN, 
	PRIMARY KEY (id), 
	CONSTRAINT _ip_port_protocol_uc UNIQUE (ip_address, port_number, port_protocol)
);

CREATE TABLE setting (
	id INTEGER NOT NULL, 
	"key" VARCHAR(50) NOT NULL, 
	value VARCHAR(100) NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE ("key")
);

CREATE TABLE docker_service (
	id INTEGER NOT NULL, 
	container_id VARCHAR(64) NOT NULL, 
	name VARCHAR(100) NOT NULL, 
	image VARCHAR(200) NOT NULL, 
	status VARCHAR(50) NOT NULL, 
	created_at DATETIME, 
	updated_at DATETIME, 
	PRIMARY KEY (id)
);

CREATE TABLE port_scan (
	id INTEGER NOT NULL, 
	ip_address VARCHAR(15) NOT NULL, 
	port_range_start INTEGER, 
	port_range_end INTEGER, 
	excluded_ports TEXT, 
	scan_type VARCHAR(10), 
	status VARCHAR(20), 
	discovered_ports TEXT, 
	created_at DATETIME, 
	completed_at DATETIME, 
	scheduled_scan BOOLEAN, 
	next_scan_time DATETIME, 
	scan_duration FLOAT, 
	ports_scanned INTEGER, 
	ports_found INTEGER, 
	PRIMARY KEY (id)
);

CREATE TABLE port_scan_schedule (
	id INTEGER NOT NULL, 
	ip_address VARCHAR(15) NOT NULL, 
	port_range_start INTEGER, 
	port_range_end INTEGER, 
	excluded_ports TEXT, 
	scan_type VARCHAR(10), 
	scan_interval INTEGER NOT NULL, 
	enabled BOOLEAN, 
	last_scan DATETIME, 
	next_scan DATETIME, 
	created_at DATETIME, 
	updated_at DATETIME, 
	PRIMARY KEY (id), 
	CONSTRAINT _ip_schedule_uc UNIQUE (ip_address)
);

CREATE TABLE tag (
	id INTEGER NOT NULL, 
	name VARCHAR(50) NOT NULL, 
	color VARCHAR(7) NOT NULL, 
	description VARCHAR(200), 
	created_at DATETIME, 
	updated_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (name)
);

CREATE TABLE tagging_rule (
	id INTEGER NOT NULL, 
	name VARCHAR(100) NOT NULL, 
	description VARCHAR(500), 
	enabled BOOLEAN NOT NULL, 
	auto_execute BOOLEAN NOT NULL, 
	priority INTEGER NOT NULL, 
	conditions TEXT NOT NULL, 
	actions TEXT NOT NULL, 
	created_at DATETIME, 
	updated_at DATETIME, 
	last_executed DATETIME, 
	execution_count INTEGER NOT NULL, 
	ports_affected INTEGER NOT NULL, 
	PRIMARY KEY (id)
);

CREATE TABLE docker_port (
	id INTEGER NOT NULL, 
	service_id INTEGER NOT NULL, 
	host_ip VARCHAR(15) NOT NULL, 
	host_port INTEGER NOT NULL, 
	container_port INTEGER NOT NULL, 
	protocol VARCHAR(3) NOT NULL, 
	created_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(service_id) REFERENCES docker_service (id) ON DELETE CASCADE
);

CREATE TABLE port_tag (
	id INTEGER NOT NULL, 
	port_id INTEGER NOT NULL, 
	tag_id INTEGER NOT NULL, 
	created_at DATETIME, 
	PRIMARY KEY (id), 
	CONSTRAINT _port_tag_uc UNIQUE (port_id, tag_id), 
	FOREIGN KEY(port_id) REFERENCES port (id), 
	FOREIGN KEY(tag_id) REFERENCES tag (id)
);

CREATE TABLE rule_execution_log (
	id INTEGER NOT NULL, 
	rule_id INTEGER NOT NULL, 
	port_id INTEGER NOT NULL, 
	action_type VARCHAR(20) NOT NULL, 
	tag_id INTEGER NOT NULL, 
	executed_at DATETIME, 
	success BOOLEAN NOT NULL, 
	error_message VARCHAR(500), 
	PRIMARY KEY (id), 
	FOREIGN KEY(rule_id) REFERENCES tagging_rule (id), 
	FOREIGN KEY(port_id) REFERENCES port (id), 
	FOREIGN KEY(tag_id) REFERENCES tag (id)
);

-- The settings the legacy app inserted on its first start.
INSERT INTO setting ("key", value) VALUES
    ('default_ip', ''),
    ('theme', 'light'),
    ('custom_css', ''),
    ('port_start', '1024'),
    ('port_end', '65535'),
    ('port_exclude', ''),
    ('port_length', '4'),
    ('copy_format', 'port_only'),
    ('docker_enabled', 'false'),
    ('docker_host', 'unix:///var/run/docker.sock'),
    ('docker_auto_detect', 'false'),
    ('docker_scan_interval', '300'),
    ('portainer_enabled', 'false'),
    ('portainer_url', ''),
    ('portainer_api_key', ''),
    ('portainer_verify_ssl', 'true'),
    ('portainer_auto_detect', 'false'),
    ('portainer_scan_interval', '300'),
    ('komodo_enabled', 'false'),
    ('komodo_url', ''),
    ('komodo_api_key', ''),
    ('komodo_api_secret', ''),
    ('komodo_auto_detect', 'false'),
    ('komodo_scan_interval', '300'),
    ('port_scanning_enabled', 'false'),
    ('scan_range_start', '1024'),
    ('scan_range_end', '65535'),
    ('scan_exclude', ''),
    ('verify_ports_on_load', 'false'),
    ('scan_timeout', '1000'),
    ('scan_threads', '50'),
    ('auto_add_discovered', 'false');
