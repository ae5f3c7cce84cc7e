//! Importing from the browser: `/objects/import`. A STIX 2.1 bundle (or a TAXII envelope), or
//! a list of values — one per line, or CSV lines `value,kind` — each made an indicator by the
//! editor's pattern builder; a TLP for objects that carry none. Pasted, or read from a file by
//! the page's script (the form stays `application/x-www-form-urlencoded`, so no multipart
//! parser is needed). Stored through the same service as a TAXII POST
//! ([`crate::taxii::Collections::add`]), in envelopes of at most
//! `server.max_objects_per_post`, so validation, the refusal of service-owned types, the log
//! and the outbox are the same.

use std::fmt::Write as _;
use std::time::Duration;

use axum::extract::State;
use axum::response::Response;
use pacific_core::taxii::StatusState;
use pacific_core::tlp::Tlp;
use pacific_core::{StixObject, Timestamp};
use serde_json::{Value, json};

use super::editor::build_pattern;
use super::html::{csrf_field, tlp_select};
use super::{Form, Viewer, default_for_adding, error_page, esc, page};
use crate::http::error::ApiError;
use crate::http::state::AppState;

/// How long an import waits for its objects to be stored before saying they are still being
/// stored.
const IMPORT_WAIT: Duration = Duration::from_secs(120);
/// Refusals listed on the result page (the rest are counted).
const LISTED: usize = 50;

/// Kinds a value is tried as, in this order, when a line names none.
const GUESSES: [&str; 9] = [
    "ipv4", "cidr", "ipv6", "md5", "sha1", "sha256", "email", "url", "domain",
];

pub(super) async fn import_form(State(state): State<AppState>, viewer: Viewer) -> Response {
    page(
        &state,
        &viewer,
        "/objects",
        "Import",
        &render_form(&viewer, None),
    )
}

fn render_form(viewer: &Viewer, form: Option<&Form>) -> String {
    let field = |name: &str| form.map_or("", |f| f.field(name));
    let format = field("format");
    let mut main = format!(
        "<h1>Import</h1><form class=\"editor card\" method=\"post\" action=\"/objects/import\" id=\"import-form\">{}\
         <fieldset><legend>What</legend><label>Format<select name=\"format\">\
         <option value=\"stix\"{}>STIX 2.1 bundle (or TAXII envelope)</option>\
         <option value=\"values\"{}>Values: one per line, or CSV lines value,kind</option></select></label>\
         <span title=\"for what carries none\">{}</span>",
        csrf_field(viewer),
        if format != "values" { " selected" } else { "" },
        if format == "values" { " selected" } else { "" },
        tlp_select(Tlp::parse(field("tlp")).unwrap_or(Tlp::Amber)),
    );
    let _ = write!(
        main,
        "<label>From a file<input type=\"file\" id=\"import-file\" \
         accept=\".json,.csv,.txt,application/json,text/csv,text/plain\"></label></fieldset>\
         <fieldset><legend>Content</legend><label>Paste, or choose a file above\
         <textarea name=\"content\" rows=\"14\" id=\"import-content\" spellcheck=\"false\">{}</textarea>\
         </label><p class=\"muted\">Kinds: ipv4, cidr, ipv6, domain, url, email, md5, sha1, sha256; \
         a line without one is tried as each in turn. Lines starting with # are skipped.</p></fieldset>\
         <div class=\"actions\"><button type=\"submit\" class=\"primary\">Import</button></div></form>",
        esc(field("content")),
    );
    main
}

/// What an import did.
#[derive(Default)]
struct Outcome {
    stored: u64,
    already: u64,
    pending: u64,
    /// (where, why), the first [`LISTED`].
    refused: Vec<(String, String)>,
    refused_count: u64,
}

impl Outcome {
    fn refuse(&mut self, at: String, why: String) {
        self.refused_count += 1;
        if self.refused.len() < LISTED {
            self.refused.push((at, why));
        }
    }
}

