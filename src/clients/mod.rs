//! The client (lead): its reserved fields as listed in [`catalog`], the values a
//! new client holds once intake parsed them, and the typed accessors for the few
//! fields the code reads by name.

pub mod catalog;
mod schema;

use serde::Serialize;

use crate::fields::{NewLeadNotification, TagList};
use catalog::{CLIENT_FIELDS, index_of};

/// How an account reads a post (its settings, DESIGN.md §12): phones with common North American
/// formatting when `lenient_phones` is on, and the `new_lead_notification` level of a post that
/// does not send one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LeadRules {
    pub lenient_phones: bool,
    pub new_lead_notification_default: NewLeadNotification,
}

impl LeadRules {
    /// The rules of an account with these settings (a stored level out of range reads as 0).
    pub fn new(lenient_phones: bool, new_lead_notification_default: i64) -> Self {
        LeadRules {
            lenient_phones,
            new_lead_notification_default: NewLeadNotification::from_level(
                new_lead_notification_default,
            )
            .unwrap_or_default(),
        }
    }
}

/// A parsed value of a reserved field, in the form it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Text(String),
    /// Whole numbers, 1/0 flags and numbered choices.
    Int(i64),
    Date(time::Date),
}

/// `YYYY-MM-DD`.
pub fn ymd(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

impl FieldValue {
    /// The value as JSON: text and dates as strings (`YYYY-MM-DD`), numbers as numbers.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            FieldValue::Text(s) => serde_json::Value::String(s.clone()),
            FieldValue::Int(n) => serde_json::Value::from(*n),
            FieldValue::Date(d) => serde_json::Value::String(ymd(*d)),
        }
    }

    /// The value as a CSV cell.
    pub fn to_cell(&self) -> String {
        match self {
            FieldValue::Text(s) => s.clone(),
            FieldValue::Int(n) => n.to_string(),
            FieldValue::Date(d) => ymd(*d),
        }
    }
}

impl Serialize for FieldValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FieldValue::Text(t) => s.serialize_str(t),
            FieldValue::Int(n) => s.serialize_i64(*n),
            FieldValue::Date(d) => s.serialize_str(&ymd(*d)),
        }
    }
}

/// One value (or none) per row of [`CLIENT_FIELDS`], in its order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientValues(Vec<Option<FieldValue>>);

impl Default for ClientValues {
    fn default() -> Self {
        ClientValues(vec![None; CLIENT_FIELDS.len()])
    }
}

impl ClientValues {
    /// The values in catalog order.
    pub fn from_vec(values: Vec<Option<FieldValue>>) -> Self {
        let mut all = values;
        all.resize(CLIENT_FIELDS.len(), None);
        ClientValues(all)
    }

    /// Every value in catalog order.
    pub fn iter(&self) -> impl Iterator<Item = Option<&FieldValue>> {
        self.0.iter().map(Option::as_ref)
    }

    /// The value at a catalog position.
    pub fn at(&self, index: usize) -> Option<&FieldValue> {
        self.0.get(index).and_then(Option::as_ref)
    }

    /// Set the value at a catalog position.
    pub fn set(&mut self, index: usize, value: Option<FieldValue>) {
        if let Some(slot) = self.0.get_mut(index) {
            *slot = value;
        }
    }

    /// The value of the field posted as `form`.
    pub fn get(&self, form: &str) -> Option<&FieldValue> {
        index_of(form).and_then(|i| self.at(i))
    }

    /// A text field's value.
    pub fn text(&self, form: &str) -> Option<&str> {
        match self.get(form)? {
            FieldValue::Text(s) => Some(s),
            _ => None,
        }
    }

    /// A number, flag or numbered choice.
    pub fn int(&self, form: &str) -> Option<i64> {
        match self.get(form)? {
            FieldValue::Int(n) => Some(*n),
            _ => None,
        }
    }

