-- Accounts, browser sessions and API tokens (PORTALL_AUTH=password). Session ids and tokens are
-- stored as SHA-256 digests only: a copy of the database does not let anyone in.

CREATE TABLE auth_user (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL CHECK (length(trim(username)) BETWEEN 1 AND 64),
    password_hash TEXT NOT NULL,
    created_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    password_changed_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);
CREATE UNIQUE INDEX ux_auth_user_username ON auth_user (username COLLATE NOCASE);

CREATE TABLE auth_session (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    digest TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES auth_user (id) ON DELETE CASCADE,
    created_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    last_seen_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    expires_at DATETIME NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_auth_session_user ON auth_session (user_id);

CREATE TABLE api_token (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 64),
    digest TEXT NOT NULL UNIQUE,
    -- The first characters, so a user can tell tokens apart without the token.
    hint TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES auth_user (id) ON DELETE CASCADE,
    created_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    last_used_at DATETIME
);
CREATE UNIQUE INDEX ux_api_token_name ON api_token (name COLLATE NOCASE);
