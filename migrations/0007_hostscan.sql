-- Host port scanning: a fourth instance type (`hostscan`), and each entry's last reachability answer.
--
-- The type's CHECK constraint can only change by rebuilding the table. This runs inside the
-- migration's transaction (the legacy upgrade runs every migration inside its own), where foreign
-- keys stay on, so dropping the old table deletes by cascade what references it: the containers, their
-- ports and the discoveries are kept aside first and put back after. The ids stay, and so does the
-- AUTOINCREMENT high-water mark, so a deleted instance's id is never reused (rules name instances by id).
CREATE TEMP TABLE keep_service AS SELECT * FROM docker_service WHERE instance_id IS NOT NULL;
CREATE TEMP TABLE keep_docker_port AS
    SELECT p.* FROM docker_port p JOIN temp.keep_service s ON s.id = p.service_id;
CREATE TEMP TABLE keep_discovery AS SELECT * FROM port_discovery;

CREATE TABLE docker_instance_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(100) NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 100),
    type VARCHAR(20) NOT NULL CHECK (type IN ('docker', 'portainer', 'komodo', 'hostscan')),
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
INSERT INTO docker_instance_new SELECT * FROM docker_instance;
DELETE FROM sqlite_sequence WHERE name = 'docker_instance_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'docker_instance_new', seq FROM sqlite_sequence WHERE name = 'docker_instance';
DROP TABLE docker_instance;
ALTER TABLE docker_instance_new RENAME TO docker_instance;
CREATE UNIQUE INDEX ux_docker_instance_name ON docker_instance (name COLLATE NOCASE);
CREATE INDEX ix_docker_instance_type ON docker_instance (type);
-- With foreign keys off (a multi-instance branch database being upgraded) nothing was deleted, and
-- nothing is added twice.
INSERT OR IGNORE INTO docker_service SELECT * FROM temp.keep_service;
INSERT OR IGNORE INTO docker_port SELECT * FROM temp.keep_docker_port;
INSERT OR IGNORE INTO port_discovery SELECT * FROM temp.keep_discovery;
DROP TABLE temp.keep_service;
DROP TABLE temp.keep_docker_port;
DROP TABLE temp.keep_discovery;

-- The last "is it listening?" answer (a check or a scan): listening, not_answering or unknown (UDP).
-- Status only: the entry's own data never changes with it.
ALTER TABLE port ADD COLUMN check_state TEXT CHECK (check_state IS NULL OR check_state IN ('listening', 'not_answering', 'unknown'));
ALTER TABLE port ADD COLUMN checked_at DATETIME;
