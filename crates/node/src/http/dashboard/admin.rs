//! The admin's pages: `/users` (add a user and see the new token once, change a role, revoke
//! and re-issue a token, remove a user — the [`crate::users::Users`] service, as the
//! `/admin/users` API), `/policy` (the export policy in force: its default, sharing groups and
//! rules; its text, a draft checked by the policy's own parser, and applied —
//! [`crate::federation::Federation::apply_policy_text`]) and adding a peer from `/peers`,
//! after the admin confirms the key's fingerprint read out by the peer's operator.
//! Every user may read `/policy`; only admins see and use the forms (the authorisation table).

use std::fmt::Write as _;
use std::str::FromStr;

use axum::extract::State;
use axum::response::Response;
use pacific_core::access::Role;
use pacific_core::party::StakeholderType;
use pacific_core::policy::ExportPolicy;

use super::html::csrf_field;
use super::names::Names;
use super::{Form, Viewer, error_page, esc, page, see_other_to, short_time};
use crate::NodeError;
use crate::federation::key_fingerprint;
use crate::federation::peers::PeerSpec;
use crate::http::authz::rule_for;
use crate::http::error::ApiError;
use crate::http::state::AppState;

fn node_err(e: NodeError) -> ApiError {
    match e {
        NodeError::Input(m) => ApiError::Unprocessable(m),
        NodeError::Store(e) => e.into(),
        other => ApiError::Internal(other.to_string()),
    }
}

/// Whether the table lets the viewer post to `path`.
fn may_post(viewer: &Viewer, path: &str) -> bool {
    rule_for(&axum::http::Method::POST, path).is_ok_and(|r| r.access.admits(viewer.who.caller()))
}

fn role_select(name: &str, chosen: Option<Role>) -> String {
    let mut out = format!("<select name=\"{name}\" aria-label=\"Role\">");
    for r in Role::ALL {
        let sel = if Some(r) == chosen { " selected" } else { "" };
        let _ = write!(out, "<option{sel}>{}</option>", r.as_str());
    }
    out.push_str("</select>");
    out
}

// ---------------------------------------------------------------------------------------------
// Users

pub(super) async fn users_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    match render_users(&state, &viewer, "").await {
        Ok(main) => page(&state, &viewer, "/users", "Users", &main),
        Err(e) => error_page(&state, &viewer, e),
    }
}

/// The users, with a form per act; `notice` (HTML) on top.
async fn render_users(state: &AppState, viewer: &Viewer, notice: &str) -> Result<String, ApiError> {
    let users = state.users().list().await?;
    let csrf = csrf_field(viewer);
    let mut main = format!(
        "<h1>Users</h1>{notice}<section class=\"card\"><table id=\"users\"><thead><tr>\
         <th>User</th><th>Role</th><th>Token</th><th>Change</th></tr></thead><tbody>"
    );
    for u in &users {
        let token = match (&u.revoked, &u.expires) {
            (Some(at), _) => format!("revoked {}", esc(&short_time(at.as_str()))),
            (None, Some(until)) => format!(
                "<code>{}</code>, expires {}",
                esc(&u.token_id),
                esc(&short_time(until.as_str()))
            ),
            (None, None) => format!("<code>{}</code>", esc(&u.token_id)),
        };
        let name = esc(&u.name);
        let _ = write!(
            main,
            "<tr data-user=\"{name}\"><td><b>{name}</b></td><td>{}</td><td>{token}</td><td class=\"acts\">\
             <form method=\"post\" action=\"/users\">{csrf}<input type=\"hidden\" name=\"what\" value=\"role\">\
             <input type=\"hidden\" name=\"name\" value=\"{name}\">{}<button type=\"submit\">Set role</button></form>\
             <form method=\"post\" action=\"/users\">{csrf}<input type=\"hidden\" name=\"what\" value=\"reissue\">\
             <input type=\"hidden\" name=\"name\" value=\"{name}\"><button type=\"submit\">New token</button></form>\
             <form method=\"post\" action=\"/users\">{csrf}<input type=\"hidden\" name=\"what\" value=\"revoke\">\
             <input type=\"hidden\" name=\"name\" value=\"{name}\"><button type=\"submit\">Revoke</button></form>\
             <form method=\"post\" action=\"/users\">{csrf}<input type=\"hidden\" name=\"what\" value=\"remove\">\
             <input type=\"hidden\" name=\"name\" value=\"{name}\"><label class=\"check\"><input type=\"checkbox\" \
             name=\"sure\" value=\"yes\" required> sure</label><button type=\"submit\">Remove</button></form></td></tr>",
            u.role.as_str(),
            role_select("role", Some(u.role)),
        );
    }
    let _ = write!(
        main,
        "</tbody></table></section><section class=\"card\"><h2>Add a user</h2>\
         <form class=\"filters\" method=\"post\" action=\"/users\" id=\"add-user\">{csrf}\
         <input type=\"hidden\" name=\"what\" value=\"add\"><label>Name<input name=\"name\" required \
         pattern=\"[A-Za-z0-9._@-]{{1,64}}\"></label><label>Role{}</label>\
         <button type=\"submit\" class=\"primary\">Add</button></form>\
         <p class=\"muted\">The new token is shown once: hand it over by a channel you trust.</p></section>",
        role_select("role", Some(Role::Reader)),
    );
    Ok(main)
}

