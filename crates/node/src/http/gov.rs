//! The `/gov/…` API (JSON): the federation's charter and register, proposals (propose,
//! comment, amend, vote), withdrawal, the parameters in force, the norms catalogue and the
//! compliance reports. Handlers parse, call the governance service (`crate::gov::Gov`) and
//! render; only a delegate or an admin acts (the authorisation table), every user reads.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use pacific_gov::norms;
use pacific_gov::proposal::Act;
use pacific_gov::report::ReportPeriod;
use pacific_gov::state::{Federation, Proposal};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::gov::GovServiceError;
use crate::http::authz::Principal;
use crate::http::error::ApiError;
use crate::http::extract::TypedQuery;
use crate::http::state::AppState;
use crate::wire::gov::{AmendBody, CommentBody, PeriodBody, ProposeBody, VoteBody};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/gov/federation", get(federation))
        .route("/gov/members", get(members))
        .route("/gov/members/{party}", get(member))
        .route("/gov/proposals", get(proposals).post(propose))
        .route("/gov/proposals/{id}", get(proposal))
        .route("/gov/proposals/{id}/{action}", post(act_on_proposal))
        .route("/gov/withdrawal", post(withdraw))
        .route("/gov/params", get(params))
        .route("/gov/norms", get(norms_list))
        .route("/gov/norms/{id}", get(norm))
        .route("/gov/reports", get(figures).post(publish_report))
}

/// Parses a JSON body; a bad one is 422 `gov-invalid`.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| GovServiceError::Invalid(format!("the body: {e}")).into())
}

fn period(text: &str) -> Result<ReportPeriod, ApiError> {
    text.parse().map_err(|e: pacific_gov::report::ReportError| {
        GovServiceError::Invalid(e.to_string()).into()
    })
}

/// A proposal as listed.
fn summary(p: &Proposal) -> Value {
    json!({
        "id": p.id,
        "kind": p.kind,
        "title": p.title,
        "proposer": p.proposer,
        "stage": p.stage,
        "proposed_at": p.proposed_at,
        "voting_opens": p.voting_opens,
        "voting_closes": p.voting_closes,
        "versions": p.versions.len(),
        "comments": p.comments.len(),
        "outcome": p.tally.as_ref().map(|t| &t.outcome),
    })
}

async fn federation(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let f: Federation = state.gov().federation().await?;
    Ok(Json(json!({
        "id": f.id,
        "name": f.name,
        "founded": f.founded,
        "constitution": f.constitution,
        "members": f.register.values().collect::<Vec<_>>(),
        "norms": f.norms,
        "parameters": f.parameters.iter().map(|(p, (v, by))| json!({"parameter": p, "value": v, "proposal": by})).collect::<Vec<_>>(),
        "roster": f.roster,
        "refused_acts": f.refused,
    })))
}

async fn members(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(state.gov().members().await?)))
}

async fn member(
    State(state): State<AppState>,
    Path(party): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let member = state
        .gov()
        .members()
        .await?
        .into_iter()
        .find(|m| m.entry.details.party.as_str() == party)
        .ok_or(GovServiceError::UnknownMember(party))?;
    Ok(Json(json!(member)))
}

async fn proposals(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let f = state.gov().federation().await?;
    let mut list: Vec<&Proposal> = f.proposals.values().collect();
    list.sort_by(|a, b| b.proposed_at.cmp(&a.proposed_at));
    Ok(Json(json!(
        list.into_iter().map(summary).collect::<Vec<_>>()
    )))
}

async fn proposal(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(state.gov().proposal(&id).await?)))
}

async fn propose(
    State(state): State<AppState>,
    who: Principal,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let b: ProposeBody = body(&bytes)?;
    let act = Act::Propose {
        title: b.title,
        text: b.text,
        rationale: b.rationale,
        change: b.change,
        co_sponsors: b.co_sponsors,
    };
    let (id, f) = state.gov().act(&who, act).await?;
    Ok((StatusCode::CREATED, Json(json!(f.proposals.get(&id)))).into_response())
}

