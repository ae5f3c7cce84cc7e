//! The `/coop/…` API (JSON): assistance requests, the 24/7 hotline (escalations, contacts,
//! pings), consultations and disputes. Handlers parse the body into a command, call the
//! cooperation service (`crate::coop::Coop`) and render the rebuilt record; the rules are
//! `pacific_coop`'s, the storing, replaying and publishing the service's.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use pacific_coop::CoopError;
use pacific_coop::consultation::{Consultation, ConsultationCommand};
use pacific_coop::dispute::{Dispute, DisputeCommand};
use pacific_coop::hotline::{HotlineContact, HotlinePing};
use pacific_coop::request::{AnswerSpec, AssistanceRequest, RequestCommand, RequestSpec};
use pacific_core::Timestamp;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::coop::{Rebuilt, RefusedAct};
use crate::http::authz::Principal;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::wire::coop::{
    AgendaBody, AttachBody, ClaimBody, ContactBody, Custody, DeclineBody, Empty, Information,
    MediatorBody, MinutesBody, OpenConsultation, OpenDispute, PanelBody, PingBody, PostBody,
    Question, Reason, SignBody, TermsBody, Until, VoteBody,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/coop/requests", get(list_requests).post(new_request))
        .route("/coop/requests/{id}", get(show_request))
        .route("/coop/requests/{id}/{action}", post(act_on_request))
        .route("/coop/hotline", get(hotline))
        .route(
            "/coop/hotline/contacts",
            get(list_contacts).post(declare_contact),
        )
        .route("/coop/hotline/pings", get(list_pings).post(send_ping))
        .route(
            "/coop/consultations",
            get(list_consultations).post(open_consultation),
        )
        .route("/coop/consultations/{id}", get(show_consultation))
        .route(
            "/coop/consultations/{id}/{action}",
            post(act_on_consultation),
        )
        .route("/coop/disputes", get(list_disputes).post(open_dispute))
        .route("/coop/disputes/{id}", get(show_dispute))
        .route("/coop/disputes/{id}/{action}", post(act_on_dispute))
}

/// Parses a JSON body (empty means `{}`); a bad body is 422 `coop-invalid`.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(bytes).map_err(|e| {
        CoopError::InvalidInput {
            field: "body",
            reason: e.to_string(),
        }
        .into()
    })
}

fn render<A: serde::Serialize>(r: &Rebuilt<A>, extra: Value) -> Value {
    let mut v = json!({
        "record": r.record,
        "refused_acts": r.refused.iter().map(refused_act).collect::<Vec<_>>(),
    });
    if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
        m.extend(e);
    }
    v
}

/// An act that does not count: who published it, a stable label and why. This party's own act
/// that a concurrent act of another party superseded is `coop-act-conflict`.
fn refused_act(r: &RefusedAct) -> Value {
    let label = if r.mine {
        "coop-act-conflict"
    } else {
        ApiError::coop_label(&r.error)
    };
    json!({"id": r.id, "by": r.by, "mine": r.mine, "label": label, "reason": r.error.to_string()})
}

/// A request's hotline escalation: `status` is `open` (the clock runs: `ack_clock_secs` is the
/// time unacknowledged so far), `acknowledged` (at `acknowledged_at`, `ack_clock_secs` after
/// the first push) or `ended` (never acknowledged: the request became `ended.state` at
/// `ended.at`, and the clock stopped there).
fn escalation_view(r: &AssistanceRequest, now: &Timestamp) -> Value {
    use pacific_coop::request::EscalationStatus as S;
    let (Some(e), Some(status)) = (&r.escalation, r.escalation_status(now)) else {
        return Value::Null;
    };
    let (name, clock, ended) = match &status {
        S::Open { unacknowledged_for } => ("open", unacknowledged_for, Value::Null),
        S::Acknowledged { after, .. } => ("acknowledged", after, Value::Null),
        S::Ended { state, at, after } => ("ended", after, json!({"state": state, "at": at})),
    };
    json!({
        "party": e.party,
        "pushed_at": e.pushed_at,
        "attempts": e.attempts,
        "next_resend_at": if name == "open" { json!(e.next_resend_at) } else { Value::Null },
        "acknowledged_at": e.acknowledged_at,
        "status": name,
        "ended": ended,
        "ack_clock_secs": clock.as_secs_f64(),
    })
}

