//! Witnesses cosign (C2SP `tlog-cosignature`): two federated nodes on 127.0.0.1 witness each
//! other's logs. After one witness round each log's `/log/checkpoint` carries the other node's
//! cosignature line, which verifies with that witness's cosignature key over that very
//! checkpoint. A cosignature handed in (`POST /log/cosignatures`) by an unregistered party,
//! under a key the witness's identity key did not bind, for a checkpoint the log never signed,
//! or with a bad signature is refused with its status and nothing is kept; a checkpoint signed
//! with the log's key but with another root is a conflict whose evidence is kept.
//!
//! A cosignature that attests new entries is logged on both sides, once: `cosignature-received`
//! in the log it cosigns, `cosignature-sent` in the witness's; cosigning the cosignature entries
//! themselves logs nothing, so two nodes witnessing each other come to rest.

use std::time::Duration;

use ed25519_dalek::SigningKey;
use pacific_core::party::StakeholderType::State;
use pacific_node::log::{LogState, log_origin, publish_checkpoint};
use pacific_node::wire::CosignaturePush;
use pacific_node::witness::{Witnessed, witness_round};
use pacific_testkit::federation::*;
use pacific_tlog::checkpoint::{Checkpoint, open_checkpoint, sign_checkpoint};
use pacific_tlog::cosignature::Cosigner;
use pacific_tlog::entry::{Act, Entry};
use pacific_tlog::signed_note::{Ed25519Signer, Note, NoteSignature, NoteVerifier};
use serde_json::{Value, json};

struct Pair {
    _tmp: tempfile::TempDir,
    alpha: FedNode,
    bravo: FedNode,
    alpha_key: SigningKey,
    bravo_key: SigningKey,
    alpha_log: LogState,
    bravo_log: LogState,
}

/// Alpha and Bravo, each other's peers, both running.
async fn pair() -> Pair {
    let tmp = tempfile::tempdir().unwrap();
    let spec = |id, name, j| Spec {
        id,
        name,
        kind: State,
        jurisdiction: Some(j),
        policy: OPEN_POLICY,
    };
    let mut alpha = FedNode::create(tmp.path(), &spec("alpha", "Alpha CERT", "XA")).await;
    let mut bravo = FedNode::create(tmp.path(), &spec("bravo", "Bravo Police", "XB")).await;
    alpha.add_peer(&bravo, State, Some("XB")).await;
    bravo.add_peer(&alpha, State, Some("XA")).await;
    alpha.start().await;
    bravo.start().await;
    let alpha_key = alpha.dir.load_identity().unwrap();
    let bravo_key = bravo.dir.load_identity().unwrap();
    Pair {
        alpha_log: LogState::new("Alpha CERT", alpha_key.clone()).unwrap(),
        bravo_log: LogState::new("Bravo Police", bravo_key.clone()).unwrap(),
        alpha_key,
        bravo_key,
        alpha,
        bravo,
        _tmp: tmp,
    }
}

/// Waits (at most 30 s) until witnessing no longer grows either log: each node's log is
/// covered by its latest checkpoint and by the other node's kept cosignature of exactly that
/// size, twice in a row with the same sizes. From then on, only new acts grow a log.
async fn settle(p: &Pair) {
    async fn at_rest(n: &FedNode, witness: &str) -> Option<u64> {
        let size = n.store().log_size().await.unwrap();
        let published = n.store().latest_checkpoint().await.unwrap();
        let cosigned = n.store().cosignatures().await.unwrap();
        (published.is_some_and(|c| c.size == size)
            && cosigned
                .iter()
                .any(|c| c.witness == witness && c.size == size))
        .then_some(size)
    }
    let both = || async {
        Some((
            at_rest(&p.alpha, &p.bravo.id).await?,
            at_rest(&p.bravo, &p.alpha.id).await?,
        ))
    };
    let rested = eventually(Duration::from_secs(30), || async {
        match both().await {
            Some(sizes) => both().await == Some(sizes),
            None => false,
        }
    })
    .await;
    assert!(
        rested.is_some(),
        "witnessing did not come to rest: alpha {:?}, bravo {:?}",
        p.alpha.store().cosignatures().await.unwrap(),
        p.bravo.store().cosignatures().await.unwrap()
    );
}

