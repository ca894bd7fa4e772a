//! Storage-layer errors. A UNIQUE constraint failure becomes a client error here, through one table of
//! the constraints a user can run into; anything else stays a database error with its cause.

use thiserror::Error;

/// The UNIQUE constraints a request can violate (two saves racing past the services' own checks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Constraint {
    /// `ux_docker_instance_name`: integration names, case-insensitive.
    InstanceName,
    /// `_ip_port_protocol_uc`: one entry per address, port and protocol.
    PortAddress,
    /// `ux_api_token_name`: token names, case-insensitive.
    TokenName,
    /// `ux_auth_user_username`: one account per name.
    Username,
    /// `host.address`: one host panel per address.
    HostAddress,
}

/// SQLite names the columns, not the constraint: "UNIQUE constraint failed: port.ip_address, …".
const UNIQUE: &[(&str, Constraint)] = &[
    ("docker_instance.name", Constraint::InstanceName),
    (
        "port.ip_address, port.port_number, port.port_protocol",
        Constraint::PortAddress,
    ),
    ("api_token.name", Constraint::TokenName),
    ("auth_user.username", Constraint::Username),
    ("host.address", Constraint::HostAddress),
];

impl Constraint {
    /// Which form field the conflict belongs to (422), or none (409).
    pub fn field(self) -> Option<&'static str> {
        match self {
            Constraint::InstanceName => Some("name"),
            Constraint::PortAddress => None,
            Constraint::TokenName => Some("name"),
            Constraint::Username => Some("username"),
            Constraint::HostAddress => Some("address"),
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Constraint::InstanceName => "another integration already has this name",
            Constraint::PortAddress => {
                "this address already has an entry with that port and protocol"
            }
            Constraint::TokenName => "another token already has this name",
            Constraint::Username => "this account already exists",
            Constraint::HostAddress => "a host with this address already exists",
        }
    }
}

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("{}", .0.message())]
    Unique(Constraint),
    #[error("database error: {0}")]
    Db(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                let message = db.message();
                if let Some((_, c)) = UNIQUE.iter().find(|(cols, _)| message.ends_with(cols)) {
                    return StoreError::Unique(*c);
                }
            }
        }
        StoreError::Db(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;

    #[tokio::test]
    async fn unique_failures_map_through_the_table() {
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        sqlx::raw_sql(
            "CREATE TABLE port (id INTEGER PRIMARY KEY, ip_address TEXT, port_number INTEGER, port_protocol TEXT,
               CONSTRAINT _ip_port_protocol_uc UNIQUE (ip_address, port_number, port_protocol));
             CREATE TABLE docker_instance (id INTEGER PRIMARY KEY, name TEXT);
             CREATE UNIQUE INDEX ux_docker_instance_name ON docker_instance (name COLLATE NOCASE);
             CREATE TABLE other (k TEXT UNIQUE);
             INSERT INTO port VALUES (1, 'h', 80, 'TCP');
             INSERT INTO docker_instance VALUES (1, 'Nas');
             INSERT INTO other VALUES ('x');",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        async fn fail(conn: &mut sqlx::SqliteConnection, sql: &'static str) -> StoreError {
            StoreError::from(sqlx::query(sql).execute(conn).await.unwrap_err())
        }
        let e = fail(&mut conn, "INSERT INTO port VALUES (2, 'h', 80, 'TCP')").await;
        assert!(
            matches!(e, StoreError::Unique(Constraint::PortAddress)),
            "{e:?}"
        );
        let e = fail(&mut conn, "INSERT INTO docker_instance VALUES (2, 'NAS')").await;
        assert!(
            matches!(e, StoreError::Unique(Constraint::InstanceName)),
            "{e:?}"
        );
        let e = fail(&mut conn, "INSERT INTO other VALUES ('x')").await;
        assert!(
            matches!(e, StoreError::Db(_)),
            "an unknown constraint stays a database error"
        );
    }
}
