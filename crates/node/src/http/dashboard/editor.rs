//! The indicator editor: `/objects/new`. A pattern builder for the common cases (an address,
//! a network, a domain, a URL, a hash, an e-mail address) or a pattern typed in full, checked
//! by the node's own pattern parser (live, through `POST /objects/pattern-check`, when the
//! script runs); TLP, recipients, sharing groups, jurisdiction and personal-data markings; a
//! preview of what the policy gate would do with the indicator for each peer, asked exactly
//! as the outbox will ask it ([`crate::federation::Federation::preview`]); and saving it into
//! the `default` collection through the same service as a TAXII POST.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use pacific_core::StixObject;
use pacific_core::Timestamp;
use pacific_core::policy::{
    Decision, PROP_JURISDICTION_RESTRICTION, PROP_PERSONAL_DATA, PROP_RECIPIENTS,
    PROP_SHARING_GROUPS,
};
use pacific_core::tlp::Tlp;
use serde_json::{Value, json};

use super::html::{csrf_field, tlp_select};
use super::{
    Form, Viewer, default_for_adding, error_page, esc, page, secure_headers, see_other_to,
    str_field,
};
use crate::http::error::ApiError;
use crate::http::state::AppState;

/// What the builder makes a pattern from: (form value, label, STIX object path).
pub(super) const KINDS: [(&str, &str, &str); 9] = [
    ("ipv4", "IPv4 address", "ipv4-addr:value"),
    ("cidr", "IPv4 network (CIDR)", "ipv4-addr:value"),
    ("ipv6", "IPv6 address or network", "ipv6-addr:value"),
    ("domain", "Domain name", "domain-name:value"),
    ("url", "URL", "url:value"),
    ("email", "E-mail address", "email-addr:value"),
    ("md5", "MD5", "file:hashes.MD5"),
    ("sha1", "SHA-1", "file:hashes.'SHA-1'"),
    ("sha256", "SHA-256", "file:hashes.'SHA-256'"),
];

/// STIX 2.1 `indicator-type-ov`.
const INDICATOR_TYPES: [&str; 6] = [
    "malicious-activity",
    "anomalous-activity",
    "attribution",
    "compromised",
    "benign",
    "unknown",
];

/// Checks `value` as a `kind` and makes the one-comparison pattern for it.
pub(super) fn build_pattern(kind: &str, value: &str) -> Result<String, String> {
    let value = value.trim();
    let Some((_, label, path)) = KINDS.iter().find(|(k, _, _)| *k == kind) else {
        return Err(format!("{kind:?} is not a kind of value the builder knows"));
    };
    if value.is_empty() {
        return Err(format!("type the {}", label.to_lowercase()));
    }
    let hex = |len: usize| value.len() == len && value.bytes().all(|b| b.is_ascii_hexdigit());
    let ok = match kind {
        "ipv4" => value.parse::<Ipv4Addr>().is_ok(),
        "cidr" => value.split_once('/').is_some_and(|(a, n)| {
            a.parse::<Ipv4Addr>().is_ok() && n.parse::<u8>().is_ok_and(|n| n <= 32)
        }),
        "ipv6" => match value.split_once('/') {
            Some((a, n)) => {
                a.parse::<Ipv6Addr>().is_ok() && n.parse::<u8>().is_ok_and(|n| n <= 128)
            }
            None => value.parse::<Ipv6Addr>().is_ok(),
        },
        "domain" => {
            value.contains('.')
                && value.parse::<IpAddr>().is_err()
                && value.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && l.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b >= 0x80)
                })
        }
        "url" => value.contains("://") && !value.chars().any(char::is_whitespace),
        "email" => value
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.')),
        "md5" => hex(32),
        "sha1" => hex(40),
        "sha256" => hex(64),
        _ => false,
    };
    if !ok {
        return Err(format!("{value:?} is not an {}", label.to_lowercase()));
    }
    let literal = value.replace('\\', "\\\\").replace('\'', "\\'");
    let pattern = format!("[{path} = '{literal}']");
    pacific_core::pattern::parse(&pattern).map_err(|e| e.to_string())?;
    Ok(pattern)
}

/// A form's fields, trimmed; empty when absent (a posted form's, or an edited object's).
#[derive(Clone, Copy)]
struct Fields<'a>(&'a HashMap<String, String>);

