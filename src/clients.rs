//! The client (lead) as intake hands it to the store: every value already parsed
//! into its domain type.

use crate::fields::{
    ContactType, Email, Flag, Gender, HomeOwnerStatus, MaritalStatus, NewLeadNotification, Phone,
    ProfileId, TagList, Text, UsCaState, WholeNumber, YmdDate, Zip,
};

/// A new client, valid by construction.
#[derive(Debug, Clone)]
pub struct NewClient {
    pub first_name: Text,
    pub last_name: Option<Text>,
    pub phone: Option<Phone>,
    pub second_phone: Option<Phone>,
    /// Default 1 when not posted.
    pub smsok: Option<Flag>,
    pub email: Option<Email>,
    pub address: Option<Text>,
    pub city: Option<Text>,
    pub state: Option<UsCaState>,
    pub zip: Option<Zip>,
    pub comp_name: Option<Text>,
    pub tags: TagList,
    pub job_title: Option<Text>,
    pub deal_size: Option<WholeNumber>,
    pub deal_closed: Option<Flag>,
    pub age: Option<WholeNumber>,
    pub education: Option<Text>,
    pub gender: Option<Gender>,
    pub high_net_worth: Option<WholeNumber>,
    pub home_owner_status: Option<HomeOwnerStatus>,
    pub household_income: Option<WholeNumber>,
    pub length_of_residence: Option<WholeNumber>,
    pub market_value: Option<WholeNumber>,
    pub material_status: Option<MaritalStatus>,
    pub occupation: Option<Text>,
    pub presence_of_children: Option<Flag>,
    pub presence_of_pets: Option<Flag>,
    pub anniversary_1: Option<YmdDate>,
    pub anniversary_2: Option<YmdDate>,
    pub facebook: Option<ProfileId>,
    pub linkedin: Option<ProfileId>,
    pub twitter: Option<Text>,
    pub client_category: Option<Text>,
    pub whiteboard: Option<Text>,
    pub clients_date_last: Option<YmdDate>,
    pub clients_date_next: Option<YmdDate>,
    pub new_lead_notification: NewLeadNotification,
    pub contact_type: ContactType,
    pub assigned_user_id: Option<Text>,
    /// Becomes a history note.
    pub notes: Option<Text>,
    /// Expansion (custom) fields: name and value, both plain text, in posted order.
    pub custom: Vec<(String, String)>,
}

impl NewClient {
    /// `first last`, or the first name alone.
    pub fn display_name(&self) -> String {
        match &self.last_name {
            Some(last) => format!("{} {}", self.first_name.as_str(), last.as_str()),
            None => self.first_name.as_str().to_string(),
        }
    }
}
