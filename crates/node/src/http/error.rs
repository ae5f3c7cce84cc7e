//! Every error the HTTP API can return, mapped in this one place to an HTTP status, a stable
//! label and a TAXII 2.1 error message (§3.6.1).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use pacific_core::taxii::TAXII_MEDIA_TYPE;

/// An API error. The label (`ApiError::label`) is stable: clients and tests may match on it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(
        "authentication is required: send `Authorization: Bearer <token>` or HTTP Basic with the token as password"
    )]
    Unauthenticated,
    /// A token was sent but is not one of this node's valid tokens. Same status and label as
    /// [`ApiError::Unauthenticated`] (a client learns nothing about which part was wrong), but
    /// a message that says a token was refused rather than missing.
    #[error(
        "the API token was not accepted: it is unknown, wrong, expired or revoked (ask the node's admin for a valid one)"
    )]
    TokenNotAccepted,
    /// Too many failed authentications from this client's address or with this token id
    /// (`crate::throttle`): refused without checking the token, with `Retry-After`.
    #[error(
        "too many failed authentications from this address or with this token; retry after {retry_after} s"
    )]
    TooManyFailedAuthentications { retry_after: u64 },
    /// The node's argon2 budget for clients from addresses without a recent success is spent
    /// for the moment (see `crate::throttle::Argon2Budget`).
    #[error(
        "too many authentications from addresses this node does not know; retry after {retry_after} s"
    )]
    AuthenticationBusy { retry_after: u64 },
    #[error("{user} may not {action}")]
    Forbidden { user: String, action: String },
    /// A dashboard form posted without the session's anti-forgery token, or with another
    /// (403 `form-token-missing`): not acted on.
    #[error(
        "this form did not come from this node's dashboard in your session (its anti-forgery token is missing or wrong); reload the page and send it again"
    )]
    FormNotFromDashboard,
    /// A route that is not in the authorisation table (`crate::authz::ROUTES`): refused, so no
    /// route is served before it states who may call it.
    #[error("route {0} has no authorisation rule")]
    RouteWithoutRule(String),
    /// More objects in one TAXII POST than the node takes (413).
    #[error("{0}")]
    TooManyObjects(String),
    /// A `POST /match` stopped at a bound of `[matching]` (413 `match-input-too-large`,
    /// `match-time-exceeded`).
    #[error("{message}")]
    MatchBounded {
        label: &'static str,
        message: String,
    },
    /// An object type that only a service of this node creates (cooperation acts), posted or
    /// deleted over TAXII.
    #[error("{0}")]
    ServiceOwnedType(String),
    #[error("{0} not found")]
    NotFound(String),
    /// Removing or demoting the node's only admin (409).
    #[error("{0}")]
    LastAdmin(String),
    /// What a request would create exists already (409).
    #[error("{0} already exists")]
    AlreadyExists(String),
    #[error(
        "cannot answer with any media type in Accept: {0:?}; this server speaks application/taxii+json;version=2.1"
    )]
    NotAcceptable(String),
    #[error("request body must be application/taxii+json;version=2.1, not {0:?}")]
    UnsupportedMediaType(String),
    #[error("request body exceeds the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// The request body did not arrive in time (`server.body_timeout_secs`, `min_body_rate`).
    #[error("the request body did not arrive in time")]
    BodyTimeout,
    /// Request bodies held at once reached `server.max_body_bytes_in_flight` (503, with
    /// `Retry-After`).
    #[error("the node holds as many request bodies as it may; retry after {retry_after} s")]
    ServerBusy { retry_after: u64 },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// Two histories of one log (409 `log-conflict`): the answer carries the checkpoint kept
    /// as the truth (`latest_seen`) and, when there is any, the evidence kept.
    #[error("{message}")]
    LogConflict {
        message: String,
        evidence: Option<Box<pacific_store::SplitViewEvidence>>,
        latest: String,
    },
    /// A cooperation command refused by `pacific_coop` (see [`ApiError::coop_label`]).
    #[error("{0}")]
    Coop(pacific_coop::CoopError),
    /// A cooperation act the node's policy gate holds back from a party of the record (409
    /// `coop-held-back`): nothing was stored or sent.
    #[error("{0}")]
    CoopHeldBack(String),
    /// A cooperation command naming a party this node does not know (422
    /// `coop-unknown-party`, listing the known ones) or objects it does not hold (422
    /// `coop-unknown-object`).
    #[error("{message}")]
    CoopUnknown {
        label: &'static str,
        message: String,
    },
    /// A governance command refused (`label`: `gov-*`, see `From<GovServiceError>`).
    #[error("{message}")]
    Gov {
        status: StatusCode,
        label: &'static str,
        message: String,
    },
    /// A registry command refused (`label`: `registry-*`, see `From<RegistryError>`).
    #[error("{message}")]
    Registry {
        status: StatusCode,
        label: &'static str,
        message: String,
    },
    /// A federation envelope refused (`label`: `envelope-*`): 401 when the sender is not
    /// authenticated, 413 when it carries too many objects, 403 otherwise.
    #[error("{message}")]
    PeerRejected {
        label: &'static str,
        status: StatusCode,
        message: String,
    },
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated | ApiError::TokenNotAccepted => StatusCode::UNAUTHORIZED,
            ApiError::TooManyFailedAuthentications { .. } | ApiError::AuthenticationBusy { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::Forbidden { .. }
            | ApiError::ServiceOwnedType(_)
            | ApiError::FormNotFromDashboard => StatusCode::FORBIDDEN,
            ApiError::RouteWithoutRule(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::LastAdmin(_) | ApiError::AlreadyExists(_) => StatusCode::CONFLICT,
            ApiError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge { .. }
            | ApiError::TooManyObjects(_)
            | ApiError::MatchBounded { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::ServerBusy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unprocessable(_) | ApiError::CoopUnknown { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::LogConflict { .. } | ApiError::CoopHeldBack(_) => StatusCode::CONFLICT,
            ApiError::PeerRejected { status, .. }
            | ApiError::Gov { status, .. }
            | ApiError::Registry { status, .. } => *status,
            ApiError::Coop(e) => match Self::coop_label(e) {
                "coop-role-not-allowed" | "coop-wrong-party" => StatusCode::FORBIDDEN,
                "coop-illegal-transition"
                | "coop-deadline-passed"
                | "coop-tampered"
                | "coop-act-conflict" => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            },
        }
    }

    /// The label of a cooperation refusal: the role may not (403 `coop-role-not-allowed`),
    /// another party must act (403 `coop-wrong-party`), not in this state (409
    /// `coop-illegal-transition`), too late (409 `coop-deadline-passed`), an attachment's digest
    /// differs (409 `coop-tampered`, the flag is on record), or the input is missing or wrong
    /// (422 `coop-invalid`, naming the fields).
    pub fn coop_label(e: &pacific_coop::CoopError) -> &'static str {
        use pacific_coop::CoopError as E;
        match e {
            E::RoleNotAllowed { .. } => "coop-role-not-allowed",
            E::WrongParty { .. } => "coop-wrong-party",
            E::IllegalTransition { .. } => "coop-illegal-transition",
            E::DeadlinePassed { .. } => "coop-deadline-passed",
            E::Tampered { .. } => "coop-tampered",
            E::MissingFields { .. }
            | E::InvalidInput { .. }
            | E::DeadlineInPast { .. }
            | E::UnknownAttachment(_)
            | E::InvalidId(_)
            | E::BadEvent(_)
            | E::Stix { .. } => "coop-invalid",
            E::Superseded(_) => "coop-act-conflict",
        }
    }

    /// Stable machine-readable label, sent as the TAXII `error_code`.
    pub fn label(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated | ApiError::TokenNotAccepted => "auth-required",
            ApiError::TooManyFailedAuthentications { .. } => "too-many-failed-authentications",
            ApiError::AuthenticationBusy { .. } => "authentication-busy",
            ApiError::Forbidden { .. } => "auth-forbidden",
            ApiError::FormNotFromDashboard => "form-token-missing",
            ApiError::RouteWithoutRule(_) => "route-without-rule",
            ApiError::ServiceOwnedType(_) => "service-owned-type",
            ApiError::NotFound(_) => "not-found",
            ApiError::LastAdmin(_) => "last-admin",
            ApiError::AlreadyExists(_) => "already-exists",
            ApiError::NotAcceptable(_) => "media-type-not-acceptable",
            ApiError::UnsupportedMediaType(_) => "media-type-unsupported",
            ApiError::PayloadTooLarge { .. } => "body-too-large",
            ApiError::BodyTimeout => "body-timeout",
            ApiError::ServerBusy { .. } => "server-busy",
            ApiError::TooManyObjects(_) => "too-many-objects",
            ApiError::MatchBounded { label, .. } => label,
            ApiError::BadRequest(_) => "bad-request",
            ApiError::Unprocessable(_) => "unprocessable",
            ApiError::Internal(_) => "internal",
            ApiError::PeerRejected { label, .. } => label,
            ApiError::LogConflict { .. } => "log-conflict",
            ApiError::Coop(e) => Self::coop_label(e),
            ApiError::CoopHeldBack(_) => "coop-held-back",
            ApiError::CoopUnknown { label, .. } => label,
            ApiError::Gov { label, .. } => label,
            ApiError::Registry { label, .. } => label,
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated | ApiError::TokenNotAccepted => "Authentication required",
            ApiError::TooManyFailedAuthentications { .. } => "Too many failed authentications",
            ApiError::AuthenticationBusy { .. } => "Too many authentications",
            ApiError::Forbidden { .. }
            | ApiError::ServiceOwnedType(_)
            | ApiError::FormNotFromDashboard => "Forbidden",
            ApiError::RouteWithoutRule(_) => "Internal server error",
            ApiError::NotFound(_) => "Not found",
            ApiError::LastAdmin(_) | ApiError::AlreadyExists(_) => "Conflict",
            ApiError::NotAcceptable(_) => "Not acceptable",
            ApiError::UnsupportedMediaType(_) => "Unsupported media type",
            ApiError::PayloadTooLarge { .. }
            | ApiError::TooManyObjects(_)
            | ApiError::MatchBounded { .. } => "Request too large",
            ApiError::BodyTimeout => "Request timeout",
            ApiError::ServerBusy { .. } => "Service unavailable",
            ApiError::BadRequest(_) => "Bad request",
            ApiError::Unprocessable(_) => "Unprocessable request",
            ApiError::Internal(_) => "Internal server error",
            ApiError::PeerRejected { .. } => "Envelope rejected",
            ApiError::LogConflict { .. } => "Conflict",
            ApiError::Coop(_) => "Cooperation command refused",
            ApiError::CoopHeldBack(_) => "Held back by the export policy",
            ApiError::CoopUnknown { .. } => "Cooperation command refused",
            ApiError::Gov { .. } => "Governance command refused",
            ApiError::Registry { .. } => "Registry command refused",
        }
    }
}

