//! The objects pages: `/objects`, the `default` collection searched the way an analyst asks
//! (a value — an address, a domain, a hash, an id — anywhere in an object; type, TLP, origin
//! party, dates added), newest first, with the total and numbered pages; and
//! `/objects/{id}`, one object rendered as fields with its relationships, sightings, versions,
//! provenance and what the log says was sent to peers or held back from them.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use pacific_core::Timestamp;
use pacific_core::taxii::{ObjectQuery, VersionSelector};
use pacific_core::tlp::Tlp;
use pacific_store::search::{ObjectSearch, OriginFilter, SearchHit, TlpFilter};
use pacific_store::{Collection, StoredVersion};
use pacific_tlog::entry::Act;
use serde_json::Value;

use super::log::recent_entries;
use super::names::{Names, display_name, object_link};
use super::{Viewer, error_page, esc, page, readable, short_time, str_field, url_enc};
use crate::http::authz::{Principal, rule_for};
use crate::http::error::ApiError;
use crate::http::state::AppState;

/// Rows per page in the objects browser.
const PAGE_ROWS: usize = 50;
/// Pages past this are not offered (an offset scan of the whole collection each).
const MAX_PAGE: u64 = 2_000;
/// Relationships and sightings an object page lists at most, each.
const RELATED_ROWS: usize = 200;
/// Log entries an object page reads for what was sent and held back (the most recent ones).
const LOG_SCAN: u64 = 20_000;

const COMMON_TYPES: [&str; 16] = [
    "indicator",
    "malware",
    "campaign",
    "intrusion-set",
    "threat-actor",
    "attack-pattern",
    "vulnerability",
    "identity",
    "relationship",
    "sighting",
    "incident",
    "report",
    "note",
    "ipv4-addr",
    "domain-name",
    "url",
];

const TLP_CHOICES: [(&str, &str); 7] = [
    ("", "any"),
    ("clear", "TLP:CLEAR"),
    ("green", "TLP:GREEN"),
    ("amber", "TLP:AMBER"),
    ("amber+strict", "TLP:AMBER+STRICT"),
    ("red", "TLP:RED"),
    ("none", "no TLP"),
];

/// The TLP of an object as a coloured label (or "no TLP").
fn tlp_label(v: &Value) -> String {
    let refs = marking_refs(v);
    match Tlp::strictest(refs.iter().copied()) {
        Some(tlp) => format!(
            "<span class=\"tlp tlp-{}\">{}</span>",
            tlp.label()[4..].to_ascii_lowercase().replace('+', "-"),
            tlp.label()
        ),
        None => "<span class=\"tlp tlp-none\">no TLP</span>".into(),
    }
}

