//! The web dashboard over HTTP (issue 6): login and sessions, every page with seeded data
//! (matches per day, top indicators and sectors, incidents, objects, peers with what was sent
//! and held back, the log), HTML escaping of hostile names, assets and the CSP header; the
//! governance pages of a federation of three (register, a proposal's versions with their diff,
//! comments and tally, parameters, norms) and of a node without a charter; the jurisdiction
//! registry's pages (claims by party, conflicts, the lookup box, a claim's page) over claims of
//! two nodes, hostile contact names and queries escaped.

use pacific_testkit::test_node;

use pacific_core::Timestamp;
use pacific_core::party::StakeholderType;
use pacific_store::{FederationStore, LogEntryData, MatchStat, Peer, SqliteFederationStore};
use pacific_testkit::test_node::TestNode;
use pacific_tlog::entry::{Act, ObjectRef};
use serde_json::json;

const ASSETS: &str =
    "[[assets]]\nname = \"North grid\"\ncidr = \"10.20.0.0/16\"\nsector = \"energy\"\n";
const IND_IP: &str = "indicator--11111111-1111-4111-8111-111111111111";
const IND_EVIL: &str = "indicator--66666666-6666-4666-8666-666666666666";
const HOSTILE: &str = "<script>alert(\"pwned\")</script>";

