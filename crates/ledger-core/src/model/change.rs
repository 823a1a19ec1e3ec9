//! Partial updates, as every `PUT` in the API makes them: a field the
//! update gives replaces the stored value; an omitted one keeps it. The few
//! fields an update may clear read null as "clear" ([`nullable`]).

/// Replaces `field` with the given value, if any.
pub fn replace<T>(field: &mut T, change: Option<T>) {
    if let Some(value) = change {
        *field = value;
    }
}

/// Replaces an optional `field` with the given value, if any (an update
/// cannot clear a field: null means "not given").
pub fn replace_optional<T>(field: &mut Option<T>, change: Option<T>) {
    if change.is_some() {
        *field = change;
    }
}

/// Deserializes a field whose null means "clear it": absent stays `None`
/// (with `#[serde(default)]`), null becomes `Some(None)` and a value
/// `Some(Some(value))`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}
