"""Interop: drive a live `pacific node` with the OASIS TAXII 2.1 client and check every object
it returns with the OASIS STIX 2.1 validator.

Run through `scripts/test.sh`, which makes the venv and sets PACIFIC_BIN. By hand:

    PACIFIC_BIN=target/release/pacific target/interop-venv/bin/pytest scripts/interop

TAXII traffic goes through `taxii2client.v21` only; plain HTTP is used just for `/healthz`.
"""

import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
import requests.auth
from stix2validator import ValidationOptions, validate_instance
from taxii2client.exceptions import AccessError
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

REPO = Path(__file__).resolve().parents[2]
ATTACK_ICS = REPO.parent / "shared" / "data" / "ics-attack-18.1.json"
TAXII_21 = "application/taxii+json;version=2.1"
STIX_21 = "application/stix+json;version=2.1"
HEALTH_TIMEOUT_S = 30
# Generous: the node stores asynchronously; a debug or loaded machine can be slow.
STATUS_TIMEOUT_S = 120

# Every object the node returned in any test, keyed by (id, version): the last test runs
# stix2-validator over all of them.
RETURNED = {}


# --------------------------------------------------------------------------- helpers


def stix_now(offset_s=0.0):
    t = datetime.now(timezone.utc) + timedelta(seconds=offset_s)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def indicator(i, created=None, modified=None, name=None):
    """A valid STIX 2.1 indicator with a fresh id and a real STIX pattern."""
    created = created or stix_now()
    u = uuid.uuid4()
    if i % 3 == 0:
        pattern = f"[ipv4-addr:value = '198.51.{(i // 256) % 256}.{i % 256}']"
    elif i % 3 == 1:
        pattern = f"[file:hashes.'SHA-256' = '{u.hex}{u.hex}']"
    else:
        pattern = f"[domain-name:value = 'host-{i}.example.com'] OR [url:value = 'https://example.net/{u.hex}']"
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{u}",
        "created": created,
        "modified": modified or created,
        "name": name or f"interop indicator {i}",
        "indicator_types": ["malicious-activity"],
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": created,
        "labels": ["interop"],
    }


def malware(name):
    now = stix_now()
    return {
        "type": "malware",
        "spec_version": "2.1",
        "id": f"malware--{uuid.uuid4()}",
        "created": now,
        "modified": now,
        "name": name,
        "is_family": True,
        "malware_types": ["remote-access-trojan"],
    }


def envelope(objects):
    return {"objects": objects}


def remember(objects):
    for o in objects:
        RETURNED[(o["id"], o.get("modified", o.get("created", "")))] = o
    return objects


def objects_of(env):
    """The objects of a TAXII envelope (an empty envelope may omit `objects`)."""
    return remember(env.get("objects", []))


def all_pages(func, per_request, **filters):
    """Every page from a paginated endpoint, via taxii2client's as_pages."""
    pages = list(as_pages(func, per_request=per_request, **filters))
    for page in pages[:-1]:
        assert page.get("more") is True, "a page before the last must say more=true"
        assert page.get("next"), "a page with more=true must carry `next`"
    assert not pages[-1].get("more", False), "the last page must say more=false"
    return pages


def add(collection, objects, expect_failures=0):
    status = collection.add_objects(
        envelope(objects), wait_for_completion=True, poll_interval=0.2, timeout=STATUS_TIMEOUT_S
    )
    assert status.status == "complete", f"status not complete after {STATUS_TIMEOUT_S}s: {status._raw}"
    assert status.total_count == len(objects)
    assert status.failure_count == expect_failures, status.failures
    assert status.success_count == len(objects) - expect_failures
    assert status.pending_count == 0
    return status


def http_status(excinfo):
    return excinfo.value.response.status_code


def default_collection(api_root):
    api_root.refresh_collections()
    found = [c for c in api_root.collections if c.alias == "default"]
    assert len(found) == 1, [(c.id, c.alias, c.title) for c in api_root.collections]
    return found[0]


class BearerAuth(requests.auth.AuthBase):
    """`Authorization: Bearer <token>`, handed to taxii2client through its `auth` argument."""

    def __init__(self, token):
        self.token = token

    def __call__(self, r):
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


# --------------------------------------------------------------------------- the node


