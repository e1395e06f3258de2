//! JSON body templates: a JSON value whose string leaves are minijinja templates.
//! Rendering builds a new `serde_json::Value` leaf by leaf (never by splicing text),
//! so the result is always valid JSON; a string leaf that renders empty is left out.

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;

use crate::clients::read_back;
use crate::store::DeliveryContext;

use super::FieldProblem;

/// A body template that failed to render, naming the leaf.
#[derive(Debug, thiserror::Error)]
#[error("body template at {path}: {reason}")]
pub struct RenderError {
    pub path: String,
    pub reason: String,
}

/// The environment every template runs in: undefined values chain and render
/// empty, nothing is HTML-escaped.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env
}

/// Every string leaf that does not parse as a template, as `body...` field problems.
pub fn check_body(body: &Value) -> Vec<FieldProblem> {
    let env = environment();
    let mut problems = Vec::new();
    walk_check(&env, body, "body".to_string(), &mut problems);
    problems
}

fn walk_check(env: &Environment<'_>, value: &Value, path: String, out: &mut Vec<FieldProblem>) {
    match value {
        Value::String(source) => {
            if let Err(e) = env.template_from_str(source) {
                out.push(FieldProblem::new(
                    path,
                    format!("template does not parse: {e}"),
                ));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk_check(env, item, format!("{path}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                walk_check(env, item, format!("{path}.{key}"), out);
            }
        }
        _ => {}
    }
}

/// Whether one text template parses: its problem, named `field`.
pub fn check_text(field: &str, source: &str) -> Option<FieldProblem> {
    environment()
        .template_from_str(source)
        .err()
        .map(|e| FieldProblem::new(field, format!("template does not parse: {e}")))
}

/// Render one text template over a context, exactly as it renders (an empty result stays empty).
pub fn render_text(field: &str, source: &str, context: &Value) -> Result<String, RenderError> {
    let ctx = minijinja::Value::from_serialize(context);
    environment()
        .render_str(source, ctx)
        .map_err(|e| RenderError {
            path: field.to_string(),
            reason: e.to_string(),
        })
}

/// Render a body template over a context. Leaves rendering empty (or only
/// whitespace) are omitted; non-string leaves are kept as they are.
pub fn render_body(body: &Value, context: &Value) -> Result<Value, RenderError> {
    let env = environment();
    let ctx = minijinja::Value::from_serialize(context);
    Ok(walk_render(&env, body, "body".to_string(), &ctx)?.unwrap_or(Value::Null))
}

fn walk_render(
    env: &Environment<'_>,
    value: &Value,
    path: String,
    ctx: &minijinja::Value,
) -> Result<Option<Value>, RenderError> {
    Ok(match value {
        Value::String(source) => {
            let rendered = env.render_str(source, ctx).map_err(|e| RenderError {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            (!rendered.trim().is_empty()).then_some(Value::String(rendered))
        }
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                if let Some(v) = walk_render(env, item, format!("{path}[{i}]"), ctx)? {
                    out.push(v);
                }
            }
            Some(Value::Array(out))
        }
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, item) in map {
                if let Some(v) = walk_render(env, item, format!("{path}.{key}"), ctx)? {
                    out.insert(key.clone(), v);
                }
            }
            Some(Value::Object(out))
        }
        other => Some(other.clone()),
    })
}

/// The template context of webhook bodies (README, body templates): `client` (every reserved field under its
/// form name, plus `id`, `created_at`, `facebook_url`, `linkedin_url`), `custom`,
/// `tags`, `lead_source` (`id`, `name`, or null) and `account` (`id`, `name`).
/// Absent fields are left out of `client`, so they render empty.
pub fn context(dc: &DeliveryContext) -> Value {
    let c = &dc.client;
    let mut client = Map::new();
    client.insert("id".into(), Value::String(c.id.to_string()));
    if let Some(source) = c.lead_source_id {
        client.insert("lead_source_id".into(), Value::String(source.to_string()));
    }
    for field in read_back(&c.fields) {
        if let Some(value) = field.value {
            client.insert(field.template.into(), value.to_json());
        }
    }
    // `notes` is the reserved field: the note posted with the lead.
    if let Some(note) = c.notes.first() {
        client.insert("notes".into(), Value::String(note.body.clone()));
    }
    if let Ok(created_at) = c.created_at.format(&Rfc3339) {
        client.insert("created_at".into(), Value::String(created_at));
    }
    let custom: Map<String, Value> = dc
        .client
        .custom_fields
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    serde_json::json!({
        "client": client,
        "custom": custom,
        "tags": dc.client.tags,
        "lead_source": dc.lead_source.as_ref().map(|s| serde_json::json!({"id": s.id, "name": s.name})),
        "account": {"id": dc.account.id, "name": dc.account.name},
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> Value {
        json!({
            "client": {"firstName": "Ann", "lastName": "O\"Brien <3>", "age": 42},
            "custom": {"Favorite Chocolate": "Dark"},
            "tags": ["vip", "roof"],
            "lead_source": null,
            "account": {"id": "a", "name": "Acme"},
        })
    }

    #[test]
    fn string_leaves_render_and_stay_valid_json_whatever_the_value() {
        let body = json!({
            "name": "{{ client.firstName }} {{ client.lastName }}",
            "choc": "{{ custom[\"Favorite Chocolate\"] }}",
            "tags": "{{ tags | join(\",\") }}",
            "n": 5,
            "ok": true,
        });
        let out = render_body(&body, &ctx()).expect("renders");
        assert_eq!(
            out,
            json!({"name": "Ann O\"Brien <3>", "choc": "Dark", "tags": "vip,roof", "n": 5, "ok": true})
        );
    }

    #[test]
    fn leaves_rendering_empty_are_omitted_and_undefined_chains() {
        let body = json!({
            "phone": "{{ client.phone }}",
            "source": "{{ lead_source.name }}",
            "deep": "{{ client.nothing.at.all }}",
            "list": ["{{ client.missing }}", "x"],
            "first": "{{ client.firstName }}",
        });
        let out = render_body(&body, &ctx()).expect("renders");
        assert_eq!(out, json!({"list": ["x"], "first": "Ann"}));
    }

    #[test]
    fn a_template_that_does_not_parse_is_a_field_problem_naming_the_leaf() {
        let problems = check_body(&json!({"a": {"b": "{{ client.firstName "}, "c": "ok"}));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].field, "body.a.b");
    }

    #[test]
    fn a_failing_render_names_the_leaf() {
        let err =
            render_body(&json!({"x": "{{ tags | no_such_filter }}"}), &ctx()).expect_err("fails");
        assert_eq!(err.path, "body.x");
    }
}
