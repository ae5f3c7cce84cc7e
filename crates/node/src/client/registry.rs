//! A client of a node's `/registry/` JSON API (see `crate::http::registry`), as one of that
//! node's users: the claims held, lookups, conflicts, and this party's claims made and revoked
//! (a `delegate` or an `admin` claims). Each call returns the JSON the node answered or a
//! [`ClientError`] keeping the node's stable label (`registry-invalid`, `auth-forbidden`, …).

use serde_json::{Value, json};

use super::{ClientError, CoopClient};
use crate::wire::registry::{ClaimBody, MarkBody};

/// A user of one node's `/registry/` API.
#[derive(Clone, Debug)]
pub struct RegistryClient {
    /// The same authenticated JSON calls as the `/coop` client's.
    http: CoopClient,
}

impl RegistryClient {
    /// A client of the node at `url`, as the user whose API token is given.
    pub fn new(url: &str, token: &str) -> Self {
        Self {
            http: CoopClient::new(url, token),
        }
    }

    /// Every claim held (latest versions, revoked ones included).
    pub async fn claims(&self) -> Result<Value, ClientError> {
        self.http.get("/registry/claims").await
    }

    /// One claim, with its conflicts.
    pub async fn claim(&self, id: &str) -> Result<Value, ClientError> {
        self.http.get(&format!("/registry/claims/{id}")).await
    }

    /// Makes a claim of this party; answers the claim.
    pub async fn make_claim(&self, body: &ClaimBody) -> Result<Value, ClientError> {
        let body = serde_json::to_value(body).unwrap_or(Value::Null);
        self.http.post("/registry/claims", body).await
    }

    /// Revokes this party's claim `id`; answers the revoked version.
    pub async fn revoke(&self, id: &str) -> Result<Value, ClientError> {
        self.http
            .post(&format!("/registry/claims/{id}/revocation"), json!({}))
            .await
    }

    /// Checks the claim `id` against this node's delegation data; answers the mark kept.
    pub async fn mark(&self, id: &str, body: &MarkBody) -> Result<Value, ClientError> {
        let body = serde_json::to_value(body).unwrap_or(Value::Null);
        self.http
            .post(&format!("/registry/claims/{id}/marks"), body)
            .await
    }

    /// Who answers for `query` (an address, `AS…` or a domain name).
    pub async fn lookup(&self, query: &str) -> Result<Value, ClientError> {
        let q: String = query
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        self.http.get(&format!("/registry/lookup?q={q}")).await
    }

    /// Every conflict between claims in force.
    pub async fn conflicts(&self) -> Result<Value, ClientError> {
        self.http.get("/registry/conflicts").await
    }
}
