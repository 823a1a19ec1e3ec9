//! JSON request bodies: content type, size limit, exact decimals and error
//! messages that name the offending field.

use std::borrow::Cow;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use super::error::ApiError;
use ledger_core::validation::FieldError;

/// Bodies over 256 KiB are refused with 413 (SPEC §1).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A JSON body deserialized into `T`: 400 for malformed JSON or a wrong
/// content type, 413 when too large, 422 naming the field when the JSON is
/// well-formed but wrong.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::BadRequest(
                "Content-Type must be application/json".into(),
            ));
        }
        let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| ApiError::PayloadTooLarge(MAX_BODY_BYTES))?;
        parse(&bytes).map(JsonBody)
    }
}

/// A JSON body an action route may go without: no body, an empty one or
/// JSON `null` is `None`; any other body is held to everything
/// [`JsonBody`] checks.
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Sync> FromRequest<S> for OptionalJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|_| ApiError::PayloadTooLarge(MAX_BODY_BYTES))?;
        if bytes.is_empty() {
            return Ok(Self(None));
        }
        let request = Request::from_parts(parts, axum::body::Body::from(bytes));
        let JsonBody(value) = JsonBody::from_request(request, state).await?;
        Ok(Self(value))
    }
}

/// The raw bytes of a body, for a route that must see them exactly as sent
/// (a signed webhook), held to the same 256 KiB limit (413).
pub struct RawBody(pub Bytes);

impl<S: Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
            .await
            .map(RawBody)
            .map_err(|_| ApiError::PayloadTooLarge(MAX_BODY_BYTES))
    }
}

/// Deserializes `bytes`, classifying failures as SPEC §1 wants.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            Category::Data => ApiError::Validation(vec![field_error(&path, &inner)]),
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::BadRequest(format!("malformed JSON: {inner}"))
            }
        }
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
    Ok(value)
}

/// serde_json's arbitrary-precision numbers travel as a private one-field
/// map, whose key shows up in paths of numbers that fail to convert.
const NUMBER_TOKEN: &str = ".$serde_json::private::Number";

/// How many characters of what the caller sent an error repeats: enough to
/// recognise it, never the whole of a hostile 256 KiB string (an answer that
/// repeats its request is an amplifier, and the caller has it already).
const ECHOED_CHARS: usize = 64;

/// `text`, cut to [`ECHOED_CHARS`] with an ellipsis.
fn clip(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(ECHOED_CHARS) {
        Some((cut, _)) => Cow::Owned(format!("{}…", &text[..cut])),
        None => Cow::Borrowed(text),
    }
}

/// serde's message with every backticked value the caller sent clipped.
fn clip_quoted(text: &str) -> String {
    text.split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { clip(part) } else { part.into() })
        .collect::<Vec<_>>()
        .join("`")
}

/// Turns serde's wording into a field path plus a message about that field.
fn field_error(path: &str, err: &serde_json::Error) -> FieldError {
    let text = clip_quoted(&err.to_string());
    let text = text.split(" at line ").next().unwrap_or(&text);
    let path = path.strip_suffix(NUMBER_TOKEN).unwrap_or(path);
    let path = path.split('.').map(clip).collect::<Vec<_>>().join(".");
    let parent = if path == "." { "" } else { path.as_str() };
    let named = |name: &str, message: &str| {
        let field = if parent.is_empty() {
            name.to_string()
        } else {
            format!("{parent}.{name}")
        };
        FieldError::new(field, message)
    };
    if let Some(name) = backticked(text, "missing field `") {
        return named(name, "is required");
    }
    if let Some(name) = backticked(text, "unknown field `") {
        let message = match text.split_once(", expected ") {
            Some((_, expected)) => format!("is not a known field (expected {expected})"),
            None => "is not a known field".to_string(),
        };
        if parent.rsplit('.').next() == Some(name) {
            return FieldError::new(parent, message);
        }
        return named(name, &message);
    }
    FieldError::new(if parent.is_empty() { "body" } else { parent }, text)
}

fn backticked<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.strip_prefix(prefix)?.split('`').next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        #[serde(rename = "partnerGroup")]
        partner_group: Inner,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        name: String,
        amount: Option<Decimal>,
    }

    fn fields(err: ApiError) -> Vec<FieldError> {
        match err {
            ApiError::Validation(fields) => fields,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn decimals_stay_exact() {
        let outer: Outer = parse(br#"{"partnerGroup":{"name":"a","amount":299.9}}"#).unwrap();
        assert_eq!(outer.partner_group.name, "a");
        assert_eq!(outer.partner_group.amount.unwrap().to_string(), "299.9");
    }

    #[test]
    fn a_number_out_of_decimal_range_names_its_field() {
        let huge =
            fields(parse::<Outer>(br#"{"partnerGroup":{"name":"a","amount":1e400}}"#).unwrap_err());
        assert_eq!(huge.len(), 1);
        assert_eq!(huge[0].field, "partnerGroup.amount");
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        assert!(matches!(
            parse::<Outer>(b"{\"partnerGroup\":"),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse::<Outer>(br#"{"partnerGroup":{"name":"a"}} x"#),
            Err(ApiError::BadRequest(_))
        ));
    }

    #[test]
    fn missing_and_unknown_fields_are_named() {
        let missing = fields(parse::<Outer>(br#"{"partnerGroup":{}}"#).unwrap_err());
        assert_eq!(
            missing,
            vec![FieldError::new("partnerGroup.name", "is required")]
        );
        let unknown =
            fields(parse::<Outer>(br#"{"partnerGroup":{"name":"a","colour":1}}"#).unwrap_err());
        assert_eq!(
            unknown,
            vec![FieldError::new(
                "partnerGroup.colour",
                "is not a known field (expected `name` or `amount`)"
            )]
        );
        let wrapper = fields(parse::<Outer>(br#"{}"#).unwrap_err());
        assert_eq!(
            wrapper,
            vec![FieldError::new("partnerGroup", "is required")]
        );
    }

    #[test]
    fn what_the_caller_sent_is_repeated_clipped() {
        let long = "é".repeat(5000);
        let body = format!(r#"{{"partnerGroup":{{"name":"a","{long}":1}}}}"#);
        let unknown = fields(parse::<Outer>(body.as_bytes()).unwrap_err());
        let clipped = format!("partnerGroup.{}…", "é".repeat(64));
        assert_eq!(unknown[0].field, clipped);

        #[derive(Debug, Deserialize)]
        enum Kind {
            Sale,
        }
        #[derive(Debug, Deserialize)]
        struct Typed {
            #[serde(rename = "kind")]
            _kind: Kind,
        }
        let body = format!(r#"{{"kind":"{}"}}"#, "x".repeat(200_000));
        let variant = fields(parse::<Typed>(body.as_bytes()).unwrap_err());
        assert_eq!(variant[0].field, "kind");
        assert!(
            variant[0]
                .message
                .starts_with(&format!("unknown variant `{}…`", "x".repeat(64))),
            "{}",
            variant[0].message
        );
        assert!(variant[0].message.len() < 200, "{}", variant[0].message);
    }

    #[test]
    fn wrong_types_name_the_field() {
        let wrong = fields(parse::<Outer>(br#"{"partnerGroup":{"name":7}}"#).unwrap_err());
        assert_eq!(wrong[0].field, "partnerGroup.name");
    }
}