impl<'a> Fields<'a> {
    fn field(&self, name: &str) -> &'a str {
        self.0.get(name).map_or("", |v| v.trim())
    }
}

/// The pattern a form asks for: the one typed in full, else the builder's.
fn form_pattern(form: Fields<'_>) -> Result<String, String> {
    let typed = form.field("pattern");
    if typed.is_empty() {
        build_pattern(form.field("kind"), form.field("value"))
    } else {
        pacific_core::pattern::parse(typed)
            .map(|_| typed.to_owned())
            .map_err(|e| e.to_string())
    }
}

/// A comma- or space-separated list, trimmed, without empties.
fn list(text: &str) -> Vec<String> {
    text.split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The indicator a form describes, validated as any STIX object: a new one, or with `edited`
/// (the latest version of one of this node's indicators) its next version — same id and
/// `created`, `modified` now (after the edited version's), and the form's properties.
fn indicator(
    form: Fields<'_>,
    pattern: &str,
    peers: &[String],
    edited: Option<&Value>,
) -> Result<StixObject, String> {
    let mut now = Timestamp::now();
    let tlp = Tlp::parse(form.field("tlp"))?;
    let (id, created, valid_from) = match edited {
        Some(old) => {
            let modified = Timestamp::parse(str_field(old, "modified"))
                .map_err(|e| format!("the edited version's modified: {e}"))?;
            if now.unix_micros() <= modified.unix_micros() {
                now = Timestamp::from_unix_micros(modified.unix_micros() + 1000);
            }
            (
                str_field(old, "id").to_owned(),
                str_field(old, "created").to_owned(),
                str_field(old, "valid_from").to_owned(),
            )
        }
        None => (
            format!("indicator--{}", crate::new_uuid()),
            now.as_str().to_owned(),
            now.as_str().to_owned(),
        ),
    };
    let mut v = json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": id,
        "created": created,
        "modified": now.as_str(),
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": valid_from,
        "object_marking_refs": [tlp.marking_id()],
    });
    for (key, field) in [("name", "name"), ("description", "description")] {
        let text = form.field(field);
        if !text.is_empty() {
            v[key] = json!(text);
        }
    }
    let kind = form.field("indicator_type");
    if !kind.is_empty() {
        v["indicator_types"] = json!([kind]);
    }
    let recipients: Vec<&String> = peers
        .iter()
        .filter(|p| !form.field(&format!("to.{p}")).is_empty())
        .collect();
    if !recipients.is_empty() {
        v[PROP_RECIPIENTS] = json!(recipients);
    }
    let groups = list(form.field("groups"));
    if !groups.is_empty() {
        v[PROP_SHARING_GROUPS] = json!(groups);
    }
    let within = list(&form.field("keep_within").to_uppercase());
    if !within.is_empty() {
        v[PROP_JURISDICTION_RESTRICTION] = json!({ "keep_within": within });
    }
    let residents = list(&form.field("personal_data").to_uppercase());
    if !residents.is_empty() {
        v[PROP_PERSONAL_DATA] = json!({ "subjects_resident_in": residents });
    }
    StixObject::from_value(v).map_err(|e| e.to_string())
}

/// `GET /objects/new`, or with `?edit=ID` the form filled from one of this node's indicators,
/// to save its next version.
pub(super) async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let result = async {
        let filled = match params.get("edit") {
            Some(id) => {
                let c = default_for_adding(&state, &viewer).await?;
                let old = editable(&state, &viewer, &c, id).await?;
                Some(fields_of(&old))
            }
            None => None,
        };
        render_form(&state, &viewer, filled.as_ref().map(Fields), "").await
    }
    .await;
    match result {
        Ok(main) => page(&state, &viewer, "/objects", "Indicator", &main),
        Err(e) => error_page(&state, &viewer, e),
    }
}

