//! `leadpost backup --to FILE [--force]`: a consistent copy of a SQLite store, made while it
//! serves (`VACUUM INTO`). It refuses to overwrite a file unless `--force`; on PostgreSQL it
//! prints how to use `pg_dump` and exits with status 2. Restoring is docs/data.md's business.

use std::path::PathBuf;

use clap::Args;

use super::output::print_line;
use crate::store::{Store, StoreError};

/// Exit status when the store is PostgreSQL (nothing was copied).
pub const EXIT_USE_PG_DUMP: i32 = 2;

/// `backup` options.
#[derive(Args)]
pub struct BackupArgs {
    /// The file to write the copy to.
    #[arg(long)]
    pub to: PathBuf,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

const PG_DUMP_ADVICE: &str = "this store is PostgreSQL: back it up with pg_dump, e.g. \
    `pg_dump --format=custom --file leadpost.dump \"$DATABASE_URL\"` \
    (restore with pg_restore; see docs/data.md)";

/// Run `backup`.
pub async fn run(store: &dyn Store, args: BackupArgs) -> anyhow::Result<()> {
    if store.backend() != "sqlite" {
        print_line(PG_DUMP_ADVICE);
        std::process::exit(EXIT_USE_PG_DUMP);
    }
    if args.to.exists() {
        if !args.force {
            anyhow::bail!(
                "{} exists already; use --force to replace it",
                args.to.display()
            );
        }
        std::fs::remove_file(&args.to)?;
    }
    let path = args
        .to
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("the backup path must be valid UTF-8"))?;
    match store.backup_into(path).await {
        Ok(()) => {
            print_line(&format!("backup written to {path}"));
            Ok(())
        }
        Err(StoreError::Unsupported(why)) => {
            print_line(why);
            std::process::exit(EXIT_USE_PG_DUMP);
        }
        Err(e) => Err(e.into()),
    }
}
