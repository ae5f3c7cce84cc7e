//! A TAXII 2.1 client: discovery, collections, paging through objects (following `next`, and
//! resumable from the last `date_added` seen), and posting objects then waiting on the status.

use std::time::Duration;

use pacific_core::taxii::{Status, StatusState};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::Value;

use crate::NodeError;
use pacific_core::taxii::TAXII_MEDIA_TYPE;

/// How the client proves who it is.
// One value per client, made once: the signing key's size in the `Peer` variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Credentials {
    None,
    Bearer(String),
    Basic {
        user: String,
        password: String,
    },
    /// A federation peer: each request is signed with the peer's identity key
    /// (`Authorization: Pacific-Peer ...`, see `crate::federation::peer_auth`).
    Peer {
        sender: String,
        recipient: String,
        key: ed25519_dalek::SigningKey,
    },
}

/// One page of objects.
#[derive(Clone, Debug, Default)]
pub struct ObjectsPage {
    pub objects: Vec<Value>,
    pub more: bool,
    pub next: Option<String>,
    /// `X-TAXII-Date-Added-Last`: resume after this to get only newer objects.
    pub date_added_last: Option<String>,
    /// A Pacific node's answer to a peer: each object's origin and origin signature
    /// (`x_pacific_origins`, parallel to `objects`); empty when absent or malformed.
    pub origins: Vec<(String, String)>,
}

/// What a pull fetched.
#[derive(Clone, Debug, Default)]
pub struct PullReport {
    pub pages: u64,
    pub objects: u64,
    /// The latest `date_added` seen (or the one the pull started from when nothing was new).
    pub last_added: Option<String>,
}

pub struct TaxiiClient {
    http: reqwest::Client,
    discovery_url: String,
    credentials: Credentials,
}

