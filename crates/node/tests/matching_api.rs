//! Matching over HTTP (issue 6): indicators ingested over TAXII matched by `POST /match` in
//! every input format, incremental updates, revocation and deletion over TAXII, malformed
//! input, sightings (new versions, counts), daily statistics by each dimension, incidents on
//! critical assets, who may do what, and a sighting going back to the indicator's producer
//! through the federation.

use pacific_testkit::federation;
use pacific_testkit::test_node;

use std::io::Write;
use std::time::Duration;

use pacific_core::taxii::{ObjectQuery, VersionSelector};
use pacific_core::tlp::Tlp;
use pacific_testkit::test_node::{TAXII, TestNode};
use serde_json::{Value, json};

const ASSETS: &str = "[[assets]]\nname = \"North grid\"\ncidr = \"10.20.0.0/16\"\nsector = \"energy\"\n\n[[assets]]\nname = \"Office\"\ncidr = \"10.30.0.0/16\"\nsector = \"other\"\n";

const IND_IP: &str = "indicator--11111111-1111-4111-8111-111111111111";
const IND_DOMAIN: &str = "indicator--22222222-2222-4222-8222-222222222222";
const MALWARE: &str = "malware--33333333-3333-4333-8333-333333333333";
const CAMPAIGN: &str = "campaign--44444444-4444-4444-8444-444444444444";

fn indicator(id: &str, pattern: &str, modified: &str) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1", "id": id,
        "created": "2026-01-01T00:00:00.000Z", "modified": modified,
        "name": format!("indicator {id}"),
        "pattern": pattern, "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
        "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "command-and-control"}]
    })
}

fn relationship(n: u32, source: &str, target: &str) -> Value {
    json!({
        "type": "relationship", "spec_version": "2.1",
        "id": format!("relationship--{n:08x}-5555-4555-8555-555555555555"),
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "relationship_type": "indicates", "source_ref": source, "target_ref": target
    })
}