async fn act_on_proposal(
    State(state): State<AppState>,
    who: Principal,
    Path((id, action)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let act = match action.as_str() {
        "comment" => {
            let b: CommentBody = body(&bytes)?;
            Act::Comment {
                proposal: id.clone(),
                text: b.text,
            }
        }
        "amend" => {
            let b: AmendBody = body(&bytes)?;
            Act::Amend {
                proposal: id.clone(),
                text: b.text,
                rationale: b.rationale,
                change: b.change,
            }
        }
        "vote" => {
            let b: VoteBody = body(&bytes)?;
            Act::Vote {
                proposal: id.clone(),
                choice: b.choice,
            }
        }
        other => {
            return Err(ApiError::NotFound(format!(
                "action {other:?} (a proposal takes comment, amend or vote)"
            )));
        }
    };
    let (act_id, f) = state.gov().act(&who, act).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"act": act_id, "proposal": f.proposals.get(&id)})),
    )
        .into_response())
}

async fn withdraw(State(state): State<AppState>, who: Principal) -> Result<Response, ApiError> {
    let (act_id, f) = state.gov().act(&who, Act::Withdraw {}).await?;
    let me = state.gov().party().clone();
    Ok((
        StatusCode::CREATED,
        Json(json!({"act": act_id, "member": f.register.get(&me)})),
    )
        .into_response())
}

async fn params(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(state.gov().params().await?)))
}

fn norm_view(n: &norms::Norm, f: Option<&Federation>) -> Value {
    let adopted = f.and_then(|f| f.norms.get(n.id));
    json!({
        "id": n.id,
        "title": n.title,
        "summary": n.summary,
        "status": if adopted.is_some() { "adopted" } else { "proposed" },
        "adopted": adopted,
        "measures": n.measures.iter().map(|m| json!({"measure": m, "description": m.description()})).collect::<Vec<_>>(),
        "parameters": n.parameters.iter().map(|p| json!({"parameter": p, "description": p.description()})).collect::<Vec<_>>(),
    })
}

async fn norms_list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let f = state.gov().federation_if_chartered().await?;
    Ok(Json(json!(
        norms::catalogue()
            .iter()
            .map(|n| norm_view(n, f.as_ref()))
            .collect::<Vec<_>>()
    )))
}

async fn norm(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let n = norms::norm(&id).ok_or_else(|| ApiError::NotFound(format!("norm {id}")))?;
    let f = state.gov().federation_if_chartered().await?;
    Ok(Json(norm_view(n, f.as_ref())))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FiguresQuery {
    period: String,
}

async fn figures(
    State(state): State<AppState>,
    TypedQuery(q): TypedQuery<FiguresQuery>,
) -> Result<Json<Value>, ApiError> {
    let period = period(&q.period)?;
    let figures = state.gov().figures(period).await?;
    let reports = state.gov().reports(period).await?;
    Ok(Json(json!({
        "period": period,
        "figures": figures.iter().map(|f| json!({
            "about": f.about,
            "norm": f.norm,
            "measure": f.measure,
            "count": f.count,
            "of": f.of,
            "p50": f.p50(),
            "p90": f.p90(),
            "observers": f.observers,
        })).collect::<Vec<_>>(),
        "reporters": reports.iter().map(|r| json!({"reporter": r.reporter, "checkpoint": r.checkpoint, "observations": r.observations})).collect::<Vec<_>>(),
    })))
}

async fn publish_report(
    State(state): State<AppState>,
    who: Principal,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let b: PeriodBody = body(&bytes)?;
    let report = state.gov().publish_report(&who, period(&b.period)?).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "reporter": report.reporter,
            "period": report.period,
            "observations": report.observations,
            "checkpoint": report.checkpoint,
        })),
    )
        .into_response())
}
