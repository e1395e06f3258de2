//! The OpenAPI 3.1 document served at `GET /openapi.json`. Paths come from the
//! `#[utoipa::path]` of each handler as it is registered in the router
//! (`app::routes`), so the document and the served routes are one list; this
//! module adds the title, the admin security scheme and the intake form's schema.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

/// The fixed parts of the document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "leadpost",
        description = "Self-hosted lead intake: the public form-post endpoint and the admin API."
    ),
    components(schemas(crate::admin::error::ErrorBody)),
    tags(
        (name = "intake", description = "The public form-post endpoint (CORS: any origin)"),
        (name = "accounts", description = "Admin: accounts and their web_key"),
        (name = "lead sources", description = "Admin: lead sources and their web_keys"),
        (name = "webhooks", description = "Admin: webhooks and action plans"),
        (name = "clients", description = "Admin: the leads"),
        (name = "activity", description = "Admin: notifications, submissions, jobs"),
        (name = "operations", description = "Health, readiness, this document"),
    )
)]
pub struct ApiDoc;

/// The name of the admin bearer scheme in the document.
pub const ADMIN_SCHEME: &str = "admin_token";

/// Every `/admin/` operation needs the admin token and may answer 401 and 403.
pub struct AdminSecurity;

impl Modify for AdminSecurity {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            ADMIN_SCHEME,
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        let error = || Content::new(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody"))));
        for (path, item) in doc.paths.paths.iter_mut() {
            if !path.starts_with("/admin/") {
                continue;
            }
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                operation.security = Some(vec![SecurityRequirement::new(
                    ADMIN_SCHEME,
                    Vec::<String>::new(),
                )]);
                let responses = &mut operation.responses.responses;
                responses.insert(
                    "401".into(),
                    RefOr::T(
                        ResponseBuilder::new()
                            .description("Missing or wrong admin token")
                            .content("application/json", error())
                            .build(),
                    ),
                );
                responses.insert(
                    "403".into(),
                    RefOr::T(
                        ResponseBuilder::new()
                            .description("The admin API is disabled (no token configured)")
                            .content("application/json", error())
                            .build(),
                    ),
                );
            }
        }
    }
}

/// The fields of an intake post (docs/endpoint.md). Any other field name is a
/// custom (expansion) field of the account, kept as plain text.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
pub struct IntakeForm {
    /// The account's or a lead source's key (ct101 when missing or unknown).
    pub web_key: String,
    /// Full name, split at its first whitespace; wins over firstName/lastName.
    pub name: Option<String>,
    #[schema(rename = "firstName")]
    pub first_name: Option<String>,
    #[schema(rename = "lastName")]
    pub last_name: Option<String>,
    /// Exactly ten digits.
    pub phone: Option<String>,
    /// Exactly ten digits.
    pub second_phone: Option<String>,
    /// 1 or 0 (default 1).
    pub smsok: Option<String>,
    /// Unique per account, any case (ct103 for a second client).
    pub email: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    /// US state or Canadian province, two letters.
    pub state: Option<String>,
    /// `12345`, `12345-6789`, `12345-6789-01` or `A1A 1A1`.
    pub zip: Option<String>,
    #[schema(rename = "compName")]
    pub comp_name: Option<String>,
    /// Comma-separated tags; may be given several times.
    pub tag: Option<String>,
    pub job_title: Option<String>,
    /// Whole number.
    pub deal_size: Option<String>,
    /// 1 or 0.
    pub deal_closed: Option<String>,
    /// Whole number.
    pub age: Option<String>,
    pub education: Option<String>,
    /// M or F.
    pub gender: Option<String>,
    pub high_net_worth: Option<String>,
    /// Own or Rent.
    pub home_owner_status: Option<String>,
    pub household_income: Option<String>,
    pub length_of_residence: Option<String>,
    pub market_value: Option<String>,
    /// Single, Married or Divorced.
    pub material_status: Option<String>,
    pub occupation: Option<String>,
    /// 1 or 0.
    pub presence_of_children: Option<String>,
    /// 1 or 0.
    pub presence_of_pets: Option<String>,
    /// `YYYY:MM:DD` or `YYYY-MM-DD`.
    pub anniversary_1: Option<String>,
    /// `YYYY:MM:DD` or `YYYY-MM-DD`.
    pub anniversary_2: Option<String>,
    /// Facebook profile id.
    pub facebook: Option<String>,
    /// LinkedIn profile id.
    pub linkedin: Option<String>,
    pub twitter: Option<String>,
    pub client_category: Option<String>,
    /// Up to 65,535 characters.
    pub whiteboard: Option<String>,
    /// Becomes a history note; up to 65,535 characters.
    pub notes: Option<String>,
    /// `YYYY:MM:DD` or `YYYY-MM-DD`.
    pub clients_date_last: Option<String>,
    /// `YYYY:MM:DD` or `YYYY-MM-DD`.
    pub clients_date_next: Option<String>,
    /// 0 (none), 1 (in-app), 2 (email + text + in-app).
    pub new_lead_notification: Option<String>,
    /// 1..5 or Client, Employee, Partner, Vendor, Other.
    pub contact_type: Option<String>,
    pub assigned_user_id: Option<String>,
    /// 303 here on success.
    #[schema(rename = "OnSuccessURL")]
    pub on_success_url: Option<String>,
    /// 303 here on failure, with `error_Code` and `msg` added to the query.
    #[schema(rename = "OnErrorURL")]
    pub on_error_url: Option<String>,
}

/// `{"Message": "Success"}`
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
pub struct IntakeSuccess {
    /// Always `Success`.
    #[schema(rename = "Message")]
    pub message: String,
}

/// `{"Message": "Error", "error_code", "msg", "fields"?}`
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
pub struct IntakeFailure {
    /// Always `Error`.
    #[schema(rename = "Message")]
    pub message: String,
    /// ct101 .. ct106.
    pub error_code: String,
    pub msg: String,
    /// Every invalid field (ct104 field errors only).
    pub fields: Option<Vec<crate::fields::FieldProblem>>,
}