impl From<crate::coop::CoopServiceError> for ApiError {
    fn from(e: crate::coop::CoopServiceError) -> Self {
        use crate::coop::CoopServiceError as E;
        match e {
            E::Refused(e) => ApiError::Coop(e),
            E::NotAUser(user) => ApiError::Forbidden {
                user,
                action: "use cooperation records (peers exchange acts through the federation)"
                    .into(),
            },
            E::UnknownRecord(id) => ApiError::NotFound(format!("record {id}")),
            e @ E::HeldBack { .. } => ApiError::CoopHeldBack(e.to_string()),
            e @ E::UnknownParty { .. } => ApiError::CoopUnknown {
                label: "coop-unknown-party",
                message: e.to_string(),
            },
            e @ E::UnknownObjects(_) => ApiError::CoopUnknown {
                label: "coop-unknown-object",
                message: e.to_string(),
            },
            E::Store(e) => e.into(),
            E::Internal(m) => ApiError::Internal(m),
        }
    }
}

impl From<crate::gov::GovServiceError> for ApiError {
    fn from(e: crate::gov::GovServiceError) -> Self {
        use crate::gov::GovServiceError as E;
        use pacific_gov::state::GovError as R;
        let gov = |status, label| ApiError::Gov {
            status,
            label,
            message: e.to_string(),
        };
        match &e {
            E::NoCharter => gov(StatusCode::CONFLICT, "gov-no-charter"),
            E::NotAUser(_) | E::MayNotGovern { .. } => ApiError::Forbidden {
                user: match &e {
                    E::NotAUser(u) | E::MayNotGovern { user: u, .. } => u.clone(),
                    _ => String::new(),
                },
                action: "act for the party in governance (a delegate or an admin does)".into(),
            },
            E::UnknownProposal(_) | E::UnknownMember(_) => ApiError::NotFound(e.to_string()),
            E::HeldBack { .. } => gov(StatusCode::CONFLICT, "gov-held-back"),
            E::Invalid(_) => gov(StatusCode::UNPROCESSABLE_ENTITY, "gov-invalid"),
            E::Report(_) => gov(StatusCode::UNPROCESSABLE_ENTITY, "gov-invalid-report"),
            E::Refused(r) => match r {
                R::NotAMember(_) => gov(StatusCode::FORBIDDEN, "gov-not-a-member"),
                R::NotInGoodStanding { .. } => {
                    gov(StatusCode::FORBIDDEN, "gov-not-in-good-standing")
                }
                R::NotASponsor(_) => gov(StatusCode::FORBIDDEN, "gov-not-a-sponsor"),
                R::UnknownProposal(_) => ApiError::NotFound(e.to_string()),
                R::Closed(_) => gov(StatusCode::CONFLICT, "gov-proposal-closed"),
                R::NotInDeliberation(_) => gov(StatusCode::CONFLICT, "gov-not-in-deliberation"),
                R::VoteOutsidePeriod => gov(StatusCode::CONFLICT, "gov-voting-not-open"),
                R::KindChanged(_) | R::InvalidChange(_) => {
                    gov(StatusCode::UNPROCESSABLE_ENTITY, "gov-invalid-change")
                }
                R::BeforeFounding | R::NotItsOwn { .. } => {
                    gov(StatusCode::CONFLICT, "gov-act-refused")
                }
            },
            E::Store(_) | E::Internal(_) => match e {
                E::Store(s) => s.into(),
                other => ApiError::Internal(other.to_string()),
            },
        }
    }
}