/// A bundle's (or envelope's) objects, each given `tlp` when it carries no TLP marking.
fn bundle_objects(text: &str, tlp: Tlp) -> Result<Vec<Value>, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let Some(Value::Array(items)) = doc.get("objects") else {
        return Err("no `objects` array: not a STIX bundle or a TAXII envelope".into());
    };
    Ok(items
        .iter()
        .map(|item| match StixObject::from_value(item.clone()) {
            Ok(o) => Value::Object(o.with_default_tlp(tlp).as_map().clone()),
            // Refused, with its reason, by the service below.
            Err(_) => item.clone(),
        })
        .collect())
}

/// An indicator per value line; the lines that are not values are refused with their number.
fn value_indicators(text: &str, tlp: Tlp, out: &mut Outcome) -> Vec<Value> {
    let now = Timestamp::now();
    let mut objects = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (value, kind) = match line.rsplit_once(',') {
            Some((v, k)) if GUESSES.contains(&k.trim()) => (v.trim(), Some(k.trim())),
            _ => (line, None),
        };
        let value = value.trim_matches('"');
        let pattern = match kind {
            Some(k) => build_pattern(k, value),
            None => GUESSES
                .iter()
                .find_map(|k| build_pattern(k, value).ok())
                .ok_or_else(|| format!("{value:?} is none of {}", GUESSES.join(", "))),
        };
        match pattern {
            Ok(pattern) => objects.push(json!({
                "type": "indicator",
                "spec_version": "2.1",
                "id": format!("indicator--{}", crate::new_uuid()),
                "created": now.as_str(),
                "modified": now.as_str(),
                "name": value,
                "pattern": pattern,
                "pattern_type": "stix",
                "valid_from": now.as_str(),
                "object_marking_refs": [tlp.marking_id()],
            })),
            Err(why) => out.refuse(format!("line {}", n + 1), why),
        }
    }
    objects
}

