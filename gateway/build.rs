//! Re-embeds the SQL migrations when a file is added to `migrations/` (sqlx's `migrate!` only
//! notices edits to files it already knows).

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=migrations/sqlite");
    println!("cargo:rerun-if-changed=migrations/postgres");
}
