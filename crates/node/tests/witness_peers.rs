//! Two nodes on 127.0.0.1 witness each other's logs; a node that shows a second history (a
//! forged checkpoint of the same size) is caught in one round, with both signed checkpoints
//! kept as evidence. A larger checkpoint whose proof does not connect is a failed witnessing:
//! refused and not cosigned, but no evidence (the proof may merely be wrong).

use std::time::Duration;

use pacific_core::party::StakeholderType::State;
use pacific_core::tlp::Tlp;
use pacific_node::log::LogState;
use pacific_node::witness::{PeerRound, Witnessed, witness_round};
use pacific_testkit::federation::*;
use pacific_tlog::checkpoint::{Checkpoint, sign_checkpoint};
use pacific_tlog::merkle::consistency_proof_len;
use pacific_tlog::signed_note::Ed25519Signer;
use serde_json::json;

/// Serves `note` as `/log/checkpoint` (and `proof` as any consistency proof) on `addr`.
async fn impostor(
    addr: std::net::SocketAddr,
    note: String,
    proof: serde_json::Value,
) -> tokio::task::JoinHandle<()> {
    use axum::routing::get;
    let app = axum::Router::new()
        .route("/log/checkpoint", get(move || async move { note }))
        .route(
            "/log/proof/consistency",
            get(move || async move { axum::Json(proof) }),
        );
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    })
}