impl From<crate::registry::RegistryError> for ApiError {
    fn from(e: crate::registry::RegistryError) -> Self {
        use crate::registry::RegistryError as E;
        let refused = |status, label| ApiError::Registry {
            status,
            label,
            message: e.to_string(),
        };
        match &e {
            E::NotAUser(user) | E::MayNotClaim { user, .. } => ApiError::Forbidden {
                user: user.clone(),
                action: "claim resources for the party (a delegate or an admin does)".into(),
            },
            E::Invalid(_) => refused(StatusCode::UNPROCESSABLE_ENTITY, "registry-invalid"),
            E::Claim(_) => refused(StatusCode::UNPROCESSABLE_ENTITY, "registry-claim-refused"),
            E::UnknownClaim(_) => ApiError::NotFound(e.to_string()),
            E::NotOurs { .. } => refused(StatusCode::FORBIDDEN, "registry-not-ours"),
            E::AlreadyRevoked(_) => refused(StatusCode::CONFLICT, "registry-already-revoked"),
            E::Store(_) | E::Internal(_) => match e {
                E::Store(s) => s.into(),
                other => ApiError::Internal(other.to_string()),
            },
        }
    }
}

impl From<crate::log::LogReadError> for ApiError {
    fn from(e: crate::log::LogReadError) -> Self {
        use crate::log::LogReadError as E;
        match e {
            E::BadRange(m) => ApiError::BadRequest(m),
            E::Store(e) => e.into(),
            E::Internal(m) => ApiError::Internal(m),
        }
    }
}

