#!/usr/bin/env python3
# How long POST /api/changes takes on a running `seg serve --membership` alone, then while N clients
# (argument, default 2) ask /api/count of a wide rule in a loop: the A/B of docs/performance-history.md,
# "Counts no longer hold the membership". Usage: tools/bench_changes_while_counting.py [N] [URL]
import json, statistics, sys, threading, time, urllib.request
URL = sys.argv[2] if len(sys.argv) > 2 else "http://127.0.0.1:8080"
def post(path, body):
    req = urllib.request.Request(URL + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    t = time.perf_counter()
    with urllib.request.urlopen(req) as r: r.read()
    return (time.perf_counter() - t) * 1000
def changes(n):
    out = []
    for i in range(n):
        row = "client_id,player_id,spot,stage,tags,deposit_total,registered_at,last_active_at,country\n%d,%d,12,Active,VIP,1.00,2025-01-01T00:00:00Z,,DE\n" % (20000000 + i, 20000000 + i)
        out.append(post("/api/changes", {"rows": row})); time.sleep(0.05)
    return out
N = int(sys.argv[1]) if len(sys.argv) > 1 else 2
stop = False
def counter():
    while not stop:
        post("/api/count", {"rule": "tag any (VIP) or deposit_total >= 100", "preview": 10})
quiet = changes(20)
threads = [threading.Thread(target=counter) for _ in range(N)]
for t in threads: t.start()
time.sleep(0.5)
busy = changes(20)
stop = True
for t in threads: t.join()
print("changes alone: median %.1f ms, max %.1f" % (statistics.median(quiet), max(quiet)))
print("changes with %d clients counting: median %.1f ms, max %.1f" % (N, statistics.median(busy), max(busy)))
