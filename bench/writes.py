"""Refuge's write figures for bench/versus.sh: write → visible latency, a write storm with readers
running, and how long Martin over PostGIS takes to show a change.

A write is visible when the next nearest query and the next tile over the facility reflect it:
the time runs from sending the status report to having both answers, one client, one write at a
time. The storm is wrk sending status reports on 16 connections for 10 s while two more wrk read
tiles and nearest answers; afterwards every shelter it reported must hold that report.
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
# wrk sends the writes too: Python's client could not keep up with the server (about 900 writes/s
# from 16 threads). Every shelter is first reported open; the storm reports each of them closed,
# many times over; afterwards every one must be closed, and wrk must have seen no error.
CLIENTS, SECONDS = 16, 10
for shelter in ids:
    status, _, body = request(conn, "POST", f"/api/v1/facilities/{shelter}/status",
                              json.dumps({"status": "open"}), AUTH)
    assert status == 200, body
with open(f"{args.work}/ids", "w") as out:
    out.write("\n".join(map(str, ids)) + "\n")
with open(f"{args.work}/storm.lua", "w") as out:
    out.write(f"""
local ids = {{}}
for line in io.lines("{args.work}/ids") do ids[#ids + 1] = line end
local n = 0
request = function()
  n = n % #ids + 1
  return wrk.format("POST", "/api/v1/facilities/" .. ids[n] .. "/status",
    {{["Authorization"] = "Bearer {args.token}", ["Content-Type"] = "application/json"}},
    '{{"status":"closed"}}')
end
""")


def wrk(script, connections, urls="", accept=""):
    env = dict(os.environ, URLS=urls, ACCEPT=accept)
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{SECONDS}s", "--latency", "-s", script,
                          f"http://127.0.0.1:{args.port}"], env=env, capture_output=True, text=True).stdout
    fields = {"errors": 0}
    for line in out.splitlines():
        parts = line.split()
        if parts[:1] in (["50%"], ["99%"]):
            fields[parts[0]] = parts[1]
        if line.startswith("Requests/sec"):
            fields["rps"] = f"{float(parts[1]):.0f}"
        if line.strip().startswith("Non-2xx") or line.strip().startswith("Socket errors"):
            fields["errors"] += sum(int(x.strip(",")) for x in parts if x.strip(",").isdigit())
    return fields


runs = {}
jobs = {
    "status reports (16 connections)": lambda: wrk(f"{args.work}/storm.lua", CLIENTS),
    "tiles read meanwhile (4 connections)": lambda: wrk("bench/urls.lua", 4, f"{args.work}/refuge-tiles", "gzip, deflate, br"),
    "nearest read meanwhile (4 connections)": lambda: wrk("bench/urls.lua", 4, f"{args.work}/nearest"),
}
threads = [threading.Thread(target=lambda name=name, job=job: runs.__setitem__(name, job())) for name, job in jobs.items()]
for t in threads:
    t.start()
for t in threads:
    t.join()
conn = connect()
wrong = 0
for shelter in ids:
    _, _, body = request(conn, "GET", f"/api/v1/facilities/{shelter}")
    if json.loads(body)["properties"]["status"] != "closed":
        wrong += 1
print(f"\nStorm: {SECONDS} s, wrk with 1 thread per load:\n")
print("| requests | per second | errors | p50 | p99 |")
print("|---|---:|---:|---:|---:|")
for name in jobs:
    fields = runs.get(name, {})
    print(f"| {name} | {fields.get('rps', '?')} | {fields.get('errors', '?')} | {fields.get('50%', '?')} | {fields.get('99%', '?')} |")
print(f"\nAfterwards: {len(ids)} shelters reported closed by the storm, "
      + ("all closed." if not wrong else f"{wrong} NOT CLOSED."))
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