impl From<crate::taxii::TaxiiError> for ApiError {
    fn from(e: crate::taxii::TaxiiError) -> Self {
        use crate::taxii::TaxiiError as E;
        match e {
            E::UnknownCollection(key) => ApiError::NotFound(format!("collection {key}")),
            E::UnknownObject { object, collection } => {
                ApiError::NotFound(format!("object {object} in collection {collection}"))
            }
            E::UnknownStatus(id) => ApiError::NotFound(format!("status {id}")),
            E::Forbidden { who, action } => ApiError::Forbidden { user: who, action },
            E::ServiceOwned(m) => ApiError::ServiceOwnedType(m),
            e @ E::TooManyObjects { .. } => ApiError::TooManyObjects(e.to_string()),
            E::Store(e) => e.into(),
        }
    }
}

impl From<crate::users::UserError> for ApiError {
    fn from(e: crate::users::UserError) -> Self {
        use crate::users::UserError as E;
        match e {
            E::UnknownUser(name) => ApiError::NotFound(format!("user {name:?}")),
            E::UnknownCollection(key) => ApiError::NotFound(format!("collection {key}")),
            E::Invalid(m) => ApiError::Unprocessable(m),
            e @ E::LastAdmin(_) => ApiError::LastAdmin(e.to_string()),
            E::AlreadyExists(what) => ApiError::AlreadyExists(what),
            E::Store(e) => e.into(),
        }
    }
}

