"""Refuge's write figures for bench/versus.sh: write → visible latency, a write storm with readers
running, and how long Martin over PostGIS takes to show a change.

A write is visible when the next nearest query and the next tile over the facility reflect it:
the time runs from sending the status report to having both answers, one client, one write at a
time. The storm is 16 clients sending status reports for 10 s (each to its own shelters, so the
last acknowledged report of each is known) while wrk reads tiles and nearest answers; afterwards
every acknowledged report must be what the server holds.
"""

import argparse
import http.client
import json
import math
import os
import random
import subprocess
import threading
import time

parser = argparse.ArgumentParser()
for name in ("port", "token", "pid", "places", "martin", "pg-url", "martin-port", "work"):
    parser.add_argument(f"--{name}", required=True)
args = parser.parse_args()
AUTH = {"Authorization": f"Bearer {args.token}", "Content-Type": "application/json"}


def connect(port=None):
    return http.client.HTTPConnection("127.0.0.1", int(port or args.port), timeout=30)


def request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.getheaders(), response.read()


def tile_of(lon, lat, z=14):
    k = 2**z
    lat = math.radians(max(min(lat, 85.0511), -85.0511))
    x = int((lon + 180) / 360 * k)
    y = int((1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * k)
    return f"{z}/{x}/{y}"


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000 if values else float("nan")


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return 0


# Shelters around the 20 largest places, with where they are.
conn = connect()
shelters = {}
for line in open(args.places):
    lon, lat = map(float, line.split())
    _, _, body = request(conn, "GET", f"/api/v1/nearest?lon={lon}&lat={lat}&k=60")
    for feature in json.loads(body)["features"]:
        shelters[feature["id"]] = tuple(feature["geometry"]["coordinates"])
ids = sorted(shelters)
rng = random.Random(3)

# --- Write → visible ----------------------------------------------------------------------------
visible, acknowledged = [], []
status_of = {}
for shelter in rng.sample(ids, min(300, len(ids))):
    lon, lat = shelters[shelter]
    tile = f"/tiles/facilities/{tile_of(lon, lat)}.mvt"
    _, headers, _ = request(conn, "GET", tile)
    before = dict(headers).get("etag")
    report = "full" if status_of.get(shelter, "open") == "open" else "open"
    started = time.perf_counter()
    status, _, body = request(conn, "POST", f"/api/v1/facilities/{shelter}/status",
                              json.dumps({"status": report}), AUTH)
    acknowledged.append(time.perf_counter() - started)
    assert status == 200, body
    status_of[shelter] = report
    _, _, body = request(conn, "GET", f"/api/v1/nearest?lon={lon}&lat={lat}&k=1&has_room=true")
    features = json.loads(body)["features"]
    first = features[0]["id"] if features else None
    _, headers, _ = request(conn, "GET", tile)
    visible.append(time.perf_counter() - started)
    offered = first == shelter
    assert offered == (report == "open"), f"shelter {shelter} reported {report}, nearest offers {first}"
    assert dict(headers).get("etag") != before, f"the tile over {shelter} did not change"

facilities = json.loads(request(conn, "GET", "/healthz")[2])["facilities"]
print(f"\n### Writes on {facilities} facilities\n")
print("| measure | p50 ms | p99 ms | count |")
print("|---|---:|---:|---:|")
print(f"| status report acknowledged | {pct(acknowledged, 0.5):.2f} | {pct(acknowledged, 0.99):.2f} | {len(acknowledged)} |")
print(f"| write → visible (report, then nearest and the tile reflect it) | {pct(visible, 0.5):.2f} | {pct(visible, 0.99):.2f} | {len(visible)} |")

# --- A write storm with readers running ----------------------------------------------------------
CLIENTS, SECONDS = 16, 10
lock = threading.Lock()
storm_latency, storm_errors, last = [], [0], {}
stop = time.monotonic() + SECONDS


def writer(n):
    mine = ids[n::CLIENTS]
    local = random.Random(n)
    conn = connect()
    while time.monotonic() < stop:
        shelter = local.choice(mine)
        report = local.choice(["open", "full", "closed"])
        started = time.perf_counter()
        try:
            status, _, _ = request(conn, "POST", f"/api/v1/facilities/{shelter}/status",
                                   json.dumps({"status": report}), AUTH)
        except Exception:
            status, conn = 0, connect()
        took = time.perf_counter() - started
        with lock:
            if status == 200:
                storm_latency.append(took)
                last[shelter] = report
            else:
                storm_errors[0] += 1


def reader(urls, accept):
    env = dict(os.environ, URLS=urls, ACCEPT=accept)
    out = subprocess.run(["wrk", "-t1", "-c4", f"-d{SECONDS}s", "--latency", "-s", "bench/urls.lua",
                          f"http://127.0.0.1:{args.port}"], env=env, capture_output=True, text=True).stdout
    fields = {}
    for line in out.splitlines():
        parts = line.split()
        if parts[:1] in (["50%"], ["99%"]):
            fields[parts[0]] = parts[1]
        if line.startswith("Requests/sec"):
            fields["rps"] = parts[1]
    return fields


readers = {}
threads = [threading.Thread(target=writer, args=(n,)) for n in range(CLIENTS)]
threads += [threading.Thread(target=lambda: readers.__setitem__("tiles", reader(f"{args.work}/refuge-tiles", "gzip, deflate, br"))),
            threading.Thread(target=lambda: readers.__setitem__("nearest", reader(f"{args.work}/nearest", "")))]
for t in threads:
    t.start()
for t in threads:
    t.join()
conn = connect()
wrong = 0
for shelter, report in last.items():
    _, _, body = request(conn, "GET", f"/api/v1/facilities/{shelter}")
    if json.loads(body)["properties"]["status"] != report:
        wrong += 1
print(f"\nStorm: {CLIENTS} clients sending status reports for {SECONDS} s while wrk reads (1 thread, 4 connections each):\n")
print("| requests | count or rate | p50 ms | p99 ms |")
print("|---|---:|---:|---:|")
print(f"| status reports acknowledged | {len(storm_latency) / SECONDS:.0f}/s ({storm_errors[0]} errors) | {pct(storm_latency, 0.5):.2f} | {pct(storm_latency, 0.99):.2f} |")
for name, fields in readers.items():
    print(f"| {name} reads | {fields.get('rps', '?')}/s | {fields.get('50%', '?')} | {fields.get('99%', '?')} |")
print(f"\nAfterwards: {len(last)} shelters' last acknowledged reports checked, "
      + ("all visible." if not wrong else f"{wrong} NOT VISIBLE."))
print(f"Refuge RSS after the storm: {rss_mb(args.pid)} MB.")

# --- Martin over PostGIS: when does a change show? -------------------------------------------------
def psql(sql):
    subprocess.run(["psql", "-q", "-d", args.pg_url, "-c", sql], check=True, capture_output=True)


def martin_visible(cache_args, wait_s=5.0):
    proc = subprocess.Popen([args.martin, "--listen-addresses", f"127.0.0.1:{args.martin_port}",
                             "--auto-bounds", "skip", *cache_args, args.pg_url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                request(connect(args.martin_port), "GET", "/health")
                break
            except OSError:
                time.sleep(0.1)
        times = []
        for shelter in rng.sample(ids, 5):
            lon, lat = shelters[shelter]
            path = f"/facilities/{tile_of(lon, lat)}"
            before = request(connect(args.martin_port), "GET", path)[2]
            # Refuge ids and PostGIS ids differ: change the PostGIS row nearest to the shelter.
            started = time.perf_counter()
            psql("UPDATE facilities SET status = 'full' WHERE id = (SELECT id FROM facilities "
                 f"ORDER BY geom <-> ST_SetSRID(ST_MakePoint({lon}, {lat}), 4326) LIMIT 1)")
            seen = None
            while time.perf_counter() - started < wait_s:
                if request(connect(args.martin_port), "GET", path)[2] != before:
                    seen = time.perf_counter() - started
                    break
                time.sleep(0.005)
            times.append(seen)
        return times
    finally:
        proc.terminate()
        proc.wait()


def shown(times):
    seen = [t for t in times if t is not None]
    if len(seen) < len(times):
        return f"{len(times) - len(seen)} of {len(times)} not visible after 5 s"
    return f"p50 {pct(seen, 0.5):.1f} ms"


print("\nMartin over PostGIS, an UPDATE of a facility's status, then the same z14 tile polled:")
print(f"- with its tile cache (512 MB): {shown(martin_visible(['--cache-size', '512']))}")
print(f"- without a cache: {shown(martin_visible(['--cache-size', '0']))}")
