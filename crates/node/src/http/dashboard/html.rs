//! HTML helpers of the dashboard: escaping, URL and form encoding, the page shell (header,
//! navigation, error page) and the answers' security headers.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pacific_core::Timestamp;
use pacific_core::access::Role;
use pacific_core::tlp::Tlp;
use pacific_store::Collection;
use serde_json::Value;

use super::{Viewer, gov, registry, secure_headers};
use crate::http::authz::Principal;
use crate::http::error::ApiError;
use crate::http::state::AppState;

/// HTML-escapes text for element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a URL query value.
pub(super) fn url_enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Decodes one `application/x-www-form-urlencoded` value.
pub(super) fn url_dec(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(super) fn form_fields(body: &[u8]) -> HashMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|p| p.split_once('=').or(Some((p, ""))))
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (url_dec(k), url_dec(v)))
        .collect()
}

pub(super) fn html(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    secure_headers(h);
    r
}

pub(super) fn document(title: &str, header: &str, main: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Pacific</title>\
         <link rel=\"icon\" href=\"/assets/favicon.svg\" type=\"image/svg+xml\"><link rel=\"stylesheet\" href=\"/assets/dashboard.css\">\
         <script src=\"/assets/dashboard.js\" defer></script></head>\
         <body>{header}<main>{main}</main></body></html>\n",
        esc(title)
    )
}

/// The navigation bar.
pub(super) fn nav(state: &AppState, viewer: &Viewer, active: &str) -> String {
    let who = &viewer.who;
    let mut links = String::new();
    for (href, label) in [
        ("/", "Overview"),
        ("/objects", "Objects"),
        ("/peers", "Peers"),
        ("/requests", "Requests"),
        ("/disputes", "Disputes"),
        (registry::HOME, "Registry"),
        (gov::HOME, "Governance"),
        ("/policy", "Policy"),
        ("/users", "Users"),
        ("/log", "Log"),
    ] {
        // Only the pages the authorisation table lets this viewer open.
        let shown = crate::http::authz::rule_for(&axum::http::Method::GET, href)
            .is_ok_and(|r| r.access.admits(who.caller()));
        if !shown {
            continue;
        }
        let class = if href == active {
            " class=\"active\""
        } else {
            ""
        };
        let _ = write!(links, "<a href=\"{href}\"{class}>{label}</a>");
    }
    format!(
        "<header><span class=\"brand\">Pacific · {}</span><nav>{links}</nav>\
         <span class=\"who\"><span id=\"user\">{} ({})</span>\
         <form method=\"post\" action=\"/logout\">{}<button type=\"submit\">Log out</button></form>\
         </span></header>",
        esc(&state.config().party.name),
        esc(&who.actor()),
        esc(who.role().map_or("peer", Role::as_str)),
        csrf_field(viewer),
    )
}

pub(super) fn page(
    state: &AppState,
    viewer: &Viewer,
    active: &str,
    title: &str,
    main: &str,
) -> Response {
    html(
        StatusCode::OK,
        document(title, &nav(state, viewer, active), main),
    )
}

pub(super) fn error_page(state: &AppState, viewer: &Viewer, e: ApiError) -> Response {
    let status = e.status();
    let heading = match status {
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::NOT_FOUND => "Not found",
        s if s.is_client_error() => "Not done",
        _ => "Something went wrong",
    };
    if status.is_server_error() {
        tracing::error!(error = %e, "dashboard page failed");
    } else {
        tracing::info!(error = %e, user = %viewer.who, "dashboard request refused");
    }
    // The stable label, as the JSON API gives it, for scripts and tests.
    let body = format!(
        "<h1>{heading}</h1><p class=\"error\" id=\"error\" data-label=\"{}\">{}</p>",
        e.label(),
        esc(&e.to_string())
    );
    html(status, document(heading, &nav(state, viewer, ""), &body))
}

/// The UTC day (`YYYY-MM-DD`) `days_ago` days before now.
pub(super) fn day(days_ago: i64) -> String {
    let (now, _) = Timestamp::now().unix();
    Timestamp::from_unix(now - days_ago * 86_400, 0).as_str()[..10].to_owned()
}

/// `2026-01-02T03:04:05.678Z` as `2026-01-02 03:04 UTC` (other text unchanged).
pub(super) fn short_time(t: &str) -> String {
    match (t.get(..10), t.get(11..16)) {
        (Some(d), Some(hm)) if t.as_bytes()[10] == b'T' => format!("{d} {hm} UTC"),
        _ => t.to_owned(),
    }
}

/// A log entry's time (milliseconds since the epoch) as `2026-01-02 03:04:05.678 UTC`.
pub(super) fn time_of_ms(ms: u64) -> String {
    let secs = i64::try_from(ms / 1000).unwrap_or(i64::MAX / 2);
    let t = Timestamp::from_unix(secs, 0);
    let text = t.as_str();
    match text.get(..19) {
        Some(s) => format!("{}.{:03} UTC", s.replace('T', " "), ms % 1000),
        None => text.to_owned(),
    }
}

/// A collection the viewer may read (as over TAXII: role and per-collection grant):
/// `Ok(None)` when there is none of that key, `Err(collection)` when it may not read it.
pub(super) async fn readable(
    state: &AppState,
    who: &Principal,
    key: &str,
) -> Result<Option<Result<Collection, Collection>>, ApiError> {
    Ok(state
        .collections()
        .lookup(who, key)
        .await?
        .map(|(c, read, _)| if read { Ok(c) } else { Err(c) }))
}

/// The `default` collection, where the dashboard's forms add objects: refused (403) when the
/// viewer may not read it; whether it may write there, the service adding decides.
pub(super) async fn default_for_adding(
    state: &AppState,
    viewer: &Viewer,
) -> Result<Collection, ApiError> {
    match readable(state, &viewer.who, "default").await? {
        Some(Ok(c)) => Ok(c),
        _ => Err(ApiError::Forbidden {
            user: viewer.who.actor(),
            action: "add objects to the default collection".into(),
        }),
    }
}

pub(super) fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The hidden field that carries the session's anti-forgery token in every dashboard form.
pub(super) fn csrf_field(viewer: &Viewer) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(&viewer.csrf)
    )
}

/// A `<select name="tlp">` of the TLP 2.0 levels, `chosen` selected, in a label.
pub(super) fn tlp_select(chosen: Tlp) -> String {
    let mut out = String::from("<label>TLP<select name=\"tlp\">");
    for t in [
        Tlp::Clear,
        Tlp::Green,
        Tlp::Amber,
        Tlp::AmberStrict,
        Tlp::Red,
    ] {
        let sel = if t == chosen { " selected" } else { "" };
        let value = t.label()[4..].to_ascii_lowercase();
        let _ = write!(out, "<option value=\"{value}\"{sel}>{}</option>", t.label());
    }
    out.push_str("</select></label>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_html_reads() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        let row = format!("<td>{}</td>", esc("<script>steal()</script>"));
        assert!(!row.contains("<script>"));
    }

    #[test]
    fn form_values_decode() {
        let f = form_fields(b"user=ana&token=pac_1%5Fx+y&empty=&bad=%zz%4");
        assert_eq!(f["user"], "ana");
        assert_eq!(f["token"], "pac_1_x y");
        assert_eq!(f["empty"], "");
        assert_eq!(f["bad"], "%zz%4");
        assert_eq!(url_dec(&url_enc("a b&c=d/é")), "a b&c=d/é");
    }
}
