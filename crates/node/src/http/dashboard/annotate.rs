//! Working on an object from its page (`POST /objects/{id}/annotate`, writers only): a note
//! about it, a relationship from it to another object the collection holds, or a report that
//! groups it (a new report, or a new version of a report held, the object added to its
//! `object_refs`). Each is a STIX object of this node, stored through the same service as a
//! TAXII POST ([`crate::taxii::Collections::add`]), so it is validated, logged, and shared
//! as the gate decides; the forms are drawn by [`forms`] on the object's page.

use std::fmt::Write as _;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::Response;
use pacific_core::Timestamp;
use pacific_core::taxii::ObjectQuery;
use pacific_core::tlp::Tlp;
use pacific_store::Collection;
use pacific_store::search::ObjectSearch;
use serde_json::{Value, json};

use super::html::{csrf_field, tlp_select};
use super::names::display_name;
use super::{Form, Viewer, default_for_adding, error_page, esc, see_other_to, str_field, url_enc};
use crate::http::authz::Principal;
use crate::http::error::ApiError;
use crate::http::state::AppState;

/// Relationship types offered (STIX 2.1 §4's common ones).
const RELATIONSHIP_TYPES: [&str; 9] = [
    "indicates",
    "related-to",
    "uses",
    "targets",
    "attributed-to",
    "mitigates",
    "variant-of",
    "communicates-with",
    "derived-from",
];
/// Reports offered to add an object to (the newest ones).
const REPORTS_SHOWN: usize = 100;
/// How long saving waits for the object to be stored.
const SAVE_WAIT: Duration = Duration::from_secs(30);

/// The forms of an object's page, for a viewer who may write: a note, a relationship, a
/// report. `tlp` is the object's own level, offered first.
pub(super) async fn forms(
    state: &AppState,
    viewer: &Viewer,
    c: &Collection,
    id: &str,
    tlp: Tlp,
) -> Result<String, ApiError> {
    let action = format!("/objects/{}/annotate", esc(&url_enc(id)));
    let csrf = csrf_field(viewer);
    let mut out =
        String::from("<section class=\"card\" id=\"work\"><h2>Work on it</h2><div class=\"grid\">");
    let _ = write!(
        out,
        "<form class=\"editor\" method=\"post\" action=\"{action}\" id=\"note-form\">{csrf}\
         <input type=\"hidden\" name=\"what\" value=\"note\"><fieldset><legend>A note</legend>\
         <label>Summary<input name=\"abstract\"></label>\
         <label>Note<textarea name=\"content\" rows=\"3\" required></textarea></label>{}\
         <button type=\"submit\">Add the note</button></fieldset></form>",
        tlp_select(tlp)
    );
    let mut types = String::new();
    for t in RELATIONSHIP_TYPES {
        let _ = write!(types, "<option>{t}</option>");
    }
    let _ = write!(
        out,
        "<form class=\"editor\" method=\"post\" action=\"{action}\" id=\"relationship-form\">{csrf}\
         <input type=\"hidden\" name=\"what\" value=\"relationship\"><fieldset><legend>A relationship</legend>\
         <label>This object…<select name=\"relationship_type\">{types}</select></label>\
         <label>…the object<input name=\"target\" placeholder=\"malware--…\" required></label>{}\
         <button type=\"submit\">Relate</button></fieldset></form>",
        tlp_select(tlp)
    );
    let reports = state
        .collections()
        .search(
            &viewer.who,
            c,
            &ObjectSearch {
                types: vec!["report".into()],
                limit: REPORTS_SHOWN,
                ..ObjectSearch::default()
            },
        )
        .await?;
    let mut options = String::from("<option value=\"\">a new report named below</option>");
    for hit in &reports.hits {
        let v: Value = serde_json::from_str(&hit.version.json).unwrap_or(Value::Null);
        let _ = write!(
            options,
            "<option value=\"{}\">{}</option>",
            esc(&hit.version.id),
            esc(&display_name(&v))
        );
    }
    let _ = write!(
        out,
        "<form class=\"editor\" method=\"post\" action=\"{action}\" id=\"report-form\">{csrf}\
         <input type=\"hidden\" name=\"what\" value=\"report\"><fieldset><legend>A report</legend>\
         <label>Add it to<select name=\"report\">{options}</select></label>\
         <label>New report's name<input name=\"name\"></label>{}\
         <button type=\"submit\">Add to the report</button></fieldset></form>",
        tlp_select(tlp)
    );
    out.push_str("</div></section>");
    Ok(out)
}

