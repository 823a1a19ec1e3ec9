//! Referrals: placeholder.