fn request_view(r: &Rebuilt<AssistanceRequest>) -> Value {
    let now = Timestamp::now();
    render(
        r,
        json!({
            "hotline": escalation_view(&r.record, &now),
            "acknowledgement_overdue": r.record.acknowledgement_overdue(&now),
        }),
    )
}

async fn new_request(
    State(state): State<AppState>,
    who: Principal,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let spec: RequestSpec = body(&bytes)?;
    let r = state
        .coop()
        .open::<AssistanceRequest>(&who, "draft", |actor, uuid, now, config| {
            AssistanceRequest::draft(
                actor,
                uuid,
                spec,
                None,
                now,
                &config.deadlines,
                &config.hotline,
            )
        })
        .await?;
    Ok((StatusCode::CREATED, axum::Json(request_view(&r))).into_response())
}

async fn list_requests(
    State(state): State<AppState>,
    who: Principal,
) -> Result<axum::Json<Value>, ApiError> {
    let items = state.coop().request_list(&who).await?;
    Ok(axum::Json(json!({ "requests": items })))
}

async fn show_request(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let r = state.coop().show_for::<AssistanceRequest>(&who, id).await?;
    Ok(axum::Json(request_view(&r)))
}

fn request_command(action: &str, bytes: &Bytes) -> Result<RequestCommand, ApiError> {
    use RequestCommand as C;
    Ok(match action {
        "update" => C::Update(Box::new(body(bytes)?)),
        "send" => {
            body::<Empty>(bytes)?;
            C::Send
        }
        "ack" | "acknowledge" => {
            body::<Empty>(bytes)?;
            C::Acknowledge
        }
        "start" => {
            body::<Empty>(bytes)?;
            C::Start
        }
        "ask" => C::AskForInformation {
            question: body::<Question>(bytes)?.question,
        },
        "provide" => {
            let i: Information = body(bytes)?;
            C::ProvideInformation {
                text: i.text,
                attachments: i.attachments,
            }
        }
        "answer" => C::Answer(Box::new(body::<AnswerSpec>(bytes)?)),
        "decline" => {
            let d: DeclineBody = body(bytes)?;
            C::Decline {
                ground: d.ground,
                reason: d.reason,
            }
        }
        "withdraw" => C::Withdraw {
            reason: body::<Reason>(bytes)?.reason,
        },
        "custody" => {
            let c: Custody = body(bytes)?;
            C::RecordCustody {
                attachment: c.attachment,
                observed_sha256: c.observed_sha256,
                observed_size: c.observed_size,
            }
        }
        "extend" => C::ExtendPreservation {
            until: body::<Until>(bytes)?.until,
        },
        other => return Err(ApiError::NotFound(format!("request action {other:?}"))),
    })
}

