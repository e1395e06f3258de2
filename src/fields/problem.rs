//! One refused input value, naming its field: what intake, the admin API, the
//! CLI and the action checks all report (`{"field": ..., "reason": ...}`).

use super::FieldError;

/// One invalid value: the field and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub reason: String,
}

impl FieldProblem {
    /// A problem with `field`, for `reason`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldProblem {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<FieldError> for String {
    fn from(error: FieldError) -> Self {
        error.0
    }
}
