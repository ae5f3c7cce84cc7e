//! Pacific's node: the TAXII 2.1 server and client, users and access, configuration, the
//! data directory, ingest and metrics.
//!
//! Architecture invariant: this is the only crate that knows HTTP. Handlers are thin: they
//! parse, authorise, call the store or the core, and render. Domain rules live in
//! `pacific-core`; SQL lives in `pacific-store`.

pub mod auth;
pub mod client;
pub mod config;
pub mod coop;
pub mod datadir;
pub mod federation;
pub mod gov;
pub mod gov_observe;
pub mod http;
pub mod ingest;
pub mod log;
pub mod matching;
pub mod metrics;
pub mod principal;
pub mod registry;
pub mod server;
pub mod taxii;
pub mod throttle;
pub mod users;
pub mod wire;
pub mod witness;

pub use datadir::DataDir;
pub use server::Node;

use std::time::Duration;

/// Errors of node operations outside a request (set-up, ingest, client).
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The data directory, configuration or arguments are not usable.
    #[error("{0}")]
    Setup(String),
    /// The input (a bundle, a server's answer) is not acceptable.
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Store(#[from] pacific_store::StoreError),
    /// Talking to another server failed.
    #[error("{0}")]
    Remote(String),
}

/// Bytes from the operating system's random source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    bytes
}

/// Whether objects of this STIX type are made only by a service of the node, for a principal
/// whose role allows the command: cooperation acts and records (`coop`), governance acts
/// (`gov`), resource claims (`registry`). TAXII refuses to add or delete them: a user could
/// otherwise post an act the node replays as its party's own.
pub fn is_service_owned_type(type_name: &str) -> bool {
    coop::is_service_owned_type(type_name)
        || gov::is_service_owned_type(type_name)
        || registry::is_service_owned_type(type_name)
}

/// [`is_service_owned_type`] for an object as posted, and compliance reports besides (a
/// `report` carrying the compliance extension): only the governance service publishes this
/// party's observations of others.
pub fn is_service_owned(object: &serde_json::Value) -> bool {
    let type_name = object
        .get("type")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default();
    is_service_owned_type(type_name)
        || (type_name == "report"
            && object
                .get("extensions")
                .and_then(|e| e.get(pacific_gov::report::COMPLIANCE_EXTENSION_ID))
                .is_some())
}

/// 16 bytes as a version 4 UUID's text (the version and variant bits set).
fn uuid_text(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A random (version 4) UUID in its textual form.
pub fn new_uuid() -> String {
    uuid_text(random_bytes::<16>())
}

/// A name-based UUID: the first 16 bytes of the SHA-256 of `name`, with the version 4 bits set,
/// the same on every node (for ids derived from what they name).
pub fn name_uuid(name: &str) -> String {
    use sha2::Digest as _;
    let h = sha2::Sha256::digest(name.as_bytes());
    uuid_text(h[..16].try_into().expect("16 bytes of 32"))
}

/// Finds a collection by id or by alias.
pub async fn find_collection(
    store: &dyn pacific_store::Store,
    key: &str,
) -> Result<Option<pacific_store::Collection>, pacific_store::StoreError> {
    if let Some(c) = store.collection(key).await? {
        return Ok(Some(c));
    }
    Ok(store
        .collections()
        .await?
        .into_iter()
        .find(|c| c.alias.as_deref() == Some(key)))
}

/// Installs the process-wide TLS crypto provider (ring). Idempotent; call before building
/// any HTTP client or TLS server.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A default HTTP client, with the crypto provider installed first (reqwest is built without
/// one, and panics if none is installed).
pub fn http_client() -> reqwest::Client {
    install_crypto_provider();
    reqwest::Client::new()
}

/// Waits until the store's change counter ([`pacific_store::Store::changes`]) moved past
/// what `changes` last marked seen, or `at_most` passed: how background tasks wait with
/// nothing to do, instead of polling the database.
pub async fn changed_or(changes: &mut tokio::sync::watch::Receiver<u64>, at_most: Duration) {
    if let Ok(Err(_)) = tokio::time::timeout(at_most, changes.changed()).await {
        // The store is gone (its task is about to stop): wait out the time all the same.
        tokio::time::sleep(at_most).await;
    }
}