impl TaxiiClient {
    /// A client for the server whose discovery URL is given (e.g. `http://127.0.0.1:9001/taxii2/`).
    /// `ca_pem` adds a trusted certificate (e.g. a node's self-signed one).
    pub fn new(
        discovery_url: &str,
        credentials: Credentials,
        ca_pem: Option<&[u8]>,
    ) -> Result<Self, NodeError> {
        let http = super::build_http(
            ca_pem,
            Some(super::Timeouts {
                request: Duration::from_secs(60),
                connect: Duration::from_secs(10),
            }),
        )?;
        let discovery_url = if discovery_url.ends_with('/') {
            discovery_url.to_owned()
        } else {
            format!("{discovery_url}/")
        };
        Ok(Self {
            http,
            discovery_url,
            credentials,
        })
    }

    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let builder = self
            .http
            .request(method, url)
            .header(ACCEPT, TAXII_MEDIA_TYPE);
        match &self.credentials {
            Credentials::None | Credentials::Peer { .. } => builder,
            Credentials::Bearer(token) => builder.bearer_auth(token),
            Credentials::Basic { user, password } => builder.basic_auth(user, Some(password)),
        }
    }

    async fn send(&self, builder: reqwest::RequestBuilder) -> Result<reqwest::Response, NodeError> {
        let mut request = builder
            .build()
            .map_err(|e| NodeError::Remote(format!("bad request: {e}")))?;
        if let Credentials::Peer {
            sender,
            recipient,
            key,
        } = &self.credentials
        {
            super::peer::sign(&mut request, key, sender, recipient)?;
        }
        let url = request.url().to_string();
        let response = self
            .http
            .execute(request)
            .await
            .map_err(|e| NodeError::Remote(super::transport_error(&url, &e)))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let refusal = super::ApiRefusal::read(response).await;
        let detail = refusal
            .body
            .get("description")
            .or_else(|| refusal.body.get("title"))
            .and_then(Value::as_str)
            .unwrap_or("");
        Err(NodeError::Remote(format!(
            "{} answered {}: {detail}",
            refusal.url, refusal.status
        )))
    }

    async fn get_json(
        &self,
        url: &str,
        query: &[(&str, String)],
    ) -> Result<(Value, reqwest::header::HeaderMap), NodeError> {
        let response = self
            .send(self.request(reqwest::Method::GET, url).query(query))
            .await?;
        let headers = response.headers().clone();
        let answered_at = response.url().to_string();
        let content_type = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("no content type")
            .to_owned();
        if !content_type.contains("json") {
            return Err(NodeError::Remote(not_taxii(
                url,
                &answered_at,
                &content_type,
            )));
        }
        let body = response
            .json()
            .await
            .map_err(|e| NodeError::Remote(format!("{url} did not answer TAXII JSON: {e}")))?;
        Ok((body, headers))
    }

    pub async fn discovery(&self) -> Result<Value, NodeError> {
        Ok(self.get_json(&self.discovery_url, &[]).await?.0)
    }

    /// The server's default API root URL (or its first one).
    pub async fn api_root(&self) -> Result<String, NodeError> {
        let d = self.discovery().await?;
        let root = d
            .get("default")
            .and_then(Value::as_str)
            .or_else(|| {
                d.get("api_roots")
                    .and_then(Value::as_array)
                    .and_then(|a| a.first())
                    .and_then(Value::as_str)
            })
            .ok_or_else(|| NodeError::Remote("the discovery resource names no API root".into()))?;
        let url = reqwest::Url::parse(&self.discovery_url)
            .and_then(|base| base.join(root))
            .map_err(|e| NodeError::Remote(format!("bad API root URL {root:?}: {e}")))?;
        let mut url = url.to_string();
        if !url.ends_with('/') {
            url.push('/');
        }
        Ok(url)
    }

    /// The collections of an API root.
    pub async fn collections(&self, api_root: &str) -> Result<Vec<Value>, NodeError> {
        let (body, _) = self
            .get_json(&format!("{api_root}collections/"), &[])
            .await?;
        Ok(body
            .get("collections")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default())
    }

    /// One page of a collection's objects.
    pub async fn objects_page(
        &self,
        api_root: &str,
        collection: &str,
        added_after: Option<&str>,
        next: Option<&str>,
        limit: Option<usize>,
    ) -> Result<ObjectsPage, NodeError> {
        let mut query = Vec::new();
        if let Some(a) = added_after {
            query.push(("added_after", a.to_owned()));
        }
        if let Some(n) = next {
            query.push(("next", n.to_owned()));
        }
        if let Some(l) = limit {
            query.push(("limit", l.to_string()));
        }
        let url = format!("{api_root}collections/{collection}/objects/");
        let (body, headers) = self.get_json(&url, &query).await?;
        let objects = match body.get("objects") {
            None => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(_) => {
                return Err(NodeError::Remote(format!(
                    "{url}: `objects` is not an array"
                )));
            }
        };
        let origins = body
            .get("x_pacific_origins")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|o| {
                        Some((
                            o.get("origin")?.as_str()?.to_owned(),
                            o.get("origin_signature")?.as_str()?.to_owned(),
                        ))
                    })
                    .collect::<Option<Vec<_>>>()
                    .filter(|v| v.len() == objects.len())
                    .unwrap_or_default()
            })
            .unwrap_or_default();
        Ok(ObjectsPage {
            origins,
            objects,
            more: body.get("more").and_then(Value::as_bool).unwrap_or(false),
            next: body.get("next").and_then(Value::as_str).map(str::to_owned),
            date_added_last: headers
                .get("x-taxii-date-added-last")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        })
    }

    /// Fetches every object added after `added_after`, page by page, handing each page to
    /// `on_page` before fetching the next (so a consumer can store as it goes and a crash
    /// loses at most one page of progress).
    pub async fn pull<F, Fut>(
        &self,
        collection: &str,
        added_after: Option<&str>,
        limit: Option<usize>,
        mut on_page: F,
    ) -> Result<PullReport, NodeError>
    where
        F: FnMut(ObjectsPage) -> Fut,
        Fut: std::future::Future<Output = Result<(), NodeError>>,
    {
        let api_root = self.api_root().await?;
        let mut report = PullReport {
            last_added: added_after.map(str::to_owned),
            ..Default::default()
        };
        let mut next: Option<String> = None;
        loop {
            let page = self
                .objects_page(&api_root, collection, added_after, next.as_deref(), limit)
                .await?;
            report.pages += 1;
            report.objects += page.objects.len() as u64;
            if page.date_added_last.is_some() {
                report.last_added.clone_from(&page.date_added_last);
            }
            next = page.next.clone();
            let more = page.more;
            on_page(page).await?;
            if !more {
                break;
            }
            if next.is_none() {
                return Err(NodeError::Remote(
                    "the server said more objects follow but gave no `next`".into(),
                ));
            }
        }
        Ok(report)
    }

    /// Posts objects to a collection and waits (up to `wait`) for the status to complete.
    pub async fn push(
        &self,
        collection: &str,
        objects: &[Value],
        wait: Duration,
    ) -> Result<Status, NodeError> {
        let api_root = self.api_root().await?;
        let url = format!("{api_root}collections/{collection}/objects/");
        let body = serde_json::json!({ "objects": objects }).to_string();
        let response = self
            .send(
                self.request(reqwest::Method::POST, &url)
                    .header(CONTENT_TYPE, TAXII_MEDIA_TYPE)
                    .body(body),
            )
            .await?;
        let mut status: Status = response.json().await.map_err(|e| {
            NodeError::Remote(format!("{url} did not answer a status resource: {e}"))
        })?;
        let deadline = std::time::Instant::now() + wait;
        while status.status == StatusState::Pending && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let (body, _) = self
                .get_json(&format!("{api_root}status/{}/", status.id), &[])
                .await?;
            status = serde_json::from_value(body)
                .map_err(|e| NodeError::Remote(format!("bad status resource: {e}")))?;
        }
        Ok(status)
    }
}

/// A server answered `url` with something that is not JSON (`answered_at` is where redirects
/// ended): most often a URL that is not a TAXII server's (a node's dashboard answers HTML).
fn not_taxii(url: &str, answered_at: &str, content_type: &str) -> String {
    let redirected = if answered_at == url {
        String::new()
    } else {
        format!(" (redirected to {answered_at})")
    };
    format!(
        "{url} answered {content_type}{redirected}, not TAXII JSON: is it a TAXII 2.1 discovery URL? \
         A Pacific node's ends in /taxii2/"
    )
}
