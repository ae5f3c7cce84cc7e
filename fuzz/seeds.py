#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/seed-*, from the
repository's samples and golden files and ../shared/data/ when it is there (run by
scripts/fuzz.sh; the corpora are not kept in git). Usage: seeds.py ROOT CORPUS_DIR"""

import hashlib
import json
import os
import re
import sys

ROOT, CORPUS = sys.argv[1], sys.argv[2]
SHARED = os.path.join(ROOT, "..", "shared", "data", "ics-attack-18.1.json")
MAX_SEED = 16 * 1024  # larger seeds are cut to -max_len (scripts/fuzz.sh) by libFuzzer


def read(path, mode="r"):
    with open(os.path.join(ROOT, path), mode) as f:
        return f.read()


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    if len(data) > MAX_SEED:
        return
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def golden(crate, name):
    return read(f"crates/{crate}/tests/golden/{name}")


sample = json.loads(read("samples/sample-bundle.json"))
objects = list(sample["objects"])
if os.path.exists(SHARED):
    with open(SHARED) as f:
        ics = json.load(f)["objects"]
    # One object of each type, and the first few of each: enough variety, small seeds.
    seen = {}
    for o in ics:
        if seen.get(o["type"], 0) < 4:
            seen[o["type"]] = seen.get(o["type"], 0) + 1
            objects.append(o)
coop = [json.loads(golden("coop", n)) for n in (
    "assistance-request.json", "consultation.json", "dispute.json", "hotline-contact.json",
    "hotline-ping.json", "event-request-sent.json", "event-hotline-contact-declared.json")]
taxii_objects = json.loads(golden("node", "api-taxii-objects.json"))

# stix_object: every object alone.
for o in objects + coop + taxii_objects.get("objects", []):
    write("stix_object", compact(o))

# stix_bundle: the sample bundle, small bundles and TAXII envelopes.
write("stix_bundle", read("samples/sample-bundle.json"))
for i in range(0, min(len(objects), 60), 6):
    write("stix_bundle", compact({"type": "bundle", "id": "bundle--0f6d8a3c-5b7e-4a1f-9c2d-3e4f5a6b7c8d",
                                  "objects": objects[i:i + 6]}))
write("stix_bundle", golden("node", "api-taxii-objects.json"))
write("stix_bundle", compact({"more": False, "objects": coop}))
write("stix_bundle", '{"objects":[0,{},{"type":"x"}],"more":true,"next":"a"}')

# taxii_query: the filters of the TAXII endpoints.
for q in [
    "added_after=2026-01-01T00:00:00Z&limit=10",
    "limit=1000&next=1f",
    "match[id]=indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f,malware--1",
    "match[type]=indicator,malware&match[version]=all",
    "match[version]=first,last,2026-03-01T08:00:00.123456789Z",
    "match[spec_version]=2.1&added_after=2016-02-29T23:59:60.5Z",
    "match%5Bid%5D=x--y&limit=%31",
    "next=7fffffffffffffff&limit=18446744073709551616",
]:
    write("taxii_query", q)

# stix_pattern: every pattern in the samples and the matcher's sources and tests, and whole
# indicators.
patterns = {o["pattern"] for o in objects if "pattern" in o}
for folder in ("crates/match/src", "crates/match/tests", "crates/node/tests", "crates/bench/src"):
    for name in sorted(os.listdir(os.path.join(ROOT, folder))):
        if name.endswith(".rs"):
            text = read(os.path.join(folder, name))
            for m in re.finditer(r'"(\[[^"\n]{3,300}\])"', text):
                patterns.add(m.group(1).replace('\\\\', '\\'))
for p in sorted(patterns):
    write("stix_pattern", p)
for o in objects:
    if o.get("type") == "indicator":
        write("stix_pattern", compact(o))

# match_input: the selector byte (see the target), then JSON lines, Zeek and text.
zeek = ("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n"
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\n"
        "1700000000.123\tCx1\t198.51.100.7\t5353\t2001:db8::1\t53\tudp\n"
        "1700000001.0\tCx2\t10.0.0.2\t1\t-\t2\n#close\t2024-01-01-00-00-00\n"
        "#fields\tts\tquery\tanswers\n1.0\tx.bad.example\tcname.test,192.0.2.7\n1.0\t-\t(empty)\n")
jsonl = ('{"ts":"2026-03-01T08:00:00Z","src_ip":"198.51.100.7","dst_ip":"203.0.113.9","domain":"a.bad.example"}\n'
         '{"ts":1772352000.5,"url":"http://evil.example/x","email":"Mallory@Evil.Example","hash":"D41D8CD98F00B204E9800998ECF8427E"}\n'
         '{"id":{"orig_h":"192.0.2.1"},"query":"c2.example.","ip":["2001:db8:ff::1","x"],"esc":"\\u0041\\n"}\n'
         '{"broken": \n\n[1,2]\n')
text = ("2026-03-01 198.51.100.7 -> 203.0.113.77 GET http://evil.example/x?q=1 from mallory@evil.example\n"
        "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 [2001:db8::1]:443 x.bad.example.\n")
for selector, body in [(0, jsonl), (1, jsonl), (2, zeek), (0, zeek), (3, text), (0, text), (4, jsonl),
                       (16, jsonl), (18, zeek), (19, text), (8 | 1, "id.orig_h=ip,query=,x.y=domain\n" + jsonl),
                       (8 | 2, "id.resp_h=host,answers=domain\n" + zeek)]:
    write("match_input", bytes([selector]) + body.encode())

# envelope, peer_header: the node's golden wire files.
write("envelope", golden("node", "envelope.json"))
write("envelope", golden("node", "ack.json"))
write("peer_header", golden("node", "peer-authorization.txt"))
write("peer_header", "Pacific-Peer a 1 0123456789abcdef0123456789abcdef " + "A" * 86 + "==")

# signed_note, checkpoint: the log's golden files.
for name in ("checkpoint.txt", "checkpoint-cosigned.txt", "cosignature.txt", "log.vkey", "witness.vkey"):
    write("signed_note", golden("tlog", name))
for name in ("checkpoint.txt", "checkpoint-cosigned.txt"):
    note = golden("tlog", name)
    write("checkpoint", note)
    write("checkpoint", note[:note.index("\n\n") + 1])
write("checkpoint", "alpha.example/log\n12\nH3WBRy336gRnYl72OBXfW74kCA4G0L+Pp9vy2+NI30Y=\next\n")

# log_entry: an entry of every kind, exactly as the log holds it.
for name in sorted(os.listdir(os.path.join(ROOT, "crates/tlog/tests/golden"))):
    if name.startswith("entry-"):
        write("log_entry", golden("tlog", name).rstrip("\n"))
for name in ("wire-entry.json", "wire-entry-redacted.json"):
    try:
        entry = json.loads(golden("node", name)).get("entry")
        if isinstance(entry, str):
            write("log_entry", entry)
    except (ValueError, AttributeError):
        pass

# coop_act: each record and act alone, and a request's acts together.
for o in coop:
    write("coop_act", compact(o))
write("coop_act", "\n".join(compact(o) for o in coop))

# gov_act: a charter, then a proposal and a vote on it, and a compliance report.
write("gov_act", "charter\n" + open(os.path.join(ROOT, "pacific.charter.example.toml")).read())
_fed = "ab" * 32
_ext = {"extension-definition--5b4f6f0e-7d0a-4c1e-9a51-2f1b7c3d9e20": {"extension_type": "new-sdo"}}
_green = ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]
_propose = {"type": "x-pacific-gov-act", "spec_version": "2.1",
            "id": "x-pacific-gov-act--6b1f0c3e-2d4a-4e8b-9c7d-5a3f1e2b4c6d",
            "created": "2026-01-01T00:01:00Z", "modified": "2026-01-01T00:01:00Z",
            "federation": _fed, "acted_by": "alpha", "act": "propose", "title": "t", "text": "x",
            "rationale": "r", "change": {"change": "adopt-norm", "norm": "13h",
            "parameters": {"coop.deadlines.acknowledgement.emergency_secs": 1800}},
            "object_marking_refs": _green, "extensions": _ext}
_vote = dict(_propose, id="x-pacific-gov-act--7b1f0c3e-2d4a-4e8b-9c7d-5a3f1e2b4c6d",
             created="2026-01-01T00:02:30Z", modified="2026-01-01T00:02:30Z", act="vote",
             proposal=_propose["id"], choice="yes")
for k in ("title", "text", "rationale", "change"):
    _vote.pop(k)
write("gov_act", compact(_propose))
write("gov_act", "\n".join(compact(o) for o in (_propose, _vote)))

# registry_input: import files of each format, a lookup and a resource per line, and claims as
# their golden files have them (one line each).
write("registry_input", "2|ripencc|20261201|4|19830705|20261201|+0100\n"
      "ripencc|*|ipv4|*|2|summary\n"
      "ripencc|XA|ipv4|45.10.0.0|768|20100101|allocated|a1\n"
      "ripencc|XA|ipv6|2a0f:1000::|32|20120101|allocated|a1\n"
      "ripencc|XA|asn|64000|2|20100101|allocated|a1\n")
write("registry_input", "# geofeed\n45.10.0.0/16,XA,XA-01,Capital,\n2a0f:1000::/32,XA,,,\n")
write("registry_input", "45.10.0.0,45.10.2.255,XA\n2a0f:1000::,2a0f:1000:ffff:ffff:ffff:ffff:ffff:ffff,XA\n")
write("registry_input", "45.10.77.1\nAS64000\nhost.example.xa\n45.10.0.0/16\nAS64000-AS64010\n")
_claims = [compact(json.loads(read(f"crates/registry/tests/golden/{n}.json")))
           for n in ("claim-jurisdiction", "claim-revoked")]
write("registry_input", "\n".join(_claims + ["45.10.77.1", "2a0f:1000::1"]))
