//! A client of a node's `/coop` JSON API (see `crate::coop`'s HTTP section), acting as one of
//! that node's users with the user's API token: assistance requests (draft, list, show, each
//! act), the hotline (escalations, 24/7 contacts, pings), consultations and disputes.
//!
//! Each call returns the JSON the node answered (a record is `{"record": …, "refused_acts":
//! […]}`, a request adds `hotline`, a ping adds `ping`; a list is `{"requests": […]}` and so
//! on), or a [`ClientError`] that keeps the node's stable label (`coop-role-not-allowed`,
//! `coop-illegal-transition`, `auth-forbidden`, …).

use serde::Serialize;
use serde_json::{Value, json};

use super::ClientError;

/// A user of one node's `/coop` API.
#[derive(Clone, Debug)]
pub struct CoopClient {
    url: String,
    token: String,
    http: reqwest::Client,
}

/// An act on an assistance request (`POST /coop/requests/{id}/{action}`), with its body.
#[derive(Clone, Debug)]
pub enum RequestAction {
    /// Replace a draft's content (requester): the same fields as a new request.
    Update(Value),
    /// Send a draft (requester).
    Send,
    /// Acknowledge a request received, and its hotline escalation (recipient).
    Acknowledge,
    /// Start work on an acknowledged request (recipient).
    Start,
    /// Answer (recipient), fully or in part; a preservation says until when.
    Answer {
        partial: bool,
        note: String,
        preserved_until: Option<String>,
    },
    /// Decline citing a ground (recipient), e.g. `insufficient-information`.
    Decline { ground: String, reason: String },
    /// Withdraw (requester).
    Withdraw { reason: String },
    /// Ask the requester for more information (recipient).
    Ask { question: String },
    /// Provide the information asked for (requester).
    Provide {
        text: String,
        attachments: Vec<AttachmentRef>,
    },
    /// Record in the chain of custody what this party observed of an attachment.
    Custody {
        attachment: String,
        observed_sha256: String,
        observed_size: u64,
    },
    /// Extend an answered preservation (recipient) until a later time (RFC 3339).
    Extend { until: String },
}

/// An attachment as the request records it: its SHA-256 (hex), size and name (the file
/// itself travels out of band).
#[derive(Clone, Debug, Serialize)]
pub struct AttachmentRef {
    pub sha256: String,
    pub size: u64,
    pub name: String,
}

impl RequestAction {
    /// The action's path segment and JSON body.
    pub fn to_call(&self) -> (&'static str, Value) {
        match self {
            RequestAction::Update(spec) => ("update", spec.clone()),
            RequestAction::Send => ("send", json!({})),
            RequestAction::Acknowledge => ("ack", json!({})),
            RequestAction::Start => ("start", json!({})),
            RequestAction::Answer {
                partial,
                note,
                preserved_until,
            } => {
                let mut b = json!({
                    "completeness": if *partial { "partial" } else { "full" },
                    "note": note,
                });
                if let Some(until) = preserved_until {
                    b["preserved_until"] = json!(until);
                }
                ("answer", b)
            }
            RequestAction::Decline { ground, reason } => {
                ("decline", json!({"ground": ground, "reason": reason}))
            }
            RequestAction::Withdraw { reason } => ("withdraw", json!({"reason": reason})),
            RequestAction::Ask { question } => ("ask", json!({"question": question})),
            RequestAction::Provide { text, attachments } => {
                ("provide", json!({"text": text, "attachments": attachments}))
            }
            RequestAction::Custody {
                attachment,
                observed_sha256,
                observed_size,
            } => (
                "custody",
                json!({
                    "attachment": attachment,
                    "observed_sha256": observed_sha256,
                    "observed_size": observed_size,
                }),
            ),
            RequestAction::Extend { until } => ("extend", json!({"until": until})),
        }
    }
}

/// An act on a consultation (`POST /coop/consultations/{id}/{action}`), with its body.
#[derive(Clone, Debug)]
pub enum ConsultationAction {
    /// Add an agenda item.
    Agenda { item: String },
    /// Post a message, optionally referring to STIX objects (by id).
    Post {
        text: String,
        object_refs: Vec<String>,
    },
    /// Attach STIX objects (by id).
    Attach { object_refs: Vec<String> },
    /// Propose minutes (replacing the previous proposal and its signatures).
    ProposeMinutes { text: String },
    /// Sign the minutes: this version, or the current one.
    SignMinutes { version: Option<u32> },
}

impl ConsultationAction {
    /// The action's path segment and JSON body.
    pub fn to_call(&self) -> (&'static str, Value) {
        match self {
            ConsultationAction::Agenda { item } => ("agenda", json!({"item": item})),
            ConsultationAction::Post { text, object_refs } => {
                ("post", json!({"text": text, "object_refs": object_refs}))
            }
            ConsultationAction::Attach { object_refs } => {
                ("attach", json!({"object_refs": object_refs}))
            }
            ConsultationAction::ProposeMinutes { text } => {
                ("propose-minutes", json!({"text": text}))
            }
            ConsultationAction::SignMinutes { version } => (
                "sign-minutes",
                match version {
                    Some(v) => json!({"version": v}),
                    None => json!({}),
                },
            ),
        }
    }
}

impl CoopClient {
    /// A client of the node at `url` (e.g. `http://127.0.0.1:9001`), as the user whose API
    /// token is given.
    pub fn new(url: &str, token: &str) -> Self {
        Self::with_http(url, token, crate::http_client())
    }

    /// The same, over a `reqwest` client of the caller's (e.g. trusting a node's certificate,
    /// see [`super::build_http`]).
    pub fn with_http(url: &str, token: &str, http: reqwest::Client) -> Self {
        Self {
            url: url.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            http,
        }
    }