async fn act_on_request(
    State(state): State<AppState>,
    who: Principal,
    Path((id, action)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<axum::Json<Value>, ApiError> {
    let command = request_command(&action, &bytes)?;
    let r = state
        .coop()
        .act::<AssistanceRequest>(&who, id, "act on a request", command)
        .await?;
    Ok(axum::Json(request_view(&r)))
}

/// Open escalations (and the acknowledged ones, with their clock) of this party's requests.
async fn hotline(
    State(state): State<AppState>,
    who: Principal,
) -> Result<axum::Json<Value>, ApiError> {
    let now = Timestamp::now();
    let all = state.coop().list::<AssistanceRequest>(&who).await?;
    let escalations: Vec<Value> = all
        .iter()
        .filter(|r| r.record.escalation.is_some())
        .map(|r| {
            let q = &r.record;
            json!({
                "request": q.meta.id,
                "title": q.title,
                "requester": q.requester,
                "recipient": q.recipient,
                "state": q.state,
                "urgency": q.urgency,
                "sector": q.details.sector(),
                "open": matches!(q.escalation_status(&now), Some(pacific_coop::request::EscalationStatus::Open { .. })),
                "escalation": escalation_view(q, &now),
            })
        })
        .collect();
    Ok(axum::Json(json!({ "escalations": escalations })))
}

async fn list_contacts(
    State(state): State<AppState>,
    who: Principal,
) -> Result<axum::Json<Value>, ApiError> {
    let all = state.coop().list::<HotlineContact>(&who).await?;
    let contacts: Vec<&HotlineContact> = all.iter().map(|r| &r.record).collect();
    Ok(axum::Json(json!({ "contacts": contacts })))
}

/// Declares this party's hotline contact, or updates it if it has one.
async fn declare_contact(
    State(state): State<AppState>,
    who: Principal,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let c: ContactBody = body(&bytes)?;
    let (created, r) = state
        .coop()
        .declare_contact(&who, c.name, c.channel)
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(render(&r, json!({})))).into_response())
}

async fn open_dispute(
    State(state): State<AppState>,
    who: Principal,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let o: OpenDispute = body(&bytes)?;
    let r = state
        .coop()
        .open::<Dispute>(&who, "open-dispute", |actor, uuid, now, config| {
            Dispute::open(
                actor,
                uuid,
                o.respondent,
                o.subject,
                o.claim,
                o.evidence_refs,
                &config.disputes,
                None,
                now,
            )
        })
        .await?;
    Ok((StatusCode::CREATED, axum::Json(render(&r, json!({})))).into_response())
}

async fn list_disputes(
    State(state): State<AppState>,
    who: Principal,
) -> Result<axum::Json<Value>, ApiError> {
    let items = state.coop().dispute_list(&who).await?;
    Ok(axum::Json(json!({ "disputes": items })))
}

async fn show_dispute(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let r = state.coop().show_for::<Dispute>(&who, id).await?;
    Ok(axum::Json(render(&r, json!({}))))
}

fn dispute_command(action: &str, bytes: &Bytes) -> Result<DisputeCommand, ApiError> {
    use DisputeCommand as C;
    Ok(match action {
        "claim" => {
            let c: ClaimBody = body(bytes)?;
            C::AddClaim {
                text: c.text,
                evidence_refs: c.evidence_refs,
            }
        }
        "propose-mediator" => C::ProposeMediator {
            mediator: body::<MediatorBody>(bytes)?.mediator,
        },
        "accept-mediator" => {
            body::<Empty>(bytes)?;
            C::AcceptMediator
        }
        "propose-panel" => C::ProposePanel {
            members: body::<PanelBody>(bytes)?.members,
        },
        "accept-panel" => {
            body::<Empty>(bytes)?;
            C::AcceptPanel
        }
        "vote" => {
            let v: VoteBody = body(bytes)?;
            C::Vote {
                finding: v.finding,
                reasons: v.reasons,
            }
        }
        "propose-settlement" => C::ProposeSettlement {
            terms: body::<TermsBody>(bytes)?.terms,
        },
        "accept-settlement" => {
            body::<Empty>(bytes)?;
            C::AcceptSettlement
        }
        other => return Err(ApiError::NotFound(format!("dispute action {other:?}"))),
    })
}

