//! Storage: sqlx connection pools over SQLite or PostgreSQL, chosen by `DATABASE_URL`.
//!
//! Reads go through [`Db::pool`], writes through [`Db::writer`]. On PostgreSQL both are the same
//! pool. On SQLite, which allows one writer at a time, the writer is a pool of one connection, so
//! concurrent writes queue in order on it instead of racing for the file lock and sleeping in
//! SQLite's busy handler (the cause of a 0.6 s tail at 32 connections); the database runs in WAL
//! mode, so reads never wait for a write, with `synchronous=NORMAL`: a commit is durable once
//! WAL-appended, surviving a crash of the process (a power cut may lose the last commits, never
//! corrupt the file).
//!
//! The queries are written once, in portable SQL, against sqlx's `Any` driver: `$1`-style
//! placeholders (SQLite accepts them too), `RETURNING`, and only the types both databases
//! share (64-bit integers, doubles, text). Timestamps are RFC 3339 UTC text with a fixed width
//! (`2025-11-17T00:23:05.083Z`), so they sort as text, compare the same on both databases and
//! go to the client exactly as the contract asks. Each backend has its own migrations
//! directory, `migrations/sqlite` and `migrations/postgres`, with the same file names; both are
//! compiled into the binary and the right one runs at start.
//!
//! To add a table: add `NNNN_name.sql` to **both** directories (same number and name; the
//! features work uses 0100-0199, platform 0200-0299, history 0300-0399) and `cargo build` (build.rs re-embeds).

pub mod accounts;
pub mod history;
pub mod journal;
pub mod results;
pub mod tokens;
pub mod users;

use std::{path::Path, time::Duration};

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::{
    AnyPool,
    any::AnyPoolOptions,
    migrate::{MigrateError, Migrator},
};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend `url` names: PostgreSQL for `postgres://` and `postgresql://`, else SQLite.
    pub fn of_url(url: &str) -> Self {
        match url.starts_with("postgres://") || url.starts_with("postgresql://") {
            true => Self::Postgres,
            false => Self::Sqlite,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// The connection pools and the backend they talk to. Cheap to clone (pools are `Arc`s).
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    writer: AnyPool,
    backend: Backend,
}

impl Db {
    /// Opens the pools to `url` (creating the SQLite file and its directory when missing):
    /// `max_connections` for reads, and on SQLite one more connection for writes.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url);
        match backend {
            Backend::Sqlite => {
                let url = sqlite_url(url)?;
                // The writer first: it switches the file to WAL before any reader opens it.
                let writer = open(&url, 1, Some(SQLITE_WRITER_PRAGMAS)).await?;
                let pool = open(&url, max_connections, Some(SQLITE_READER_PRAGMAS)).await?;
                Ok(Self {
                    pool,
                    writer,
                    backend,
                })
            }
            Backend::Postgres => {
                let pool = open(url, max_connections, None).await?;
                Ok(Self {
                    writer: pool.clone(),
                    pool,
                    backend,
                })
            }
        }
    }

    /// Applies the backend's pending migrations.
    pub async fn migrate(&self) -> Result<(), MigrateError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.writer).await
    }

    /// The pool for reads (`sqlx::query("SELECT ...").fetch_one(db.pool())`).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The pool for anything that writes (`INSERT`, `UPDATE`, `DELETE`, transactions that
    /// write): on SQLite its single connection orders the writes; on PostgreSQL it is
    /// [`Db::pool`].
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// One round trip, for readiness and health probes.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }
}

/// How long start-up waits for the first connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Set on the SQLite writer's connection. WAL persists in the file; the others are per
/// connection. The busy timeout covers another process writing (a second gateway on the file,
/// the `sqlite3` shell); within one gateway, writes queue on the pool instead.
const SQLITE_WRITER_PRAGMAS: &[&str] = &[
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA busy_timeout = 5000",
];

/// Set on every SQLite reader's connection: in WAL a reader waits only while a checkpoint
/// restarts the log, which the busy timeout covers.
const SQLITE_READER_PRAGMAS: &[&str] = &["PRAGMA busy_timeout = 5000"];

/// A pool of `max_connections` to `url`, running `pragmas` on each new connection.
async fn open(
    url: &str,
    max_connections: u32,
    pragmas: Option<&'static [&'static str]>,
) -> Result<AnyPool, sqlx::Error> {
    let mut options = AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(CONNECT_TIMEOUT);
    if let Some(pragmas) = pragmas {
        options = options.after_connect(move |conn, _| {
            Box::pin(async move {
                for pragma in pragmas {
                    sqlx::query(pragma).execute(&mut *conn).await?;
                }
                Ok(())
            })
        });
    }
    match options.connect(url).await {
        Ok(pool) => Ok(pool),
        Err(sqlx::Error::PoolTimedOut) => Err(why_unreachable(url).await),
        Err(e) => Err(e),
    }
}

/// The pool only says it timed out; one direct attempt says why (refused, unknown host, bad
/// password), which is what an operator needs. Neither message holds the URL.
async fn why_unreachable(url: &str) -> sqlx::Error {
    use sqlx::Connection;
    let attempt = sqlx::AnyConnection::connect(url);
    match tokio::time::timeout(Duration::from_secs(2), attempt).await {
        Ok(Err(cause)) => cause,
        _ => sqlx::Error::PoolTimedOut,
    }
}

/// A SQLite URL that creates the file when missing, after creating its directory.
fn sqlite_url(url: &str) -> Result<String, sqlx::Error> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    if let Some(dir) = Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)?;
    }
    let url = match url.starts_with("sqlite:") {
        true => url.to_owned(),
        false => format!("sqlite://{url}"),
    };
    Ok(match url.contains("mode=") {
        true => url,
        false if url.contains('?') => format!("{url}&mode=rwc"),
        false => format!("{url}?mode=rwc"),
    })
}

/// `at` as stored: RFC 3339 UTC with milliseconds and `Z`, fixed width so text order is time
/// order.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The current time as stored.
pub fn now() -> String {
    timestamp(Utc::now())
}

/// Parses a stored timestamp; a malformed one (never written by this code) reads as the epoch
/// rather than failing a whole listing.
pub fn parse_timestamp(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).map_or(DateTime::UNIX_EPOCH, |t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_backend_from_the_url() {
        assert_eq!(Backend::of_url("postgres://u@h/db"), Backend::Postgres);
        assert_eq!(Backend::of_url("postgresql://u@h/db"), Backend::Postgres);
        assert_eq!(Backend::of_url("sqlite://./data/x.db"), Backend::Sqlite);
    }

    #[test]
    fn timestamps_have_a_fixed_width() {
        let t = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        assert_eq!(timestamp(t), "2023-11-14T22:13:20.000Z");
    }
}
