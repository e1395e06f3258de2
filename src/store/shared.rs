//! The [`Store`](super::Store) implementation shared by both backends. The SQL is
//! written once in the dialect PostgreSQL and SQLite share (`$N` parameters,
//! `ON CONFLICT`, `RETURNING`); the column types that differ go through
//! [`DbId`](super::types::DbId) and [`DbTime`](super::types::DbTime). Each backend
//! instantiates [`impl_store!`] and supplies `pool`, `begin_write` and
//! `run_migrations` itself, so the two can never drift.

use sqlx::error::ErrorKind;

use super::StoreError;

/// Map a unique violation to [`StoreError::Conflict`], anything else to a database error.
pub(super) fn conflict_or(err: sqlx::Error, what: &'static str) -> StoreError {
    match err.as_database_error().map(|e| e.kind()) {
        Some(ErrorKind::UniqueViolation) => StoreError::Conflict(what),
        _ => StoreError::Database(err),
    }
}

/// The stored spelling of a 1/0 flag.
pub(super) fn flag(f: &Option<crate::fields::Flag>) -> Option<i16> {
    f.as_ref().map(|f| if f.as_i64() == 1 { 1 } else { 0 })
}

/// `msg_` + a fresh id: the `webhook-id` a job keeps across retries.
pub(super) fn message_id() -> String {
    format!("msg_{}", super::new_id().simple())
}

/// One row per key owner and minute for posts refused by the per-key rate limit;
/// each further one adds to its count. `$1`–`$6`: id, account, lead source, fields,
/// time, summary key.
pub(super) const RECORD_RATE_LIMITED: &str = "INSERT INTO submissions (id, account_id, \
     lead_source_id, outcome, error_code, message, fields, created_at, summary_key) \
     VALUES ($1, $2, $3, 'rejected', 'ct106', 'Too many requests: 1 post refused in this minute', \
     $4, $5, $6) \
     ON CONFLICT (summary_key) DO UPDATE SET repeats = submissions.repeats + 1, \
     message = 'Too many requests: ' || (submissions.repeats + 1) || ' posts refused in this minute'";