/// A node's log entries, decoded, with their indices.
async fn entries(n: &FedNode) -> Vec<(u64, Entry)> {
    let size = n.store().log_size().await.unwrap();
    n.store()
        .log_entries(0, size)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.index, Entry::decode(&e.entry).unwrap()))
        .collect()
}

/// The `cosignature-received` entries of `n`'s log by `witness`: (index, size, root, key ID).
async fn received_from(n: &FedNode, witness: &str) -> Vec<(u64, u64, [u8; 32], [u8; 4])> {
    entries(n)
        .await
        .into_iter()
        .filter_map(|(i, e)| match e.act {
            Act::CosignatureReceived {
                peer,
                tree_size,
                root_hash,
                key_id,
            } if peer == witness => {
                assert_eq!(e.actor, format!("peer:{witness}"));
                Some((i, tree_size, root_hash, key_id))
            }
            _ => None,
        })
        .collect()
}

/// The `cosignature-sent` entries of `n`'s log to `peer`: (size, root).
async fn sent_to(n: &FedNode, peer: &str) -> Vec<(u64, [u8; 32])> {
    entries(n)
        .await
        .into_iter()
        .filter_map(|(_, e)| match e.act {
            Act::CosignatureSent {
                peer: p,
                tree_size,
                root_hash,
            } if p == peer => {
                assert_eq!(e.actor, "local");
                Some((tree_size, root_hash))
            }
            _ => None,
        })
        .collect()
}

fn now() -> u64 {
    pacific_core::Timestamp::now().unix().0 as u64
}

/// A signed `Pacific-Peer` request from `sender` (with `key`) to `to`.
fn peer_request(
    key: &SigningKey,
    sender: &str,
    to: &FedNode,
    method: &str,
    path: &str,
) -> reqwest::RequestBuilder {
    let auth = pacific_node::federation::peer_auth::authorization(
        key,
        sender,
        &to.id,
        method,
        path,
        "",
        pacific_core::Timestamp::now().unix().0,
    );
    let url = format!("{}{path}", to.url());
    let http = pacific_node::http_client();
    let r = if method == "GET" {
        http.get(url)
    } else {
        http.post(url)
    };
    r.header("Authorization", auth)
}

