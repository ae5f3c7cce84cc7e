//! The authorisation table (`pacific_node::http::authz::ROUTES`) walked route by route with every
//! kind of caller, and regression tests for the holes the table and the gate close: a peer
//! reading the log in full, an analyst acting for the party through TAXII.

use std::time::Duration;

use base64::Engine as _;
use pacific_core::access::Role;
use pacific_core::tlp::Tlp;
use pacific_node::federation::peer_auth::authorization;
use pacific_node::http::authz::{Access, Caller, ROUTES};
use pacific_tlog::merkle::{self, Hash};
use serde_json::{Value, json};

use pacific_testkit::federation::{FedNode, alpha_and_bravo, indicator, uuid};

/// Who calls, in the walk.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Anonymous,
    User(Caller),
    Peer,
    /// A registered peer's name, signed with another key.
    WrongKeyPeer,
    /// A party this node does not know.
    UnknownPeer,
}

struct Callers {
    tokens: Vec<(Caller, String)>,
    bravo_key: ed25519_dalek::SigningKey,
    other_key: ed25519_dalek::SigningKey,
}

/// A request to `alpha` as `who`; `path` may carry a query.
async fn call(
    alpha: &FedNode,
    callers: &Callers,
    who: Who,
    method: &str,
    path: &str,
) -> (u16, String) {
    let (route, query) = path.split_once('?').unwrap_or((path, ""));
    pacific_node::install_crypto_provider();
    // Redirects are answers here (a dashboard page without a session is a 303).
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut r = http
        .request(m, format!("{}{path}", alpha.url()))
        .timeout(Duration::from_secs(20));
    if method != "GET" {
        r = r.header("content-type", "application/json").body("{}");
    }
    let now = pacific_core::Timestamp::now().unix().0;
    let sign = |key, sender| authorization(key, sender, "alpha", method, route, query, now);
    r = match who {
        Who::Anonymous => r,
        Who::User(caller) => {
            let token = &callers.tokens.iter().find(|(c, _)| *c == caller).unwrap().1;
            r.bearer_auth(token)
        }
        Who::Peer => r.header("authorization", sign(&callers.bravo_key, "bravo")),
        Who::WrongKeyPeer => r.header("authorization", sign(&callers.other_key, "bravo")),
        Who::UnknownPeer => r.header("authorization", sign(&callers.other_key, "mallory")),
    };
    let response = r.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    let label = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v["error_code"].as_str().map(str::to_owned))
        .unwrap_or_default();
    (status, label)
}

/// Dashboard sessions of the walk's users, signed in once each (again after a logout).
#[derive(Default)]
struct Sessions(Vec<(Caller, Session)>);

#[derive(Clone)]
struct Session {
    cookie: String,
    csrf: String,
}

