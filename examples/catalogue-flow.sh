#!/usr/bin/env bash
# A product's way into the chains against a running gateway, with curl:
# the hub onboards a producer; the producer creates a draft, uploads a
# photo, reads what is missing, completes the label and submits it;
# another producer can neither see nor touch it; the hub approves it; a
# chain finds it and orders it.
#
#   examples/catalogue-flow.sh                  # against http://127.0.0.1:8080, tokens from `cargo run -- token`
#   OCOP_URL=http://host:port OCOP_BIN=path/to/ocop-gateway examples/catalogue-flow.sh
#
# It stops at the first answer that is not what it should be (CI runs it).
set -euo pipefail

BASE="${OCOP_URL:-http://127.0.0.1:8080}"
URL="$BASE/graphql"
if [ -n "${OCOP_BIN:-}" ]; then token() { "$OCOP_BIN" token "$@"; }
else token() { cargo run -q -- token "$@"; }; fi

RUN="$(date +%s)$$"
HUB=$(token --partner hanoi-ocop-hub --scopes catalog:read,catalog:write,inventory:write,partners:admin --ttl 10m)
WINMART=$(token --partner winmart --scopes catalog:read,orders:read,orders:write --ttl 10m)

# gql TOKEN QUERY [VARIABLES]: posts one document, prints the data, fails on errors.
gql() {
  local body
  body=$(python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1], "variables": json.loads(sys.argv[2])}))' "$2" "${3:-{\}}")
  curl -sS "$URL" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' -d "$body" |
    python3 -c 'import json,sys; r=json.load(sys.stdin); e=r.get("errors"); print(json.dumps(r.get("data"), ensure_ascii=False)); sys.exit(f"errors: {e}" if e else 0)'
}
# refused CODE TOKEN QUERY [VARIABLES]: the answer must be an error with CODE.
refused() {
  local body
  body=$(python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1], "variables": json.loads(sys.argv[2])}))' "$3" "${4:-{\}}")
  curl -sS "$URL" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "$body" |
    python3 -c 'import json,sys; r=json.load(sys.stdin); c=[e["extensions"]["code"] for e in r.get("errors", [])]
print(c); sys.exit(0 if sys.argv[1] in c else f"expected {sys.argv[1]}, got {r}")' "$1"
}
pick() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[int(k)] if k.isdigit() else v[k]
print(v)' "$1"; }

# onboard CODE NAME: the hub creates a producer and its PRODUCER partner.
onboard() {
  local made
  made=$(gql "$HUB" 'mutation($p: CreateProducerInput!) { createProducer(input: $p) { id } }' \
    "{\"p\":{\"code\":\"$1\",\"name\":\"$2\",\"kind\":\"COOPERATIVE\",\"commune\":\"Tân Cương\",\"district\":\"TP Thái Nguyên\",\"province\":\"Thái Nguyên\",\"address\":\"Xóm 5\"}}")
  local producer
  producer=$(echo "$made" | pick createProducer.id)
  gql "$HUB" 'mutation($i: CreatePartnerInput!) { createPartner(input: $i) { code kind } }' \
    "{\"i\":{\"code\":\"$(echo "$1" | tr 'A-Z' 'a-z')\",\"name\":\"$2\",\"kind\":\"PRODUCER\",\"producerId\":\"$producer\",\"grants\":[\"catalog:read\",\"catalog:write\"]}}" >/dev/null
  echo "$producer"
}

echo "# 1. the hub onboards two producers"
TEA=$(onboard "HTX-TEA-$RUN" "HTX Chè Tân Cương")
onboard "HTX-RIVAL-$RUN" "HTX Chè Đại Từ" >/dev/null
PRODUCER=$(token --partner "htx-tea-$RUN" --scopes catalog:read,catalog:write --ttl 10m)
RIVAL=$(token --partner "htx-rival-$RUN" --scopes catalog:read,catalog:write --ttl 10m)

echo "# 2. the producer creates a draft"
SKU="TEA-$RUN"
CREATED=$(gql "$PRODUCER" 'mutation($i: CreateProductInput!) { createProduct(input: $i) { id status version } }' \
  "{\"i\":{\"producerId\":\"$TEA\",\"sku\":\"$SKU\",\"nameVi\":\"Chè Tân Cương đặc biệt\",\"nameEn\":\"Tan Cuong special tea\",\"category\":\"BEVERAGES\",\"unit\":\"hộp\",\"packSize\":20,\"wholesalePrice\":95000,\"minOrderQuantity\":20}}")
echo "$CREATED"
PRODUCT=$(echo "$CREATED" | pick createProduct.id)

