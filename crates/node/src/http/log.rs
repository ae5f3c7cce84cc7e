//! The transparency log over HTTP: checkpoints, keys, entries (redacted by the gate for a
//! peer), proofs, the witness endpoint and the endpoint where peers hand in their
//! cosignatures of this log. The log's identity and publisher are `crate::log`; the bodies are
//! `crate::wire`.
//!
//! Routes (who may call each is in the authorisation table, `crate::http::authz::ROUTES`: the reads
//! take a user of any role or a peer's signed `Pacific-Peer` request; `POST /log/cosign` takes
//! admins and peers; `POST /log/cosignatures` takes peers only):
//!
//! | route | answer |
//! |---|---|
//! | `GET /log/checkpoint` | the latest signed checkpoint (C2SP signed note), `text/plain`, followed by the cosignature lines of the witnesses that cosigned exactly that checkpoint |
//! | `GET /log/checkpoint/cosigned` | the newest checkpoint that witnesses cosigned, with all their cosignature lines, `text/plain`; 404 while no witness has cosigned one |
//! | `GET /log/key` | the log's verifier key (`vkey`), `text/plain` — trust it out of band |
//! | `GET /log/witness-key` | this node's cosignature key as a witness: `{party, identity_key, cosigner_vkey, statement}`; the statement ([`sign_cosigner_key`]) binds the key to the party under its identity key, so whoever knows that identity key can check this node's cosignature lines |
//! | `GET /log/entries?start=&end=` | `{"entries": [{index, leaf_hash, entry_b64, entry}]}`, at most [`MAX_ENTRIES`]; to a peer, an entry the gate holds back is `{index, leaf_hash, "redacted": true}` (`crate::federation::log_view`) |
//! | `GET /log/proof/inclusion?index=&size=` | `{index, size, root, hashes}` (hex) |
//! | `GET /log/proof/consistency?old=&new=` | `{old, new, old_root, new_root, hashes}` (hex) |
//! | `POST /log/cosign` | witness another log's checkpoint: [`CosignRequest`] in, cosignature line out |
//! | `POST /log/cosignatures` | a peer's cosignature of one of this log's checkpoints: [`CosignaturePush`] in, [`CosignatureAnswer`] (`{"kept", "logged", "witness", "size"}`) out |
//!
//! `POST /log/cosignatures` answers 401 without a valid peer signature, 403 to a user token
//! (only peers witness) or when the statement binding the cosignature key is not signed by the
//! peer's registered identity key, 400 for bad input (not JSON, a malformed key or line, a
//! checkpoint not signed by this log, a cosignature that does not verify, a timestamp in the
//! future), and 409 (`log-conflict`) for a checkpoint signed with this log's key whose root is
//! not this log's root at that size: a witness was shown another history of this log. That
//! checkpoint and its cosignature are kept as split-view evidence about this log's own origin
//! and a warning is logged. Only accepted cosignatures are stored, the latest per witness, with
//! their `cosignature-received` log entry (by `peer:<witness>`: the witness, size, root hash and
//! key ID) in the same transaction ([`Store::add_cosignature`]) when they attest something new:
//! a larger tree than the witness's kept cosignature whose new entries are not all cosignature
//! acts. A cosignature handed in again, or of a checkpoint that grew only by the entries logging
//! cosignatures, is kept without an entry, so witnessing does not grow the log forever. The
//! answer's `logged` says whether it was logged; the witness logs its `cosignature-sent` only
//! then, so both logs record the same exchange once.
//!
//! Bad ranges (an index not below the size, a size beyond the log, `start > end`, too many
//! entries) are 400. `entry` is the decoded JSON for reading; `entry_b64` the exact bytes that
//! are hashed, which a verifier must use.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::http::authz::Principal;
use crate::http::error::ApiError;
use crate::http::extract::TypedQuery;
use crate::http::state::AppState;
use crate::log::{newest_cosigned, sign_cosigner_key};
use crate::wire::{CosignRequest, CosignaturePush};

// -------------------------------------------------------------------------------------------
// Routes

/// Largest `POST /log/cosign` body.
const MAX_COSIGN_BODY: usize = 256 * 1024;

const TEXT: &str = "text/plain; charset=utf-8";

/// The `/log` routes; `log` is the node's log identity.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/log/checkpoint", get(checkpoint))
        .route("/log/checkpoint/cosigned", get(cosigned_checkpoint))
        .route("/log/key", get(key))
        .route("/log/witness-key", get(witness_key))
        .route("/log/entries", get(entries))
        .route("/log/proof/inclusion", get(inclusion))
        .route("/log/proof/consistency", get(consistency))
        .route("/log/cosign", post(cosign))
        .route("/log/cosignatures", post(receive_cosignature))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_COSIGN_BODY))
}

