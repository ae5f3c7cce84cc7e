//! The dashboard's jurisdiction registry pages, rendered from the registry service
//! (`crate::registry::Registry`) like the `/registry/…` API's answers, with the dashboard's
//! layout, session and escaping. Read-only: claims are made and revoked with `pacific registry`
//! or the JSON API.
//!
//! - `/jurisdiction-registry`: a lookup box (`?q=` an address, AS number or domain name: the
//!   most specific claim in force per role, its party, resource, 24/7 contact and conflicts), the
//!   conflicts between claims in force, and every claim held, by party: role, what it covers
//!   (prefixes and addresses per family, AS ranges and numbers, domain suffixes), validity and
//!   status (a revoked claim shows as such).
//! - `/jurisdiction-registry/claims/{id}`: one claim — its facts, contact, how many evidence
//!   lines it rests on, its resources (each kind capped at [`SHOWN`], with the count of the
//!   rest) and its conflicts.
//!
//! The pages live under `/jurisdiction-registry`, not `/registry`, because `/registry/…` is the
//! JSON API's.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use pacific_core::Timestamp;
use pacific_core::policy::PartyId;
use pacific_registry::{Claim, Conflict};

use super::{Viewer, error_page, esc, page, short_time, url_enc};
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::registry::{Lookup, RegistryError};

/// The registry page (and the nav entry every registry page lights up).
pub(super) const HOME: &str = "/jurisdiction-registry";
/// Resources of one kind listed on a claim's page; the rest are counted.
const SHOWN: usize = 100;

/// The escaped link to a claim's page, for an `href`.
fn claim_href(id: &str) -> String {
    esc(&format!("{HOME}/claims/{}", url_enc(id)))
}

/// A link to a claim's page, its id as the text.
fn claim_link(id: &str) -> String {
    format!(
        "<a href=\"{}\"><code>{}</code></a>",
        claim_href(id),
        esc(id)
    )
}

fn time(t: &Timestamp) -> String {
    esc(&short_time(t.as_str()))
}

/// A party's id, marked when it is this node's.
fn party(id: &PartyId, ours: &PartyId) -> String {
    if id == ours {
        format!(
            "<code>{}</code> <span class=\"muted\">(this node)</span>",
            esc(id.as_str())
        )
    } else {
        format!("<code>{}</code>", esc(id.as_str()))
    }
}

/// Where a claim stands now, as a word that is also its class.
fn status(c: &Claim, now: &Timestamp) -> &'static str {
    if c.revoked {
        "revoked"
    } else if c.valid_from > *now {
        "not-yet"
    } else if c.valid_until.as_ref().is_some_and(|u| u <= now) {
        "expired"
    } else {
        "in-force"
    }
}

fn status_label(status: &str) -> &'static str {
    match status {
        "revoked" => "revoked",
        "not-yet" => "not yet in force",
        "expired" => "expired",
        _ => "in force",
    }
}

/// `from – until`, or `from – (no end)`.
fn validity(c: &Claim) -> String {
    format!(
        "{} – {}",
        time(&c.valid_from),
        c.valid_until
            .as_ref()
            .map_or_else(|| "no end".to_owned(), time)
    )
}

/// The contact in one line, escaped: name, e-mail (a `mailto:` link), telephone.
fn contact(c: &Claim) -> String {
    let mut s = format!(
        "<span class=\"contact-name\">{}</span>",
        esc(&c.contact.name)
    );
    if let Some(email) = &c.contact.email {
        let _ = write!(s, "<br><a href=\"mailto:{0}\">{0}</a>", esc(email));
    }
    if let Some(phone) = &c.contact.phone {
        let _ = write!(s, "<br>{}", esc(phone));
    }
    s
}

/// `n word` for one, else `n` and the word's plural (`prefix` → `prefixes`, `line` → `lines`).
fn plural(n: impl Into<u128>, word: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {word}")
    } else if word.ends_with('x') || word.ends_with('s') {
        format!("{n} {word}es")
    } else {
        format!("{n} {word}s")
    }
}