/// A client that does not follow redirects (the tests look at them) and keeps no cookies.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The status of a GET of `path` in the session `cookie` (no redirect followed).
async fn status_of(node: &TestNode, cookie: &str, path: &str) -> u16 {
    client()
        .get(node.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The anti-forgery token a page's forms carry.
fn csrf_of(page: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = page.find(marker).expect("the page has a form token") + marker.len();
    page[start..start + 64].to_owned()
}

fn today() -> String {
    Timestamp::now().as_str()[..10].to_owned()
}

fn days_ago(n: i64) -> String {
    let (now, _) = Timestamp::now().unix();
    Timestamp::from_unix(now - n * 86_400, 0).as_str()[..10].to_owned()
}

/// Indicators (one with a hostile name), a match on an energy asset (a sighting, statistics,
/// an incident), statistics of an earlier day, and a peer with sent and held-back entries.
async fn seed(node: &TestNode) {
    let indicator = |id: &str, name: &str, pattern: &str| {
        json!({
            "type": "indicator", "spec_version": "2.1", "id": id,
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "name": name, "pattern": pattern, "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z"
        })
    };
    node.post_objects(
        &node.analyst,
        &[
            indicator(
                IND_IP,
                "Grid C2 address",
                "[ipv4-addr:value = '203.0.113.7']",
            ),
            indicator(IND_EVIL, HOSTILE, "[domain-name:value = 'evil.example']"),
            test_node::malware("malware--33333333-3333-4333-8333-333333333333"),
        ],
    )
    .await;
    let response = node
        .http
        .post(node.url("/match"))
        .bearer_auth(&node.analyst)
        .header("content-type", "application/x-ndjson")
        .body("{\"src_ip\": \"10.20.1.5\", \"dst_ip\": \"203.0.113.7\"}\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    node.store
        .add_match_stats(&[
            MatchStat {
                day: days_ago(3),
                dimension: "indicator".into(),
                key: IND_EVIL.into(),
                count: 41,
            },
            MatchStat {
                day: days_ago(3),
                dimension: "sector".into(),
                key: "water".into(),
                count: 41,
            },
        ])
        .await
        .unwrap();

    let fed = SqliteFederationStore::open(&node.data_dir().db_path())
        .await
        .unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    fed.add_peer(
        &Peer {
            party_id: "bravo".into(),
            name: "Bravo Police".into(),
            stakeholder_type: StakeholderType::State,
            jurisdiction: Some("XB".into()),
            organisation: None,
            url: "http://127.0.0.1:9".into(),
            public_key: hex::encode(key.to_bytes()),
            added: Timestamp::now(),
        },
        "admin",
    )
    .await
    .unwrap();
    let object = |id: &str| ObjectRef {
        id: id.into(),
        version: "2026-01-01T00:00:00.000Z".into(),
        sha256: [1; 32],
    };
    let now = u64::try_from(Timestamp::now().unix_micros() / 1000).unwrap();
    let entries = [
        Act::ObjectSent {
            object: object(IND_IP),
            peer: "bravo".into(),
            rule: "share-indicators".into(),
        },
        Act::ObjectWithheld {
            object: object(IND_EVIL),
            peer: "bravo".into(),
            reason: "tlp-red".into(),
        },
        Act::ObjectWithheld {
            object: object("malware--33333333-3333-4333-8333-333333333333"),
            peer: "bravo".into(),
            reason: "no-rule".into(),
        },
    ]
    .map(|act| LogEntryData::new(now, "local", act).unwrap());
    node.store.append_log_entries(&entries).await.unwrap();
}

/// Logs in and returns the session cookie (`name=value`).
async fn login(node: &TestNode, user: &str, token: &str) -> String {
    login_at(&node.url(""), user, token).await
}

/// Logs in to the node at `base` and returns the session cookie (`name=value`).
async fn login_at(base: &str, user: &str, token: &str) -> String {
    let response = client()
        .post(format!("{base}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("user={user}&token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/");
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("pacific_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    cookie.split(';').next().unwrap().to_owned()
}

/// GETs a page with the session cookie; asserts 200, HTML and the CSP; returns the body.
async fn page(node: &TestNode, cookie: &str, path: &str) -> String {
    page_at(&node.url(""), cookie, path).await
}

/// GETs a page of the node at `base` with the session cookie; as [`page`].
async fn page_at(base: &str, cookie: &str, path: &str) -> String {
    let response = client()
        .get(format!("{base}{path}"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    assert_eq!(
        response.headers()["content-security-policy"],
        "default-src 'self'"
    );
    response.text().await.unwrap()
}

#[tokio::test]
async fn pages_need_a_session_and_login_checks_the_token() {
    let node = TestNode::start().await;
    for path in [
        "/",
        "/objects",
        "/peers",
        "/requests",
        "/disputes",
        "/log",
        "/governance",
        "/governance/proposals/x-pacific-gov-act--00000000-0000-4000-8000-000000000000",
        "/governance/norms",
        "/jurisdiction-registry",
        "/jurisdiction-registry?q=192.0.2.1",
        "/jurisdiction-registry/claims/x-pacific-resource-claim--00000000-0000-4000-8000-000000000000",
    ] {
        let response = client().get(node.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(response.headers()["location"], "/login", "{path}");
        // A made-up session is no session.
        let response = client()
            .get(node.url(path))
            .header("cookie", "pacific_session=00ff")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "{path}");
    }
    // An API token is not a session either.
    let response = client()
        .get(node.url("/"))
        .bearer_auth(&node.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);

    let form = client().get(node.url("/login")).send().await.unwrap();
    assert_eq!(form.status(), 200);
    assert_eq!(
        form.headers()["content-security-policy"],
        "default-src 'self'"
    );
    assert!(form.text().await.unwrap().contains("name=\"token\""));

    // A wrong token, and a right token under another user's name: the form again, an error,
    // no cookie.
    let wrong = format!("{}x", node.reader);
    for (user, token) in [("reader", wrong.as_str()), ("admin", node.reader.as_str())] {
        let response = client()
            .post(node.url("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("user={user}&token={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers().get("set-cookie").is_none());
        let body = response.text().await.unwrap();
        assert!(body.contains("id=\"login-error\""), "{body}");
    }

    // The token alone is enough; the session is the reader's.
    let response = client()
        .post(node.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("user=&token={}", node.reader))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    assert!(page(&node, &cookie, "/").await.contains("reader (reader)"));

    // Logout ends the session on the server: the old cookie no longer works. A logout posted
    // without the session's anti-forgery token (from another site, say) is refused.
    let named = login(&node, "admin", &node.admin).await;
    let log = page(&node, &named, "/log").await;
    assert!(log.contains("admin (admin)"));
    let logout = |token: String| {
        client()
            .post(node.url("/logout"))
            .header("cookie", &named)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf={token}"))
            .send()
    };
    for forged in [String::new(), "0".repeat(64)] {
        let response = logout(forged).await.unwrap();
        assert_eq!(response.status(), 403);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("data-label=\"form-token-missing\"")
        );
    }
    assert!(page(&node, &named, "/log").await.contains("admin (admin)"));
    let response = logout(csrf_of(&log)).await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/login");
    assert!(
        response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(status_of(&node, &named, "/log").await, 303);
    // The other session lives on.
    page(&node, &cookie, "/log").await;
}

#[tokio::test]
async fn every_page_shows_the_seeded_data_escaped() {
    let node = TestNode::start_with_files(&[("assets.toml", ASSETS)], |c| {
        c.federation.outbox = false;
    })
    .await;
    seed(&node).await;
    let cookie = login(&node, "reader", &node.reader).await;

    // Overview: 30 bars, today's and the earlier day's counts, top indicators and sectors,
    // the incident on the energy asset.
    let overview = page(&node, &cookie, "/").await;
    assert_eq!(overview.matches("<rect class=\"bar\"").count(), 30);
    assert!(
        overview.contains(&format!("<title>{}: 1 matches</title>", today())),
        "{overview}"
    );
    assert!(overview.contains(&format!("<title>{}: 41 matches</title>", days_ago(3))));
    assert!(overview.contains(&format!(
        "<tr data-day=\"{}\"><td>{0}</td><td class=\"num\">41</td></tr>",
        days_ago(3)
    )));
    assert!(overview.contains("Grid C2 address"));
    assert!(overview.contains(IND_IP));
    assert!(overview.contains("<td>water</td><td class=\"num\">41</td>"));
    assert!(overview.contains("<td>energy</td><td class=\"num\">1</td>"));
    assert!(overview.contains("id=\"incidents\""));
    assert!(overview.contains("North grid"));
    // The hostile indicator name comes out as text.
    assert!(!overview.contains(HOSTILE));
    assert!(overview.contains("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;"));

    // Objects: all of them, then filtered by type, by id, by a value and by text in the name.
    let all = page(&node, &cookie, "/objects").await;
    for id in [IND_IP, IND_EVIL, "malware--33333333"] {
        assert!(all.contains(id), "{id}");
    }
    assert!(!all.contains(HOSTILE));
    assert!(all.contains("&lt;script&gt;"));
    let malware = page(&node, &cookie, "/objects?type=malware").await;
    assert!(malware.contains("GridWiper") && !malware.contains(IND_IP));
    let by_id = page(&node, &cookie, &format!("/objects?q={IND_IP}")).await;
    assert!(by_id.contains(IND_IP) && !by_id.contains(IND_EVIL));
    let by_value = page(&node, &cookie, "/objects?q=203.0.113.7").await;
    assert!(by_value.contains(IND_IP) && !by_value.contains(IND_EVIL));
    assert!(by_value.contains("data-total=\"1\""), "{by_value}");
    let by_text = page(&node, &cookie, "/objects?q=grid+c2").await;
    assert!(by_text.contains(IND_IP) && !by_text.contains("GridWiper"));
    let hostile = page(&node, &cookie, "/objects?q=%3Cscript%3E").await;
    assert!(hostile.contains(IND_EVIL) && !hostile.contains(HOSTILE));
    assert!(!hostile.contains("value=\"<script>"));

    let indicators = page(&node, &cookie, "/objects?type=indicator").await;
    assert!(indicators.contains("Page 1 of 1") && !indicators.contains("next-page"));

    // Peers: bravo, one sent, two held back with their reasons.
    let peers = page(&node, &cookie, "/peers").await;
    assert!(peers.contains("Bravo Police"), "{peers}");
    assert!(peers.contains("<td class=\"num sent\">1</td>"), "{peers}");
    assert!(
        peers.contains("<td class=\"num withheld\">2</td>"),
        "{peers}"
    );
    assert!(peers.contains("<code>tlp-red</code> × 1"));
    assert!(peers.contains("<code>no-rule</code> × 1"));

    // The overview's exchange row: Bravo, one object sent today; no requests yet.
    let figure = overview
        .split("<figure data-peer=\"bravo\">")
        .nth(1)
        .expect("a chart for Bravo");
    assert!(
        figure.starts_with("<figcaption><b>Bravo Police</b>"),
        "{figure}"
    );
    assert!(
        figure.contains(": 1 sent, 0 received</figcaption>"),
        "{figure}"
    );
    assert!(figure.contains(&format!("<title>{}: 1 sent</title>", today())));
    assert!(overview.contains("id=\"requests-by-state\"") && overview.contains("No requests yet."));

    // Log: the entries decoded (the withheld one with its reason), the checkpoint when out;
    // parties by name, objects by name with a link to their page.
    let log = page(&node, &cookie, "/log").await;
    assert!(
        log.contains("<b>Bravo Police</b> <code class=\"muted\">bravo</code>"),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "<a href=\"/objects/{IND_IP}\">Grid C2 address</a>"
        )),
        "{log}"
    );
    assert!(log.contains("object-withheld"));
    assert!(log.contains("<code>tlp-red</code>"));
    assert!(log.contains("user-added"));
    // The oldest entries, by the pager: the three users added first.
    let oldest = page(&node, &cookie, "/log?before=3").await;
    assert_eq!(oldest.matches("<td>user-added</td>").count(), 3, "{oldest}");
    assert!(!oldest.contains("id=\"older\""));
    for _ in 0..50 {
        if page(&node, &cookie, "/log")
            .await
            .contains("id=\"checkpoint\"")
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no checkpoint shown");
}

#[tokio::test]
async fn objects_pages_are_numbered_and_the_total_shown() {
    let node = TestNode::start().await;
    let objects: Vec<_> = (0..60)
        .map(|i| {
            test_node::indicator(
                &format!("indicator--{i:08x}-1111-4111-8111-111111111111"),
                "2026-01-01T00:00:00.000Z",
            )
        })
        .collect();
    node.post_objects(&node.analyst, &objects).await;
    let cookie = login(&node, "", &node.reader).await;
    let first = page(&node, &cookie, "/objects").await;
    assert_eq!(first.matches("<tr data-id=\"indicator--").count(), 50);
    assert!(first.contains("data-total=\"60\"") && first.contains("Page 1 of 2"));
    assert!(!first.contains("prev-page"));
    // Newest first.
    assert!(first.contains("indicator--0000003b-") && !first.contains("indicator--00000000-"));
    let start = first.find("id=\"next-page\" href=\"").unwrap() + 21;
    let href = &first[start..start + first[start..].find('"').unwrap()];
    let second = page(&node, &cookie, &href.replace("&amp;", "&")).await;
    assert_eq!(second.matches("<tr data-id=\"indicator--").count(), 10);
    assert!(second.contains("indicator--00000000-"));
    assert!(!second.contains("indicator--0000003b-"));
    assert!(second.contains("Page 2 of 2") && second.contains("prev-page"));
    assert!(!second.contains("next-page"));
    // A bad filter value is said, not a failure.
    let bad = page(&node, &cookie, "/objects?tlp=purple&from=yesterday").await;
    assert!(bad.contains("id=\"search-error\""), "{bad}");
}

/// An object's page: its fields (TLP in words, the pattern, kill-chain phases, references as
/// links only for http(s)), relationships both ways with links to pivot, sightings, versions;
/// hostile text escaped; an unknown id is a 404 page.
#[tokio::test]
async fn an_object_page_shows_fields_relationships_sightings_and_versions() {
    let node = TestNode::start().await;
    let ind = "indicator--a1a1a1a1-1111-4111-8111-111111111111";
    let mal = "malware--b2b2b2b2-2222-4222-8222-222222222222";
    let rel = "relationship--c3c3c3c3-3333-4333-8333-333333333333";
    let sig = "sighting--d4d4d4d4-4444-4444-8444-444444444444";
    let indicator = |modified: &str, name: &str| {
        json!({
            "type": "indicator", "spec_version": "2.1", "id": ind,
            "created": "2026-01-01T00:00:00.000Z", "modified": modified,
            "name": name, "pattern": "[domain-name:value = 'evil.example']",
            "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
            "object_marking_refs": [pacific_core::tlp::TLP2_AMBER],
            "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "command-and-control"}],
            "external_references": [
                {"source_name": "report", "url": "https://cert.example/r/1"},
                {"source_name": "trap", "url": "javascript:alert(1)"}
            ]
        })
    };
    node.post_objects(
        &node.analyst,
        &[
            indicator("2026-01-01T00:00:00.000Z", "Evil domain"),
            indicator("2026-02-01T00:00:00.000Z", HOSTILE),
            test_node::malware(mal),
            json!({
                "type": "relationship", "spec_version": "2.1", "id": rel,
                "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                "relationship_type": "indicates", "source_ref": ind, "target_ref": mal
            }),
            json!({
                "type": "sighting", "spec_version": "2.1", "id": sig,
                "created": "2026-01-02T00:00:00.000Z", "modified": "2026-01-02T00:00:00.000Z",
                "sighting_of_ref": ind, "count": 7,
                "first_seen": "2026-01-02T00:00:00Z", "last_seen": "2026-01-03T00:00:00Z"
            }),
        ],
    )
    .await;
    let cookie = login(&node, "", &node.reader).await;
    let object = page(&node, &cookie, &format!("/objects/{ind}")).await;
    assert!(object.contains("TLP:AMBER"), "{object}");
    assert!(object.contains("command-and-control"));
    assert!(
        object.contains(
            "<code class=\"pattern\">[domain-name:value = &#39;evil.example&#39;]</code>"
        )
    );
    assert!(object.contains("<a href=\"https://cert.example/r/1\""));
    assert!(
        !object.contains("href=\"javascript:"),
        "a script URL is not a link"
    );
    assert!(!object.contains(HOSTILE) && object.contains("&lt;script&gt;"));
    // The relationship, out from the indicator to the malware, with a link to pivot.
    assert!(object.contains("<tr class=\"out\">"), "{object}");
    assert!(object.contains(&format!("href=\"/objects/{mal}\"")));
    assert!(object.contains("indicates"));
    assert!(object.contains(sig) && object.contains("<td class=\"num\">7</td>"));
    // Two versions, newest first; provenance: made here.
    let versions = &object[object.find("id=\"versions\"").unwrap()..];
    let (new, old) = (
        versions.find("2026-02-01T00:00:00.000Z").unwrap(),
        versions.find("2026-01-01T00:00:00.000Z").unwrap(),
    );
    assert!(new < old);
    assert!(object.contains("Made on this node"));
    // From the malware's page, the same relationship comes in.
    let malware = page(&node, &cookie, &format!("/objects/{mal}")).await;
    assert!(malware.contains("<tr class=\"in\">") && malware.contains(ind));
    // An unknown object.
    assert_eq!(
        status_of(
            &node,
            &cookie,
            "/objects/indicator--00000000-0000-4000-8000-000000000000"
        )
        .await,
        404
    );
}

#[tokio::test]
async fn assets_are_served_with_their_types() {
    let node = TestNode::start().await;
    for (path, kind) in [
        ("/assets/dashboard.css", "text/css; charset=utf-8"),
        ("/assets/dashboard.js", "text/javascript; charset=utf-8"),
        ("/assets/favicon.svg", "image/svg+xml"),
    ] {
        // Public, like the login page that needs them.
        let response = client().get(node.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], kind);
        assert_eq!(
            response.headers()["content-security-policy"],
            "default-src 'self'"
        );
        assert!(!response.text().await.unwrap().is_empty());
    }
    // Pages name no asset elsewhere.
    let form = client()
        .get(node.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!form.contains("http://") && !form.contains("https://") && !form.contains("//cdn"));
}

#[tokio::test]
async fn collection_grants_hold_on_the_dashboard_too() {
    let node = TestNode::start().await;
    node.post_objects(
        &node.analyst,
        &[test_node::indicator(
            "indicator--77777777-7777-4777-8777-777777777777",
            "2026-01-01T00:00:00.000Z",
        )],
    )
    .await;
    // The reader may not read the default collection: neither over TAXII nor here.
    node.store
        .set_grant(
            "reader",
            &pacific_core::access::CollectionGrant {
                collection_id: node.collection.clone(),
                can_read: false,
                can_write: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        node.get(
            &format!("/taxii2/root/collections/{}/objects/", node.collection),
            &node.reader
        )
        .await
        .status(),
        403
    );
    let reader = login(&node, "reader", &node.reader).await;
    let objects = page(&node, &reader, "/objects").await;
    assert!(objects.contains("You may not read the default collection"));
    assert!(!objects.contains("indicator--77777777"));
    let analyst = login(&node, "analyst", &node.analyst).await;
    assert!(
        page(&node, &analyst, "/objects")
            .await
            .contains("indicator--77777777")
    );
}

#[tokio::test]
async fn requests_and_disputes_list_this_partys_records_escaped() {
    let node = TestNode::start().await;
    let cookie = login(&node, "reader", &node.reader).await;
    assert!(
        page(&node, &cookie, "/requests")
            .await
            .contains("id=\"requests-none\"")
    );
    assert!(
        page(&node, &cookie, "/disputes")
            .await
            .contains("id=\"disputes-none\"")
    );

    // The admin drafts a preservation request (through the /coop API, as a user would) to
    // Bravo, a peer (a party the node does not know is refused).
    let fed = SqliteFederationStore::open(&node.data_dir().db_path())
        .await
        .unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    fed.add_peer(
        &Peer {
            party_id: "bravo".into(),
            name: "Bravo Police".into(),
            stakeholder_type: StakeholderType::State,
            jurisdiction: Some("XB".into()),
            organisation: None,
            url: "http://127.0.0.1:9".into(),
            public_key: hex::encode(key.to_bytes()),
            added: Timestamp::now(),
        },
        "admin",
    )
    .await
    .unwrap();
    fed.close().await;
    let draft = serde_json::json!({
        "recipient": "bravo",
        "urgency": "urgent",
        "title": "<b>mailbox</b> of the phishing campaign",
        "details": {
            "kind": "preservation",
            "requesting_authority": "Alpha national police, cybercrime unit",
            "offence": "computer fraud",
            "summary_of_facts": "phishing against Alpha's banks",
            "data_sought": "mailbox and logs of x@example.org",
            "link_to_offence": "the account sent the phishing mails",
            "custodian_or_location": "Example Mail Ltd, Bravo",
            "necessity": "the provider deletes logs after 30 days",
            "mla_intent": true
        }
    });
    let response = client()
        .post(node.url("/coop/requests"))
        .bearer_auth(&node.admin)
        .json(&draft)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());

    let requests = page(&node, &cookie, "/requests").await;
    assert!(requests.contains("id=\"requests\""), "{requests}");
    assert!(
        requests.contains("<td>preservation</td><td>draft</td><td>urgent</td>"),
        "{requests}"
    );
    assert!(requests.contains("<td>bravo</td>"), "{requests}");
    assert!(!requests.contains("<b>mailbox</b>"));
    assert!(requests.contains("&lt;b&gt;mailbox&lt;/b&gt; of the phishing campaign"));
    assert!(requests.contains("x-pacific-assistance-request--"));
}

/// POSTs the login form as it is, without asserting anything.
async fn try_login(node: &TestNode, user: &str, token: &str) -> reqwest::Response {
    try_login_with(&client(), node, user, token).await
}

/// POSTs the login form with `client`.
async fn try_login_with(
    client: &reqwest::Client,
    node: &TestNode,
    user: &str,
    token: &str,
) -> reqwest::Response {
    client
        .post(node.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("user={user}&token={token}"))
        .send()
        .await
        .unwrap()
}

/// Asserts a failed login: the form again with its error, no cookie.
async fn assert_login_failed(node: &TestNode, user: &str, token: &str) {
    let response = try_login(node, user, token).await;
    assert_eq!(response.status(), 200, "{user}");
    assert!(response.headers().get("set-cookie").is_none());
    let body = response.text().await.unwrap();
    assert!(body.contains("Unknown user or wrong token."), "{body}");
}

/// Asserts a refused login: 429, `Retry-After` of `secs`, the form saying so, no cookie.
async fn assert_locked_out(node: &TestNode, user: &str, token: &str, secs: u64) {
    let response = try_login(node, user, token).await;
    assert_eq!(response.status(), 429, "{user}");
    assert_eq!(response.headers()["retry-after"], secs.to_string().as_str());
    assert!(response.headers().get("set-cookie").is_none());
    assert_eq!(
        response.headers()["content-security-policy"],
        "default-src 'self'"
    );
    let body = response.text().await.unwrap();
    assert!(
        body.contains(&format!("Too many failed sign-ins; try again in {secs} s.")),
        "{body}"
    );
}

/// Regression: five failures locked the user name out everywhere, so anyone who read a user's
/// name (the transparency log names users) could keep them out of the dashboard. Failures count
/// per (address, user name): the guesser's address is locked out for that name, even with the
/// right token; the user, from another address, signs in.
#[tokio::test]
async fn failed_logins_lock_the_guessers_address_out_not_the_user() {
    let node = TestNode::start().await;
    let wrong = format!("{}x", node.reader);
    for _ in 0..5 {
        assert_login_failed(&node, "reader", &wrong).await;
    }
    // The 6th attempt from that address is refused even with the right token, named or by the
    // token alone (whose public id names the reader).
    assert_locked_out(&node, "reader", &node.reader, 1).await;
    assert_locked_out(&node, "", &node.reader, 1).await;
    // The reader, from another address, signs in.
    let elsewhere = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let response = try_login_with(&elsewhere, &node, "reader", &node.reader).await;
    assert_eq!(response.status(), 303, "the holder is not locked out");
    // Another user from the guesser's address is not locked out (5 of the address's 20).
    login(&node, "analyst", &node.analyst).await;
    // Once the lock-out has passed, the next failure locks the pair out for twice as long.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_login_failed(&node, "reader", &wrong).await;
    assert_locked_out(&node, "reader", &node.reader, 2).await;
}

#[tokio::test]
async fn a_successful_login_resets_the_count() {
    let node = TestNode::start().await;
    let wrong = format!("{}x", node.reader);
    for _ in 0..4 {
        assert_login_failed(&node, "reader", &wrong).await;
    }
    login(&node, "reader", &node.reader).await;
    // Four more failures do not lock the reader out: the success started the count again.
    for _ in 0..4 {
        assert_login_failed(&node, "reader", &wrong).await;
    }
    login(&node, "reader", &node.reader).await;
}

#[tokio::test]
async fn one_address_trying_many_user_names_is_locked_out() {
    let node = TestNode::start().await;
    // Twenty names, one failure each: no user name reaches its limit, the address does.
    for i in 0..20 {
        assert_login_failed(&node, &format!("guess{i}"), "pac_000000000000_nope").await;
    }
    // A user with no failure of their own is refused too, right token or not: the address is.
    assert_locked_out(&node, "analyst", &node.analyst, 1).await;
}

// ---------------------------------------------------------------------------------------------
// Governance

/// A call to a node's `/gov/` API with a user's token: the status and the JSON answer.
async fn gov_call(
    base: &str,
    token: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let request = match body {
        Some(b) => client().post(format!("{base}{path}")).json(&b),
        None => client().get(format!("{base}{path}")),
    };
    let response = request.bearer_auth(token).send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

/// Waits until the node at `base` answers `GET path` with what satisfies `check`.
async fn gov_until(
    base: &str,
    token: &str,
    path: &str,
    check: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let start = std::time::Instant::now();
    loop {
        let (status, v) = gov_call(base, token, path, None).await;
        if status == 200 && check(&v) {
            return v;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "{path} never satisfied the check: {v}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

const HOSTILE_TITLE: &str = "Acknowledge <script>alert('x')</script> emergencies within 30 minutes";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn governance_pages_show_the_register_a_proposals_versions_diff_and_tally() {
    use pacific_core::access::Role;
    use pacific_core::party::StakeholderType::{Company, State};
    let root = tempfile::tempdir().unwrap();
    let nodes = pacific_testkit::federation::federation_of(
        root.path(),
        &[("alpha", State), ("bravo", State), ("acme", Company)],
        Some("deliberation_secs = 3\nvoting_secs = 4\n"),
        |c| c.coop.tick_millis = 200,
    )
    .await;
    pacific_node::install_crypto_provider();
    let (alpha, bravo, acme) = (nodes[0].url(), nodes[1].url(), nodes[2].url());
    let ana = nodes[0].user("ana", Role::Delegate).await;
    let ben = nodes[1].user("ben", Role::Delegate).await;
    let cat = nodes[2].user("cat", Role::Admin).await;
    let rea = nodes[0].user("rea", Role::Reader).await;
    let cookie = login_at(&alpha, "rea", &rea).await;

    // The federation page: the register of three, no proposal yet, the parameters in force.
    let home = page_at(&alpha, &cookie, "/governance").await;
    assert!(home.contains("Test federation"), "{home}");
    for (party, name, kind) in [
        ("alpha", "ALPHA", "state"),
        ("bravo", "BRAVO", "state"),
        ("acme", "ACME", "company"),
    ] {
        assert!(
            home.contains(&format!(
                "<tr data-party=\"{party}\"><td><code>{party}</code></td><td>{name}</td>\
                 <td>{kind}</td>"
            )),
            "{party}: {home}"
        );
    }
    assert!(home.contains("id=\"proposals-none\""));
    assert!(home.contains("<a href=\"/governance\" class=\"active\">Governance</a>"));
    assert!(home.contains("data-parameter=\"coop.deadlines.acknowledgement.emergency_secs\""));

    // Alpha proposes (a title with markup in it), Bravo amends as co-sponsor, Acme comments.
    let (s, p) = gov_call(
        &alpha,
        &ana,
        "/gov/proposals",
        Some(json!({
            "title": HOSTILE_TITLE,
            "text": "Members acknowledge emergency requests\nwithin 30 minutes.\nDay and night.",
            "rationale": "Emergencies cannot wait an hour.",
            "change": {"change": "adopt-norm", "norm": "13h",
                       "parameters": {"coop.deadlines.acknowledgement.emergency_secs": 1800}},
            "co_sponsors": ["bravo"],
        })),
    )
    .await;
    assert_eq!(s, 201, "{p}");
    let id = p["id"].as_str().unwrap().to_owned();
    let api_path = format!("/gov/proposals/{id}");
    let page_path = format!("/governance/proposals/{id}");
    gov_until(&bravo, &ben, &api_path, |v| v["stage"] == "deliberation").await;
    gov_until(&acme, &cat, &api_path, |v| v["stage"] == "deliberation").await;
    let (s, v) = gov_call(
        &bravo,
        &ben,
        &format!("{api_path}/amend"),
        Some(json!({"text": "Members acknowledge emergency requests\nwithin 20 minutes.\nDay and night.",
                    "change": {"change": "adopt-norm", "norm": "13h",
                               "parameters": {"coop.deadlines.acknowledgement.emergency_secs": 1200}}})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = gov_call(
        &acme,
        &cat,
        &format!("{api_path}/comment"),
        Some(json!({"text": "CERTs <em>promise</em> 20."})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    gov_until(&alpha, &ana, &api_path, |v| {
        v["versions"].as_array().map(Vec::len) == Some(2)
            && v["comments"].as_array().map(Vec::len) == Some(1)
    })
    .await;

    // The proposal's page on Alpha: both versions, the diff between them, the comment, the
    // title and the comment as text.
    let proposal = page_at(&alpha, &cookie, &page_path).await;
    assert!(proposal.contains("id=\"v1\"") && proposal.contains("id=\"v2\""));
    assert!(!proposal.contains("id=\"v3\""));
    assert!(
        proposal.contains("<span class=\"diff-del\">- within 30 minutes.</span>"),
        "{proposal}"
    );
    assert!(proposal.contains("<span class=\"diff-add\">+ within 20 minutes.</span>"));
    assert!(proposal.contains("<span class=\"diff-same\">  Day and night.</span>"));
    assert!(proposal.contains("1 line added, 1 removed; the change too"));
    assert!(proposal.contains("ACME <code class=\"muted\">acme</code>"));
    assert!(proposal.contains("CERTs &lt;em&gt;promise&lt;/em&gt; 20."));
    assert!(proposal.contains("Co-sponsors</dt><dd>BRAVO"));
    for html in [&proposal, &page_at(&alpha, &cookie, "/governance").await] {
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains("Acknowledge &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    }
    let home = page_at(&alpha, &cookie, "/governance").await;
    assert!(home.contains(&format!("href=\"/governance/proposals/{id}\"")));
    assert!(home.contains("<td class=\"stage deliberation\">deliberation</td>"));

    // Voting: Alpha's vote shows in the live tally; then Bravo yes, Acme (advisory) no.
    for (base, token) in [(&alpha, &ana), (&bravo, &ben), (&acme, &cat)] {
        gov_until(base, token, &api_path, |v| v["stage"] == "voting").await;
    }
    let (s, v) = gov_call(
        &alpha,
        &ana,
        &format!("{api_path}/vote"),
        Some(json!({"choice": "yes"})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let live = page_at(&alpha, &cookie, &page_path).await;
    assert!(live.contains("Tally (live)"), "{live}");
    assert!(live.contains(
        "<tr class=\"yes\"><th>Yes</th><td class=\"num binding\">1</td>\
         <td class=\"num advisory\">0</td></tr>"
    ));
    for (base, token, choice) in [(&bravo, &ben, "yes"), (&acme, &cat, "no")] {
        let (s, v) = gov_call(
            base,
            token,
            &format!("{api_path}/vote"),
            Some(json!({"choice": choice})),
        )
        .await;
        assert_eq!(s, 201, "{v}");
    }
    gov_until(&alpha, &ana, &api_path, |v| {
        v["stage"] == "closed" && v["tally"]["advisory"]["no"] == 1
    })
    .await;
    let closed = page_at(&alpha, &cookie, &page_path).await;
    assert!(closed.contains("Tally (final)"), "{closed}");
    assert!(closed.contains(
        "<tr class=\"yes\"><th>Yes</th><td class=\"num binding\">2</td>\
         <td class=\"num advisory\">0</td></tr>"
    ));
    assert!(closed.contains(
        "<tr class=\"no\"><th>No</th><td class=\"num binding\">0</td>\
         <td class=\"num advisory\">1</td></tr>"
    ));
    assert!(closed.contains("<dd id=\"eligible\">2</dd>"));
    assert!(closed.contains("<b class=\"outcome adopted\" id=\"outcome\">adopted</b>"));
    assert!(closed.contains("quorum 1/2 of the binding members, adopted by 2/3"));

    // What it adopted: the parameter in force from the federation, the norm adopted.
    let start = std::time::Instant::now();
    let home = loop {
        let home = page_at(&alpha, &cookie, "/governance").await;
        if home.contains("1200 s (20 min)") || start.elapsed().as_secs() > 30 {
            break home;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(
        home.contains(
            "<td class=\"num value\">1200 s (20 min)</td><td class=\"num\">3600 s (1 h)</td>\
             <td>the federation, <a href=\"/governance/proposals/"
        ),
        "{home}"
    );
    assert!(home.contains("<span class=\"outcome adopted\">adopted</span>"));
    let norms = page_at(&alpha, &cookie, "/governance/norms").await;
    let row = &norms[norms.find("<tr data-norm=\"13h\">").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("adopted"), "{row}");
    assert!(row.contains(&format!("href=\"/governance/proposals/{id}\"")));
    assert!(
        row.contains("emergency_secs</code> = 1200 s (20 min)"),
        "{row}"
    );
    assert!(norms.contains("<tr data-norm=\"13a\">"));

    // The log's proposal-closed entry links to the proposal's page.
    let log = page_at(&alpha, &cookie, "/log").await;
    assert!(
        log.contains(&format!(
            "<a href=\"/governance/proposals/{id}\"><code>{id}</code></a>: adopted"
        )),
        "{log}"
    );
    for mut node in nodes {
        node.stop().await;
    }
}

#[tokio::test]
async fn governance_without_a_charter_says_how_to_found_one() {
    let node = TestNode::start().await;
    let cookie = login(&node, "reader", &node.reader).await;
    let home = page(&node, &cookie, "/governance").await;
    assert!(home.contains("id=\"no-charter\""), "{home}");
    assert!(home.contains("pacific federation found charter.toml"));
    // The parameters in force are then the node's own.
    assert!(home.contains("data-parameter=\"coop.hotline.ping_timeout_secs\""));
    assert!(
        home.contains("<td>this node's configuration</td>"),
        "{home}"
    );
    let proposal = page(
        &node,
        &cookie,
        "/governance/proposals/x-pacific-gov-act--00000000-0000-4000-8000-000000000000",
    )
    .await;
    assert!(proposal.contains("id=\"no-charter\""));

    // The catalogue reads without a charter; the figures need members; a bad quarter is named.
    let norms = page(&node, &cookie, "/governance/norms?period=2026-Q4").await;
    assert_eq!(norms.matches("<tr data-norm=\"13").count(), 11, "{norms}");
    assert!(norms.contains("Compliance figures, 2026-Q4"));
    assert!(norms.contains("href=\"/governance/norms?period=2026-Q3\""));
    assert!(norms.contains("href=\"/governance/norms?period=2027-Q1\""));
    assert!(norms.contains("id=\"figures-none\""));
    let bad = page(&node, &cookie, "/governance/norms?period=%3Cb%3E").await;
    assert!(bad.contains("id=\"period-error\""), "{bad}");
    assert!(!bad.contains("<b>\"") && !bad.contains("value=\"<b>"));
}

// ---------------------------------------------------------------------------------------------
// The jurisdiction registry

const HOSTILE_CONTACT: &str = "<script>alert('desk')</script> duty desk";

/// A claim body of `role` over `resources` with the 24/7 contact `name`.
fn claim_body(role: &str, resources: &[String], name: &str) -> serde_json::Value {
    json!({
        "role": role,
        "resources": resources,
        "contact": {"name": name, "email": "duty@cert.example.org", "phone": "+99 555 0100"},
        "evidence": [
            "ripencc|XA|ipv4|45.10.0.0|65536|20100101|allocated",
            "ripencc|XA|asn|64000|1|20100101|allocated",
        ],
    })
}

/// Posts a claim to the node at `base` as the user of `token`; returns its id.
async fn make_claim(base: &str, token: &str, body: serde_json::Value) -> String {
    let (status, claim) = gov_call(base, token, "/registry/claims", Some(body)).await;
    assert_eq!(status, 201, "{claim}");
    claim["id"].as_str().unwrap().to_owned()
}

/// The `<tr …>…</tr>` of `html` that holds `marker`.
fn row_of<'a>(html: &'a str, marker: &str) -> &'a str {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in {html}"));
    let start = html[..at].rfind("<tr").unwrap();
    let end = at + html[at..].find("</tr>").unwrap();
    &html[start..end]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_pages_show_claims_conflicts_and_lookups_escaped() {
    use pacific_core::access::Role;
    use pacific_core::party::StakeholderType::State;
    let root = tempfile::tempdir().unwrap();
    let nodes = pacific_testkit::federation::federation_of(
        root.path(),
        &[("alpha", State), ("bravo", State)],
        None,
        |_| {},
    )
    .await;
    pacific_node::install_crypto_provider();
    let (alpha, bravo) = (nodes[0].url(), nodes[1].url());
    let ana = nodes[0].user("ana", Role::Delegate).await;
    let ben = nodes[1].user("ben", Role::Admin).await;
    let rea = nodes[0].user("rea", Role::Reader).await;
    let cookie = login_at(&alpha, "rea", &rea).await;

    // Nothing claimed yet: the page says so, and a lookup finds no claim.
    let empty = page_at(&alpha, &cookie, "/jurisdiction-registry").await;
    assert!(empty.contains("id=\"claims-none\""), "{empty}");
    assert!(empty.contains("id=\"conflicts-none\""), "{empty}");
    assert!(empty.contains("<a href=\"/jurisdiction-registry\" class=\"active\">Registry</a>"));

    // Alpha claims a /16, 120 separate /24s, an IPv6 /32, an AS number and its ccTLD, with a
    // hostile contact name; and an operator claim it then revokes. Bravo claims half the /16.
    let mut resources: Vec<String> = ["45.10.0.0/16", "2a0f:1000::/32", "AS64000", "xa"]
        .map(str::to_owned)
        .to_vec();
    resources.extend((0..120).map(|i| format!("45.20.{}.0/24", 2 * i)));
    let alpha_claim = make_claim(
        &alpha,
        &ana,
        claim_body("jurisdiction", &resources, HOSTILE_CONTACT),
    )
    .await;
    let revoked = make_claim(
        &alpha,
        &ana,
        claim_body("operator", &["AS64001".to_owned()], "Alpha NOC"),
    )
    .await;
    let (status, v) = gov_call(
        &alpha,
        &ana,
        &format!("/registry/claims/{revoked}/revocation"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let bravo_claim = make_claim(
        &bravo,
        &ben,
        claim_body(
            "jurisdiction",
            &["45.10.128.0/17".to_owned()],
            "Bravo duty officer",
        ),
    )
    .await;
    gov_until(&alpha, &ana, "/registry/conflicts", |v| {
        v.as_array().is_some_and(|a| a.len() == 1)
    })
    .await;

    // The registry page: claims by party (this node's first), their totals, the revoked one
    // shown as such, the conflict, nothing hostile as markup.
    let home = page_at(&alpha, &cookie, "/jurisdiction-registry").await;
    assert!(!home.contains("<script>alert"), "{home}");
    let ours = home.find("data-party=\"alpha\"").expect("alpha's claims");
    let theirs = home.find("data-party=\"bravo\"").expect("bravo's claims");
    assert!(ours < theirs);
    let row = row_of(&home, &format!("data-claim=\"{alpha_claim}\""));
    assert!(row.starts_with("<tr class=\"in-force\""), "{row}");
    assert!(
        row.contains(
            "<td class=\"num ipv4\">121 prefixes<br><span class=\"muted\">96256 addresses</span>"
        ),
        "{row}"
    );
    assert!(
        row.contains("<td class=\"num ipv6\">1 prefix<br><span class=\"muted\">79228162514264337593543950336 addresses</span>"),
        "{row}"
    );
    assert!(
        row.contains("<td class=\"num asns\">1 range<br><span class=\"muted\">1 number</span>"),
        "{row}"
    );
    assert!(row.contains("<td class=\"num domains\">1</td>"), "{row}");
    assert!(row.contains("<td class=\"num conflicts\">1</td>"), "{row}");
    let row = row_of(&home, &format!("data-claim=\"{revoked}\""));
    assert!(row.starts_with("<tr class=\"revoked\""), "{row}");
    assert!(
        row.contains("<td class=\"status revoked\">revoked</td>"),
        "{row}"
    );
    let conflict = row_of(&home, "<tr data-role=\"jurisdiction\">");
    for id in [&alpha_claim, &bravo_claim] {
        assert!(
            conflict.contains(&format!("href=\"/jurisdiction-registry/claims/{id}\"")),
            "{conflict}"
        );
    }
    assert!(
        conflict.contains("<code>45.10.128.0/17</code>"),
        "{conflict}"
    );

    // The lookup box: Bravo's /17 is the most specific answer there, in conflict with Alpha.
    let lookup = page_at(&alpha, &cookie, "/jurisdiction-registry?q=+45.10.200.1+").await;
    assert!(lookup.contains("value=\"45.10.200.1\""), "{lookup}");
    let answer = row_of(
        &lookup,
        "<tr data-role=\"jurisdiction\"><td>jurisdiction</td>",
    );
    assert!(answer.contains("<code>bravo</code>"), "{answer}");
    assert!(
        answer.contains("<td><code>45.10.128.0/17</code></td>"),
        "{answer}"
    );
    assert!(answer.contains("Bravo duty officer"), "{answer}");
    assert!(answer.contains("mailto:duty@cert.example.org"), "{answer}");
    assert!(
        answer.contains(&format!(
            "in conflict with <code>alpha</code> <span class=\"muted\">(this node)</span> \
             (<a href=\"/jurisdiction-registry/claims/{alpha_claim}\">"
        )),
        "{answer}"
    );
    // Alpha's /16 answers elsewhere, with the hostile contact as text and its claim's conflict.
    let lookup = page_at(&alpha, &cookie, "/jurisdiction-registry?q=45.10.3.4").await;
    let answer = row_of(
        &lookup,
        "<tr data-role=\"jurisdiction\"><td>jurisdiction</td>",
    );
    assert!(
        answer.contains("<td><code>45.10.0.0/16</code></td>"),
        "{answer}"
    );
    assert!(answer.contains("&lt;script&gt;alert(&#39;desk&#39;)&lt;/script&gt; duty desk"));
    assert!(
        answer.contains(&format!(
            "in conflict with <code>bravo</code> (<a href=\"/jurisdiction-registry/claims/{bravo_claim}\">"
        )),
        "{answer}"
    );
    assert!(!lookup.contains("<script>alert"));
    // By AS number and by name; the revoked operator claim answers nothing.
    let by_asn = page_at(&alpha, &cookie, "/jurisdiction-registry?q=AS64000").await;
    assert!(by_asn.contains("<td><code>AS64000</code></td>"), "{by_asn}");
    let by_name = page_at(&alpha, &cookie, "/jurisdiction-registry?q=mail.gov.xa").await;
    assert!(by_name.contains("<td><code>xa</code></td>"), "{by_name}");
    let gone = page_at(&alpha, &cookie, "/jurisdiction-registry?q=AS64001").await;
    assert!(gone.contains("id=\"lookup-none\""), "{gone}");
    let nobody = page_at(&alpha, &cookie, "/jurisdiction-registry?q=46.1.1.1").await;
    assert!(nobody.contains("id=\"lookup-none\">No claim answers for <code>46.1.1.1</code>"));
    assert!(!nobody.contains("id=\"lookup-answers\""));
    // Input that is no address, AS number or name: an error, escaped, the form kept.
    let bad = page_at(
        &alpha,
        &cookie,
        "/jurisdiction-registry?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    )
    .await;
    assert!(bad.contains("id=\"lookup-error\""), "{bad}");
    assert!(
        bad.contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;\""),
        "{bad}"
    );
    assert!(!bad.contains("<script>alert"), "{bad}");
    assert!(!bad.contains("id=\"lookup-answers\""));

    // A claim's page: facts, contact escaped, evidence counted, resources capped, conflicts.
    let claim = page_at(
        &alpha,
        &cookie,
        &format!("/jurisdiction-registry/claims/{alpha_claim}"),
    )
    .await;
    assert!(!claim.contains("<script>alert"), "{claim}");
    assert!(claim.contains("&lt;script&gt;alert(&#39;desk&#39;)&lt;/script&gt; duty desk"));
    assert!(
        claim.contains("<dd id=\"evidence\">2 lines</dd>"),
        "{claim}"
    );
    assert!(claim.contains("<dd class=\"status in-force\" id=\"status\">in force</dd>"));
    assert!(claim.contains("<h3>IPv4 prefixes (121)</h3>"), "{claim}");
    let ipv4 = &claim[claim.find("id=\"ipv4\"").unwrap()..];
    assert_eq!(
        ipv4[..ipv4.find("</ul>").unwrap()].matches("<li>").count(),
        100
    );
    assert!(claim.contains("id=\"ipv4-more\">… and 21 more"), "{claim}");
    assert!(!claim.contains("id=\"ipv6-more\""));
    assert!(
        claim.contains("<li><code>2a0f:1000::/32</code></li>"),
        "{claim}"
    );
    assert!(claim.contains("<li><code>AS64000</code></li>"));
    assert!(claim.contains("<li><code>xa</code></li>"));
    let conflict = &claim[claim.find("id=\"claim-conflicts\"").unwrap()..];
    assert!(conflict.contains("<code>bravo</code>"), "{conflict}");
    assert!(conflict.contains(&format!(
        "href=\"/jurisdiction-registry/claims/{bravo_claim}\""
    )));
    let revoked_page = page_at(
        &alpha,
        &cookie,
        &format!("/jurisdiction-registry/claims/{revoked}"),
    )
    .await;
    assert!(
        revoked_page.contains("id=\"status\">revoked</dd>"),
        "{revoked_page}"
    );

    // An unknown claim is a 404 page; the same pages on Bravo name Bravo as this node.
    let response = client()
        .get(format!(
            "{alpha}/jurisdiction-registry/claims/x-pacific-resource-claim--00000000-0000-4000-8000-000000000000"
        ))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    assert!(response.text().await.unwrap().contains("class=\"error\""));
    let bob = nodes[1].user("bob", Role::Reader).await;
    let bravo_cookie = login_at(&bravo, "bob", &bob).await;
    let home = page_until(&bravo, &bravo_cookie, "/jurisdiction-registry", |h| {
        h.contains(&format!("data-claim=\"{alpha_claim}\""))
    })
    .await;
    assert!(home.contains("<code>bravo</code> <span class=\"muted\">(this node)</span>"));
    assert!(
        home.find("data-party=\"bravo\"").unwrap() < home.find("data-party=\"alpha\"").unwrap()
    );

    for mut node in nodes {
        node.stop().await;
    }
}

/// Reloads a page until `check` holds on it (at most 30 s); returns it.
async fn page_until(base: &str, cookie: &str, path: &str, check: impl Fn(&str) -> bool) -> String {
    let start = std::time::Instant::now();
    loop {
        let html = page_at(base, cookie, path).await;
        if check(&html) {
            return html;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "{path} never satisfied the check: {html}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// A form posted in a dashboard session, with the page's anti-forgery token; answers the
/// status, the `Location` header and the body.
async fn post_form(
    base: &str,
    cookie: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    let r = client()
        .post(format!("{base}{path}"))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.join("&"))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

/// The first workbench story: an analyst makes a TLP:AMBER indicator for Bravo alone
/// in the dashboard; the preview says Bravo gets it and Charlie does not, and the outbox does
/// exactly that. A reader sees no write control and is refused if it posts anyway.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_indicator_made_in_the_dashboard_reaches_its_one_recipient_as_the_preview_said() {
    use pacific_core::access::Role;
    let tmp = tempfile::tempdir().unwrap();
    let nodes =
        pacific_testkit::federation::mesh(tmp.path(), &["alpha", "bravo", "charlie"], |_| {}).await;
    let (alpha, bravo, charlie) = (&nodes[0], &nodes[1], &nodes[2]);
    let base = alpha.url();
    let analyst = login_at(&base, "", &alpha.user("ana", Role::Analyst).await).await;
    let reader = login_at(&base, "", &alpha.user("rea", Role::Reader).await).await;

    let form_page = page_at(&base, &analyst, "/objects/new").await;
    let csrf = csrf_of(&form_page);
    let fields = |action: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("kind", "domain".to_owned()),
            ("value", "c2.evil.example".to_owned()),
            ("pattern", String::new()),
            ("name", "C2 domain <b>".to_owned()),
            ("tlp", "amber".to_owned()),
            ("to.bravo", "on".to_owned()),
            ("action", action.to_owned()),
        ]
    };
    let as_refs = |f: &[(&'static str, String)]| -> Vec<(&'static str, String)> { f.to_vec() };
    let post = |path: &'static str, f: Vec<(&'static str, String)>, cookie: String| {
        let base = base.clone();
        async move {
            let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(&base, &cookie, path, &refs).await
        }
    };

    // The pattern check the editor's script calls.
    let (status, _, checked) = post(
        "/objects/pattern-check",
        as_refs(&fields("")),
        analyst.clone(),
    )
    .await;
    assert_eq!(status, 200);
    let checked: serde_json::Value = serde_json::from_str(&checked).unwrap();
    assert_eq!(
        checked["pattern"],
        "[domain-name:value = 'c2.evil.example']"
    );
    let mut bad = fields("");
    bad[2].1 = "not a domain".into();
    let (_, _, refused) = post("/objects/pattern-check", bad, analyst.clone()).await;
    assert!(refused.contains("\"ok\":false"), "{refused}");

    // The preview: Bravo gets it, Charlie does not, with the gate's reason.
    let (status, _, preview) = post("/objects/new", fields("preview"), analyst.clone()).await;
    assert_eq!(status, 200, "{preview}");
    let row = |peer: &str| {
        let start = preview.find(&format!("data-peer=\"{peer}\"")).expect(peer);
        preview[..start].rsplit("<tr class=\"").next().unwrap()[..4].to_owned()
    };
    assert_eq!(row("bravo"), "sent", "{preview}");
    assert_eq!(row("charlie"), "with", "{preview}");
    assert!(!preview.contains("C2 domain <b>"), "escaped");

    // Saved: to the object's page, then delivered to Bravo and not to Charlie.
    let (status, location, _) = post("/objects/new", fields("save"), analyst.clone()).await;
    assert_eq!(status, 303);
    let id = location
        .strip_prefix("/objects/")
        .expect(&location)
        .to_owned();
    assert!(id.starts_with("indicator--"));
    let shown = page_at(&base, &analyst, &location).await;
    assert!(shown.contains("TLP:AMBER") && shown.contains("c2.evil.example"));
    let arrived =
        pacific_testkit::federation::eventually(std::time::Duration::from_secs(10), || async {
            bravo.has(&id).await
        })
        .await;
    assert!(arrived.is_some(), "Bravo received it");
    assert!(
        alpha
            .drained_to("charlie", std::time::Duration::from_secs(10))
            .await
    );
    assert!(!charlie.has(&id).await, "Charlie did not");

    // A reader: no write control, a 403 page for the form and for a post.
    let objects = page_at(&base, &reader, "/objects").await;
    assert!(objects.contains("c2.evil.example") || objects.contains(&id));
    assert!(!objects.contains("new-indicator"));
    let r = client()
        .get(format!("{base}/objects/new"))
        .header("cookie", &reader)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let reader_page = page_at(&base, &reader, "/objects").await;
    let mut as_reader = fields("save");
    as_reader[0].1 = csrf_of(&reader_page);
    let (status, _, body) = post("/objects/new", as_reader, reader.clone()).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("data-label=\"auth-forbidden\""));
}

/// Importing from the browser: a bundle (an unmarked object gets the TLP chosen, an invalid
/// one and a cooperation record are refused with their place) and a list of values (each an
/// indicator; a line that is no value is refused by its number).
#[tokio::test]
async fn an_analyst_imports_a_bundle_and_a_list_of_values() {
    let node = TestNode::start().await;
    let base = node.url("");
    let analyst = login(&node, "", &node.analyst).await;
    let csrf = csrf_of(&page(&node, &analyst, "/objects/import").await);
    let unmarked = "malware--6b616fc1-1505-48e3-8b2c-0d19337bff38";
    let bundle = json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
        {"type": "malware", "spec_version": "2.1", "id": unmarked,
         "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
         "name": "Imported wiper", "is_family": true},
        {"type": "malware", "spec_version": "2.1", "id": "malware--not-a-uuid"},
        {"type": "x-pacific-assistance-request", "spec_version": "2.1",
         "id": "x-pacific-assistance-request--7b616fc1-1505-48e3-8b2c-0d19337bff38",
         "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z"}
    ]});
    let (status, _, result) = post_form(
        &base,
        &analyst,
        "/objects/import",
        &[
            ("csrf", &csrf),
            ("format", "stix"),
            ("tlp", "green"),
            ("content", &bundle.to_string()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{result}");
    assert!(result.contains("data-stored=\"1\""), "{result}");
    assert!(result.contains("data-refused=\"2\""), "{result}");
    assert!(
        result.contains("objects[1]") && result.contains("objects[2]"),
        "{result}"
    );
    let green = page(&node, &analyst, "/objects?tlp=green").await;
    assert!(
        green.contains(unmarked),
        "the unmarked object got TLP:GREEN"
    );

    let (_, _, result) = post_form(
        &base,
        &analyst,
        "/objects/import",
        &[
            ("csrf", &csrf),
            ("format", "values"),
            ("tlp", "amber"),
            (
                "content",
                "203.0.113.99\nwiper-c2.example,domain\n<script>\n",
            ),
        ],
    )
    .await;
    assert!(result.contains("data-stored=\"2\""), "{result}");
    assert!(
        result.contains("line 3") && !result.contains("<script>"),
        "{result}"
    );
    let found = page(&node, &analyst, "/objects?q=wiper-c2.example&tlp=amber").await;
    assert!(found.contains("data-total=\"1\""), "{found}");
    // A reader may not import.
    let reader = login(&node, "", &node.reader).await;
    assert_eq!(status_of(&node, &reader, "/objects/import").await, 403);
}

/// Working on an object from its page: a note, a relationship to an object held (and not to
/// one that is not), a new report, then the same report grown by a second object; a reader
/// sees none of the forms.
#[tokio::test]
async fn an_analyst_adds_a_note_a_relationship_and_reports_from_an_objects_page() {
    let node = TestNode::start().await;
    let base = node.url("");
    let (ind, mal) = (IND_IP, "malware--33333333-3333-4333-8333-333333333333");
    node.post_objects(
        &node.analyst,
        &[
            json!({
                "type": "indicator", "spec_version": "2.1", "id": ind,
                "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                "name": "Grid C2 address", "pattern": "[ipv4-addr:value = '203.0.113.7']",
                "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"
            }),
            test_node::malware(mal),
        ],
    )
    .await;
    let analyst = login(&node, "", &node.analyst).await;
    let path = format!("/objects/{ind}");
    let shown = page(&node, &analyst, &path).await;
    assert!(shown.contains("id=\"work\""));
    let csrf = csrf_of(&shown);
    let annotate = format!("{path}/annotate");
    let post = |fields: Vec<(&'static str, &'static str)>| {
        let (base, cookie, annotate, csrf) = (
            base.clone(),
            analyst.clone(),
            annotate.clone(),
            csrf.clone(),
        );
        async move {
            let mut all = vec![("csrf", csrf.as_str())];
            all.extend(fields);
            post_form(&base, &cookie, &annotate, &all).await
        }
    };
    let (status, location, _) = post(vec![
        ("what", "note"),
        ("abstract", "Seen at the grid"),
        ("content", "Beacons every 60 s <b>"),
        ("tlp", "amber"),
    ])
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, format!("{path}#work").as_str())
    );
    let (status, _, _) = post(vec![
        ("what", "relationship"),
        ("relationship_type", "indicates"),
        ("target", mal),
        ("tlp", "green"),
    ])
    .await;
    assert_eq!(status, 303);
    let (status, _, refused) = post(vec![
        ("what", "relationship"),
        ("relationship_type", "indicates"),
        ("target", "malware--00000000-0000-4000-8000-000000000000"),
        ("tlp", "green"),
    ])
    .await;
    assert_eq!(status, 400, "{refused}");
    let (status, _, _) = post(vec![
        ("what", "report"),
        ("report", ""),
        ("name", "GRIDLOCK"),
        ("tlp", "amber"),
    ])
    .await;
    assert_eq!(status, 303);

    let shown = page(&node, &analyst, &path).await;
    let notes = &shown[shown.find("id=\"notes\"").expect("the note")..];
    assert!(notes.contains("Seen at the grid") && notes.contains("Beacons every 60 s &lt;b&gt;"));
    assert!(shown.contains("<tr class=\"out\">") && shown.contains("indicates"));
    let reports = &shown[shown.find("id=\"reports\"").expect("the report")..];
    assert!(reports.contains("GRIDLOCK"));
    // The report is offered on the malware's page; adding the malware makes a new version.
    let mal_page = page(&node, &analyst, &format!("/objects/{mal}")).await;
    let start = mal_page
        .find("<option value=\"report--")
        .expect("the report offered")
        + 15;
    let report = mal_page[start..start + mal_page[start..].find('"').unwrap()].to_owned();
    let (status, _, _) = post_form(
        &base,
        &analyst,
        &format!("/objects/{mal}/annotate"),
        &[
            ("csrf", &csrf),
            ("what", "report"),
            ("report", &report),
            ("tlp", "amber"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let report_page = page(&node, &analyst, &format!("/objects/{report}")).await;
    let versions = &report_page[report_page.find("id=\"versions\"").unwrap()..];
    assert_eq!(
        versions
            .split("</table>")
            .next()
            .unwrap()
            .matches("<tr><td>")
            .count(),
        2
    );
    let refs = &report_page[report_page.find("data-field=\"object_refs\"").unwrap()..];
    assert!(refs.contains(ind) && refs.contains(mal), "{refs}");

    // A reader: no forms.
    let reader = login(&node, "", &node.reader).await;
    assert!(!page(&node, &reader, &path).await.contains("id=\"work\""));
}

/// The admin's pages: a user added (the token shown once signs in), demoted, given a new
/// token (the old one stops), removed; the export policy checked, refused when invalid and
/// applied (logged); a peer added only once the key's fingerprint is confirmed. Others see no
/// forms and are refused.
#[tokio::test]
async fn an_admin_manages_users_the_policy_and_peers_from_the_dashboard() {
    let node = TestNode::start().await;
    let base = node.url("");
    let admin = login(&node, "", &node.admin).await;
    let users = page(&node, &admin, "/users").await;
    let csrf = csrf_of(&users);
    let act = |path: &'static str, fields: Vec<(&'static str, String)>| {
        let (base, admin, csrf) = (base.clone(), admin.clone(), csrf.clone());
        async move {
            let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
            all.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
            post_form(&base, &admin, path, &all).await
        }
    };
    let token_in = |page: &str| {
        let start = page.find("<code id=\"new-token\">").expect("a new token") + 21;
        page[start..start + page[start..].find('<').unwrap()].to_owned()
    };

    // Users.
    let (status, _, added) = act(
        "/users",
        vec![
            ("what", "add".into()),
            ("name", "zoe".into()),
            ("role", "analyst".into()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{added}");
    let zoe_token = token_in(&added);
    let zoe = login(&node, "", &zoe_token).await;
    assert!(page(&node, &zoe, "/").await.contains("zoe (analyst)"));
    let (_, _, demoted) = act(
        "/users",
        vec![
            ("what", "role".into()),
            ("name", "zoe".into()),
            ("role", "reader".into()),
        ],
    )
    .await;
    assert!(demoted.contains("is now reader"), "{demoted}");
    assert!(page(&node, &zoe, "/").await.contains("zoe (reader)"));
    let (_, _, reissued) = act(
        "/users",
        vec![("what", "reissue".into()), ("name", "zoe".into())],
    )
    .await;
    let new_token = token_in(&reissued);
    assert_ne!(new_token, zoe_token);
    assert_eq!(
        status_of(&node, &zoe, "/").await,
        303,
        "the session of the old token ended"
    );
    let (status, _, _) = act(
        "/users",
        vec![("what", "remove".into()), ("name", "zoe".into())],
    )
    .await;
    assert_eq!(status, 400, "not without ticking sure");
    let (_, _, removed) = act(
        "/users",
        vec![
            ("what", "remove".into()),
            ("name", "zoe".into()),
            ("sure", "yes".into()),
        ],
    )
    .await;
    assert!(removed.contains("removed") && !removed.contains("data-user=\"zoe\""));
    let (status, _, last) = act(
        "/users",
        vec![
            ("what", "role".into()),
            ("name", "admin".into()),
            ("role", "reader".into()),
        ],
    )
    .await;
    assert_eq!(status, 409, "the last admin stays: {last}");

    // The export policy.
    let policy = page(&node, &admin, "/policy").await;
    assert!(policy.contains("id=\"policy-form\""));
    let (_, _, bad) = act(
        "/policy",
        vec![
            ("action", "check".into()),
            ("text", "default = \"maybe\"".into()),
        ],
    )
    .await;
    assert!(bad.contains("id=\"policy-problem\""), "{bad}");
    let good = "default = \"deny\"\n[[sharing_groups]]\nname = \"energy-isac\"\nmembers = [\"bravo\"]\n[[rules]]\nname = \"green-to-isac\"\naction = \"allow\"\ntlp = [\"green\"]\nrecipient_groups = [\"energy-isac\"]\n";
    let (_, _, checked) = act(
        "/policy",
        vec![("action", "check".into()), ("text", good.into())],
    )
    .await;
    assert!(
        checked.contains("id=\"policy-ok\"") && checked.contains("1 rules"),
        "{checked}"
    );
    let (status, _, refused) = act(
        "/policy",
        vec![
            ("action", "apply".into()),
            ("text", "[[rules]]\nname = 1".into()),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(refused.contains("the policy was not applied"), "{refused}");
    let (status, location, _) = act(
        "/policy",
        vec![("action", "apply".into()), ("text", good.into())],
    )
    .await;
    assert_eq!((status, location.as_str()), (303, "/policy"));
    let applied = page(&node, &admin, "/policy").await;
    assert!(
        applied.contains("<code>green-to-isac</code>")
            && applied.contains("<code>energy-isac</code>")
    );
    assert_eq!(
        std::fs::read_to_string(node.data_dir().root().join("policy.toml")).unwrap(),
        good
    );
    assert!(page(&node, &admin, "/log").await.contains("policy-changed"));

    // A peer, after its fingerprint.
    let key = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    let fingerprint = pacific_node::federation::key_fingerprint(key);
    let peer = |confirm: &str| {
        vec![
            ("name", "Delta CERT".to_owned()),
            ("url", "http://127.0.0.1:9".to_owned()),
            ("key", key.to_owned()),
            ("kind", "state".to_owned()),
            ("jurisdiction", "xd".to_owned()),
            ("confirm", confirm.to_owned()),
        ]
    };
    let (_, _, asked) = act("/peers/add", peer("")).await;
    assert!(asked.contains(&fingerprint), "{asked}");
    let (_, _, wrong) = act("/peers/add", peer("0000 0000")).await;
    assert!(wrong.contains("id=\"fingerprint-mismatch\""));
    assert!(!page(&node, &admin, "/peers").await.contains("Delta CERT"));
    let (status, location, _) = act("/peers/add", peer(&fingerprint.to_uppercase())).await;
    assert_eq!((status, location.as_str()), (303, "/peers"));
    assert!(page(&node, &admin, "/peers").await.contains("Delta CERT"));

    // Not an admin: no Users link, no forms, refused.
    let reader = login(&node, "", &node.reader).await;
    let policy = page(&node, &reader, "/policy").await;
    assert!(!policy.contains("id=\"policy-form\"") && policy.contains("id=\"policy-text\""));
    assert!(!policy.contains("href=\"/users\""));
    assert!(
        !page(&node, &reader, "/peers")
            .await
            .contains("id=\"add-peer\"")
    );
    assert_eq!(status_of(&node, &reader, "/users").await, 403);
}

/// Editing one of this node's indicators makes its next version: the form comes filled from
/// the latest version (markings included), the id and `created` stay, the page shows both.
#[tokio::test]
async fn an_analyst_edits_an_indicator_into_a_new_version() {
    let node = TestNode::start().await;
    let base = node.url("");
    node.post_objects(
        &node.analyst,
        &[json!({
            "type": "indicator", "spec_version": "2.1", "id": IND_IP,
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "name": "Grid C2 address", "pattern": "[ipv4-addr:value = '203.0.113.7']",
            "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
            "object_marking_refs": [pacific_core::tlp::TLP2_AMBER],
            "x_pacific_sharing_groups": ["energy-isac"]
        })],
    )
    .await;
    let analyst = login(&node, "", &node.analyst).await;
    let shown = page(&node, &analyst, &format!("/objects/{IND_IP}")).await;
    assert!(shown.contains("id=\"edit-indicator\""));
    let form = page(&node, &analyst, &format!("/objects/new?edit={IND_IP}")).await;
    assert!(form.contains(&format!("name=\"edit\" value=\"{IND_IP}\"")));
    assert!(form.contains("value=\"Grid C2 address\"") && form.contains("value=\"energy-isac\""));
    assert!(form.contains("<option value=\"amber\" selected>"), "{form}");
    let csrf = csrf_of(&form);
    let (status, location, body) = post_form(
        &base,
        &analyst,
        "/objects/new",
        &[
            ("csrf", &csrf),
            ("edit", IND_IP),
            ("pattern", "[ipv4-addr:value = '203.0.113.8']"),
            ("name", "Grid C2 address, moved"),
            ("tlp", "red"),
            ("groups", "energy-isac"),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(location, format!("/objects/{IND_IP}"));
    let shown = page(&node, &analyst, &location).await;
    assert!(shown.contains("Grid C2 address, moved") && shown.contains("TLP:RED"));
    assert!(shown.contains("203.0.113.8") && shown.contains("2026-01-01T00:00:00.000Z"));
    let versions = &shown[shown.find("id=\"versions\"").unwrap()..];
    assert_eq!(
        versions
            .split("</table>")
            .next()
            .unwrap()
            .matches("<tr><td>")
            .count(),
        2
    );
    // Not an indicator: nothing to edit.
    assert_eq!(
        status_of(
            &node,
            &analyst,
            "/objects/new?edit=malware--33333333-3333-4333-8333-333333333333"
        )
        .await,
        404
    );
}
