//! A node's client of its peers: requests signed with the node's identity key (the
//! `Pacific-Peer` header, `crate::wire::peer_header`) and the delivery of envelopes to a peer's
//! inbox. What the answers mean (an ack's signature and receipt, a checkpoint's consistency)
//! is for the caller to judge.

use ed25519_dalek::SigningKey;
use pacific_core::Timestamp;
use pacific_store::Peer;

use crate::NodeError;

/// Requests from this node (`local`, signing with `key`) to one `peer`.
pub struct PeerClient<'a> {
    pub http: &'a reqwest::Client,
    pub key: &'a SigningKey,
    pub local: &'a str,
    pub peer: &'a Peer,
}

impl PeerClient<'_> {
    fn url(&self, path: &str, query: &str) -> String {
        let base = self.peer.url.trim_end_matches('/');
        if query.is_empty() {
            format!("{base}{path}")
        } else {
            format!("{base}{path}?{query}")
        }
    }

    /// A signed `method path?query` with an optional JSON `body`; the answer's text when it is
    /// a success, else an error naming the request and the answer.
    pub async fn signed(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: Option<String>,
    ) -> Result<String, NodeError> {
        let url = self.url(path, query);
        let m = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|e| NodeError::Remote(format!("{method} {url}: {e}")))?;
        let mut builder = self.http.request(m, &url);
        if let Some(body) = body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let mut request = builder
            .build()
            .map_err(|e| NodeError::Remote(format!("{method} {url}: {e}")))?;
        sign(
            &mut request,
            self.key,
            self.local,
            self.peer.party_id.as_str(),
        )?;
        let response = self
            .http
            .execute(request)
            .await
            .map_err(|e| NodeError::Remote(format!("{method} {url}: {e}")))?;
        success(response, &format!("{method} {url}")).await
    }

    /// Posts an envelope (its JSON text) to the peer's inbox; the answer's text (the ack) when
    /// it is a success.
    pub async fn deliver(&self, envelope: String) -> Result<String, NodeError> {
        let url = self.url(crate::wire::envelope::INBOX_PATH, "");
        let response = self
            .http
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(envelope)
            .send()
            .await
            .map_err(|e| NodeError::Remote(super::transport_error(&url, &e)))?;
        success(response, &url).await
    }
}

/// Signs `request` as party `sender` (with `key`) for party `recipient`: the `Pacific-Peer`
/// header over the method, path and query exactly as they go on the wire.
pub fn sign(
    request: &mut reqwest::Request,
    key: &SigningKey,
    sender: &str,
    recipient: &str,
) -> Result<(), NodeError> {
    let url = request.url();
    let auth = crate::wire::peer_header::authorization(
        key,
        sender,
        recipient,
        request.method().as_str(),
        url.path(),
        url.query().unwrap_or(""),
        Timestamp::now().unix().0,
    );
    let value = reqwest::header::HeaderValue::from_str(&auth)
        .map_err(|e| NodeError::Remote(e.to_string()))?;
    request
        .headers_mut()
        .insert(reqwest::header::AUTHORIZATION, value);
    Ok(())
}

/// The text of a successful answer, or an error with the status and the text.
async fn success(response: reqwest::Response, what: &str) -> Result<String, NodeError> {
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| NodeError::Remote(format!("{what}: {e}")))?;
    if !status.is_success() {
        return Err(NodeError::Remote(format!(
            "{what} answered {status}: {}",
            text.trim()
        )));
    }
    Ok(text)
}
