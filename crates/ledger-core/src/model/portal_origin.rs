//! The parent pages allowed to frame the partner portal: the account's
//! `portal_allowed_origins`, each an origin `http(s)://host[:port]` and
//! nothing else, since each one becomes a source in the page's
//! `Content-Security-Policy: frame-ancestors`.

use crate::validation::FieldError;

/// At most this many origins per account.
pub const MAX_ORIGINS: usize = 10;
const MAX_HOST: usize = 253;

/// Checks `origins` (the setting as given, under `field`) and answers them
/// normalised: scheme and host in lower case. An empty list is valid: no
/// page may frame the portal.
pub fn check(field: &str, origins: &[String], errors: &mut Vec<FieldError>) -> Vec<String> {
    if origins.len() > MAX_ORIGINS {
        errors.push(FieldError::new(
            field,
            format!("must list at most {MAX_ORIGINS} origins"),
        ));
    }
    let mut accepted: Vec<String> = Vec::with_capacity(origins.len());
    for (index, origin) in origins.iter().enumerate() {
        let at = format!("{field}[{index}]");
        match normalise(origin) {
            None => errors.push(FieldError::new(
                at,
                "must be an origin: http:// or https://, a host and an optional :port, with no path, query or wildcard",
            )),
            Some(origin) if accepted.contains(&origin) => {
                errors.push(FieldError::new(at, "is listed twice"));
            }
            Some(origin) => accepted.push(origin),
        }
    }
    accepted
}

/// `origin` in lower case, if it is `scheme://host[:port]` with an `http`
/// or `https` scheme, a DNS name or IPv4 host, and a port of 1 to 65535.
fn normalise(origin: &str) -> Option<String> {
    let origin = origin.to_ascii_lowercase();
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))?;
    let (host, port) = match rest.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    let host_ok = !host.is_empty()
        && host.len() <= MAX_HOST
        && host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    let port_ok = port.is_none_or(|port| {
        !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| (1..=65_535).contains(&p))
    });
    (host_ok && port_ok).then_some(origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(origins: &[&str]) -> (Vec<String>, Vec<String>) {
        let origins: Vec<String> = origins.iter().map(|o| o.to_string()).collect();
        let mut errors = Vec::new();
        let accepted = check("portal_allowed_origins", &origins, &mut errors);
        (accepted, errors.into_iter().map(|e| e.field).collect())
    }

    #[test]
    fn origins_are_accepted_in_lower_case() {
        let (accepted, errors) = checked(&[
            "https://Partners.Example.com",
            "http://localhost:8080",
            "https://127.0.0.1:65535",
        ]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            accepted,
            [
                "https://partners.example.com",
                "http://localhost:8080",
                "https://127.0.0.1:65535"
            ]
        );
        assert_eq!(checked(&[]), (vec![], vec![]));
    }

    #[test]
    fn anything_but_an_origin_names_its_index() {
        for bad in [
            "example.com",
            "ftp://example.com",
            "https://",
            "https://example.com/",
            "https://example.com/path",
            "https://example.com?q=1",
            "https://example.com#x",
            "https://*.example.com",
            "https://user@example.com",
            "https://example.com:0",
            "https://example.com:65536",
            "https://example.com:",
            "https://example..com",
            "https://-example.com",
            "https://example.com; script-src *",
            "https://exa mple.com",
            "'self'",
            "*",
        ] {
            let (_, errors) = checked(&["https://ok.example.com", bad]);
            assert_eq!(errors, ["portal_allowed_origins[1]"], "{bad}");
        }
    }

    #[test]
    fn duplicates_and_too_many_are_refused() {
        let (_, errors) = checked(&["https://a.example.com", "HTTPS://A.example.com"]);
        assert_eq!(errors, ["portal_allowed_origins[1]"]);
        let many: Vec<String> = (0..=MAX_ORIGINS)
            .map(|i| format!("https://{i}.example.com"))
            .collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(checked(&many).1, ["portal_allowed_origins"]);
    }
}
