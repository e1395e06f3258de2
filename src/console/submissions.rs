//! The Monitor (`/console/submissions`): every post of the current account, newest first, 50 a
//! page, with its outcome, error code and message, what was sent (the raw fields) and what was
//! answered, and how it arrived (an email's raw message below it); filtered by outcome and channel.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use minijinja::context;
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use utoipa_axum::router::OpenApiRouter;

use super::frame::Console;
use super::pager::{Place, filter_query};
use crate::service::ServiceError;
use crate::service::activity::{self, SubmissionQuery};
use crate::state::AppState;
use crate::store::{Channel, Outcome, Submission};

/// The page's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().route("/console/submissions", get(monitor_page))
}

/// The query string: the outcome filter and the page.
#[derive(Debug, Default, Deserialize)]
pub struct MonitorParams {
    outcome: Option<String>,
    channel: Option<String>,
    after: Option<String>,
    trail: Option<String>,
}

/// What the service answered the post, in words.
fn answer(s: &Submission) -> String {
    match (s.outcome, &s.replay_of) {
        (Outcome::Accepted, Some(_)) => "success (double submit: the first post's answer)".into(),
        (Outcome::Accepted, None) | (Outcome::Spam, _) => "success".into(),
        (Outcome::Rejected, _) => format!(
            "error {}: {}",
            s.error_code.as_deref().unwrap_or(""),
            s.message.as_deref().unwrap_or("")
        ),
        (Outcome::Ignored, _) => format!(
            "received, ignored ({})",
            s.message.as_deref().unwrap_or("automatic mail")
        ),
    }
}

/// `GET /console/submissions`
pub async fn monitor_page(
    State(state): State<AppState>,
    console: Console,
    Query(params): Query<MonitorParams>,
) -> Response {
    let account_id = match console.account_id() {
        Ok(id) => id,
        Err(page) => return *page,
    };
    let query = SubmissionQuery {
        outcome: params.outcome.clone(),
        channel: params.channel.clone(),
        after: params.after.clone(),
        ..SubmissionQuery::default()
    };
    let (listed, problem) =
        match activity::list_submissions(state.store.as_ref(), Some(account_id), &query).await {
            Ok(listed) => (Some(listed), None),
            Err(ServiceError::Invalid(problems)) => (
                None,
                problems
                    .first()
                    .map(|p| format!("{} {}", p.field, p.reason)),
            ),
            Err(e) => return console.failed(e),
        };
    let place = Place {
        after: params.after.clone(),
        trail: params.trail.clone(),
    };
    let filters = filter_query(&[("outcome", &params.outcome), ("channel", &params.channel)]);
    let next = listed.as_ref().and_then(|l| l.next.as_deref());
    let pager = place.pager("/console/submissions", &filters, next);
    let rows: Vec<_> = listed
        .iter()
        .flat_map(|l| l.submissions.iter())
        .map(|s| {
            context! {
                id => s.id,
                outcome => s.outcome.as_str(),
                channel => s.channel.as_str(),
                raw_message => (s.channel == Channel::Email).then_some(s.raw_message.as_deref()).flatten(),
                double_submit => s.replay_of.is_some(),
                error_code => s.error_code,
                message => s.message,
                client_id => s.client_id,
                spam_reasons => s.spam_reasons,
                answer => answer(s),
                fields => s.fields.iter().map(|(n, v)| vec![n.clone(), v.clone()]).collect::<Vec<_>>(),
                ip => s.remote_ip,
                at => s.created_at.format(&Rfc3339).unwrap_or_default(),
            }
        })
        .collect();
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    console.render_status(
        status,
        "submissions.html",
        context! {
            submissions => rows,
            problem => problem,
            outcome => params.outcome,
            channel => params.channel,
            channels => [Channel::Form, Channel::Email, Channel::Vendor].map(Channel::as_str),
            outcomes => [Outcome::Accepted, Outcome::Rejected, Outcome::Spam].map(Outcome::as_str),
            next => pager.next,
            previous => pager.previous,
        },
    )
}
