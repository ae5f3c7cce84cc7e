//! The cooperation pages: `/requests` and `/disputes`.

use std::fmt::Write as _;

use axum::extract::State;
use axum::response::Response;

use super::{Viewer, error_page, esc, page};
use crate::http::error::ApiError;
use crate::http::state::AppState;

pub(super) async fn requests_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let columns = [
        ("kind", "Kind"),
        ("state", "State"),
        ("urgency", "Urgency"),
        ("requester", "Requester"),
        ("recipient", "Recipient"),
        ("title", "Title"),
        ("deadline", "Deadline"),
        ("id", "Id"),
    ];
    let rows = state
        .coop()
        .request_list(&viewer.who)
        .await
        .map_err(ApiError::from);
    match rows {
        Ok(rows) => {
            let main = records_table("Requests for assistance", "requests", &columns, &rows);
            page(&state, &viewer, "/requests", "Requests", &main)
        }
        Err(e) => error_page(&state, &viewer, e),
    }
}

pub(super) async fn disputes_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let columns = [
        ("stage", "Stage"),
        ("claimant", "Claimant"),
        ("respondent", "Respondent"),
        ("subject", "Subject"),
        ("mediator", "Mediator"),
        ("panel", "Panel"),
        ("id", "Id"),
    ];
    let rows = state
        .coop()
        .dispute_list(&viewer.who)
        .await
        .map_err(ApiError::from);
    match rows {
        Ok(rows) => {
            let main = records_table("Disputes", "disputes", &columns, &rows);
            page(&state, &viewer, "/disputes", "Disputes", &main)
        }
        Err(e) => error_page(&state, &viewer, e),
    }
}

/// A table of cooperation records (the JSON the `/coop` API lists), one column per field;
/// strings as they are, lists joined, anything else as JSON, all escaped.
fn records_table(
    title: &str,
    id: &str,
    columns: &[(&str, &str)],
    rows: &[serde_json::Value],
) -> String {
    let mut main = format!("<h1>{}</h1><section class=\"card\">", esc(title));
    if rows.is_empty() {
        let _ = write!(
            main,
            "<p class=\"muted\" id=\"{id}-none\">None yet.</p></section>"
        );
        return main;
    }
    let _ = write!(main, "<table id=\"{id}\"><thead><tr>");
    for (_, label) in columns {
        let _ = write!(main, "<th>{label}</th>");
    }
    main.push_str("</tr></thead><tbody>");
    for row in rows {
        main.push_str("<tr>");
        for (field, _) in columns {
            let text = match &row[*field] {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_string(),
            };
            let _ = write!(main, "<td>{}</td>", esc(&text));
        }
        main.push_str("</tr>");
    }
    main.push_str("</tbody></table></section>");
    main
}