/// The latest version of `id` if it is an indicator this node made (a received one is its
/// origin's to version: peers would refuse another party's version of it).
async fn editable(
    state: &AppState,
    viewer: &Viewer,
    c: &pacific_store::Collection,
    id: &str,
) -> Result<Value, ApiError> {
    let search = pacific_store::search::ObjectSearch {
        text: Some(id.to_owned()),
        types: vec!["indicator".into()],
        limit: 50,
        ..Default::default()
    };
    let found = state.collections().search(&viewer.who, c, &search).await?;
    let Some(hit) = found.hits.into_iter().find(|h| h.version.id == id) else {
        return Err(ApiError::NotFound(format!(
            "indicator {id} in the default collection"
        )));
    };
    if let Some(r) = &hit.received {
        return Err(ApiError::Unprocessable(format!(
            "{id} was made by {}: only its origin makes new versions of it",
            r.origin
        )));
    }
    serde_json::from_str(&hit.version.json)
        .map_err(|e| ApiError::Internal(format!("stored JSON of {id}: {e}")))
}

/// The editor's fields for an indicator's properties.
fn fields_of(v: &Value) -> HashMap<String, String> {
    let strings = |key: &str| -> Vec<String> {
        v.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut f = HashMap::new();
    f.insert("edit".into(), str_field(v, "id").to_owned());
    for key in ["pattern", "name", "description"] {
        f.insert(key.into(), str_field(v, key).to_owned());
    }
    if let Some(t) = strings("indicator_types").first() {
        f.insert("indicator_type".into(), t.clone());
    }
    let refs = strings("object_marking_refs");
    if let Some(tlp) = Tlp::strictest(refs.iter().map(String::as_str)) {
        f.insert("tlp".into(), tlp.label()[4..].to_ascii_lowercase());
    }
    for party in strings(PROP_RECIPIENTS) {
        f.insert(format!("to.{party}"), "on".into());
    }
    f.insert("groups".into(), strings(PROP_SHARING_GROUPS).join(", "));
    let nested = |key: &str, inner: &str| -> String {
        v.get(key)
            .and_then(|o| o.get(inner))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    f.insert(
        "keep_within".into(),
        nested(PROP_JURISDICTION_RESTRICTION, "keep_within"),
    );
    f.insert(
        "personal_data".into(),
        nested(PROP_PERSONAL_DATA, "subjects_resident_in"),
    );
    f
}

/// `POST /objects/new`: `action=preview` shows the form again with the pattern checked and
/// the gate's decision per peer; `action=save` stores the indicator and goes to its page.
pub(super) async fn submit(State(state): State<AppState>, form: Form) -> Response {
    let viewer = &form.viewer;
    let fields = Fields(&form.fields);
    let result = async {
        let c = default_for_adding(&state, viewer).await?;
        let peers = peer_ids(&state).await?;
        let edited = match fields.field("edit") {
            "" => None,
            id => Some(editable(&state, viewer, &c, id).await?),
        };
        let draft =
            form_pattern(fields).and_then(|p| indicator(fields, &p, &peers, edited.as_ref()));
        let object = match draft {
            Ok(o) => o,
            Err(problem) => {
                return Ok(Err(
                    render_form(&state, viewer, Some(fields), &problem).await?
                ));
            }
        };
        if form.field("action") != "save" {
            let mut main = render_form(&state, viewer, Some(fields), "").await?;
            main.push_str(&preview_table(&state, &object, &c).await?);
            return Ok(Err(main));
        }
        let id = object.id().to_owned();
        let limits = crate::taxii::Limits::from(&state.config().server);
        let value = Value::Object(object.as_map().clone());
        let status = state
            .collections()
            .add(&viewer.who, &c, vec![value], limits)
            .await?;
        if let Some(failure) = status.failures.first() {
            let problem = failure
                .message
                .clone()
                .unwrap_or_else(|| "not stored".into());
            return Ok(Err(
                render_form(&state, viewer, Some(fields), &problem).await?
            ));
        }
        tracing::info!(user = %viewer.who, object = %id, "indicator made in the dashboard");
        Ok(Ok(id))
    }
    .await;
    match result {
        Ok(Ok(id)) => see_other_to(&format!("/objects/{}", super::url_enc(&id))),
        Ok(Err(main)) => page(&state, viewer, "/objects", "New indicator", &main),
        Err(e) => error_page(&state, viewer, e),
    }
}

/// `POST /objects/pattern-check`: the builder's pattern, or the typed one, checked by the
/// node's parser, as JSON `{ok, pattern, problem}` for the editor's script.
pub(super) async fn pattern_check(form: Form) -> Response {
    let body = match form_pattern(Fields(&form.fields)) {
        Ok(pattern) => json!({"ok": true, "pattern": pattern, "problem": null}),
        Err(problem) => json!({"ok": false, "pattern": null, "problem": problem}),
    };
    let mut r = axum::Json(body).into_response();
    secure_headers(r.headers_mut());
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn peer_ids(state: &AppState) -> Result<Vec<String>, ApiError> {
    Ok(state
        .federation()
        .peers_and_links()
        .await?
        .into_iter()
        .map(|(p, _)| p.party_id.as_str().to_owned())
        .collect())
}

async fn render_form(
    state: &AppState,
    viewer: &Viewer,
    form: Option<Fields<'_>>,
    problem: &str,
) -> Result<String, ApiError> {
    let field = |name: &str| form.map_or("", |f| f.field(name));
    // A submitted form shows its pattern as the node read it (the script does so as one types).
    let checked = form.map(form_pattern);
    let editing = field("edit");
    let mut main = if editing.is_empty() {
        String::from("<h1>New indicator</h1>")
    } else {
        format!(
            "<h1>Edit an indicator</h1><p class=\"muted\">Saving makes a new version of <code>{}</code>.</p>",
            esc(editing)
        )
    };
    if !problem.is_empty() {
        let _ = write!(
            main,
            "<p class=\"error\" id=\"form-problem\" role=\"alert\">{}</p>",
            esc(problem)
        );
    }
    let _ = write!(
        main,
        "<form class=\"editor card\" method=\"post\" action=\"/objects/new\" id=\"indicator-form\">{}\
         <input type=\"hidden\" name=\"edit\" value=\"{}\">",
        csrf_field(viewer),
        esc(editing)
    );
    main.push_str("<fieldset><legend>Pattern</legend><label>Kind of value<select name=\"kind\">");
    let kind = field("kind");
    for (k, label, _) in KINDS {
        let sel = if k == kind { " selected" } else { "" };
        let _ = write!(main, "<option value=\"{k}\"{sel}>{label}</option>");
    }
    let _ = write!(
        main,
        "</select></label><label>Value<input name=\"value\" value=\"{}\" \
         placeholder=\"203.0.113.7\" autocomplete=\"off\"></label>\
         <label>Or the whole pattern<textarea name=\"pattern\" rows=\"2\" \
         placeholder=\"[ipv4-addr:value = '203.0.113.7']\">{}</textarea></label>\
         <p id=\"pattern-status\" class=\"{}\" aria-live=\"polite\">{}</p></fieldset>",
        esc(field("value")),
        esc(field("pattern")),
        checked
            .as_ref()
            .map_or("muted", |c| if c.is_ok() { "ok" } else { "error" }),
        match &checked {
            Some(Ok(p)) => format!("Pattern: {}", esc(p)),
            Some(Err(problem)) => format!("Not yet a pattern: {}", esc(problem)),
            None => String::new(),
        },
    );
    let _ = write!(
        main,
        "<fieldset><legend>Description</legend><label>Name<input name=\"name\" value=\"{}\"></label>\
         <label>Description<textarea name=\"description\" rows=\"3\">{}</textarea></label>\
         <label>Indicator type<select name=\"indicator_type\"><option value=\"\">—</option>",
        esc(field("name")),
        esc(field("description")),
    );
    for t in INDICATOR_TYPES {
        let sel = if t == field("indicator_type") {
            " selected"
        } else {
            ""
        };
        let _ = write!(main, "<option{sel}>{t}</option>");
    }
    main.push_str("</select></label></fieldset><fieldset><legend>Sharing</legend>");
    main.push_str(&tlp_select(Tlp::parse(field("tlp")).unwrap_or(Tlp::Amber)));
    main.push_str("<div class=\"recipients\" role=\"group\" aria-label=\"Recipients\"><span>Recipients (none: every party the TLP allows)</span>");
    let peers = state.federation().peers_and_links().await?;
    for (p, _) in &peers {
        let id = p.party_id.as_str();
        let checked = if field(&format!("to.{id}")).is_empty() {
            ""
        } else {
            " checked"
        };
        let _ = write!(
            main,
            "<label class=\"check\"><input type=\"checkbox\" name=\"to.{}\" value=\"on\"{checked}> {} <code class=\"muted\">{}</code></label>",
            esc(id),
            esc(&p.name),
            esc(id)
        );
    }
    if peers.is_empty() {
        main.push_str("<span class=\"muted\">No peers yet.</span>");
    }
    let _ = write!(
        main,
        "</div><label>Sharing groups<input name=\"groups\" value=\"{}\" placeholder=\"energy-isac\"></label>\
         <label>Keep within jurisdictions<input name=\"keep_within\" value=\"{}\" placeholder=\"XA, XB\"></label>\
         <label>Personal data of residents of<input name=\"personal_data\" value=\"{}\" placeholder=\"XA\"></label>\
         </fieldset><div class=\"actions\"><button type=\"submit\" name=\"action\" value=\"preview\">Preview sharing</button> \
         <button type=\"submit\" name=\"action\" value=\"save\" class=\"primary\">Save</button></div></form>",
        esc(field("groups")),
        esc(field("keep_within")),
        esc(field("personal_data")),
    );
    Ok(main)
}

/// The gate's decision for each peer, as the outbox will ask it.
async fn preview_table(
    state: &AppState,
    object: &StixObject,
    c: &pacific_store::Collection,
) -> Result<String, ApiError> {
    let decisions = state.federation().preview(object, c).await?;
    let mut out = String::from(
        "<section class=\"card\"><h2>Who would receive it</h2><p class=\"muted\">The export \
         policy's decision for each peer, asked as the outbox will ask it once saved.</p>",
    );
    if decisions.is_empty() {
        out.push_str(
            "<p class=\"muted\" id=\"preview-none\">No peers: it stays on this node.</p></section>",
        );
        return Ok(out);
    }
    out.push_str(
        "<table id=\"gate-preview\"><thead><tr><th>Peer</th><th>Decision</th><th>Why</th></tr></thead><tbody>",
    );
    for (peer, decision) in decisions {
        let (class, what, why) = match &decision {
            Decision::Allow { rule } => {
                ("sent", "sent", format!("rule <code>{}</code>", esc(rule)))
            }
            Decision::Deny(reason) => (
                "withheld",
                "held back",
                format!(
                    "<code>{}</code> {}",
                    esc(reason.label()),
                    esc(&reason.to_string())
                ),
            ),
        };
        let _ = write!(
            out,
            "<tr class=\"{class}\" data-peer=\"{}\"><td>{} <code class=\"muted\">{}</code></td><td>{what}</td><td>{why}</td></tr>",
            esc(peer.party_id.as_str()),
            esc(&peer.name),
            esc(peer.party_id.as_str()),
        );
    }
    out.push_str("</tbody></table></section>");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builder_makes_patterns_the_parser_takes_and_refuses_wrong_values() {
        for (kind, value, pattern) in [
            ("ipv4", "203.0.113.7", "[ipv4-addr:value = '203.0.113.7']"),
            (
                "cidr",
                "198.51.100.0/24",
                "[ipv4-addr:value = '198.51.100.0/24']",
            ),
            (
                "ipv6",
                "2001:db8::/32",
                "[ipv6-addr:value = '2001:db8::/32']",
            ),
            (
                "domain",
                "evil.example",
                "[domain-name:value = 'evil.example']",
            ),
            (
                "url",
                "http://x.example/a'b",
                "[url:value = 'http://x.example/a\\'b']",
            ),
            (
                "md5",
                "d41d8cd98f00b204e9800998ecf8427e",
                "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
            ),
            (
                "sha256",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']",
            ),
        ] {
            assert_eq!(build_pattern(kind, value).as_deref(), Ok(pattern), "{kind}");
        }
        for (kind, value) in [
            ("ipv4", "203.0.113.300"),
            ("cidr", "198.51.100.0/33"),
            ("domain", "203.0.113.7"),
            ("domain", "no-dot"),
            ("md5", "xyz"),
            ("sha1", "d41d8cd98f00b204e9800998ecf8427e"),
            ("url", "not a url"),
            ("ipv4", ""),
            ("nonsense", "1.2.3.4"),
        ] {
            assert!(
                build_pattern(kind, value).is_err(),
                "{kind} {value:?} accepted"
            );
        }
    }
}
