//! The dashboard's governance pages, rendered from the governance service (`crate::gov::Gov`)
//! like the `/gov/` API's answers, with the dashboard's layout, session and escaping:
//!
//! - `/governance`: the federation (name, id, founded, constitution), the register, the
//!   proposals, the roster and the parameters in force with where each value comes from;
//!   without a charter, a message saying how to found a federation (the parameters still
//!   show: they are then the node's own).
//! - `/governance/proposals/{id}`: one proposal — its stage and times, every version of its
//!   text with a line diff from the one before ([`line_diff`]), the comments, and the tally,
//!   live while voting and final once closed, binding and advisory counts side by side.
//! - `/governance/norms`: the catalogue with what the federation adopted, and the figures of a
//!   quarter (`?period=2026-Q4`, the current quarter by default) summed from the members'
//!   compliance reports, one table per norm and measure.
//!
//! The pages live under `/governance`, not `/gov`, because `/gov/…` is the JSON API's.
//! Ratios are drawn as SVG bars whose widths are attributes: the CSP (`default-src 'self'`)
//! forbids inline styles, and no script is needed.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use pacific_core::Timestamp;
use pacific_gov::diff::{DiffLine, line_diff};
use pacific_gov::norms::{self, Measure, MeasureKind};
use pacific_gov::params::{InForce, Source};
use pacific_gov::proposal::Change;
use pacific_gov::report::{Figure, ReportPeriod};
use pacific_gov::state::{Federation, Proposal, Stage};
use pacific_gov::{Counts, Decision, MemberStatus, Outcome, Tally, VotingRule};

use super::{Viewer, error_page, esc, page, short_time, url_enc};
use crate::gov::GovServiceError;
use crate::http::error::ApiError;
use crate::http::state::AppState;

/// The federation page (and the nav entry every governance page lights up).
pub(super) const HOME: &str = "/governance";
/// The norms page.
const NORMS: &str = "/governance/norms";

/// The escaped link to a proposal's page, for an `href`.
pub(super) fn proposal_href(id: &str) -> String {
    esc(&format!("{HOME}/proposals/{}", url_enc(id)))
}

const NO_CHARTER: &str = "<section class=\"card\" id=\"no-charter\"><h2>This node has no charter</h2>\
     <p>It belongs to no federation yet: there is no register, no proposal and no vote. To found \
     one, write the charter (the founding members and the constitution) and sign it first:</p>\
     <pre>pacific federation found charter.toml</pre>\
     <p>then each other founding member signs the same file on its node with \
     <code>pacific federation sign charter.toml</code>; once every founding member has signed, \
     the charter is installed and the node reads it at its next start.</p></section>";

// ---------------------------------------------------------------------------------------------
// Words for the domain's values

fn stage_label(stage: Stage) -> &'static str {
    match stage {
        Stage::Deliberation => "deliberation",
        Stage::Voting => "voting",
        Stage::Closed => "closed",
    }
}

fn status_label(status: MemberStatus) -> &'static str {
    match status {
        MemberStatus::Applicant => "applicant",
        MemberStatus::Member => "member",
        MemberStatus::Suspended => "suspended",
        MemberStatus::Withdrawn => "withdrawn",
    }
}

/// The outcome in words, escaped (a blocked outcome names the blockers).
fn outcome_text(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Adopted => "adopted".into(),
        Outcome::Rejected => "rejected".into(),
        Outcome::NoQuorum {
            participants,
            eligible,
        } => format!("no quorum ({participants} of {eligible} binding members took part)"),
        Outcome::Blocked { by } => format!(
            "blocked by {}",
            esc(&by.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", "))
        ),
    }
}

/// A class naming the outcome, for the stylesheet.
fn outcome_class(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Adopted => "adopted",
        Outcome::Rejected => "rejected",
        Outcome::NoQuorum { .. } => "no-quorum",
        Outcome::Blocked { .. } => "blocked",
    }
}

/// Seconds, with the largest whole unit they make: `1200 s (20 min)`.
fn seconds(n: u64) -> String {
    let whole = [(86_400, "d"), (3_600, "h"), (60, "min")]
        .into_iter()
        .find(|(unit, _)| n >= *unit && n.is_multiple_of(*unit));
    match whole {
        Some((unit, name)) => format!("{n} s ({} {name})", n / unit),
        None => format!("{n} s"),
    }
}

fn rule_text(rule: &VotingRule) -> String {
    let decision = match rule.decision {
        Decision::Majority { quorum, threshold } => format!(
            "majority: quorum {quorum} of the binding members, adopted by {threshold} of the \
             votes cast"
        ),
        Decision::Consensus { quorum } => {
            format!("consensus: quorum {quorum} of the binding members, one binding no blocks")
        }
    };
    let binding: Vec<&str> = rule.binding.iter().map(|s| s.as_str()).collect();
    format!(
        "{decision}; binding: {}, every other member advisory",
        esc(&binding.join(", "))
    )
}

