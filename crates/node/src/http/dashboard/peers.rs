//! The peers page `/peers`: each peer, its link, and what the log says was sent to it and
//! held back from it.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use axum::extract::State;
use axum::response::Response;
use pacific_tlog::entry::Act;

use super::log::recent_entries;
use super::names::Names;
use super::{Viewer, error_page, esc, page};
use crate::http::authz::{Principal, rule_for};
use crate::http::error::ApiError;
use crate::http::state::AppState;

/// Log entries the peers page reads (the most recent ones).
const PEER_SCAN: u64 = 20_000;

pub(super) async fn peers(State(state): State<AppState>, viewer: Viewer) -> Response {
    match render_peers(&state, &viewer.who).await {
        Ok(mut main) => {
            let may_add = rule_for(&axum::http::Method::POST, "/peers/add")
                .is_ok_and(|r| r.access.admits(viewer.who.caller()));
            if may_add {
                main.push_str(&super::admin::peer_form(&viewer, None, None));
            }
            page(&state, &viewer, "/peers", "Peers", &main)
        }
        Err(e) => error_page(&state, &viewer, e),
    }
}

#[derive(Default)]
struct Shared {
    sent: u64,
    withheld: u64,
    reasons: BTreeMap<String, u64>,
    /// The most recent held-back objects: (object id, reason), newest first.
    recent: Vec<(String, String)>,
}

async fn render_peers(state: &AppState, who: &Principal) -> Result<String, ApiError> {
    let mut main = String::from("<h1>Peers</h1>");
    let fed = state.federation();
    let peers = fed.peers_and_links().await?;
    let (size, entries) = recent_entries(state, PEER_SCAN, None).await?;
    let mut shared: HashMap<String, Shared> = HashMap::new();
    for (_, entry) in entries.iter().rev() {
        match &entry.act {
            Act::ObjectSent { peer, .. } => shared.entry(peer.clone()).or_default().sent += 1,
            Act::ObjectWithheld {
                object,
                peer,
                reason,
            } => {
                let s = shared.entry(peer.clone()).or_default();
                s.withheld += 1;
                *s.reasons.entry(reason.clone()).or_default() += 1;
                if s.recent.len() < 10 {
                    s.recent.push((object.id.clone(), reason.clone()));
                }
            }
            _ => {}
        }
    }
    let held: Vec<String> = shared
        .values()
        .flat_map(|s| s.recent.iter().map(|(id, _)| id.clone()))
        .collect();
    let names = Names::of(state)
        .await?
        .with_objects(state, who, held.iter().map(String::as_str))
        .await?;
    let _ = write!(
        main,
        "<p class=\"muted\">This node is <b>{}</b> (<code>{}</code>, key fingerprint \
         <code id=\"own-fingerprint\">{}</code>). Counts are from the transparency log's last {} \
         entries (of {size}).</p>",
        esc(&fed.local().name),
        esc(fed.local().id.as_str()),
        esc(&crate::federation::key_fingerprint(&fed.public_key_hex())),
        entries.len(),
    );
    main.push_str(
        "<table id=\"peers\"><thead><tr><th>Peer</th><th>URL</th><th>Link</th>\
         <th class=\"num\">Sent</th><th class=\"num\">Held back</th><th>Reasons held back</th>\
         </tr></thead><tbody>",
    );
    for (p, link) in &peers {
        let id = p.party_id.as_str();
        let s = shared.remove(id).unwrap_or_default();
        let reasons: Vec<String> = s
            .reasons
            .iter()
            .map(|(r, n)| format!("<code>{}</code> × {n}", esc(r)))
            .collect();
        let _ = write!(
            main,
            "<tr data-peer=\"{}\"><td><b>{}</b><br><code class=\"muted\">{}</code></td>\
             <td>{}</td><td>delivered up to seq {}; envelopes out {}, in {}{}</td>\
             <td class=\"num sent\">{}</td><td class=\"num withheld\">{}</td><td>{}</td></tr>",
            esc(id),
            esc(&p.name),
            esc(id),
            esc(&p.url),
            link.out_cursor,
            link.out_seq,
            link.in_seq,
            link.pull_after
                .as_deref()
                .map(|a| format!("; pulled up to {}", esc(a)))
                .unwrap_or_default(),
            s.sent,
            s.withheld,
            reasons.join("<br>"),
        );
        if !s.recent.is_empty() {
            let _ = write!(
                main,
                "<tr class=\"recent\"><td></td><td colspan=\"5\"><details><summary>Last held back \
                 from {}</summary><table><tbody>",
                esc(&p.name)
            );
            for (object, reason) in &s.recent {
                let _ = write!(
                    main,
                    "<tr><td>{}</td><td><code>{}</code></td></tr>",
                    names.object(object),
                    esc(reason)
                );
            }
            main.push_str("</tbody></table></details></td></tr>");
        }
    }
    if peers.is_empty() {
        main.push_str(
            "<tr><td colspan=\"6\" class=\"muted\">No peers yet (<code>pacific peer add</code>).</td></tr>",
        );
    }
    main.push_str("</tbody></table>");
    Ok(main)
}