def run(node, *args, check=True):
    p = subprocess.run(
        [node.bin, *args], capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
    )
    if check and p.returncode != 0:
        pytest.fail(f"`pacific {' '.join(args)}` exited {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    pass


@pytest.fixture(scope="module")
def node(request):
    binary = os.environ.get("PACIFIC_BIN", str(REPO / "target" / "release" / "pacific"))
    binary = str(Path(binary).resolve())
    if not os.access(binary, os.X_OK):
        pytest.fail(f"pacific binary not found at {binary} (set PACIFIC_BIN)")

    n = Node()
    n.bin = binary
    n.tmp = tempfile.TemporaryDirectory(prefix="pacific-interop-")
    n.data = str(Path(n.tmp.name) / "alpha")
    run(n, "init", "--data", n.data, "--name", "Alpha CERT", "--type", "state", "--jurisdiction", "XA")
    n.tokens = {}
    for user, role in (("ana", "analyst"), ("rita", "reader")):
        out = run(n, "user", "add", "--data", n.data, user, "--role", role).stdout
        lines = [line.strip() for line in out.splitlines() if line.strip()]
        assert lines and lines[-1].startswith("pac_"), f"no token on the last line of: {out!r}"
        n.tokens[user] = lines[-1]

    port = free_port()
    n.base = f"http://127.0.0.1:{port}"
    n.discovery = f"{n.base}/taxii2/"
    n.log_path = Path(n.tmp.name) / "node.log"
    log = open(n.log_path, "wb")
    n.proc = subprocess.Popen(
        [binary, "node", "--data", n.data, "--listen", f"127.0.0.1:{port}"],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )

    def stop():
        if n.proc.poll() is None:
            n.proc.terminate()
            try:
                n.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                n.proc.kill()
                n.proc.wait(timeout=10)
        log.close()
        if request.session.testsfailed:
            tail = n.log_path.read_text(errors="replace")[-6000:]
            print(f"\n---- tail of the node log ({n.log_path}) ----\n{tail}")
        n.tmp.cleanup()

    request.addfinalizer(stop)

    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while True:
        if n.proc.poll() is not None:
            pytest.fail(f"pacific node exited {n.proc.returncode}:\n{n.log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{n.base}/healthz", timeout=2) as r:
                if r.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"/healthz not ready after {HEALTH_TIMEOUT_S}s:\n{n.log_path.read_text(errors='replace')}")
        time.sleep(0.1)
    return n


@pytest.fixture(scope="module")
def analyst(node):
    with Server(node.discovery, user="ana", password=node.tokens["ana"]) as server:
        yield server


@pytest.fixture(scope="module")
def reader(node):
    with Server(node.discovery, user="rita", password=node.tokens["rita"]) as server:
        yield server


@pytest.fixture(scope="module")
def coll(analyst):
    return default_collection(analyst.default)


# --------------------------------------------------------------------------- discovery, roots, collections


def test_discovery(analyst, node):
    assert analyst.title
    assert len(analyst.api_roots) == 1
    assert analyst.default is analyst.api_roots[0], "`default` must be one of `api_roots`"
    assert analyst.default.url == f"{node.base}/taxii2/root/"


def test_api_root(analyst):
    root = analyst.default
    assert root.title
    assert TAXII_21 in root.versions
    assert isinstance(root.max_content_length, int) and root.max_content_length > 0


def test_collections_and_rights(analyst, reader, node):
    mine = default_collection(analyst.default)
    assert mine.can_read is True and mine.can_write is True
    assert STIX_21 in mine.media_types
    theirs = default_collection(reader.default)
    assert theirs.id == mine.id
    assert theirs.can_read is True and theirs.can_write is False
    # The CLI lists the same collection.
    listed = run(node, "collection", "list", "--data", node.data).stdout
    assert mine.id in listed and "default" in listed


def test_bearer_token_is_accepted(node):
    with ApiRoot(f"{node.base}/taxii2/root/", auth=BearerAuth(node.tokens["ana"])) as root:
        assert TAXII_21 in root.versions
        assert any(c.alias == "default" for c in root.collections)


def test_wrong_password_is_401(node):
    with Server(node.discovery, user="ana", password="pac_not-the-right-token") as server:
        with pytest.raises(requests.HTTPError) as e:
            server.refresh()
        assert http_status(e) == 401
    with ApiRoot(f"{node.base}/taxii2/root/", user="nobody", password=node.tokens["ana"]) as root:
        with pytest.raises(requests.HTTPError) as e:
            root.refresh_collections()
        assert http_status(e) == 401


