#!/usr/bin/env bash
# infra/local/schemathesis.sh: owns the API fuzzing step of `make test`. It serves the API exactly
# as `make run` does (cargo lambda watch, the router table in Cargo.toml) on a free port, against
# a fresh table with a `*` key, and runs schemathesis on the served openapi.json with these checks:
# no 5xx, responses conform to the schema, and requests without valid auth are refused.
#
# Runs against the emulator in AWS_ENDPOINT_URL_DYNAMODB when set (test.sh sets it), else starts
# its own. Expects the venv with the test set; builds the functions as `make run` does.
# Knob: ST_MAX_EXAMPLES (default 25 test cases per operation).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

install_teardown
use_venv
logs="$LOCAL_DIR/test"
check_stack schemathesis
KEY=$(<"$logs/schemathesis-api-key")
ACCOUNT_ID=$(cut -d_ -f2 <<<"$KEY") # a key reads plk_<account id>_<key id>_<secret>
# An endpoint secret, so deliveries to the account's webhook reach the signature check.
"$TARGET_DIR/debug/partner-ledger-admin" set-stripe-secret --account "$ACCOUNT_ID" \
  --secret whsec_schemathesis >/dev/null

port=$(free_port)
check_serve schemathesis "$port"

base="http://127.0.0.1:$port"
# Random ids only ever reach the 404 branch of the item routes: create a few real objects through
# the API (the seed's group body, sample partners, campaigns, referrals and commissions: a
# FirstPromoter sale per referral and a custom one; and a sale event per referral) and have
# schemathesis use their ids half of the time, in paths, queries and the bodies that name them
# (a sale event's referral_id, a refund event's sale_event_id). The first sale of each partner
# is approved here and a payout run made of them, so the payout routes get real payout ids and
# the list's period filter this month; denying an approved commission is a 409 every time, so the
# deny routes draw from commissions of their own, still pending. Marking a payout paid or failed
# settles it for good (the other outcome is then a 409), so each draws from payouts of its own.
# The Stripe webhook route gets the account's id half of the time; schemathesis cannot sign, so
# it answers 400 (or 404 for another id), both documented.
# The account group: DELETE /api_keys/{apiKeyId}.json draws its ids from three throwaway keys
# created here, so the run never deletes the key it runs with (that id is in no dictionary, and
# a random id cannot name it); POST /api_keys.json only ever adds keys. PUT /account.json may
# change the account's settings mid-run, and every other route answers what that changes with a
# documented 4xx: an amount the new currency cannot hold is a 422, and a replaced or removed
# webhook secret a 400, which unsigned deliveries get anyway.
config="$logs/schemathesis.toml"
"$PYTHON" - "$base" "$KEY" "$ACCOUNT_ID" "$config" <<'PY'
import json, sys, urllib.request

base, key, account, config = sys.argv[1:]