pub(super) async fn users_act(State(state): State<AppState>, form: Form) -> Response {
    let viewer = &form.viewer;
    let actor = viewer.who.actor();
    let name = form.field("name");
    let users = state.users();
    let done: Result<String, ApiError> = async {
        let role = || Role::from_str(form.field("role")).map_err(ApiError::BadRequest);
        Ok(match form.field("what") {
            "add" => {
                let issued = users.add(&actor, name, role()?, None).await?;
                format!(
                    "User <b>{}</b> added. Their token, shown this once: <code id=\"new-token\">{}</code>",
                    esc(name),
                    esc(&issued.token)
                )
            }
            "role" => {
                let role = role()?;
                let changed = users.set_role(&actor, name, role).await?;
                format!(
                    "<b>{}</b> {} {}.",
                    esc(name),
                    if changed { "is now" } else { "was already" },
                    role.as_str()
                )
            }
            "reissue" => {
                let revoked = users.revoke(&actor, name, true, None).await?;
                let token = revoked.issued.map(|i| i.token).unwrap_or_default();
                format!(
                    "<b>{}</b>'s old token no longer works. The new one, shown this once: <code id=\"new-token\">{}</code>",
                    esc(name),
                    esc(&token)
                )
            }
            "revoke" => {
                users.revoke(&actor, name, false, None).await?;
                format!("<b>{}</b>'s token no longer works; their sessions ended.", esc(name))
            }
            "remove" if form.field("sure") == "yes" => {
                users.remove(&actor, name).await?;
                format!("<b>{}</b> removed.", esc(name))
            }
            "remove" => return Err(ApiError::BadRequest("tick \"sure\" to remove a user".into())),
            other => return Err(ApiError::BadRequest(format!("{other:?} is not a change of users"))),
        })
    }
    .await;
    match done {
        Ok(notice) => {
            tracing::info!(user = %viewer.who, target = name, what = form.field("what"), "dashboard: users changed");
            let notice = format!("<p class=\"notice\" id=\"notice\" role=\"status\">{notice}</p>");
            match render_users(&state, viewer, &notice).await {
                Ok(main) => page(&state, viewer, "/users", "Users", &main),
                Err(e) => error_page(&state, viewer, e),
            }
        }
        Err(e) => error_page(&state, viewer, e),
    }
}

// ---------------------------------------------------------------------------------------------
// The export policy

pub(super) async fn policy_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let text = match state.federation().policy_text() {
        Ok(t) => t,
        Err(e) => return error_page(&state, &viewer, node_err(e)),
    };
    match render_policy(&state, &viewer, &text, "").await {
        Ok(main) => page(&state, &viewer, "/policy", "Export policy", &main),
        Err(e) => error_page(&state, &viewer, e),
    }
}