/// A party as the register names it: its name and id, or its id alone.
fn party(f: &Federation, id: &str) -> String {
    match f.register.get(id) {
        Some(e) => format!(
            "{} <code class=\"muted\">{}</code>",
            esc(&e.details.name),
            esc(id)
        ),
        None => format!("<code>{}</code>", esc(id)),
    }
}

fn parameters_text(parameters: &BTreeMap<pacific_gov::params::Parameter, u64>) -> String {
    parameters
        .iter()
        .map(|(p, v)| format!("<code>{}</code> = {}", esc(p.key()), seconds(*v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a proposal changes once adopted, in words, escaped.
fn change_text(f: &Federation, change: &Change) -> String {
    match change {
        Change::AdoptNorm { norm, parameters } => {
            let title = norms::norm(norm).map(|n| n.title).unwrap_or("");
            let mut s = format!("adopt norm <b>{}</b> ({})", esc(norm), esc(title));
            if !parameters.is_empty() {
                let _ = write!(s, " with {}", parameters_text(parameters));
            }
            s
        }
        Change::SetParameters { parameters } => format!("set {}", parameters_text(parameters)),
        Change::Admit { member } => format!(
            "admit {} <code class=\"muted\">{}</code> ({}{})",
            esc(&member.name),
            esc(member.party.as_str()),
            esc(member.stakeholder.as_str()),
            member
                .jurisdiction
                .as_ref()
                .map(|j| format!(", {}", esc(j)))
                .unwrap_or_default()
        ),
        Change::Suspend { party: p } => format!("suspend {}", party(f, p.as_str())),
        Change::Reinstate { party: p } => format!("reinstate {}", party(f, p.as_str())),
        Change::RotateKey { party: p, key } => format!(
            "replace the node key of {} by <code>{}</code>",
            party(f, p.as_str()),
            esc(key)
        ),
        Change::Roster {
            mediators,
            arbitrators,
        } => {
            let list = |set: &std::collections::BTreeSet<pacific_core::policy::PartyId>| {
                if set.is_empty() {
                    "none".to_owned()
                } else {
                    set.iter()
                        .map(|p| party(f, p.as_str()))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            format!(
                "set the roster: mediators {}; arbitrators {}",
                list(mediators),
                list(arbitrators)
            )
        }
    }
}

fn time(t: &Timestamp) -> String {
    esc(&short_time(t.as_str()))
}

// ---------------------------------------------------------------------------------------------
// The federation page

pub(super) async fn federation_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    match render_federation(&state).await {
        Ok(main) => page(&state, &viewer, HOME, "Governance", &main),
        Err(e) => error_page(&state, &viewer, e),
    }
}

async fn render_federation(state: &AppState) -> Result<String, ApiError> {
    let mut main = format!(
        "<h1>Governance</h1><p class=\"muted\"><a href=\"{NORMS}\">Norms and compliance \
         figures →</a></p>"
    );
    match state.gov().federation_if_chartered().await? {
        Some(f) => {
            federation_card(&mut main, &f);
            register_card(&mut main, &f);
            proposals_card(&mut main, &f);
            roster_card(&mut main, &f);
        }
        None => main.push_str(NO_CHARTER),
    }
    let params = state.gov().params().await?;
    params_card(&mut main, &params);
    Ok(main)
}

fn federation_card(main: &mut String, f: &Federation) {
    let c = &f.constitution;
    let _ = write!(
        main,
        "<section class=\"card\" id=\"federation\"><h2>{}</h2><dl class=\"facts\">\
         <dt>Federation id</dt><dd><code>{}</code></dd><dt>Founded</dt><dd>{}</dd>\
         <dt>Deliberation</dt><dd>{}</dd><dt>Voting</dt><dd>{}</dd></dl>\
         <table id=\"rules\"><thead><tr><th>Kind of proposal</th><th>Voting rule</th></tr></thead>\
         <tbody>",
        esc(&f.name),
        esc(&f.id),
        time(&f.founded),
        seconds(c.deliberation_secs),
        seconds(c.voting_secs),
    );
    for kind in [
        pacific_gov::proposal::ProposalKind::Norm,
        pacific_gov::proposal::ProposalKind::Parameter,
        pacific_gov::proposal::ProposalKind::Membership,
        pacific_gov::proposal::ProposalKind::Roster,
    ] {
        let _ = write!(
            main,
            "<tr><td>{}</td><td>{}</td></tr>",
            kind.as_str(),
            rule_text(&c.rule(kind))
        );
    }
    main.push_str("</tbody></table></section>");
}

fn register_card(main: &mut String, f: &Federation) {
    main.push_str(
        "<section class=\"card\"><h2>Register</h2><table id=\"register\"><thead><tr>\
         <th>Party</th><th>Name</th><th>Stakeholder</th><th>Jurisdiction</th><th>Status</th>\
         <th>Since</th></tr></thead><tbody>",
    );
    for e in f.register.values() {
        let d = &e.details;
        let by = e
            .by_proposal
            .as_deref()
            .map(|p| format!(" <a href=\"{}\">by proposal</a>", proposal_href(p)))
            .unwrap_or_default();
        let _ = write!(
            main,
            "<tr data-party=\"{party}\"><td><code>{party}</code></td><td>{}</td><td>{}</td>\
             <td>{}</td><td class=\"status {status}\">{status}</td><td>{}{by}</td></tr>",
            esc(&d.name),
            esc(d.stakeholder.as_str()),
            esc(d.jurisdiction.as_deref().unwrap_or("—")),
            time(&e.since),
            party = esc(d.party.as_str()),
            status = status_label(e.status),
        );
    }
    main.push_str("</tbody></table></section>");
}

fn proposals_card(main: &mut String, f: &Federation) {
    main.push_str("<section class=\"card\"><h2>Proposals</h2>");
    if f.proposals.is_empty() {
        main.push_str(
            "<p class=\"muted\" id=\"proposals-none\">No proposal yet (a delegate or an admin \
             tables one with <code>POST /gov/proposals</code>).</p></section>",
        );
        return;
    }
    main.push_str(
        "<table id=\"proposals\"><thead><tr><th>Title</th><th>Kind</th><th>Proposer</th>\
         <th>Stage</th><th>Voting closes</th><th>Outcome</th></tr></thead><tbody>",
    );
    let mut list: Vec<&Proposal> = f.proposals.values().collect();
    list.sort_by(|a, b| b.proposed_at.cmp(&a.proposed_at));
    for p in list {
        let outcome = match (&p.tally, p.stage) {
            (Some(t), Stage::Closed) => format!(
                "<span class=\"outcome {}\">{}</span>",
                outcome_class(&t.outcome),
                outcome_text(&t.outcome)
            ),
            (Some(t), _) => format!(
                "<span class=\"muted\">so far {} yes, {} no</span>",
                t.binding.yes, t.binding.no
            ),
            (None, _) => "<span class=\"muted\">—</span>".into(),
        };
        let _ = write!(
            main,
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td>\
             <td class=\"stage {stage}\">{stage}</td><td>{}</td><td>{outcome}</td></tr>",
            proposal_href(&p.id),
            esc(&p.title),
            p.kind.as_str(),
            party(f, p.proposer.as_str()),
            time(&p.voting_closes),
            stage = stage_label(p.stage),
        );
    }
    main.push_str("</tbody></table></section>");
}

fn roster_card(main: &mut String, f: &Federation) {
    let r = &f.roster;
    if r.mediators.is_empty() && r.arbitrators.is_empty() {
        return;
    }
    let list = |set: &std::collections::BTreeSet<pacific_core::policy::PartyId>| {
        set.iter()
            .map(|p| party(f, p.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = write!(
        main,
        "<section class=\"card\" id=\"roster\"><h2>Roster</h2><dl class=\"facts\">\
         <dt>Mediators</dt><dd>{}</dd><dt>Arbitrators</dt><dd>{}</dd></dl>{}</section>",
        list(&r.mediators),
        list(&r.arbitrators),
        r.proposal
            .as_deref()
            .map(|p| format!(
                "<p><a href=\"{}\">Set by proposal</a></p>",
                proposal_href(p)
            ))
            .unwrap_or_default()
    );
}

fn params_card(main: &mut String, params: &[InForce]) {
    main.push_str(
        "<section class=\"card\"><h2>Parameters in force on this node</h2>\
         <p class=\"muted\">A value the federation adopted holds unless this node's own \
         configuration is stricter.</p><table id=\"params\"><thead><tr><th>Parameter</th>\
         <th class=\"num\">In force</th><th class=\"num\">Configured</th><th>Source</th>\
         </tr></thead><tbody>",
    );
    for p in params {
        let source = match &p.source {
            Source::Node => "this node's configuration".to_owned(),
            Source::Federation { proposal } => format!(
                "the federation, <a href=\"{}\">by proposal</a>",
                proposal_href(proposal)
            ),
            Source::NodeTightens { adopted, proposal } => format!(
                "this node's configuration, stricter than the {} the federation adopted \
                 <a href=\"{}\">by proposal</a>",
                seconds(*adopted),
                proposal_href(proposal)
            ),
        };
        let _ = write!(
            main,
            "<tr data-parameter=\"{key}\"><td><code>{key}</code><br><span class=\"muted\">{}\
             </span></td><td class=\"num value\">{}</td><td class=\"num\">{}</td>\
             <td>{source}</td></tr>",
            esc(p.parameter.description()),
            seconds(p.value),
            seconds(p.configured),
            key = esc(p.parameter.key()),
        );
    }
    main.push_str("</tbody></table></section>");
}

// ---------------------------------------------------------------------------------------------
// A proposal's page

pub(super) async fn proposal_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Response {
    match render_proposal(&state, &id).await {
        Ok((title, main)) => page(&state, &viewer, HOME, &title, &main),
        Err(e) => error_page(&state, &viewer, e),
    }
}

async fn render_proposal(state: &AppState, id: &str) -> Result<(String, String), ApiError> {
    let Some(f) = state.gov().federation_if_chartered().await? else {
        return Ok(("Proposal".into(), format!("<h1>Proposal</h1>{NO_CHARTER}")));
    };
    let p = f
        .proposals
        .get(id)
        .ok_or_else(|| GovServiceError::UnknownProposal(id.to_owned()))?;
    let mut main = format!(
        "<p class=\"muted\"><a href=\"{HOME}\">← Governance</a></p><h1 id=\"title\">{}</h1>",
        esc(&p.title)
    );
    let co_sponsors = if p.co_sponsors.is_empty() {
        "none".to_owned()
    } else {
        p.co_sponsors
            .iter()
            .map(|c| party(&f, c.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = write!(
        main,
        "<section class=\"card\" id=\"proposal\"><dl class=\"facts\">\
         <dt>Kind</dt><dd>{}</dd><dt>Proposer</dt><dd>{}</dd><dt>Co-sponsors</dt><dd>{}</dd>\
         <dt>Stage</dt><dd class=\"stage {stage}\" id=\"stage\">{stage}</dd>\
         <dt>Proposed</dt><dd>{}</dd><dt>Deliberation until</dt><dd>{}</dd>\
         <dt>Voting closes</dt><dd>{}</dd><dt>Changes</dt><dd>{}</dd></dl>\
         <p class=\"muted\">Id <code>{}</code></p></section>",
        p.kind.as_str(),
        party(&f, p.proposer.as_str()),
        co_sponsors,
        time(&p.proposed_at),
        time(&p.voting_opens),
        time(&p.voting_closes),
        change_text(&f, &p.current().change),
        esc(&p.id),
        stage = stage_label(p.stage),
    );
    versions_card(&mut main, &f, p);
    comments_card(&mut main, &f, p);
    tally_card(&mut main, p);
    Ok((p.title.clone(), main))
}

fn versions_card(main: &mut String, f: &Federation, p: &Proposal) {
    let _ = write!(
        main,
        "<section class=\"card\" id=\"versions\"><h2>Text, {} version{}</h2>",
        p.versions.len(),
        if p.versions.len() == 1 { "" } else { "s" }
    );
    for (n, v) in p.versions.iter().enumerate() {
        let number = n + 1;
        let _ = write!(
            main,
            "<article class=\"version\" id=\"v{number}\"><h3>Version {number}, by {} at {}</h3>\
             <p><b>Rationale:</b> {}</p><p><b>Changes:</b> {}</p><pre class=\"text\">{}</pre>",
            party(f, v.by.as_str()),
            time(&v.at),
            esc(&v.rationale),
            change_text(f, &v.change),
            esc(&v.text),
        );
        if let Some(before) = n.checked_sub(1).and_then(|b| p.versions.get(b)) {
            let diff = line_diff(&before.text, &v.text);
            let added = diff
                .iter()
                .filter(|l| matches!(l, DiffLine::Added(_)))
                .count();
            let removed = diff
                .iter()
                .filter(|l| matches!(l, DiffLine::Removed(_)))
                .count();
            let _ = write!(
                main,
                "<details class=\"diff\" open><summary>What changed from version {n}: \
                 {added} line{} added, {removed} removed{}</summary>{}</details>",
                if added == 1 { "" } else { "s" },
                if before.change == v.change {
                    ""
                } else {
                    "; the change too"
                },
                render_diff(&diff),
            );
        }
        main.push_str("</article>");
    }
    main.push_str("</section>");
}

fn comments_card(main: &mut String, f: &Federation, p: &Proposal) {
    main.push_str("<section class=\"card\" id=\"comments\"><h2>Comments</h2>");
    if p.comments.is_empty() {
        main.push_str("<p class=\"muted\">No comment.</p>");
    }
    for c in &p.comments {
        let _ = write!(
            main,
            "<article class=\"comment\"><p class=\"muted\">{} at {}</p><pre class=\"text\">{}\
             </pre></article>",
            party(f, c.by.as_str()),
            time(&c.at),
            esc(&c.text)
        );
    }
    main.push_str("</section>");
}

fn count_row(class: &str, label: &str, binding: u64, advisory: u64) -> String {
    format!(
        "<tr class=\"{class}\"><th>{label}</th><td class=\"num binding\">{binding}</td>\
         <td class=\"num advisory\">{advisory}</td></tr>"
    )
}

fn tally_card(main: &mut String, p: &Proposal) {
    let Some(t) = &p.tally else {
        let _ = write!(
            main,
            "<section class=\"card\" id=\"tally\"><h2>Tally</h2><p class=\"muted\">In \
             deliberation: voting opens at {}, and the tally shows from then on.</p>\
             <p>Rule: {}</p></section>",
            time(&p.voting_opens),
            rule_text(&p.rule)
        );
        return;
    };
    let (heading, note) = if p.stage == Stage::Closed {
        (
            "Tally (final)",
            "Counted against the register as it stood when voting closed.",
        )
    } else {
        (
            "Tally (live)",
            "Voting is open: the counts and the outcome are those if voting closed now.",
        )
    };
    let Tally {
        eligible,
        binding,
        advisory,
        outcome,
        refused,
        superseded,
    } = t;
    let rows = |b: &Counts, a: &Counts| {
        [
            count_row("yes", "Yes", b.yes, a.yes),
            count_row("no", "No", b.no, a.no),
            count_row("abstain", "Abstain", b.abstain, a.abstain),
            count_row(
                "participants",
                "Took part",
                b.participants(),
                a.participants(),
            ),
        ]
        .concat()
    };
    let _ = write!(
        main,
        "<section class=\"card\" id=\"tally\"><h2>{heading}</h2><p class=\"muted\">{note}</p>\
         <p>Outcome: <b class=\"outcome {}\" id=\"outcome\">{}</b></p>\
         <table id=\"tally-counts\"><thead><tr><th>Votes</th><th class=\"num\">Binding</th>\
         <th class=\"num\">Advisory (published, not counted)</th></tr></thead><tbody>{}\
         </tbody></table><dl class=\"facts\"><dt>Binding members eligible</dt>\
         <dd id=\"eligible\">{eligible}</dd><dt>Rule</dt><dd>{}</dd></dl>",
        outcome_class(outcome),
        outcome_text(outcome),
        rows(binding, advisory),
        rule_text(&p.rule),
    );
    if !refused.is_empty() {
        main.push_str(
            "<h3>Refused votes</h3><table id=\"refused-votes\"><thead><tr><th>Vote</th>\
             <th>Why it does not count</th></tr></thead><tbody>",
        );
        for (vote, why) in refused {
            let _ = write!(
                main,
                "<tr><td><code>{}</code></td><td>{}</td></tr>",
                esc(vote),
                esc(&why.to_string())
            );
        }
        main.push_str("</tbody></table>");
    }
    if !superseded.is_empty() {
        main.push_str(
            "<h3>Superseded votes</h3><p class=\"muted\">Earlier votes replaced by the same \
             member's later vote.</p><ul id=\"superseded-votes\">",
        );
        for vote in superseded {
            let _ = write!(main, "<li><code>{}</code></li>", esc(vote));
        }
        main.push_str("</ul>");
    }
    if !p.late_votes.is_empty() {
        main.push_str("<h3>Votes after closing</h3><ul id=\"late-votes\">");
        for vote in &p.late_votes {
            let _ = write!(main, "<li><code>{}</code></li>", esc(vote));
        }
        main.push_str("</ul>");
    }
    main.push_str("</section>");
}

/// A diff as a `<pre>`, one line per element, marked `+`/`-` as well as by class (so it
/// reads without colours).
fn render_diff(diff: &[DiffLine<'_>]) -> String {
    let mut out = String::from("<pre class=\"diff\">");
    for line in diff {
        let (class, mark, text) = match line {
            DiffLine::Same(t) => ("diff-same", ' ', t),
            DiffLine::Removed(t) => ("diff-del", '-', t),
            DiffLine::Added(t) => ("diff-add", '+', t),
        };
        let _ = write!(out, "<span class=\"{class}\">{mark} {}</span>", esc(text));
    }
    out.push_str("</pre>");
    out
}

// ---------------------------------------------------------------------------------------------
// The norms page

pub(super) async fn norms_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    match render_norms(&state, params.get("period").map(|p| p.trim())).await {
        Ok(main) => page(&state, &viewer, HOME, "Norms", &main),
        Err(e) => error_page(&state, &viewer, e),
    }
}

/// The quarter before or after `period`, if it is a valid one.
fn neighbour(period: ReportPeriod, forward: bool) -> Option<ReportPeriod> {
    let (year, quarter) = match (forward, period.quarter()) {
        (true, 4) => (period.year() + 1, 1),
        (true, q) => (period.year(), q + 1),
        (false, 1) => (period.year() - 1, 4),
        (false, q) => (period.year(), q - 1),
    };
    ReportPeriod::new(year, quarter).ok()
}

async fn render_norms(state: &AppState, asked: Option<&str>) -> Result<String, ApiError> {
    let f = state.gov().federation_if_chartered().await?;
    let mut main = format!(
        "<p class=\"muted\"><a href=\"{HOME}\">← Governance</a></p><h1>Norms</h1>\
         <section class=\"card\"><h2>Catalogue</h2><p class=\"muted\">The eleven norms of the \
         2015 UN GGE report (A/70/174, paragraph 13), in Pacific's words; a norm is in force \
         once the federation adopts it.</p><table id=\"norms\"><thead><tr><th>Norm</th>\
         <th>Title and summary</th><th>Status</th><th>Measures</th><th>Parameters</th></tr>\
         </thead><tbody>"
    );
    for n in norms::catalogue() {
        let adopted = f.as_ref().and_then(|f| f.norms.get(n.id));
        let status = match adopted {
            Some(a) => format!(
                "<span class=\"outcome adopted\">adopted</span> {} <a href=\"{}\">by proposal</a>",
                time(&a.at),
                proposal_href(&a.proposal)
            ),
            None => "proposed".to_owned(),
        };
        // Proposals still open on this norm.
        let pending: Vec<String> = f
            .iter()
            .flat_map(|f| f.proposals.values())
            .filter(|p| p.stage != Stage::Closed)
            .filter(
                |p| matches!(&p.current().change, Change::AdoptNorm { norm, .. } if norm == n.id),
            )
            .map(|p| {
                format!(
                    "<br><a href=\"{}\">{}</a> ({})",
                    proposal_href(&p.id),
                    esc(&p.title),
                    stage_label(p.stage)
                )
            })
            .collect();
        let measures: Vec<String> = n
            .measures
            .iter()
            .map(|m| format!("<code title=\"{}\">{}</code>", esc(m.description()), m))
            .collect();
        let parameters: Vec<String> = n
            .parameters
            .iter()
            .map(|p| {
                let value = adopted
                    .and_then(|a| a.parameters.get(p))
                    .map(|v| format!(" = {}", seconds(*v)))
                    .unwrap_or_default();
                format!("<code>{}</code>{value}", esc(p.key()))
            })
            .collect();
        let _ = write!(
            main,
            "<tr data-norm=\"{id}\"><td><b>{id}</b></td><td><b>{}</b><br>\
             <span class=\"muted\">{}</span></td><td class=\"norm-status\">{status}{}</td>\
             <td>{}</td><td>{}</td></tr>",
            esc(n.title),
            esc(n.summary),
            pending.concat(),
            measures.join("<br>"),
            parameters.join("<br>"),
            id = esc(n.id),
        );
    }
    main.push_str("</tbody></table></section>");

    // The quarter: the one asked for, else the current one.
    let (period, bad) = match asked.filter(|a| !a.is_empty()) {
        Some(a) => match a.parse::<ReportPeriod>() {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(e.to_string())),
        },
        None => (ReportPeriod::containing(&Timestamp::now()).ok(), None),
    };
    let shown = period.map(|p| p.to_string()).unwrap_or_default();
    let _ = write!(
        main,
        "<section class=\"card\" id=\"figures\"><h2>Compliance figures{}</h2>\
         <form class=\"filters\" method=\"get\" action=\"{NORMS}\"><label>Quarter\
         <input name=\"period\" value=\"{}\" placeholder=\"2026-Q4\"></label>\
         <button type=\"submit\">Show</button></form>",
        if shown.is_empty() {
            String::new()
        } else {
            format!(", {}", esc(&shown))
        },
        esc(asked.unwrap_or(&shown)),
    );
    if let Some(bad) = bad {
        let _ = write!(
            main,
            "<p class=\"error\" id=\"period-error\">{}</p></section>",
            esc(&bad)
        );
        return Ok(main);
    }
    let Some(period) = period else {
        main.push_str("<p class=\"error\">The current quarter is out of range.</p></section>");
        return Ok(main);
    };
    let mut pager = String::from("<p class=\"pager\">");
    for (forward, label) in [(false, "← "), (true, "")] {
        if let Some(q) = neighbour(period, forward) {
            let _ = write!(
                pager,
                "<a href=\"{NORMS}?period={q}\">{}{q}{}</a> ",
                label,
                if forward { " →" } else { "" }
            );
        }
    }
    pager.push_str("</p>");
    main.push_str(&pager);
    let Some(f) = f else {
        main.push_str(
            "<p class=\"muted\" id=\"figures-none\">This node has no charter: there are no \
             members to report on.</p></section>",
        );
        return Ok(main);
    };
    let figures = state.gov().figures(period).await?;
    figures_tables(&mut main, &f, &figures);
    main.push_str("</section>");
    Ok(main)
}

/// One table per norm and measure with figures, in the catalogue's order: a row per party.
fn figures_tables(main: &mut String, f: &Federation, figures: &[Figure]) {
    let mut by_measure: BTreeMap<(&str, Measure), Vec<&Figure>> = BTreeMap::new();
    for figure in figures {
        by_measure
            .entry((figure.norm.as_str(), figure.measure))
            .or_default()
            .push(figure);
    }
    if by_measure.is_empty() {
        main.push_str(
            "<p class=\"muted\" id=\"figures-none\">No member has published a compliance \
             report for this quarter yet (<code>POST /gov/reports</code>).</p>",
        );
        return;
    }
    let observers = |figure: &Figure| {
        figure
            .observers
            .iter()
            .map(|o| party(f, o.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for n in norms::catalogue() {
        for measure in n.measures {
            let Some(rows) = by_measure.get(&(n.id, *measure)) else {
                continue;
            };
            let _ = write!(
                main,
                "<h3>{} {} · <code>{measure}</code></h3><p class=\"muted\">{}</p>\
                 <table class=\"figures\" data-norm=\"{}\" data-measure=\"{measure}\"><thead><tr>\
                 <th>Party</th>",
                esc(n.id),
                esc(n.title),
                esc(measure.description()),
                esc(n.id),
            );
            match measure.kind() {
                MeasureKind::Ratio => main.push_str(
                    "<th class=\"num\">In time</th><th>Share</th><th>Observers</th></tr>\
                     </thead><tbody>",
                ),
                MeasureKind::DurationSecs => main.push_str(
                    "<th class=\"num\">Cases</th><th class=\"num\">p50</th>\
                     <th class=\"num\">p90</th><th>Observers</th></tr></thead><tbody>",
                ),
            }
            for figure in rows {
                let _ = write!(
                    main,
                    "<tr data-party=\"{}\"><td>{}</td>",
                    esc(figure.about.as_str()),
                    party(f, figure.about.as_str())
                );
                match measure.kind() {
                    MeasureKind::Ratio => {
                        let _ = write!(
                            main,
                            "<td class=\"num ratio\">{} / {}</td><td>{}</td>",
                            figure.count,
                            figure.of,
                            ratio_bar(figure.count, figure.of)
                        );
                    }
                    MeasureKind::DurationSecs => {
                        let p = |v: Option<u64>| v.map(seconds).unwrap_or_else(|| "—".into());
                        let _ = write!(
                            main,
                            "<td class=\"num\">{}</td><td class=\"num p50\">{}</td>\
                             <td class=\"num p90\">{}</td>",
                            figure.count,
                            p(figure.p50()),
                            p(figure.p90())
                        );
                    }
                }
                let _ = write!(main, "<td>{}</td></tr>", observers(figure));
            }
            main.push_str("</tbody></table>");
        }
    }
}

/// `count` of `of` as a bar (an SVG whose widths are attributes, so the CSP needs no inline
/// style) and a percentage; nothing to draw for no cases.
fn ratio_bar(count: u64, of: u64) -> String {
    if of == 0 {
        return "<span class=\"muted\">no case</span>".into();
    }
    let percent = count.min(of).saturating_mul(100) / of;
    format!(
        "<span class=\"share\"><svg class=\"ratio-bar\" viewBox=\"0 0 100 8\" \
         preserveAspectRatio=\"none\" aria-hidden=\"true\"><rect class=\"track\" width=\"100\" \
         height=\"8\"/><rect class=\"fill\" width=\"{percent}\" height=\"8\"/></svg> \
         {percent}%</span>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_lines_are_escaped_and_marked() {
        let html = render_diff(&line_diff("<b>x</b>", "<script>y</script>"));
        assert!(html.contains("<span class=\"diff-del\">- &lt;b&gt;x&lt;/b&gt;</span>"));
        assert!(html.contains("<span class=\"diff-add\">+ &lt;script&gt;y&lt;/script&gt;</span>"));
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn seconds_show_their_largest_whole_unit() {
        assert_eq!(seconds(1200), "1200 s (20 min)");
        assert_eq!(seconds(3600), "3600 s (1 h)");
        assert_eq!(seconds(90), "90 s");
        assert_eq!(seconds(0), "0 s");
    }

    #[test]
    fn a_ratio_bar_is_as_wide_as_the_share() {
        assert!(ratio_bar(3, 4).contains("<rect class=\"fill\" width=\"75\""));
        assert!(ratio_bar(3, 4).contains("75%"));
        assert!(ratio_bar(0, 0).contains("no case"));
    }

    /// A federation of `members` (party id, name), founded now, with nothing done yet.
    fn federation(members: &[(&str, &str)]) -> Federation {
        use pacific_gov::charter::{Constitution, MemberDetails};
        use pacific_gov::state::RegisterEntry;
        let register = members
            .iter()
            .map(|(id, name)| {
                let details = MemberDetails {
                    party: (*id).into(),
                    name: (*name).into(),
                    stakeholder: pacific_core::party::StakeholderType::State,
                    jurisdiction: None,
                    key: "00".repeat(32),
                    url: "http://127.0.0.1:9".into(),
                };
                let entry = RegisterEntry {
                    details,
                    status: MemberStatus::Member,
                    since: Timestamp::now(),
                    by_proposal: None,
                };
                ((*id).into(), entry)
            })
            .collect();
        Federation {
            id: "f".repeat(64),
            name: "Test".into(),
            founded: Timestamp::now(),
            constitution: Constitution::default(),
            register,
            proposals: BTreeMap::new(),
            parameters: Default::default(),
            norms: BTreeMap::new(),
            roster: Default::default(),
            refused: Vec::new(),
        }
    }

    fn figure(about: &str, norm: &str, measure: Measure, count: u64, of: u64) -> Figure {
        Figure {
            about: about.into(),
            norm: norm.into(),
            measure,
            count,
            of,
            samples: Vec::new(),
            observers: ["alpha".into()].into(),
        }
    }

    #[test]
    fn figures_show_a_table_per_norm_and_measure_with_ratios_and_percentiles() {
        let f = federation(&[("alpha", "Alpha CERT"), ("bravo", "<i>Bravo</i>")]);
        let mut duration = figure("bravo", "13f", Measure::EmergencyAcknowledgementSecs, 3, 3);
        duration.samples = vec![60, 300, 1200];
        let figures = [
            figure("bravo", "13h", Measure::RequestsAcknowledgedInTime, 3, 4),
            duration,
        ];
        let mut html = String::new();
        figures_tables(&mut html, &f, &figures);
        assert_eq!(
            html.matches("<table class=\"figures\"").count(),
            2,
            "{html}"
        );
        let ratio = &html[html
            .find("data-norm=\"13h\" data-measure=\"requests-acknowledged-in-time\"")
            .expect("a table for 13h's measure")..];
        assert!(ratio.contains("<td class=\"num ratio\">3 / 4</td>"));
        assert!(ratio.contains("<rect class=\"fill\" width=\"75\""));
        let durations = &html[html
            .find("data-norm=\"13f\" data-measure=\"emergency-acknowledgement-secs\"")
            .expect("a table for 13f's measure")..];
        assert!(durations.contains("<td class=\"num p50\">300 s (5 min)</td>"));
        assert!(durations.contains("<td class=\"num p90\">1200 s (20 min)</td>"));
        // The observer and the party by their register names, escaped.
        assert!(html.contains("Alpha CERT <code class=\"muted\">alpha</code>"));
        assert!(html.contains("&lt;i&gt;Bravo&lt;/i&gt;") && !html.contains("<i>Bravo"));

        let mut none = String::new();
        figures_tables(&mut none, &f, &[]);
        assert!(none.contains("id=\"figures-none\""));
    }

    #[test]
    fn quarters_have_neighbours_across_years() {
        let q4: ReportPeriod = "2026-Q4".parse().unwrap();
        assert_eq!(neighbour(q4, true).unwrap().to_string(), "2027-Q1");
        assert_eq!(neighbour(q4, false).unwrap().to_string(), "2026-Q3");
        let q1: ReportPeriod = "2026-Q1".parse().unwrap();
        assert_eq!(neighbour(q1, false).unwrap().to_string(), "2025-Q4");
        let first: ReportPeriod = "1970-Q1".parse().unwrap();
        assert!(neighbour(first, false).is_none());
    }
}
