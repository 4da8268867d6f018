#!/usr/bin/env bash
# The README's SaaS walkthrough as one script: run it against a server started with `make run`.
#   MONK_KEY=mk_live_… bash docs/walkthrough.sh
# Plans Free ($0.10 per API call) and Pro ($50 monthly fee + $0.08 per call) on a COUNT meter
# API_CALL listening to `call_count`; Alice (Free) and Bob (Pro) start this month and make calls;
# their upcoming invoices show the usage, to the cent, within seconds. Needs curl and jq.
#
# It can run again on the same database: the meter, plans, customers and contracts made by an
# earlier run are found (by code, plan code and external id) and reused, and each run sends its
# events with its own idempotency keys (so each run adds 120 and 1,000 calls). Any request that
# fails stops the script with its method, path, HTTP status and body.
set -euo pipefail
shopt -s inherit_errexit
B=${MONK_URL:-http://127.0.0.1:8080}
H="Authorization: Bearer ${MONK_KEY:?set MONK_KEY to a key printed by make run}"
J="Content-Type: application/json"
for tool in curl jq; do command -v "$tool" >/dev/null || { echo "error: $tool is required" >&2; exit 1; }; done
START=$(date -u +%Y-%m-01)   # the first of this month
RUN=$(date -u +%Y%m%dT%H%M%S)-$$

# call METHOD PATH [BODY]: the response body on stdout; exits 1 unless the status is 2xx.
call() {
  local out status
  out=$(mktemp)
  status=$(curl -sS -o "$out" -w '%{http_code}' -X "$1" "$B$2" -H "$H" -H "$J" ${3:+-d "$3"}) || {
    rm -f "$out"; echo "error: $1 $2: cannot reach $B" >&2; exit 1; }
  if [[ $status != 2* ]]; then
    echo "error: $1 $2 -> HTTP $status: $(cat "$out")" >&2
    rm -f "$out"; exit 1
  fi
  cat "$out"; rm -f "$out"
}

# first_id PATH JQ_SELECT: the id of the first item of the list at PATH (all pages) that JQ_SELECT keeps.
first_id() {
  local offset=0 page id sep='?'
  [[ $1 == *\?* ]] && sep='&'
  while :; do
    page=$(call GET "$1${sep}limit=100&offset=$offset")
    id=$(jq -r "[.data[] | select($2)][0].id // empty" <<<"$page")
    if [[ -n $id ]]; then echo "$id"; return; fi
    [[ $(jq -r .hasMore <<<"$page") == true ]] || return 0
    offset=$((offset + 100))
  done
}

METER=$(first_id "/v1/meters?status=active" '.code == "API_CALL"')
if [[ -z $METER ]]; then
  METER=$(call POST /v1/meters '{"code":"API_CALL","displayName":"API Calls","aggregationType":"COUNT",
    "eventTypeFilter":{"include":["call_count"]}}' | jq -r .data.id)
fi

FREE=$(first_id /v1/plans '.planCode == "free"')
if [[ -z $FREE ]]; then
  FREE_CALLS=$(call POST /v1/pricing "{\"productName\":\"API Calls\",\"name\":\"API Calls (Free)\",\"model\":\"USAGE\",
    \"billingMode\":\"RECURRING\",\"unitAmount\":\"0.10\",\"meterId\":\"$METER\"}" | jq -r .data.id)
  FREE=$(call POST /v1/plans "{\"name\":\"Free\",\"planCode\":\"free\",\"billingFrequency\":\"MONTHLY\",
    \"pricingIds\":[\"$FREE_CALLS\"]}" | jq -r .data.id)
fi
PRO=$(first_id /v1/plans '.planCode == "pro"')
if [[ -z $PRO ]]; then
  PRO_FEE=$(call POST /v1/pricing '{"productName":"Pro Platform","name":"Pro Platform Fee","model":"FLAT",
    "billingMode":"RECURRING","unitAmount":"50.00","priceInterval":"MONTH","priceIntervalCount":1}' | jq -r .data.id)
  PRO_CALLS=$(call POST /v1/pricing "{\"productName\":\"API Calls\",\"name\":\"API Calls (Pro)\",\"model\":\"USAGE\",
    \"billingMode\":\"RECURRING\",\"unitAmount\":\"0.08\",\"meterId\":\"$METER\"}" | jq -r .data.id)
  PRO=$(call POST /v1/plans "{\"name\":\"Pro\",\"planCode\":\"pro\",\"billingFrequency\":\"MONTHLY\",
    \"pricingIds\":[\"$PRO_FEE\",\"$PRO_CALLS\"]}" | jq -r .data.id)
fi

# customer EXTERNAL_ID NAME: the customer's id, created when missing.
customer() {
  local id
  id=$(call GET "/v1/customers?externalCustomerId=$1" | jq -r '.data[0].id // empty')
  if [[ -z $id ]]; then
    id=$(call POST /v1/customers "{\"name\":\"$2\",\"externalCustomerId\":\"$1\",
      \"contacts\":[{\"email\":\"billing@$1.example\",\"roles\":[\"accounts_payable\"]}]}" | jq -r .data.id)
  fi
  echo "$id"
}
ALICE=$(customer alice "Alice Apps")
BOB=$(customer bob "Bob Builds")

# subscribe CUSTOMER PLAN: the customer's active contract on PLAN, created (from $START) when missing.
subscribe() {
  local found
  found=$(call GET "/v1/contracts?customerId=$1&planId=$2&isActive=true" | jq -c '.data[0] // empty')
  if [[ -z $found ]]; then
    found=$(call POST /v1/contracts "{\"customerId\":\"$1\",\"planId\":\"$2\",\"startDate\":\"$START\"}" | jq -c .data)
  fi
  jq -c '{id, name, startDate, isActive}' <<<"$found"
}
subscribe "$ALICE" "$FREE"
subscribe "$BOB" "$PRO"

# Alice makes 120 calls and Bob 1,000, sent as batches; one call is sent alone.
call POST /v1/events/batch "$(jq -nc --arg run "$RUN" \
  '{events: [range(120) | {eventName: "call_count", externalCustomerId: "alice", idempotencyKey: "alice-\($run)-\(.)"}]}')" \
  | jq -c '{status, count}'
call POST /v1/events/batch "$(jq -nc --arg run "$RUN" \
  '{events: [range(999) | {eventName: "call_count", externalCustomerId: "bob", idempotencyKey: "bob-\($run)-\(.)"}]}')" \
  | jq -c '{status, count}'
call POST /v1/events "{\"eventName\":\"call_count\",\"externalCustomerId\":\"bob\",\"idempotencyKey\":\"bob-$RUN-999\"}" \
  | jq -c '{status, idempotencyKey}'
sleep 2

for C in "$ALICE" "$BOB"; do
  call GET "/v1/customers/$C/upcoming-invoice" \
    | jq -c '.data | {invoiceDate, totalCents, lineItems: [.lineItems[] | {name, quantity, unitPrice, totalAmountCents}]}'
done
