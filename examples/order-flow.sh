#!/usr/bin/env bash
# The whole B2B exchange against a running gateway, as a chain and the hub
# would script it with curl: place (EDI 850), acknowledge (855), ship in two
# parts (856), deliver (proof of delivery), and read it all back.
#
#   examples/order-flow.sh                      # against http://127.0.0.1:8080, tokens from `cargo run -- token`
#   OCOP_URL=http://host:port OCOP_BIN=path/to/ocop-gateway examples/order-flow.sh
#
# It stops at the first answer that carries an error (CI runs it).
set -euo pipefail

URL="${OCOP_URL:-http://127.0.0.1:8080}/graphql"
if [ -n "${OCOP_BIN:-}" ]; then token() { "$OCOP_BIN" token "$@"; }
else token() { cargo run -q -- token "$@"; }; fi

AEON=$(token --partner aeon-vn --scopes catalog:read,inventory:read,orders:read,orders:write --ttl 10m)
HUB=$(token --partner hanoi-ocop-hub --scopes catalog:read,orders:read,fulfillment:write --ttl 10m)

# gql TOKEN QUERY [VARIABLES]: posts one document, prints the data, fails on errors.
gql() {
  local body
  body=$(python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1], "variables": json.loads(sys.argv[2])}))' "$2" "${3:-{\}}")
  curl -sS "$URL" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' -d "$body" |
    python3 -c 'import json,sys; r=json.load(sys.stdin); e=r.get("errors"); print(json.dumps(r.get("data"), ensure_ascii=False)); sys.exit(f"errors: {e}" if e else 0)'
}
# pick JSON PATH: reads one value from the JSON on stdin ("a.0.b").
pick() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[int(k)] if k.isdigit() else v[k]
print(v)' "$1"; }

echo "# your stores, and what you pay for a product"
SEEN=$(gql "$AEON" '{ viewer { partner { stores { id code } } }
  sauce: productBySku(sku: "BL-MAM-40N") { id offer { unitPrice minimumQuantity quantityIncrement } available }
  vases: products(first: 1, filter: { category: HANDICRAFTS_SOUVENIRS, inStock: true }) { nodes { id sku minOrderQuantity } } }')
echo "$SEEN"
STORE=$(echo "$SEEN" | pick viewer.partner.stores.0.id)
SAUCE=$(echo "$SEEN" | pick sauce.id)
SAUCE_QTY=$(echo "$SEEN" | pick sauce.offer.minimumQuantity)
VASE=$(echo "$SEEN" | pick vases.nodes.0.id)
VASE_MIN=$(echo "$SEEN" | pick vases.nodes.0.minOrderQuantity)
VASE_QTY=$((VASE_MIN * 2))
DAY=$(python3 -c 'import datetime; print(datetime.date.today() + datetime.timedelta(days=3))')
KEY="order-flow-$(date +%s)-$$"

echo "# 1. place (EDI 850): the same body again replays the same order"
PLACE='mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { replayed order { id lines { id quantity product { id sku } } } } }'
VARS=$(printf '{"i":{"idempotencyKey":"%s","buyerReference":"PO-%s","storeId":"%s","requestedDeliveryDate":"%s","lines":[{"productId":"%s","quantity":%s},{"productId":"%s","quantity":%s}]}}' \
  "$KEY" "$KEY" "$STORE" "$DAY" "$SAUCE" "$SAUCE_QTY" "$VASE" "$VASE_QTY")
PLACED=$(gql "$AEON" "$PLACE" "$VARS")
echo "$PLACED"
[ "$(gql "$AEON" "$PLACE" "$VARS" | pick placeOrder.replayed)" = "True" ] || { echo "a resent order was not replayed" >&2; exit 1; }
ORDER=$(echo "$PLACED" | pick placeOrder.order.id)
line_of() { echo "$PLACED" | python3 -c 'import json,sys
for l in json.load(sys.stdin)["placeOrder"]["order"]["lines"]:
    if l["product"]["id"] == sys.argv[1]: print(l["id"])' "$1"; }
SAUCE_LINE=$(line_of "$SAUCE")
VASE_LINE=$(line_of "$VASE")

echo "# 2. acknowledge (EDI 855): half the vases, the fish sauce whole; the rest is released at once"
gql "$HUB" 'mutation($id: ID!, $l: ID!, $n: Int!, $d: Date!) { confirmOrder(id: $id, input: { promisedShipDate: $d,
  lines: [{ lineId: $l, acceptedQuantity: $n, reason: "only half the vases glazed" }] }) { status lines { status acceptedQuantity } } }' \
  "{\"id\":\"$ORDER\",\"l\":\"$VASE_LINE\",\"n\":$VASE_MIN,\"d\":\"$DAY\"}"

echo "# 3. ship in two parts (EDI 856): SSCC-labelled packages; food carries a lot and an expiry date"
# sscc: 18 digits, the last a GS1 check digit (a random serial, for the demo)
sscc() { python3 -c 'import random
d = "0893456" + "".join(random.choice("0123456789") for _ in range(10))
s = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(d)))
print(d + str((10 - s % 10) % 10))'; }
SHIP='mutation($id: ID!, $in: ShipOrderInput!) { shipOrder(id: $id, input: $in) { status } }'
gql "$HUB" "$SHIP" "{\"id\":\"$ORDER\",\"in\":{\"carrier\":\"Viettel Post\",\"trackingReference\":\"VTP-1\",
  \"packages\":[{\"sscc\":\"$(sscc)\",\"lines\":[{\"lineId\":\"$SAUCE_LINE\",\"quantity\":$SAUCE_QTY,\"lotNumber\":\"BL-2611-07\",\"expiryDate\":\"2027-06-11\"}]}]}}"
gql "$HUB" "$SHIP" "{\"id\":\"$ORDER\",\"in\":{\"carrier\":\"Viettel Post\",\"trackingReference\":\"VTP-2\",
  \"packages\":[{\"sscc\":\"$(sscc)\",\"lines\":[{\"lineId\":\"$VASE_LINE\",\"quantity\":$VASE_MIN}]}]}}"

echo "# 4. deliver (proof of delivery): one bottle short; the shortfall is kept on the line"
gql "$HUB" 'mutation($id: ID!, $l: ID!, $n: Int!) { deliverOrder(id: $id, input: { lines: [{ lineId: $l, receivedQuantity: $n }] }) { status } }' \
  "{\"id\":\"$ORDER\",\"l\":\"$SAUCE_LINE\",\"n\":$((SAUCE_QTY - 1))}"

echo "# the chain sees all of it"
FINAL=$(gql "$AEON" 'query($id: ID!) { order(id: $id) { status lines { status quantity acceptedQuantity shippedQuantity deliveredQuantity }
  shipments { carrier trackingReference packages { sscc lines { quantity lotNumber expiryDate } } } statusHistory { toStatus reason } } }' \
  "{\"id\":\"$ORDER\"}")
echo "$FINAL"
[ "$(echo "$FINAL" | pick order.status)" = "DELIVERED" ] || { echo "the order did not reach DELIVERED" >&2; exit 1; }
echo "order-flow: ok"
