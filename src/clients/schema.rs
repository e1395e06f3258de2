//! The OpenAPI schemas derived from the client field catalog: the admin
//! read-back of a client and the intake form.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::{PartialSchema, ToSchema};

use super::catalog::{CLIENT_FIELDS, ClientField, Kind, SqlType};
use crate::openapi::IntakeForm;
use crate::store::{Client, Note};

/// A property of one type, nullable or not.
fn typed(kind: Type, nullable: bool, description: Option<&str>) -> ObjectBuilder {
    let schema_type: SchemaType = if nullable {
        [kind, Type::Null].into_iter().collect()
    } else {
        kind.into()
    };
    ObjectBuilder::new()
        .schema_type(schema_type)
        .description(description)
}

/// A stored field as read back: its JSON type, nullable unless it has a default.
fn read_back_property(field: &ClientField) -> ObjectBuilder {
    let nullable = !always_set(field);
    match field.kind.sql_type() {
        SqlType::Text => typed(Type::String, nullable, Some(field.rule)),
        SqlType::BigInt | SqlType::SmallInt => typed(Type::Integer, nullable, Some(field.rule))
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
        SqlType::Date => typed(Type::String, nullable, Some(field.rule))
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))),
    }
}

/// A field every client has: the first name, and the fields with a default.
fn always_set(field: &ClientField) -> bool {
    field.default.is_some() || field.form == "firstName"
}

impl PartialSchema for Client {
    fn schema() -> RefOr<Schema> {
        let uuid = |nullable| {
            typed(Type::String, nullable, None)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        };
        let mut object = ObjectBuilder::new()
            .description(Some(
                "A client read back: every stored reserved field under its form name.",
            ))
            .property("id", uuid(false))
            .required("id")
            .property("account_id", uuid(false))
            .required("account_id")
            .property("lead_source_id", uuid(true));
        for field in CLIENT_FIELDS.iter().filter(|f| f.column.is_some()) {
            object = object.property(field.form, read_back_property(field));
            if always_set(field) {
                object = object.required(field.form);
            }
            if let Kind::Profile { link, .. } = field.kind {
                object =
                    object.property(link, typed(Type::String, true, Some("The profile's link.")));
            }
        }
        object
            .property(
                "tags",
                ArrayBuilder::new().items(typed(Type::String, false, None)),
            )
            .required("tags")
            .property(
                "custom_fields",
                ObjectBuilder::new()
                    .additional_properties(Some(typed(Type::String, false, None)))
                    .description(Some("Custom field name → value.")),
            )
            .required("custom_fields")
            .property("notes", ArrayBuilder::new().items(Note::schema()))
            .required("notes")
            .property(
                "created_at",
                typed(Type::String, false, None)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
            )
            .required("created_at")
            .into()
    }
}

impl ToSchema for Client {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Client")
    }
}

impl PartialSchema for IntakeForm {
    fn schema() -> RefOr<Schema> {
        let text = |description: &str| typed(Type::String, false, Some(description));
        let mut object = ObjectBuilder::new()
            .description(Some(
                "The fields of an intake post (docs/endpoint.md). Any other field name is a \
                 custom (expansion) field of the account, kept as plain text.",
            ))
            .property(
                "web_key",
                text("The account's or a lead source's key (ct101 when missing or unknown)."),
            )
            .required("web_key")
            .property(
                "name",
                text("Full name, split at its first whitespace; wins over firstName/lastName."),
            );
        for field in CLIENT_FIELDS {
            object = object.property(field.form, text(field.rule));
        }
        object
            .property("OnSuccessURL", text("303 here on success."))
            .property(
                "OnErrorURL",
                text("303 here on failure, with `error_Code` and `msg` added to the query."),
            )
            .into()
    }
}

impl ToSchema for IntakeForm {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("IntakeForm")
    }
}