/// Bravo's part of a round.
fn bravo_in(round: &[PeerRound]) -> &PeerRound {
    round.iter().find(|r| r.peer == "bravo").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn peers_witness_each_other_and_a_split_view_is_caught_in_one_round() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alpha, mut bravo) = alpha_and_bravo(tmp.path()).await;
    alpha.add_peer(&bravo, State, Some("XB")).await;
    bravo.add_peer(&alpha, State, Some("XA")).await;
    alpha.start().await;
    bravo.start().await;
    let bravo_key = bravo.dir.load_identity().unwrap();
    let alpha_log = LogState::new("Alpha CERT", alpha.dir.load_identity().unwrap()).unwrap();
    let origin = pacific_node::log::log_origin("Bravo Police", &bravo_key.verifying_key());

    // Normal witnessing: Alpha follows Bravo's log as it grows.
    for round in 0..2 {
        bravo
            .add(&[
                indicator(Some(Tlp::Red), json!({})),
                indicator(Some(Tlp::Red), json!({})),
            ])
            .await;
        let size = bravo.store().log_size().await.unwrap();
        let ok = eventually(Duration::from_secs(20), || async {
            alpha
                .store()
                .witnessed_checkpoint(&origin)
                .await
                .unwrap()
                .is_some_and(|c| c.size >= size)
        })
        .await;
        assert!(
            ok.is_some(),
            "round {round}: alpha did not witness bravo's log at size {size}"
        );
    }
    assert!(
        alpha
            .store()
            .split_view_evidence(&origin)
            .await
            .unwrap()
            .is_empty()
    );

    // Bravo goes away; an impostor with Bravo's key shows a second root for the size seen.
    bravo.stop().await;
    let seen = alpha
        .store()
        .witnessed_checkpoint(&origin)
        .await
        .unwrap()
        .unwrap();
    let signer = Ed25519Signer::new(origin.clone(), bravo_key.clone()).unwrap();
    let forged = sign_checkpoint(
        &Checkpoint::new(origin.clone(), seen.size, [7; 32]).unwrap(),
        &signer,
    )
    .unwrap()
    .to_string();
    assert_ne!(forged, seen.note);
    let server = impostor(bravo.addr, forged.clone(), json!({})).await;
    let http = pacific_node::witness::http_client().unwrap();
    let round = witness_round(alpha.fed(), &alpha_log, &http).await;
    let result = &bravo_in(&round).witnessed;
    assert!(
        matches!(result, Ok(Witnessed::SplitView { .. })),
        "{result:?}"
    );
    assert!(
        bravo_in(&round).cosigned.is_none(),
        "a split view is not cosigned"
    );
    let round = witness_round(alpha.fed(), &alpha_log, &http).await;
    assert!(matches!(
        bravo_in(&round).witnessed,
        Ok(Witnessed::SplitView { .. })
    ));
    let evidence = alpha.store().split_view_evidence(&origin).await.unwrap();
    assert_eq!(evidence.len(), 1, "kept once, however many rounds see it");
    assert_eq!(evidence[0].kept_note, seen.note);
    assert_eq!(evidence[0].new_note, forged);
    // The witnessed history is not replaced by the forgery.
    assert_eq!(
        alpha
            .store()
            .witnessed_checkpoint(&origin)
            .await
            .unwrap()
            .unwrap()
            .note,
        seen.note
    );
    server.abort();
    let _ = server.await;

    // A larger checkpoint whose consistency proof does not connect it to the one seen: a failed
    // witnessing (not cosigned, not recorded), but no evidence: the unsigned proof may be wrong.
    let new_size = seen.size + 3;
    let fork = sign_checkpoint(
        &Checkpoint::new(origin.clone(), new_size, [9; 32]).unwrap(),
        &signer,
    )
    .unwrap()
    .to_string();
    let hashes: Vec<String> = (0..consistency_proof_len(seen.size, new_size).unwrap())
        .map(|i| hex::encode([i as u8; 32]))
        .collect();
    let proof = json!({"old": seen.size, "new": new_size, "old_root": "", "new_root": "", "hashes": hashes});
    let server = impostor(bravo.addr, fork.clone(), proof).await;
    // A fresh client: one kept-alive connection to the previous impostor may be closing.
    let http = pacific_node::witness::http_client().unwrap();
    let round = witness_round(alpha.fed(), &alpha_log, &http).await;
    let result = &bravo_in(&round).witnessed;
    assert!(
        result.as_ref().is_err_and(|e| e
            .to_string()
            .contains("does not lead from the checkpoint of size")),
        "{result:?}"
    );
    assert!(bravo_in(&round).cosigned.is_none(), "not cosigned");
    let evidence = alpha.store().split_view_evidence(&origin).await.unwrap();
    assert_eq!(evidence.len(), 1, "no new evidence: {evidence:?}");
    assert!(evidence.iter().all(|e| e.new_note != fork), "{evidence:?}");
    assert_eq!(
        alpha
            .store()
            .witnessed_checkpoint(&origin)
            .await
            .unwrap()
            .unwrap()
            .note,
        seen.note,
        "not advanced to the unproven checkpoint"
    );

    // A checkpoint signed by another key is refused, not recorded.
    server.abort();
    let _ = server.await;
    let other = Ed25519Signer::new(
        origin.clone(),
        ed25519_dalek::SigningKey::from_bytes(&[5; 32]),
    )
    .unwrap();
    let bad = sign_checkpoint(
        &Checkpoint::new(origin.clone(), seen.size + 10, [1; 32]).unwrap(),
        &other,
    )
    .unwrap()
    .to_string();
    let server = impostor(bravo.addr, bad, json!({})).await;
    // A fresh client: one kept-alive connection to the previous impostor may be closing.
    let http = pacific_node::witness::http_client().unwrap();
    let round = witness_round(alpha.fed(), &alpha_log, &http).await;
    let result = &bravo_in(&round).witnessed;
    assert!(
        result
            .as_ref()
            .is_err_and(|e| e.to_string().contains("does not verify")),
        "{result:?}"
    );
    assert_eq!(
        alpha
            .store()
            .witnessed_checkpoint(&origin)
            .await
            .unwrap()
            .unwrap()
            .note,
        seen.note
    );
    server.abort();

    // Asked to cosign a checkpoint of Bravo's log with another key: refused, the registered
    // key decides.
    let bad = sign_checkpoint(
        &Checkpoint::new(origin.clone(), seen.size + 10, [1; 32]).unwrap(),
        &other,
    )
    .unwrap()
    .to_string();
    let body = json!({"checkpoint": bad, "vkey": other.verifier().to_vkey()}).to_string();
    let auth = pacific_node::federation::peer_auth::authorization(
        &bravo_key,
        "bravo",
        "alpha",
        "POST",
        "/log/cosign",
        "",
        pacific_core::Timestamp::now().unix().0,
    );
    let r = pacific_node::http_client()
        .post(format!("{}/log/cosign", alpha.url()))
        .header("Authorization", auth)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("registered for peer bravo"), "{text}");
    alpha.stop().await;
}
