//! Stripe webhook signatures. Stripe signs each delivery with the endpoint's
//! secret: the `Stripe-Signature` header holds `t=<unix time>` and one or
//! more `v1=<hex HMAC-SHA256 of "{t}.{raw body}">` (several while a secret
//! is being rolled). A delivery is genuine when any `v1` matches, compared in
//! constant time, and `t` lies within the tolerance of now. Verification
//! runs on the raw bytes, before anything parses them.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a signature's timestamp may be from now, as Stripe's libraries allow.
pub const TOLERANCE_SECONDS: i64 = 300;

/// Why a delivery was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing")]
    Missing,
    #[error("the Stripe-Signature header has no timestamp or no v1 signature")]
    Malformed,
    #[error("the signature's timestamp is outside the 300 s tolerance")]
    Stale,
    #[error("no v1 signature matches the payload")]
    Mismatch,
}

/// Checks `header` (the `Stripe-Signature` value) against `payload` signed
/// with `secret`, at `now`.
pub fn verify(
    header: Option<&str>,
    payload: &[u8],
    secret: &str,
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.extend(hex::decode(value).ok()),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if now.timestamp().abs_diff(timestamp) > TOLERANCE_SECONDS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    let expected = mac(secret, timestamp, payload);
    let matches = signatures
        .iter()
        .any(|signature| expected.clone().verify_slice(signature).is_ok());
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The `Stripe-Signature` header Stripe would send for `payload` at `at`:
/// for tests, fixtures and the local tooling that plays Stripe.
pub fn sign(payload: &[u8], secret: &str, at: DateTime<Utc>) -> String {
    let signature = mac(secret, at.timestamp(), payload).finalize().into_bytes();
    format!("t={},v1={}", at.timestamp(), hex::encode(signature))
}

fn mac(secret: &str, timestamp: i64, payload: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    const SECRET: &str = "whsec_test_secret";
    const PAYLOAD: &[u8] = br#"{"id":"evt_1","type":"invoice.paid"}"#;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600, 0).unwrap()
    }

    #[test]
    fn a_signature_made_with_the_secret_verifies() {
        let header = sign(PAYLOAD, SECRET, now());
        assert_eq!(verify(Some(&header), PAYLOAD, SECRET, now()), Ok(()));
        let later = now() + Duration::seconds(TOLERANCE_SECONDS);
        assert_eq!(verify(Some(&header), PAYLOAD, SECRET, later), Ok(()));
    }

    #[test]
    fn extreme_timestamps_are_stale_not_an_overflow() {
        for t in [i64::MIN, i64::MIN + 1, i64::MAX, -1] {
            let header = format!("t={t},v1=00");
            assert_eq!(
                verify(Some(&header), PAYLOAD, SECRET, now()),
                Err(SignatureError::Stale),
                "{header}"
            );
        }
    }

    #[test]
    fn it_matches_stripes_documented_scheme() {
        // HMAC-SHA256("whsec_test_secret", "1767225600.{payload}"), computed independently.
        let expected = {
            let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
            mac.update(format!("1767225600.{}", std::str::from_utf8(PAYLOAD).unwrap()).as_bytes());
            hex::encode(mac.finalize().into_bytes())
        };
        assert_eq!(
            sign(PAYLOAD, SECRET, now()),
            format!("t=1767225600,v1={expected}")
        );
    }

    #[test]
    fn any_of_several_v1_signatures_may_match() {
        let good = sign(PAYLOAD, SECRET, now());
        let v1 = good.split_once(",v1=").unwrap().1;
        let other = sign(PAYLOAD, "whsec_old", now());
        let old = other.split_once(",v1=").unwrap().1;
        let header = format!("t={},v1={old},v0=ignored,v1={v1}", now().timestamp());
        assert_eq!(verify(Some(&header), PAYLOAD, SECRET, now()), Ok(()));
    }

    #[test]
    fn every_failure_is_refused_with_its_reason() {
        let header = sign(PAYLOAD, SECRET, now());
        let tampered = br#"{"id":"evt_1","type":"invoice.paid "}"#;
        for (header, payload, secret, at, refusal) in [
            (None, PAYLOAD, SECRET, now(), SignatureError::Missing),
            (
                Some("v1=00"),
                PAYLOAD,
                SECRET,
                now(),
                SignatureError::Malformed,
            ),
            (
                Some("t=1767225600"),
                PAYLOAD,
                SECRET,
                now(),
                SignatureError::Malformed,
            ),
            (
                Some("t=soon,v1=00"),
                PAYLOAD,
                SECRET,
                now(),
                SignatureError::Malformed,
            ),
            (
                Some(header.as_str()),
                &tampered[..],
                SECRET,
                now(),
                SignatureError::Mismatch,
            ),
            (
                Some(header.as_str()),
                PAYLOAD,
                "whsec_other",
                now(),
                SignatureError::Mismatch,
            ),
            (
                Some(header.as_str()),
                PAYLOAD,
                SECRET,
                now() + Duration::seconds(TOLERANCE_SECONDS + 1),
                SignatureError::Stale,
            ),
            (
                Some(header.as_str()),
                PAYLOAD,
                SECRET,
                now() - Duration::seconds(TOLERANCE_SECONDS + 1),
                SignatureError::Stale,
            ),
        ] {
            assert_eq!(
                verify(header, payload, secret, at),
                Err(refusal),
                "{header:?}"
            );
        }
    }
}
