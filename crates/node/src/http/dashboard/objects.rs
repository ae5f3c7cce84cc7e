//! The objects browser `/objects`.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::extract::{Query, State};
use axum::response::Response;
use pacific_core::taxii::{ObjectQuery, PageCursor};
use serde_json::Value;

use super::{Viewer, error_page, esc, page, readable, str_field, url_enc};
use crate::http::authz::Principal;
use crate::http::error::ApiError;
use crate::http::state::AppState;

/// Rows per page in the objects browser.
const PAGE_ROWS: usize = 50;

const COMMON_TYPES: [&str; 12] = [
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
];

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

async fn render_objects(
    state: &AppState,
    who: &Principal,
    params: &HashMap<String, String>,
) -> Result<String, ApiError> {
    let param = |k: &str| params.get(k).map(|s| s.trim()).unwrap_or("").to_owned();
    let (type_f, id_f, text_f) = (param("type"), param("id"), param("q"));
    let cursor = params.get("next").and_then(|s| PageCursor::decode(s));

    let mut main = String::from("<h1>Objects</h1>");
    let c = match readable(state, who, "default").await? {
        None => {
            main.push_str(
                "<p class=\"muted\">This node has no <code>default</code> collection.</p>",
            );
            return Ok(main);
        }
        Some(Err(_)) => {
            main.push_str("<p class=\"error\">You may not read the default collection.</p>");
            return Ok(main);
        }
        Some(Ok(c)) => c,
    };
    let mut options = String::from("<option value=\"\">any</option>");
    let mut types: Vec<&str> = COMMON_TYPES.to_vec();
    if !type_f.is_empty() && !types.contains(&type_f.as_str()) {
        types.push(&type_f);
    }
    for t in types {
        let sel = if t == type_f { " selected" } else { "" };
        let _ = write!(options, "<option{sel}>{}</option>", esc(t));
    }
    let _ = write!(
        main,
        "<p class=\"muted\">Collection {} (<code>{}</code>), latest versions in the order they \
         were added.</p>\
         <form class=\"filters\" method=\"get\" action=\"/objects\">\
         <label>Type<select name=\"type\">{options}</select></label>\
         <label>Id<input name=\"id\" value=\"{}\" placeholder=\"indicator--…\"></label>\
         <label>Name contains<input name=\"q\" value=\"{}\"></label>\
         <button type=\"submit\">Filter</button> <a href=\"/objects\">clear</a></form>",
        esc(&c.title),
        esc(&c.id),
        esc(&id_f),
        esc(&text_f),
    );

    let mut q = ObjectQuery::all(PAGE_ROWS);
    if !type_f.is_empty() {
        q.types = vec![type_f.clone()];
    }
    if !id_f.is_empty() {
        q.ids = vec![id_f.clone()];
    }
    q.next = cursor;
    // The store filters by type and id; the text in the name is checked here, reading pages
    // until a page of rows is found or a bounded number of versions was scanned.
    let needle = text_f.to_lowercase();
    let mut rows: Vec<(pacific_store::StoredVersion, Value)> = Vec::new();
    let mut next = None;
    for _ in 0..40 {
        let page = state.collections().page(who, &c, &q, true).await?.page;
        next = page.next;
        for item in page.items {
            let v: Value = serde_json::from_str(&item.json).unwrap_or(Value::Null);
            if needle.is_empty() || str_field(&v, "name").to_lowercase().contains(&needle) {
                rows.push((item, v));
            }
        }
        if needle.is_empty() || rows.len() >= PAGE_ROWS || next.is_none() {
            break;
        }
        q.next = next;
    }

    main.push_str(
        "<table id=\"objects\"><thead><tr><th>Type</th><th>Name</th><th>Id</th><th>Version</th>\
         <th>Added</th></tr></thead><tbody>",
    );
    for (item, v) in &rows {
        let pretty = serde_json::to_string_pretty(v).unwrap_or_else(|_| item.json.clone());
        let _ = write!(
            main,
            "<tr><td>{}</td><td>{}</td><td><code>{}</code><details><summary>JSON</summary>\
             <pre>{}</pre></details></td><td>{}</td><td>{}</td></tr>",
            esc(&item.type_name),
            esc(str_field(v, "name")),
            esc(&item.id),
            esc(&pretty),
            esc(item.version.as_str()),
            esc(item.date_added.as_str()),
        );
    }
    if rows.is_empty() {
        main.push_str("<tr><td colspan=\"5\" class=\"muted\">No objects match.</td></tr>");
    }
    main.push_str("</tbody></table><p class=\"pager\">");
    if let Some(n) = next {
        let _ = write!(
            main,
            "<a id=\"next-page\" href=\"/objects?type={}&amp;id={}&amp;q={}&amp;next={}\">Next page →</a>",
            esc(&url_enc(&type_f)),
            esc(&url_enc(&id_f)),
            esc(&url_enc(&text_f)),
            esc(&url_enc(&n.encode())),
        );
    } else {
        main.push_str("<span class=\"muted\">End of the collection.</span>");
    }
    main.push_str("</p>");
    Ok(main)
}
