//! Clients as stored: the insert of a new client, and the reads of clients with
//! their tags, custom values and notes; the account's notifications and custom
//! field names.

use std::collections::HashMap;
use std::sync::LazyLock;

use uuid::Uuid;

use super::records::into_all;
use super::records::{ClientRow, CustomValueRow, NoteRow, NotificationRow, TagRow, TextRow};
use super::sql::{Backend, Bind, Conn, IdList, Query, SqlStore, fetch_optional, sql, sql_built};
use super::types::{DbId, DbTime};
use super::{Client, ClientFilter, LeadToStore, Note, Notification, Page, StoreError};
use crate::clients::FieldValue;
use crate::clients::catalog::{self, SqlType};

/// Clients, notifications and custom field names of an account.
#[async_trait::async_trait]
pub trait ClientStore: Send + Sync {
    /// One client with its tags, custom values and notes.
    async fn get_client(&self, id: Uuid) -> Result<Client, StoreError>;
    /// The account's clients, newest first.
    async fn list_clients(
        &self,
        account_id: Uuid,
        filter: &ClientFilter,
        page: Page,
    ) -> Result<Vec<Client>, StoreError>;
    /// The names of the account's custom fields, oldest first.
    async fn list_custom_field_names(&self, account_id: Uuid) -> Result<Vec<String>, StoreError>;
    /// The account's in-app notifications, newest first.
    async fn list_notifications(
        &self,
        account_id: Uuid,
        page: Page,
    ) -> Result<Vec<Notification>, StoreError>;
    /// Mark an in-app notification read or unread.
    async fn set_notification_read(
        &self,
        account_id: Uuid,
        id: Uuid,
        read: bool,
    ) -> Result<Notification, StoreError>;
}

/// The columns of a client that are not catalog fields (`submission_id` and
/// `email_key` are stored but not read back).
const FIXED_COLUMNS: [&str; 6] = [
    "id",
    "account_id",
    "lead_source_id",
    "submission_id",
    "email_key",
    "created_at",
];

/// Every column of a client, in the order [`insert_client`] binds them: the
/// fixed ones, then one per stored catalog field.
static CLIENT_COLUMNS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    FIXED_COLUMNS
        .into_iter()
        .chain(catalog::stored().map(|(_, _, column)| column))
        .collect()
});

/// `INSERT INTO clients (...) VALUES ($1, ...)`, keeping the first client of an email.
pub(super) static INSERT_CLIENT: LazyLock<String> = LazyLock::new(|| {
    let placeholders: Vec<String> = (1..=CLIENT_COLUMNS.len())
        .map(|n| format!("${n}"))
        .collect();
    format!(
        "INSERT INTO clients ({}) VALUES ({}) ON CONFLICT (account_id, email_key) DO NOTHING \
         RETURNING id",
        CLIENT_COLUMNS.join(", "),
        placeholders.join(", ")
    )
});

/// `SELECT` of the client columns, for the statements below to complete.
static SELECT_CLIENTS: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {} FROM clients", CLIENT_COLUMNS.join(", ")));

static LIST_CLIENTS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} WHERE account_id = $1 AND ($2 IS NULL OR email_key = $2) \
         AND ($3 IS NULL OR EXISTS (SELECT 1 FROM client_tags ct JOIN tags t ON t.id = ct.tag_id \
         WHERE ct.client_id = clients.id AND t.name_key = $3)) \
         AND ($4 IS NULL OR created_at > $4) AND id < $5 \
         AND ($7 IS NULL OR LOWER(first_name || ' ' || COALESCE(last_name, '')) LIKE $7 ESCAPE '\\' \
         OR email_key LIKE $7 ESCAPE '\\' OR LOWER(COALESCE(phone, '')) LIKE $7 ESCAPE '\\' \
         OR LOWER(COALESCE(second_phone, '')) LIKE $7 ESCAPE '\\' \
         OR ($10 IS NOT NULL AND (phone LIKE $10 OR second_phone LIKE $10))) \
         AND ($8 IS NULL OR lead_source_id = $8) AND ($9 IS NULL OR created_at < $9) \
         ORDER BY id DESC LIMIT $6",
        *SELECT_CLIENTS
    )
});

/// One column of a new client's row, as [`insert_client`] binds it or the one-statement lead
/// writes it into JSON.
pub(super) enum ClientValue {
    Id(Option<Uuid>),
    Time(DbTime),
    Text(Option<String>),
    BigInt(Option<i64>),
    SmallInt(Option<i16>),
    Date(Option<time::Date>),
}