/// The policy in force, and the edit form with `draft` (for an admin); `notice` on top.
async fn render_policy(
    state: &AppState,
    viewer: &Viewer,
    draft: &str,
    notice: &str,
) -> Result<String, ApiError> {
    let policy = state.federation().policy();
    let names = Names::of(state).await?;
    let sha = crate::federation::policy_sha256(&policy).map_err(node_err)?;
    let mut main = format!(
        "<h1>Export policy</h1>{notice}<section class=\"card\"><h2>In force</h2>\
         <dl class=\"facts\"><dt>When no rule matches</dt><dd id=\"policy-default\">{}</dd>\
         <dt>TLP of unmarked objects</dt><dd>{}</dd><dt>SHA-256</dt><dd><code>{}</code></dd></dl>",
        policy.default.as_str(),
        policy.default_tlp.label(),
        hex::encode(sha),
    );
    main.push_str("<h3>Sharing groups</h3>");
    if policy.sharing_groups.is_empty() {
        main.push_str("<p class=\"muted\">None.</p>");
    } else {
        main.push_str("<table id=\"sharing-groups\"><thead><tr><th>Group</th><th>Members</th></tr></thead><tbody>");
        for g in &policy.sharing_groups {
            let members: Vec<String> = g.members.iter().map(|m| names.party(m.as_str())).collect();
            let _ = write!(
                main,
                "<tr><td><code>{}</code></td><td>{}</td></tr>",
                esc(&g.name),
                members.join(", ")
            );
        }
        main.push_str("</tbody></table>");
    }
    main.push_str("<h3>Rules, first match decides</h3>");
    if policy.rules.is_empty() {
        main.push_str("<p class=\"muted\">None.</p>");
    } else {
        main.push_str("<table id=\"rules\"><thead><tr><th>Rule</th><th>Action</th><th>When</th></tr></thead><tbody>");
        for r in &policy.rules {
            // The rule's conditions as the policy file writes them, without its name and action.
            let mut when = toml::to_string(r).unwrap_or_default();
            when = when
                .lines()
                .filter(|l| !l.starts_with("name =") && !l.starts_with("action ="))
                .collect::<Vec<_>>()
                .join("\n");
            let _ = write!(
                main,
                "<tr><td><code>{}</code></td><td class=\"action-{a}\">{a}</td><td><pre>{}</pre></td></tr>",
                esc(&r.name),
                esc(if when.is_empty() { "always" } else { &when }),
                a = r.action.as_str(),
            );
        }
        main.push_str("</tbody></table>");
    }
    main.push_str("</section>");
    if may_post(viewer, "/policy") {
        let _ = write!(
            main,
            "<section class=\"card\"><h2>Change it</h2><form class=\"editor\" method=\"post\" \
             action=\"/policy\" id=\"policy-form\">{}<label>policy.toml\
             <textarea name=\"text\" rows=\"20\" spellcheck=\"false\">{}</textarea></label>\
             <div class=\"actions\"><button type=\"submit\" name=\"action\" value=\"check\">Check the draft</button> \
             <button type=\"submit\" name=\"action\" value=\"apply\" class=\"primary\">Apply</button></div></form>\
             <p class=\"muted\">Applying replaces <code>policy.toml</code> and logs <code>policy-changed</code>; \
             the next decision follows it.</p></section>",
            csrf_field(viewer),
            esc(draft),
        );
    } else {
        let _ = write!(
            main,
            "<section class=\"card\"><h2>policy.toml</h2><pre id=\"policy-text\">{}</pre></section>",
            esc(draft)
        );
    }
    Ok(main)
}

pub(super) async fn policy_act(State(state): State<AppState>, form: Form) -> Response {
    let viewer = &form.viewer;
    let text = form.fields.get("text").map(String::as_str).unwrap_or("");
    let notice = match form.field("action") {
        "apply" => match state.federation().apply_policy_text(text).await {
            Ok(changed) => {
                tracing::info!(user = %viewer.who, changed, "dashboard: export policy applied");
                return see_other_to("/policy");
            }
            Err(NodeError::Input(problem)) => {
                format!(
                    "<p class=\"error\" id=\"policy-problem\" role=\"alert\">{}</p>",
                    esc(&problem)
                )
            }
            Err(e) => return error_page(&state, viewer, node_err(e)),
        },
        _ => match ExportPolicy::from_toml(text) {
            Ok(p) => format!(
                "<p class=\"notice\" id=\"policy-ok\" role=\"status\">The draft is a valid policy: {} rules, \
                 {} sharing groups, default {}. Not applied yet.</p>",
                p.rules.len(),
                p.sharing_groups.len(),
                p.default.as_str()
            ),
            Err(e) => format!(
                "<p class=\"error\" id=\"policy-problem\" role=\"alert\">{}</p>",
                esc(&e.to_string())
            ),
        },
    };
    match render_policy(&state, viewer, text, &notice).await {
        Ok(main) => page(&state, viewer, "/policy", "Export policy", &main),
        Err(e) => error_page(&state, viewer, e),
    }
}