    /// The node's base URL, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    async fn call(&self, post: Option<Value>, path: &str) -> Result<Value, ClientError> {
        let url = format!("{}{path}", self.url);
        let request = match post {
            Some(body) => self.http.post(&url).json(&body),
            None => self.http.get(&url),
        };
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| ClientError::Transport(super::transport_error(&url, &e)))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| ClientError::Transport(super::transport_error(&url, &e)))?;
        let value = super::parse_body(text);
        if status.is_success() {
            Ok(value)
        } else {
            Err(super::ApiRefusal::from_body(url, status, value).into())
        }
    }

    /// `GET {path}` (e.g. `/coop/requests`).
    pub async fn get(&self, path: &str) -> Result<Value, ClientError> {
        self.call(None, path).await
    }

    /// `POST {path}` with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> Result<Value, ClientError> {
        self.call(Some(body), path).await
    }

    // --- Assistance requests ---------------------------------------------------------------

    /// Drafts a request: recipient, urgency, title, details (`kind` and its mandatory
    /// fields), and optionally evidence_refs, attachments, requested_deadline.
    pub async fn new_request(&self, spec: Value) -> Result<Value, ClientError> {
        self.post("/coop/requests", spec).await
    }

    /// The requests this party is in the audience of (`{"requests": […]}`).
    pub async fn requests(&self) -> Result<Value, ClientError> {
        self.get("/coop/requests").await
    }

    /// One request: the record, its refused acts and its hotline escalation.
    pub async fn request(&self, id: &str) -> Result<Value, ClientError> {
        self.get(&format!("/coop/requests/{id}")).await
    }

    /// Acts on a request; answers the request as it now stands.
    pub async fn act_on_request(
        &self,
        id: &str,
        action: &RequestAction,
    ) -> Result<Value, ClientError> {
        let (action, body) = action.to_call();
        self.post(&format!("/coop/requests/{id}/{action}"), body)
            .await
    }

    // --- The hotline -----------------------------------------------------------------------

    /// Escalations of this party's requests, with the acknowledgement clock
    /// (`{"escalations": […]}`).
    pub async fn hotline(&self) -> Result<Value, ClientError> {
        self.get("/coop/hotline").await
    }

    /// The parties' 24/7 contacts (`{"contacts": […]}`).
    pub async fn contacts(&self) -> Result<Value, ClientError> {
        self.get("/coop/hotline/contacts").await
    }

    /// Declares (or updates) this party's 24/7 contact; `medium` is phone, email, signal,
    /// matrix, pacific or other.
    pub async fn declare_contact(
        &self,
        name: &str,
        medium: &str,
        address: &str,
    ) -> Result<Value, ClientError> {
        self.post(
            "/coop/hotline/contacts",
            json!({"name": name, "channel": {"medium": medium, "address": address}}),
        )
        .await
    }

    /// Pings another party's hotline now; the answer's `ping` says when it times out.
    pub async fn ping(&self, to: &str) -> Result<Value, ClientError> {
        self.post("/coop/hotline/pings", json!({"to": to})).await
    }

    /// Pings sent and received, newest first (`{"pings": […]}`).
    pub async fn pings(&self) -> Result<Value, ClientError> {
        self.get("/coop/hotline/pings").await
    }

    // --- Consultations ---------------------------------------------------------------------

    /// Opens a consultation with other parties.
    pub async fn open_consultation(
        &self,
        topic: &str,
        participants: &[String],
        agenda: &[String],
    ) -> Result<Value, ClientError> {
        self.post(
            "/coop/consultations",
            json!({"topic": topic, "participants": participants, "agenda": agenda}),
        )
        .await
    }

    /// The consultations this party takes part in (`{"consultations": […]}`).
    pub async fn consultations(&self) -> Result<Value, ClientError> {
        self.get("/coop/consultations").await
    }

    /// One consultation: agenda, messages, attached objects, minutes and signatures.
    pub async fn consultation(&self, id: &str) -> Result<Value, ClientError> {
        self.get(&format!("/coop/consultations/{id}")).await
    }

    /// Acts on a consultation; answers the consultation as it now stands.
    pub async fn act_on_consultation(
        &self,
        id: &str,
        action: &ConsultationAction,
    ) -> Result<Value, ClientError> {
        let (action, body) = action.to_call();
        self.post(&format!("/coop/consultations/{id}/{action}"), body)
            .await
    }

    // --- Disputes --------------------------------------------------------------------------

    /// Opens a dispute with another party (negotiation starts).
    pub async fn open_dispute(
        &self,
        respondent: &str,
        subject: &str,
        claim: &str,
        evidence_refs: &[String],
    ) -> Result<Value, ClientError> {
        self.post(
            "/coop/disputes",
            json!({"respondent": respondent, "subject": subject, "claim": claim,
                   "evidence_refs": evidence_refs}),
        )
        .await
    }

    /// The disputes this party is in the audience of (`{"disputes": […]}`).
    pub async fn disputes(&self) -> Result<Value, ClientError> {
        self.get("/coop/disputes").await
    }

    /// One dispute: stage, mediator, panel, stage changes, decision.
    pub async fn dispute(&self, id: &str) -> Result<Value, ClientError> {
        self.get(&format!("/coop/disputes/{id}")).await
    }

    /// Takes a step in a dispute: `action` is claim, propose-mediator, accept-mediator,
    /// propose-panel, accept-panel, vote, propose-settlement or accept-settlement, and
    /// `body` its JSON (e.g. `{"mediator": "charlie"}`).
    pub async fn act_on_dispute(
        &self,
        id: &str,
        action: &str,
        body: Value,
    ) -> Result<Value, ClientError> {
        self.post(&format!("/coop/disputes/{id}/{action}"), body)
            .await
    }
}