async fn act_on_dispute(
    State(state): State<AppState>,
    who: Principal,
    Path((id, action)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<axum::Json<Value>, ApiError> {
    let command = dispute_command(&action, &bytes)?;
    let r = state
        .coop()
        .act::<Dispute>(&who, id, "act on a dispute", command)
        .await?;
    Ok(axum::Json(render(&r, json!({}))))
}

// --- Hotline pings ---------------------------------------------------------------------------

fn ping_view(p: &HotlinePing) -> Value {
    json!({
        "id": p.meta.id,
        "sender": p.sender,
        "party": p.party,
        "sent_at": p.sent_at,
        "timeout_at": p.timeout_at,
        "outcome": p.outcome,
        "response_secs": p.response_time().map(|d| d.as_secs_f64()),
    })
}

/// Pings this party sent and received, newest first, with how each ended.
async fn list_pings(
    State(state): State<AppState>,
    who: Principal,
) -> Result<axum::Json<Value>, ApiError> {
    let mut all: Vec<HotlinePing> = state
        .coop()
        .list::<HotlinePing>(&who)
        .await?
        .into_iter()
        .map(|r| r.record)
        .collect();
    all.sort_by(|a, b| b.sent_at.cmp(&a.sent_at));
    let pings: Vec<Value> = all.iter().map(ping_view).collect();
    Ok(axum::Json(json!({ "pings": pings })))
}

/// Pings another party's hotline now (a liaison); its node answers while it has a contact.
async fn send_ping(
    State(state): State<AppState>,
    who: Principal,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let b: PingBody = body(&bytes)?;
    let r = state
        .coop()
        .open::<HotlinePing>(&who, "ping-hotline", |actor, uuid, now, config| {
            HotlinePing::send(actor, uuid, b.to, now, &config.hotline)
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(render(&r, json!({"ping": ping_view(&r.record)}))),
    )
        .into_response())
}

// --- Consultations ---------------------------------------------------------------------------

async fn open_consultation(
    State(state): State<AppState>,
    who: Principal,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let o: OpenConsultation = body(&bytes)?;
    let r = state
        .coop()
        .open::<Consultation>(&who, "open-consultation", |actor, uuid, now, _| {
            Consultation::open(actor, uuid, o.topic, o.participants, o.agenda, None, now)
        })
        .await?;
    Ok((StatusCode::CREATED, axum::Json(render(&r, json!({})))).into_response())
}

async fn list_consultations(
    State(state): State<AppState>,
    who: Principal,
) -> Result<axum::Json<Value>, ApiError> {
    let all = state.coop().list::<Consultation>(&who).await?;
    let items: Vec<Value> = all
        .iter()
        .map(|r| {
            let c = &r.record;
            json!({
                "id": c.meta.id,
                "topic": c.topic,
                "convener": c.convener,
                "participants": c.participants,
                "state": c.state,
                "messages": c.messages.len(),
                "minutes_version": c.minutes.as_ref().map(|m| m.version),
                "signed_by": c.minutes.as_ref().map(|m| m.signatures.iter().map(|s| s.party.clone()).collect::<Vec<_>>()),
                "modified": c.meta.modified,
            })
        })
        .collect();
    Ok(axum::Json(json!({ "consultations": items })))
}

async fn show_consultation(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let r = state.coop().show_for::<Consultation>(&who, id).await?;
    Ok(axum::Json(render(&r, json!({}))))
}

async fn act_on_consultation(
    State(state): State<AppState>,
    who: Principal,
    Path((id, action)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<axum::Json<Value>, ApiError> {
    use ConsultationCommand as C;
    let coop = state.coop();
    let command = match action.as_str() {
        "agenda" => C::AddAgendaItem {
            item: body::<AgendaBody>(&bytes)?.item,
        },
        "post" => {
            let p: PostBody = body(&bytes)?;
            C::Post {
                text: p.text,
                object_refs: p.object_refs,
            }
        }
        "attach" => C::AttachObjects {
            object_refs: body::<AttachBody>(&bytes)?.object_refs,
        },
        "propose-minutes" => C::ProposeMinutes {
            text: body::<MinutesBody>(&bytes)?.text,
        },
        "sign-minutes" => {
            let version = match body::<SignBody>(&bytes)?.version {
                Some(v) => v,
                None => coop
                    .show_for::<Consultation>(&who, id.clone())
                    .await?
                    .record
                    .minutes
                    .map_or(0, |m| m.version),
            };
            C::SignMinutes { version }
        }
        other => return Err(ApiError::NotFound(format!("consultation action {other:?}"))),
    };
    let r = coop
        .act::<Consultation>(&who, id, "act on a consultation", command)
        .await?;
    Ok(axum::Json(render(&r, json!({}))))
}
