#!/usr/bin/env bash
# Soak test of `refuge serve` on loopback: 32 clients for SOAK_SECONDS (600 by default) mixing
# tile and nearest reads with shelter status reports and stock receipts and issues; then checks
# that every acknowledged write is visible and that stock sums are exact. Prints p50/p99 latency
# per kind of request, errors, and the server's RSS sampled over time, as Markdown.
#
#   bench/soak.sh                 (release build; SOAK_SECONDS=60 for a quick run)
#
# Every request goes to 127.0.0.1 and the run stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p refuge-cli
BIN="$CARGO_TARGET_DIR/release/refuge"
PORT="${SOAK_PORT:-18095}"
WORK=$(mktemp -d)
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# The soak's own budgets: one address makes every write here.
cat >"$WORK/refuge.toml" <<TOML
writes_per_minute = 1000000
failed_sign_ins_per_minute = 1000
TOML
TOKEN=$("$BIN" token create --role logistics --name soak --store "$WORK/soak.db" 2>/dev/null)
"$BIN" serve --store "$WORK/soak.db" --bind "127.0.0.1:$PORT" --config "$WORK/refuge.toml" >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

python3 - "$PORT" "$TOKEN" "$SERVER" "${SOAK_SECONDS:-600}" <<'PY'
import http.client, json, random, sys, threading, time

port, token, pid, seconds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

def request(conn, method, path, body=None, headers=None):
    started = time.perf_counter()
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    return response.status, data, time.perf_counter() - started

setup = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
_, data, _ = request(setup, "GET", "/api/v1/facilities?kind=shelter&limit=100")
shelters = [f["id"] for f in json.loads(data)["features"]]
_, data, _ = request(setup, "GET", "/api/v1/facilities?kind=reserve&limit=100")
depots = [f["id"] for f in json.loads(data)["features"]]
tiles = [f"/tiles/{t}/{z}/{x}/{y}.mvt" for t in ("facilities", "base")
         for (z, x, y) in [(12, 2132, 1493), (13, 4264, 2987), (14, 8529, 5974), (15, 17059, 11949), (16, 34119, 23899)]]

lock = threading.Lock()
latencies = {}
errors = {}
booked = {}            # (depot, item) -> net units acknowledged
last_status = {}       # shelter -> the status of its last acknowledged report
stop = time.monotonic() + seconds

def client(n):
    rng = random.Random(n)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    # Each shelter reports through one client only, so its last acknowledged status is its last.
    mine = shelters[n::32]
    while time.monotonic() < stop:
        roll = rng.random()
        try:
            if roll < 0.45:
                kind, (status, _, took) = "tile", request(conn, "GET", rng.choice(tiles), headers={"Accept-Encoding": "gzip, br"})
                ok = status in (200, 204, 304)
            elif roll < 0.80:
                lon, lat = 7.41 + rng.random() * 0.03, 43.72 + rng.random() * 0.03
                kind, (status, _, took) = "nearest", request(conn, "GET", f"/api/v1/nearest?lon={lon:.5f}&lat={lat:.5f}&kind=shelter&k=5&has_room=true")
                ok = status == 200
            elif roll < 0.90 and mine:
                shelter, report = rng.choice(mine), rng.choice(["open", "full", "open"])
                kind, (status, _, took) = "status", request(conn, "POST", f"/api/v1/facilities/{shelter}/status", json.dumps({"status": report}), auth)
                ok = status == 200
                if ok:
                    with lock:
                        last_status[shelter] = report
            elif roll >= 0.90:
                depot = rng.choice(depots)
                if rng.random() < 0.6:
                    body = {"facility": depot, "item": "blanket", "type": "receive", "quantity": 3, "lot": f"soak-{n}"}
                    delta = 3
                else:
                    body = {"facility": depot, "item": "blanket", "type": "issue", "quantity": 1}
                    delta = -1
                kind, (status, _, took) = "stock", request(conn, "POST", "/api/v1/stock/movements", json.dumps(body), auth)
                ok = status == 201
                if ok:
                    with lock:
                        booked[(depot, "blanket")] = booked.get((depot, "blanket"), 0) + delta
                elif status == 409:
                    ok = True  # an issue refused for want of stock is a right answer
            else:
                continue
        except Exception:  # a dropped connection counts as an error, then reconnect
            kind, ok, took = "connection", False, 0.0
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        with lock:
            latencies.setdefault(kind, []).append(took)
            if not ok:
                errors[kind] = errors.get(kind, 0) + 1

def rss_mb():
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

# Stock on hand before the soak, per depot.
def blankets(depot):
    _, data, _ = request(setup, "GET", f"/api/v1/facilities/{depot}")
    stock = json.loads(data)["properties"].get("stock", [])
    return sum(s["quantity"] for s in stock if s["item"] == "blanket")

start_stock = {d: blankets(d) for d in depots}
threads = [threading.Thread(target=client, args=(n,)) for n in range(32)]
for t in threads:
    t.start()
samples = []
began = time.monotonic()
while any(t.is_alive() for t in threads):
    samples.append((round(time.monotonic() - began), round(rss_mb(), 1)))
    time.sleep(min(30, max(1, seconds // 20)))
for t in threads:
    t.join()

# Every acknowledged write is visible, and stock sums are exact. (A new connection: the server
# closed the idle one.)
setup = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
wrong = []
for depot in depots:
    expected = start_stock[depot] + booked.get((depot, "blanket"), 0)
    if blankets(depot) != expected:
        wrong.append(f"depot {depot}: {blankets(depot)} blankets, expected {expected}")
for shelter, report in last_status.items():
    _, data, _ = request(setup, "GET", f"/api/v1/facilities/{shelter}")
    if json.loads(data)["properties"]["status"] != report:
        wrong.append(f"shelter {shelter}: not the last acknowledged status {report}")

def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000 if values else 0.0

total = sum(len(v) for v in latencies.values())
print(f"Soak: {seconds} s, 32 clients, {total} requests ({total / seconds:.0f}/s)\n")
print("| request | count | p50 ms | p99 ms | errors |")
print("|---|---:|---:|---:|---:|")
for kind in ("tile", "nearest", "status", "stock", "connection"):
    if kind in latencies:
        values = latencies[kind]
        print(f"| {kind} | {len(values)} | {pct(values, 0.5):.2f} | {pct(values, 0.99):.2f} | {errors.get(kind, 0)} |")
print("\nRSS over time (s → MB): " + ", ".join(f"{t} → {m}" for t, m in samples))
print(f"\nChecks: {len(depots)} depots' blanket sums and {len(last_status)} shelters' last statuses: "
      + ("all exact" if not wrong else f"{len(wrong)} WRONG"))
for line in wrong[:20]:
    print("  " + line)
sys.exit(1 if wrong else 0)
PY
