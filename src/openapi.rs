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
        (name = "inbound", description = "Admin: inbound email tokens, parsers and reparse"),
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

/// The fields of an intake post: its schema is built from the client field
/// catalog (`src/clients/schema.rs`).
pub struct IntakeForm;

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
