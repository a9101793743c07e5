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
OUR_PORT, PG_PORT = 18080, 18090
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
    files[("W2C", "gateway")] = write_requests("w2c-gateway", [
        ("GET", opaque(i), "/graphql?" + urllib.parse.urlencode(
            {"query": W2_OURS, "variables": json.dumps({"id": opaque(i)})}), "")
        for i in polled])
    return files


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
                   RATE_LIMIT_RPS="50000", RATE_LIMIT_BURST="100000",
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


def measure(server, workload, files, token):
    proc, port = start(server)
    try:
        f = files[(workload, "gateway" if server == "baseline" else server)]
        token = token if server in ("gateway", "baseline") else None
        conditional = workload == "W2C"
        wrk(port, f, "3s", token, conditional)  # warm-up: pools, caches, JIT
        before = all_stats()
        result = wrk(port, f, DURATION, token, conditional)
        after = all_stats()
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
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main():
    psql(SQL_FUNCTIONS)
    ids = [int(x) for x in psql("SELECT id FROM product ORDER BY id").split()]
    files = request_files(ids)
    token = subprocess.run([GW, "token", "--partner", "chain-001", "--scopes",
                            "catalog:read,inventory:read", "--ttl", "3h"],
                           env=dict(os.environ, OCOP_ENV="development"),
                           check=True, capture_output=True, text=True).stdout.strip()
    run_file = os.path.join(BENCH_DIR, time.strftime("side-by-side-%Y%m%dT%H%M%SZ.jsonl", time.gmtime()))
    rows = []
    for _ in range(ROUNDS):
        for workload in WORKLOADS:
            servers = ["gateway"]
            if workload in ("W1", "W2"):
                if os.environ.get("BASELINE_GW"):
                    servers.append("baseline")
                if os.environ.get("SKIP_POSTGRAPHILE") != "1":
                    servers.append("postgraphile")
            for server in servers:
                r = measure(server, workload, files, token)
                print(json.dumps(r), flush=True)
                with open(run_file, "a") as f:
                    f.write(json.dumps(r) + "\n")
                rows.append(r)
    print(f"\n({run_file})")
    print("| workload | server | response cache | req/s | p50 ms | p99 ms | errors | server CPU ms/req | PostgreSQL CPU ms/req |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['workload']} | {r['server']} | {r['response_cache']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
              f"{r['errors']} | {r['server_cpu_ms_per_req']:.2f} | {r['pg_cpu_ms_per_req']:.2f} |")


if __name__ == "__main__":
    main()
