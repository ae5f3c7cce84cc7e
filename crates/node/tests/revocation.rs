//! Revocation (issue 11): a token revoked, re-issued or expired, a user removed or a role
//! changed counts from the very next request, on every API and in dashboard sessions, even when
//! the change is made by another process on the data directory (`pacific user …`), here a
//! second store handle on the running node's database. Also the admin API, and the log entries
//! of TAXII DELETE.

use std::time::Duration;

use pacific_core::Timestamp;
use pacific_core::access::Role;
use pacific_node::users::Users;
use pacific_store::{LOCAL_ACTOR, User};
use pacific_testkit::test_node::{TAXII, TestNode, indicator, uuid};
use pacific_tlog::entry::{Act, Entry, sha256};
use serde_json::{Value, json};

/// One route of each API that takes a user's token: TAXII, `/coop`, `/match`, `/log`.
const API_ROUTES: [&str; 4] = ["/taxii2/", "/coop/requests", "/match/stats", "/log/key"];

/// A client that does not follow redirects (a dashboard page without a session is a 303).
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The node's users as `pacific user …` reaches them: through its own handle on the database.
async fn other_process(node: &TestNode) -> Users {
    Users::new(node.data_dir().open_store().await.unwrap())
}

/// The status of each of [`API_ROUTES`] for `token`.
async fn api_answers(node: &TestNode, token: &str) -> Vec<u16> {
    let mut out = Vec::new();
    for path in API_ROUTES {
        out.push(node.get(path, token).await.status().as_u16());
    }
    out
}