async fn seed(node: &TestNode) {
    node.post_objects(
        &node.analyst,
        &[
            indicator(
                IND_IP,
                "[ipv4-addr:value = '203.0.113.7']",
                "2026-01-01T00:00:00.000Z",
            ),
            indicator(
                IND_DOMAIN,
                "[domain-name:value = 'evil.example']",
                "2026-01-01T00:00:00.000Z",
            ),
            json!({"type": "malware", "spec_version": "2.1", "id": MALWARE,
                   "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                   "name": "GridWiper", "is_family": true}),
            json!({"type": "campaign", "spec_version": "2.1", "id": CAMPAIGN,
                   "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                   "name": "Dark Winter"}),
            relationship(1, IND_IP, MALWARE),
            relationship(2, IND_DOMAIN, CAMPAIGN),
        ],
    )
    .await;
}

/// POSTs a body to `/match` and returns (status, JSON answer).
async fn post_match(
    node: &TestNode,
    token: Option<&str>,
    query: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (u16, Value) {
    let mut request = node.http.post(node.url(&format!("/match{query}")));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.body(body).send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The id of the sighting of `IND_IP`.
async fn sighting_id(node: &TestNode) -> String {
    all_of(node, "sightings")
        .await
        .iter()
        .find(|s| s["sighting_of_ref"] == IND_IP)
        .and_then(|s| s["id"].as_str())
        .unwrap()
        .to_owned()
}

async fn jsonl(node: &TestNode, body: &str) -> Value {
    let (status, answer) = post_match(
        node,
        Some(&node.analyst),
        "",
        &[("content-type", "application/x-ndjson")],
        body.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    answer
}

async fn stats(node: &TestNode, token: &str, dimension: &str) -> Vec<(String, u64)> {
    let response = node
        .http
        .get(node.url(&format!("/match/stats?dimension={dimension}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["stats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["key"].as_str().unwrap().to_owned(),
                s["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

async fn collection_id(node: &TestNode, alias: &str) -> String {
    pacific_node::find_collection(node.store.as_ref(), alias)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no {alias} collection"))
        .id
}

/// Every version of `id` in the collection `alias`, oldest first, as JSON.
async fn versions(node: &TestNode, alias: &str, id: &str) -> Vec<Value> {
    let collection = collection_id(node, alias).await;
    let mut q = ObjectQuery::all(100);
    q.ids = vec![id.to_owned()];
    q.versions = vec![VersionSelector::All];
    let page = node
        .store
        .query_objects(&collection, &q, true)
        .await
        .unwrap();
    page.items
        .iter()
        .map(|v| serde_json::from_str(&v.json).unwrap())
        .collect()
}

async fn all_of(node: &TestNode, alias: &str) -> Vec<Value> {
    let collection = collection_id(node, alias).await;
    let page = node
        .store
        .query_objects(&collection, &ObjectQuery::all(1000), true)
        .await
        .unwrap();
    page.items
        .iter()
        .map(|v| serde_json::from_str(&v.json).unwrap())
        .collect()
}

#[tokio::test]
async fn matches_every_format_and_records_sightings_stats_and_incidents() {
    let node = TestNode::start_with_files(&[("assets.toml", ASSETS)], |_| {}).await;
    seed(&node).await;

    // JSON lines: a match on an energy asset, a malformed line, a domain match, a miss.
    let body = "{\"src_ip\": \"10.20.1.5\", \"dst_ip\": \"203.0.113.7\"}\n\
                {not json\n\
                {\"query\": \"evil.example\", \"src_ip\": \"10.30.0.9\"}\n\
                {\"src_ip\": \"192.0.2.1\"}\n";
    let first = jsonl(&node, body).await;
    assert_eq!(first["format"], "jsonl");
    assert_eq!(first["lines"], 4);
    assert_eq!(first["matches"], 2, "{first}");
    assert_eq!(first["malformed"], 1);
    assert_eq!(first["errors"][0]["line"], 2);
    assert_eq!(first["sightings"]["created"], 2);
    assert_eq!(first["sightings"]["updated"], 0);
    assert_eq!(first["incidents"], 1);
    assert_eq!(first["sample"][0]["indicator"], IND_IP);
    assert_eq!(first["sample"][0]["line"], 1);

    assert_eq!(first["input"]["recorded"], true, "{first}");
    assert_eq!(first["input"]["recorded_before"], Value::Null, "{first}");
    assert_eq!(first["input"]["bytes"], body.len());

    // Issue 12, item 6: the same input again is matched and reported, but not recorded: the
    // answer says when it was.
    let again = jsonl(&node, body).await;
    assert_eq!(again["matches"], 2, "{again}");
    assert_eq!(again["input"]["sha256"], first["input"]["sha256"]);
    assert_eq!(again["input"]["recorded"], false, "{again}");
    assert!(again["input"]["recorded_before"].is_string(), "{again}");
    assert_eq!(again["sightings"]["created"], 0);
    assert_eq!(again["sightings"]["updated"], 0);
    assert_eq!(again["incidents"], 0);
    assert_eq!(
        versions(&node, "sightings", &sighting_id(&node).await)
            .await
            .len(),
        1
    );

    // Forced: the sightings get new versions, no second incident.
    let (status, second) = post_match(
        &node,
        Some(&node.analyst),
        "?force=true",
        &[("content-type", "application/x-ndjson")],
        body.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["input"]["recorded"], true, "{second}");
    assert_eq!(second["sightings"]["created"], 0);
    assert_eq!(second["sightings"]["updated"], 2);
    assert_eq!(second["incidents"], 0);

    let sightings = all_of(&node, "sightings").await;
    let sighting = sightings
        .iter()
        .find(|s| s["sighting_of_ref"] == IND_IP)
        .unwrap();
    let id = sighting["id"].as_str().unwrap();
    let history = versions(&node, "sightings", id).await;
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["count"], 1);
    assert_eq!(history[1]["count"], 2);
    assert!(history[1]["modified"].as_str() > history[0]["modified"].as_str());
    assert_eq!(history[1]["created"], history[0]["created"]);
    assert_eq!(
        history[1]["object_marking_refs"],
        json!([Tlp::Amber.marking_id()])
    );
    assert!(history[1].get("x_pacific_recipients").is_none());
    for v in &history {
        pacific_core::StixObject::from_json(&v.to_string()).unwrap();
    }

    // Zeek TSV (by header), plain text, and gzip (by Content-Encoding and by magic bytes).
    let zeek = "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.resp_h\tquery\n\
                1767232800.0\tC1\t10.20.9.9\t192.0.2.2\tevil.example\n";
    let (status, answer) = post_match(
        &node,
        Some(&node.analyst),
        "",
        &[("content-type", "text/zeek-tsv")],
        zeek.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["format"], "zeek");
    assert_eq!(answer["matches"], 1, "{answer}");
    // An energy asset on another day (the event's own time) and another indicator: one more
    // incident.
    assert_eq!(answer["incidents"], 1);

    let (status, answer) = post_match(
        &node,
        Some(&node.analyst),
        "",
        &[("content-type", "text/plain")],
        b"Jan 1 fw: deny 10.30.4.4 -> 203.0.113.7 (see http://x.test/)\nnothing here\n".to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["format"], "text");
    assert_eq!(answer["matches"], 1);

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(b"{\"dst_ip\": \"203.0.113.7\"}\n{\"domain\": \"evil.example\"}\n")
        .unwrap();
    let gz = gz.finish().unwrap();
    for headers in [
        &[
            ("content-type", "application/x-ndjson"),
            ("content-encoding", "gzip"),
        ][..],
        &[("content-type", "application/octet-stream")][..],
    ] {
        let (status, answer) =
            post_match(&node, Some(&node.analyst), "?force=1", headers, gz.clone()).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["gzip"], true);
        assert_eq!(answer["matches"], 2, "{answer}");
    }

    // Custom field mapping.
    let (status, answer) = post_match(
        &node,
        Some(&node.analyst),
        "?format=jsonl&map=peer.addr:ip",
        &[],
        b"{\"peer\": {\"addr\": \"203.0.113.7\"}}\n".to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["matches"], 1);

    // Exactly one incident for the energy asset, indicator and day, however many events.
    let incidents = all_of(&node, "incidents").await;
    assert_eq!(incidents.len(), 2, "{incidents:?}");
    let today_incident = incidents
        .iter()
        .find(|i| i["x_pacific_indicator"] == IND_IP)
        .unwrap();
    assert_eq!(today_incident["x_pacific_sector"], "energy");
    assert!(
        today_incident["description"]
            .as_str()
            .unwrap()
            .contains("North grid")
    );

    // Statistics of today, by every dimension (the reader may read them).
    let by = |rows: &[(String, u64)], key: &str| {
        rows.iter()
            .find(|(k, _)| k == key)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    let indicators = stats(&node, &node.reader, "indicator").await;
    // Today: 2 JSON runs, text, 2 gzip runs and the mapped line match the address; 2 JSON
    // runs and 2 gzip runs the domain (the Zeek event is of 2026-01-01).
    assert_eq!(by(&indicators, IND_IP), 2 + 1 + 2 + 1);
    assert_eq!(by(&indicators, IND_DOMAIN), 2 + 2);
    let phases = stats(&node, &node.reader, "kill-chain-phase").await;
    assert_eq!(by(&phases, "mitre-attack:command-and-control"), 10);
    assert_eq!(by(&stats(&node, &node.reader, "malware").await, MALWARE), 6);
    assert_eq!(
        by(&stats(&node, &node.reader, "campaign").await, CAMPAIGN),
        4
    );
    let sectors = stats(&node, &node.reader, "sector").await;
    assert_eq!(by(&sectors, "energy"), 2);
    assert_eq!(by(&sectors, "other"), 2 + 1);
    assert_eq!(by(&sectors, "unknown"), 5);
    assert_eq!(
        by(&stats(&node, &node.reader, "shared-by").await, "local"),
        10
    );
    // The Zeek event counts on its own day.
    let response = node
        .http
        .get(node.url("/match/stats?from=2026-01-01&to=2026-01-01&dimension=sector"))
        .bearer_auth(&node.reader)
        .send()
        .await
        .unwrap();
    let old: Value = response.json().await.unwrap();
    assert_eq!(
        old["stats"],
        json!([{"day": "2026-01-01", "dimension": "sector", "key": "energy", "count": 1}])
    );
}

#[tokio::test]
async fn indicators_added_or_revoked_while_serving_take_effect_without_restart() {
    let node = TestNode::start().await;
    let id = format!("indicator--{}", test_node::uuid());
    let event = "{\"dst_ip\": \"198.51.100.9\"}\n";
    assert_eq!(jsonl(&node, event).await["matches"], 0);

    node.post_objects(
        &node.analyst,
        &[indicator(
            &id,
            "[ipv4-addr:value = '198.51.100.9']",
            "2026-02-01T00:00:00.000Z",
        )],
    )
    .await;
    // The background follower picks it up on its own (within a second or so; GET
    // /match/stats does not refresh) …
    let mut followed = false;
    for _ in 0..100 {
        let response = node
            .http
            .get(node.url("/match/stats"))
            .bearer_auth(&node.reader)
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        if body["indicators"] == 1 {
            followed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(followed, "the follower never loaded the new indicator");
    // … and it matches.
    assert_eq!(jsonl(&node, event).await["matches"], 1);

    // A revoked version takes it out.
    let mut revoked = indicator(
        &id,
        "[ipv4-addr:value = '198.51.100.9']",
        "2026-02-02T00:00:00.000Z",
    );
    revoked["revoked"] = json!(true);
    node.post_objects(&node.analyst, &[revoked]).await;
    let answer = jsonl(&node, event).await;
    assert_eq!(answer["matches"], 0, "{answer}");
    assert_eq!(answer["indicators"], 0);

    // A newer, unrevoked version of another indicator replaces the older pattern.
    let other = format!("indicator--{}", test_node::uuid());
    node.post_objects(
        &node.analyst,
        &[indicator(
            &other,
            "[ipv4-addr:value = '198.51.100.10']",
            "2026-02-01T00:00:00.000Z",
        )],
    )
    .await;
    node.post_objects(
        &node.analyst,
        &[indicator(
            &other,
            "[ipv4-addr:value = '198.51.100.11']",
            "2026-02-03T00:00:00.000Z",
        )],
    )
    .await;
    assert_eq!(
        jsonl(&node, "{\"ip\": \"198.51.100.10\"}\n").await["matches"],
        0
    );
    assert_eq!(
        jsonl(&node, "{\"ip\": \"198.51.100.11\"}\n").await["matches"],
        1
    );
}

/// DELETEs versions of `id` from the default collection over TAXII (`query`: a
/// `?match[version]=` filter, or nothing for every version).
async fn delete_object(node: &TestNode, id: &str, query: &str) {
    let response = node
        .http
        .delete(node.url(&format!(
            "/taxii2/root/collections/{}/objects/{id}/{query}",
            node.collection
        )))
        .bearer_auth(&node.analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
}

/// How many indicators the node's index holds, as `GET /match/stats` says (which does not
/// refresh the index: what it shows is what the DELETE itself did).
async fn indicators_loaded(node: &TestNode) -> u64 {
    let response = node
        .http
        .get(node.url("/match/stats"))
        .bearer_auth(&node.reader)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    body["indicators"].as_u64().unwrap()
}

/// The indicators an event with the address `ip` matches in an index loaded from scratch
/// from the node's store, as a restart loads it.
async fn matched_after_restart(node: &TestNode, ip: &str) -> Vec<String> {
    use pacific_match::{Event, Kind, Observable};
    let service = pacific_node::matching::MatchService::new(
        std::sync::Arc::clone(&node.store),
        None,
        pacific_node::matching::Assets::default(),
        pacific_node::matching::MatchSettings {
            party: pacific_core::policy::PartyId::new("restarted"),
            marking: Tlp::Amber.marking_id(),
            share_sightings_with_producer: false,
            abuse_notices: false,
            max_line_bytes: 1 << 20,
        },
    );
    service.refresh().await.unwrap();
    let event = Event {
        line: 1,
        time: None,
        observables: vec![Observable::new(Kind::Ip, ip)],
    };
    let now = pacific_core::Timestamp::now().unix_micros();
    let index = service.index().read();
    index
        .match_event(&event, now)
        .map(|m| m.indicator.to_string())
        .collect()
}

#[tokio::test]
async fn an_indicator_deleted_over_taxii_stops_matching() {
    let node = TestNode::start().await;
    let id = format!("indicator--{}", test_node::uuid());
    let malware = format!("malware--{}", test_node::uuid());
    let link = json!({
        "type": "relationship", "spec_version": "2.1",
        "id": format!("relationship--{}", test_node::uuid()),
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "relationship_type": "indicates", "source_ref": id, "target_ref": malware
    });
    let v1 = indicator(
        &id,
        "[ipv4-addr:value = '198.51.100.20']",
        "2026-02-01T00:00:00.000Z",
    );
    node.post_objects(
        &node.analyst,
        &[v1.clone(), test_node::malware(&malware), link.clone()],
    )
    .await;
    let event = "{\"dst_ip\": \"198.51.100.20\"}\n";
    let answer = jsonl(&node, event).await;
    assert_eq!(answer["matches"], 1, "{answer}");
    assert_eq!(answer["sample"][0]["indicator"], id.as_str());
    let by_malware = |rows: Vec<(String, u64)>| {
        rows.iter()
            .find(|(k, _)| *k == malware)
            .map_or(0, |(_, n)| *n)
    };
    assert_eq!(by_malware(stats(&node, &node.reader, "malware").await), 1);

    // The relationship deleted: the indicator still matches, but no longer counts for the
    // malware.
    delete_object(&node, link["id"].as_str().unwrap(), "").await;
    assert_eq!(jsonl(&node, event).await["matches"], 1);
    assert_eq!(by_malware(stats(&node, &node.reader, "malware").await), 1);

    // The indicator deleted: out of the index as soon as the DELETE answers.
    delete_object(&node, &id, "").await;
    assert_eq!(indicators_loaded(&node).await, 0);
    let answer = jsonl(&node, event).await;
    assert_eq!(answer["matches"], 0, "{answer}");
    assert_eq!(answer["indicators"], 0);
    // A restart agrees.
    assert!(
        matched_after_restart(&node, "198.51.100.20")
            .await
            .is_empty()
    );

    // Posted again (the same version), it matches again: nothing of it was remembered.
    node.post_objects(&node.analyst, &[v1]).await;
    assert_eq!(jsonl(&node, event).await["matches"], 1);
}

#[tokio::test]
async fn deleting_the_newest_version_brings_the_previous_one_back() {
    let node = TestNode::start().await;
    let id = format!("indicator--{}", test_node::uuid());
    let (old_ip, new_ip) = ("198.51.100.30", "198.51.100.31");
    let old = format!("{{\"ip\": \"{old_ip}\"}}\n");
    let new = format!("{{\"ip\": \"{new_ip}\"}}\n");
    node.post_objects(
        &node.analyst,
        &[indicator(
            &id,
            &format!("[ipv4-addr:value = '{old_ip}']"),
            "2026-02-01T00:00:00.000Z",
        )],
    )
    .await;
    let mut newest = indicator(
        &id,
        &format!("[ipv4-addr:value = '{new_ip}']"),
        "2026-02-02T00:00:00.000Z",
    );
    // The newer version is also valid only later than the older one.
    newest["valid_from"] = json!("2026-02-02T00:00:00Z");
    node.post_objects(&node.analyst, &[newest]).await;
    assert_eq!(jsonl(&node, &old).await["matches"], 0);
    assert_eq!(jsonl(&node, &new).await["matches"], 1);

    delete_object(&node, &id, "?match[version]=2026-02-02T00:00:00.000Z").await;
    assert_eq!(indicators_loaded(&node).await, 1);
    let answer = jsonl(&node, &old).await;
    assert_eq!(
        answer["matches"], 1,
        "the older pattern matches again: {answer}"
    );
    assert_eq!(jsonl(&node, &new).await["matches"], 0);
    // With its own validity: an event before the newer version's valid_from matches.
    let between = format!("{{\"ts\": \"2026-02-01T12:00:00Z\", \"ip\": \"{old_ip}\"}}\n");
    assert_eq!(jsonl(&node, &between).await["matches"], 1);
    assert_eq!(matched_after_restart(&node, old_ip).await, [id.as_str()]);
    assert!(matched_after_restart(&node, new_ip).await.is_empty());

    // A revoked newest version, deleted: the older one is back as well.
    let mut revoked = indicator(
        &id,
        &format!("[ipv4-addr:value = '{old_ip}']"),
        "2026-02-03T00:00:00.000Z",
    );
    revoked["revoked"] = json!(true);
    node.post_objects(&node.analyst, &[revoked]).await;
    assert_eq!(jsonl(&node, &old).await["matches"], 0);
    delete_object(&node, &id, "?match[version]=last").await;
    assert_eq!(jsonl(&node, &old).await["matches"], 1);

    // The last version deleted: nothing matches.
    delete_object(&node, &id, "?match[version]=2026-02-01T00:00:00.000Z").await;
    assert_eq!(indicators_loaded(&node).await, 0);
    assert_eq!(jsonl(&node, &old).await["matches"], 0);
    assert_eq!(jsonl(&node, &new).await["matches"], 0);
}

#[tokio::test]
async fn bad_input_is_counted_with_line_numbers_and_never_stops_the_run() {
    let node = TestNode::start().await;
    seed(&node).await;
    let mut body = Vec::new();
    body.extend_from_slice(b"{\"dst_ip\": \"203.0.113.7\"}\n"); // 1: match
    body.extend_from_slice(b"\x00\x01\x02\xff\xfe binary\n"); // 2: garbage
    body.extend_from_slice(b"{\"dst_ip\": \"\xff\xfe\"}\n"); // 3: invalid UTF-8
    body.extend(std::iter::repeat_n(b'a', 2 << 20)); // 4: a 2 MiB line
    body.push(b'\n');
    for _ in 0..20 {
        body.extend_from_slice(b"[1, 2\n"); // 5..=24: not objects
    }
    body.extend_from_slice(b"{\"dst_ip\": \"203.0.113.7\"}\n"); // 25: match
    let (status, answer) = post_match(
        &node,
        Some(&node.analyst),
        "?format=jsonl&show=3",
        &[],
        body,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["lines"], 25);
    assert_eq!(answer["matches"], 2);
    assert_eq!(answer["oversized"], 1);
    assert_eq!(answer["malformed"], 22, "{answer}");
    let lines: Vec<u64> = answer["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3, 4]);

    // Text extraction of the same garbage finds what there is and reports nothing malformed.
    let (status, answer) = post_match(
        &node,
        Some(&node.analyst),
        "?format=text",
        &[],
        b"\xff\xfe203.0.113.7\x00\x01 evil.example\n\x80\x81\x82\n".to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["matches"], 2, "{answer}");
    assert_eq!(answer["malformed"], 0);
}

#[tokio::test]
async fn who_may_match_and_read_statistics() {
    let node = TestNode::start().await;
    let line = b"{\"ip\": \"192.0.2.1\"}\n".to_vec();
    let (status, answer) = post_match(&node, None, "", &[], line.clone()).await;
    assert_eq!(status, 401);
    assert_eq!(answer["error_code"], "auth-required");
    let (status, answer) = post_match(&node, Some(&node.reader), "", &[], line.clone()).await;
    assert_eq!(status, 403);
    assert_eq!(answer["error_code"], "auth-forbidden");
    for token in [&node.analyst, &node.admin] {
        let (status, _) = post_match(&node, Some(token), "", &[], line.clone()).await;
        assert_eq!(status, 200);
    }
    let (status, answer) =
        post_match(&node, Some(&node.analyst), "?format=xml", &[], line.clone()).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error_code"], "bad-request");
    let (status, _) = post_match(
        &node,
        Some(&node.analyst),
        "",
        &[("content-encoding", "br")],
        line,
    )
    .await;
    assert_eq!(status, 400);

    let stats_url = node.url("/match/stats");
    let response = node.http.get(&stats_url).send().await.unwrap();
    assert_eq!(response.status(), 401);
    for token in [&node.reader, &node.analyst, &node.admin] {
        let response = node
            .http
            .get(&stats_url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    for bad in ["?from=yesterday", "?dimension=colour"] {
        let response = node
            .http
            .get(format!("{stats_url}{bad}"))
            .bearer_auth(&node.reader)
            .header("accept", TAXII)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{bad}");
    }
}

#[tokio::test]
async fn a_sighting_goes_back_to_the_producer_and_nowhere_else() {
    use federation::{FedNode, OPEN_POLICY, Spec, eventually};
    use pacific_core::party::StakeholderType::{Company, State};

    let tmp = tempfile::tempdir().unwrap();
    let spec = |id, name, kind, jurisdiction| Spec {
        id,
        name,
        kind,
        jurisdiction: Some(jurisdiction),
        policy: OPEN_POLICY,
    };
    let mut alpha = FedNode::create(tmp.path(), &spec("alpha", "Alpha CERT", State, "XA")).await;
    let mut bravo = FedNode::create(tmp.path(), &spec("bravo", "Bravo CERT", State, "XB")).await;
    let mut charlie = FedNode::create(
        tmp.path(),
        &spec("charlie", "Charlie Hosting", Company, "XB"),
    )
    .await;
    alpha.add_peer(&bravo, State, Some("XB")).await;
    alpha.add_peer(&charlie, Company, Some("XB")).await;
    bravo.add_peer(&alpha, State, Some("XA")).await;
    bravo.add_peer(&charlie, Company, Some("XB")).await;
    charlie.add_peer(&alpha, State, Some("XA")).await;
    charlie.add_peer(&bravo, State, Some("XB")).await;

    // Bravo shares its sightings with producers, and has an analyst.
    let config_path = bravo.dir.root().join("pacific.toml");
    let mut config =
        pacific_node::config::Config::from_toml(&std::fs::read_to_string(&config_path).unwrap())
            .unwrap();
    config.matching.share_sightings_with_producer = true;
    std::fs::write(&config_path, config.to_toml()).unwrap();
    let token = {
        let store = bravo.dir.open_store().await.unwrap();
        pacific_node::auth::add_user(
            store.as_ref(),
            "analyst",
            pacific_core::access::Role::Analyst,
        )
        .await
        .unwrap()
        .token
    };

    alpha.start().await;
    bravo.start().await;
    charlie.start().await;

    // Alpha's indicator, TLP:GREEN: it reaches Bravo (and Charlie).
    let ind = federation::indicator(
        Some(Tlp::Green),
        json!({"pattern": "[ipv4-addr:value = '203.0.113.77']"}),
    );
    let ind_id = ind["id"].as_str().unwrap().to_owned();
    alpha.add(&[ind]).await;
    assert!(
        eventually(Duration::from_secs(20), || bravo.has(&ind_id))
            .await
            .is_some(),
        "the indicator never reached Bravo"
    );

    // Bravo matches it.
    let http = reqwest::Client::new();
    let response = http
        .post(format!("{}/match", bravo.url()))
        .bearer_auth(&token)
        .header("content-type", "application/x-ndjson")
        .body("{\"dst_ip\": \"203.0.113.77\"}\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["matches"], 1, "{answer}");
    assert_eq!(answer["sightings"]["created"], 1);

    let sightings = pacific_node::find_collection(bravo.store().as_ref(), "sightings")
        .await
        .unwrap()
        .unwrap();
    let page = bravo
        .store()
        .query_objects(&sightings.id, &ObjectQuery::all(10), true)
        .await
        .unwrap();
    let sighting: Value = serde_json::from_str(&page.items[0].json).unwrap();
    assert_eq!(sighting["x_pacific_recipients"], json!(["alpha"]));
    assert_eq!(
        sighting["object_marking_refs"],
        json!([Tlp::Amber.marking_id()])
    );
    let sighting_id = sighting["id"].as_str().unwrap().to_owned();

    // It reaches Alpha; Charlie never gets it.
    assert!(
        eventually(Duration::from_secs(20), || alpha.has(&sighting_id))
            .await
            .is_some(),
        "the sighting never reached its producer"
    );
    assert!(bravo.drained_to("charlie", Duration::from_secs(20)).await);
    assert!(bravo.drained_to("alpha", Duration::from_secs(20)).await);
    assert!(alpha.drained_to("charlie", Duration::from_secs(20)).await);
    assert!(!charlie.has(&sighting_id).await);

    alpha.stop().await;
    bravo.stop().await;
    charlie.stop().await;
}

/// Two recorders on one data directory (a node and `pacific match --record`, each with its own
/// store connection) recording matches of one indicator at once: every match is counted in
/// the one sighting, none lost to the other's read-add-write.
#[tokio::test]
async fn two_recorders_on_one_data_directory_lose_no_sighting_count() {
    use federation::{FedNode, OPEN_POLICY, Spec};
    use pacific_node::matching::MatchService;

    let tmp = tempfile::tempdir().unwrap();
    let node = FedNode::create(
        tmp.path(),
        &Spec {
            id: "alpha",
            name: "Alpha CERT",
            kind: pacific_core::party::StakeholderType::State,
            jurisdiction: Some("XA"),
            policy: OPEN_POLICY,
        },
    )
    .await;
    let ind = federation::indicator(
        Some(Tlp::Green),
        json!({"pattern": "[ipv4-addr:value = '203.0.113.55']"}),
    );
    let ind_id = ind["id"].as_str().unwrap().to_owned();
    let config = node.dir.load_config().unwrap();
    let recorder = |store| MatchService::open(node.dir.root(), &config, store, None);
    {
        let store = node.dir.open_store().await.unwrap();
        store
            .add_objects(
                &node.collection,
                &[pacific_core::StixObject::from_value(ind).unwrap()],
            )
            .await
            .unwrap();
    }
    const ROUNDS: u64 = 15;
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let service = recorder(node.dir.open_store().await.unwrap())
            .await
            .unwrap();
        tasks.push(tokio::spawn(async move {
            for _ in 0..ROUNDS {
                let mut run = service.run(pacific_core::Timestamp::now().unix_micros(), 0);
                let mut tallies = Vec::new();
                service
                    .match_reader(
                        &b"{\"dst_ip\": \"203.0.113.55\"}\n"[..],
                        &pacific_match::InputOptions::default(),
                        &mut run,
                        |_, _| {},
                        |t| tallies.push(t),
                    )
                    .unwrap();
                for t in tallies {
                    service.record(t).await.unwrap();
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let store = node.dir.open_store().await.unwrap();
    let sightings = pacific_node::find_collection(store.as_ref(), "sightings")
        .await
        .unwrap()
        .expect("the sightings collection");
    let page = store
        .query_objects(&sightings.id, &ObjectQuery::all(100), true)
        .await
        .unwrap();
    let counts: Vec<(String, u64)> = page
        .items
        .iter()
        .map(|v| serde_json::from_str::<Value>(&v.json).unwrap())
        .map(|s| {
            (
                s["sighting_of_ref"].as_str().unwrap_or("").to_owned(),
                s["count"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(counts, [(ind_id, 2 * ROUNDS)]);
}

/// Issue 12, item 6: events dated before an indicator's `valid_from`, after its `valid_until`
/// or matching a revoked indicator are not matched, and the answer counts each reason;
/// `?retro=true` matches the first kind (old logs against newly shared indicators) and says
/// how many it matched so.
#[tokio::test]
async fn matches_skipped_by_validity_are_counted_and_retro_matches_old_events() {
    let node = TestNode::start().await;
    let id = |n: u32| format!("indicator--{n:08x}-6666-4666-8666-666666666666");
    let mut fresh = indicator(
        &id(1),
        "[ipv4-addr:value = '198.51.100.61']",
        "2026-03-01T00:00:00.000Z",
    );
    fresh["valid_from"] = json!("2026-03-01T00:00:00Z");
    let mut expired = indicator(
        &id(2),
        "[ipv4-addr:value = '198.51.100.62']",
        "2026-01-01T00:00:00.000Z",
    );
    expired["valid_until"] = json!("2026-01-10T00:00:00Z");
    let mut revoked = indicator(
        &id(3),
        "[ipv4-addr:value = '198.51.100.63']",
        "2026-02-01T00:00:00.000Z",
    );
    revoked["revoked"] = json!(true);
    node.post_objects(&node.analyst, &[fresh, expired, revoked])
        .await;
    let body = "{\"ts\": \"2026-02-01T00:00:00Z\", \"dst_ip\": \"198.51.100.61\"}\n\
                {\"ts\": \"2026-02-01T00:00:00Z\", \"dst_ip\": \"198.51.100.62\"}\n\
                {\"ts\": \"2026-02-01T00:00:00Z\", \"dst_ip\": \"198.51.100.63\"}\n\
                {\"ts\": \"2026-03-02T00:00:00Z\", \"dst_ip\": \"198.51.100.61\"}\n";
    let answer = jsonl(&node, body).await;
    assert_eq!(answer["matches"], 1, "{answer}");
    assert_eq!(answer["window"], "valid");
    assert_eq!(
        answer["skipped"],
        json!({"before_valid_from": 1, "after_valid_until": 1, "revoked": 1}),
        "{answer}"
    );
    assert_eq!(answer["retro_matches"], 0);

    let (status, retro) = post_match(
        &node,
        Some(&node.analyst),
        "?retro=true&force=true",
        &[("content-type", "application/x-ndjson")],
        body.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{retro}");
    assert_eq!(retro["matches"], 2, "{retro}");
    assert_eq!(retro["window"], "retro");
    assert_eq!(
        retro["skipped"],
        json!({"before_valid_from": 0, "after_valid_until": 1, "revoked": 1}),
        "{retro}"
    );
    assert_eq!(retro["retro_matches"], 1);

    let (status, bad) = post_match(&node, Some(&node.analyst), "?retro=maybe", &[], vec![]).await;
    assert_eq!(status, 400, "{bad}");
}