/// `?start=&end=` of `GET /log/entries`.
#[derive(Deserialize)]
struct Range {
    start: u64,
    end: u64,
}

/// `?index=&size=` of `GET /log/proof/inclusion`.
#[derive(Deserialize)]
struct Inclusion {
    index: u64,
    size: u64,
}

/// `?old=&new=` of `GET /log/proof/consistency`.
#[derive(Deserialize)]
struct Consistency {
    old: u64,
    new: u64,
}

fn text(body: String) -> Response {
    ([(header::CONTENT_TYPE, TEXT)], body).into_response()
}

async fn checkpoint(State(state): State<AppState>, _who: Principal) -> Result<Response, ApiError> {
    let note = crate::log::latest_checkpoint(state.store().as_ref(), state.log()).await?;
    Ok(text(note))
}

async fn cosigned_checkpoint(
    State(state): State<AppState>,
    _who: Principal,
) -> Result<Response, ApiError> {
    match newest_cosigned(state.store().as_ref())
        .await
        .map_err(crate::log::LogReadError::from)?
    {
        Some(c) => Ok(text(c.note)),
        None => Err(ApiError::NotFound(
            "a cosigned checkpoint (no witness has cosigned a checkpoint of this log yet)".into(),
        )),
    }
}

async fn key(State(state): State<AppState>, _who: Principal) -> Response {
    text(format!("{}\n", state.log().verifier().to_vkey()))
}

async fn witness_key(
    State(state): State<AppState>,
    _who: Principal,
) -> Result<Json<Value>, ApiError> {
    let log = state.log();
    let fed = state.federation();
    let party = fed.local().id.as_str();
    let vkey = log.cosignature_verifier().to_vkey();
    Ok(Json(json!({
        "party": party,
        "identity_key": fed.public_key_hex(),
        "statement": sign_cosigner_key(fed.key(), party, &vkey),
        "cosigner_vkey": vkey,
    })))
}

/// `GET /log/entries`: to a peer, an entry the policy gate holds back is `redacted`, its index
/// and leaf hash only (`crate::federation::log_view`).
async fn entries(
    State(state): State<AppState>,
    TypedQuery(q): TypedQuery<Range>,
    who: Principal,
) -> Result<Response, ApiError> {
    let views = crate::log::entries(
        state.store().as_ref(),
        state.federation(),
        &who,
        q.start,
        q.end,
    )
    .await?;
    Ok(Json(json!({ "entries": views })).into_response())
}

async fn inclusion(
    State(state): State<AppState>,
    TypedQuery(q): TypedQuery<Inclusion>,
    _who: Principal,
) -> Result<Response, ApiError> {
    let proof = crate::log::inclusion_proof(state.store().as_ref(), q.index, q.size).await?;
    Ok(Json(proof).into_response())
}

async fn consistency(
    State(state): State<AppState>,
    TypedQuery(q): TypedQuery<Consistency>,
    _who: Principal,
) -> Result<Response, ApiError> {
    let proof = crate::log::consistency_proof(state.store().as_ref(), q.old, q.new).await?;
    Ok(Json(proof).into_response())
}

/// `POST /log/cosign`: witness a checkpoint and cosign it (`crate::witness::cosign_on_request`):
/// the cosignature line, or 409 with the evidence when it shows another history.
async fn cosign(
    State(state): State<AppState>,
    who: Principal,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let req: CosignRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("cosign request is not valid JSON: {e}")))?;
    let line = crate::witness::cosign_on_request(
        state.store().as_ref(),
        state.federation(),
        state.log(),
        &who,
        &req,
    )
    .await?;
    Ok(text(line.to_line()))
}

/// `POST /log/cosignatures` (peers only): a witness's cosignature of one of this log's
/// checkpoints (`LogState::receive_cosignature`).
async fn receive_cosignature(
    State(state): State<AppState>,
    who: Principal,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let Some(party) = who.peer() else {
        return Err(ApiError::Forbidden {
            user: who.actor(),
            action:
                "hand in cosignatures (only peers witness this log, with a Pacific-Peer request)"
                    .into(),
        });
    };
    let push: CosignaturePush = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("cosignature is not valid JSON: {e}")))?;
    let answer = state
        .log()
        .receive_cosignature(
            state.store().as_ref(),
            state.federation().store().as_ref(),
            party,
            &push,
        )
        .await?;
    Ok(Json(answer).into_response())
}
