//! The TAXII 2.1 server, driven over HTTP on 127.0.0.1 as a client sees it: every endpoint,
//! every filter, and the error objects with their status codes.

use std::collections::HashSet;

use pacific_testkit::test_node::{TAXII, TestNode, indicator, malware, uuid};
use serde_json::{Value, json};

fn ids(envelope: &Value) -> Vec<String> {
    envelope["objects"].as_array().map_or(vec![], |a| {
        a.iter()
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect()
    })
}

#[tokio::test]
async fn discovery_api_root_and_collections_describe_the_node() {
    let node = TestNode::start().await;
    let r = node.get("/taxii2/", &node.reader).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], TAXII);
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["default"], node.url("/taxii2/root/"));
    assert_eq!(d["api_roots"][0], node.url("/taxii2/root/"));
    assert!(d["title"].as_str().unwrap().contains("Test CERT"));

    let root: Value = node
        .get("/taxii2/root/", &node.reader)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(root["versions"], json!([TAXII]));
    assert_eq!(root["max_content_length"], 100 * 1024 * 1024);

    let list: Value = node
        .get("/taxii2/root/collections/", &node.reader)
        .await
        .json()
        .await
        .unwrap();
    let c = &list["collections"][0];
    assert_eq!(c["id"], node.collection);
    assert_eq!(
        (c["can_read"].as_bool(), c["can_write"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(
        c["media_types"],
        json!(["application/stix+json;version=2.1"])
    );

    let by_alias: Value = node
        .get("/taxii2/root/collections/default/", &node.analyst)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_alias["id"], node.collection);
    assert_eq!(by_alias["can_write"], true);
}

#[tokio::test]
async fn posted_objects_are_stored_asynchronously_and_reported_in_the_status() {
    let node = TestNode::start().await;
    let good = indicator(
        &format!("indicator--{}", uuid()),
        "2026-02-01T00:00:00.000Z",
    );
    let mut bad = indicator(
        &format!("indicator--{}", uuid()),
        "2026-02-01T00:00:00.000Z",
    );
    bad.as_object_mut().unwrap().remove("pattern");
    let status = node
        .post_objects(&node.analyst, &[good.clone(), bad.clone()])
        .await;
    assert_eq!(status["total_count"], 2);
    assert_eq!(status["success_count"], 1);
    assert_eq!(status["failure_count"], 1);
    assert_eq!(status["pending_count"], 0);
    assert_eq!(status["successes"][0]["id"], good["id"]);
    assert_eq!(status["failures"][0]["id"], bad["id"]);
    assert!(
        status["failures"][0]["message"]
            .as_str()
            .unwrap()
            .contains("pattern"),
        "{status}"
    );

    // Posting the same version again changes nothing and says so.
    let again = node
        .post_objects(&node.analyst, std::slice::from_ref(&good))
        .await;
    assert_eq!(again["success_count"], 1);
    assert!(
        again["successes"][0]["message"]
            .as_str()
            .unwrap()
            .contains("already")
    );

    let path = format!(
        "/taxii2/root/collections/{}/objects/{}/",
        node.collection,
        good["id"].as_str().unwrap()
    );
    let env: Value = node.get(&path, &node.reader).await.json().await.unwrap();
    assert_eq!(
        env["objects"],
        json!([good]),
        "stored objects come back unchanged"
    );
}

/// One TAXII POST of `objects` as the analyst, without polling: the HTTP status and the
/// status resource answered.
async fn post_once(node: &TestNode, objects: &[Value]) -> (u16, Value) {
    let r = node
        .http
        .post(node.objects_url())
        .bearer_auth(&node.analyst)
        .header("accept", TAXII)
        .header("content-type", TAXII)
        .body(json!({ "objects": objects }).to_string())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// Polls a status resource until it is complete.
async fn completed_status(node: &TestNode, status: &Value) -> Value {
    let path = format!("/taxii2/root/status/{}/", status["id"].as_str().unwrap());
    for _ in 0..1500 {
        let now: Value = node.get(&path, &node.reader).await.json().await.unwrap();
        if now["status"] == "complete" {
            return now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("status {path} never completed");
}

fn indicators(n: usize) -> Vec<Value> {
    (0..n)
        .map(|_| {
            indicator(
                &format!("indicator--{}", uuid()),
                "2026-02-01T00:00:00.000Z",
            )
        })
        .collect()
}

/// TAXII 2.1 §5.5: the server may answer a POST with a complete status. With the default
/// `server.post_wait_millis`, a small POST is stored within the request: the 202 answer is the
/// complete status with its counts, and the objects are readable as soon as it arrives.
#[tokio::test]
async fn a_small_post_is_answered_complete_with_its_counts_in_the_same_response() {
    let node = TestNode::start().await;
    let good = indicators(3);
    let mut bad = indicator(
        &format!("indicator--{}", uuid()),
        "2026-02-01T00:00:00.000Z",
    );
    bad.as_object_mut().unwrap().remove("pattern");
    let mut objects = good.clone();
    objects.push(bad.clone());

    let (code, status) = post_once(&node, &objects).await;
    assert_eq!(code, 202, "{status}");
    assert_eq!(status["status"], "complete", "{status}");
    assert_eq!(
        (
            &status["total_count"],
            &status["success_count"],
            &status["failure_count"],
            &status["pending_count"]
        ),
        (&json!(4), &json!(3), &json!(1), &json!(0)),
        "{status}"
    );
    let succeeded: HashSet<&str> = status["successes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    let posted: HashSet<&str> = good.iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(succeeded, posted);
    assert_eq!(status["failures"][0]["id"], bad["id"]);
    assert!(
        status.get("pendings").is_none_or(|p| p == &json!([])),
        "{status}"
    );

    // Stored when answered: readable at once, and the status resource says the same.
    let stored: Value = node
        .get(
            &format!("/taxii2/root/collections/{}/objects/", node.collection),
            &node.reader,
        )
        .await
        .json()
        .await
        .unwrap();
    let stored: HashSet<String> = ids(&stored).into_iter().collect();
    assert_eq!(
        stored,
        posted
            .iter()
            .map(|s| (*s).to_owned())
            .collect::<HashSet<_>>()
    );
    let path = format!("/taxii2/root/status/{}/", status["id"].as_str().unwrap());
    let recorded: Value = node.get(&path, &node.reader).await.json().await.unwrap();
    assert_eq!(recorded, status);
}

/// `server.post_wait_millis = 0`: a POST never waits; it is answered pending for its valid
/// objects and its status completes in the background.
#[tokio::test]
async fn with_no_post_wait_a_post_is_answered_pending_and_its_status_completes() {
    let node = TestNode::start_with(|c| c.server.post_wait_millis = 0).await;
    let objects = indicators(2);
    let (code, status) = post_once(&node, &objects).await;
    assert_eq!(code, 202, "{status}");
    assert_eq!(status["status"], "pending", "{status}");
    assert_eq!(status["pending_count"], 2, "{status}");
    assert_eq!(status["success_count"], 0, "{status}");

    let done = completed_status(&node, &status).await;
    assert_eq!(done["success_count"], 2, "{done}");
    assert_eq!(done["pending_count"], 0, "{done}");
    assert_eq!(done["total_count"], 2, "{done}");
}

/// A POST whose objects are not all stored within `server.post_wait_millis` is answered
/// pending when the wait ends, not when storing does; storing goes on and completes its status.
#[tokio::test]
async fn a_post_longer_than_the_wait_is_answered_pending_and_completes_in_the_background() {
    const POSTED: usize = 5000;
    // One millisecond: no node stores 5,000 objects and records them in its log that fast.
    let node = TestNode::start_with(|c| c.server.post_wait_millis = 1).await;
    let before = node.store.stats().await.unwrap().object_versions;
    let (code, status) = post_once(&node, &indicators(POSTED)).await;
    assert_eq!(code, 202, "{status}");
    assert_eq!(status["status"], "pending", "{}", status["status"]);
    assert_eq!(
        status["pending_count"], POSTED,
        "{}",
        status["pending_count"]
    );

    let done = completed_status(&node, &status).await;
    assert_eq!(done["success_count"], POSTED, "{}", done["success_count"]);
    assert_eq!(done["pending_count"], 0);
    let after = node.store.stats().await.unwrap().object_versions;
    assert_eq!(after - before, POSTED as u64);
}

#[tokio::test]
async fn pagination_follows_next_and_stays_correct_while_objects_are_added() {
    let node = TestNode::start().await;
    let first: Vec<Value> = (0..25)
        .map(|_| indicator(&format!("indicator--{}", uuid()), "2026-03-01T00:00:00Z"))
        .collect();
    node.post_objects(&node.analyst, &first).await;

    let path = format!(
        "/taxii2/root/collections/{}/objects/?limit=10",
        node.collection
    );
    let r = node.get(&path, &node.reader).await;
    let added_first = r.headers()["x-taxii-date-added-first"]
        .to_str()
        .unwrap()
        .to_owned();
    let added_last = r.headers()["x-taxii-date-added-last"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(added_first < added_last);
    let mut env: Value = r.json().await.unwrap();
    let mut seen = ids(&env);
    assert_eq!(seen.len(), 10);
    assert_eq!(env["more"], true);

    // Objects added mid-way must not disturb the pages that follow.
    let later: Vec<Value> = (0..7)
        .map(|_| indicator(&format!("indicator--{}", uuid()), "2026-03-01T00:00:00Z"))
        .collect();
    node.post_objects(&node.analyst, &later).await;

    while env["more"] == true {
        let next = env["next"].as_str().unwrap();
        let path = format!(
            "/taxii2/root/collections/{}/objects/?limit=10&next={next}",
            node.collection
        );
        env = node.get(&path, &node.reader).await.json().await.unwrap();
        seen.extend(ids(&env));
    }
    let expected: Vec<String> = first
        .iter()
        .chain(&later)
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, expected, "every object once, in the order added");

    // added_after is strictly after.
    let path = format!(
        "/taxii2/root/collections/{}/objects/?added_after={added_last}",
        node.collection
    );
    let env: Value = node.get(&path, &node.reader).await.json().await.unwrap();
    assert_eq!(ids(&env), expected[10..].to_vec());
}

#[tokio::test]
async fn match_filters_select_types_ids_versions_and_spec_versions() {
    let node = TestNode::start().await;
    let id = format!("indicator--{}", uuid());
    let v1 = indicator(&id, "2026-04-01T00:00:00.000Z");
    let v2 = indicator(&id, "2026-04-02T00:00:00.000Z");
    let v3 = indicator(&id, "2026-04-03T00:00:00.000Z");
    let m = malware(&format!("malware--{}", uuid()));
    // v1 arrives after v2 and v3: "first" is about versions, not arrival.
    node.post_objects(
        &node.analyst,
        &[v2.clone(), v3.clone(), m.clone(), v1.clone()],
    )
    .await;
    let c = &node.collection;
    let get = |q: String| {
        let node = &node;
        async move {
            node.get(
                &format!("/taxii2/root/collections/{c}/objects/?{q}"),
                &node.reader,
            )
            .await
            .json::<Value>()
            .await
            .unwrap()
        }
    };
    let modified = |env: &Value| -> Vec<String> {
        env["objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["modified"].as_str().unwrap().to_owned())
            .collect()
    };

    let latest = get("match[type]=indicator".into()).await;
    assert_eq!(modified(&latest), ["2026-04-03T00:00:00.000Z"]);
    let firsts = get("match[type]=indicator&match[version]=first".into()).await;
    assert_eq!(modified(&firsts), ["2026-04-01T00:00:00.000Z"]);
    let all = get(format!("match[id]={id}&match[version]=all")).await;
    assert_eq!(all["objects"].as_array().unwrap().len(), 3);
    let exact = get(format!(
        "match[id]={id}&match[version]=2026-04-02T00:00:00Z"
    ))
    .await;
    assert_eq!(modified(&exact), ["2026-04-02T00:00:00.000Z"]);
    let two = get(format!("match[id]={id}&match[version]=first,last")).await;
    assert_eq!(two["objects"].as_array().unwrap().len(), 2);
    let malware_only = get("match[type]=malware".into()).await;
    assert_eq!(malware_only["objects"], json!([m]));
    let both = get("match[type]=malware,indicator".into()).await;
    assert_eq!(both["objects"].as_array().unwrap().len(), 2);
    let spec20 = get("match[spec_version]=2.0".into()).await;
    assert!(spec20.get("objects").is_none(), "{spec20}");
    assert_eq!(spec20["more"], false);
    let spec21 = get("match[spec_version]=2.1".into()).await;
    assert_eq!(spec21["objects"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn manifest_versions_object_and_delete() {
    let node = TestNode::start().await;
    let id = format!("indicator--{}", uuid());
    node.post_objects(
        &node.analyst,
        &[
            indicator(&id, "2026-05-01T00:00:00.000Z"),
            indicator(&id, "2026-05-02T00:00:00.000Z"),
        ],
    )
    .await;
    let c = &node.collection;

    let manifest: Value = node
        .get(
            &format!("/taxii2/root/collections/{c}/manifest/?match[version]=all"),
            &node.reader,
        )
        .await
        .json()
        .await
        .unwrap();
    let records = manifest["objects"].as_array().unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["id"], id);
    assert_eq!(
        records[0]["media_type"],
        "application/stix+json;version=2.1"
    );
    assert_eq!(records[1]["version"], "2026-05-02T00:00:00.000Z");
    assert!(
        records[0]["date_added"].as_str().unwrap() < records[1]["date_added"].as_str().unwrap()
    );

    let versions: Value = node
        .get(
            &format!("/taxii2/root/collections/{c}/objects/{id}/versions/"),
            &node.reader,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        versions["versions"],
        json!(["2026-05-01T00:00:00.000Z", "2026-05-02T00:00:00.000Z"])
    );
    assert_eq!(versions["more"], false);

    let r = node
        .get(
            &format!(
                "/taxii2/root/collections/{c}/objects/indicator--{}/",
                uuid()
            ),
            &node.reader,
        )
        .await;
    assert_eq!(r.status(), 404);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["http_status"], "404");

    // Delete one version, then the rest.
    let del = |q: &str| {
        node.http
            .delete(node.url(&format!("/taxii2/root/collections/{c}/objects/{id}/{q}")))
            .bearer_auth(&node.analyst)
            .send()
    };
    assert_eq!(
        del("?match[version]=2026-05-02T00:00:00.000Z")
            .await
            .unwrap()
            .status(),
        200
    );
    let env: Value = node
        .get(
            &format!("/taxii2/root/collections/{c}/objects/{id}/"),
            &node.reader,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        env["objects"][0]["modified"], "2026-05-01T00:00:00.000Z",
        "the older version is now the latest"
    );
    assert_eq!(del("").await.unwrap().status(), 200);
    assert_eq!(
        node.get(
            &format!("/taxii2/root/collections/{c}/objects/{id}/"),
            &node.reader
        )
        .await
        .status(),
        404
    );
    assert_eq!(del("").await.unwrap().status(), 404);
}

async fn error_of(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    assert_eq!(r.headers()["content-type"], TAXII);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["http_status"], status.to_string());
    assert!(body["title"].is_string());
    (status, body)
}

#[tokio::test]
async fn bad_requests_get_taxii_error_objects_with_the_right_status() {
    let node = TestNode::start_with(|c| c.server.max_content_length = 2048).await;
    let objects = node.objects_url();
    let post = |content_type: &'static str, body: String| {
        node.http
            .post(&objects)
            .bearer_auth(&node.analyst)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    // 400: malformed JSON, bad filter values, unknown filters.
    assert_eq!(
        error_of(post(TAXII, "{not json".into()).await.unwrap())
            .await
            .0,
        400
    );
    for q in [
        "?limit=0",
        "?added_after=yesterday",
        "?match[version]=newest",
        "?next=zzz",
        "?colour=blue",
    ] {
        let (status, body) = error_of(
            node.get(
                &format!("/taxii2/root/collections/default/objects/{q}"),
                &node.reader,
            )
            .await,
        )
        .await;
        assert_eq!(status, 400, "{q}: {body}");
    }
    // 406: an Accept that excludes TAXII.
    let r = node
        .http
        .get(node.url("/taxii2/"))
        .bearer_auth(&node.reader)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, 406);
    // 413: larger than max_content_length.
    let big = json!({"objects": [indicator(&format!("indicator--{}", uuid()), "2026-01-01T00:00:00Z")], "pad": "x".repeat(4096)});
    assert_eq!(
        error_of(post(TAXII, big.to_string()).await.unwrap())
            .await
            .0,
        413
    );
    // 415: not TAXII JSON.
    assert_eq!(
        error_of(
            post("application/json", "{\"objects\":[]}".into())
                .await
                .unwrap()
        )
        .await
        .0,
        415
    );
    // 422: JSON, but not an envelope.
    assert_eq!(
        error_of(post(TAXII, "[1,2,3]".into()).await.unwrap())
            .await
            .0,
        422
    );
    assert_eq!(
        error_of(post(TAXII, "{\"things\":[]}".into()).await.unwrap())
            .await
            .0,
        422
    );
    // 404: unknown collection, unknown status, unknown path.
    let (status, body) = error_of(
        node.get(
            &format!("/taxii2/root/collections/{}/", uuid()),
            &node.reader,
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (404, Some("not-found"))
    );
    assert_eq!(
        error_of(
            node.get(&format!("/taxii2/root/status/{}/", uuid()), &node.reader)
                .await
        )
        .await
        .0,
        404
    );
    assert_eq!(
        error_of(node.get("/taxii2/elsewhere/", &node.reader).await)
            .await
            .0,
        404
    );
    // Nothing was half-stored by any of this.
    let env: Value = node
        .get("/taxii2/root/collections/default/objects/", &node.reader)
        .await
        .json()
        .await
        .unwrap();
    assert!(env.get("objects").is_none(), "{env}");
}

/// Every endpoint, every kind of caller: who gets in and who is turned away.
#[tokio::test]
async fn every_endpoint_checks_authentication_and_authorisation() {
    let node = TestNode::start().await;
    let id = format!("indicator--{}", uuid());
    node.post_objects(&node.admin, &[indicator(&id, "2026-06-01T00:00:00Z")])
        .await;
    let status = node.post_objects(&node.admin, &[]).await;
    let status_id = status["id"].as_str().unwrap().to_owned();
    let c = node.collection.clone();
    // An analyst barred from the collection by an explicit grant.
    node.store
        .set_grant(
            "analyst",
            &pacific_core::access::CollectionGrant {
                collection_id: c.clone(),
                can_read: false,
                can_write: false,
            },
        )
        .await
        .unwrap();

    let get_endpoints = [
        "/taxii2/".to_owned(),
        "/taxii2/root/".to_owned(),
        format!("/taxii2/root/status/{status_id}/"),
        "/taxii2/root/collections/".to_owned(),
        format!("/taxii2/root/collections/{c}/"),
        format!("/taxii2/root/collections/{c}/objects/"),
        format!("/taxii2/root/collections/{c}/objects/{id}/"),
        format!("/taxii2/root/collections/{c}/objects/{id}/versions/"),
        format!("/taxii2/root/collections/{c}/manifest/"),
        "/metrics".to_owned(),
    ];
    let collection_scoped =
        |p: &str| p.contains("/collections/") && p.len() > "/taxii2/root/collections/".len();
    for path in &get_endpoints {
        let anonymous = node.http.get(node.url(path)).send().await.unwrap();
        assert_eq!(anonymous.status(), 401, "anonymous GET {path}");
        assert!(anonymous.headers().contains_key("www-authenticate"));
        let forged = node.get(path, "pac_000000000000_forged").await;
        assert_eq!(forged.status(), 401, "forged token GET {path}");
        let wrong_user = node
            .http
            .get(node.url(path))
            .basic_auth("reader", Some(&node.admin))
            .send()
            .await
            .unwrap();
        assert_eq!(wrong_user.status(), 401, "another user's token GET {path}");

        let expect_reader = if path == "/metrics" { 403 } else { 200 };
        assert_eq!(
            node.get(path, &node.reader).await.status(),
            expect_reader,
            "reader GET {path}"
        );
        let basic = node
            .http
            .get(node.url(path))
            .basic_auth("reader", Some(&node.reader))
            .send()
            .await
            .unwrap();
        assert_eq!(basic.status(), expect_reader, "reader (Basic) GET {path}");
        let expect_barred = if collection_scoped(path) || path == "/metrics" {
            403
        } else {
            200
        };
        assert_eq!(
            node.get(path, &node.analyst).await.status(),
            expect_barred,
            "barred analyst GET {path}"
        );
        assert_eq!(
            node.get(path, &node.admin).await.status(),
            200,
            "admin GET {path}"
        );
    }
    // The barred analyst does not even see the collection listed.
    let list: Value = node
        .get("/taxii2/root/collections/", &node.analyst)
        .await
        .json()
        .await
        .unwrap();
    assert!(list.get("collections").is_none(), "{list}");

    // Writes: POST objects and DELETE object.
    let body =
        json!({"objects": [indicator(&format!("indicator--{}", uuid()), "2026-06-01T00:00:00Z")]})
            .to_string();
    let post = |token: Option<&str>| {
        let mut r = node
            .http
            .post(node.objects_url())
            .header("content-type", TAXII)
            .body(body.clone());
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    assert_eq!(post(None).await.unwrap().status(), 401);
    assert_eq!(post(Some(&node.reader)).await.unwrap().status(), 403);
    assert_eq!(post(Some(&node.analyst)).await.unwrap().status(), 403);
    assert_eq!(post(Some(&node.admin)).await.unwrap().status(), 202);
    let delete_url = node.url(&format!("/taxii2/root/collections/{c}/objects/{id}/"));
    assert_eq!(
        node.http.delete(&delete_url).send().await.unwrap().status(),
        401
    );
    assert_eq!(
        node.http
            .delete(&delete_url)
            .bearer_auth(&node.reader)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        node.http
            .delete(&delete_url)
            .bearer_auth(&node.analyst)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        node.http
            .delete(&delete_url)
            .bearer_auth(&node.admin)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Health is public and says nothing but that the node is up.
    let health = node.http.get(node.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn metrics_count_requests_objects_and_ingest() {
    let node = TestNode::start().await;
    let objects: Vec<Value> = (0..5)
        .map(|_| indicator(&format!("indicator--{}", uuid()), "2026-07-01T00:00:00Z"))
        .collect();
    node.post_objects(&node.analyst, &objects).await;
    let _ = node
        .get("/taxii2/root/collections/default/objects/", &node.reader)
        .await;
    let text = node
        .get("/metrics", &node.admin)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("pacific_http_requests_total{route=\"/taxii2/root/collections/{collection}/objects/\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("route=\"/taxii2/root/collections/{collection}/objects/\",status=\"202\"} 1"),
        "{text}"
    );
    assert!(text.contains("pacific_objects_stored 5\n"), "{text}");
    assert!(
        text.contains("pacific_objects_ingested_total 5\n"),
        "{text}"
    );
    let size: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("pacific_store_size_bytes "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(size > 0.0);
}

#[tokio::test]
async fn the_client_pulls_every_page_and_resumes_after_the_last_date_added() {
    use pacific_node::client::{Credentials, TaxiiClient};
    let node = TestNode::start().await;
    let objects: Vec<Value> = (0..23)
        .map(|_| indicator(&format!("indicator--{}", uuid()), "2026-08-01T00:00:00Z"))
        .collect();
    node.post_objects(&node.analyst, &objects).await;
    let client = TaxiiClient::new(
        &node.url("/taxii2/"),
        Credentials::Basic {
            user: "reader".into(),
            password: node.reader.clone(),
        },
        None,
    )
    .unwrap();
    let mut got = Vec::new();
    let report = client
        .pull("default", None, Some(5), |page| {
            got.extend(page.objects);
            async { Ok(()) }
        })
        .await
        .unwrap();
    assert_eq!(report.pages, 5);
    assert_eq!(got, objects);
    let later: Vec<Value> = (0..3)
        .map(|_| indicator(&format!("indicator--{}", uuid()), "2026-08-01T00:00:00Z"))
        .collect();
    node.post_objects(&node.analyst, &later).await;
    let mut newer = Vec::new();
    client
        .pull("default", report.last_added.as_deref(), Some(5), |page| {
            newer.extend(page.objects);
            async { Ok(()) }
        })
        .await
        .unwrap();
    assert_eq!(newer, later);
    let seen: HashSet<_> = got.iter().chain(&newer).map(|o| o["id"].clone()).collect();
    assert_eq!(seen.len(), 26);
}

/// A node on 127.0.0.1 like [`TestNode`], whose state the test keeps so it can count the
/// argon2 checks its authenticator runs.
struct WatchedNode {
    base: String,
    reader: String,
    analyst: String,
    state: pacific_node::http::AppState,
    http: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

impl WatchedNode {
    async fn start() -> Self {
        use pacific_core::access::Role;
        let tmp = tempfile::tempdir().unwrap();
        let dir = pacific_node::DataDir::new(tmp.path().join("node"));
        dir.init(&pacific_node::datadir::InitOptions {
            name: "Test CERT".into(),
            stakeholder_type: pacific_core::party::StakeholderType::State,
            jurisdiction: Some("XA".into()),
            listen: None,
        })
        .await
        .unwrap();
        let store = dir.open_store().await.unwrap();
        let mut tokens = Vec::new();
        for (name, role) in [("reader", Role::Reader), ("analyst", Role::Analyst)] {
            let issued = pacific_node::auth::add_user(store.as_ref(), name, role)
                .await
                .unwrap();
            tokens.push(issued.token);
        }
        let node = pacific_node::Node::open(&dir).await.unwrap();
        let state = node.state().clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(node.serve(listener, async {
            let _ = stopped.await;
        }));
        pacific_node::install_crypto_provider();
        Self {
            base,
            reader: tokens[0].clone(),
            analyst: tokens[1].clone(),
            state,
            http: reqwest::Client::new(),
            _stop: stop,
            _dir: tmp,
        }
    }

    async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.get_with(&self.http, path, token).await
    }

    /// A client whose connections come from `address` (any 127.0.0.0/8 address on loopback).
    fn client_from(&self, address: &str) -> reqwest::Client {
        reqwest::Client::builder()
            .local_address(address.parse::<std::net::IpAddr>().unwrap())
            .build()
            .unwrap()
    }

    async fn get_with(
        &self,
        client: &reqwest::Client,
        path: &str,
        token: &str,
    ) -> reqwest::Response {
        client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("accept", TAXII)
            .send()
            .await
            .unwrap()
    }

    fn argon2_checks(&self) -> u64 {
        self.state.auth().argon2_checks()
    }
}

/// A 429 refusal: `Retry-After`, the TAXII media type and a TAXII error object with the label.
async fn assert_locked_out(r: reqwest::Response, what: &str) {
    assert_eq!(r.status(), 429, "{what}");
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "{what}: Retry-After {retry}");
    assert_eq!(r.headers()["content-type"], TAXII, "{what}");
    assert!(!r.headers().contains_key("www-authenticate"), "{what}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["error_code"], "too-many-failed-authentications",
        "{what}: {body}"
    );
    assert_eq!(body["http_status"], "429", "{body}");
    assert!(body["title"].is_string() && body["description"].is_string());
}

/// Regression: wrong secrets for one token id locked that id out everywhere, so anyone who
/// knew a token id (it is public) could lock its holder out. Failures now count per (address,
/// token id) pair: the guesser's address is locked, without argon2, until the lock-out ends;
/// the holder, from another address, is let in at once.
#[tokio::test]
async fn wrong_secrets_lock_the_guessers_address_out_not_the_tokens_holder() {
    use pacific_node::throttle::{API_TOKEN_ALLOWED_FAILURES, FIRST_LOCKOUT};
    let node = WatchedNode::start().await;
    // The holder's address has used the node before (so the argon2 budget for unknown
    // addresses, which the guesses spend, does not slow it); the reader's token is not cached.
    assert_eq!(node.get("/taxii2/", &node.analyst).await.status(), 200);
    let checks_before = node.argon2_checks();
    let guesser = node.client_from("127.0.0.2");
    let (prefix, _) = node.reader.rsplit_once('_').unwrap();
    for i in 0..API_TOKEN_ALLOWED_FAILURES {
        let r = node
            .get_with(&guesser, "/taxii2/", &format!("{prefix}_wrong{i}"))
            .await;
        assert_eq!(r.status(), 401, "wrong secret {i}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error_code"], "auth-required");
    }
    let locked_at = std::time::Instant::now();
    let guesses = u64::from(API_TOKEN_ALLOWED_FAILURES);
    assert_eq!(node.argon2_checks(), checks_before + guesses);
    // From the guesser's address, even the right token for that id is refused, unchecked.
    let r = node.get_with(&guesser, "/taxii2/", &node.reader).await;
    assert_locked_out(r, "Bearer").await;
    let basic = guesser
        .get(format!("{}/taxii2/root/", node.base))
        .basic_auth("reader", Some(&node.reader))
        .send()
        .await
        .unwrap();
    assert_locked_out(basic, "Basic").await;
    assert_eq!(node.argon2_checks(), checks_before + guesses);
    // The holder, from its own address, is not locked out; nor is another user.
    assert_eq!(node.get("/taxii2/", &node.reader).await.status(), 200);
    assert_eq!(node.get("/taxii2/", &node.analyst).await.status(), 200);
    // After the lock-out the guesser's count starts from zero at its next success.
    let left = FIRST_LOCKOUT.saturating_sub(locked_at.elapsed());
    tokio::time::sleep(left + std::time::Duration::from_millis(100)).await;
    let r = node.get_with(&guesser, "/taxii2/", &node.analyst).await;
    assert_eq!(r.status(), 200);
    let r = node
        .get_with(&guesser, "/taxii2/", &format!("{prefix}_wrong"))
        .await;
    assert_eq!(r.status(), 401, "counting starts from zero after a success");
}

/// A guesser spread over many addresses, each below its own limits, spends the node's argon2
/// budget for addresses without a recent success: it is then answered 429
/// `authentication-busy` without argon2, while a client whose address has signed in lately is
/// still checked and let in.
#[tokio::test]
async fn many_addresses_guessing_spend_only_the_budget_of_unknown_addresses() {
    use pacific_node::throttle::UNKNOWN_ARGON2_BURST;
    let node = WatchedNode::start().await;
    // 127.0.0.1 signs in once: it is known from now on.
    assert_eq!(node.get("/taxii2/", &node.reader).await.status(), 200);
    let (analyst_prefix, _) = node.analyst.rsplit_once('_').unwrap();
    // Sent all at once, so the budget's slow refill plays no part.
    let guesses = (0..UNKNOWN_ARGON2_BURST + 10).map(|i| {
        let guesser = node.client_from(&format!("127.0.1.{}", i + 1));
        let token = format!("{analyst_prefix}_guess{i}");
        let node = &node;
        async move { node.get_with(&guesser, "/taxii2/", &token).await }
    });
    let mut busy = 0;
    for (i, r) in futures_util::future::join_all(guesses)
        .await
        .into_iter()
        .enumerate()
    {
        match r.status().as_u16() {
            401 => {}
            429 => {
                busy += 1;
                assert!(r.headers().contains_key("retry-after"));
                let body: Value = r.json().await.unwrap();
                assert_eq!(body["error_code"], "authentication-busy", "{body}");
            }
            other => panic!("guess {i}: {other}"),
        }
    }
    assert!(busy >= 8, "only {busy} guesses were refused by the budget");
    let checks = node.argon2_checks();
    assert!(
        checks < u64::from(UNKNOWN_ARGON2_BURST + 10),
        "{checks} argon2 checks for guesses"
    );
    // The known address is still checked: the analyst's right token (never cached) works.
    assert_eq!(node.get("/taxii2/", &node.analyst).await.status(), 200);
    assert_eq!(node.argon2_checks(), checks + 1);
}

/// Many wrong tokens from one address lock the address out, on every token-authenticated API,
/// whatever the token; a request without credentials still gets the usual 401.
#[tokio::test]
async fn many_wrong_tokens_from_one_address_lock_it_out_on_every_api() {
    use pacific_node::throttle::{API_ADDRESS_ALLOWED_FAILURES, FIRST_LOCKOUT};
    let node = WatchedNode::start().await;
    for i in 0..API_ADDRESS_ALLOWED_FAILURES {
        let r = node.get("/taxii2/", &format!("pac_{i:012x}_guess")).await;
        assert_eq!(r.status(), 401, "guess {i}");
    }
    let locked_at = std::time::Instant::now();
    for path in ["/taxii2/", "/log/checkpoint", "/match/stats", "/metrics"] {
        assert_locked_out(node.get(path, &node.analyst).await, path).await;
    }
    assert_eq!(
        node.argon2_checks(),
        0,
        "unknown ids and refusals cost no argon2"
    );
    let anonymous = node
        .http
        .get(format!("{}/taxii2/", node.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let left = FIRST_LOCKOUT.saturating_sub(locked_at.elapsed());
    tokio::time::sleep(left + std::time::Duration::from_millis(100)).await;
    assert_eq!(node.get("/taxii2/", &node.analyst).await.status(), 200);
    assert_eq!(node.argon2_checks(), 1);
    // The success cleared the address: a wrong token is a plain 401 again.
    let r = node.get("/taxii2/", "pac_000000000000_guess").await;
    assert_eq!(r.status(), 401);
}

/// Regression: a body of many tiny invalid items (`{"objects":[0,0,…]}`) made a status of one
/// failure record per item, all held in memory and stored. A POST carries at most
/// `server.max_objects_per_post` objects, and a status lists at most
/// `server.max_status_failures` failures one by one, counting the rest.
#[tokio::test]
async fn a_post_is_bounded_in_objects_and_its_status_in_failures() {
    let node = TestNode::start_with(|c| {
        c.server.max_objects_per_post = 6;
        c.server.max_status_failures = 3;
    })
    .await;
    let post = |objects: Vec<Value>| {
        node.http
            .post(node.objects_url())
            .bearer_auth(&node.analyst)
            .header("content-type", TAXII)
            .body(json!({ "objects": objects }).to_string())
            .send()
    };
    // One past the bound: refused whole, nothing stored.
    let r = post(vec![json!(0); 7]).await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        (status.as_u16(), body["error_code"].as_str()),
        (413, Some("too-many-objects")),
        "{body}"
    );
    // At the bound: taken; 5 failures, 3 listed and one summary of the other 2.
    let good = indicator(
        &format!("indicator--{}", uuid()),
        "2026-02-01T00:00:00.000Z",
    );
    let mut objects = vec![json!(0); 5];
    objects.push(good);
    let status = node.post_objects(&node.analyst, &objects).await;
    assert_eq!(status["total_count"], 6, "{status}");
    assert_eq!(status["failure_count"], 5, "{status}");
    assert_eq!(status["success_count"], 1, "{status}");
    let failures = status["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 4, "{status}");
    assert_eq!(failures[3]["id"], "objects[3..]", "{status}");
    assert!(
        failures[3]["message"]
            .as_str()
            .unwrap()
            .contains("2 more objects"),
        "{status}"
    );
}

/// `/metrics` follows Prometheus' conventions — every family has HELP and TYPE, names are
/// `pacific_` snake case, counters end in `_total` and nothing else does, histograms name
/// their unit — and the Grafana dashboard shipped in `docs/` only queries families the node
/// exports.
#[tokio::test]
async fn metrics_follow_the_naming_conventions_and_the_grafana_dashboard_uses_them() {
    let node = TestNode::start().await;
    let _ = node.get("/taxii2/", &node.reader).await;
    let text = node
        .get("/metrics", &node.admin)
        .await
        .text()
        .await
        .unwrap();
    let mut kinds = std::collections::BTreeMap::new();
    let mut helped = std::collections::BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(
                kinds.insert(name.to_owned(), kind.to_owned()).is_none(),
                "{name} typed twice"
            );
        } else if let Some(rest) = line.strip_prefix("# HELP ") {
            helped.insert(rest.split_once(' ').unwrap().0.to_owned());
        }
    }
    assert!(kinds.len() >= 15, "{kinds:?}");
    for (name, kind) in &kinds {
        assert!(helped.contains(name), "{name} has no HELP");
        assert!(
            name.starts_with("pacific_")
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{name}"
        );
        match kind.as_str() {
            "counter" => assert!(name.ends_with("_total"), "counter {name} without _total"),
            "gauge" => assert!(
                !name.ends_with("_total"),
                "gauge {name} named like a counter"
            ),
            "histogram" => assert!(
                name.ends_with("_seconds") || name.ends_with("_bytes"),
                "histogram {name} without its unit"
            ),
            other => panic!("{name}: unexpected type {other}"),
        }
    }
    // Every sample belongs to a declared family (a histogram's as _bucket, _sum, _count).
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let name = line.split(['{', ' ']).next().unwrap();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|f| kinds.get(*f).is_some_and(|k| k == "histogram"))
            })
            .unwrap_or(name);
        assert!(
            kinds.contains_key(family),
            "sample of undeclared family: {line}"
        );
    }
    assert!(
        text.contains("pacific_http_request_duration_seconds_count{route=\"/taxii2/\"} 1"),
        "{text}"
    );

    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/grafana-dashboard.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut queried = 0;
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            for (i, _) in expr.match_indices("pacific_") {
                let name: String = expr[i..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let family = name.strip_suffix("_bucket").unwrap_or(&name);
                assert!(
                    kinds.contains_key(family),
                    "the dashboard queries {name}, which the node does not export"
                );
                queried += 1;
            }
        }
    }
    assert!(queried >= 10);
}
