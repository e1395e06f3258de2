//! What every command group shares: the `--limit`/`--after` options of lists,
//! printing the API's JSON shapes, the next-page hint, and how a service error
//! reads on the terminal.

use clap::Args;
use serde::Serialize;
use uuid::Uuid;

use crate::service::ServiceError;
use crate::service::page::PageParams;

/// `--limit` and `--after` of every list.
#[derive(Args, Clone, Default)]
pub struct PageArgs {
    /// Rows per page, 1 to 500 (default 50).
    #[arg(long)]
    pub limit: Option<u32>,
    /// The `next` cursor printed under the previous page.
    #[arg(long)]
    pub after: Option<String>,
}

impl PageArgs {
    /// The page as the service takes it.
    pub fn params(&self) -> PageParams {
        PageParams::new(self.limit(), self.after.clone())
    }

    /// `--limit` as the service reads it.
    pub fn limit(&self) -> Option<String> {
        self.limit.map(|l| l.to_string())
    }
}

/// A service error as the CLI reports it; `id` names the object asked for.
pub fn fail(error: ServiceError, id: Option<Uuid>) -> anyhow::Error {
    match (error, id) {
        (ServiceError::NotFound(what), Some(id)) => anyhow::anyhow!("no {what} with id {id}"),
        (ServiceError::Invalid(problems), _) => anyhow::anyhow!(
            "invalid input: {}",
            problems
                .iter()
                .map(|p| format!("{} {}", p.field.replace('_', "-"), p.reason))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        (other, _) => anyhow::anyhow!("{other}"),
    }
}

/// Print a value as the admin API's pretty JSON.
pub fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// The hint under a page that has a next one.
pub fn print_next(next: &Option<String>) {
    if let Some(next) = next {
        println!("next page: --after {next}");
    }
}

/// One line of plain text.
pub fn print_line(text: &str) {
    println!("{text}");
}