    pub fn first_name(&self) -> &str {
        self.text("firstName").unwrap_or_default()
    }
    pub fn last_name(&self) -> Option<&str> {
        self.text("lastName")
    }
    pub fn phone(&self) -> Option<&str> {
        self.text("phone")
    }
    pub fn second_phone(&self) -> Option<&str> {
        self.text("second_phone")
    }
    pub fn email(&self) -> Option<&str> {
        self.text("email")
    }
    pub fn address(&self) -> Option<&str> {
        self.text("address")
    }
    pub fn city(&self) -> Option<&str> {
        self.text("city")
    }
    pub fn state(&self) -> Option<&str> {
        self.text("state")
    }
    pub fn zip(&self) -> Option<&str> {
        self.text("zip")
    }
    pub fn comp_name(&self) -> Option<&str> {
        self.text("compName")
    }
    pub fn whiteboard(&self) -> Option<&str> {
        self.text("whiteboard")
    }
    /// The posted note (a new client only: stored ones are history notes).
    pub fn notes(&self) -> Option<&str> {
        self.text("notes")
    }
    pub fn smsok(&self) -> Option<i64> {
        self.int("smsok")
    }
    pub fn age(&self) -> Option<i64> {
        self.int("age")
    }
    pub fn contact_type(&self) -> Option<i64> {
        self.int("contact_type")
    }
    /// Who is told of the new lead (none when not set).
    pub fn new_lead_notification(&self) -> NewLeadNotification {
        self.int("new_lead_notification")
            .and_then(|n| NewLeadNotification::parse(&n.to_string()).ok())
            .unwrap_or_default()
    }

    /// A value as read back under its JSON key (a stored field, or a profile link).
    pub fn read_back(&self, key: &str) -> Option<FieldValue> {
        read_back(self).into_iter().find(|v| v.json == key)?.value
    }

    /// `first last`, or the first name alone.
    pub fn display_name(&self) -> String {
        match self.last_name() {
            Some(last) => format!("{} {last}", self.first_name()),
            None => self.first_name().to_string(),
        }
    }
}

/// A new client, valid by construction: every value was parsed by its catalog row.
#[derive(Debug, Clone, Default)]
pub struct NewClient {
    /// The reserved fields (the `tag` row stays empty: tags are in `tags`).
    pub fields: ClientValues,
    pub tags: TagList,
    /// Expansion (custom) fields: name and value, both plain text, in posted order.
    pub custom: Vec<(String, String)>,
}

impl NewClient {
    /// `first last`, or the first name alone.
    pub fn display_name(&self) -> String {
        self.fields.display_name()
    }

    /// The email in lower case, the form it is compared in.
    pub fn email_key(&self) -> Option<String> {
        self.fields.email().map(str::to_lowercase)
    }
}

/// One read-back value: a stored field's, or the link made from a profile id.
#[derive(Debug, Clone)]
pub struct ReadBack {
    /// Its key in the admin JSON.
    pub json: &'static str,
    /// Its CSV column header.
    pub csv: &'static str,
    /// Its key under `client` in webhook templates.
    pub template: &'static str,
    pub value: Option<FieldValue>,
}

/// Every stored field of a client, in catalog order, a profile id followed by its link.
pub fn read_back(values: &ClientValues) -> Vec<ReadBack> {
    let mut out = Vec::new();
    for (index, field, _) in catalog::stored() {
        let value = values.at(index).cloned();
        out.push(ReadBack {
            json: field.form,
            csv: field.csv,
            template: field.template,
            value: value.clone(),
        });
        if let catalog::Kind::Profile { link, url } = field.kind {
            let link_value = match value {
                Some(FieldValue::Text(id)) => crate::fields::ProfileId::parse(&id)
                    .ok()
                    .map(|p| FieldValue::Text(url(&p))),
                _ => None,
            };
            out.push(ReadBack {
                json: link,
                csv: link,
                template: link,
                value: link_value,
            });
        }
    }
    out
}