/// The values of the lead's new client `id`, in [`CLIENT_COLUMNS`] order.
pub(super) fn client_values(id: Uuid, lead: &LeadToStore, now: DbTime) -> Vec<ClientValue> {
    let c = &lead.client;
    let mut values = vec![
        ClientValue::Id(Some(id)),
        ClientValue::Id(Some(lead.owner.account_id)),
        ClientValue::Id(lead.owner.lead_source.as_ref().map(|s| s.id)),
        ClientValue::Id(Some(lead.submission.id)),
        ClientValue::Text(c.email_key()),
        ClientValue::Time(now),
    ];
    for (index, field, _) in catalog::stored() {
        let value = c.fields.at(index);
        let int = || match value {
            Some(FieldValue::Int(n)) => Some(*n),
            _ => None,
        };
        values.push(match field.kind.sql_type() {
            SqlType::Text => ClientValue::Text(match value {
                Some(FieldValue::Text(s)) => Some(s.clone()),
                _ => None,
            }),
            SqlType::BigInt => ClientValue::BigInt(int()),
            SqlType::SmallInt => ClientValue::SmallInt(int().and_then(|n| i16::try_from(n).ok())),
            SqlType::Date => ClientValue::Date(match value {
                Some(FieldValue::Date(d)) => Some(*d),
                _ => None,
            }),
        });
    }
    values
}

/// The lead's new client `id` as `(column, value)` pairs, every column of [`CLIENT_COLUMNS`].
pub(super) fn client_row(
    id: Uuid,
    lead: &LeadToStore,
    now: DbTime,
) -> impl Iterator<Item = (&'static str, ClientValue)> {
    CLIENT_COLUMNS
        .iter()
        .copied()
        .zip(client_values(id, lead, now))
}

/// Insert the lead's client; false when the account already has its email.
pub(super) async fn insert_client<DB: Backend>(
    tx: &mut Conn<DB>,
    id: Uuid,
    lead: &LeadToStore,
    now: DbTime,
) -> Result<bool, StoreError> {
    let mut query: Query<DB> = sql_built(&INSERT_CLIENT);
    for value in client_values(id, lead, now) {
        query = match value {
            ClientValue::Id(id) => query.param(id.map(DbId)),
            ClientValue::Time(t) => query.param(t),
            ClientValue::Text(text) => query.param(text),
            ClientValue::BigInt(n) => query.param(n),
            ClientValue::SmallInt(n) => query.param(n),
            ClientValue::Date(d) => query.param(d),
        };
    }
    let inserted: Option<super::records::IdRow> = fetch_optional(query, DB::on_conn(tx)).await?;
    Ok(inserted.is_some())
}

/// A `LIKE` pattern finding `text` anywhere, in lower case (`%`, `_` and `\\` taken literally).
fn like_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// For a search that looks like a phone number (digits with spaces, dashes, dots, brackets or a
/// `+`), a pattern finding its digits anywhere in a stored phone number.
fn digits_pattern(text: &str) -> Option<String> {
    let text = text.trim();
    let phone_like = text
        .chars()
        .all(|c| c.is_ascii_digit() || " -.()+".contains(c));
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    (phone_like && digits.len() >= 3).then(|| format!("%{digits}%"))
}

/// Where each client of a page sits in it, by id.
fn positions(clients: &[Client]) -> HashMap<Uuid, usize> {
    clients.iter().enumerate().map(|(i, c)| (c.id, i)).collect()
}

/// A client's tags, by name, in order (completed by a `WHERE`).
const TAG_ROWS: &str =
    "SELECT ct.client_id, t.name FROM client_tags ct JOIN tags t ON t.id = ct.tag_id";
/// A client's custom values with their fields' names (completed by a `WHERE`).
const CUSTOM_ROWS: &str = "SELECT v.client_id, f.name, v.value FROM client_custom_values v \
    JOIN custom_fields f ON f.id = v.field_id";
/// A client's notes (completed by a `WHERE`).
const NOTE_ROWS: &str = "SELECT n.client_id, n.body, n.created_at FROM notes n";

/// The details of a page of an account's clients, by id range: `$1`–`$3` account,
/// lowest and highest id.
static TAGS_IN_RANGE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{TAG_ROWS} JOIN clients c ON c.id = ct.client_id WHERE c.account_id = $1 \
         AND c.id >= $2 AND c.id <= $3 ORDER BY ct.client_id, ct.position"
    )
});
static CUSTOM_IN_RANGE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{CUSTOM_ROWS} JOIN clients c ON c.id = v.client_id WHERE c.account_id = $1 \
         AND c.id >= $2 AND c.id <= $3"
    )
});
static NOTES_IN_RANGE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{NOTE_ROWS} JOIN clients c ON c.id = n.client_id WHERE c.account_id = $1 \
         AND c.id >= $2 AND c.id <= $3 ORDER BY n.client_id, n.id"
    )
});

impl<DB: Backend> SqlStore<DB> {
    /// Tags, custom values and notes of a page of the account's clients, read by
    /// id range (three queries for the page, not three per client).
    async fn fill_client_details(
        &self,
        account_id: Uuid,
        clients: &mut [Client],
    ) -> Result<(), StoreError> {
        let (Some(low), Some(high)) = (
            clients.iter().map(|c| c.id).min(),
            clients.iter().map(|c| c.id).max(),
        ) else {
            return Ok(());
        };
        let range = |text: &str| {
            sql_built::<DB>(text)
                .param(DbId(account_id))
                .param(DbId(low))
                .param(DbId(high))
        };
        // The three reads are independent: run together, on connections of the read pool.
        let details = futures::try_join!(
            self.read_all(range(&TAGS_IN_RANGE)),
            self.read_all(range(&CUSTOM_IN_RANGE)),
            self.read_all(range(&NOTES_IN_RANGE)),
        )?;
        attach_details(clients, details);
        Ok(())
    }

