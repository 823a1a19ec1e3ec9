//! Request bodies shared by the integration tests and `make bench`: the API
//! seed's examples verbatim, and one realistic body per newer resource.

use serde_json::{Value, json};

/// A default group paying a recurring 10 %: what most tests create first,
/// since a partner needs a group.
pub fn default_group() -> Value {
    json!({"partnerGroup": {"name": "Default", "rules": [{"type": "recurring", "percentage": 10}]}})
}

/// The partner-groups seed's create example.
pub fn group_create() -> Value {
    json!({
      "partnerGroup": {
        "name": "Performance Agencies",
        "description": "Tier for high-volume agencies",
        "external_id": "P-GROUP-PERF",
        "tags": "managed,performance",
        "default": false,
        "rules": [
          {"type": "new_customer_time_tier", "max_months": 6, "percentage": 30},
          {"type": "recurring", "percentage": 12}
        ]
      }
    })
}

/// The partner-groups seed's update example.
pub fn group_update() -> Value {
    json!({
      "partnerGroup": {
        "name": "Performance Agencies v2",
        "default": true,
        "rules": [{"type": "recurring", "percentage": 14}]
      }
    })
}

/// The partner-groups seed's simulation example (74.98 EUR at 25 %).
pub fn simulation() -> Value {
    json!({
      "partnerGroupSimulation": {
        "rules": [
          {"type": "new_customer_time_tier", "max_months": 3, "percentage": 25},
          {"type": "recurring", "percentage": 10}
        ],
        "simulation": {
          "charge_amount": 299.9,
          "customer_months": 2,
          "partner_ltv": 4500,
          "qualified_customers": 12,
          "first_paid_customer_bootstrap": false
        }
      }
    })
}

/// A partner with one link code and one promo code, both derived from `handle`.
pub fn partner_create(handle: &str) -> Value {
    json!({"partner": {
        "email": format!("{handle}@example.com"),
        "first_name": "Ann",
        "last_name": "Lee",
        "links": [{"url": format!("https://example.com/?via={handle}"), "code": handle}],
        "promo_codes": [{"code": format!("{}10", handle.to_uppercase())}]
    }})
}

/// A campaign paying 20 % for 12 months, 50 % on the first payment.
pub fn campaign_create(name: &str) -> Value {
    json!({"campaign": {
        "name": name,
        "website_url": "https://example.com",
        "commission_type": "percentage",
        "commission_amount": 20,
        "limit_type": "months",
        "limit_amount": 12,
        "first_payment_commission": {"enabled": true, "type": "percentage", "amount": 50}
    }})
}

/// A referral attributed by link code.
pub fn referral_create(email: &str, link_code: &str) -> Value {
    json!({"referral": {"email": email, "code": link_code}})
}

/// PromoteKit's create-commission example with positive amounts: an explicit
/// commission of 59.98 on a 299.9 payment, so the engine is not asked.
pub fn commission_promotekit(referral_id: &str) -> Value {
    json!({"commission": {
        "referral_id": referral_id,
        "revenue_amount": 299.9,
        "commission_amount": 59.98,
        "referral_date": "2026-01-15T10:00:00Z",
        "stripe_payment_id": "py_3PqRstUvWxYz0123456789"
    }})
}

/// FirstPromoter's create-commission example for a sale: no commission
/// amount, so the rules engine prices it.
pub fn commission_firstpromoter_sale(referral_id: &str) -> Value {
    json!({"commission": {
        "commission_type": "sale",
        "referral_id": referral_id,
        "sale_amount": 299.9,
        "event_id": "evt_1QxSaleJan2026",
        "event_date": "2026-01-15",
        "unit": "cash",
        "billing_period": "monthly",
        "internal_note": "Imported from the billing system",
        "notify_promoter": true
    }})
}

/// FirstPromoter's create-commission example for a custom reward: a fixed
/// 25 credits for the partner, with no referral.
pub fn commission_firstpromoter_custom(partner_id: &str) -> Value {
    json!({"commission": {
        "commission_type": "custom",
        "partner_id": partner_id,
        "amount": 25,
        "event_id": "evt_1QxCustomWebinar",
        "unit": "credits",
        "internal_note": "Webinar co-host bonus"
    }})
}
