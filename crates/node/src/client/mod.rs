//! Every HTTP client of the node, in one place: the TAXII 2.1 client ([`taxii`]), the clients
//! of a node's `/coop` API ([`coop`]) and `/gov/` API ([`gov`]), and the verifier of a node's
//! log ([`log`]). The command line and the node's own background work (the federation's
//! outbox pulling and pushing) call these; neither builds requests by hand.
//!
//! Shared here: building the `reqwest` client (the TLS crypto provider installed first, an
//! extra trusted certificate, timeouts), reading a node's error answer
//! (`{title, description, error_code, http_status}`, see `crate::error::ApiError`) into an
//! [`ApiRefusal`] that keeps the stable label, and mapping a [`ClientError`] to [`NodeError`].

pub mod coop;
pub mod gov;
pub mod log;
pub mod peer;
pub mod registry;
pub mod taxii;

use std::time::Duration;

use serde_json::Value;

use crate::NodeError;

pub use coop::CoopClient;
pub use gov::GovClient;
pub use registry::RegistryClient;
pub use taxii::{Credentials, ObjectsPage, PullReport, TaxiiClient};

/// How long a client waits: for the whole request, and for the connection.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub request: Duration,
    pub connect: Duration,
}

/// A `reqwest` client with the crypto provider installed first; `ca_pem` is trusted in
/// addition to the system's roots (e.g. a node's self-signed certificate).
pub fn build_http(
    ca_pem: Option<&[u8]>,
    timeouts: Option<Timeouts>,
) -> Result<reqwest::Client, NodeError> {
    crate::install_crypto_provider();
    let mut builder = reqwest::Client::builder();
    if let Some(t) = timeouts {
        builder = builder.timeout(t.request).connect_timeout(t.connect);
    }
    if let Some(pem) = ca_pem {
        let cert = reqwest::Certificate::from_pem(pem)
            .map_err(|e| NodeError::Setup(format!("bad CA certificate: {e}")))?;
        builder = builder.add_root_certificate(cert);
    }
    builder
        .build()
        .map_err(|e| NodeError::Setup(format!("cannot build the HTTP client: {e}")))
}

/// A node's error answer: the HTTP status and the body `{title, description, error_code,
/// http_status}`. `label` is the stable `error_code` (e.g. `coop-role-not-allowed`,
/// `auth-forbidden`) that callers may match on; a body that is not such an object (another
/// server, a proxy) leaves the fields empty and keeps what was read in `body`.
#[derive(Clone, Debug)]
pub struct ApiRefusal {
    pub url: String,
    pub status: reqwest::StatusCode,
    pub title: Option<String>,
    pub description: Option<String>,
    pub label: Option<String>,
    /// The answer as read: its JSON, or its text as a JSON string when it was not JSON.
    pub body: Value,
}

impl ApiRefusal {
    /// Reads an unsuccessful answer (a body that cannot be read counts as empty).
    pub async fn read(response: reqwest::Response) -> Self {
        let url = response.url().to_string();
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        Self::from_body(url, status, parse_body(text))
    }

    /// The refusal an answer's status and body make.
    pub fn from_body(url: String, status: reqwest::StatusCode, body: Value) -> Self {
        let field = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
        Self {
            title: field("title"),
            description: field("description"),
            label: field("error_code"),
            url,
            status,
            body,
        }
    }
}

/// `{description} ({status}, {label})`, e.g. `liaison may not draft (403, coop-role-not-allowed)`.
impl std::fmt::Display for ApiRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}, {})",
            self.description.as_deref().unwrap_or("refused"),
            self.status.as_u16(),
            self.label.as_deref().unwrap_or("?")
        )
    }
}

impl std::error::Error for ApiRefusal {}

/// Why a request to `url` did not get an answer, said so a user knows what to check: a refused
/// connection (is the node running at that address?), a time-out, or the error and its causes.
pub fn transport_error(url: &str, e: &reqwest::Error) -> String {
    let mut causes = Vec::new();
    let mut refused = false;
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            refused |= io.kind() == std::io::ErrorKind::ConnectionRefused;
        }
        let text = cause.to_string();
        if !causes.contains(&text) {
            causes.push(text);
        }
        source = cause.source();
    }
    let origin = reqwest::Url::parse(url)
        .ok()
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|| url.to_owned());
    if refused || (e.is_connect() && causes.iter().any(|c| c.contains("refused"))) {
        format!("connection refused at {origin}: is the node running, and is that its address?")
    } else if e.is_timeout() {
        format!("{url} did not answer in time")
    } else if e.is_connect() {
        format!("cannot connect to {origin}: {}", causes.join(": "))
    } else if causes.is_empty() {
        format!("{url}: {e}")
    } else {
        format!("{url}: {}", causes.join(": "))
    }
}

/// An answer's text as JSON, or as a JSON string when it is not JSON.
fn parse_body(text: String) -> Value {
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

/// Why a call of a node's API failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The request did not reach the node, or its answer could not be read.
    #[error("{0}")]
    Transport(String),
    /// The node answered with an error.
    #[error(transparent)]
    Refused(#[from] ApiRefusal),
}

impl ClientError {
    /// The node's stable label (`error_code`), when it answered one.
    pub fn label(&self) -> Option<&str> {
        match self {
            ClientError::Refused(r) => r.label.as_deref(),
            ClientError::Transport(_) => None,
        }
    }

    /// The HTTP status the node answered, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Refused(r) => Some(r.status.as_u16()),
            ClientError::Transport(_) => None,
        }
    }

    /// The refusal, when the node answered one.
    pub fn refusal(&self) -> Option<&ApiRefusal> {
        match self {
            ClientError::Refused(r) => Some(r),
            ClientError::Transport(_) => None,
        }
    }
}

/// Talking to another server failed: [`NodeError::Remote`], with the same message.
impl From<ClientError> for NodeError {
    fn from(e: ClientError) -> Self {
        NodeError::Remote(e.to_string())
    }
}