# --------------------------------------------------------------------------- objects


GENERATED = []  # the 2,500 indicators added by test_add_objects_and_paginate


def test_add_objects_and_paginate(coll):
    base = datetime.now(timezone.utc) - timedelta(days=1)
    for i in range(2500):
        t = (base + timedelta(milliseconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        GENERATED.append(indicator(i, created=t))
    for start in range(0, len(GENERATED), 500):
        add(coll, GENERATED[start : start + 500])

    per_request = 300
    pages = all_pages(coll.get_objects, per_request, type="indicator")
    assert len(pages) >= len(GENERATED) // per_request
    for page in pages:
        assert len(page.get("objects", [])) <= per_request
    returned = [o for page in pages for o in objects_of(page)]
    ids = [o["id"] for o in returned]
    assert len(ids) == len(set(ids)), "an object came back twice across pages"
    by_id = {o["id"]: o for o in returned}
    for sent in GENERATED:
        assert by_id.get(sent["id"]) == sent, f"{sent['id']} did not come back unchanged"


def test_add_objects_reports_invalid_ones(coll):
    good = [indicator(1), malware("interop-good")]
    bad = indicator(2)
    del bad["pattern"]  # required on an indicator
    status = add(coll, [good[0], bad, good[1]], expect_failures=1)
    assert [f["id"] for f in status.failures] == [bad["id"]]
    assert status.failures[0].get("message"), "a failure should say what was wrong"
    for o in good:
        assert objects_of(coll.get_object(o["id"])) == [o]
    with pytest.raises(requests.HTTPError) as e:
        coll.get_object(bad["id"])
    assert http_status(e) == 404


def test_get_object_versions_and_manifest(coll):
    v1 = indicator(7, created=stix_now(-60))
    v2 = dict(v1, modified=stix_now(-30), name="interop indicator 7, revised")
    add(coll, [v1])
    add(coll, [v2])

    assert objects_of(coll.get_object(v1["id"])) == [v2], "the default version is the latest"
    assert objects_of(coll.get_object(v1["id"], version="first")) == [v1]
    assert objects_of(coll.get_object(v1["id"], version="last")) == [v2]
    assert objects_of(coll.get_object(v1["id"], version=v1["modified"])) == [v1]
    both = objects_of(coll.get_object(v1["id"], version="all"))
    assert sorted(both, key=lambda o: o["modified"]) == [v1, v2]

    versions = coll.object_versions(v1["id"])
    assert sorted(versions["versions"]) == [v1["modified"], v2["modified"]]

    manifest = coll.get_manifest(id=v1["id"], version="all")
    records = manifest["objects"]
    assert sorted(r["version"] for r in records) == [v1["modified"], v2["modified"]]
    for r in records:
        assert r["id"] == v1["id"] and r["date_added"] and r.get("media_type", STIX_21) == STIX_21

    pages = all_pages(coll.get_manifest, 400, type="indicator")
    ids = [r["id"] for page in pages for r in page.get("objects", [])]
    assert len(ids) == len(set(ids)), "a manifest record came back twice across pages"
    assert {o["id"] for o in GENERATED} <= set(ids)
    assert v1["id"] in ids


def test_match_filters(coll):
    mal = [malware(f"interop-filter-{i}") for i in range(3)]
    ind = [indicator(i, created=stix_now(-30)) for i in range(3)]
    add(coll, mal + ind)

    got = objects_of(coll.get_objects(type="malware"))
    assert got and all(o["type"] == "malware" for o in got)
    assert {o["id"] for o in mal} <= {o["id"] for o in got}

    pick = [mal[0]["id"], ind[1]["id"]]
    got = objects_of(coll.get_objects(id=pick))
    assert sorted(o["id"] for o in got) == sorted(pick)

    got = objects_of(coll.get_objects(id=pick, type="indicator"))
    assert [o["id"] for o in got] == [ind[1]["id"]]

    got = objects_of(coll.get_objects(id=ind[2]["id"], spec_version="2.1"))
    assert got == [ind[2]]

    # Version filters on the objects endpoint, with a second version of one object.
    v2 = dict(ind[0], modified=stix_now(), name="revised")
    add(coll, [v2])
    assert objects_of(coll.get_objects(id=ind[0]["id"])) == [v2]
    assert objects_of(coll.get_objects(id=ind[0]["id"], version="first")) == [ind[0]]
    got = objects_of(coll.get_objects(id=ind[0]["id"], version="all"))
    assert sorted(got, key=lambda o: o["modified"]) == [ind[0], v2]

    got = objects_of(coll.get_objects(type="indicator", id=[mal[1]["id"]]))
    assert got == []


def test_delete_object(coll):
    v1 = indicator(9, created=stix_now(-20))
    v2 = dict(v1, modified=stix_now(-10), name="second")
    gone = malware("interop-delete-me")
    add(coll, [v1, gone])
    add(coll, [v2])

    coll.delete_object(gone["id"])
    with pytest.raises(requests.HTTPError) as e:
        coll.get_object(gone["id"])
    assert http_status(e) == 404

    coll.delete_object(v1["id"], version=v1["modified"])
    assert coll.object_versions(v1["id"])["versions"] == [v2["modified"]]
    assert objects_of(coll.get_object(v1["id"], version="all")) == [v2]


def test_reader_cannot_add_objects(reader, coll, node):
    theirs = default_collection(reader.default)
    obj = indicator(11)
    # taxii2client refuses by itself, since the node told it can_write=false ...
    with pytest.raises(AccessError):
        theirs.add_objects(envelope([obj]))
    # ... and the node refuses too when a client ignores that.
    info = dict(theirs._raw, can_write=True)
    with Collection(theirs.url, user="rita", password=node.tokens["rita"], collection_info=info) as forced:
        with pytest.raises(requests.HTTPError) as e:
            forced.add_objects(envelope([obj]), wait_for_completion=False)
        assert http_status(e) == 403
    with pytest.raises(requests.HTTPError) as e:
        coll.get_object(obj["id"])
    assert http_status(e) == 404


# --------------------------------------------------------------------------- real data


def test_attack_ics_ingest_round_trip(node, coll):
    assert ATTACK_ICS.is_file(), f"missing test data: {ATTACK_ICS}"
    bundle = json.loads(ATTACK_ICS.read_text(encoding="utf-8"))
    expected = {}
    for o in bundle["objects"]:
        assert o["id"] not in expected, f"{o['id']} has more than one version in the file"
        expected[o["id"]] = o
    assert len(expected) == len(bundle["objects"]) > 1000

    p = run(node, "ingest", "--data", node.data, "--collection", "default", str(ATTACK_ICS), check=False)
    assert p.returncode == 0, f"ingest exited {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"

    pages = all_pages(coll.get_objects, 1000)
    returned = [o for page in pages for o in objects_of(page)]
    ids = [o["id"] for o in returned]
    assert len(ids) == len(set(ids)), "an object came back twice across pages"
    by_id = {o["id"]: o for o in returned}
    missing = [i for i in expected if i not in by_id]
    assert not missing, f"{len(missing)} ATT&CK objects did not come back, e.g. {missing[:5]}"
    differ = [i for i, o in expected.items() if by_id[i] != o]
    if differ:
        first = differ[0]
        keys = sorted(set(expected[first]) | set(by_id[first]))
        diff = {k: (expected[first].get(k), by_id[first].get(k)) for k in keys if expected[first].get(k) != by_id[first].get(k)}
        pytest.fail(f"{len(differ)} ATT&CK objects differ after the round trip; {first}: {diff}")


# --------------------------------------------------------------------------- validation


def test_every_returned_object_passes_stix2_validator():
    # strict=False (the default) keeps custom objects and properties (ATT&CK's x-mitre-* types
    # and x_mitre_* properties) as warnings, not errors. No check needs disabling: the ATT&CK
    # for ICS 18.1 file validates with zero errors under these options.
    assert len(RETURNED) > 4000, f"only {len(RETURNED)} objects were collected for validation"
    options = ValidationOptions(version="2.1", strict=False)
    errors = {}
    for (oid, version), obj in RETURNED.items():
        result = validate_instance(obj, options)
        if result.errors:
            errors[f"{oid} @ {version}"] = [str(e) for e in result.errors]
    assert not errors, f"{len(errors)} objects with stix2-validator errors, e.g. {list(errors.items())[:5]}"