impl Sessions {
    async fn of(&mut self, alpha: &FedNode, callers: &Callers, caller: Caller) -> Session {
        if let Some((_, s)) = self.0.iter().find(|(c, _)| *c == caller) {
            return s.clone();
        }
        let http = no_redirects();
        let token = &callers.tokens.iter().find(|(c, _)| *c == caller).unwrap().1;
        let r = http
            .post(format!("{}/login", alpha.url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("token={}", form_value(token)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{caller:?} signs in to the dashboard");
        let cookie = r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let page = http
            .get(format!("{}/", alpha.url()))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let marker = "name=\"csrf\" value=\"";
        let start = page
            .find(marker)
            .expect("every page's logout form carries the token")
            + marker.len();
        let csrf = page[start..start + 64].to_owned();
        let session = Session { cookie, csrf };
        self.0.push((caller, session.clone()));
        session
    }

    fn forget(&mut self, caller: Caller) {
        self.0.retain(|(c, _)| *c != caller);
    }
}

impl Session {
    /// A dashboard request in this session; a POST sends a form, with the session's token if
    /// `with_token`. Answers the status and the error page's label, if any (`to-login` for a redirect to
    /// the sign-in form).
    async fn call(
        &self,
        alpha: &FedNode,
        method: &str,
        path: &str,
        with_token: bool,
    ) -> (u16, String) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut r = no_redirects()
            .request(m, format!("{}{path}", alpha.url()))
            .header("cookie", &self.cookie)
            .timeout(Duration::from_secs(20));
        if method == "POST" {
            let token = if with_token { self.csrf.as_str() } else { "" };
            r = r
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("csrf={token}"));
        }
        let response = r.send().await.unwrap();
        let status = response.status().as_u16();
        let to_login = response
            .headers()
            .get("location")
            .is_some_and(|l| l == "/login");
        if to_login {
            return (status, "to-login".into());
        }
        let body = response.text().await.unwrap();
        let marker = "data-label=\"";
        let label = body
            .find(marker)
            .map(|i| &body[i + marker.len()..])
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_owned();
        (status, label)
    }
}

/// Percent-encodes a form value.
fn form_value(v: &str) -> String {
    v.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn no_redirects() -> reqwest::Client {
    pacific_node::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A concrete path for a route template.
fn concrete(template: &str, collection: &str) -> String {
    let record = if template.starts_with("/coop/consultations") {
        "x-pacific-consultation"
    } else if template.starts_with("/coop/disputes") {
        "x-pacific-dispute"
    } else {
        "x-pacific-assistance-request"
    };
    let mut path = template
        .replace("{collection}", collection)
        .replace("{object_id}", &format!("indicator--{}", uuid()))
        .replace("{status_id}", &uuid())
        .replace("{id}", &format!("{record}--{}", uuid()))
        .replace("{action}", "send")
        .replace("{party}", "alpha")
        .replace("{addr}", "192.0.2.1")
        .replace("{len}", "24")
        .replace("{asn}", "64500")
        // A user who does not exist: the walk must not remove, revoke or demote its callers.
        .replace("{name}", &format!("nobody-{}", &uuid()[..8]));
    match template {
        "/log/entries" => path.push_str("?start=0&end=1"),
        "/log/proof/inclusion" => path.push_str("?index=0&size=1"),
        "/log/proof/consistency" => path.push_str("?old=0&new=1"),
        "/registry/lookup" => path.push_str("?q=192.0.2.1"),
        _ => {}
    }
    path
}

/// Alpha serving (no outbox), with Bravo registered as its peer; Bravo is not started.
async fn alpha_serving_bravo(root: &std::path::Path) -> (FedNode, FedNode) {
    let (mut alpha, bravo) = alpha_and_bravo(root).await;
    alpha
        .add_peer(
            &bravo,
            pacific_core::party::StakeholderType::State,
            Some("XB"),
        )
        .await;
    alpha.configure(|c| c.federation.outbox = false);
    alpha.start().await;
    (alpha, bravo)
}

#[tokio::test]
async fn authorisation_table() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alpha, bravo) = alpha_serving_bravo(tmp.path()).await;
    let mut tokens = Vec::new();
    for (caller, role) in [
        (Caller::Reader, Role::Reader),
        (Caller::Analyst, Role::Analyst),
        (Caller::Liaison, Role::Liaison),
        (Caller::Delegate, Role::Delegate),
        (Caller::Admin, Role::Admin),
    ] {
        tokens.push((caller, alpha.user(role.as_str(), role).await));
    }
    let callers = Callers {
        tokens,
        bravo_key: bravo.dir.load_identity().unwrap(),
        other_key: ed25519_dalek::SigningKey::from_bytes(&[9; 32]),
    };
    let mut sessions = Sessions::default();
    let mut walked = 0;
    for rule in ROUTES {
        let method = rule.method.as_str();
        let path = concrete(rule.path, &alpha.collection);
        let what = format!("{method} {path}");
        match rule.access {
            Access::Public(_) => {
                let (status, label) = call(&alpha, &callers, Who::Anonymous, method, &path).await;
                assert!(
                    label != "auth-required" && label != "auth-forbidden",
                    "{what} is public, yet anonymous got {status} {label}"
                );
            }
            Access::Session(_) => {
                let (status, _) = call(&alpha, &callers, Who::Anonymous, method, &path).await;
                assert_eq!(
                    status, 303,
                    "{what}: a dashboard page without a session goes to /login"
                );
                for caller in Caller::ALL.into_iter().filter(|c| *c != Caller::Peer) {
                    let session = sessions.of(&alpha, &callers, caller).await;
                    if method == "POST" && rule.access.admits(caller) {
                        // A form without the session's anti-forgery token is never acted on.
                        let (status, label) = session.call(&alpha, method, &path, false).await;
                        assert_eq!(
                            (status, label.as_str()),
                            (403, "form-token-missing"),
                            "{what} as {caller:?} without the form token"
                        );
                    }
                    let (status, label) = session.call(&alpha, method, &path, true).await;
                    if rule.access.admits(caller) && path == "/logout" {
                        assert_eq!(status, 303, "{what} as {caller:?}");
                        let (after, _) = session.call(&alpha, "GET", "/", true).await;
                        assert_eq!(after, 303, "{what} as {caller:?} ended the session");
                    } else if rule.access.admits(caller) {
                        assert!(
                            label != "to-login" && label != "auth-forbidden",
                            "{what}: the table admits {caller:?}, the node answered {status} {label}"
                        );
                    } else {
                        assert_eq!(
                            (status, label.as_str()),
                            (403, "auth-forbidden"),
                            "{what}: the table refuses {caller:?}"
                        );
                    }
                    if path == "/logout" {
                        sessions.forget(caller);
                    }
                }
            }
            Access::Only(_) => {
                for who in [Who::Anonymous, Who::WrongKeyPeer, Who::UnknownPeer] {
                    let (status, label) = call(&alpha, &callers, who, method, &path).await;
                    assert_eq!(
                        (status, label.as_str()),
                        (401, "auth-required"),
                        "{what} as {who:?}"
                    );
                }
                for caller in Caller::ALL {
                    let who = if caller == Caller::Peer {
                        Who::Peer
                    } else {
                        Who::User(caller)
                    };
                    let (status, label) = call(&alpha, &callers, who, method, &path).await;
                    if rule.access.admits(caller) {
                        assert!(
                            label != "auth-required" && label != "auth-forbidden",
                            "{what}: the table admits {caller:?}, the node answered {status} {label}"
                        );
                    } else {
                        assert_eq!(
                            (status, label.as_str()),
                            (403, "auth-forbidden"),
                            "{what}: the table refuses {caller:?}"
                        );
                    }
                }
            }
        }
        walked += 1;
    }
    assert_eq!(walked, ROUTES.len());
    alpha.stop().await;
}

/// A signed GET by Bravo of `path?query` on Alpha, as JSON or text.
async fn bravo_get(
    alpha: &FedNode,
    bravo_key: &ed25519_dalek::SigningKey,
    path: &str,
    query: &str,
) -> String {
    let now = pacific_core::Timestamp::now().unix().0;
    let auth = authorization(bravo_key, "bravo", "alpha", "GET", path, query, now);
    let url = if query.is_empty() {
        format!("{}{path}", alpha.url())
    } else {
        format!("{}{path}?{query}", alpha.url())
    };
    let r = pacific_node::http_client()
        .get(url)
        .header("authorization", auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path}?{query}");
    r.text().await.unwrap()
}

/// Regression: a peer read `/log/entries` in full, ids and hashes of objects the gate held
/// back from it included, and recovered a TLP:RED address (deterministic id) by hashing
/// candidates. Now such entries come as their index and leaf hash only, and still verify.
#[tokio::test]
async fn a_peer_reads_the_log_only_as_the_gate_lets_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alpha, bravo) = alpha_serving_bravo(tmp.path()).await;
    let red_address = json!({
        "type": "ipv4-addr",
        "spec_version": "2.1",
        "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
        "value": "198.51.100.7",
        "object_marking_refs": [Tlp::Red.marking_id()],
    });
    let green = indicator(Some(Tlp::Green), json!({}));
    alpha.add(&[red_address.clone(), green.clone()]).await;
    alpha.user("ana", Role::Analyst).await;

    let bravo_key = bravo.dir.load_identity().unwrap();
    let size = alpha.store().log_size().await.unwrap();
    let body = bravo_get(
        &alpha,
        &bravo_key,
        "/log/entries",
        &format!("start=0&end={size}"),
    )
    .await;
    let red_json = pacific_core::StixObject::from_value(red_address.clone())
        .unwrap()
        .to_json();
    let red_sha = hex::encode(pacific_tlog::entry::sha256(red_json.as_bytes()));
    for secret in [
        red_address["id"].as_str().unwrap(),
        red_sha.as_str(),
        "198.51.100.7",
        "\"ana\"",
        "analyst",
    ] {
        assert!(
            !body.contains(secret),
            "the peer's view of the log shows {secret}: {body}"
        );
    }
    let entries: Value = serde_json::from_str(&body).unwrap();
    let entries = entries["entries"].as_array().unwrap();
    assert_eq!(entries.len() as u64, size);
    let shown: Vec<&Value> = entries.iter().filter(|e| e["redacted"] != true).collect();
    assert!(
        shown.iter().any(|e| e["entry"]["object_id"] == green["id"]),
        "the GREEN indicator's entry is shown: {body}"
    );
    assert!(
        entries
            .iter()
            .any(|e| e["redacted"] == true && e.get("entry_b64").is_none()),
        "some entries are redacted: {body}"
    );

    // Every entry, redacted or not, is provably in the log by its leaf hash.
    pacific_node::log::publish_checkpoint(alpha.store().as_ref(), &alpha_log(&alpha))
        .await
        .unwrap();
    let cp = bravo_get(&alpha, &bravo_key, "/log/checkpoint", "").await;
    let note = pacific_tlog::signed_note::Note::parse(&cp).unwrap();
    let checkpoint = pacific_tlog::checkpoint::Checkpoint::parse(note.text()).unwrap();
    for e in entries {
        let index = e["index"].as_u64().unwrap();
        let leaf: Hash = hex::decode(e["leaf_hash"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        if let Some(b64) = e["entry_b64"].as_str() {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap();
            assert_eq!(merkle::leaf_hash(&bytes), leaf);
        }
        let proof: Value = serde_json::from_str(
            &bravo_get(
                &alpha,
                &bravo_key,
                "/log/proof/inclusion",
                &format!("index={index}&size={}", checkpoint.size()),
            )
            .await,
        )
        .unwrap();
        let hashes: Vec<Hash> = proof["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                hex::decode(h.as_str().unwrap())
                    .unwrap()
                    .try_into()
                    .unwrap()
            })
            .collect();
        merkle::verify_inclusion(&leaf, index, checkpoint.size(), &hashes, checkpoint.root())
            .unwrap_or_else(|err| panic!("entry {index} does not verify: {err}"));
    }
    alpha.stop().await;
}

