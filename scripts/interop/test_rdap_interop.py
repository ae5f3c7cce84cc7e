"""Interop: a real RDAP client (20C's `rdap` from PyPI) asks a live `pacific node` who answers
for an address, a domain and an AS number, and reads the answer as it reads a registry's.

A state claims its space through the node's JSON API; the client, pointed at the node's
`/rdap` as its RDAP service and sending a user's token, gets an `ip network` and a `domain`
with the claiming party as registrant and its 24/7 e-mail, and "not found" for space nobody
claims. Run through `scripts/test.sh` (PACIFIC_BIN set), or by hand as test_taxii_interop.py.
"""

import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
import requests
from rdap import RdapClient
from rdap.exceptions import RdapNotFoundError

REPO = Path(__file__).resolve().parents[2]
EMAIL = "duty@cert.xa.example.org"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def node():
    binary = str(Path(os.environ.get("PACIFIC_BIN", REPO / "target" / "release" / "pacific")).resolve())
    tmp = tempfile.TemporaryDirectory(prefix="pacific-rdap-")
    data = str(Path(tmp.name) / "xa")

    def run(*args):
        p = subprocess.run([binary, *args], capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, f"pacific {args}: {p.stdout}\n{p.stderr}"
        return p.stdout

    run("init", "--data", data, "--name", "CERT XA", "--type", "state", "--jurisdiction", "XA")
    token = run("user", "add", "--data", data, "dee", "--role", "delegate").strip().splitlines()[-1]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(Path(tmp.name) / "node.log", "wb")
    proc = subprocess.Popen([binary, "node", "--data", data, "--listen", f"127.0.0.1:{port}"],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                assert time.monotonic() < deadline, "the node did not start"
                time.sleep(0.1)
        claim = {
            "role": "jurisdiction",
            "resources": ["45.10.0.0/16", "2a0f:1000::/32", "AS64000", "xa"],
            "contact": {"name": "CERT XA duty officer", "email": EMAIL, "phone": "+99 555 0100"},
        }
        r = requests.post(f"{base}/registry/claims", json=claim,
                          headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert r.status_code == 201, r.text
        yield base, token
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
        tmp.cleanup()


def client(base, token):
    c = RdapClient({"bootstrap_url": f"{base}/rdap", "recurse_roles": [], "timeout": 10})
    c.http.headers["Authorization"] = f"Bearer {token}"
    return c


def test_an_rdap_client_reads_who_answers_for_an_address(node):
    base, token = node
    network = client(base, token).get_ip("45.10.77.1")
    assert network.data["objectClassName"] == "ip network"
    assert network.data["startAddress"] == "45.10.0.0"
    assert network.data["endAddress"] == "45.10.255.255"
    assert network.org_name == "CERT XA duty officer"
    assert network.emails == [EMAIL]
    assert network.handle


def test_an_rdap_client_reads_ipv6_and_a_domain(node):
    base, token = node
    c = client(base, token)
    assert c.get_ip("2a0f:1000::1").data["ipVersion"] == "v6"
    domain = c.get_domain("www.gov.xa")
    assert domain.data["ldhName"] == "xa"
    assert domain.emails == [EMAIL]
    autnum = c.get_rdap(f"{base}/rdap/autnum/64000")
    assert autnum.data["startAutnum"] == 64000


def test_unclaimed_space_is_not_found_and_a_client_without_a_token_is_refused(node):
    base, token = node
    with pytest.raises(RdapNotFoundError):
        client(base, token).get_ip("46.1.1.1")
    r = requests.get(f"{base}/rdap/ip/45.10.77.1", timeout=10)
    assert r.status_code == 401
