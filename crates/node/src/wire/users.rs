//! The admin API's bodies (`/admin/users`): what a client sends to add a user, revoke a token
//! and change a role. Unknown fields are refused, so a typo is not silently ignored.

use serde::{Deserialize, Serialize};

/// `POST /admin/users`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddUser {
    pub name: String,
    /// `admin`, `analyst`, `liaison`, `reader` or `delegate`.
    pub role: String,
    /// When the token stops working: an RFC 3339 time or a duration such as `90d`.
    #[serde(default)]
    pub expires: Option<String>,
}

/// `POST /admin/users/{name}/revoke`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revoke {
    /// Issue a new token in place of the revoked one (returned once).
    #[serde(default)]
    pub reissue: bool,
    /// The new token's expiry (with `reissue` only).
    #[serde(default)]
    pub expires: Option<String>,
}

/// `POST /admin/users/{name}/role`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetRole {
    pub role: String,
}