fn alpha_log(alpha: &FedNode) -> pacific_node::log::LogState {
    pacific_node::log::LogState::new("Alpha CERT", alpha.dir.load_identity().unwrap()).unwrap()
}

/// Regression: an analyst could post, over TAXII, a cooperation act that the liaison's
/// `/coop/…/send` would refuse it, and the node replayed it as the party's own; TAXII DELETE
/// removed acts. Acts are now made only by the cooperation service.
#[tokio::test]
async fn an_analyst_cannot_act_for_the_party_through_taxii() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alpha, _bravo) = alpha_serving_bravo(tmp.path()).await;
    let analyst = alpha.user("ana", Role::Analyst).await;
    let http = pacific_node::http_client();
    let spec = crate::coop_api::preservation_spec();
    let r = http
        .post(format!("{}/coop/requests", alpha.url()))
        .bearer_auth(&analyst)
        .json(&spec)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let draft: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{draft}");
    let request = draft["record"]["id"].as_str().unwrap().to_owned();

    // The draft's act, as the analyst can read it over TAXII.
    let objects_url = format!(
        "{}/taxii2/root/collections/{}/objects/",
        alpha.url(),
        alpha.collection
    );
    let page: Value = http
        .get(format!("{objects_url}?match[type]=x-pacific-coop-event"))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let act = page["objects"][0].clone();
    assert_eq!(act["type"], "x-pacific-coop-event", "{page}");

    // Posted again under a new id (or forged further): refused, nothing stored.
    let mut forged = act.clone();
    let forged_id = format!("x-pacific-coop-event--{}", uuid());
    forged["id"] = json!(forged_id);
    let r = http
        .post(&objects_url)
        .bearer_auth(&analyst)
        .header("content-type", "application/taxii+json;version=2.1")
        .body(json!({ "objects": [forged] }).to_string())
        .send()
        .await
        .unwrap();
    let status: Value = r.json().await.unwrap();
    assert_eq!(status["failure_count"], 1, "{status}");
    assert_eq!(status["success_count"], 0, "{status}");
    assert!(
        status["failures"][0]["message"]
            .as_str()
            .unwrap()
            .contains("made only by the node's services"),
        "{status}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!alpha.has(&forged_id).await, "the forged act was stored");

    // Nor can the act be deleted.
    let r = http
        .delete(format!("{objects_url}{}/", act["id"].as_str().unwrap()))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    let code = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        (code.as_u16(), body["error_code"].as_str()),
        (403, Some("service-owned-type")),
        "{body}"
    );
    assert!(alpha.has(act["id"].as_str().unwrap()).await);

    // The request is still a draft.
    let shown: Value = http
        .get(format!("{}/coop/requests/{request}", alpha.url()))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["record"]["state"], "draft", "{shown}");
    alpha.stop().await;
}