fn marking_refs(v: &Value) -> Vec<&str> {
    v.get("object_marking_refs")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// A day `YYYY-MM-DD` as the start of that UTC day.
fn day_start(day: &str) -> Result<Timestamp, ApiError> {
    Timestamp::parse(&format!("{day}T00:00:00Z"))
        .map_err(|_| ApiError::BadRequest(format!("{day:?} is not a day (YYYY-MM-DD)")))
}

pub(super) async fn objects(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    match render_objects(&state, &viewer.who, &params).await {
        Ok(main) => page(&state, &viewer, "/objects", "Objects", &main),
        Err(e) => error_page(&state, &viewer, e),
    }
}

/// The search a page's parameters ask for.
struct Filters {
    text: String,
    type_name: String,
    tlp: String,
    origin: String,
    from: String,
    to: String,
    page: u64,
}

impl Filters {
    fn read(params: &HashMap<String, String>) -> Self {
        let param = |k: &str| params.get(k).map(|s| s.trim()).unwrap_or("").to_owned();
        Filters {
            text: param("q"),
            type_name: param("type"),
            tlp: param("tlp"),
            origin: param("origin"),
            from: param("from"),
            to: param("to"),
            page: param("page").parse().unwrap_or(1).clamp(1, MAX_PAGE),
        }
    }

    fn search(&self, local: &str) -> Result<ObjectSearch, ApiError> {
        let tlp = match self.tlp.as_str() {
            "" => None,
            "none" => Some(TlpFilter::Unmarked),
            t => Some(TlpFilter::Level(
                Tlp::parse(t).map_err(ApiError::BadRequest)?,
            )),
        };
        let origin = match self.origin.as_str() {
            "" => None,
            o if o == "local" || o == local => Some(OriginFilter::Local),
            o => Some(OriginFilter::Party(o.to_owned())),
        };
        let added_before = if self.to.is_empty() {
            None
        } else {
            let (secs, _) = day_start(&self.to)?.unix();
            Some(Timestamp::from_unix(secs + 86_400, 0))
        };
        Ok(ObjectSearch {
            text: Some(self.text.clone()).filter(|t| !t.is_empty()),
            types: if self.type_name.is_empty() {
                Vec::new()
            } else {
                vec![self.type_name.clone()]
            },
            tlp,
            origin,
            added_from: if self.from.is_empty() {
                None
            } else {
                Some(day_start(&self.from)?)
            },
            added_before,
            offset: (self.page - 1) * PAGE_ROWS as u64,
            limit: PAGE_ROWS,
        })
    }

    /// This search's URL at another page.
    fn href(&self, page: u64) -> String {
        format!(
            "/objects?q={}&amp;type={}&amp;tlp={}&amp;origin={}&amp;from={}&amp;to={}&amp;page={page}",
            esc(&url_enc(&self.text)),
            esc(&url_enc(&self.type_name)),
            esc(&url_enc(&self.tlp)),
            esc(&url_enc(&self.origin)),
            esc(&url_enc(&self.from)),
            esc(&url_enc(&self.to)),
        )
    }
}

fn select(name: &str, label: &str, choices: &[(String, String)], chosen: &str) -> String {
    let mut out = format!("<label>{label}<select name=\"{name}\">");
    for (value, text) in choices {
        let sel = if value == chosen { " selected" } else { "" };
        let _ = write!(
            out,
            "<option value=\"{}\"{sel}>{}</option>",
            esc(value),
            esc(text)
        );
    }
    out.push_str("</select></label>");
    out
}

async fn render_objects(
    state: &AppState,
    who: &Principal,
    params: &HashMap<String, String>,
) -> Result<String, ApiError> {
    let f = Filters::read(params);
    let mut main = String::from("<h1>Objects</h1>");
    // Write controls only for the roles the authorisation table lets write.
    let may_write = rule_for(&axum::http::Method::POST, "/objects/new")
        .is_ok_and(|rule| rule.access.admits(who.caller()));
    if may_write {
        main.push_str(
            "<p class=\"actions\"><a class=\"button\" id=\"new-indicator\" href=\"/objects/new\">New indicator</a> \
             <a class=\"button\" id=\"import\" href=\"/objects/import\">Import</a></p>",
        );
    }
    let Some(c) = default_collection(state, who, &mut main).await? else {
        return Ok(main);
    };
    let names = Names::of(state).await?;

    let mut types: Vec<(String, String)> = vec![(String::new(), "any".into())];
    types.extend(COMMON_TYPES.iter().map(|t| (t.to_string(), t.to_string())));
    if !f.type_name.is_empty() && !COMMON_TYPES.contains(&f.type_name.as_str()) {
        types.push((f.type_name.clone(), f.type_name.clone()));
    }
    let tlps: Vec<(String, String)> = TLP_CHOICES
        .iter()
        .map(|(v, t)| (v.to_string(), t.to_string()))
        .collect();
    let mut origins = vec![
        (String::new(), "any".to_owned()),
        ("local".to_owned(), format!("{} (this node)", names.local.1)),
    ];
    let mut peers: Vec<(&String, &String)> = names.parties.iter().collect();
    peers.sort();
    origins.extend(
        peers
            .into_iter()
            .map(|(id, name)| (id.clone(), name.clone())),
    );
    let _ = write!(
        main,
        "<form class=\"filters\" method=\"get\" action=\"/objects\" role=\"search\">\
         <label>Value or text<input name=\"q\" type=\"search\" value=\"{}\" \
         placeholder=\"203.0.113.7, evil.example, a hash, an id…\"></label>{}{}{}\
         <label>Added from<input name=\"from\" type=\"date\" value=\"{}\"></label>\
         <label>Added to<input name=\"to\" type=\"date\" value=\"{}\"></label>\
         <button type=\"submit\">Search</button> <a href=\"/objects\">clear</a></form>",
        esc(&f.text),
        select("type", "Type", &types, &f.type_name),
        select("tlp", "TLP", &tlps, &f.tlp),
        select("origin", "Origin", &origins, &f.origin),
        esc(&f.from),
        esc(&f.to),
    );
    let search = match f.search(&names.local.0) {
        Ok(s) => s,
        Err(e) => {
            let _ = write!(
                main,
                "<p class=\"error\" id=\"search-error\">{}</p>",
                esc(&e.to_string())
            );
            return Ok(main);
        }
    };
    let found = state.collections().search(who, &c, &search).await?;
    let pages = found.total.div_ceil(PAGE_ROWS as u64).max(1);
    let _ = write!(
        main,
        "<p class=\"muted\" id=\"objects-total\" data-total=\"{}\">{} {} in collection {} \
         (<code>{}</code>), latest versions, newest first.</p>",
        found.total,
        found.total,
        if found.total == 1 {
            "object matches"
        } else {
            "objects match"
        },
        esc(&c.title),
        esc(&c.id),
    );
    main.push_str(
        "<div class=\"card\"><table id=\"objects\"><thead><tr><th>TLP</th><th>Type</th>\
         <th>Name</th><th>Origin</th><th>Created</th><th>Modified</th><th>Added</th></tr>\
         </thead><tbody>",
    );
    for hit in &found.hits {
        let item = &hit.version;
        let v: Value = serde_json::from_str(&item.json).unwrap_or(Value::Null);
        let name = display_name(&v);
        let _ = write!(
            main,
            "<tr data-id=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&item.id),
            tlp_label(&v),
            esc(&item.type_name),
            object_link(&item.id, &name),
            names.origin(hit),
            esc(&short_time(str_field(&v, "created"))),
            esc(&short_time(str_field(&v, "modified"))),
            esc(&short_time(item.date_added.as_str())),
        );
    }
    if found.hits.is_empty() {
        main.push_str("<tr><td colspan=\"7\" class=\"muted\">No objects match.</td></tr>");
    }
    main.push_str("</tbody></table></div><nav class=\"pager\" aria-label=\"Pages\">");
    if f.page > 1 {
        let _ = write!(
            main,
            "<a id=\"prev-page\" href=\"{}\">← Previous</a> ",
            f.href(f.page - 1)
        );
    }
    let _ = write!(main, "<span>Page {} of {pages}</span>", f.page.min(pages));
    if f.page < pages && f.page < MAX_PAGE {
        let _ = write!(
            main,
            " <a id=\"next-page\" href=\"{}\">Next page →</a>",
            f.href(f.page + 1)
        );
    }
    main.push_str("</nav>");
    Ok(main)
}

/// The `default` collection, if the viewer may read it; else says why not in `main`.
async fn default_collection(
    state: &AppState,
    who: &Principal,
    main: &mut String,
) -> Result<Option<Collection>, ApiError> {
    Ok(match readable(state, who, "default").await? {
        None => {
            main.push_str(
                "<p class=\"muted\">This node has no <code>default</code> collection.</p>",
            );
            None
        }
        Some(Err(_)) => {
            main.push_str("<p class=\"error\">You may not read the default collection.</p>");
            None
        }
        Some(Ok(c)) => Some(c),
    })
}

// ---------------------------------------------------------------------------------------------
// One object

pub(super) async fn object_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Response {
    match render_object(&state, &viewer, &id).await {
        Ok(Some(main)) => page(&state, &viewer, "/objects", &id, &main),
        Ok(None) => error_page(
            &state,
            &viewer,
            ApiError::NotFound(format!("object {id} in the default collection")),
        ),
        Err(e) => error_page(&state, &viewer, e),
    }
}

/// The hits of `types` whose JSON mentions `id` (relationships, sightings).
async fn mentioning(
    state: &AppState,
    who: &Principal,
    c: &Collection,
    id: &str,
    type_name: &str,
) -> Result<(u64, Vec<(SearchHit, Value)>), ApiError> {
    let search = ObjectSearch {
        text: Some(id.to_owned()),
        types: vec![type_name.to_owned()],
        limit: RELATED_ROWS,
        ..ObjectSearch::default()
    };
    let found = state.collections().search(who, c, &search).await?;
    let hits = found
        .hits
        .into_iter()
        .filter_map(|h| {
            let v: Value = serde_json::from_str(&h.version.json).ok()?;
            Some((h, v))
        })
        .collect();
    Ok((found.total, hits))
}

async fn render_object(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<Option<String>, ApiError> {
    let who = &viewer.who;
    let mut main = String::new();
    let Some(c) = default_collection(state, who, &mut main).await? else {
        return Ok(Some(main));
    };
    let mut q = ObjectQuery::all(1000);
    q.ids = vec![id.to_owned()];
    q.versions = vec![VersionSelector::All];
    let versions: Vec<StoredVersion> = state
        .collections()
        .page(who, &c, &q, true)
        .await?
        .page
        .items;
    let Some(latest) = versions
        .iter()
        .max_by_key(|v| (v.version.unix_micros(), v.seq))
    else {
        return Ok(None);
    };
    let v: Value = serde_json::from_str(&latest.json)
        .map_err(|e| ApiError::Internal(format!("stored JSON of {id}: {e}")))?;
    let names = Names::of(state).await?;
    let name = display_name(&v);
    let _ = write!(
        main,
        "<h1>{} <span class=\"muted\">{}</span></h1><p>{} <code id=\"object-id\">{}</code></p>",
        esc(if name.is_empty() {
            &latest.type_name
        } else {
            &name
        }),
        esc(&latest.type_name),
        tlp_label(&v),
        esc(id),
    );
    main.push_str("<section class=\"card\"><h2>Properties</h2>");
    main.push_str(&fields(&v));
    let _ = write!(
        main,
        "<details><summary>JSON</summary><pre id=\"object-json\">{}</pre></details></section>",
        esc(&serde_json::to_string_pretty(&v).unwrap_or_default())
    );

    // Provenance: the latest version's, from the search index of the collection.
    let own = ObjectSearch {
        text: Some(id.to_owned()),
        types: vec![latest.type_name.clone()],
        limit: RELATED_ROWS,
        ..ObjectSearch::default()
    };
    let found = state.collections().search(who, &c, &own).await?;
    main.push_str("<section class=\"card\"><h2>Provenance</h2><p id=\"provenance\">");
    let received = found
        .hits
        .iter()
        .find(|h| h.version.id == id)
        .and_then(|h| h.received.as_ref());
    match received {
        Some(r) => {
            let _ = write!(
                main,
                "Made by {}; received from {} at {}. Objects from peers are stored only when \
                 their envelope's signature, and the origin's signature where the origin is \
                 another party, verify.",
                names.party(&r.origin),
                names.party(&r.from),
                esc(&short_time(&r.at)),
            );
        }
        None => {
            let _ = write!(
                main,
                "Made on this node, {}; added {}.",
                names.party(&names.local.0),
                esc(&short_time(latest.date_added.as_str()))
            );
        }
    }
    main.push_str("</p></section>");

    // Relationships in and out.
    let (total, rels) = mentioning(state, who, &c, id, "relationship").await?;
    main.push_str("<section class=\"card\"><h2>Relationships</h2>");
    let rows: Vec<String> = rels
        .iter()
        .filter_map(|(h, r)| {
            let (source, target) = (str_field(r, "source_ref"), str_field(r, "target_ref"));
            let kind = esc(str_field(r, "relationship_type"));
            let link = object_link(&h.version.id, "");
            if source == id {
                Some(format!(
                    "<tr class=\"out\"><td>this</td><td>{kind}</td><td>{}</td><td>{link}</td></tr>",
                    object_link(target, "")
                ))
            } else if target == id {
                Some(format!(
                    "<tr class=\"in\"><td>{}</td><td>{kind}</td><td>this</td><td>{link}</td></tr>",
                    object_link(source, "")
                ))
            } else {
                None
            }
        })
        .collect();
    if rows.is_empty() {
        main.push_str("<p class=\"muted\" id=\"relationships-none\">None.</p>");
    } else {
        let _ = write!(
            main,
            "<table id=\"relationships\"><thead><tr><th>Source</th><th>Relationship</th>\
             <th>Target</th><th>Object</th></tr></thead><tbody>{}</tbody></table>",
            rows.join("")
        );
        if total > RELATED_ROWS as u64 {
            let _ = write!(
                main,
                "<p class=\"muted\">The newest {RELATED_ROWS} of {total}.</p>"
            );
        }
    }
    main.push_str("</section>");

    // Sightings: made here, and returned by others.
    let (_, sightings) = mentioning(state, who, &c, id, "sighting").await?;
    main.push_str("<section class=\"card\"><h2>Sightings</h2>");
    let rows: Vec<String> = sightings
        .iter()
        .filter(|(_, s)| str_field(s, "sighting_of_ref") == id)
        .map(|(h, s)| {
            let by = match &h.received {
                Some(r) => format!("returned by {}", names.party(&r.origin)),
                None => "here".to_owned(),
            };
            format!(
                "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{by}</td></tr>",
                object_link(&h.version.id, ""),
                s.get("count").and_then(Value::as_u64).unwrap_or(1),
                esc(&short_time(str_field(s, "first_seen"))),
                esc(&short_time(str_field(s, "last_seen"))),
            )
        })
        .collect();
    if rows.is_empty() {
        main.push_str("<p class=\"muted\" id=\"sightings-none\">None.</p>");
    } else {
        let _ = write!(
            main,
            "<table id=\"sightings\"><thead><tr><th>Sighting</th><th class=\"num\">Count</th>\
             <th>First seen</th><th>Last seen</th><th>By</th></tr></thead><tbody>{}</tbody></table>",
            rows.join("")
        );
    }
    main.push_str("</section>");

    // Notes about it and the reports that group it.
    for (kind, title, section) in [
        ("note", "Notes", "notes"),
        ("report", "In reports", "reports"),
    ] {
        let (_, found) = mentioning(state, who, &c, id, kind).await?;
        let rows: Vec<String> = found
            .iter()
            .filter(|(_, o)| {
                o.get("object_refs")
                    .and_then(Value::as_array)
                    .is_some_and(|refs| refs.iter().any(|r| r == id))
            })
            .map(|(h, o)| {
                let text = if kind == "note" {
                    format!(
                        "{} {}",
                        esc(str_field(o, "abstract")),
                        esc(str_field(o, "content"))
                    )
                } else {
                    String::new()
                };
                format!(
                    "<tr><td>{}</td><td>{text}</td><td>{}</td><td>{}</td></tr>",
                    object_link(&h.version.id, &display_name(o)),
                    names.origin(h),
                    esc(&short_time(h.version.date_added.as_str())),
                )
            })
            .collect();
        let _ = write!(main, "<section class=\"card\"><h2>{title}</h2>");
        if rows.is_empty() {
            let _ = write!(main, "<p class=\"muted\" id=\"{section}-none\">None.</p>");
        } else {
            let _ = write!(
                main,
                "<table id=\"{section}\"><tbody>{}</tbody></table>",
                rows.join("")
            );
        }
        main.push_str("</section>");
    }

    // Versions.
    main.push_str(
        "<section class=\"card\"><h2>Versions</h2><table id=\"versions\"><thead><tr>\
         <th>Version</th><th>Added</th></tr></thead><tbody>",
    );
    for ver in versions.iter().rev() {
        let _ = write!(
            main,
            "<tr><td>{}</td><td>{}</td></tr>",
            esc(ver.version.as_str()),
            esc(&short_time(ver.date_added.as_str()))
        );
    }
    main.push_str("</tbody></table></section>");

    // Sent and held back, from the log's recent entries.
    let (_, entries) = recent_entries(state, LOG_SCAN, None).await?;
    let mut shared = String::new();
    for (index, e) in entries.iter().rev() {
        let row = match &e.act {
            Act::ObjectSent {
                object, peer, rule, ..
            } if object.id == id => format!(
                "<tr class=\"sent\"><td class=\"num\">{index}</td><td>sent to {}</td><td>rule <code>{}</code></td><td>{}</td></tr>",
                names.party(peer),
                esc(rule),
                esc(&object.version)
            ),
            Act::ObjectWithheld {
                object,
                peer,
                reason,
            } if object.id == id => format!(
                "<tr class=\"withheld\"><td class=\"num\">{index}</td><td>held back from {}</td><td><code>{}</code></td><td>{}</td></tr>",
                names.party(peer),
                esc(reason),
                esc(&object.version)
            ),
            _ => continue,
        };
        shared.push_str(&row);
    }
    let _ = write!(
        main,
        "<section class=\"card\"><h2>Shared with peers</h2><p class=\"muted\">From the \
         transparency log's last {} entries.</p>",
        entries.len()
    );
    if shared.is_empty() {
        main.push_str("<p class=\"muted\" id=\"shared-none\">Neither sent nor held back.</p>");
    } else {
        let _ = write!(
            main,
            "<table id=\"shared\"><thead><tr><th class=\"num\">Entry</th><th>What</th><th>Why</th>\
             <th>Version</th></tr></thead><tbody>{shared}</tbody></table>"
        );
    }
    main.push_str("</section>");
    // Write controls only for the roles the authorisation table lets write.
    let may_write = rule_for(&axum::http::Method::POST, "/objects/{id}/annotate")
        .is_ok_and(|rule| rule.access.admits(who.caller()));
    if may_write {
        // Only this node's own indicators: a received one is its origin's to version.
        if latest.type_name == "indicator" && received.is_none() {
            let _ = write!(
                main,
                "<p class=\"actions\"><a class=\"button\" id=\"edit-indicator\" href=\"/objects/new?edit={}\">Edit: a new version</a></p>",
                esc(&url_enc(id))
            );
        }
        let tlp = Tlp::strictest(marking_refs(&v).iter().copied()).unwrap_or(Tlp::Amber);
        main.push_str(&super::annotate::forms(state, viewer, &c, id, tlp).await?);
    }
    Ok(Some(main))
}

/// An object's properties as a definition list: markings in words, the pattern, kill-chain
/// phases, external references as links (http and https only), the rest as JSON.
fn fields(v: &Value) -> String {
    let Some(map) = v.as_object() else {
        return String::new();
    };
    let mut out = String::from("<dl class=\"facts\" id=\"object-fields\">");
    for (key, value) in map {
        let shown = match (key.as_str(), value) {
            ("id" | "type" | "spec_version", _) => continue,
            ("object_marking_refs", Value::Array(refs)) => refs
                .iter()
                .filter_map(Value::as_str)
                .map(|r| match Tlp::from_marking_id(r) {
                    Some(tlp) => esc(tlp.label()),
                    None => format!("<code>{}</code>", esc(r)),
                })
                .collect::<Vec<_>>()
                .join(", "),
            ("pattern", Value::String(p)) => format!("<code class=\"pattern\">{}</code>", esc(p)),
            ("kill_chain_phases", Value::Array(phases)) => phases
                .iter()
                .map(|p| {
                    format!(
                        "{} <span class=\"muted\">({})</span>",
                        esc(str_field(p, "phase_name")),
                        esc(str_field(p, "kill_chain_name"))
                    )
                })
                .collect::<Vec<_>>()
                .join("<br>"),
            ("external_references", Value::Array(refs)) => refs
                .iter()
                .map(|r| {
                    let label = [str_field(r, "source_name"), str_field(r, "external_id")]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ");
                    let url = str_field(r, "url");
                    if url.starts_with("https://") || url.starts_with("http://") {
                        format!(
                            "<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
                            esc(url),
                            esc(if label.is_empty() { url } else { &label })
                        )
                    } else {
                        esc(&label)
                    }
                })
                .collect::<Vec<_>>()
                .join("<br>"),
            (k, Value::String(r)) if k.ends_with("_ref") && r.contains("--") => object_link(r, ""),
            (_, Value::String(s)) => esc(s),
            (_, Value::Array(items)) if items.iter().all(Value::is_string) => esc(&items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")),
            (_, other) => format!("<code>{}</code>", esc(&other.to_string())),
        };
        let _ = write!(
            out,
            "<dt>{}</dt><dd data-field=\"{}\">{shown}</dd>",
            esc(&key.replace('_', " ")),
            esc(key)
        );
    }
    out.push_str("</dl>");
    out
}
