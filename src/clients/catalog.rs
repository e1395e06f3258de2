//! The one list of reserved client fields. Each row names the field as posted
//! (`form`), where it is stored (`column`), what it holds (`kind`), how long it
//! may be (`limit`), its CSV column header (`csv`) and its name in webhook
//! templates (`client.<template>`). Parsing (`src/intake/form.rs`), the store's
//! client columns, the admin read-back, the CSV export, the OpenAPI schemas and
//! the template context are all derived from [`CLIENT_FIELDS`]: adding a field
//! is one row here plus a migration adding its column.

use crate::fields::{
    ContactType, Email, FieldError, Flag, Gender, HomeOwnerStatus, Keyword, MaritalStatus,
    NewLeadNotification, Phone, ProfileId, Text, UsCaState, WholeNumber, YmdDate, Zip,
};

use super::FieldValue;

/// Longest name and short text field.
pub const SHORT_TEXT: usize = 255;
/// Longest whiteboard or note.
pub const LONG_TEXT: usize = 65_535;

/// What a field holds, and so how it is parsed and stored.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `firstName` / `lastName`: settled with `name` before the other fields.
    Name,
    /// Free text up to the row's limit.
    Text,
    /// Free text up to the row's limit that becomes the client's first history note.
    Note,
    /// Exactly ten digits.
    Phone,
    Email,
    /// `1` or `0`.
    Flag,
    /// A whole number ≥ 0.
    Number,
    /// `YYYY:MM:DD` or `YYYY-MM-DD`.
    Date,
    /// US state or Canadian province.
    State,
    Zip,
    Gender,
    HomeOwner,
    Marital,
    /// A profile id; read back with a link under the key `link`.
    Profile {
        link: &'static str,
        url: fn(&ProfileId) -> String,
    },
    /// `0`, `1` or `2`.
    LeadNotification,
    /// `1`..`5` or a name.
    ContactType,
    /// Comma-separated tags, accumulated over repeats; stored in the tag tables.
    Tags,
}

/// The SQL type of a stored field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlType {
    Text,
    BigInt,
    SmallInt,
    Date,
}

impl Kind {
    /// The column type its value is stored as.
    pub fn sql_type(self) -> SqlType {
        match self {
            Kind::Number => SqlType::BigInt,
            Kind::Flag | Kind::LeadNotification | Kind::ContactType => SqlType::SmallInt,
            Kind::Date => SqlType::Date,
            _ => SqlType::Text,
        }
    }
}

/// One reserved client field.
#[derive(Debug, Clone, Copy)]
pub struct ClientField {
    /// The name in a post, in the read-back JSON and in the OpenAPI form schema.
    pub form: &'static str,
    /// The `clients` column; `None` for the tags and the note, kept in their own tables.
    pub column: Option<&'static str>,
    pub kind: Kind,
    /// Most characters of a text value.
    pub limit: Option<usize>,
    /// The CSV column header.
    pub csv: &'static str,
    /// The key under `client` in webhook body templates.
    pub template: &'static str,
    /// The value stored when the field is not posted (and read back for a null).
    pub default: Option<i64>,
    /// The rule, as described in the OpenAPI document.
    pub rule: &'static str,
}

/// A row whose CSV header and template name are its form name.
const fn field(
    form: &'static str,
    column: &'static str,
    kind: Kind,
    rule: &'static str,
) -> ClientField {
    ClientField {
        form,
        column: Some(column),
        kind,
        limit: None,
        csv: form,
        template: form,
        default: None,
        rule,
    }
}