/// The other side of `conflict` seen from claim `of`: its party and claim.
fn other_side<'a>(conflict: &'a Conflict, of: &str) -> (&'a PartyId, &'a str) {
    let i = usize::from(conflict.claims[0] == of);
    (&conflict.parties[i], &conflict.claims[i])
}

/// A claim's conflicts in a cell: with whom, over what.
fn conflicts_cell(conflicts: &[&Conflict], of: &str, ours: &PartyId) -> String {
    if conflicts.is_empty() {
        return "<span class=\"muted\">none</span>".into();
    }
    conflicts
        .iter()
        .map(|c| {
            let (p, claim) = other_side(c, of);
            format!(
                "<span class=\"conflict\">in conflict with {} ({}) over <code>{}</code></span>",
                party(p, ours),
                claim_link(claim),
                esc(&c.overlap)
            )
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

// ---------------------------------------------------------------------------------------------
// The registry page

pub(super) async fn registry_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let q = params.get("q").map(|q| q.trim()).unwrap_or("");
    match render_registry(&state, q).await {
        Ok(main) => page(&state, &viewer, HOME, "Registry", &main),
        Err(e) => error_page(&state, &viewer, e),
    }
}

async fn render_registry(state: &AppState, q: &str) -> Result<String, ApiError> {
    let registry = state.registry();
    let ours = registry.party().clone();
    let mut main = String::from(
        "<h1>Jurisdiction registry</h1><p class=\"muted\">Who answers for which addresses, AS \
         numbers and domains: the resource claims this node holds, its own party's and its \
         peers'. Claims are made and revoked with <code>pacific registry claim</code> or \
         <code>POST /registry/claims</code>.</p>",
    );

    // The lookup box.
    let _ = write!(
        main,
        "<section class=\"card\" id=\"lookup\"><h2>Who answers for…</h2>\
         <form class=\"filters\" method=\"get\" action=\"{HOME}\"><label>Address, AS number or \
         domain<input name=\"q\" value=\"{}\" placeholder=\"203.0.113.5, AS64500, \
         host.example.xa\"></label><button type=\"submit\">Look up</button></form>",
        esc(q)
    );
    if !q.is_empty() {
        match registry.lookup(q).await {
            Ok(lookup) => lookup_answers(&mut main, &lookup, &ours),
            Err(RegistryError::Invalid(message)) => {
                let _ = write!(
                    main,
                    "<p class=\"error\" id=\"lookup-error\">{}</p><p class=\"muted\">Give an \
                     address (<code>203.0.113.5</code>, <code>2001:db8::1</code>), an AS number \
                     (<code>AS64500</code>) or a domain name (<code>host.example.xa</code>).</p>",
                    esc(&message)
                );
            }
            Err(e) => return Err(e.into()),
        }
    }
    main.push_str("</section>");

    let index = registry.index().await?;
    conflicts_card(&mut main, index.conflicts(), &ours);
    let claims = registry.claims().await?;
    let conflicts_of = |id: &str| index.conflicts_of(id).count();
    claims_card(&mut main, &claims, &conflicts_of, &ours, &Timestamp::now());
    Ok(main)
}

fn lookup_answers(main: &mut String, lookup: &Lookup, ours: &PartyId) {
    let query = esc(&lookup.query.to_string());
    if lookup.answers.is_empty() {
        let _ = write!(
            main,
            "<p id=\"lookup-none\">No claim answers for <code>{query}</code>: no claim in force \
             covers it.</p>"
        );
        return;
    }
    let _ = write!(
        main,
        "<p>For <code id=\"lookup-query\">{query}</code>, the most specific claim in force of \
         each role:</p><table id=\"lookup-answers\"><thead><tr><th>Role</th><th>Party</th>\
         <th>Resource</th><th>Claim</th><th>24/7 contact</th><th>Valid until</th>\
         <th>Conflicts</th></tr></thead><tbody>"
    );
    for a in &lookup.answers {
        let conflicts: Vec<&Conflict> = a.conflicts.iter().collect();
        let _ = write!(
            main,
            "<tr data-role=\"{role}\"><td>{role}</td><td>{}</td><td><code>{}</code></td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td></tr>",
            party(&a.claim.party, ours),
            esc(&a.resource.to_string()),
            claim_link(&a.claim.id),
            contact(&a.claim),
            a.claim
                .valid_until
                .as_ref()
                .map_or_else(|| "no end".to_owned(), time),
            conflicts_cell(&conflicts, &a.claim.id, ours),
            role = a.role.as_str(),
        );
    }
    main.push_str("</tbody></table>");
}

fn conflicts_card(main: &mut String, conflicts: &[Conflict], ours: &PartyId) {
    main.push_str(
        "<section class=\"card\"><h2>Conflicts</h2><p class=\"muted\">Two parties claiming the \
         same role over overlapping resources, among the claims in force. A dispute (or a \
         governance proposal) settles one.</p>",
    );
    if conflicts.is_empty() {
        main.push_str("<p class=\"muted\" id=\"conflicts-none\">No conflict.</p></section>");
        return;
    }
    main.push_str(
        "<table id=\"conflicts\"><thead><tr><th>Role</th><th>Party and claim</th>\
         <th>Party and claim</th><th>Overlap</th><th class=\"num\">Overlapping pairs</th></tr>\
         </thead><tbody>",
    );
    for c in conflicts {
        let side = |i: usize| {
            format!(
                "{}<br>{}",
                party(&c.parties[i], ours),
                claim_link(&c.claims[i])
            )
        };
        let _ = write!(
            main,
            "<tr data-role=\"{role}\"><td>{role}</td><td>{}</td><td>{}</td><td><code>{}</code></td>\
             <td class=\"num\">{}</td></tr>",
            side(0),
            side(1),
            esc(&c.overlap),
            c.overlaps,
            role = c.role.as_str(),
        );
    }
    main.push_str("</tbody></table></section>");
}

/// Every claim, one table per party (this node's first), each claim's totals per kind.
fn claims_card(
    main: &mut String,
    claims: &[Claim],
    conflicts_of: &dyn Fn(&str) -> usize,
    ours: &PartyId,
    now: &Timestamp,
) {
    main.push_str("<section class=\"card\" id=\"claims\"><h2>Claims by party</h2>");
    if claims.is_empty() {
        main.push_str(
            "<p class=\"muted\" id=\"claims-none\">No claim yet: this node holds none of its \
             own party's nor of its peers'.</p></section>",
        );
        return;
    }
    let mut by_party: BTreeMap<(bool, &PartyId), Vec<&Claim>> = BTreeMap::new();
    for c in claims {
        by_party
            .entry((&c.party != ours, &c.party))
            .or_default()
            .push(c);
    }
    for ((_, p), mut list) in by_party {
        list.sort_by(|a, b| (a.role, &a.valid_from, &a.id).cmp(&(b.role, &b.valid_from, &b.id)));
        let _ = write!(
            main,
            "<h3>{} · {}</h3><table class=\"claims\" data-party=\"{}\"><thead><tr><th>Role</th>\
             <th>Claim</th><th class=\"num\">IPv4</th><th class=\"num\">IPv6</th>\
             <th class=\"num\">AS numbers</th><th class=\"num\">Domain suffixes</th>\
             <th>Validity</th><th>Status</th><th class=\"num\">Conflicts</th></tr></thead><tbody>",
            party(p, ours),
            plural(list.len() as u64, "claim"),
            esc(p.as_str()),
        );
        for c in list {
            let t = c.resources.totals();
            let status = status(c, now);
            let _ = write!(
                main,
                "<tr class=\"{status}\" data-claim=\"{}\"><td>{}</td><td>{}</td>\
                 <td class=\"num ipv4\">{}<br><span class=\"muted\">{}</span></td>\
                 <td class=\"num ipv6\">{}<br><span class=\"muted\">{}</span></td>\
                 <td class=\"num asns\">{}<br><span class=\"muted\">{}</span></td>\
                 <td class=\"num domains\">{}</td><td>{}</td>\
                 <td class=\"status {status}\">{}</td><td class=\"num conflicts\">{}</td></tr>",
                esc(&c.id),
                c.role.as_str(),
                claim_link(&c.id),
                plural(t.ipv4_prefixes as u64, "prefix"),
                plural(t.ipv4_addresses, "address"),
                plural(t.ipv6_prefixes as u64, "prefix"),
                plural(t.ipv6_addresses, "address"),
                plural(t.as_ranges as u64, "range"),
                plural(t.asns, "number"),
                t.domains,
                validity(c),
                status_label(status),
                conflicts_of(&c.id),
            );
        }
        main.push_str("</tbody></table>");
    }
    main.push_str("</section>");
}

// ---------------------------------------------------------------------------------------------
// A claim's page

pub(super) async fn claim_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Response {
    match render_claim(&state, &id).await {
        Ok(main) => page(&state, &viewer, HOME, "Claim", &main),
        Err(e) => error_page(&state, &viewer, e),
    }
}

async fn render_claim(state: &AppState, id: &str) -> Result<String, ApiError> {
    let registry = state.registry();
    let ours = registry.party().clone();
    let c = registry.claim(id).await?;
    let index = registry.index().await?;
    let conflicts: Vec<&Conflict> = index.conflicts_of(&c.id).collect();
    let now = Timestamp::now();
    let status = status(&c, &now);
    let t = c.resources.totals();
    let mut main = format!(
        "<p class=\"muted\"><a href=\"{HOME}\">← Registry</a></p><h1>{} claim of {}</h1>",
        c.role.as_str(),
        party(&c.party, &ours),
    );
    let _ = write!(
        main,
        "<section class=\"card\" id=\"claim\"><dl class=\"facts\">\
         <dt>Party</dt><dd>{}</dd><dt>Role</dt><dd>{}</dd>\
         <dt>Status</dt><dd class=\"status {status}\" id=\"status\">{}</dd>\
         <dt>Valid</dt><dd>{}</dd><dt>Created</dt><dd>{}</dd><dt>This version</dt><dd>{}</dd>\
         <dt>24/7 contact</dt><dd id=\"contact\">{}</dd>\
         <dt>Evidence</dt><dd id=\"evidence\">{}</dd>\
         <dt>Covers</dt><dd id=\"totals\">{} ({}), {} ({}), {} ({}), {}</dd></dl>\
         <p class=\"muted\">Id <code>{}</code></p></section>",
        party(&c.party, &ours),
        c.role.as_str(),
        status_label(status),
        validity(&c),
        time(&c.created),
        time(&c.modified),
        contact(&c),
        plural(c.evidence.len() as u64, "line"),
        plural(t.ipv4_prefixes as u64, "IPv4 prefix"),
        plural(t.ipv4_addresses, "address"),
        plural(t.ipv6_prefixes as u64, "IPv6 prefix"),
        plural(t.ipv6_addresses, "address"),
        plural(t.as_ranges as u64, "AS range"),
        plural(t.asns, "number"),
        plural(t.domains as u64, "domain suffix"),
        esc(&c.id),
    );
    main.push_str("<section class=\"card\" id=\"resources\"><h2>Resources</h2>");
    let r = &c.resources;
    resource_list(&mut main, "ipv4", "IPv4 prefixes", r.ipv4.iter());
    resource_list(&mut main, "ipv6", "IPv6 prefixes", r.ipv6.iter());
    resource_list(&mut main, "asns", "AS numbers", r.asns.iter());
    resource_list(&mut main, "domains", "Domain suffixes", r.domains.iter());
    main.push_str("</section><section class=\"card\" id=\"claim-conflicts\"><h2>Conflicts</h2>");
    if conflicts.is_empty() {
        main.push_str(&format!(
            "<p class=\"muted\" id=\"conflicts-none\">{}</p>",
            if status == "in-force" {
                "No conflict."
            } else {
                "None: only claims in force are in conflict."
            }
        ));
    } else {
        main.push_str(
            "<table id=\"conflicts\"><thead><tr><th>Role</th><th>With</th><th>Their claim</th>\
             <th>Overlap</th><th class=\"num\">Overlapping pairs</th></tr></thead><tbody>",
        );
        for conflict in conflicts {
            let (p, claim) = other_side(conflict, &c.id);
            let _ = write!(
                main,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td>\
                 <td class=\"num\">{}</td></tr>",
                conflict.role.as_str(),
                party(p, &ours),
                claim_link(claim),
                esc(&conflict.overlap),
                conflict.overlaps,
            );
        }
        main.push_str("</tbody></table>");
    }
    main.push_str("</section>");
    Ok(main)
}

/// One kind of a claim's resources: at most [`SHOWN`] of them, then how many more.
fn resource_list<T: std::fmt::Display>(
    main: &mut String,
    kind: &str,
    heading: &str,
    items: impl ExactSizeIterator<Item = T>,
) {
    let total = items.len();
    if total == 0 {
        return;
    }
    let _ = write!(
        main,
        "<h3>{heading} ({total})</h3><ul class=\"resources\" id=\"{kind}\">"
    );
    for item in items.take(SHOWN) {
        let _ = write!(main, "<li><code>{}</code></li>", esc(&item.to_string()));
    }
    main.push_str("</ul>");
    if total > SHOWN {
        let _ = write!(
            main,
            "<p class=\"muted\" id=\"{kind}-more\">… and {} more (<code>GET /registry/claims/\
             {{id}}</code> lists them all).</p>",
            total - SHOWN
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conflict_names_the_other_side() {
        let c = Conflict {
            role: pacific_registry::claim::Role::Jurisdiction,
            claims: ["a-claim".into(), "b-claim".into()],
            parties: ["alpha".into(), "<b>".into()],
            overlap: "45.10.128.0/17".into(),
            overlaps: 1,
        };
        assert_eq!(other_side(&c, "a-claim"), (&"<b>".into(), "b-claim"));
        assert_eq!(other_side(&c, "b-claim"), (&"alpha".into(), "a-claim"));
        let cell = conflicts_cell(&[&c], "a-claim", &"alpha".into());
        assert!(cell.contains("<code>&lt;b&gt;</code>"), "{cell}");
        assert!(
            cell.contains("href=\"/jurisdiction-registry/claims/b-claim\""),
            "{cell}"
        );
        assert!(!cell.contains("<b>"));
    }

    #[test]
    fn counts_take_the_plural() {
        assert_eq!(plural(1u64, "prefix"), "1 prefix");
        assert_eq!(plural(2u64, "IPv4 prefix"), "2 IPv4 prefixes");
        assert_eq!(plural(0u64, "address"), "0 addresses");
        assert_eq!(plural(3u64, "line"), "3 lines");
        assert_eq!(
            plural(u128::MAX, "address"),
            format!("{} addresses", u128::MAX)
        );
    }

    #[test]
    fn long_lists_are_capped_with_a_count() {
        let mut html = String::new();
        resource_list(
            &mut html,
            "asns",
            "AS numbers",
            (0..SHOWN + 7).map(|n| format!("AS{n}")),
        );
        assert_eq!(html.matches("<li>").count(), SHOWN);
        assert!(html.contains("AS numbers (107)"), "{html}");
        assert!(html.contains("id=\"asns-more\">… and 7 more"), "{html}");
        let mut short = String::new();
        resource_list(&mut short, "asns", "AS numbers", ["AS1"].iter());
        assert!(!short.contains("more"));
        let mut none = String::new();
        resource_list(
            &mut none,
            "asns",
            "AS numbers",
            std::iter::empty::<String>(),
        );
        assert!(none.is_empty());
    }
}
