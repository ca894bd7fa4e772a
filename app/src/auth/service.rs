//! Accounts, sessions and tokens: the one implementation the REST routes, the server functions and
//! the request guard call.
//!
//! Passwords are hashed with argon2id on the blocking pool (hashing takes tens of milliseconds of CPU
//! by design; it must not stall the runtime). Session ids and API tokens are 256 random bits, handed
//! out once and stored as SHA-256 digests. A login for an unknown name still verifies a hash, so the
//! answer's timing does not say which names exist.

use super::limiter::Limiter;
use super::{
    parse_login, parse_new_account, parse_password_change, parse_token_name, store, AuthMode,
    AuthStatus, CreatedToken, TokenView,
};
use crate::error::ServiceError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

/// Browser sessions last this long (then the login page again).
pub const SESSION_DAYS: i64 = 30;
/// API tokens start with this, so a leaked one is recognisable (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "ptl_";

/// Who a request acts for (put in the request's extensions by the guard).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub user: String,
    pub via: Via,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    /// A browser session (its row id) of an account.
    Session { id: i64, user_id: i64 },
    /// An API token (its row id).
    Token { id: i64, user_id: i64 },
    /// The trusted proxy's header.
    Forward,
    /// `PORTALL_AUTH=none`.
    Open,
}

impl Principal {
    /// The account acting (a session or a token of it); forward auth and `none` have none.
    fn account(&self) -> Result<i64, ServiceError> {
        match self.via {
            Via::Session { user_id, .. } | Via::Token { user_id, .. } => Ok(user_id),
            Via::Forward | Via::Open => Err(ServiceError::Unauthorized(
                "sign in with an account first".into(),
            )),
        }
    }
}

/// Where a login or setup came from (rate limit, the session list).
#[derive(Clone, Debug)]
pub struct ClientMeta {
    pub address: IpAddr,
    pub user_agent: String,
}

/// A new browser session: the cookie value (shown once) and whose it is.
pub struct NewSession {
    pub token: String,
    pub user: String,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct Auth {
    pool: SqlitePool,
    mode: AuthMode,
    limiter: Arc<Limiter>,
    /// A hash verified for unknown names (same work as a real one); made on the first such login,
    /// not at start-up.
    decoy: Arc<tokio::sync::OnceCell<String>>,
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source");
    hex::encode(bytes)
}

/// What is stored for a session id or token.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn hash_blocking(password: &str) -> Result<String, ServiceError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| ServiceError::Internal(format!("random: {e}")))?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|e| ServiceError::Internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(format!("hashing: {e}")))
}

async fn hash(password: String) -> Result<String, ServiceError> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|e| ServiceError::Internal(format!("hashing task: {e}")))?
}

