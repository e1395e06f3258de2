//! The console's inbox of leads: the filters as a person types them (search, tag, lead source,
//! date range), a page of the account's clients newest first, and when the person last looked
//! (to mark what is new since).

use serde::Deserialize;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::input::{Problems, parse_moment, present};
use super::page::{PageParams, fetch};
use super::{ServiceError, accounts};
use crate::fields::FieldProblem;
use crate::store::{Client, ClientFilter, Store};

/// Leads per inbox page.
pub const INBOX_PAGE: i64 = 50;

/// The inbox's filters and page, as given in the query string.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct InboxQuery {
    /// Text anywhere in the name, email or phone numbers, any case.
    pub q: Option<String>,
    /// A tag, any case.
    pub tag: Option<String>,
    /// A lead source's id.
    pub source: Option<String>,
    /// First day (`YYYY-MM-DD`, UTC) or moment (RFC 3339), included.
    pub from: Option<String>,
    /// Last day (`YYYY-MM-DD`, UTC, the whole day included) or moment (RFC 3339), excluded.
    pub to: Option<String>,
    /// The cursor of the page to show.
    pub after: Option<String>,
}

impl InboxQuery {
    /// The store's filter; each invalid value names its field.
    pub fn filter(&self) -> Result<ClientFilter, ServiceError> {
        let mut problems = Problems::default();
        let moment = |field: &str, raw: &str| {
            parse_moment(raw).ok_or_else(|| {
                FieldProblem::new(field, "must be a YYYY-MM-DD date or an RFC 3339 time")
            })
        };
        let from = present(&self.from).and_then(|s| problems.check(moment("from", s)));
        let to = present(&self.to).and_then(|s| {
            let end = problems.check(moment("to", s))?;
            // A bare date means the whole day.
            Some(if s.len() == 10 {
                end + Duration::days(1)
            } else {
                end
            })
        });
        let source = present(&self.source).and_then(|s| {
            problems.check(
                Uuid::parse_str(s)
                    .map_err(|_| FieldProblem::new("source", "must be a lead source id")),
            )
        });
        problems.finish()?;
        Ok(ClientFilter {
            search: present(&self.q).map(str::to_string),
            tag: present(&self.tag).map(str::to_string),
            lead_source_id: source,
            // The store's bound is strict; a start is included.
            created_after: from.map(|f| f - Duration::microseconds(1)),
            created_before: to,
            ..ClientFilter::default()
        })
    }
}

/// A page of the inbox.
#[derive(Debug)]
pub struct Inbox {
    pub clients: Vec<Client>,
    /// The cursor of the next page, if there is one.
    pub next: Option<String>,
    /// When the person opened this inbox before now (leads created since are new to them).
    pub last_visit: Option<OffsetDateTime>,
}

/// The page of the account's leads `query` asks for, as `user_id` sees it at `now` (which is
/// remembered as their last visit).
pub async fn inbox(
    store: &dyn Store,
    user_id: Uuid,
    account_id: Uuid,
    query: &InboxQuery,
    now: OffsetDateTime,
) -> Result<Inbox, ServiceError> {
    let filter = query.filter()?;
    let page = PageParams::new(Some(INBOX_PAGE.to_string()), query.after.clone()).page()?;
    accounts::get(store, account_id).await?;
    let (clients, next) = fetch(
        page,
        |p| store.list_clients(account_id, &filter, p),
        |c| c.id,
    )
    .await?;
    let last_visit = store.last_inbox_visit(user_id, account_id).await?;
    store.record_inbox_visit(user_id, account_id, now).await?;
    Ok(Inbox {
        clients,
        next,
        last_visit,
    })
}