echo "# 3. a photo: the file is the body; the gateway keeps it and a phone copy"
PHOTO=$(mktemp)
python3 - "$PHOTO" <<'PY'
import struct, sys, zlib
w, h = 960, 720
rows = b"".join(b"\0" + bytes(v for x in range(w) for v in (x * 255 // w, y * 255 // h, 90)) for y in range(h))
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
UPLOADED=$(curl -sS -X POST "$BASE/media" -H "Authorization: Bearer $PRODUCER" --data-binary "@$PHOTO")
rm -f "$PHOTO"
echo "$UPLOADED"
MEDIA=$(echo "$UPLOADED" | pick id)
[ "$(curl -s -o /dev/null -w '%{content_type}' "$BASE$(echo "$UPLOADED" | pick phoneUrl)")" = "image/jpeg" ] ||
  { echo "no phone copy" >&2; exit 1; }
gql "$PRODUCER" 'mutation($p: ID!, $m: String!) { addProductImage(productId: $p, mediaId: $m, alt: "Hộp chè 200 g", role: FRONT) { version } }' \
  "{\"p\":\"$PRODUCT\",\"m\":\"$MEDIA\"}"

echo "# 4. what is missing, in sentences a producer understands; submitting now is refused"
gql "$PRODUCER" 'query($p: ID!) { product(id: $p) { completeness { score ready missing { field message } } } }' "{\"p\":\"$PRODUCT\"}"
refused BAD_USER_INPUT "$PRODUCER" 'mutation($p: ID!) { submitProduct(id: $p) { status } }' "{\"p\":\"$PRODUCT\"}"

echo "# 5. another producer cannot see or touch it: NOT_FOUND, as a missing product"
refused NOT_FOUND "$RIVAL" 'query($p: ID!) { product(id: $p) { id } }' "{\"p\":\"$PRODUCT\"}"
refused NOT_FOUND "$RIVAL" 'mutation($p: ID!) { updateProduct(id: $p, expectedVersion: 2, input: { nameEn: "taken" }) { id } }' "{\"p\":\"$PRODUCT\"}"

echo "# 6. the label completed (against the version read), the certificate recorded, submitted"
gql "$PRODUCER" 'mutation($p: ID!) { updateProduct(id: $p, expectedVersion: 2, input: { netContent: { value: 200, unit: G },
  shelfLifeDays: 540, ingredients: "Chè búp Tân Cương", storage: "Nơi khô ráo, tránh ánh nắng", usage: "Hãm với nước 85°C" }) { version } }' \
  "{\"p\":\"$PRODUCT\"}"
ISSUED=$(python3 -c 'import datetime; print(datetime.date.today() - datetime.timedelta(days=30))')
EXPIRES=$(python3 -c 'import datetime; print(datetime.date.today() + datetime.timedelta(days=900))')
gql "$HUB" 'mutation($p: ID!, $i: Date!, $e: Date!) { recordCertificate(productId: $p, input: { number: "TN-OCOP-2026-0108", stars: 4, issuedOn: $i, expiresOn: $e }) { status } }' \
  "{\"p\":\"$PRODUCT\",\"i\":\"$ISSUED\",\"e\":\"$EXPIRES\"}"
gql "$PRODUCER" 'mutation($p: ID!) { submitProduct(id: $p) { status } }' "{\"p\":\"$PRODUCT\"}"

echo "# 7. a chain does not see it in review; the hub approves it and stocks it"
refused NOT_FOUND "$WINMART" 'query($p: ID!) { product(id: $p) { id } }' "{\"p\":\"$PRODUCT\"}"
gql "$HUB" 'mutation($p: ID!) { reviewProduct(id: $p, decision: APPROVE) { status } }' "{\"p\":\"$PRODUCT\"}"
LOCATION=$(gql "$HUB" '{ locations { id } }' | pick locations.0.id)
gql "$HUB" 'mutation($p: ID!, $l: ID!) { receiveStock(input: { productId: $p, locationId: $l, quantity: 200 }) { onHand } }' \
  "{\"p\":\"$PRODUCT\",\"l\":\"$LOCATION\"}"

echo "# 8. the chain finds it (accents optional) and orders it"
FOUND=$(gql "$WINMART" '{ viewer { partner { stores { id } } } products(first: 1, filter: { search: "che tan cuong dac biet", ready: true }) { nodes { id sku } } }')
echo "$FOUND"
[ "$(echo "$FOUND" | pick products.nodes.0.id)" = "$PRODUCT" ] || { echo "the chain did not find it" >&2; exit 1; }
STORE=$(echo "$FOUND" | pick viewer.partner.stores.0.id)
DAY=$(python3 -c 'import datetime; print(datetime.date.today() + datetime.timedelta(days=3))')
gql "$WINMART" 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id status total } } }' \
  "{\"i\":{\"idempotencyKey\":\"tea-$RUN\",\"buyerReference\":\"PO-TEA-$RUN\",\"storeId\":\"$STORE\",\"requestedDeliveryDate\":\"$DAY\",\"lines\":[{\"productId\":\"$PRODUCT\",\"quantity\":40}]}}"
echo "# done: $SKU went from a producer's draft to a chain's order"