impl From<crate::matching::MatchError> for ApiError {
    fn from(e: crate::matching::MatchError) -> Self {
        match e {
            crate::matching::MatchError::Input(m) => {
                ApiError::BadRequest(format!("cannot read the body: {m}"))
            }
            e @ crate::matching::MatchError::InputTooLarge { .. } => ApiError::MatchBounded {
                label: "match-input-too-large",
                message: e.to_string(),
            },
            e @ crate::matching::MatchError::TimeExceeded { .. } => ApiError::MatchBounded {
                label: "match-time-exceeded",
                message: e.to_string(),
            },
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<crate::federation::inbox::InboxError> for ApiError {
    fn from(e: crate::federation::inbox::InboxError) -> Self {
        use crate::federation::inbox::InboxError as E;
        match e {
            E::Rejected(r) => ApiError::PeerRejected {
                label: r.label(),
                status: if r.is_unauthenticated() {
                    StatusCode::UNAUTHORIZED
                } else if matches!(
                    r,
                    crate::federation::envelope::EnvelopeRejection::TooManyObjects { .. }
                ) {
                    StatusCode::PAYLOAD_TOO_LARGE
                } else {
                    StatusCode::FORBIDDEN
                },
                message: r.to_string(),
            },
            E::Store(e) => e.into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<crate::witness::WitnessError> for ApiError {
    fn from(e: crate::witness::WitnessError) -> Self {
        use crate::witness::WitnessError as E;
        match e {
            E::Unverifiable(m) => ApiError::BadRequest(m),
            E::Inconsistent(m) => ApiError::Unprocessable(m),
            E::Proof(e) => ApiError::BadRequest(e.to_string()),
            E::NotAPeer(who) => ApiError::Forbidden {
                user: who,
                action: "present a checkpoint (not a registered peer)".into(),
            },
            E::Conflict {
                message,
                evidence,
                latest,
            } => ApiError::LogConflict {
                message,
                evidence,
                latest,
            },
            E::Store(e) => e.into(),
        }
    }
}

impl From<crate::log::CosignatureRefused> for ApiError {
    fn from(e: crate::log::CosignatureRefused) -> Self {
        use crate::log::CosignatureRefused as E;
        match e {
            E::NotAllowed { witness, action } => ApiError::Forbidden {
                user: witness,
                action,
            },
            E::Invalid(m) => ApiError::BadRequest(m),
            E::AnotherHistory {
                message,
                evidence,
                latest,
            } => ApiError::LogConflict {
                message,
                evidence: Some(evidence),
                latest,
            },
            E::Store(e) => e.into(),
            E::Internal(m) => ApiError::Internal(m),
        }
    }
}

impl From<pacific_store::StoreError> for ApiError {
    fn from(e: pacific_store::StoreError) -> Self {
        match e {
            pacific_store::StoreError::UnknownCollection(id) => {
                ApiError::NotFound(format!("collection {id}"))
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<crate::auth::AuthError> for ApiError {
    /// A locked-out client gets 429; every other failure answers 401 alike.
    fn from(e: crate::auth::AuthError) -> Self {
        match e {
            crate::auth::AuthError::LockedOut(wait) => ApiError::TooManyFailedAuthentications {
                retry_after: wait.seconds(),
            },
            crate::auth::AuthError::Busy(wait) => ApiError::AuthenticationBusy {
                retry_after: wait.seconds(),
            },
            crate::auth::AuthError::Missing | crate::auth::AuthError::Malformed => {
                ApiError::Unauthenticated
            }
            crate::auth::AuthError::BadToken => ApiError::TokenNotAccepted,
        }
    }
}

impl From<pacific_coop::CoopError> for ApiError {
    fn from(e: pacific_coop::CoopError) -> Self {
        ApiError::Coop(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = match &self {
            ApiError::TooManyFailedAuthentications { retry_after }
            | ApiError::AuthenticationBusy { retry_after }
            | ApiError::ServerBusy { retry_after } => Some(*retry_after),
            _ => None,
        };
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut body = json!({
            "title": self.title(),
            "description": self.to_string(),
            "error_code": self.label(),
            "http_status": status.as_u16().to_string(),
        });
        if let ApiError::LogConflict {
            evidence, latest, ..
        } = &self
        {
            body["latest_seen"] = json!(latest);
            body["evidence"] = evidence.as_ref().map_or(serde_json::Value::Null, |e| {
                json!({
                    "id": e.id,
                    "origin": e.origin,
                    "detected": e.detected.as_str(),
                    "reason": e.reason,
                    "kept_checkpoint": e.kept_note,
                    "presented_checkpoint": e.new_note,
                })
            });
        }
        let mut response = (status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(TAXII_MEDIA_TYPE),
        );
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"pacific\", Bearer"),
            );
        }
        if let Some(secs) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