/// `path` of `to`, read as peer `sender`: (status, body).
async fn get(key: &SigningKey, sender: &str, to: &FedNode, path: &str) -> (u16, String) {
    let r = peer_request(key, sender, to, "GET", path)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Hands `push` to `to` as `sender` (authenticated with `key`): (status, JSON body).
async fn push(
    key: &SigningKey,
    sender: &str,
    to: &FedNode,
    push: &CosignaturePush,
) -> (u16, Value) {
    let r = peer_request(key, sender, to, "POST", "/log/cosignatures")
        .json(push)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A push of `cosigner`'s cosignature of `note` (whose body is `cp`) at `timestamp`, with the
/// statement binding the cosigner key to `party` signed by `statement_key`.
fn cosignature(
    cosigner: &Cosigner,
    statement_key: &SigningKey,
    party: &str,
    note: &str,
    cp: &Checkpoint,
    timestamp: u64,
) -> CosignaturePush {
    let sig = cosigner.cosign(cp, timestamp).unwrap();
    let vkey = cosigner.verifier().to_vkey();
    CosignaturePush {
        checkpoint: note.to_owned(),
        cosignature: sig.to_line(),
        statement: pacific_node::log::sign_cosigner_key(statement_key, party, &vkey),
        cosigner_vkey: vkey,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_a_witness_round_each_log_checkpoint_carries_the_other_nodes_cosignature() {
    let p = pair().await;
    // The nodes' own witness tasks run too: let the logs stop growing from their cosignatures
    // first, so the checkpoint published below stays the latest.
    settle(&p).await;
    let http = pacific_node::witness::http_client().unwrap();
    for (log_node, log, witness, witness_key, witness_log) in [
        (&p.bravo, &p.bravo_log, &p.alpha, &p.alpha_key, &p.alpha_log),
        (&p.alpha, &p.alpha_log, &p.bravo, &p.bravo_key, &p.bravo_log),
    ] {
        let published = publish_checkpoint(log_node.store().as_ref(), log)
            .await
            .unwrap();
        let round = witness_round(witness.fed(), witness_log, &http).await;
        let r = round.iter().find(|r| r.peer == log_node.id).unwrap();
        let size = match &r.witnessed {
            Ok(Witnessed::First { size, .. } | Witnessed::Unchanged { size, .. }) => *size,
            Ok(Witnessed::Advanced { new, .. }) => *new,
            other => panic!("{} did not accept the checkpoint: {other:?}", witness.id),
        };
        assert_eq!(size, published.size);
        assert!(
            matches!(r.cosigned, Some(Ok(()))),
            "{} did not hand in its cosignature: {:?}",
            witness.id,
            r.cosigned
        );

        // The log's latest checkpoint now carries the witness's cosignature, which verifies
        // with the witness's cosignature key over exactly the log's checkpoint.
        let (status, served) = get(witness_key, &witness.id, log_node, "/log/checkpoint").await;
        assert_eq!(status, 200, "{served}");
        let (cp, note) = open_checkpoint(&served, log.origin(), &log.verifier()).unwrap();
        assert_eq!(cp.size(), published.size);
        assert_eq!(note.text(), Note::parse(&published.note).unwrap().text());
        let wv = witness_log.cosignature_verifier();
        let verified = note.verify(&[&wv as &dyn NoteVerifier]).unwrap();
        assert_eq!(verified.len(), 1, "{served}");
        assert_eq!(verified[0].name, witness_log.origin());
        let t = verified[0].timestamp.unwrap();
        assert!(t <= now() && t + 60 > now(), "cosigned at {t}");
        // The same checkpoint under another witness key would not verify.
        let stranger = LogState::ephemeral("Stranger").cosignature_verifier();
        assert!(note.verify(&[&stranger as &dyn NoteVerifier]).is_err());

        // The newest cosigned checkpoint is that one, with the same cosignature.
        let (status, cosigned) = get(
            witness_key,
            &witness.id,
            log_node,
            "/log/checkpoint/cosigned",
        )
        .await;
        assert_eq!(status, 200, "{cosigned}");
        let (cp2, note2) = open_checkpoint(&cosigned, log.origin(), &log.verifier()).unwrap();
        assert_eq!(cp2, cp);
        assert_eq!(note2.verify(&[&wv as &dyn NoteVerifier]).unwrap().len(), 1);

        // Anyone holding the witness's registered identity key can check the line: the
        // witness serves its cosignature key bound to its party by that identity key.
        let reader_key = log_node.dir.load_identity().unwrap();
        let (status, body) = get(&reader_key, &log_node.id, witness, "/log/witness-key").await;
        assert_eq!(status, 200, "{body}");
        let served_key: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(served_key["party"], witness.id.as_str());
        assert_eq!(served_key["cosigner_vkey"], wv.to_vkey().as_str());
        let identity = witness_key.verifying_key();
        assert_eq!(
            served_key["identity_key"],
            hex::encode(identity.as_bytes()).as_str()
        );
        let statement = served_key["statement"].as_str().unwrap();
        assert!(pacific_node::log::verify_cosigner_key(
            &identity,
            &witness.id,
            &wv.to_vkey(),
            statement
        ));
        assert!(!pacific_node::log::verify_cosigner_key(
            &identity,
            &log_node.id,
            &wv.to_vkey(),
            statement
        ));

        // Kept: one row for the witness, of that checkpoint.
        let kept = log_node.store().cosignatures().await.unwrap();
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert_eq!(kept[0].witness, witness.id);
        assert_eq!(kept[0].size, published.size);
        assert_eq!(kept[0].cosigner_vkey, wv.to_vkey());
        assert!(
            served.contains(&kept[0].line),
            "the kept line is the one served"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_cosignatures_are_refused_and_nothing_is_kept() {
    let p = pair().await;
    // Bravo's log at rest, so the checkpoint below stays its latest and Alpha's kept one.
    settle(&p).await;
    let (bravo, alpha) = (&p.bravo, &p.alpha);
    let cp_stored = publish_checkpoint(bravo.store().as_ref(), &p.bravo_log)
        .await
        .unwrap();
    let note = cp_stored.note.clone();
    let (cp, _) = open_checkpoint(&note, p.bravo_log.origin(), &p.bravo_log.verifier()).unwrap();
    // Cosignature keys made up for this test, named like Alpha's log (a witness may bind any
    // key it likes to itself), so their lines are told apart from Alpha's own witness task's.
    let test_cosigner = |seed: u8| {
        Cosigner::new(p.alpha_log.origin(), SigningKey::from_bytes(&[seed; 32])).unwrap()
    };
    let is_kept = |vkey: String| async move {
        bravo
            .store()
            .cosignatures()
            .await
            .unwrap()
            .iter()
            .any(|c| c.cosigner_vkey == vkey)
    };
    let t = now();

    // An unregistered party (its own key, its own statement): not a peer, 401.
    let mallory = SigningKey::from_bytes(&[66; 32]);
    let m_cosigner = Cosigner::new(
        log_origin("Mallory", &mallory.verifying_key()),
        SigningKey::from_bytes(&[67; 32]),
    )
    .unwrap();
    let req = cosignature(&m_cosigner, &mallory, "mallory", &note, &cp, t);
    let (status, body) = push(&mallory, "mallory", bravo, &req).await;
    assert_eq!(status, 401, "{body}");
    assert!(!is_kept(m_cosigner.verifier().to_vkey()).await);

    // Alpha pushes, but the statement binding the key is signed by another key, or binds it
    // to another party: 403.
    let k = test_cosigner(11);
    let other = SigningKey::from_bytes(&[12; 32]);
    for (statement_key, party) in [(&other, "alpha"), (&p.alpha_key, "charlie")] {
        let req = cosignature(&k, statement_key, party, &note, &cp, t);
        let (status, body) = push(&p.alpha_key, "alpha", bravo, &req).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["error_code"], "auth-forbidden", "{body}");
    }
    assert!(!is_kept(k.verifier().to_vkey()).await);

    // Checkpoints Bravo never signed: one of Bravo's origin signed by another key, and one of
    // another log (Alpha's own): 400.
    let k = test_cosigner(13);
    let impostor =
        Ed25519Signer::new(p.bravo_log.origin(), SigningKey::from_bytes(&[14; 32])).unwrap();
    let forged = sign_checkpoint(&cp, &impostor).unwrap().to_string();
    let alpha_cp = publish_checkpoint(alpha.store().as_ref(), &p.alpha_log)
        .await
        .unwrap();
    let (alpha_body, _) = open_checkpoint(
        &alpha_cp.note,
        p.alpha_log.origin(),
        &p.alpha_log.verifier(),
    )
    .unwrap();
    for (n, c) in [(&forged, &cp), (&alpha_cp.note, &alpha_body)] {
        let req = cosignature(&k, &p.alpha_key, "alpha", n, c, t);
        let (status, body) = push(&p.alpha_key, "alpha", bravo, &req).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["description"]
                .as_str()
                .unwrap()
                .contains("not one this log signed"),
            "{body}"
        );
    }
    assert!(!is_kept(k.verifier().to_vkey()).await);

    // Bad signatures: a flipped byte, a cosignature of another checkpoint, a line by a key
    // other than the one bound, a line that does not parse: 400.
    let k = test_cosigner(15);
    let good = cosignature(&k, &p.alpha_key, "alpha", &note, &cp, t);
    let mut flipped = good.clone();
    let mut sig = NoteSignature::from_line(&good.cosignature).unwrap();
    sig.signature[20] ^= 1;
    flipped.cosignature = sig.to_line();
    let mut other_cp = good.clone();
    other_cp.cosignature = k
        .cosign(
            &Checkpoint::new(cp.origin(), cp.size() + 1, *cp.root()).unwrap(),
            t,
        )
        .unwrap()
        .to_line();
    let mut other_key = good.clone();
    other_key.cosignature = test_cosigner(16).cosign(&cp, t).unwrap().to_line();
    let mut garbage = good.clone();
    garbage.cosignature = "— not a signature\n".into();
    let mut ahead = good.clone();
    ahead.cosignature = k.cosign(&cp, t + 3600).unwrap().to_line();
    for (what, req) in [
        ("flipped", &flipped),
        ("other checkpoint", &other_cp),
        ("other key", &other_key),
        ("garbage", &garbage),
        ("an hour ahead", &ahead),
    ] {
        let (status, body) = push(&p.alpha_key, "alpha", bravo, req).await;
        assert_eq!(status, 400, "{what}: {body}");
        assert_eq!(body["error_code"], "bad-request", "{what}: {body}");
    }
    let (status, body) = push(
        &p.alpha_key,
        "alpha",
        bravo,
        &CosignaturePush {
            cosigner_vkey: "not a vkey".into(),
            ..good.clone()
        },
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(!is_kept(k.verifier().to_vkey()).await);

    // A checkpoint signed with Bravo's own key, for Bravo's size, with another root: a witness
    // was shown another history of Bravo's log. 409, the evidence is kept, the cosignature is
    // not.
    let k = test_cosigner(17);
    let other_root = Checkpoint::new(cp.origin(), cp.size(), [7; 32]).unwrap();
    let signer = Ed25519Signer::new(p.bravo_log.origin(), p.bravo_key.clone()).unwrap();
    let fork = sign_checkpoint(&other_root, &signer).unwrap().to_string();
    let req = cosignature(&k, &p.alpha_key, "alpha", &fork, &other_root, t);
    let (status, body) = push(&p.alpha_key, "alpha", bravo, &req).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error_code"], "log-conflict", "{body}");
    assert!(!is_kept(k.verifier().to_vkey()).await);
    let evidence = bravo
        .store()
        .split_view_evidence(p.bravo_log.origin())
        .await
        .unwrap();
    assert_eq!(evidence.len(), 1, "{evidence:?}");
    assert!(evidence[0].new_note.starts_with(&fork), "{evidence:?}");
    assert!(evidence[0].new_note.ends_with(&req.cosignature));
    assert_eq!(
        Note::parse(&evidence[0].kept_note).unwrap().text(),
        cp.to_body(),
        "beside the log's true checkpoint of that size"
    );
    // Handed in again: still one piece of evidence.
    let req = cosignature(&k, &p.alpha_key, "alpha", &fork, &other_root, t + 1);
    assert_eq!(push(&p.alpha_key, "alpha", bravo, &req).await.0, 409);
    assert_eq!(
        bravo
            .store()
            .split_view_evidence(p.bravo_log.origin())
            .await
            .unwrap()
            .len(),
        1
    );

    // And the same key, statement and checkpoint done right is kept and served (a minute
    // ahead, so Alpha's own witness task, cosigning with the current time, does not replace
    // it before we look).
    let k = test_cosigner(18);
    let req = cosignature(&k, &p.alpha_key, "alpha", &note, &cp, t + 60);
    let (status, body) = push(&p.alpha_key, "alpha", bravo, &req).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["kept"], true, "{body}");
    assert!(is_kept(k.verifier().to_vkey()).await);
    let (status, served) = get(&p.alpha_key, "alpha", bravo, "/log/checkpoint/cosigned").await;
    assert_eq!(status, 200, "{served}");
    let (_, served) =
        open_checkpoint(&served, p.bravo_log.origin(), &p.bravo_log.verifier()).unwrap();
    let kv = k.verifier();
    assert_eq!(
        served.verify(&[&kv as &dyn NoteVerifier]).unwrap()[0].timestamp,
        Some(t + 60)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cosignature_of_new_entries_is_logged_on_both_sides_once() {
    let p = pair().await;
    settle(&p).await;
    let (alpha, bravo) = (&p.alpha, &p.bravo);
    let before = received_from(bravo, "alpha").await;
    assert!(
        !before.is_empty(),
        "the first cosignatures attest the peers' entries"
    );

    // Bravo's log grows by an object (and whatever the outbox logs of it); Alpha witnesses it.
    bravo
        .add(&[indicator(Some(pacific_core::tlp::Tlp::Red), json!({}))])
        .await;
    let covered = bravo.store().log_size().await.unwrap();
    let published = publish_checkpoint(bravo.store().as_ref(), &p.bravo_log)
        .await
        .unwrap();
    assert!(published.size >= covered);
    let http = pacific_node::witness::http_client().unwrap();
    let round = witness_round(alpha.fed(), &p.alpha_log, &http).await;
    let r = round.iter().find(|r| r.peer == bravo.id).unwrap();
    assert!(matches!(r.cosigned, Some(Ok(()))), "{:?}", r.cosigned);

    // Bravo's log names the witness and the size it cosigned, with Bravo's root at that size
    // and Alpha's cosignature key; Alpha's log names Bravo, the size and the root.
    let new_in = |list: Vec<(u64, u64, [u8; 32], [u8; 4])>| {
        list.into_iter()
            .filter(|(_, size, _, _)| *size >= covered)
            .collect::<Vec<_>>()
    };
    let logged = eventually(Duration::from_secs(20), || async {
        !new_in(received_from(bravo, "alpha").await).is_empty()
    })
    .await;
    assert!(
        logged.is_some(),
        "no cosignature-received covering {covered} in bravo's log"
    );
    let (index, size, root, key_id) = new_in(received_from(bravo, "alpha").await)[0];
    assert!(index >= covered, "logged after the entries it attests");
    assert_eq!(root, bravo.store().log_root(size).await.unwrap());
    assert_eq!(key_id, p.alpha_log.cosignature_verifier().key_id());
    let sent = eventually(Duration::from_secs(20), || async {
        sent_to(alpha, "bravo").await.contains(&(size, root))
    })
    .await;
    assert!(
        sent.is_some(),
        "no cosignature-sent of bravo at {size} in alpha's log"
    );

    // More rounds cosign afresh, and cosign the cosignature entries: nothing more is logged
    // of that size, and both logs record the same exchanges.
    witness_round(alpha.fed(), &p.alpha_log, &http).await;
    settle(&p).await;
    let received = received_from(bravo, "alpha").await;
    assert_eq!(
        received.iter().filter(|(_, s, _, _)| *s == size).count(),
        1,
        "{received:?}"
    );
    // (The outbox's entries about the object may have been cosigned and logged since.)
    assert!(received.len() > before.len(), "{received:?}");
    let sizes: Vec<u64> = received.iter().map(|(_, s, _, _)| *s).collect();
    assert!(sizes.windows(2).all(|w| w[0] < w[1]), "{sizes:?}");
    let sent = sent_to(alpha, "bravo").await;
    assert_eq!(
        sent.iter().filter(|(s, _)| *s == size).count(),
        1,
        "{sent:?}"
    );
    let exchanges: Vec<(u64, [u8; 32])> = received.iter().map(|(_, s, r, _)| (*s, *r)).collect();
    assert_eq!(sent, exchanges);
    let size_now = bravo.store().log_size().await.unwrap();
    witness_round(alpha.fed(), &p.alpha_log, &http).await;
    assert_eq!(bravo.store().log_size().await.unwrap(), size_now, "at rest");
}