macro_rules! impl_store {
    ($store:ident, $backend:literal) => {
        use sqlx::Row as _;
        use $crate::store::shared::{RECORD_RATE_LIMITED, conflict_or, flag, message_id};
        use $crate::store::types::{DbId, DbTime};
        use $crate::store::*;

        impl $store {
            async fn insert_web_key(
                tx: &mut sqlx::Transaction<'static, DbKind>,
                key: &str,
                account_id: uuid::Uuid,
                lead_source_id: Option<uuid::Uuid>,
                now: DbTime,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO web_keys (key, account_id, lead_source_id, expires_at, created_at) \
                     VALUES ($1, $2, $3, NULL, $4)",
                )
                .bind(key)
                .bind(DbId(account_id))
                .bind(lead_source_id.map(DbId))
                .bind(now)
                .execute(&mut **tx)
                .await
                .map_err(|e| conflict_or(e, "web_key"))?;
                Ok(())
            }

            async fn current_key(
                &self,
                account_id: uuid::Uuid,
                lead_source_id: Option<uuid::Uuid>,
            ) -> Result<String, StoreError> {
                let row = sqlx::query(
                    "SELECT key FROM web_keys WHERE account_id = $1 \
                     AND lead_source_id IS NOT DISTINCT FROM $2 AND expires_at IS NULL \
                     ORDER BY created_at DESC LIMIT 1",
                )
                .bind(DbId(account_id))
                .bind(lead_source_id.map(DbId))
                .fetch_optional(&self.pool)
                .await?;
                match row {
                    Some(row) => Ok(row.try_get("key")?),
                    None => Err(StoreError::NotFound),
                }
            }

            /// Find a tag or custom field by its key, creating it when missing.
            async fn find_or_create(
                tx: &mut sqlx::Transaction<'static, DbKind>,
                select: &'static str,
                insert: &'static str,
                account_id: uuid::Uuid,
                name: &str,
                key: &str,
                now: DbTime,
            ) -> Result<DbId, StoreError> {
                let found = sqlx::query(select)
                    .bind(DbId(account_id))
                    .bind(key)
                    .fetch_optional(&mut **tx)
                    .await?;
                if let Some(row) = found {
                    return Ok(row.try_get("id")?);
                }
                let inserted = sqlx::query(insert)
                    .bind(DbId(new_id()))
                    .bind(DbId(account_id))
                    .bind(name)
                    .bind(key)
                    .bind(now)
                    .fetch_optional(&mut **tx)
                    .await?;
                let row = match inserted {
                    Some(row) => row,
                    // Created by a concurrent post since our look-up.
                    None => {
                        sqlx::query(select)
                            .bind(DbId(account_id))
                            .bind(key)
                            .fetch_one(&mut **tx)
                            .await?
                    }
                };
                Ok(row.try_get("id")?)
            }

            #[allow(clippy::too_many_arguments)]
            async fn insert_job(
                tx: &mut sqlx::Transaction<'static, DbKind>,
                account_id: uuid::Uuid,
                client_id: uuid::Uuid,
                kind: &str,
                webhook_id: Option<uuid::Uuid>,
                state: &str,
                due_at: DbTime,
                last_error: Option<&str>,
                now: DbTime,
                request_id: Option<&str>,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO jobs (id, account_id, client_id, kind, webhook_id, state, due_at, \
                     attempts, message_id, last_error, created_at, updated_at, request_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10, $10, $11)",
                )
                .bind(DbId(new_id()))
                .bind(DbId(account_id))
                .bind(DbId(client_id))
                .bind(kind)
                .bind(webhook_id.map(DbId))
                .bind(state)
                .bind(due_at)
                .bind(message_id())
                .bind(last_error)
                .bind(now)
                .bind(request_id)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            async fn insert_notification(
                tx: &mut sqlx::Transaction<'static, DbKind>,
                account_id: uuid::Uuid,
                kind: &str,
                client_id: uuid::Uuid,
                message: &str,
                now: DbTime,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO notifications (id, account_id, kind, client_id, message, read, created_at) \
                     VALUES ($1, $2, $3, $4, $5, 0, $6)",
                )
                .bind(DbId(new_id()))
                .bind(DbId(account_id))
                .bind(kind)
                .bind(DbId(client_id))
                .bind(message)
                .bind(now)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            async fn insert_submission(
                tx: &mut sqlx::Transaction<'static, DbKind>,
                s: &Submission,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO submissions (id, account_id, lead_source_id, client_id, outcome, \
                     error_code, message, replay_of, fields, remote_ip, user_agent, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(DbId(s.id))
                .bind(s.account_id.map(DbId))
                .bind(s.lead_source_id.map(DbId))
                .bind(s.client_id.map(DbId))
                .bind(s.outcome.as_str())
                .bind(s.error_code.as_deref())
                .bind(s.message.as_deref())
                .bind(s.replay_of.map(DbId))
                .bind(sqlx::types::Json(&s.fields))
                .bind(s.remote_ip.as_deref())
                .bind(s.user_agent.as_deref())
                .bind(DbTime::from(s.created_at))
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            async fn insert_client(
                tx: &mut sqlx::Transaction<'static, DbKind>,
                id: uuid::Uuid,
                lead: &LeadToStore,
                now: DbTime,
            ) -> Result<bool, StoreError> {
                let c = &lead.client;
                let text = |t: &Option<$crate::fields::Text>| t.as_ref().map(|t| t.as_str().to_string());
                let num = |n: &Option<$crate::fields::WholeNumber>| n.as_ref().map(|n| n.value());
                let date = |d: &Option<$crate::fields::YmdDate>| d.as_ref().map(|d| d.date());
                let row = sqlx::query(
                    "INSERT INTO clients (id, account_id, lead_source_id, submission_id, first_name, \
                     last_name, phone, second_phone, smsok, email, email_key, address, city, state, zip, \
                     comp_name, job_title, deal_size, deal_closed, age, education, gender, high_net_worth, \
                     home_owner_status, household_income, length_of_residence, market_value, \
                     material_status, occupation, presence_of_children, presence_of_pets, anniversary_1, \
                     anniversary_2, facebook, linkedin, twitter, client_category, whiteboard, \
                     clients_date_last, clients_date_next, new_lead_notification, contact_type, \
                     assigned_user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
                     $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, \
                     $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38, $39, $40, $41, $42, \
                     $43, $44) ON CONFLICT (account_id, email_key) DO NOTHING RETURNING id",
                )
                .bind(DbId(id))
                .bind(DbId(lead.owner.account_id))
                .bind(lead.owner.lead_source.as_ref().map(|s| DbId(s.id)))
                .bind(DbId(lead.submission.id))
                .bind(c.first_name.as_str())
                .bind(text(&c.last_name))
                .bind(c.phone.as_ref().map(|p| p.as_str()))
                .bind(c.second_phone.as_ref().map(|p| p.as_str()))
                .bind(flag(&c.smsok).unwrap_or(1))
                .bind(c.email.as_ref().map(|e| e.as_str()))
                .bind(c.email.as_ref().map(|e| e.lowercase()))
                .bind(text(&c.address))
                .bind(text(&c.city))
                .bind(c.state.as_ref().map(|s| s.as_str()))
                .bind(c.zip.as_ref().map(|z| z.as_str()))
                .bind(text(&c.comp_name))
                .bind(text(&c.job_title))
                .bind(num(&c.deal_size))
                .bind(flag(&c.deal_closed))
                .bind(num(&c.age))
                .bind(text(&c.education))
                .bind(c.gender.as_ref().map(|g| g.as_str()))
                .bind(num(&c.high_net_worth))
                .bind(c.home_owner_status.as_ref().map(|h| h.as_str()))
                .bind(num(&c.household_income))
                .bind(num(&c.length_of_residence))
                .bind(num(&c.market_value))
                .bind(c.material_status.as_ref().map(|m| m.as_str()))
                .bind(text(&c.occupation))
                .bind(flag(&c.presence_of_children))
                .bind(flag(&c.presence_of_pets))
                .bind(date(&c.anniversary_1))
                .bind(date(&c.anniversary_2))
                .bind(c.facebook.as_ref().map(|p| p.as_str()))
                .bind(c.linkedin.as_ref().map(|p| p.as_str()))
                .bind(text(&c.twitter))
                .bind(text(&c.client_category))
                .bind(text(&c.whiteboard))
                .bind(date(&c.clients_date_last))
                .bind(date(&c.clients_date_next))
                .bind(c.new_lead_notification.level() as i16)
                .bind(c.contact_type.number() as i16)
                .bind(text(&c.assigned_user_id))
                .bind(now)
                .fetch_optional(&mut **tx)
                .await?;
                Ok(row.is_some())
            }

            /// Everything that follows from a new client: tags, custom values, note,
            /// action-plan jobs, notifications.
            async fn insert_client_details(
                tx: &mut sqlx::Transaction<'static, DbKind>,
                client_id: uuid::Uuid,
                lead: &LeadToStore,
                now: DbTime,
            ) -> Result<(), StoreError> {
                let c = &lead.client;
                let account_id = lead.owner.account_id;
                // Each link is one statement when the tag or field exists (the common
                // case); a new one is created first, then linked the same way.
                for (position, tag) in c.tags.as_slice().iter().enumerate() {
                    let key = tag.to_lowercase();
                    let link = || {
                        sqlx::query(
                            "INSERT INTO client_tags (client_id, tag_id, position) \
                             SELECT $1, id, $3 FROM tags WHERE account_id = $2 AND name_key = $4",
                        )
                        .bind(DbId(client_id))
                        .bind(DbId(account_id))
                        .bind(position as i32)
                        .bind(key.clone())
                    };
                    if link().execute(&mut **tx).await?.rows_affected() == 0 {
                        Self::find_or_create(
                            tx,
                            "SELECT id FROM tags WHERE account_id = $1 AND name_key = $2",
                            "INSERT INTO tags (id, account_id, name, name_key, created_at) \
                             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, name_key) DO NOTHING \
                             RETURNING id",
                            account_id,
                            tag,
                            &key,
                            now,
                        )
                        .await?;
                        link().execute(&mut **tx).await?;
                    }
                }
                for (name, value) in &c.custom {
                    let link = || {
                        sqlx::query(
                            "INSERT INTO client_custom_values (client_id, field_id, value) \
                             SELECT $1, id, $3 FROM custom_fields WHERE account_id = $2 AND name = $4",
                        )
                        .bind(DbId(client_id))
                        .bind(DbId(account_id))
                        .bind(value.clone())
                        .bind(name.clone())
                    };
                    if link().execute(&mut **tx).await?.rows_affected() == 0 {
                        Self::find_or_create(
                            tx,
                            "SELECT id FROM custom_fields WHERE account_id = $1 AND name = $2",
                            "INSERT INTO custom_fields (id, account_id, name, created_at) \
                             VALUES ($1, $2, $3, $5) ON CONFLICT (account_id, name) DO NOTHING RETURNING id",
                            account_id,
                            name,
                            name,
                            now,
                        )
                        .await?;
                        link().execute(&mut **tx).await?;
                    }
                }
                if let Some(note) = &c.notes {
                    sqlx::query(
                        "INSERT INTO notes (id, client_id, body, created_at) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(DbId(new_id()))
                    .bind(DbId(client_id))
                    .bind(note.as_str())
                    .bind(now)
                    .execute(&mut **tx)
                    .await?;
                }
                if let Some(plan_id) = lead.owner.action_plan_id {
                    let steps = sqlx::query(
                        "SELECT webhook_id, delay_seconds FROM action_plan_steps \
                         WHERE action_plan_id = $1 ORDER BY position",
                    )
                    .bind(DbId(plan_id))
                    .fetch_all(&mut **tx)
                    .await?;
                    for step in steps {
                        let webhook_id: DbId = step.try_get("webhook_id")?;
                        let delay: i64 = step.try_get("delay_seconds")?;
                        let due = DbTime::from(now.0 + time::Duration::seconds(delay));
                        Self::insert_job(
                            tx, account_id, client_id, "webhook", Some(webhook_id.0), "queued", due,
                            None, now, lead.request_id.as_deref(),
                        )
                        .await?;
                    }
                }
                let level = c.new_lead_notification;
                if level.in_app() {
                    let source = lead
                        .owner
                        .lead_source
                        .as_ref()
                        .map(|s| s.name.as_str())
                        .unwrap_or("web form");
                    let message = format!("New lead: {} ({source})", c.display_name());
                    Self::insert_notification(tx, account_id, "new_lead", client_id, &message, now)
                        .await?;
                }
                if level.email_and_text() {
                    let (email_state, email_reason) = match lead.owner.owner_email {
                        Some(_) => ("queued", None),
                        None => ("skipped", Some("the account has no owner email")),
                    };
                    Self::insert_job(
                        tx, account_id, client_id, "email", None, email_state, now, email_reason, now,
                        lead.request_id.as_deref(),
                    )
                    .await?;
                    let (sms_state, sms_reason) = match lead.owner.owner_phone {
                        Some(_) => ("queued", None),
                        None => ("skipped", Some("the account has no owner phone")),
                    };
                    Self::insert_job(
                        tx, account_id, client_id, "sms", None, sms_state, now, sms_reason, now,
                        lead.request_id.as_deref(),
                    )
                    .await?;
                }
                Ok(())
            }

            /// A refused duplicate: the Duplicate Record notification and the log row.
            async fn record_duplicate(&self, lead: &LeadToStore) -> Result<AcceptOutcome, StoreError> {
                let now = DbTime::now();
                let email_key = lead.client.email.as_ref().map(|e| e.lowercase());
                let mut tx = self.begin_write().await?;
                let existing = sqlx::query(
                    "SELECT id FROM clients WHERE account_id = $1 AND email_key = $2",
                )
                .bind(DbId(lead.owner.account_id))
                .bind(email_key)
                .fetch_one(&mut *tx)
                .await?;
                let existing: DbId = existing.try_get("id")?;
                let email = lead.client.email.as_ref().map(|e| e.as_str()).unwrap_or_default();
                let message = format!(
                    "Duplicate Record: {} posted the email {email} of an existing client",
                    lead.client.display_name()
                );
                Self::insert_notification(&mut tx, lead.owner.account_id, "duplicate", existing.0, &message, now)
                    .await?;
                let mut submission = lead.submission.clone();
                submission.outcome = Outcome::Rejected;
                submission.error_code = Some("ct103".into());
                submission.message = Some("Duplicate Client creation attempted".into());
                Self::insert_submission(&mut tx, &submission).await?;
                tx.commit().await?;
                Ok(AcceptOutcome::DuplicateEmail { existing_client_id: existing.0 })
            }

            /// Tags, custom values and notes of a page of clients, read by id range
            /// (three queries for the page, not three per client).
            async fn fill_client_details(
                &self,
                account_id: uuid::Uuid,
                clients: &mut [Client],
            ) -> Result<(), StoreError> {
                let (Some(low), Some(high)) = (
                    clients.iter().map(|c| c.id).min(),
                    clients.iter().map(|c| c.id).max(),
                ) else {
                    return Ok(());
                };
                let index: std::collections::HashMap<uuid::Uuid, usize> =
                    clients.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
                let range = |sql: &'static str| {
                    sqlx::query(sql).bind(DbId(account_id)).bind(DbId(low)).bind(DbId(high))
                };
                let tags = range(
                    "SELECT ct.client_id, t.name FROM client_tags ct JOIN tags t ON t.id = ct.tag_id \
                     JOIN clients c ON c.id = ct.client_id \
                     WHERE c.account_id = $1 AND c.id >= $2 AND c.id <= $3 ORDER BY ct.client_id, ct.position",
                )
                .fetch_all(&self.pool)
                .await?;
                for row in tags {
                    if let Some(&i) = index.get(&row.try_get::<DbId, _>("client_id")?.0) {
                        clients[i].tags.push(row.try_get("name")?);
                    }
                }
                let custom = range(
                    "SELECT v.client_id, f.name, v.value FROM client_custom_values v \
                     JOIN custom_fields f ON f.id = v.field_id JOIN clients c ON c.id = v.client_id \
                     WHERE c.account_id = $1 AND c.id >= $2 AND c.id <= $3",
                )
                .fetch_all(&self.pool)
                .await?;
                for row in custom {
                    if let Some(&i) = index.get(&row.try_get::<DbId, _>("client_id")?.0) {
                        clients[i].custom_fields.insert(row.try_get("name")?, row.try_get("value")?);
                    }
                }
                let notes = range(
                    "SELECT n.client_id, n.body, n.created_at FROM notes n JOIN clients c ON c.id = n.client_id \
                     WHERE c.account_id = $1 AND c.id >= $2 AND c.id <= $3 ORDER BY n.client_id, n.id",
                )
                .fetch_all(&self.pool)
                .await?;
                for row in notes {
                    if let Some(&i) = index.get(&row.try_get::<DbId, _>("client_id")?.0) {
                        clients[i].notes.push(Note {
                            body: row.try_get("body")?,
                            created_at: row.try_get::<DbTime, _>("created_at")?.0,
                        });
                    }
                }
                Ok(())
            }

            fn client_from_row(row: &<DbKind as sqlx::Database>::Row) -> Result<Client, sqlx::Error> {
                let date = |name: &str| -> Result<Option<String>, sqlx::Error> {
                    let d: Option<time::Date> = row.try_get(name)?;
                    Ok(d.map(crate::store::types::ymd))
                };
                let small = |name: &str| -> Result<Option<i64>, sqlx::Error> {
                    Ok(row.try_get::<Option<i16>, _>(name)?.map(i64::from))
                };
                let facebook: Option<String> = row.try_get("facebook")?;
                let linkedin: Option<String> = row.try_get("linkedin")?;
                Ok(Client {
                    id: row.try_get::<DbId, _>("id")?.0,
                    account_id: row.try_get::<DbId, _>("account_id")?.0,
                    lead_source_id: row.try_get::<Option<DbId>, _>("lead_source_id")?.map(|d| d.0),
                    first_name: row.try_get("first_name")?,
                    last_name: row.try_get("last_name")?,
                    phone: row.try_get("phone")?,
                    second_phone: row.try_get("second_phone")?,
                    smsok: small("smsok")?.unwrap_or(1),
                    email: row.try_get("email")?,
                    address: row.try_get("address")?,
                    city: row.try_get("city")?,
                    state: row.try_get("state")?,
                    zip: row.try_get("zip")?,
                    comp_name: row.try_get("comp_name")?,
                    job_title: row.try_get("job_title")?,
                    deal_size: row.try_get("deal_size")?,
                    deal_closed: small("deal_closed")?,
                    age: row.try_get("age")?,
                    education: row.try_get("education")?,
                    gender: row.try_get("gender")?,
                    high_net_worth: row.try_get("high_net_worth")?,
                    home_owner_status: row.try_get("home_owner_status")?,
                    household_income: row.try_get("household_income")?,
                    length_of_residence: row.try_get("length_of_residence")?,
                    market_value: row.try_get("market_value")?,
                    material_status: row.try_get("material_status")?,
                    occupation: row.try_get("occupation")?,
                    presence_of_children: small("presence_of_children")?,
                    presence_of_pets: small("presence_of_pets")?,
                    anniversary_1: date("anniversary_1")?,
                    anniversary_2: date("anniversary_2")?,
                    facebook_url: facebook.as_deref().and_then(|id| crate::fields::ProfileId::parse(id).ok()).map(|p| p.facebook_url()),
                    facebook,
                    linkedin_url: linkedin.as_deref().and_then(|id| crate::fields::ProfileId::parse(id).ok()).map(|p| p.linkedin_url()),
                    linkedin,
                    twitter: row.try_get("twitter")?,
                    client_category: row.try_get("client_category")?,
                    whiteboard: row.try_get("whiteboard")?,
                    clients_date_last: date("clients_date_last")?,
                    clients_date_next: date("clients_date_next")?,
                    new_lead_notification: small("new_lead_notification")?.unwrap_or(0),
                    contact_type: small("contact_type")?.unwrap_or(1),
                    assigned_user_id: row.try_get("assigned_user_id")?,
                    tags: Vec::new(),
                    custom_fields: Default::default(),
                    notes: Vec::new(),
                    created_at: row.try_get::<DbTime, _>("created_at")?.0,
                })
            }

            fn submission_from_row(row: &<DbKind as sqlx::Database>::Row) -> Result<Submission, sqlx::Error> {
                let id = |name: &str| -> Result<Option<uuid::Uuid>, sqlx::Error> {
                    Ok(row.try_get::<Option<DbId>, _>(name)?.map(|d| d.0))
                };
                let fields: sqlx::types::Json<Vec<(String, String)>> = row.try_get("fields")?;
                Ok(Submission {
                    id: row.try_get::<DbId, _>("id")?.0,
                    account_id: id("account_id")?,
                    lead_source_id: id("lead_source_id")?,
                    client_id: id("client_id")?,
                    outcome: Outcome::from_stored(row.try_get("outcome")?),
                    error_code: row.try_get("error_code")?,
                    message: row.try_get("message")?,
                    replay_of: id("replay_of")?,
                    fields: fields.0,
                    remote_ip: row.try_get("remote_ip")?,
                    user_agent: row.try_get("user_agent")?,
                    created_at: row.try_get::<DbTime, _>("created_at")?.0,
                })
            }
        }

        #[async_trait::async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn migrate(&self) -> Result<(), StoreError> {
                self.run_migrations().await
            }

            async fn ping(&self) -> Result<(), StoreError> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn create_account(&self, new: &NewAccount) -> Result<Account, StoreError> {
                let id = new_id();
                let now = DbTime::now();
                let web_key = new.web_key.clone().unwrap_or_else(generate_web_key);
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO accounts (id, name, owner_email, owner_phone, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(DbId(id))
                .bind(&new.name)
                .bind(new.owner_email.as_deref())
                .bind(new.owner_phone.as_deref())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                Self::insert_web_key(&mut tx, &web_key, id, None, now).await?;
                tx.commit().await?;
                Ok(Account {
                    id,
                    name: new.name.clone(),
                    web_key,
                    owner_email: new.owner_email.clone(),
                    owner_phone: new.owner_phone.clone(),
                    default_action_plan_id: None,
                    created_at: now.0,
                })
            }

            async fn get_account(&self, id: uuid::Uuid) -> Result<Account, StoreError> {
                let row = sqlx::query(
                    "SELECT id, name, owner_email, owner_phone, default_action_plan_id, created_at \
                     FROM accounts WHERE id = $1",
                )
                .bind(DbId(id))
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound)?;
                Ok(Account {
                    id,
                    name: row.try_get("name")?,
                    web_key: self.current_key(id, None).await?,
                    owner_email: row.try_get("owner_email")?,
                    owner_phone: row.try_get("owner_phone")?,
                    default_action_plan_id: row
                        .try_get::<Option<DbId>, _>("default_action_plan_id")?
                        .map(|d| d.0),
                    created_at: row.try_get::<DbTime, _>("created_at")?.0,
                })
            }

            async fn set_default_action_plan(
                &self,
                account_id: uuid::Uuid,
                plan_id: Option<uuid::Uuid>,
            ) -> Result<(), StoreError> {
                let done = sqlx::query(
                    "UPDATE accounts SET default_action_plan_id = $2 WHERE id = $1 \
                     AND ($2 IS NULL OR EXISTS (SELECT 1 FROM action_plans p WHERE p.id = $2 AND p.account_id = $1))",
                )
                .bind(DbId(account_id))
                .bind(plan_id.map(DbId))
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn create_lead_source(
                &self,
                account_id: uuid::Uuid,
                new: &NewLeadSource,
            ) -> Result<LeadSource, StoreError> {
                let id = new_id();
                let now = DbTime::now();
                let web_key = new.web_key.clone().unwrap_or_else(generate_web_key);
                let mut tx = self.begin_write().await?;
                let inserted = sqlx::query(
                    "INSERT INTO lead_sources (id, account_id, name, action_plan_id, created_at) \
                     SELECT $1, a.id, $3, $4, $5 FROM accounts a WHERE a.id = $2 \
                     AND ($4 IS NULL OR EXISTS (SELECT 1 FROM action_plans p WHERE p.id = $4 AND p.account_id = $2))",
                )
                .bind(DbId(id))
                .bind(DbId(account_id))
                .bind(&new.name)
                .bind(new.action_plan_id.map(DbId))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if inserted.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Self::insert_web_key(&mut tx, &web_key, account_id, Some(id), now).await?;
                tx.commit().await?;
                Ok(LeadSource {
                    id,
                    account_id,
                    name: new.name.clone(),
                    web_key,
                    action_plan_id: new.action_plan_id,
                    created_at: now.0,
                })
            }

            async fn create_webhook(
                &self,
                account_id: uuid::Uuid,
                new: &NewWebhook,
            ) -> Result<Webhook, StoreError> {
                let id = new_id();
                let now = DbTime::now();
                let inserted = sqlx::query(
                    "INSERT INTO webhooks (id, account_id, name, preset, url, method, headers, body, secret, created_at) \
                     SELECT $1, a.id, $3, $4, $5, $6, $7, $8, $9, $10 FROM accounts a WHERE a.id = $2",
                )
                .bind(DbId(id))
                .bind(DbId(account_id))
                .bind(&new.name)
                .bind(new.preset.as_deref())
                .bind(&new.url)
                .bind(&new.method)
                .bind(sqlx::types::Json(&new.headers))
                .bind(new.body.as_ref().map(sqlx::types::Json))
                .bind(new.secret.as_deref())
                .bind(now)
                .execute(&self.pool)
                .await?;
                if inserted.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(Webhook {
                    id,
                    account_id,
                    name: new.name.clone(),
                    preset: new.preset.clone(),
                    url: new.url.clone(),
                    method: new.method.clone(),
                    headers: new.headers.clone(),
                    body: new.body.clone(),
                    secret: new.secret.clone(),
                    created_at: now.0,
                })
            }

            async fn create_action_plan(
                &self,
                account_id: uuid::Uuid,
                new: &NewActionPlan,
            ) -> Result<ActionPlan, StoreError> {
                let id = new_id();
                let now = DbTime::now();
                let mut tx = self.begin_write().await?;
                let inserted = sqlx::query(
                    "INSERT INTO action_plans (id, account_id, name, created_at) \
                     SELECT $1, a.id, $3, $4 FROM accounts a WHERE a.id = $2",
                )
                .bind(DbId(id))
                .bind(DbId(account_id))
                .bind(&new.name)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if inserted.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                for (position, step) in new.steps.iter().enumerate() {
                    let added = sqlx::query(
                        "INSERT INTO action_plan_steps (action_plan_id, position, webhook_id, delay_seconds) \
                         SELECT $1, $2, w.id, $4 FROM webhooks w WHERE w.id = $3 AND w.account_id = $5",
                    )
                    .bind(DbId(id))
                    .bind(position as i32)
                    .bind(DbId(step.webhook_id))
                    .bind(step.delay_seconds)
                    .bind(DbId(account_id))
                    .execute(&mut *tx)
                    .await?;
                    if added.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                }
                tx.commit().await?;
                Ok(ActionPlan {
                    id,
                    account_id,
                    name: new.name.clone(),
                    steps: new.steps.clone(),
                    created_at: now.0,
                })
            }

            async fn resolve_web_key(&self, key: &str) -> Result<Option<KeyOwner>, StoreError> {
                let row = sqlx::query(
                    "SELECT k.account_id, a.name AS account_name, a.owner_email, a.owner_phone, \
                     a.default_action_plan_id, a.hosted_pages, k.lead_source_id, s.name AS source_name, \
                     s.action_plan_id AS source_plan_id \
                     FROM web_keys k JOIN accounts a ON a.id = k.account_id \
                     LEFT JOIN lead_sources s ON s.id = k.lead_source_id \
                     WHERE k.key = $1 AND (k.expires_at IS NULL OR k.expires_at > $2)",
                )
                .bind(key)
                .bind(DbTime::now())
                .fetch_optional(&self.pool)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let source_id: Option<DbId> = row.try_get("lead_source_id")?;
                let lead_source = match source_id {
                    Some(id) => Some(LeadSourceRef { id: id.0, name: row.try_get("source_name")? }),
                    None => None,
                };
                // A lead source runs its own plan only; the account key runs the default.
                let plan_column = if lead_source.is_some() { "source_plan_id" } else { "default_action_plan_id" };
                Ok(Some(KeyOwner {
                    account_id: row.try_get::<DbId, _>("account_id")?.0,
                    account_name: row.try_get("account_name")?,
                    owner_email: row.try_get("owner_email")?,
                    owner_phone: row.try_get("owner_phone")?,
                    action_plan_id: row.try_get::<Option<DbId>, _>(plan_column)?.map(|d| d.0),
                    hosted_pages: row.try_get::<i16, _>("hosted_pages")? != 0,
                    lead_source,
                }))
            }

            async fn accept_lead(&self, lead: &LeadToStore) -> Result<AcceptOutcome, StoreError> {
                let now = DbTime::now();
                let account_id = lead.owner.account_id;
                let client_id = new_id();
                let cutoff = DbTime::from(now.0 - time::Duration::seconds(lead.replay_window_seconds));
                let mut tx = self.begin_write().await?;
                // Claim the fingerprint first: an identical post accepted within the
                // window (or being accepted right now) makes this one a replay.
                let claimed = sqlx::query(
                    "INSERT INTO replay_guard (account_id, fingerprint, submission_id, client_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, fingerprint) DO UPDATE SET \
                     submission_id = excluded.submission_id, client_id = excluded.client_id, \
                     created_at = excluded.created_at WHERE replay_guard.created_at < $6 \
                     RETURNING submission_id",
                )
                .bind(DbId(account_id))
                .bind(&lead.fingerprint)
                .bind(DbId(lead.submission.id))
                .bind(DbId(client_id))
                .bind(now)
                .bind(cutoff)
                .fetch_optional(&mut *tx)
                .await?;
                let mut submission = lead.submission.clone();
                submission.outcome = Outcome::Accepted;
                if claimed.is_none() {
                    let first = sqlx::query(
                        "SELECT submission_id, client_id FROM replay_guard \
                         WHERE account_id = $1 AND fingerprint = $2",
                    )
                    .bind(DbId(account_id))
                    .bind(&lead.fingerprint)
                    .fetch_one(&mut *tx)
                    .await?;
                    let of_submission = first.try_get::<DbId, _>("submission_id")?.0;
                    let first_client = first.try_get::<DbId, _>("client_id")?.0;
                    submission.replay_of = Some(of_submission);
                    submission.client_id = Some(first_client);
                    Self::insert_submission(&mut tx, &submission).await?;
                    tx.commit().await?;
                    return Ok(AcceptOutcome::Replay { of_submission, client_id: first_client });
                }
                if !Self::insert_client(&mut tx, client_id, lead, now).await? {
                    tx.rollback().await?;
                    return self.record_duplicate(lead).await;
                }
                Self::insert_client_details(&mut tx, client_id, lead, now).await?;
                submission.client_id = Some(client_id);
                Self::insert_submission(&mut tx, &submission).await?;
                tx.commit().await?;
                Ok(AcceptOutcome::Created { client_id })
            }

            async fn record_rejection(&self, submission: &Submission) -> Result<(), StoreError> {
                let mut tx = self.begin_write().await?;
                Self::insert_submission(&mut tx, submission).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn record_rate_limited(&self, submission: &Submission) -> Result<(), StoreError> {
                let minute = submission.created_at.unix_timestamp().div_euclid(60);
                let owner = submission.lead_source_id.or(submission.account_id);
                let summary_key = format!("ct106:{}:{minute}", owner.unwrap_or_default());
                let mut tx = self.begin_write().await?;
                sqlx::query(RECORD_RATE_LIMITED)
                    .bind(DbId(submission.id))
                    .bind(submission.account_id.map(DbId))
                    .bind(submission.lead_source_id.map(DbId))
                    .bind(sqlx::types::Json(Vec::<(String, String)>::new()))
                    .bind(DbTime::from(submission.created_at))
                    .bind(summary_key)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn get_client(&self, id: uuid::Uuid) -> Result<Client, StoreError> {
                let row = sqlx::query("SELECT * FROM clients WHERE id = $1")
                    .bind(DbId(id))
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let mut client = Self::client_from_row(&row)?;
                let tags = sqlx::query(
                    "SELECT t.name FROM client_tags ct JOIN tags t ON t.id = ct.tag_id \
                     WHERE ct.client_id = $1 ORDER BY ct.position",
                )
                .bind(DbId(id))
                .fetch_all(&self.pool)
                .await?;
                for row in tags {
                    client.tags.push(row.try_get("name")?);
                }
                let custom = sqlx::query(
                    "SELECT f.name, v.value FROM client_custom_values v \
                     JOIN custom_fields f ON f.id = v.field_id WHERE v.client_id = $1",
                )
                .bind(DbId(id))
                .fetch_all(&self.pool)
                .await?;
                for row in custom {
                    client.custom_fields.insert(row.try_get("name")?, row.try_get("value")?);
                }
                let notes = sqlx::query(
                    "SELECT body, created_at FROM notes WHERE client_id = $1 ORDER BY id",
                )
                .bind(DbId(id))
                .fetch_all(&self.pool)
                .await?;
                for row in notes {
                    client.notes.push(Note {
                        body: row.try_get("body")?,
                        created_at: row.try_get::<DbTime, _>("created_at")?.0,
                    });
                }
                Ok(client)
            }

            async fn list_clients(
                &self,
                account_id: uuid::Uuid,
                filter: &ClientFilter,
                page: Page,
            ) -> Result<Vec<Client>, StoreError> {
                let rows = sqlx::query(
                    "SELECT * FROM clients WHERE account_id = $1 \
                     AND ($2 IS NULL OR email_key = $2) \
                     AND ($3 IS NULL OR EXISTS (SELECT 1 FROM client_tags ct JOIN tags t ON t.id = ct.tag_id \
                     WHERE ct.client_id = clients.id AND t.name_key = $3)) \
                     AND ($4 IS NULL OR created_at > $4) AND id < $5 \
                     ORDER BY id DESC LIMIT $6",
                )
                .bind(DbId(account_id))
                .bind(filter.email.as_ref().map(|e| e.trim().to_lowercase()))
                .bind(filter.tag.as_ref().map(|t| t.trim().to_lowercase()))
                .bind(filter.created_after.map(DbTime::from))
                .bind(DbId(page.upper_bound()))
                .bind(page.limit)
                .fetch_all(&self.pool)
                .await?;
                let mut clients = rows
                    .iter()
                    .map(Self::client_from_row)
                    .collect::<Result<Vec<_>, _>>()?;
                self.fill_client_details(account_id, &mut clients).await?;
                Ok(clients)
            }

            async fn list_submissions(
                &self,
                filter: &SubmissionFilter,
                page: Page,
            ) -> Result<Vec<Submission>, StoreError> {
                let rows = sqlx::query(
                    "SELECT * FROM submissions WHERE ($1 IS NULL OR account_id = $1) \
                     AND ($2 IS NULL OR outcome = $2) AND ($3 IS NULL OR error_code = $3) \
                     AND id < $4 ORDER BY id DESC LIMIT $5",
                )
                .bind(filter.account_id.map(DbId))
                .bind(filter.outcome.map(|o| o.as_str()))
                .bind(filter.error_code.as_deref())
                .bind(DbId(page.upper_bound()))
                .bind(page.limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(Self::submission_from_row).collect::<Result<_, _>>()?)
            }

            async fn list_notifications(
                &self,
                account_id: uuid::Uuid,
                page: Page,
            ) -> Result<Vec<Notification>, StoreError> {
                let rows = sqlx::query(
                    "SELECT id, kind, client_id, message, read, created_at FROM notifications \
                     WHERE account_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
                )
                .bind(DbId(account_id))
                .bind(DbId(page.upper_bound()))
                .bind(page.limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok(Notification {
                            id: row.try_get::<DbId, _>("id")?.0,
                            kind: row.try_get("kind")?,
                            client_id: row.try_get::<Option<DbId>, _>("client_id")?.map(|d| d.0),
                            message: row.try_get("message")?,
                            read: row.try_get::<i16, _>("read")? != 0,
                            created_at: row.try_get::<DbTime, _>("created_at")?.0,
                        })
                    })
                    .collect()
            }

            async fn job_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
                let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state ORDER BY state")
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|row| Ok((row.try_get("state")?, row.try_get("n")?)))
                    .collect()
            }

            fn pool_stats(&self) -> PoolStats {
                PoolStats {
                    open: self.pool.size(),
                    idle: self.pool.num_idle() as u32,
                    max: self.pool.options().get_max_connections(),
                }
            }

            async fn list_jobs(&self, account_id: uuid::Uuid, page: Page) -> Result<Vec<Job>, StoreError> {
                let rows = sqlx::query(
                    "SELECT id, account_id, client_id, kind, webhook_id, state, due_at, attempts, \
                     message_id, last_error, created_at FROM jobs \
                     WHERE account_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
                )
                .bind(DbId(account_id))
                .bind(DbId(page.upper_bound()))
                .bind(page.limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(Self::job_from_row).collect::<Result<_, _>>()?)
            }
        }
    };
}

pub(crate) use impl_store;
