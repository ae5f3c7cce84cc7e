"""TAXII 2.1 round trip, Pacific beside OASIS medallion, with the same OASIS client in one run.

What a TAXII user does with a bundle: POST its objects in envelopes of 1,000 with
`taxii2client`'s `add_objects(wait_for_completion=True, poll_interval=0.2)`, then read the
collection back with `as_pages(per_request=1000)`. Done against a fresh `pacific node`
(release build, SQLite, loopback) and against a fresh medallion 3.0.0 (memory backend, started by
`../shared/tools/medallion.sh`), one right after the other, each checked to return every object;
the ratio of the totals is printed last.

Run through `scripts/bench-medallion.sh`, which makes the venv and builds the binary. By hand:

    BAR_VENV=target/bench-venv target/bench-venv/bin/python scripts/bench/taxii_vs_medallion.py \
        --pacific target/release/pacific [--bundle FILE] [--copies N] [--skip-medallion]
"""

import argparse
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import requests.auth
from taxii2client.v21 import ApiRoot, Server, as_pages

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
ENVELOPE = 1000
POLL_S = 0.2
MEDALLION_COLLECTION = "472c94ae-3113-4e3e-a4dd-a9f4ac7471d4"
ID = re.compile(r"\b([a-z0-9][a-z0-9-]*)--([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url, auth=None, timeout_s=60):
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            req = urllib.request.Request(url)
            if auth:
                req.add_header("Authorization", auth)
            with urllib.request.urlopen(req, timeout=2):
                return
        except urllib.error.HTTPError as e:
            if e.code in (401, 403, 406):
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            sys.exit(f"{url} did not answer within {timeout_s} s")
        time.sleep(0.1)


def with_copies(objects, copies):
    """`objects` and `copies - 1` copies with fresh ids: each id of an object in the bundle is
    replaced everywhere it appears (references too); ids from outside (TLP markings) are kept."""
    own = {o["id"] for o in objects}
    text = json.dumps(objects)
    out = list(objects)
    for _ in range(1, copies):
        fresh = {}

        def swap(m):
            whole = m.group(0)
            if whole not in own:
                return whole
            if whole not in fresh:
                fresh[whole] = f"{m.group(1)}--{uuid.uuid4()}"
            return fresh[whole]

        out.extend(json.loads(ID.sub(swap, text)))
    return out


def client_cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def round_trip(collection, objects):
    """POSTs `objects` in envelopes, then pages through the collection; returns timings (the
    client's own CPU time last: what no server can save)."""
    cpu = client_cpu()
    started = time.monotonic()
    for i in range(0, len(objects), ENVELOPE):
        chunk = objects[i : i + ENVELOPE]
        status = collection.add_objects(
            {"objects": chunk}, wait_for_completion=True, poll_interval=POLL_S, timeout=600
        )
        if status.status != "complete" or status.success_count != len(chunk):
            sys.exit(f"envelope {i // ENVELOPE} not stored: {status._raw}")
    posted = time.monotonic()
    seen = set()
    for page in as_pages(collection.get_objects, per_request=ENVELOPE):
        for o in page.get("objects", []):
            seen.add(o["id"])
    done = time.monotonic()
    missing = {o["id"] for o in objects} - seen
    if missing:
        sys.exit(f"{len(missing)} objects did not come back, e.g. {sorted(missing)[:3]}")
    return posted - started, done - posted, done - started, client_cpu() - cpu


class Pacific:
    def __init__(self, binary):
        self.tmp = tempfile.mkdtemp(prefix="pacific-bench-medallion-")
        data = os.path.join(self.tmp, "node")
        run = lambda *a: subprocess.run([binary, *a], check=True, capture_output=True, text=True)
        run("init", "--data", data, "--name", "Bench CERT", "--type", "state", "--jurisdiction", "XA")
        out = run("user", "add", "--data", data, "bench", "--role", "analyst").stdout
        token = [line.strip() for line in out.splitlines() if line.strip()][-1]
        port = free_port()
        self.log = open(os.path.join(self.tmp, "node.log"), "wb")
        self.proc = subprocess.Popen(
            [binary, "node", "--data", data, "--listen", f"127.0.0.1:{port}"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/healthz")
        auth = BearerAuth(token)
        api_root = Server(f"{base}/taxii2/", auth=auth).default
        api_root.refresh_collections()
        self.collection = next(c for c in api_root.collections if c.alias == "default")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Medallion:
    def __init__(self):
        script = SHARED / "tools" / "medallion.sh"
        if not script.exists():
            sys.exit(f"{script} not found (the medallion baseline lives beside the checkout)")
        port = free_port()
        out = subprocess.run([str(script), str(port)], check=True, capture_output=True, text=True)
        self.pid = int(out.stdout.strip().splitlines()[-1])
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/taxii2/")
        api_root = ApiRoot(f"{base}/api1/", user="bar", password="Password0")
        self.collection = next(c for c in api_root.collections if c.id == MEDALLION_COLLECTION)

    def stop(self):
        try:
            os.kill(self.pid, 15)
        except ProcessLookupError:
            pass


class BearerAuth(requests.auth.AuthBase):
    def __init__(self, token):
        self.token = token

    def __call__(self, r):
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pacific", default=str(REPO / "target" / "release" / "pacific"))
    p.add_argument("--bundle", default=str(SHARED / "data" / "ics-attack-18.1.json"))
    p.add_argument("--copies", type=int, default=1)
    p.add_argument("--skip-medallion", action="store_true")
    args = p.parse_args()

    with open(args.bundle) as f:
        objects = with_copies(json.load(f)["objects"], args.copies)
    print(f"TAXII round trip with taxii2-client: {len(objects):,} objects from {Path(args.bundle).name}"
          f" ×{args.copies}, envelopes and pages of {ENVELOPE}, poll interval {POLL_S} s")
    results = {}
    servers = [("pacific", lambda: Pacific(args.pacific))]
    if not args.skip_medallion:
        servers.append(("medallion 3.0.0 (memory)", Medallion))
    for name, start in servers:
        server = start()
        try:
            post, get, total, cpu = round_trip(server.collection, objects)
        finally:
            server.stop()
        results[name] = total
        print(f"  {name:<26} POST {post:8.3f} s   GET {get:8.3f} s   total {total:8.3f} s   (client CPU {cpu:.3f} s)")
    if len(results) == 2:
        ours, theirs = results["pacific"], results["medallion 3.0.0 (memory)"]
        print(f"  Pacific is {theirs / ours:.1f}× medallion on the whole round trip")


if __name__ == "__main__":
    main()
