#!/usr/bin/env bash
# The README's SaaS walkthrough as one script: run it against a server started with `make run`.
#   MONK_KEY=mk_live_… bash docs/walkthrough.sh
# Plans Free ($0.10 per API call) and Pro ($50 monthly fee + $0.08 per call) on a COUNT meter
# API_CALL listening to `call_count`; Alice (Free) and Bob (Pro) start this month and make calls;
# their upcoming invoices show the usage, to the cent, within seconds. Needs curl and jq.
set -euo pipefail
B=${MONK_URL:-http://127.0.0.1:8080}
H="Authorization: Bearer ${MONK_KEY:?set MONK_KEY to a key printed by make run}"
J="Content-Type: application/json"
post() { curl -sf -X POST "$B$1" -H "$H" -H "$J" -d "$2"; }
START=$(date -u +%Y-%m-01)

METER=$(post /v1/meters '{"code":"API_CALL","displayName":"API Calls","aggregationType":"COUNT",
  "eventTypeFilter":{"include":["call_count"]}}' | jq -r .data.id)
FREE_CALLS=$(post /v1/pricing "{\"productName\":\"API Calls\",\"name\":\"API Calls (Free)\",\"model\":\"USAGE\",
  \"billingMode\":\"RECURRING\",\"unitAmount\":\"0.10\",\"meterId\":\"$METER\"}" | jq -r .data.id)
PRO_FEE=$(post /v1/pricing '{"productName":"Pro Platform","name":"Pro Platform Fee","model":"FLAT",
  "billingMode":"RECURRING","unitAmount":"50.00","priceInterval":"MONTH","priceIntervalCount":1}' | jq -r .data.id)
PRO_CALLS=$(post /v1/pricing "{\"productName\":\"API Calls\",\"name\":\"API Calls (Pro)\",\"model\":\"USAGE\",
  \"billingMode\":\"RECURRING\",\"unitAmount\":\"0.08\",\"meterId\":\"$METER\"}" | jq -r .data.id)
FREE=$(post /v1/plans "{\"name\":\"Free\",\"planCode\":\"free\",\"billingFrequency\":\"MONTHLY\",
  \"pricingIds\":[\"$FREE_CALLS\"]}" | jq -r .data.id)
PRO=$(post /v1/plans "{\"name\":\"Pro\",\"planCode\":\"pro\",\"billingFrequency\":\"MONTHLY\",
  \"pricingIds\":[\"$PRO_FEE\",\"$PRO_CALLS\"]}" | jq -r .data.id)
ALICE=$(post /v1/customers '{"name":"Alice Apps","externalCustomerId":"alice",
  "contacts":[{"email":"billing@alice.example","roles":["accounts_payable"]}]}' | jq -r .data.id)
BOB=$(post /v1/customers '{"name":"Bob Builds","externalCustomerId":"bob",
  "contacts":[{"email":"billing@bob.example","roles":["accounts_payable"]}]}' | jq -r .data.id)
post /v1/contracts "{\"customerId\":\"$ALICE\",\"planId\":\"$FREE\",\"startDate\":\"$START\"}" | jq -c '.data | {id, name, startDate, isActive}'
post /v1/contracts "{\"customerId\":\"$BOB\",\"planId\":\"$PRO\",\"startDate\":\"$START\"}" | jq -c '.data | {id, name, startDate, isActive}'

# Alice makes 120 calls and Bob 1,000, sent as batches; one call is sent alone.
post /v1/events/batch "$(jq -nc '{events: [range(120) | {eventName: "call_count", externalCustomerId: "alice", idempotencyKey: "alice-\(.)"}]}')" | jq -c '{status, count}'
post /v1/events/batch "$(jq -nc '{events: [range(999) | {eventName: "call_count", externalCustomerId: "bob", idempotencyKey: "bob-\(.)"}]}')" | jq -c '{status, count}'
post /v1/events '{"eventName":"call_count","externalCustomerId":"bob","idempotencyKey":"bob-999"}' | jq -c '{status, idempotencyKey}'
sleep 2

for C in "$ALICE" "$BOB"; do
  curl -sf "$B/v1/customers/$C/upcoming-invoice" -H "$H" \
    | jq -c '.data | {invoiceDate, totalCents, lineItems: [.lineItems[] | {name, quantity, unitPrice, totalAmountCents}]}'
done