/// Signs in to the dashboard with `token`; returns the session cookie.
async fn sign_in(node: &TestNode, token: &str) -> String {
    let r = client()
        .post(node.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

/// The dashboard's overview with the session `cookie`: (status, body).
async fn overview(node: &TestNode, cookie: &str) -> (u16, String) {
    let r = client()
        .get(node.url("/"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    if status == 303 {
        assert_eq!(r.headers()["location"], "/login");
    }
    (status, r.text().await.unwrap())
}

/// The log entries appended since the log had `before` entries.
async fn appended_since(node: &TestNode, before: u64) -> Vec<Entry> {
    let size = node.store.log_size().await.unwrap();
    node.store
        .log_entries(before, size)
        .await
        .unwrap()
        .iter()
        .map(|e| Entry::decode(&e.entry).unwrap())
        .collect()
}

#[tokio::test]
async fn a_token_revoked_by_another_process_is_refused_at_once_on_every_route_and_session() {
    let node = TestNode::start().await;
    // Used once, so that argon2's verdict is cached, and signed in to the dashboard.
    assert_eq!(api_answers(&node, &node.analyst).await, [200; 4]);
    let session = sign_in(&node, &node.analyst).await;
    assert_eq!(overview(&node, &session).await.0, 200);

    let revoked = other_process(&node)
        .await
        .revoke(LOCAL_ACTOR, "analyst", false, None)
        .await
        .unwrap();
    assert!(revoked.was_valid);

    // The very next request, well within the 5-minute cache.
    assert_eq!(api_answers(&node, &node.analyst).await, [401; 4]);
    assert_eq!(overview(&node, &session).await.0, 303);
    // The session is over, not merely refused once.
    assert_eq!(overview(&node, &session).await.0, 303);
    // Signing in again with the revoked token fails.
    let r = client()
        .post(node.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={}", node.analyst))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the form again, no session");
    assert!(r.headers().get("set-cookie").is_none());
    // Nobody else is touched.
    assert_eq!(api_answers(&node, &node.reader).await, [200; 4]);
}

#[tokio::test]
async fn a_reissued_token_replaces_the_old_one_at_once() {
    let node = TestNode::start().await;
    assert_eq!(api_answers(&node, &node.analyst).await, [200; 4]);
    let session = sign_in(&node, &node.analyst).await;
    let done = other_process(&node)
        .await
        .revoke(LOCAL_ACTOR, "analyst", true, None)
        .await
        .unwrap();
    let fresh = done.issued.unwrap().token;
    assert_ne!(fresh, node.analyst);
    assert_eq!(api_answers(&node, &node.analyst).await, [401; 4]);
    assert_eq!(overview(&node, &session).await.0, 303);
    assert_eq!(api_answers(&node, &fresh).await, [200; 4]);
    let session = sign_in(&node, &fresh).await;
    assert_eq!(overview(&node, &session).await.0, 200);
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let node = TestNode::start().await;
    let users = other_process(&node).await;
    // Expired before its first use: refused without argon2's verdict being cached.
    let (token, made) = pacific_node::auth::new_token(Some(Timestamp::from_unix_micros(
        Timestamp::now().unix_micros() - 1_000_000,
    )))
    .unwrap();
    node.store
        .add_user(&pacific_node::auth::new_user("late", Role::Analyst, made))
        .await
        .unwrap();
    assert_eq!(api_answers(&node, &token).await, [401; 4]);

    // Expiring while in use: cached and signed in, then refused once the time has come.
    let expires = Timestamp::from_unix_micros(Timestamp::now().unix_micros() + 2_000_000);
    let issued = users
        .add(LOCAL_ACTOR, "brief", Role::Analyst, Some(expires.clone()))
        .await
        .unwrap();
    assert_eq!(api_answers(&node, &issued.token).await, [200; 4]);
    let session = sign_in(&node, &issued.token).await;
    assert_eq!(overview(&node, &session).await.0, 200);
    let wait = expires.unix_micros() - Timestamp::now().unix_micros();
    tokio::time::sleep(Duration::from_micros(wait.max(0) as u64 + 100_000)).await;
    assert_eq!(api_answers(&node, &issued.token).await, [401; 4]);
    assert_eq!(overview(&node, &session).await.0, 303);
}

#[tokio::test]
async fn a_role_change_applies_at_the_next_request() {
    let node = TestNode::start().await;
    let users = other_process(&node).await;
    // A reader may not read the metrics (admins only), nor match.
    assert_eq!(node.get("/metrics", &node.reader).await.status(), 403);
    let session = sign_in(&node, &node.reader).await;
    assert!(
        overview(&node, &session)
            .await
            .1
            .contains("reader (reader)")
    );

    assert!(
        users
            .set_role(LOCAL_ACTOR, "reader", Role::Admin)
            .await
            .unwrap()
    );
    assert_eq!(node.get("/metrics", &node.reader).await.status(), 200);
    assert!(overview(&node, &session).await.1.contains("reader (admin)"));

    assert!(
        users
            .set_role(LOCAL_ACTOR, "reader", Role::Reader)
            .await
            .unwrap()
    );
    assert_eq!(node.get("/metrics", &node.reader).await.status(), 403);
    assert!(
        overview(&node, &session)
            .await
            .1
            .contains("reader (reader)")
    );
}

#[tokio::test]
async fn removing_a_user_ends_their_sessions_and_refuses_their_token() {
    let node = TestNode::start().await;
    assert_eq!(api_answers(&node, &node.analyst).await, [200; 4]);
    let sessions = [
        sign_in(&node, &node.analyst).await,
        sign_in(&node, &node.analyst).await,
    ];
    let admin_session = sign_in(&node, &node.admin).await;
    other_process(&node)
        .await
        .remove(LOCAL_ACTOR, "analyst")
        .await
        .unwrap();
    for s in &sessions {
        assert_eq!(overview(&node, s).await.0, 303);
    }
    assert_eq!(api_answers(&node, &node.analyst).await, [401; 4]);
    assert_eq!(overview(&node, &admin_session).await.0, 200);
}

/// Regression: TAXII DELETE deleted without a log entry ("every change is logged" did not
/// hold). Now each deleted version has its `object-deleted` entry, by the deleting user.
#[tokio::test]
async fn taxii_delete_logs_one_object_deleted_entry_per_version() {
    let node = TestNode::start().await;
    let id = format!("indicator--{}", uuid());
    let versions = [
        indicator(&id, "2026-01-01T00:00:00.000Z"),
        indicator(&id, "2026-02-01T00:00:00.000Z"),
    ];
    node.post_objects(&node.analyst, &versions).await;
    let before = node.store.log_size().await.unwrap();
    let r = node
        .http
        .delete(format!("{}{id}/?match[version]=all", node.objects_url()))
        .bearer_auth(&node.analyst)
        .header("accept", TAXII)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let expected: Vec<(String, Act)> = versions
        .iter()
        .map(|v| {
            let stored = pacific_core::StixObject::from_value(v.clone()).unwrap();
            (
                "analyst".to_owned(),
                Act::ObjectDeleted {
                    object: pacific_tlog::entry::ObjectRef {
                        id: id.clone(),
                        version: v["modified"].as_str().unwrap().to_owned(),
                        sha256: sha256(stored.to_json().as_bytes()),
                    },
                    collection: node.collection.clone(),
                },
            )
        })
        .collect();
    let appended: Vec<(String, Act)> = appended_since(&node, before)
        .await
        .into_iter()
        .map(|e| (e.actor, e.act))
        .collect();
    assert_eq!(appended, expected);
}

/// A JSON request to the admin API as `token`: (status, body).
async fn admin(
    node: &TestNode,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = node.http.request(method, node.url(path)).bearer_auth(token);
    if let Some(b) = body {
        r = r
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_admin_api_manages_users_and_keeps_the_last_admin() {
    use reqwest::Method;
    let node = TestNode::start().await;
    let a = &node.admin;

    let (status, list) = admin(&node, a, Method::GET, "/admin/users", None).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = list["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "analyst", "reader"]);
    assert!(
        !list.to_string().contains("argon2"),
        "no token hash: {list}"
    );
    assert!(!list.to_string().contains("token_hash"), "{list}");

    // Add, with an expiry; the token is answered once and works.
    let before = node.store.log_size().await.unwrap();
    let (status, added) = admin(
        &node,
        a,
        Method::POST,
        "/admin/users",
        Some(json!({"name": "zoe", "role": "analyst", "expires": "90d"})),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    let token = added["token"].as_str().unwrap().to_owned();
    assert!(added["user"]["expires"].is_string(), "{added}");
    assert_eq!(api_answers(&node, &token).await, [200; 4]);

    // Revoke and re-issue; role; remove.
    let (status, revoked) = admin(
        &node,
        a,
        Method::POST,
        "/admin/users/zoe/revoke",
        Some(json!({"reissue": true})),
    )
    .await;
    assert_eq!(status, 200, "{revoked}");
    let fresh = revoked["token"].as_str().unwrap().to_owned();
    assert_eq!(api_answers(&node, &token).await, [401; 4]);
    assert_eq!(api_answers(&node, &fresh).await, [200; 4]);
    let (status, changed) = admin(
        &node,
        a,
        Method::POST,
        "/admin/users/zoe/role",
        Some(json!({"role": "reader"})),
    )
    .await;
    assert_eq!((status, &changed["changed"]), (200, &json!(true)));
    assert_eq!(node.get("/match/stats", &fresh).await.status(), 200);
    let (status, _) = admin(&node, a, Method::DELETE, "/admin/users/zoe", None).await;
    assert_eq!(status, 200);
    assert_eq!(api_answers(&node, &fresh).await, [401; 4]);
    let kinds: Vec<(String, &str)> = appended_since(&node, before)
        .await
        .iter()
        .map(|e| (e.actor.clone(), e.act.kind()))
        .collect();
    let by_admin = |k: &'static str| ("admin".to_owned(), k);
    assert_eq!(
        kinds,
        [
            by_admin("user-added"),
            by_admin("token-revoked"),
            by_admin("token-issued"),
            by_admin("user-role-changed"),
            by_admin("user-removed"),
        ]
    );

    // Refusals, each changing and logging nothing.
    let before = node.store.log_size().await.unwrap();
    for (method, path, body, expected) in [
        (
            Method::DELETE,
            "/admin/users/admin",
            None,
            (409, "last-admin"),
        ),
        (
            Method::POST,
            "/admin/users/admin/role",
            Some(json!({"role": "reader"})),
            (409, "last-admin"),
        ),
        (Method::DELETE, "/admin/users/zoe", None, (404, "not-found")),
        (
            Method::POST,
            "/admin/users/zoe/revoke",
            Some(json!({})),
            (404, "not-found"),
        ),
        (
            Method::POST,
            "/admin/users/analyst/role",
            Some(json!({"role": "overlord"})),
            (422, "unprocessable"),
        ),
        (
            Method::POST,
            "/admin/users",
            Some(json!({"name": "analyst", "role": "reader"})),
            (409, "already-exists"),
        ),
        (
            Method::POST,
            "/admin/users",
            Some(json!({"name": "bad name", "role": "reader"})),
            (422, "unprocessable"),
        ),
        (
            Method::POST,
            "/admin/users",
            Some(json!({"name": "yann", "role": "reader", "expires": "yesterday"})),
            (422, "unprocessable"),
        ),
        (
            Method::POST,
            "/admin/users/analyst/revoke",
            Some(json!({"expires": "90d"})),
            (422, "unprocessable"),
        ),
    ] {
        let (status, answer) = admin(&node, a, method.clone(), path, body).await;
        assert_eq!(
            (status, answer["error_code"].as_str().unwrap_or_default()),
            expected,
            "{method} {path}: {answer}"
        );
    }
    assert_eq!(node.store.log_size().await.unwrap(), before);
    let admin_user: User = node.store.user("admin").await.unwrap().unwrap();
    assert_eq!(admin_user.role, Role::Admin);
    assert_eq!(api_answers(&node, &node.analyst).await, [200; 4]);
}

/// A delegate (the role that acts for the party in governance) is added through the admin API
/// like any role; it reads every API a reader reads, writes nothing, and cannot be granted
/// write on a collection.
#[tokio::test]
async fn the_admin_api_adds_a_delegate_who_reads_and_never_writes() {
    use reqwest::Method;
    let node = TestNode::start().await;
    let a = &node.admin;
    let (status, added) = admin(
        &node,
        a,
        Method::POST,
        "/admin/users",
        Some(json!({"name": "dee", "role": "delegate"})),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["user"]["role"], "delegate", "{added}");
    let dee = added["token"].as_str().unwrap().to_owned();
    let (_, list) = admin(&node, a, Method::GET, "/admin/users", None).await;
    assert!(
        list["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["name"] == "dee" && u["role"] == "delegate"),
        "{list}"
    );

    assert_eq!(api_answers(&node, &dee).await, [200; 4]);
    let objects = format!("/taxii2/root/collections/{}/objects/", node.collection);
    for path in ["/match", "/coop/requests", objects.as_str()] {
        let (status, answer) = admin(&node, &dee, Method::POST, path, Some(json!({}))).await;
        assert_eq!(
            (status, answer["error_code"].as_str().unwrap_or_default()),
            (403, "auth-forbidden"),
            "POST {path}: {answer}"
        );
    }
    let (status, _) = admin(&node, &dee, Method::GET, "/admin/users", None).await;
    assert_eq!(status, 403);

    let users = other_process(&node).await;
    assert!(matches!(
        users
            .set_grant(LOCAL_ACTOR, "dee", &node.collection, true, true)
            .await,
        Err(pacific_node::users::UserError::Invalid(_))
    ));
    users
        .set_grant(LOCAL_ACTOR, "dee", &node.collection, true, false)
        .await
        .unwrap();
}
