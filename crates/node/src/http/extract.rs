//! Extractors shared by the APIs: a request body read up to a limit, the TAXII body (media
//! type and size), and typed query strings whose errors are API errors like any other.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::http::error::ApiError;
use crate::http::state::AppState;

/// A request body not read yet, with its declared length: [`LimitedBody::read`] takes at most
/// a limit the handler knows (413 beyond it, before reading when the declared length says so).
pub struct LimitedBody {
    declared: Option<usize>,
    body: Body,
}

impl<S: Send + Sync> FromRequest<S> for LimitedBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        Ok(Self {
            declared,
            body: request.into_body(),
        })
    }
}

impl LimitedBody {
    /// The whole body, if it is at most `limit` bytes.
    pub async fn read(self, limit: usize) -> Result<Bytes, ApiError> {
        if self.declared.is_some_and(|n| n > limit) {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        axum::body::to_bytes(self.body, limit)
            .await
            .map_err(|_| ApiError::PayloadTooLarge { limit })
    }
}

/// A TAXII request body: `Content-Type` must be TAXII 2.1 JSON (415 otherwise), at most the
/// node's `server.max_content_length` (413).
pub struct TaxiiBody(pub Bytes);

impl FromRequest<AppState> for TaxiiBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !is_taxii_content_type(content_type) {
            return Err(ApiError::UnsupportedMediaType(content_type.to_owned()));
        }
        let limit = state.config().server.max_content_length;
        let body = LimitedBody::from_request(request, state).await?;
        Ok(Self(body.read(limit).await?))
    }
}

/// Whether a `Content-Type` value is TAXII 2.1 JSON.
pub fn is_taxii_content_type(value: &str) -> bool {
    let mut parts = value.split(';').map(str::trim);
    let media = parts.next().unwrap_or_default();
    media.eq_ignore_ascii_case("application/taxii+json")
        && parts.all(|p| {
            let p = p.replace(' ', "").to_ascii_lowercase();
            !p.starts_with("version=") || p == "version=2.1"
        })
}

/// A query string read into `T`; a missing, unknown-typed or malformed parameter is 400
/// `bad-request` with the reason.
pub struct TypedQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for TypedQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| Self(q))
            .map_err(|e| ApiError::BadRequest(format!("bad query string: {}", e.body_text())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_must_be_taxii() {
        assert!(is_taxii_content_type("application/taxii+json;version=2.1"));
        assert!(is_taxii_content_type("application/taxii+json"));
        assert!(!is_taxii_content_type("application/json"));
        assert!(!is_taxii_content_type("application/taxii+json;version=2.0"));
        assert!(!is_taxii_content_type(""));
    }

    proptest::proptest! {
        /// Media-type parsing reads outside input: it must never panic.
        #[test]
        fn any_content_type_is_judged(value in "\\PC{0,120}") {
            let _ = is_taxii_content_type(&value);
        }
    }
}