def create(collection, wrapper, body):
    request = urllib.request.Request(
        f"{base}/2026-02-01/{collection}.json", data=json.dumps({wrapper: body}).encode(),
        method="POST", headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 201, response.status
        answer = json.load(response)
        return (answer.get(wrapper) or answer["group"])["id"]

def record_sale(event):
    request = urllib.request.Request(
        f"{base}/2026-02-01/events/sale.json", data=json.dumps({"event": event}).encode(),
        method="POST", headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.load(response)
        assert response.status == 201 and answer["event"]["outcome"] == "recorded", answer
        return answer["event"]["event_id"]

ids = {"groups": [], "partners": [], "campaigns": [], "referrals": [], "commissions": [],
       "pending_commissions": [], "sale_events": [], "accounts": [account], "api_keys": []}
for n in range(3):
    ids["groups"].append(create("partners/groups", "partnerGroup", {
        "name": f"Performance Agencies {n}", "description": "Tier for high-volume agencies",
        "external_id": f"P-GROUP-PERF-{n}", "tags": "managed,performance", "default": False,
        "rules": [{"type": "new_customer_time_tier", "max_months": 6, "percentage": 30},
                  {"type": "recurring", "percentage": 12}]}))
    ids["campaigns"].append(create("campaigns", "campaign", {
        "name": f"Launch {n}", "commission_type": "percentage", "commission_amount": 20,
        "limit_type": "months", "limit_amount": 12}))
    ids["partners"].append(create("partners", "partner", {
        "email": f"partner{n}@example.com",
        "links": [{"url": f"https://example.com/?via=p{n}", "code": f"p{n}"}]}))
    ids["referrals"].append(create("referrals", "referral", {
        "email": f"customer{n}@example.org", "code": f"p{n}"}))
    ids["commissions"].append(create("commissions", "commission", {
        "commission_type": "sale", "referral_id": ids["referrals"][n], "sale_amount": 299.9,
        "event_id": f"evt_seed_{n}"}))
    ids["pending_commissions"].append(create("commissions", "commission", {
        "commission_type": "sale", "referral_id": ids["referrals"][n], "sale_amount": 49.5,
        "event_id": f"evt_seed_deny_{n}"}))
    ids["sale_events"].append(record_sale({
        "event_id": f"sale_seed_{n}", "referral_id": ids["referrals"][n], "amount": 299.9}))
    ids["api_keys"].append(create("api_keys", "apiKey", {
        "name": f"Throwaway {n}", "scopes": ["partners:read"]}))
ids["commissions"].append(create("commissions", "commission", {
    "commission_type": "custom", "partner_id": ids["partners"][0], "amount": 25}))

def call(method, path, expect):
    request = urllib.request.Request(f"{base}/2026-02-01/{path}", method=method,
                                     headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.load(response)
        assert response.status == expect, (path, response.status, answer)
        return answer

# Each partner's first sale (299.9 at 20 % or more: over the account's min_payout of 50) is
# approved by hand, whatever the hold days; the run pays each into a payout of its own.
for commission in ids["commissions"][:3]:
    call("POST", f"commissions/{commission}/approve.json", 200)
run = call("POST", "payouts/run.json", 200)["payoutRun"]
assert (run["payouts"], run["complete"]) == (3, True), run
ids["payouts"] = [p["id"] for p in call("GET", "payouts.json", 200)["elements"]]
assert len(ids["payouts"]) == 3, ids["payouts"]
ids["paying_payouts"], ids["failing_payouts"] = ids["payouts"][:2], ids["payouts"][2:]
ids["periods"] = [run["period"]]
with open(config, "w") as f:
    f.write("# Written by infra/local/schemathesis.sh for one run.\n")
    for name, values in ids.items():
        f.write(f"[dictionaries.{name}]\nvalues = {json.dumps(values)}\n\n")
    f.write("[parameters]\n")
    for parameter, name in [("path.groupId", "groups"), ("path.partnerId", "partners"),
                            ("path.campaignId", "campaigns"), ("path.referralId", "referrals"),
                            ("path.commissionId", "commissions"), ("query.partner_id", "partners"),
                            ("query.referral_id", "referrals"), ("body.ids[*]", "commissions"),
                            ("body.commission.referral_id", "referrals"),
                            ("body.commission.partner_id", "partners"),
                            ("body.event.referral_id", "referrals"),
                            ("body.event.sale_event_id", "sale_events"),
                            ("path.accountId", "accounts"), ("path.payoutId", "payouts"),
                            ("path.apiKeyId", "api_keys"),
                            ("query.period", "periods")]:
        f.write(f'"{parameter}" = {{ dictionary = "{name}", probability = 0.5 }}\n')
    for operation, parameters, name in [
            ("POST /2026-02-01/commissions/{commissionId}/deny.json", ["path.commissionId"],
             "pending_commissions"),
            ("POST /2026-02-01/commissions/deny.json", ["body.ids[*]"], "pending_commissions"),
            ("POST /2026-02-01/payouts/{payoutId}/paid.json", ["path.payoutId"], "paying_payouts"),
            ("POST /2026-02-01/payouts/{payoutId}/failed.json", ["path.payoutId"],
             "failing_payouts")]:
        f.write(f'\n[[operations]]\ninclude-name = "{operation}"\n[operations.parameters]\n')
        for parameter in parameters:
            f.write(f'"{parameter}" = {{ dictionary = "{name}", probability = 0.5 }}\n')
PY

# The document is read once, from a file: the local API Gateway stand-in answers about 1 in 100
# requests for the ~90 KB document with a 500 of its own (the function answered 200), so the
# download is retried rather than left to schemathesis.
spec="$logs/schemathesis-openapi.json"
python - "$base/2026-02-01/openapi.json" "$spec" <<'PY'
import sys, time, urllib.request
url, path = sys.argv[1:]
for attempt in range(5):
    try:
        with urllib.request.urlopen(url, timeout=30) as response, open(path, "wb") as out:
            out.write(response.read())
        break
    except OSError as error:
        if attempt == 4:
            raise
        print(f"openapi.json: {error}; retrying", file=sys.stderr)
        time.sleep(1)
PY
log "schemathesis against $base/2026-02-01/openapi.json (saved as ${spec#"$REPO_ROOT"/})"
# - checks: the three CI requires (the others, like negative_data_rejection, are run by hand:
#   `make run` and `st run http://127.0.0.1:9000/2026-02-01/openapi.json --checks all ...`);
# - --generation-deterministic: the same test cases every run (and no example database);
# - --max-examples per operation and --request-timeout bound the time (and `timeout`, should
#   anything hang); one worker (each function runs one invocation at a time anyway).
# The hooks drop two failures that are the local API Gateway stand-in's, not the API's: see the file.
SCHEMATHESIS_HOOKS="$LOCAL_SCRIPTS/schemathesis_hooks.py" timeout --foreground 1200 \
  st --config-file "$config" run \
  "$spec" \
  --url "$base" \
  --header "Authorization: Bearer $KEY" \
  --checks not_a_server_error,response_schema_conformance,ignored_auth \
  --max-examples "${ST_MAX_EXAMPLES:-25}" \
  --generation-deterministic \
  --request-timeout 30 \
  --workers 1 \
  --no-color \
  --report junit --report-junit-path "$logs/schemathesis-junit.xml"
