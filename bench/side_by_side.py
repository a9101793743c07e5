#!/usr/bin/env python3
"""ocop-gateway and PostGraphile 4.14.1 side by side (BENCHMARKS.md).

Same PostgreSQL, same national dataset, same machine, same run: for each
round and workload the gateway runs, then PostGraphile, each under wrk
(64 connections, 2 threads) after a warm-up. For each run it records
requests/s, p50/p99, errors, and the CPU the server spent (its whole
process tree, from /proc) and PostgreSQL spent (every postgres process,
including backends that ended), per request.

Workloads (the issue's definitions):
  W1     products(first: 50, filter: { category: FOOD }) with sku nameVi
         wholesalePrice producer { name province } available
  W2     product(id) { available stock { location { code } available } }
         (120 locations), a random product of all
  W2C    W2 as a poller does it over GET: each of 500 products polled again
         with If-None-Match (gateway only; 304 while nothing changed)
  FLOOR  W2's SQL behind a bare axum handler (gateway only)

Mixed workloads (the reads of a chain network while the hub works): the
same reads while a second gateway replica on the same PostgreSQL commits
WRITE_RATE (20) writes a second, in turn a placed order, a stock receipt
and an acknowledgement, over the products read (the 500 polled and the
page's). The read server hears each commit (NOTIFY): only what a write
touched is computed again.
  M1     W1 under the write stream
  M2     single-product polls (POST) from 10 chains, each polling 100 of
         the 500 products, under the write stream
  M2C    W2C under the write stream (gateway only)
PostGraphile serves the same reads under the same write stream (the
writes still go through the gateway replica). The write stream's own
PostgreSQL work is in every row's PostgreSQL CPU.

With BASELINE_GW (another build of the gateway, e.g. the previous head)
and BASELINE_PG_URL (its own database, seeded by it), W1 and W2 also run
on that build in the same rounds, as server "baseline": one run compares
a change with what it changed. PostGraphile is left out when
SKIP_POSTGRAPHILE=1.

Run by bench/vs-postgraphile, which builds and installs what is needed.
"""

import base64
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cpu import all_stats, postgres_ticks, tree_ticks  # noqa: E402

GW = os.environ["GW"]
PG_URL = os.environ["PG_URL"]
BENCH_DIR = os.environ["BENCH_DIR"]
PGRAPHILE = os.environ["PGRAPHILE_DIR"]
DURATION = os.environ.get("DURATION", "15s")
CONNS = os.environ.get("CONNS", "64")
ROUNDS = int(os.environ.get("ROUNDS", "1"))
WORKLOADS = sys.argv[1:] or ["W1", "W2", "W2C", "FLOOR"]
OUR_PORT, PG_PORT, WRITER_PORT = 18080, 18090, 18085
WRITE_RATE = float(os.environ.get("WRITE_RATE", "20"))
CHAINS = [f"chain-{i:03d}" for i in range(1, 11)]
from cpu import TICK_MS  # noqa: E402
LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wrk", "requests.lua")

W1_OURS = ("{ products(first: 50, filter: { category: FOOD }) { nodes { sku nameVi "
           "wholesalePrice producer { name province } available } } }")
W1_PG = ("{ products(first: 50, condition: { category: \"food\" }) { nodes { sku nameVi "
         "wholesalePriceVnd producer { name province } available } } }")
W2_OURS = ("query($id: ID!) { product(id: $id) { id available "
           "stock { location { code } available } } }")
W2_PG = ("query($id: BigInt!) { product(id: $id) { id available "
         "inventoryLevels { nodes { location { code } available } } } }")

SQL_FUNCTIONS = """
CREATE OR REPLACE FUNCTION product_available(p product) RETURNS bigint
  LANGUAGE sql STABLE AS
  $$ SELECT coalesce(sum(on_hand - reserved), 0)::bigint FROM inventory_level WHERE product_id = p.id $$;
CREATE OR REPLACE FUNCTION inventory_level_available(l inventory_level) RETURNS bigint
  LANGUAGE sql STABLE AS $$ SELECT (l.on_hand - l.reserved)::bigint $$;
"""


def psql(sql):
    return subprocess.run(["psql", PG_URL, "-qAtc", sql], check=True,
                          capture_output=True, text=True).stdout


def opaque(n):
    return base64.urlsafe_b64encode(f"Product:{n}".encode()).decode().rstrip("=")