impl ClientField {
    /// The same row with a length limit.
    const fn max(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// The same row with a default value.
    const fn or(mut self, default: i64) -> Self {
        self.default = Some(default);
        self
    }

    /// The same row kept outside the `clients` table.
    const fn unstored(mut self) -> Self {
        self.column = None;
        self
    }

    /// Parse a cleaned (HTML-stripped, trimmed, non-empty) value into its stored form.
    pub fn parse(&self, v: &str) -> Result<FieldValue, FieldError> {
        let text = |s: &str| FieldValue::Text(s.to_string());
        Ok(match self.kind {
            Kind::Name | Kind::Text | Kind::Note | Kind::Tags => {
                FieldValue::Text(Text::parse(v, self.limit.unwrap_or(SHORT_TEXT))?.into_string())
            }
            Kind::Phone => text(Phone::parse(v)?.as_str()),
            Kind::Email => text(Email::parse(v)?.as_str()),
            Kind::Flag => FieldValue::Int(Flag::parse(v)?.as_i64()),
            Kind::Number => FieldValue::Int(WholeNumber::parse(v)?.value()),
            Kind::Date => FieldValue::Date(YmdDate::parse(v)?.date()),
            Kind::State => text(UsCaState::parse(v)?.as_str()),
            Kind::Zip => text(Zip::parse(v)?.as_str()),
            Kind::Gender => text(Gender::parse(v)?.as_str()),
            Kind::HomeOwner => text(HomeOwnerStatus::parse(v)?.as_str()),
            Kind::Marital => text(MaritalStatus::parse(v)?.as_str()),
            Kind::Profile { .. } => text(ProfileId::parse(v)?.as_str()),
            Kind::LeadNotification => FieldValue::Int(NewLeadNotification::parse(v)?.level()),
            Kind::ContactType => FieldValue::Int(ContactType::parse(v)?.number()),
        })
    }
}

/// Every reserved client field, in the order its problems are reported
/// (docs/endpoint.md). `web_key`, `name` and the two redirect URLs are posted
/// too but are not client fields: `src/intake/form.rs` adds them around this list.
pub const CLIENT_FIELDS: &[ClientField] = &[
    field(
        "firstName",
        "first_name",
        Kind::Name,
        "Both needed when `name` is absent.",
    )
    .max(SHORT_TEXT),
    field(
        "lastName",
        "last_name",
        Kind::Name,
        "Both needed when `name` is absent.",
    )
    .max(SHORT_TEXT),
    field("phone", "phone", Kind::Phone, "Exactly ten digits."),
    field(
        "second_phone",
        "second_phone",
        Kind::Phone,
        "Exactly ten digits.",
    ),
    field("smsok", "smsok", Kind::Flag, "1 or 0 (default 1).").or(1),
    field(
        "email",
        "email",
        Kind::Email,
        "Unique per account, any case (ct103 for a second client).",
    ),
    field("address", "address", Kind::Text, "Text.").max(SHORT_TEXT),
    field("city", "city", Kind::Text, "Text.").max(SHORT_TEXT),
    field("compName", "comp_name", Kind::Text, "Text.").max(SHORT_TEXT),
    field("job_title", "job_title", Kind::Text, "Text.").max(SHORT_TEXT),
    field("education", "education", Kind::Text, "Text.").max(SHORT_TEXT),
    field("occupation", "occupation", Kind::Text, "Text.").max(SHORT_TEXT),
    field("twitter", "twitter", Kind::Text, "Text.").max(SHORT_TEXT),
    field("client_category", "client_category", Kind::Text, "Text.").max(SHORT_TEXT),
    field("assigned_user_id", "assigned_user_id", Kind::Text, "Text.").max(SHORT_TEXT),
    field(
        "whiteboard",
        "whiteboard",
        Kind::Text,
        "Up to 65,535 characters.",
    )
    .max(LONG_TEXT),
    field(
        "notes",
        "notes",
        Kind::Note,
        "Becomes a history note; up to 65,535 characters.",
    )
    .max(LONG_TEXT)
    .unstored(),
    field(
        "state",
        "state",
        Kind::State,
        "US state or Canadian province, two letters.",
    ),
    field(
        "zip",
        "zip",
        Kind::Zip,
        "`12345`, `12345-6789`, `12345-6789-01` or `A1A 1A1`.",
    ),
    field(
        "tag",
        "tags",
        Kind::Tags,
        "Comma-separated tags; may be given several times.",
    )
    .unstored(),
    field("deal_size", "deal_size", Kind::Number, "Whole number."),
    field("age", "age", Kind::Number, "Whole number."),
    field(
        "high_net_worth",
        "high_net_worth",
        Kind::Number,
        "Whole number.",
    ),
    field(
        "household_income",
        "household_income",
        Kind::Number,
        "Whole number.",
    ),
    field(
        "length_of_residence",
        "length_of_residence",
        Kind::Number,
        "Whole number.",
    ),
    field(
        "market_value",
        "market_value",
        Kind::Number,
        "Whole number.",
    ),
    field("deal_closed", "deal_closed", Kind::Flag, "1 or 0."),
    field(
        "presence_of_children",
        "presence_of_children",
        Kind::Flag,
        "1 or 0.",
    ),
    field(
        "presence_of_pets",
        "presence_of_pets",
        Kind::Flag,
        "1 or 0.",
    ),
    field("gender", "gender", Kind::Gender, "M or F."),
    field(
        "home_owner_status",
        "home_owner_status",
        Kind::HomeOwner,
        "Own or Rent.",
    ),
    field(
        "material_status",
        "material_status",
        Kind::Marital,
        "Single, Married or Divorced.",
    ),
    field(
        "anniversary_1",
        "anniversary_1",
        Kind::Date,
        "`YYYY:MM:DD` or `YYYY-MM-DD`.",
    ),
    field(
        "anniversary_2",
        "anniversary_2",
        Kind::Date,
        "`YYYY:MM:DD` or `YYYY-MM-DD`.",
    ),
    field(
        "clients_date_last",
        "clients_date_last",
        Kind::Date,
        "`YYYY:MM:DD` or `YYYY-MM-DD`.",
    ),
    field(
        "clients_date_next",
        "clients_date_next",
        Kind::Date,
        "`YYYY:MM:DD` or `YYYY-MM-DD`.",
    ),
    field(
        "facebook",
        "facebook",
        Kind::Profile {
            link: "facebook_url",
            url: ProfileId::facebook_url,
        },
        "Facebook profile id.",
    ),
    field(
        "linkedin",
        "linkedin",
        Kind::Profile {
            link: "linkedin_url",
            url: ProfileId::linkedin_url,
        },
        "LinkedIn profile id.",
    ),
    field(
        "new_lead_notification",
        "new_lead_notification",
        Kind::LeadNotification,
        "0 (none), 1 (in-app), 2 (email + text + in-app).",
    )
    .or(0),
    field(
        "contact_type",
        "contact_type",
        Kind::ContactType,
        "1..5 or Client, Employee, Partner, Vendor, Other.",
    )
    .or(1),
];

/// The position of a field in [`CLIENT_FIELDS`].
pub fn index_of(form: &str) -> Option<usize> {
    CLIENT_FIELDS.iter().position(|f| f.form == form)
}

/// The fields kept in `clients` columns, with their positions in [`CLIENT_FIELDS`].
pub fn stored() -> impl Iterator<Item = (usize, &'static ClientField, &'static str)> {
    CLIENT_FIELDS
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.column.map(|c| (i, f, c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_names_are_unique() {
        for (i, f) in CLIENT_FIELDS.iter().enumerate() {
            assert_eq!(index_of(f.form), Some(i), "{}", f.form);
        }
    }

    #[test]
    fn every_text_field_has_a_limit() {
        for f in CLIENT_FIELDS {
            if matches!(f.kind, Kind::Name | Kind::Text | Kind::Note) {
                assert!(f.limit.is_some(), "{}", f.form);
            }
        }
    }
}
