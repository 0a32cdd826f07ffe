"""Write → visible across servers and catching up, for bench/shared.sh.

A write on server A is visible on server B when B announces it on its event stream, which it does
after the write is in B's index (nearest answers and tiles reflect it). The time runs from sending
the status report to A until B announces it: one client, one write at a time, 500 writes, each on
another shelter.
"""

import argparse
import http.client
import json
import os
import shlex
import signal
import subprocess
import threading
import time

parser = argparse.ArgumentParser()
for name in ("a", "b", "token", "b-pid", "restart", "work"):
    parser.add_argument(f"--{name}", required=True)
args = parser.parse_args()
AUTH = {"Authorization": f"Bearer {args.token}", "Content-Type": "application/json"}


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
    conn.request("GET", path)
    return json.loads(conn.getresponse().read())


def report(conn, shelter, status, label):
    body = json.dumps({"status": status, "reported_by": label})
    conn.request("POST", f"/api/v1/facilities/{shelter}/status", body=body, headers=AUTH)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise SystemExit(f"status report on {shelter}: {response.status}")


def followed(port):
    return get(port, "/healthz").get("changes_through", 0)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


shelters = [f["id"] for f in get(args.a, "/api/v1/facilities?kind=shelter&limit=1000")["features"]]

# --- Write on A → announced by B ------------------------------------------------------------------
seen = {}
seen_lock = threading.Condition()


def listen():
    conn = http.client.HTTPConnection("127.0.0.1", int(args.b), timeout=600)
    conn.request("GET", "/api/v1/events")
    stream = conn.getresponse()
    event = None
    while True:
        line = stream.readline()
        if not line:
            return
        line = line.decode().strip()
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and event == "change":
            data = json.loads(line.split(":", 1)[1])
            with seen_lock:
                seen.setdefault(data.get("facility"), []).append(time.perf_counter())
                seen_lock.notify_all()


threading.Thread(target=listen, daemon=True).start()
time.sleep(0.5)
writer = http.client.HTTPConnection("127.0.0.1", int(args.a), timeout=30)
visible, acknowledged = [], []
for i, shelter in enumerate(shelters[:500]):
    started = time.perf_counter()
    report(writer, shelter, ("full", "open")[i % 2], f"visible {i}")
    acknowledged.append(time.perf_counter() - started)
    with seen_lock:
        while not any(t >= started for t in seen.get(shelter, [])):
            if not seen_lock.wait(timeout=10):
                raise SystemExit(f"server B never announced the write on {shelter}")
        arrived = min(t for t in seen[shelter] if t >= started)
    visible.append(arrived - started)
ms = lambda s: f"{s * 1000:.1f}"
print("| write on A → visible on B (500 status reports, one at a time) | p50 | p99 | max |")
print("|---|---:|---:|---:|")
print(f"| acknowledged by A (ms) | {ms(percentile(acknowledged, 0.5))} | {ms(percentile(acknowledged, 0.99))} | {ms(max(acknowledged))} |")
print(f"| announced by B (ms) | {ms(percentile(visible, 0.5))} | {ms(percentile(visible, 0.99))} | {ms(max(visible))} |")
print()

# --- Catching up ----------------------------------------------------------------------------------
def burst(count, label):
    def client(k):
        conn = http.client.HTTPConnection("127.0.0.1", int(args.a), timeout=30)
        for i in range(k, count, 8):
            report(conn, shelters[i % len(shelters)], ("full", "open")[i % 2], f"{label} {i}")
    threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def caught_up(port, target, deadline=600):
    started = time.perf_counter()
    while True:
        try:
            if followed(port) >= target:
                return time.perf_counter() - started
        except OSError:
            pass
        if time.perf_counter() - started > deadline:
            raise SystemExit(f"server on {port} never caught up to change {target}")
        time.sleep(0.01)


b_pid = int(args.b_pid)
os.kill(b_pid, signal.SIGSTOP)
took = burst(5000, "stalled")
target = followed(args.a)
os.kill(b_pid, signal.SIGCONT)
stall = caught_up(args.b, target)

os.kill(b_pid, signal.SIGTERM)
while True:  # until B no longer answers
    try:
        followed(args.b)
        time.sleep(0.05)
    except OSError:
        break
burst(2000, "while down")
target = followed(args.a)
started = time.perf_counter()
log = open(os.path.join(args.work, "B-restarted.log"), "w")
restarted = subprocess.Popen(shlex.split(args.restart), stdout=log, stderr=log)
try:
    caught_up(args.b, target)
    restart = time.perf_counter() - started
finally:
    restarted.terminate()
    restarted.wait()

print("| catching up | changes | time (s) |")
print("|---|---:|---:|")
print(f"| B stopped (SIGSTOP) while A took 5,000 writes from 8 clients ({5000 / took:.0f} writes/s), then resumed | 5,000 | {stall:.2f} |")
print(f"| B restarted after 2,000 writes while it was down: start, load and catch up | 2,000 | {restart:.2f} |")
