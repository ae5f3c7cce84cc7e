//! A client of a node's `/gov/` JSON API (see `crate::http::gov`), as one of that node's users
//! with the user's API token: the federation's charter and register, proposals (table,
//! comment, amend, vote), withdrawal, the parameters in force, the norms catalogue and the
//! compliance reports. Every user reads; a `delegate` or an `admin` acts.
//!
//! Each call returns the JSON the node answered (a proposal as `pacific_gov::state::Proposal`
//! serialises it, an act on a proposal as `{"act": …, "proposal": …}`, a list as an array), or
//! a [`ClientError`] that keeps the node's stable label (`gov-refused`, `gov-no-charter`,
//! `auth-forbidden`, …). The request bodies are `crate::wire::gov`'s, shared with the server.

use pacific_gov::Choice;
use serde_json::{Value, json};

use super::{ClientError, CoopClient};
use crate::wire::gov::{AmendBody, CommentBody, PeriodBody, ProposeBody, VoteBody};

/// A user of one node's `/gov/` API.
#[derive(Clone, Debug)]
pub struct GovClient {
    /// The same authenticated JSON calls as the `/coop` client's.
    http: CoopClient,
}

/// A body as JSON (the wire types serialise infallibly: strings, numbers, maps and sets).
fn to_json<T: serde::Serialize>(body: &T) -> Value {
    serde_json::to_value(body).unwrap_or(Value::Null)
}

impl GovClient {
    /// A client of the node at `url` (e.g. `http://127.0.0.1:9001`), as the user whose API
    /// token is given.
    pub fn new(url: &str, token: &str) -> Self {
        Self {
            http: CoopClient::new(url, token),
        }
    }

    /// The same, over a `reqwest` client of the caller's (see [`super::build_http`]).
    pub fn with_http(url: &str, token: &str, http: reqwest::Client) -> Self {
        Self {
            http: CoopClient::with_http(url, token, http),
        }
    }

    /// The node's base URL, without a trailing slash.
    pub fn url(&self) -> &str {
        self.http.url()
    }

    // --- The federation --------------------------------------------------------------------

    /// The federation: id, name, founded, constitution, members, adopted norms and
    /// parameters, roster, refused acts.
    pub async fn federation(&self) -> Result<Value, ClientError> {
        self.http.get("/gov/federation").await
    }

    /// The register (an array of members with their status).
    pub async fn members(&self) -> Result<Value, ClientError> {
        self.http.get("/gov/members").await
    }

    /// One member of the register.
    pub async fn member(&self, party: &str) -> Result<Value, ClientError> {
        self.http.get(&format!("/gov/members/{party}")).await
    }

    /// The parameters in force on this node, each with its configured value and its source.
    pub async fn params(&self) -> Result<Value, ClientError> {
        self.http.get("/gov/params").await
    }

    /// Withdraws this party from the federation; answers `{"act", "member"}`.
    pub async fn withdraw(&self) -> Result<Value, ClientError> {
        self.http.post("/gov/withdrawal", json!({})).await
    }

    // --- Proposals -------------------------------------------------------------------------

    /// The proposals, newest first (summaries).
    pub async fn proposals(&self) -> Result<Value, ClientError> {
        self.http.get("/gov/proposals").await
    }

    /// One proposal: versions, comments, stage, times, tally.
    pub async fn proposal(&self, id: &str) -> Result<Value, ClientError> {
        self.http.get(&format!("/gov/proposals/{id}")).await
    }

    /// Tables a proposal; answers the proposal.
    pub async fn propose(&self, body: &ProposeBody) -> Result<Value, ClientError> {
        self.http.post("/gov/proposals", to_json(body)).await
    }

    /// Comments on a proposal; answers `{"act", "proposal"}`.
    pub async fn comment(&self, id: &str, text: &str) -> Result<Value, ClientError> {
        let body = CommentBody {
            text: text.to_owned(),
        };
        self.act(id, "comment", to_json(&body)).await
    }

    /// Amends a proposal (its proposer or a co-sponsor); answers `{"act", "proposal"}`.
    pub async fn amend(&self, id: &str, body: &AmendBody) -> Result<Value, ClientError> {
        self.act(id, "amend", to_json(body)).await
    }

    /// Votes on a proposal; answers `{"act", "proposal"}`.
    pub async fn vote(&self, id: &str, choice: Choice) -> Result<Value, ClientError> {
        self.act(id, "vote", to_json(&VoteBody { choice })).await
    }

    async fn act(&self, id: &str, action: &str, body: Value) -> Result<Value, ClientError> {
        self.http
            .post(&format!("/gov/proposals/{id}/{action}"), body)
            .await
    }

    // --- Norms and reports -----------------------------------------------------------------

    /// The norms catalogue, each with its status (adopted or proposed), measures, parameters.
    pub async fn norms(&self) -> Result<Value, ClientError> {
        self.http.get("/gov/norms").await
    }

    /// One norm of the catalogue, e.g. `13h`.
    pub async fn norm(&self, id: &str) -> Result<Value, ClientError> {
        self.http.get(&format!("/gov/norms/{id}")).await
    }

    /// The figures of a quarter (e.g. `2026-Q4`) aggregated from the reports held, and the
    /// reports behind them.
    pub async fn reports(&self, period: &str) -> Result<Value, ClientError> {
        self.http
            .get(&format!("/gov/reports?period={period}"))
            .await
    }

    /// Publishes this party's observations of a quarter; answers the report.
    pub async fn publish_report(&self, period: &str) -> Result<Value, ClientError> {
        let body = PeriodBody {
            period: period.to_owned(),
        };
        self.http.post("/gov/reports", to_json(&body)).await
    }
}
