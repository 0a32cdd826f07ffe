"""Memory through compactions: status reports to distinct shelters, one client, with the server's
RSS before, and every 2 s after, until it settles.

  python3 bench/compaction.py --port 8080 --token TOKEN --pid PID [--writes 4500] [--bbox 5,45,15,55]

The shelters are the first of those listed in the box. A compaction runs every 4,096 changes above
the index's base (each report of a new shelter is two: the new brief and the old one hidden)."""

import argparse
import http.client
import json
import time
import urllib.request

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--token", required=True)
parser.add_argument("--pid", required=True)
parser.add_argument("--writes", type=int, default=4500)
parser.add_argument("--bbox", default="5,45,15,55")
args = parser.parse_args()
base = f"http://127.0.0.1:{args.port}"


def memory():
    status = open(f"/proc/{args.pid}/status").read()
    return {
        line.split(":")[0]: int(line.split()[1]) // 1024
        for line in status.splitlines()
        if line.startswith(("VmRSS", "VmHWM"))
    }


ids = []
for offset in range(0, args.writes, 1000):
    page = f"{base}/api/v1/facilities?kind=shelter&bbox={args.bbox}&limit=1000&offset={offset}"
    ids += [f["id"] for f in json.load(urllib.request.urlopen(page))["features"]]
print("before (MB)", memory())
client = http.client.HTTPConnection("127.0.0.1", args.port)
started, took = time.time(), []
for n, facility in enumerate(ids[: args.writes]):
    sent = time.time()
    body = json.dumps({"status": "full" if n % 2 else "open"})
    headers = {"Authorization": f"Bearer {args.token}", "Content-Type": "application/json"}
    client.request("POST", f"/api/v1/facilities/{facility}/status", body=body, headers=headers)
    answer = client.getresponse()
    answer.read()
    took.append(time.time() - sent)
    if answer.status != 200:
        raise SystemExit(f"status report {n}: HTTP {answer.status}")
took.sort()
print(
    f"{len(took)} reports in {time.time() - started:.1f} s, "
    f"p50 {took[len(took) // 2] * 1000:.2f} ms, p99 {took[int(len(took) * 0.99)] * 1000:.2f} ms"
)
for n in range(1, 16):
    time.sleep(2)
    print(f"after {2 * n} s (MB)", memory())