pub(super) async fn submit(State(state): State<AppState>, form: Form) -> Response {
    let viewer = &form.viewer;
    let result = async {
        let c = default_for_adding(&state, viewer).await?;
        let tlp = Tlp::parse(form.field("tlp")).map_err(ApiError::BadRequest)?;
        let content = form.field("content");
        let mut outcome = Outcome::default();
        let objects = if form.field("format") == "values" {
            value_indicators(content, tlp, &mut outcome)
        } else {
            match bundle_objects(content, tlp) {
                Ok(objects) => objects,
                Err(why) => {
                    outcome.refuse("the content".into(), why);
                    Vec::new()
                }
            }
        };
        let mut limits = crate::taxii::Limits::from(&state.config().server);
        limits.post_wait = IMPORT_WAIT;
        let envelope = limits.max_objects_per_post.max(1);
        let mut offset = 0;
        for chunk in objects.chunks(envelope) {
            let status = state
                .collections()
                .add(&viewer.who, &c, chunk.to_vec(), limits)
                .await?;
            for s in &status.successes {
                match s.message {
                    Some(_) => outcome.already += 1,
                    None => outcome.stored += 1,
                }
            }
            if status.status == StatusState::Pending {
                outcome.pending += status.pending_count;
            }
            for f in &status.failures {
                // The status names an object by its id, else by its place in the envelope.
                let place = f
                    .id
                    .strip_prefix("objects[")
                    .and_then(|s| s.strip_suffix(']'))
                    .and_then(|i| i.parse::<usize>().ok())
                    .or_else(|| chunk.iter().position(|o| o["id"] == f.id.as_str()));
                let at = match place {
                    Some(i) if f.id.starts_with("objects[") => format!("objects[{}]", offset + i),
                    Some(i) => format!("objects[{}] {}", offset + i, f.id),
                    None => f.id.clone(),
                };
                outcome.refuse(at, f.message.clone().unwrap_or_default());
            }
            offset += chunk.len();
        }
        tracing::info!(user = %viewer.who, stored = outcome.stored, refused = outcome.refused_count, "dashboard import");
        Ok(outcome)
    }
    .await;
    match result {
        Ok(outcome) => {
            let mut main = format!(
                "<h1>Import</h1><section class=\"card\" id=\"import-result\"><p>\
                 <b data-stored=\"{0}\">{0} stored</b>, {1} already held, {2} still being stored, \
                 <span data-refused=\"{3}\">{3} refused</span>.</p>",
                outcome.stored, outcome.already, outcome.pending, outcome.refused_count
            );
            if !outcome.refused.is_empty() {
                main.push_str(
                    "<table id=\"import-refused\"><thead><tr><th>Where</th><th>Why</th></tr></thead><tbody>",
                );
                for (at, why) in &outcome.refused {
                    let _ = write!(main, "<tr><td>{}</td><td>{}</td></tr>", esc(at), esc(why));
                }
                main.push_str("</tbody></table>");
                if outcome.refused_count > outcome.refused.len() as u64 {
                    let _ = write!(
                        main,
                        "<p class=\"muted\">The first {LISTED} of {} refusals.</p>",
                        outcome.refused_count
                    );
                }
            }
            main.push_str("<p><a href=\"/objects\">The objects</a> · <a href=\"/objects/import\">Import more</a></p></section>");
            page(&state, viewer, "/objects", "Import", &main)
        }
        Err(e) => error_page(&state, viewer, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_lines_become_indicators_and_bad_lines_are_refused_by_number() {
        let mut out = Outcome::default();
        let text = "# a feed\n203.0.113.7\nevil.example,domain\n198.51.100.0/24\n\
                    d41d8cd98f00b204e9800998ecf8427e\nnot a value at all\n1.2.3.4,sha256\n";
        let objects = value_indicators(text, Tlp::Green, &mut out);
        let patterns: Vec<&str> = objects
            .iter()
            .map(|o| o["pattern"].as_str().unwrap())
            .collect();
        assert_eq!(
            patterns,
            [
                "[ipv4-addr:value = '203.0.113.7']",
                "[domain-name:value = 'evil.example']",
                "[ipv4-addr:value = '198.51.100.0/24']",
                "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
            ]
        );
        assert!(
            objects
                .iter()
                .all(|o| o["object_marking_refs"][0] == Tlp::Green.marking_id())
        );
        let lines: Vec<&str> = out.refused.iter().map(|(at, _)| at.as_str()).collect();
        assert_eq!(lines, ["line 6", "line 7"]);
    }

    #[test]
    fn a_bundles_unmarked_objects_get_the_tlp_and_marked_ones_keep_theirs() {
        let bundle = json!({"type": "bundle", "id": "bundle--1", "objects": [
            {"type": "malware", "spec_version": "2.1", "id": "malware--6b616fc1-1505-48e3-8b2c-0d19337bff38",
             "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
             "name": "m", "is_family": true},
            {"type": "malware", "spec_version": "2.1", "id": "malware--7b616fc1-1505-48e3-8b2c-0d19337bff38",
             "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
             "name": "n", "is_family": true, "object_marking_refs": [Tlp::Red.marking_id()]},
            {"type": "malware"}
        ]});
        let objects = bundle_objects(&bundle.to_string(), Tlp::Amber).unwrap();
        assert_eq!(
            objects[0]["object_marking_refs"],
            json!([Tlp::Amber.marking_id()])
        );
        assert_eq!(
            objects[1]["object_marking_refs"],
            json!([Tlp::Red.marking_id()])
        );
        assert_eq!(
            objects[2],
            json!({"type": "malware"}),
            "left for the service to refuse"
        );
        assert!(bundle_objects("{\"type\": \"bundle\"}", Tlp::Amber).is_err());
        assert!(bundle_objects("[", Tlp::Amber).is_err());
    }
}
