//! A peer's signed TAXII GET replayed within the clock-skew window is refused, at once and
//! later; a fresh request (a new nonce, even for the same target in the same second) works.

use pacific_core::Timestamp;
use pacific_core::party::StakeholderType::State;
use pacific_node::federation::peer_auth::authorization;
use pacific_testkit::federation::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_signed_get_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alpha, bravo) = alpha_and_bravo(tmp.path()).await;
    alpha.add_peer(&bravo, State, Some("XB")).await;
    alpha.start().await;
    let key = bravo.dir.load_identity().unwrap();
    pacific_node::install_crypto_provider();
    let http = pacific_node::http_client();
    let get = |path: &str, auth: &str| {
        http.get(format!("{}{path}", alpha.url()))
            .header("Authorization", auth.to_owned())
            .send()
    };

    let now = Timestamp::now().unix().0;
    let path = "/taxii2/root/collections/default/objects/";
    let signed = authorization(&key, "bravo", "alpha", "GET", path, "", now);
    // The node may still be binding: wait for the first answer.
    let first = eventually(std::time::Duration::from_secs(5), || async {
        get("/healthz", "").await.is_ok()
    })
    .await;
    assert!(first.is_some());
    assert_eq!(get(path, &signed).await.unwrap().status(), 200);
    // The very same header again, at once and later, well inside the 5-minute window.
    assert_eq!(get(path, &signed).await.unwrap().status(), 401);
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_eq!(get(path, &signed).await.unwrap().status(), 401);
    // Fresh requests: the same target and time with a new nonce; another time; another target.
    assert_eq!(
        get(
            path,
            &authorization(&key, "bravo", "alpha", "GET", path, "", now)
        )
        .await
        .unwrap()
        .status(),
        200
    );
    assert_eq!(
        get(
            path,
            &authorization(&key, "bravo", "alpha", "GET", path, "", now - 1)
        )
        .await
        .unwrap()
        .status(),
        200
    );
    assert_eq!(
        get(
            "/taxii2/",
            &authorization(&key, "bravo", "alpha", "GET", "/taxii2/", "", now)
        )
        .await
        .unwrap()
        .status(),
        200
    );
    // Counted for /metrics.
    let counted = alpha.fed().render_metrics();
    assert!(
        counted.contains("kind=\"rejected\",peer=\"bravo\",reason=\"request-replayed\"} 2"),
        "{counted}"
    );
    alpha.stop().await;
}