/// The latest version of `id` in `c`, as the viewer may read it.
async fn latest(
    state: &AppState,
    who: &Principal,
    c: &Collection,
    id: &str,
) -> Result<Option<Value>, ApiError> {
    let mut q = ObjectQuery::all(1);
    q.ids = vec![id.to_owned()];
    let page = state.collections().page(who, c, &q, true).await?.page;
    Ok(page
        .items
        .first()
        .and_then(|item| serde_json::from_str(&item.json).ok()))
}

/// What the form asks for, as a new object (or a report's new version).
async fn annotation(
    state: &AppState,
    form: &Form,
    c: &Collection,
    id: &str,
) -> Result<Value, ApiError> {
    let who = &form.viewer.who;
    let now = Timestamp::now();
    let tlp = Tlp::parse(form.field("tlp")).map_err(ApiError::BadRequest)?;
    let new = |kind: &str| {
        json!({
            "type": kind,
            "spec_version": "2.1",
            "id": format!("{kind}--{}", crate::new_uuid()),
            "created": now.as_str(),
            "modified": now.as_str(),
            "object_marking_refs": [tlp.marking_id()],
        })
    };
    match form.field("what") {
        "note" => {
            let content = form.field("content");
            if content.is_empty() {
                return Err(ApiError::BadRequest("a note needs its text".into()));
            }
            let mut note = new("note");
            note["content"] = json!(content);
            note["object_refs"] = json!([id]);
            if !form.field("abstract").is_empty() {
                note["abstract"] = json!(form.field("abstract"));
            }
            Ok(note)
        }
        "relationship" => {
            let kind = form.field("relationship_type");
            if !RELATIONSHIP_TYPES.contains(&kind) {
                return Err(ApiError::BadRequest(format!(
                    "{kind:?} is not a relationship type offered here"
                )));
            }
            let target = form.field("target");
            if latest(state, who, c, target).await?.is_none() {
                return Err(ApiError::BadRequest(format!(
                    "the collection holds no object {target:?} to relate to"
                )));
            }
            let mut r = new("relationship");
            r["relationship_type"] = json!(kind);
            r["source_ref"] = json!(id);
            r["target_ref"] = json!(target);
            Ok(r)
        }
        "report" => match form.field("report") {
            "" => {
                let name = form.field("name");
                if name.is_empty() {
                    return Err(ApiError::BadRequest("a new report needs a name".into()));
                }
                let mut r = new("report");
                r["name"] = json!(name);
                r["published"] = json!(now.as_str());
                r["object_refs"] = json!([id]);
                Ok(r)
            }
            report_id => {
                let Some(mut report) = latest(state, who, c, report_id).await? else {
                    return Err(ApiError::BadRequest(format!(
                        "no report {report_id:?} here"
                    )));
                };
                if str_field(&report, "type") != "report" {
                    return Err(ApiError::BadRequest(format!(
                        "{report_id:?} is not a report"
                    )));
                }
                // A new version of the report: the object added, `modified` now. (Its
                // markings stay: the TLP asked for applies to new objects.)
                let mut refs = report["object_refs"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                if !refs.iter().any(|r| r == id) {
                    refs.push(json!(id));
                }
                report["object_refs"] = Value::Array(refs);
                report["modified"] = json!(now.as_str());
                Ok(report)
            }
        },
        other => Err(ApiError::BadRequest(format!(
            "{other:?} is not something to add"
        ))),
    }
}

pub(super) async fn submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: Form,
) -> Response {
    let viewer = &form.viewer;
    let result = async {
        let c = default_for_adding(&state, viewer).await?;
        if latest(&state, &viewer.who, &c, &id).await?.is_none() {
            return Err(ApiError::NotFound(format!("object {id} in the default collection")));
        }
        let object = annotation(&state, &form, &c, &id).await?;
        let mut limits = crate::taxii::Limits::from(&state.config().server);
        limits.post_wait = SAVE_WAIT;
        let status = state
            .collections()
            .add(&viewer.who, &c, vec![object], limits)
            .await?;
        if let Some(failure) = status.failures.first() {
            return Err(ApiError::Unprocessable(
                failure.message.clone().unwrap_or_else(|| "not stored".into()),
            ));
        }
        tracing::info!(user = %viewer.who, object = %id, what = form.field("what"), "dashboard: added to an object");
        Ok(())
    }
    .await;
    match result {
        Ok(()) => see_other_to(&format!("/objects/{}#work", url_enc(&id))),
        Err(e) => error_page(&state, viewer, e),
    }
}