def write_requests(name, rows):
    path = os.path.join(BENCH_DIR, f"wrk-{name}.txt")
    with open(path, "w") as f:
        for method, key, target, body in rows:
            f.write(f"{method}\t{key}\t{target}\t{body}\n")
    return path


def request_files(ids):
    post = lambda q, v: json.dumps({"query": q, "variables": v}, separators=(",", ":"))
    files = {
        ("W1", "gateway"): write_requests("w1-gateway", [("POST", "w1", "/graphql", post(W1_OURS, {}))]),
        ("W1", "postgraphile"): write_requests("w1-postgraphile", [("POST", "w1", "/graphql", post(W1_PG, {}))]),
        ("W2", "gateway"): write_requests("w2-gateway", [
            ("POST", opaque(i), "/graphql", post(W2_OURS, {"id": opaque(i)})) for i in ids]),
        ("W2", "postgraphile"): write_requests("w2-postgraphile", [
            ("POST", str(i), "/graphql", post(W2_PG, {"id": str(i)})) for i in ids]),
        ("FLOOR", "gateway"): write_requests("floor-gateway", [
            ("GET", opaque(i), f"/floor/stock/{opaque(i)}", "") for i in ids]),
    }
    polled = ids[:: max(1, len(ids) // 500)][:500]
    files[("M1", "gateway")] = files[("W1", "gateway")]
    files[("M1", "postgraphile")] = files[("W1", "postgraphile")]
    # Each chain polls 100 of the 500 products (its own listing).
    per_chain = [(chain, polled[(k * 50) % len(polled):][:100] or polled[:100])
                 for k, chain in enumerate(CHAINS)]
    files[("M2", "gateway")] = write_requests("m2-gateway", [
        ("POST", f"{chain}-{i}", "/graphql", post(W2_OURS, {"id": opaque(i)}) + "\t" + chain_token(chain))
        for chain, mine in per_chain for i in mine])
    files[("M2", "postgraphile")] = write_requests("m2-postgraphile", [
        ("POST", f"{chain}-{i}", "/graphql", post(W2_PG, {"id": str(i)}))
        for chain, mine in per_chain for i in mine])
    files[("W2C", "gateway")] = write_requests("w2c-gateway", [
        ("GET", opaque(i), "/graphql?" + urllib.parse.urlencode(
            {"query": W2_OURS, "variables": json.dumps({"id": opaque(i)})}), "")
        for i in polled])
    files[("M2C", "gateway")] = files[("W2C", "gateway")]
    return files, polled


_tokens = {}


def chain_token(partner, scopes="catalog:read,inventory:read"):
    key = (partner, scopes)
    if key not in _tokens:
        _tokens[key] = subprocess.run(
            [GW, "token", "--partner", partner, "--scopes", scopes, "--ttl", "3h"],
            env=dict(os.environ, OCOP_ENV="development"),
            check=True, capture_output=True, text=True).stdout.strip()
    return _tokens[key]


def gql(port, token, query, variables=None):
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body, headers={
        "content-type": "application/json", "authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


class Writer:
    """WRITE_RATE writes a second through a second gateway replica, while
    `on` is set: a placed order (1-2 lines, a chain of CHAINS), a stock
    receipt, the acknowledgement of the oldest order placed, in turn."""

    def __init__(self, products):
        log = open(os.path.join(BENCH_DIR, "side-writer.log"), "w")
        env = dict(os.environ, OCOP_ENV="development", LOG_FORMAT="json", RUST_LOG="warn",
                   RATE_LIMIT_RPS="1000000", RATE_LIMIT_BURST="2000000",
                   RATE_LIMIT_COST_PER_SEC="100000000", RATE_LIMIT_COST_BURST="200000000",
                   DATABASE_URL=PG_URL, BIND_ADDR=f"127.0.0.1:{WRITER_PORT}")
        self.proc = subprocess.Popen([GW, "serve"], env=env, stdout=log, stderr=log)
        wait_ready(f"http://127.0.0.1:{WRITER_PORT}/readyz", self.proc)
        self.hub = chain_token("hanoi-ocop-hub", "catalog:read,inventory:read,inventory:write,orders:read,fulfillment:write")
        self.stores = {}
        for chain in CHAINS:
            t = chain_token(chain, "catalog:read,orders:read,orders:write")
            stores = gql(WRITER_PORT, t, "{ viewer { partner { stores { id } } } }")["data"]["viewer"]["partner"]["stores"]
            self.stores[chain] = (t, stores[0]["id"])
        self.locations = [l["id"] for l in gql(WRITER_PORT, self.hub, "{ locations { id } }")["data"]["locations"]]
        # Orderable products among those read, with their minimum.
        rows = psql("SELECT id, min_order_qty FROM product WHERE status = 'active' "
                    f"AND certificate_expires_on > current_date + 2 AND id IN ({','.join(map(str, products))})")
        self.products = [(opaque(int(i)), int(q)) for i, q in (r.split("|") for r in rows.split())]
        self.placed = []
        self.on = threading.Event()
        self.done = 0
        self.failed = 0
        self.n = 0
        threading.Thread(target=self.run, daemon=True).start()

    def write(self):
        import random
        self.n += 1
        kind = self.n % 3
        if kind == 0 or (kind == 2 and not self.placed):
            chain = random.choice(CHAINS)
            token, store = self.stores[chain]
            lines = [{"productId": p, "quantity": q} for p, q in random.sample(self.products, random.choice((1, 2)))]
            r = gql(WRITER_PORT, token, "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id } } }",
                    {"i": {"idempotencyKey": f"mixed-{time.time_ns()}", "buyerReference": "PO-MIXED",
                           "storeId": store, "requestedDeliveryDate": time.strftime("%Y-%m-%d", time.gmtime(time.time() + 3 * 86400)),
                           "lines": lines}})
            if r.get("data", {}).get("placeOrder"):
                self.placed.append(r["data"]["placeOrder"]["order"]["id"])
            return r
        if kind == 1:
            p, _ = random.choice(self.products)
            return gql(WRITER_PORT, self.hub,
                       "mutation($p: ID!, $l: ID!) { receiveStock(input: { productId: $p, locationId: $l, quantity: 50 }) { onHand } }",
                       {"p": p, "l": random.choice(self.locations)})
        return gql(WRITER_PORT, self.hub, "mutation($id: ID!) { confirmOrder(id: $id) { status } }",
                   {"id": self.placed.pop(0)})

    def run(self):
        period = 1.0 / WRITE_RATE
        next_at = time.monotonic()
        while True:
            self.on.wait()
            try:
                r = self.write()
                if r.get("errors"):
                    self.failed += 1
                else:
                    self.done += 1
            except Exception:
                self.failed += 1
            next_at = max(next_at + period, time.monotonic() - period)
            time.sleep(max(0.0, next_at - time.monotonic()))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def wait_ready(url, proc, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: see {BENCH_DIR}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"server not ready at {url}")


def start(server):
    log = open(os.path.join(BENCH_DIR, f"side-{server}.log"), "w")
    if server in ("gateway", "baseline"):
        binary = GW if server == "gateway" else os.environ["BASELINE_GW"]
        db_url = PG_URL if server == "gateway" else os.environ["BASELINE_PG_URL"]
        env = dict(os.environ, OCOP_ENV="development", BENCH_FLOOR="true",
                   RATE_LIMIT_RPS="1000000", RATE_LIMIT_BURST="2000000",
                   RATE_LIMIT_COST_PER_SEC="100000000", RATE_LIMIT_COST_BURST="200000000",
                   DB_MAX_CONNECTIONS=os.environ.get("DB_MAX_CONNECTIONS", "16"),
                   LOG_FORMAT="json", RUST_LOG="warn", DATABASE_URL=db_url,
                   BIND_ADDR=f"127.0.0.1:{OUR_PORT}")
        proc = subprocess.Popen([binary, "serve"], env=env, stdout=log, stderr=log)
        wait_ready(f"http://127.0.0.1:{OUR_PORT}/readyz", proc)
        return proc, OUR_PORT
    env = dict(os.environ, NODE_ENV="production")
    proc = subprocess.Popen(
        ["node", os.path.join(PGRAPHILE, "node_modules/.bin/postgraphile"),
         "-c", PG_URL, "--schema", "public", "--host", "127.0.0.1", "--port", str(PG_PORT),
         "--append-plugins", "@graphile-contrib/pg-simplify-inflector",
         "--cluster-workers", "2", "--disable-query-log"],
        env=env, stdout=log, stderr=log, cwd=PGRAPHILE)
    # Ready when it answers a query.
    deadline = time.time() + 90
    while True:
        try:
            req = urllib.request.Request(f"http://127.0.0.1:{PG_PORT}/graphql",
                                         data=b'{"query":"{ __typename }"}',
                                         headers={"content-type": "application/json"})
            urllib.request.urlopen(req, timeout=2)
            break
        except Exception:
            if proc.poll() is not None or time.time() > deadline:
                raise SystemExit(f"PostGraphile did not start: see {BENCH_DIR}/side-postgraphile.log")
            time.sleep(0.5)
    return proc, PG_PORT


def wrk(port, requests_file, duration, token, conditional):
    env = dict(os.environ, WRK_TOKEN=token or "", WRK_CONDITIONAL="1" if conditional else "0")
    out = subprocess.run(["wrk", "-t2", f"-c{CONNS}", f"-d{duration}", "--timeout", "10s",
                          "-s", LUA, f"http://127.0.0.1:{port}", "--", requests_file],
                         env=env, capture_output=True, text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("RESULT "))
    return {k: float(v) for k, v in (kv.split("=") for kv in line.split()[1:])}


def measure(server, workload, files, token, writer=None):
    proc, port = start(server)
    try:
        f = files[(workload, "gateway" if server == "baseline" else server)]
        token = token if server in ("gateway", "baseline") else None
        conditional = workload in ("W2C", "M2C")
        mixed = workload.startswith("M")
        if mixed:
            writer.on.set()
        wrk(port, f, "3s", token, conditional)  # warm-up: pools, caches, JIT
        writes_before = writer.done if mixed else 0
        before = all_stats()
        result = wrk(port, f, DURATION, token, conditional)
        after = all_stats()
        if mixed:
            writer.on.clear()
        server_ms = (tree_ticks(proc.pid, after) - tree_ticks(proc.pid, before)) * TICK_MS
        pg_ms = (postgres_ticks(after) - postgres_ticks(before)) * TICK_MS
        n = max(result["requests"], 1)
        return {
            "workload": workload, "server": server,
            "response_cache": os.environ.get("RESPONSE_CACHE_ENTRIES", "2000") if server != "postgraphile" else "-",
            "rps": round(result["requests"] / result["seconds"], 1),
            "p50_ms": result["p50_ms"], "p99_ms": result["p99_ms"],
            "errors": int(result["errors"]),
            "server_cpu_ms_per_req": round(server_ms / n, 3),
            "pg_cpu_ms_per_req": round(pg_ms / n, 3),
            "writes_per_s": round((writer.done - writes_before) / result["seconds"], 1) if mixed else 0,
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main():
    psql(SQL_FUNCTIONS)
    ids = [int(x) for x in psql("SELECT id FROM product ORDER BY id").split()]
    files, polled = request_files(ids)
    writer = None
    if any(w.startswith("M") for w in WORKLOADS):
        page = [int(x) for x in psql("SELECT id FROM product WHERE category = 'food' AND status IN ('active', 'discontinued') ORDER BY id LIMIT 50").split()]
        writer = Writer(polled + page)
    token = subprocess.run([GW, "token", "--partner", "chain-001", "--scopes",
                            "catalog:read,inventory:read", "--ttl", "3h"],
                           env=dict(os.environ, OCOP_ENV="development"),
                           check=True, capture_output=True, text=True).stdout.strip()
    run_file = os.path.join(BENCH_DIR, time.strftime("side-by-side-%Y%m%dT%H%M%SZ.jsonl", time.gmtime()))
    rows = []
    for _ in range(ROUNDS):
        for workload in WORKLOADS:
            servers = ["gateway"]
            if workload in ("W1", "W2", "M1", "M2"):
                if os.environ.get("BASELINE_GW"):
                    servers.append("baseline")
                if os.environ.get("SKIP_POSTGRAPHILE") != "1":
                    servers.append("postgraphile")
            for server in servers:
                r = measure(server, workload, files, token, writer)
                print(json.dumps(r), flush=True)
                with open(run_file, "a") as f:
                    f.write(json.dumps(r) + "\n")
                rows.append(r)
    if writer:
        writer.stop()
        print(f"writer: {writer.done} writes committed, {writer.failed} refused or failed")
    print(f"\n({run_file})")
    print("| workload | server | response cache | writes/s | req/s | p50 ms | p99 ms | errors | server CPU ms/req | PostgreSQL CPU ms/req |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['workload']} | {r['server']} | {r['response_cache']} | {r['writes_per_s']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
              f"{r['errors']} | {r['server_cpu_ms_per_req']:.2f} | {r['pg_cpu_ms_per_req']:.2f} |")


if __name__ == "__main__":
    main()
