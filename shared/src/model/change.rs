//! Partial updates, as every `PUT` in the API makes them: a field the
//! update gives replaces the stored value; an omitted one keeps it.

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