// ---------------------------------------------------------------------------------------------
// Adding a peer

/// The form on the peers page, for an admin.
pub(super) fn peer_form(viewer: &Viewer, form: Option<&Form>, confirm: Option<&str>) -> String {
    let field = |name: &str| form.map_or("", |f| f.field(name));
    let mut kinds = String::new();
    for k in StakeholderType::ALL.map(StakeholderType::as_str) {
        let sel = if k == field("kind") { " selected" } else { "" };
        let _ = write!(kinds, "<option{sel}>{k}</option>");
    }
    let confirm_field = match confirm {
        Some(fp) => format!(
            "<p class=\"notice\" role=\"status\" id=\"peer-fingerprint\">The key's fingerprint is \
             <code>{}</code>. Ask the peer's operator to read theirs out (<code>pacific id</code> prints it on\
             their node) and type it here to add the peer.</p><label>Fingerprint as read out\
             <input name=\"confirm\" required autocomplete=\"off\"></label>",
            esc(fp)
        ),
        None => String::new(),
    };
    format!(
        "<section class=\"card\"><h2>Add a peer</h2><form class=\"editor\" method=\"post\" \
         action=\"/peers/add\" id=\"add-peer\">{}<fieldset><legend>The peer</legend>\
         <label>Name<input name=\"name\" required value=\"{}\"></label>\
         <label>Party id (default: from the name)<input name=\"id\" value=\"{}\"></label>\
         <label>Node URL<input name=\"url\" required placeholder=\"https://node.example\" value=\"{}\"></label>\
         <label>Public key (64 hex digits)<input name=\"key\" required value=\"{}\"></label>\
         <label>Stakeholder<select name=\"kind\">{kinds}</select></label>\
         <label>Jurisdiction<input name=\"jurisdiction\" placeholder=\"XB\" value=\"{}\"></label>\
         {confirm_field}</fieldset><div class=\"actions\"><button type=\"submit\" class=\"primary\">{}</button></div></form></section>",
        csrf_field(viewer),
        esc(field("name")),
        esc(field("id")),
        esc(field("url")),
        esc(field("key")),
        esc(field("jurisdiction")),
        if confirm.is_some() {
            "Add the peer"
        } else {
            "Check the key"
        },
    )
}

pub(super) async fn add_peer(State(state): State<AppState>, form: Form) -> Response {
    let viewer = &form.viewer;
    let key = form.field("key");
    let fp = key_fingerprint(key);
    let typed: String = form
        .field("confirm")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let expected: String = fp.chars().filter(|c| !c.is_whitespace()).collect();
    if !typed.eq_ignore_ascii_case(&expected) {
        // First the fingerprint, to be confirmed (or a mismatch, said).
        let mut main = String::from("<h1>Add a peer</h1>");
        if !typed.is_empty() {
            main.push_str("<p class=\"error\" role=\"alert\" id=\"fingerprint-mismatch\">The fingerprint typed is not this key's: the peer was not added. Check the key with the peer's operator.</p>");
        }
        main.push_str(&peer_form(viewer, Some(&form), Some(&fp)));
        return page(&state, viewer, "/peers", "Add a peer", &main);
    }
    let kind = match StakeholderType::from_str(form.field("kind")) {
        Ok(k) => k,
        Err(e) => return error_page(&state, viewer, ApiError::BadRequest(e.to_string())),
    };
    let spec = PeerSpec {
        name: form.field("name").to_owned(),
        id: Some(form.field("id").to_owned()).filter(|s| !s.is_empty()),
        url: form.field("url").to_owned(),
        key: key.to_owned(),
        stakeholder_type: kind,
        jurisdiction: Some(form.field("jurisdiction").to_ascii_uppercase())
            .filter(|s| !s.is_empty()),
        organisation: None,
    };
    match state.federation().add_peer(spec, &viewer.who.actor()).await {
        Ok(peer) => {
            tracing::info!(user = %viewer.who, peer = %peer.party_id, "dashboard: peer added");
            see_other_to("/peers")
        }
        Err(e) => error_page(&state, viewer, node_err(e)),
    }
}
