//! The transparency log page `/log`.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::extract::{Query, State};
use axum::response::Response;
use pacific_tlog::entry::{Act, Entry};

use super::names::Names;
use super::{Viewer, error_page, esc, gov, page, time_of_ms};
use crate::http::authz::Principal;
use crate::http::error::ApiError;
use crate::http::state::AppState;

/// The log's size and its (at most) `scan` entries before `before`, oldest first.
pub(super) async fn recent_entries(
    state: &AppState,
    scan: u64,
    before: Option<u64>,
) -> Result<(u64, Vec<(u64, Entry)>), ApiError> {
    Ok(crate::log::recent_entries(state.store().as_ref(), scan, before).await?)
}

pub(super) async fn log_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let before = params.get("before").and_then(|b| b.parse::<u64>().ok());
    match render_log(&state, &viewer.who, before).await {
        Ok(main) => page(&state, &viewer, "/log", "Transparency log", &main),
        Err(e) => error_page(&state, &viewer, e),
    }
}

/// An entry's act in words: parties by name, objects by name with a link to their page.
fn act_details(act: &Act, names: &Names) -> String {
    let object = act
        .object()
        .map(|o| {
            format!(
                "{} <span class=\"muted\">{}</span>",
                names.object(&o.id),
                esc(&o.version)
            )
        })
        .unwrap_or_default();
    match act {
        Act::ObjectStored { .. } => object,
        Act::ObjectReceived { peer, .. } => format!("{object} from {}", names.party(peer)),
        Act::ObjectSent { peer, rule, .. } => {
            format!(
                "{object} to {} (rule <code>{}</code>)",
                names.party(peer),
                esc(rule)
            )
        }
        Act::ObjectWithheld { peer, reason, .. } => format!(
            "{object} from {}: <code>{}</code>",
            names.party(peer),
            esc(reason)
        ),
        Act::PeerAdded { peer, .. } | Act::PeerRemoved { peer } => names.party(peer),
        Act::PolicyChanged { policy_sha256 } => {
            format!("policy SHA-256 <code>{}</code>", hex::encode(policy_sha256))
        }
        Act::CharterInstalled { federation } => {
            format!("federation <code>{}</code>", hex::encode(federation))
        }
        Act::ProposalClosed {
            proposal, outcome, ..
        } => format!(
            "<a href=\"{}\"><code>{}</code></a>: {}",
            gov::proposal_href(proposal),
            esc(proposal),
            esc(outcome)
        ),
        Act::UserAdded { user, role } => format!("<b>{}</b> ({})", esc(user), esc(role)),
        Act::ObjectDeleted { collection, .. } => {
            format!("{object} from collection <code>{}</code>", esc(collection))
        }
        Act::UserRemoved { user } => format!("<b>{}</b>", esc(user)),
        Act::UserRoleChanged { user, role } => {
            format!("<b>{}</b> is now {}", esc(user), esc(role))
        }
        Act::TokenRevoked { user, token_id } => {
            format!("<b>{}</b>, token <code>{}</code>", esc(user), esc(token_id))
        }
        Act::TokenIssued {
            user,
            token_id,
            expires,
        } => format!(
            "<b>{}</b>, token <code>{}</code>{}",
            esc(user),
            esc(token_id),
            expires
                .as_ref()
                .map(|e| format!(", expires {}", esc(e)))
                .unwrap_or_default()
        ),
        Act::GrantChanged {
            user,
            collection,
            can_read,
            can_write,
        } => format!(
            "<b>{}</b> on <code>{}</code>: read {}, write {}",
            esc(user),
            esc(collection),
            if *can_read { "yes" } else { "no" },
            if *can_write { "yes" } else { "no" }
        ),
        Act::ReceiptReceived { peer, log_size, .. } => {
            format!(
                "from {}, bound to its log size {log_size}",
                names.party(peer)
            )
        }
        Act::CosignatureReceived {
            peer, tree_size, ..
        } => {
            format!("by witness {}, of size {tree_size}", names.party(peer))
        }
        Act::CosignatureSent {
            peer, tree_size, ..
        } => {
            format!("to {}, of its log at size {tree_size}", names.party(peer))
        }
    }
}

async fn render_log(
    state: &AppState,
    who: &Principal,
    before: Option<u64>,
) -> Result<String, ApiError> {
    let mut main =
        String::from("<h1>Transparency log</h1><section class=\"card\"><h2>Latest checkpoint</h2>");
    match crate::log::latest_published(state.store().as_ref()).await? {
        Some(c) => {
            let _ = write!(
                main,
                "<p>Tree size {}.</p><pre id=\"checkpoint\">{}</pre>",
                c.size,
                esc(&c.note)
            );
        }
        None => main.push_str(
            "<p class=\"muted\" id=\"checkpoint-none\">No checkpoint published yet (one is signed \
             every 2 s while the log grows).</p>",
        ),
    }
    main.push_str("</section>");
    let (size, entries) = recent_entries(state, 50, before).await?;
    let names = Names::of(state)
        .await?
        .with_objects(
            state,
            who,
            entries
                .iter()
                .filter_map(|(_, e)| e.act.object())
                .map(|o| o.id.as_str()),
        )
        .await?;
    let _ = write!(
        main,
        "<h2>Entries</h2><p class=\"muted\">{} of {size} entries, newest first.</p>\
         <table id=\"log-entries\"><thead><tr><th class=\"num\">#</th><th>Time</th><th>Actor</th>\
         <th>Act</th><th>Details</th></tr></thead><tbody>",
        entries.len()
    );
    for (index, e) in entries.iter().rev() {
        let _ = write!(
            main,
            "<tr><td class=\"num\">{index}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&time_of_ms(e.time)),
            esc(&e.actor),
            e.act.kind(),
            act_details(&e.act, &names)
        );
    }
    main.push_str("</tbody></table><p class=\"pager\">");
    if let Some((first, _)) = entries.first().filter(|(i, _)| *i > 0) {
        let _ = write!(
            main,
            "<a id=\"older\" href=\"/log?before={first}\">Older entries →</a>"
        );
    }
    main.push_str("</p>");
    Ok(main)
}
