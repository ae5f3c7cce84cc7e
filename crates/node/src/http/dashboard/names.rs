//! Names for ids on the dashboard's pages: parties (this node's and its peers') and objects of
//! the `default` collection the viewer may read, each shown with its id, escaped.

use std::collections::{BTreeSet, HashMap};

use pacific_core::taxii::ObjectQuery;
use pacific_store::search::SearchHit;
use serde_json::Value;

use super::{esc, readable, str_field, url_enc};
use crate::http::authz::Principal;
use crate::http::error::ApiError;
use crate::http::state::AppState;

/// Party names by id, and the names of the objects looked up.
pub(super) struct Names {
    /// This node's party: (id, name).
    pub local: (String, String),
    /// Peers' names by party id.
    pub parties: HashMap<String, String>,
    objects: HashMap<String, String>,
}

impl Names {
    /// This node's and its peers' names.
    pub async fn of(state: &AppState) -> Result<Self, ApiError> {
        let fed = state.federation();
        let local = fed.local();
        let parties = fed
            .peers_and_links()
            .await?
            .into_iter()
            .map(|(p, _)| (p.party_id.as_str().to_owned(), p.name))
            .collect();
        Ok(Names {
            local: (local.id.as_str().to_owned(), local.name.clone()),
            parties,
            objects: HashMap::new(),
        })
    }

    /// Looks up the names of these objects in the `default` collection, if the viewer may
    /// read it (at most 1,000 ids; the others stay unnamed).
    pub async fn with_objects<'a>(
        mut self,
        state: &AppState,
        who: &Principal,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, ApiError> {
        let ids: BTreeSet<&str> = ids.into_iter().take(1000).collect();
        if ids.is_empty() {
            return Ok(self);
        }
        let Some(Ok(c)) = readable(state, who, "default").await? else {
            return Ok(self);
        };
        let mut q = ObjectQuery::all(ids.len());
        q.ids = ids.iter().map(|s| (*s).to_owned()).collect();
        let page = state.collections().page(who, &c, &q, true).await?.page;
        for item in page.items {
            if let Ok(v) = serde_json::from_str::<Value>(&item.json) {
                let name = display_name(&v);
                if !name.is_empty() {
                    self.objects.insert(item.id, name);
                }
            }
        }
        Ok(self)
    }

    /// A party's name with its id, as HTML.
    pub fn party(&self, id: &str) -> String {
        let name = if id == self.local.0 {
            Some(&self.local.1)
        } else {
            self.parties.get(id)
        };
        match name {
            Some(n) => format!("<b>{}</b> <code class=\"muted\">{}</code>", esc(n), esc(id)),
            None => format!("<b><code>{}</code></b>", esc(id)),
        }
    }

    /// Where a search hit came from: its origin party, else this node.
    pub fn origin(&self, hit: &SearchHit) -> String {
        match &hit.received {
            Some(r) => self.party(&r.origin),
            None => self.party(&self.local.0),
        }
    }

    /// A link to an object's page, named when its name was looked up, as HTML.
    pub fn object(&self, id: &str) -> String {
        object_link(id, self.objects.get(id).map_or("", String::as_str))
    }
}

/// The link to an object's page, showing `text` (else the id).
pub(super) fn object_link(id: &str, text: &str) -> String {
    format!(
        "<a href=\"/objects/{}\">{}</a>",
        esc(&url_enc(id)),
        if text.is_empty() {
            format!("<code>{}</code>", esc(id))
        } else {
            esc(text)
        }
    )
}

/// The name an object shows: its `name`, else its value (observables), its pattern or its
/// relationship type; else nothing.
pub(super) fn display_name(v: &Value) -> String {
    for key in ["name", "value", "pattern", "relationship_type"] {
        let s = str_field(v, key);
        if !s.is_empty() {
            return s.to_owned();
        }
    }
    String::new()
}
