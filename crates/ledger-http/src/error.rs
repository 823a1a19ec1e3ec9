//! The one error type of the API and its one JSON shape (SPEC §1):
//! `{"error": {"status", "code", "message", "fields": [{"field", "message"}]}}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use ledger_core::model::Scope;
use ledger_core::validation::FieldError;
use ledger_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("missing or invalid API key")]
    Unauthorized,
    #[error(
        "missing, invalid or expired portal session token: ask the program for a new portal link"
    )]
    PortalUnauthorized,
    #[error("this API key lacks the `{0}` scope")]
    Forbidden(Scope),
    /// A key may only create or delete keys whose every scope it holds itself.
    #[error("this API key does not hold {}; a key can only create or delete keys whose scopes it holds", listed(.0))]
    ScopesNotHeld(Vec<Scope>),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("request body exceeds {0} bytes")]
    PayloadTooLarge(usize),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("internal error")]
    Internal(StoreError),
    /// The handler panicked: a bug, answered like any internal failure.
    #[error("internal error")]
    Panicked,
}

impl From<StoreError> for ApiError {
    /// A request DynamoDB refused as invalid carried a value too large for
    /// the table: the caller's to fix (422), not a server fault.
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Rejected(_) => ApiError::validation(
                "body",
                "holds a value too large to store (a key over 1024 bytes or an object over 400 KB)",
            ),
            other => ApiError::Internal(other),
        }
    }
}

impl From<ledger_core::views::commission::CorruptSnapshot> for ApiError {
    fn from(error: ledger_core::views::commission::CorruptSnapshot) -> Self {
        ApiError::Internal(error.into())
    }
}

impl From<ledger_app::Error> for ApiError {
    fn from(error: ledger_app::Error) -> Self {
        match error {
            ledger_app::Error::Denied(ledger_app::Denial::Unauthenticated) => {
                ApiError::Unauthorized
            }
            ledger_app::Error::Denied(ledger_app::Denial::NoPortalSession) => {
                ApiError::PortalUnauthorized
            }
            ledger_app::Error::Denied(ledger_app::Denial::MissingScope(scope)) => {
                ApiError::Forbidden(scope)
            }
            ledger_app::Error::Denied(ledger_app::Denial::ScopesNotHeld(scopes)) => {
                ApiError::ScopesNotHeld(scopes)
            }
            ledger_app::Error::NotFound(what) => ApiError::NotFound(what),
            ledger_app::Error::Conflict { code, message } => ApiError::Conflict { code, message },
            ledger_app::Error::Invalid(fields) => ApiError::Validation(fields),
            ledger_app::Error::Store(cause) => cause.into(),
        }
    }
}

impl From<ledger_store::Missing> for ApiError {
    fn from(ledger_store::Missing(what): ledger_store::Missing) -> Self {
        ApiError::NotFound(what)
    }
}

impl ApiError {
    /// `error` from a use case whose input came wrapped in `wrapper`
    /// (`{"partnerGroup": {...}}`): its field errors are named under it.
    pub fn under(wrapper: &str) -> impl Fn(ledger_app::Error) -> ApiError + '_ {
        move |error| match error {
            ledger_app::Error::Invalid(fields) => {
                ApiError::Validation(ledger_core::validation::under(fields, wrapper))
            }
            other => other.into(),
        }
    }

    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Conflict {
            code,
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized | ApiError::PortalUnauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::ScopesNotHeld(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Internal(_) | ApiError::Panicked => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized | ApiError::PortalUnauthorized => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::ScopesNotHeld(_) => "scopes_not_held",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict { code, .. } => code,
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::Validation(_) => "validation_failed",
            ApiError::Internal(_) | ApiError::Panicked => "internal_error",
        }
    }
}

/// `` `a:read`, `b:write` ``.
fn listed(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error envelope every non-2xx response carries.
#[derive(Serialize, ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// The HTTP status, repeated for clients that only see the body.
    pub status: u16,
    /// A stable machine-readable code, e.g. `validation_failed`.
    pub code: String,
    /// A human-readable explanation.
    pub message: String,
    /// Present on validation failures: one entry per offending field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldIssue>,
}

#[derive(Serialize, ToSchema)]
pub struct FieldIssue {
    /// Dotted path of the field, e.g. `partnerGroup.rules[1].percentage`.
    pub field: String,
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(error = %cause, "request failed");
        }
        let status = self.status();
        let fields = match &self {
            ApiError::Validation(errors) => errors
                .iter()
                .map(|e| FieldIssue {
                    field: e.field.clone(),
                    message: e.message.clone(),
                })
                .collect(),
            _ => Vec::new(),
        };
        let message = match &self {
            ApiError::Validation(errors) => errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        };
        let body = ErrorEnvelope {
            error: ErrorBody {
                status: status.as_u16(),
                code: self.code().to_string(),
                message,
                fields,
            },
        };
        (status, Json(body)).into_response()
    }
}
