#!/usr/bin/env python3
"""Reads every event of a running `seg serve --membership` through GET /api/events, page by
page from a cursor, as a mailing sender catching up would, and prints how many events and
pages it read and how long it took (docs/performance-history.md, "History a page at a time").

Usage: tools/page_events.py [--url http://127.0.0.1:8080] [--since V] [--limit N] [--pages N] [--token T]
"""
import argparse
import json
import sys
import time
import urllib.error
import urllib.request


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default="http://127.0.0.1:8080", help="the service (default %(default)s)")
    p.add_argument("--since", type=int, default=0, help="the cursor's version to start after (default 0: all)")
    p.add_argument("--limit", type=int, default=10000, help="events a page, 1 to 10,000 (default %(default)s)")
    p.add_argument("--pages", type=int, default=0, help="stop after this many pages (default 0: read to the end)")
    p.add_argument("--token", default="", help="the service's --token, when it has one")
    a = p.parse_args()
    since, skip, events, pages = a.since, 0, 0, 0
    headers = {"Authorization": f"Bearer {a.token}"} if a.token else {}
    t0 = time.monotonic()
    while True:
        q = f"{a.url}/api/events?since={since}&limit={a.limit}" + (f"&skip={skip}" if skip else "")
        try:
            with urllib.request.urlopen(urllib.request.Request(q, headers=headers), timeout=3600) as r:
                page = json.load(r)
        except urllib.error.HTTPError as e:
            print(f"page_events: {q}: HTTP {e.code}: {e.read().decode(errors='replace')}", file=sys.stderr)
            return 1
        except (urllib.error.URLError, OSError) as e:
            print(f"page_events: {q}: {e}", file=sys.stderr)
            return 2
        pages += 1
        events += len(page["events"])
        cursor = (page["next"], page.get("skip", 0))
        if cursor == (since, skip) or (a.pages and pages >= a.pages):
            break
        since, skip = cursor
    print(f"{events} events, {pages} pages, {time.monotonic() - t0:.2f} s (next: since={since}, skip={skip})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
