//! DynamoDB requests per partner-groups route: each call goes through the real
//! router in-process, and the harness's SDK interceptor names every request
//! it sent. Bodies are the API seed's examples.

use harness::{Reply, TestEnv};
use serde_json::{Value, json};

use crate::table::Figure;

const COLLECTION: &str = "/2026-02-01/partners/groups.json";
const SIMULATE: &str = "/2026-02-01/partners/groups/simulate-rules.json";

/// One route's requests; `budget` is the most DESIGN.md §5 allows, if it says.
struct Counted {
    route: &'static str,
    reply: Reply,
    operations: Vec<String>,
    budget: Option<usize>,
}

pub async fn measure(env: &TestEnv) -> Result<Vec<Figure>, String> {
    env.counter.take();
    let mut counted = Vec::new();

    let created = env.post(COLLECTION, create_body()).await;
    let id = created.body["group"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    counted.push(Counted::new(env, "create group", created, None));
    let member = format!("/2026-02-01/partners/groups/{id}.json");

    let list = env.get(COLLECTION).await;
    counted.push(Counted::new(env, "list groups (one page)", list, Some(2)));
    let get = env.get(&member).await;
    counted.push(Counted::new(env, "get group", get, Some(1)));
    let update = env.put(&member, update_body()).await;
    counted.push(Counted::new(env, "update group", update, None));
    let simulate = env.post(SIMULATE, simulate_body()).await;
    counted.push(Counted::new(env, "simulate rules", simulate, None));
    // The first group is the account's default, which cannot be deleted: delete another.
    let spare = env.post(COLLECTION, create_body()).await;
    env.counter.take();
    let spare_id = spare.body["group"]["id"].as_str().unwrap_or_default();
    let delete = env
        .delete(&format!("/2026-02-01/partners/groups/{spare_id}.json"))
        .await;
    counted.push(Counted::new(env, "delete group", delete, None));

    counted.into_iter().map(Counted::figure).collect()
}

impl Counted {
    /// Takes the requests sent since the last route's.
    fn new(env: &TestEnv, route: &'static str, reply: Reply, budget: Option<usize>) -> Self {
        Self {
            route,
            reply,
            operations: env.counter.take(),
            budget,
        }
    }

    fn figure(self) -> Result<Figure, String> {
        if !self.reply.status.is_success() {
            return Err(format!(
                "{} answered {}: {}",
                self.route, self.reply.status, self.reply.body
            ));
        }
        let name = format!("DynamoDB requests: {}", self.route);
        let count = self.operations.len();
        let measured = if count == 0 {
            "0".to_string()
        } else {
            format!("{count} ({})", self.operations.join(", "))
        };
        Ok(match self.budget {
            Some(max) => Figure::budgeted(name, measured, &format!("≤ {max}"), count <= max),
            None => Figure::reported(name, measured),
        })
    }
}

pub fn create_body() -> Value {
    json!({"partnerGroup": {
        "name": "Performance Agencies",
        "description": "Tier for high-volume agencies",
        "external_id": "P-GROUP-PERF",
        "tags": "managed,performance",
        "default": false,
        "rules": [
            {"type": "new_customer_time_tier", "max_months": 6, "percentage": 30},
            {"type": "recurring", "percentage": 12}
        ]
    }})
}

fn update_body() -> Value {
    json!({"partnerGroup": {
        "name": "Performance Agencies v2",
        "default": true,
        "rules": [{"type": "recurring", "percentage": 14}]
    }})
}

fn simulate_body() -> Value {
    json!({"partnerGroupSimulation": {
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
    }})
}