async fn verify(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

const WRONG_PAIR: &str = "wrong username or password";

impl Auth {
    pub fn new(pool: SqlitePool, mode: AuthMode) -> Self {
        Self {
            pool,
            mode,
            limiter: Arc::default(),
            decoy: Arc::default(),
        }
    }

    pub fn mode(&self) -> AuthMode {
        self.mode
    }

    /// Password mode with no account yet: every page leads to the setup page.
    pub async fn setup_required(&self) -> Result<bool, ServiceError> {
        Ok(self.mode == AuthMode::Password && store::user_count(&self.pool).await? == 0)
    }

    pub async fn status(&self, who: Option<&Principal>) -> Result<AuthStatus, ServiceError> {
        Ok(AuthStatus {
            mode: self.mode,
            setup_required: self.setup_required().await?,
            user: who.filter(|p| p.via != Via::Open).map(|p| p.user.clone()),
        })
    }

    fn password_mode(&self) -> Result<(), ServiceError> {
        if self.mode == AuthMode::Password {
            Ok(())
        } else {
            Err(ServiceError::Conflict(format!(
                "accounts are not used with PORTALL_AUTH={}",
                self.mode.as_str()
            )))
        }
    }

    async fn start_session(
        &self,
        user_id: i64,
        user: String,
        meta: &ClientMeta,
    ) -> Result<NewSession, ServiceError> {
        let token = random_hex();
        let agent: String = meta.user_agent.chars().take(200).collect();
        store::insert_session(
            &self.pool,
            &digest(&token),
            user_id,
            SESSION_DAYS,
            &meta.address.to_string(),
            &agent,
        )
        .await?;
        Ok(NewSession { token, user })
    }

    /// Creates the admin account (only while there is none) and signs it in.
    pub async fn setup(
        &self,
        input: &Value,
        meta: &ClientMeta,
    ) -> Result<NewSession, ServiceError> {
        self.password_mode()?;
        if !self.setup_required().await? {
            return Err(ServiceError::Conflict(
                "an account exists already: sign in instead".into(),
            ));
        }
        let c = parse_new_account(input).map_err(ServiceError::Validation)?;
        let hash = hash(c.password).await?;
        let id = store::insert_first_user(&self.pool, &c.username, &hash)
            .await?
            .ok_or_else(|| {
                ServiceError::Conflict("an account exists already: sign in instead".into())
            })?;
        tracing::info!(user = %c.username, "admin account created");
        self.start_session(id, c.username, meta).await
    }

    /// Checks a username and password; too many failures from one address are refused for a while.
    pub async fn login(
        &self,
        input: &Value,
        meta: &ClientMeta,
    ) -> Result<NewSession, ServiceError> {
        self.password_mode()?;
        let c = parse_login(input).map_err(ServiceError::Validation)?;
        if let Err(wait) = self.limiter.check(meta.address, Instant::now()) {
            tracing::warn!(address = %meta.address, "login refused: too many failures");
            return Err(ServiceError::RateLimited(wait));
        }
        let user = store::user_by_name(&self.pool, &c.username).await?;
        let hash = match &user {
            Some(u) => u.password_hash.clone(),
            None => self
                .decoy
                .get_or_try_init(|| hash("portall-decoy-password".into()))
                .await?
                .clone(),
        };
        let ok = verify(c.password, hash).await && user.is_some();
        match user.filter(|_| ok) {
            Some(u) => {
                self.limiter.succeeded(meta.address);
                tracing::info!(user = %u.username, address = %meta.address, "signed in");
                self.start_session(u.id, u.username, meta).await
            }
            None => {
                self.limiter.failed(meta.address, Instant::now());
                tracing::warn!(user = %c.username, address = %meta.address, "failed sign-in");
                Err(ServiceError::Unauthorized(WRONG_PAIR.into()))
            }
        }
    }

    pub async fn logout(&self, session_token: &str) -> Result<(), ServiceError> {
        Ok(store::delete_session(&self.pool, &digest(session_token)).await?)
    }

    /// The principal of a session cookie's value, if it is a live session.
    pub async fn session(&self, token: &str) -> Result<Option<Principal>, ServiceError> {
        Ok(store::session(&self.pool, &digest(token))
            .await?
            .map(|(id, user_id, user)| Principal {
                user,
                via: Via::Session { id, user_id },
            }))
    }

    /// The principal of an `Authorization: Bearer` token.
    pub async fn bearer(&self, token: &str) -> Result<Option<Principal>, ServiceError> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        Ok(store::use_token(&self.pool, &digest(token))
            .await?
            .map(|(id, user_id, user)| Principal {
                user,
                via: Via::Token { id, user_id },
            }))
    }

    /// Changes the signed-in user's password; every other session of theirs ends.
    pub async fn change_password(
        &self,
        who: &Principal,
        input: &Value,
    ) -> Result<(), ServiceError> {
        self.password_mode()?;
        let (current, new) = parse_password_change(input).map_err(ServiceError::Validation)?;
        let user_id = who.account()?;
        let user = store::user_by_id(&self.pool, user_id)
            .await?
            .ok_or_else(|| ServiceError::Unauthorized("sign in first".into()))?;
        if !verify(current, user.password_hash).await {
            return Err(ServiceError::field(
                "current",
                "is not your current password",
            ));
        }
        let keep = match who.via {
            Via::Session { id, .. } => Some(id),
            _ => None,
        };
        store::set_password(&self.pool, user_id, &hash(new).await?, keep).await?;
        tracing::info!(user = %user.username, "password changed; other sessions ended");
        Ok(())
    }

    pub async fn tokens(&self) -> Result<Vec<TokenView>, ServiceError> {
        Ok(store::tokens(&self.pool).await?)
    }

    /// A new API token for scripts; the token is in the answer and nowhere else.
    pub async fn create_token(
        &self,
        who: &Principal,
        input: &Value,
    ) -> Result<CreatedToken, ServiceError> {
        self.password_mode()?;
        let name = parse_token_name(input).map_err(ServiceError::Validation)?;
        let user_id = who.account()?;
        let token = format!("{TOKEN_PREFIX}{}", random_hex());
        let hint: String = token.chars().take(TOKEN_PREFIX.len() + 6).collect();
        let id = store::insert_token(&self.pool, &name, &digest(&token), &hint, user_id).await?;
        tracing::info!(id, name = %name, "API token created");
        Ok(CreatedToken { id, name, token })
    }

    pub async fn revoke_token(&self, id: i64) -> Result<(), ServiceError> {
        store::delete_token(&self.pool, id)
            .await
            .map_err(|e| match e {
                crate::db::error::StoreError::NotFound => {
                    ServiceError::NotFound(format!("token {id}"))
                }
                other => other.into(),
            })?;
        tracing::info!(id, "API token revoked");
        Ok(())
    }

    /// Removes every account (sessions and tokens cascade): `portall reset-auth`.
    pub async fn reset(&self) -> Result<u64, ServiceError> {
        let removed = store::delete_users(&self.pool).await?;
        tracing::warn!(
            removed,
            "accounts removed by reset-auth; the setup page is open again"
        );
        Ok(removed)
    }

    /// Drops expired sessions (called hourly).
    pub async fn purge(&self) -> Result<u64, ServiceError> {
        Ok(store::purge_expired(&self.pool).await?)
    }
}