    /// The clients with these ids (of any accounts; those that exist), with their
    /// details: four queries for the lot.
    pub(super) async fn clients_by_ids(&self, ids: &[Uuid]) -> Result<Vec<Client>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = IdList::new(ids);
        // The clients and their details at once: each read needs only the ids.
        let (rows, tags, custom, notes): (Vec<ClientRow>, _, _, _) = futures::try_join!(
            self.read_all(ids.query(|list| format!("{} WHERE id IN ({list})", *SELECT_CLIENTS))),
            self.read_all(ids.query(|list| format!(
                "{TAG_ROWS} WHERE ct.client_id IN ({list}) ORDER BY ct.client_id, ct.position"
            ))),
            self.read_all(ids.query(|list| format!("{CUSTOM_ROWS} WHERE v.client_id IN ({list})"))),
            self.read_all(ids.query(|list| format!(
                "{NOTE_ROWS} WHERE n.client_id IN ({list}) ORDER BY n.client_id, n.id"
            ))),
        )?;
        let mut clients = into_all::<ClientRow, Client>(rows);
        attach_details(&mut clients, (tags, custom, notes));
        Ok(clients)
    }
}

/// Put each detail row on its client (rows of other clients are left out).
fn attach_details(
    clients: &mut [Client],
    (tags, custom, notes): (Vec<TagRow>, Vec<CustomValueRow>, Vec<NoteRow>),
) {
    let index = positions(clients);
    for tag in tags {
        if let Some(&i) = index.get(&tag.client_id.0) {
            clients[i].tags.push(tag.name);
        }
    }
    for value in custom {
        if let Some(&i) = index.get(&value.client_id.0) {
            clients[i].custom_fields.insert(value.name, value.value);
        }
    }
    for note in notes {
        if let Some(&i) = index.get(&note.client_id.0) {
            clients[i].notes.push(Note::from(note));
        }
    }
}

#[async_trait::async_trait]
impl<DB: Backend> ClientStore for SqlStore<DB> {
    async fn get_client(&self, id: Uuid) -> Result<Client, StoreError> {
        self.clients_by_ids(&[id])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    async fn list_clients(
        &self,
        account_id: Uuid,
        filter: &ClientFilter,
        page: Page,
    ) -> Result<Vec<Client>, StoreError> {
        let query = sql_built(&LIST_CLIENTS)
            .param(DbId(account_id))
            .param(filter.email.as_ref().map(|e| e.trim().to_lowercase()))
            .param(filter.tag.as_ref().map(|t| t.trim().to_lowercase()))
            .param(filter.created_after.map(DbTime::from))
            .param(DbId(page.upper_bound()))
            .param(page.limit)
            .param(filter.search.as_deref().map(like_pattern))
            .param(filter.lead_source_id.map(DbId))
            .param(filter.created_before.map(DbTime::from))
            .param(filter.search.as_deref().and_then(digits_pattern));
        let mut clients = into_all::<ClientRow, Client>(self.read_all(query).await?);
        self.fill_client_details(account_id, &mut clients).await?;
        Ok(clients)
    }

    async fn list_custom_field_names(&self, account_id: Uuid) -> Result<Vec<String>, StoreError> {
        let query = sql(
            "SELECT name AS text FROM custom_fields WHERE account_id = $1 ORDER BY created_at, id",
        )
        .param(DbId(account_id));
        let rows: Vec<TextRow> = self.read_all(query).await?;
        Ok(rows.into_iter().map(|r| r.text).collect())
    }

    async fn list_notifications(
        &self,
        account_id: Uuid,
        page: Page,
    ) -> Result<Vec<Notification>, StoreError> {
        let query = sql(
            "SELECT id, kind, client_id, message, read, created_at FROM notifications \
             WHERE account_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
        )
        .param(DbId(account_id))
        .param(DbId(page.upper_bound()))
        .param(page.limit);
        Ok(into_all::<NotificationRow, _>(self.read_all(query).await?))
    }

    async fn set_notification_read(
        &self,
        account_id: Uuid,
        id: Uuid,
        read: bool,
    ) -> Result<Notification, StoreError> {
        let query = sql(
            "UPDATE notifications SET read = $3 WHERE id = $1 AND account_id = $2 \
             RETURNING id, kind, client_id, message, read, created_at",
        )
        .param(DbId(id))
        .param(DbId(account_id))
        .param(i16::from(read));
        let row: Option<NotificationRow> = fetch_optional(query, DB::on_pool(&self.writer)).await?;
        Ok(row.ok_or(StoreError::NotFound)?.into())
    }
}
