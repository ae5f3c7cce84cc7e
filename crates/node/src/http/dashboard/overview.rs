//! The overview page `/`: matches per day, top indicators and sectors, the latest incidents.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Write as _;

use axum::extract::State;
use axum::response::Response;
use pacific_core::taxii::ObjectQuery;
use pacific_store::Collection;
use serde_json::Value;

use super::log::recent_entries;
use super::names::Names;
use super::{Viewer, day, error_page, esc, page, readable, short_time, str_field, time_of_ms};
use crate::http::authz::Principal;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use pacific_tlog::entry::Act;

/// Days in the overview's chart.
const CHART_DAYS: i64 = 30;

pub(super) async fn overview(State(state): State<AppState>, viewer: Viewer) -> Response {
    match render_overview(&state, &viewer.who).await {
        Ok(main) => page(&state, &viewer, "/", "Overview", &main),
        Err(e) => error_page(&state, &viewer, e),
    }
}

/// The SVG bar chart of `(day, count)`, oldest first, with a `<title>` per bar.
fn bar_chart(days: &[(String, u64)]) -> String {
    const W: usize = 600;
    const H: usize = 160;
    const TOP: usize = 14;
    const BOTTOM: usize = 16;
    let max = days.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let slot = W / days.len().max(1);
    let mut svg = format!(
        "<svg class=\"chart\" id=\"matches-chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" \
         aria-labelledby=\"chart-title\"><title id=\"chart-title\">Matches per day, last {} days \
         (largest {max})</title>",
        days.len()
    );
    let plot = H - TOP - BOTTOM;
    for (i, (d, n)) in days.iter().enumerate() {
        let h = if max == 0 {
            0
        } else {
            ((*n as f64 / max as f64) * plot as f64).round() as usize
        };
        let h = if *n > 0 { h.max(1) } else { 0 };
        let x = i * slot + 2;
        let y = TOP + plot - h;
        let _ = write!(
            svg,
            "<rect class=\"bar\" data-day=\"{d}\" data-count=\"{n}\" x=\"{x}\" y=\"{y}\" \
             width=\"{}\" height=\"{h}\"><title>{d}: {n} matches</title></rect>",
            slot.saturating_sub(4),
            d = esc(d),
        );
    }
    let base = TOP + plot;
    let _ = write!(
        svg,
        "<line class=\"axis\" x1=\"0\" y1=\"{base}\" x2=\"{W}\" y2=\"{base}\"/>\
         <text x=\"0\" y=\"10\">{max}</text>"
    );
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{H}\">{}</text><text x=\"{W}\" y=\"{H}\" text-anchor=\"end\">{}</text>",
            esc(&first.0),
            esc(&last.0)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn top(stats: &[pacific_store::MatchStat], dimension: &str, n: usize) -> Vec<(String, u64)> {
    let mut sums: BTreeMap<&str, u64> = BTreeMap::new();
    for s in stats.iter().filter(|s| s.dimension == dimension) {
        *sums.entry(&s.key).or_default() += s.count;
    }
    let mut v: Vec<(String, u64)> = sums.into_iter().map(|(k, n)| (k.to_owned(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

async fn render_overview(state: &AppState, who: &Principal) -> Result<String, ApiError> {
    let from = day(CHART_DAYS - 1);
    let to = day(0);
    let (stats, _) = state.matching().stats(&from, &to, None).await?;
    let mut per_day: BTreeMap<String, u64> = (0..CHART_DAYS).rev().map(|k| (day(k), 0)).collect();
    for s in stats.iter().filter(|s| s.dimension == "indicator") {
        if let Some(n) = per_day.get_mut(&s.day) {
            *n += s.count;
        }
    }
    let days: Vec<(String, u64)> = per_day.into_iter().collect();
    let total: u64 = days.iter().map(|(_, n)| n).sum();

    let mut main = format!(
        "<h1>Overview</h1><section class=\"card\"><h2>Matches per day</h2>\
         <p class=\"muted\">{total} matches from {} to {} (UTC), recorded by matching events \
         against this node's indicators.</p>{}\
         <details><summary>The numbers</summary><table id=\"matches-table\">\
         <thead><tr><th>Day</th><th class=\"num\">Matches</th></tr></thead><tbody>",
        esc(&from),
        esc(&to),
        bar_chart(&days)
    );
    for (d, n) in &days {
        let _ = write!(
            main,
            "<tr data-day=\"{d}\"><td>{d}</td><td class=\"num\">{n}</td></tr>",
            d = esc(d)
        );
    }
    main.push_str("</tbody></table></details></section>");
    main.push_str(&exchange_row(state, who).await?);
    main.push_str("<div class=\"grid\">");

    // Top indicators, named from the default collection when the viewer may read it.
    let indicators = top(&stats, "indicator", 10);
    let mut names: HashMap<String, String> = HashMap::new();
    if !indicators.is_empty()
        && let Some(Ok(c)) = readable(state, who, "default").await?
    {
        let mut q = ObjectQuery::all(indicators.len());
        q.ids = indicators.iter().map(|(k, _)| k.clone()).collect();
        let page = state.collections().page(who, &c, &q, true).await?.page;
        for item in page.items {
            if let Ok(v) = serde_json::from_str::<Value>(&item.json) {
                names.insert(item.id, str_field(&v, "name").to_owned());
            }
        }
    }
    main.push_str(
        "<section class=\"card\"><h2>Top indicators</h2><table id=\"top-indicators\">\
         <thead><tr><th>Indicator</th><th class=\"num\">Matches</th></tr></thead><tbody>",
    );
    for (id, n) in &indicators {
        let name = names.get(id).map(String::as_str).unwrap_or("");
        let _ = write!(
            main,
            "<tr><td>{}<br><code class=\"muted\">{}</code></td><td class=\"num\">{n}</td></tr>",
            esc(name),
            esc(id)
        );
    }
    if indicators.is_empty() {
        main.push_str("<tr><td colspan=\"2\" class=\"muted\">No matches yet.</td></tr>");
    }
    main.push_str("</tbody></table></section>");

    let sectors = top(&stats, "sector", 10);
    main.push_str(
        "<section class=\"card\"><h2>Top sectors</h2><table id=\"top-sectors\">\
         <thead><tr><th>Sector</th><th class=\"num\">Matches</th></tr></thead><tbody>",
    );
    for (s, n) in &sectors {
        let _ = write!(
            main,
            "<tr><td>{}</td><td class=\"num\">{n}</td></tr>",
            esc(s)
        );
    }
    if sectors.is_empty() {
        main.push_str("<tr><td colspan=\"2\" class=\"muted\">No matches yet.</td></tr>");
    }
    main.push_str("</tbody></table></section></div>");

    // Incidents: the latest 20 of the `incidents` collection.
    main.push_str("<section class=\"card\"><h2>Incidents</h2>");
    match readable(state, who, crate::matching::INCIDENTS_ALIAS).await? {
        None => {
            main.push_str("<p class=\"muted\" id=\"incidents-none\">No incidents recorded.</p>")
        }
        Some(Err(_)) => {
            main.push_str("<p class=\"muted\">You may not read the incidents collection.</p>")
        }
        Some(Ok(c)) => {
            let latest = last_versions(state, who, &c, 20).await?;
            main.push_str(
                "<table id=\"incidents\"><thead><tr><th>Created</th><th>Incident</th>\
                 <th>Asset</th><th>Sector</th><th>Indicator</th></tr></thead><tbody>",
            );
            for v in latest.iter().rev() {
                let _ = write!(
                    main,
                    "<tr><td>{}</td><td>{}<br><span class=\"muted\">{}</span></td><td>{}</td>\
                     <td>{}</td><td><code>{}</code></td></tr>",
                    esc(&short_time(str_field(v, "created"))),
                    esc(str_field(v, "name")),
                    esc(str_field(v, "description")),
                    esc(str_field(v, "x_pacific_asset")),
                    esc(str_field(v, "x_pacific_sector")),
                    esc(str_field(v, "x_pacific_indicator")),
                );
            }
            if latest.is_empty() {
                main.push_str("<tr><td colspan=\"5\" class=\"muted\">No incidents.</td></tr>");
            }
            main.push_str("</tbody></table>");
        }
    }
    main.push_str("</section>");
    Ok(main)
}

/// The last `n` latest versions of a collection, oldest first (pages through it by `seq`).
async fn last_versions(
    state: &AppState,
    who: &Principal,
    collection: &Collection,
    n: usize,
) -> Result<Vec<Value>, ApiError> {
    let mut kept: VecDeque<Value> = VecDeque::with_capacity(n + 1);
    let mut q = ObjectQuery::all(500);
    for _ in 0..200 {
        let page = state
            .collections()
            .page(who, collection, &q, true)
            .await?
            .page;
        for item in page.items {
            if let Ok(v) = serde_json::from_str::<Value>(&item.json) {
                kept.push_back(v);
                if kept.len() > n {
                    kept.pop_front();
                }
            }
        }
        match page.next {
            Some(next) => q.next = Some(next),
            None => break,
        }
    }
    Ok(kept.into())
}

/// Days in the shared/received charts.
const EXCHANGE_DAYS: i64 = 14;
/// Log entries read for them (the most recent ones).
const EXCHANGE_SCAN: u64 = 50_000;

/// Objects sent to and received from each peer per day, as the log says.
#[derive(Default)]
struct Exchange {
    sent: BTreeMap<String, u64>,
    received: BTreeMap<String, u64>,
}

/// The charts row: objects sent to and received from each peer per day (from the log's
/// `object-sent` and `object-received` entries), and this party's requests by state.
async fn exchange_row(state: &AppState, who: &Principal) -> Result<String, ApiError> {
    let first = day(EXCHANGE_DAYS - 1);
    let (_, entries) = recent_entries(state, EXCHANGE_SCAN, None).await?;
    let mut peers: BTreeMap<String, Exchange> = BTreeMap::new();
    for (_, e) in &entries {
        let when = time_of_ms(e.time);
        let d = when.get(..10).unwrap_or_default();
        if d < first.as_str() {
            continue;
        }
        match &e.act {
            Act::ObjectSent { peer, .. } => {
                *peers
                    .entry(peer.clone())
                    .or_default()
                    .sent
                    .entry(d.to_owned())
                    .or_default() += 1
            }
            Act::ObjectReceived { peer, .. } => {
                *peers
                    .entry(peer.clone())
                    .or_default()
                    .received
                    .entry(d.to_owned())
                    .or_default() += 1
            }
            _ => {}
        }
    }
    let names = Names::of(state).await?;
    for id in names.parties.keys() {
        peers.entry(id.clone()).or_default();
    }
    let days: Vec<String> = (0..EXCHANGE_DAYS).rev().map(day).collect();
    let mut out = format!(
        "<section class=\"card\"><h2>Shared and received, last {EXCHANGE_DAYS} days</h2>\
         <p class=\"muted\"><span class=\"key sent\"></span> sent to the peer \
         <span class=\"key received\"></span> received from it, per day (UTC), from the \
         transparency log.</p><div class=\"grid small\" id=\"exchange\">"
    );
    if peers.is_empty() {
        out.push_str("<p class=\"muted\">No peers yet.</p>");
    }
    for (peer, x) in &peers {
        let series: Vec<(String, u64, u64)> = days
            .iter()
            .map(|d| {
                (
                    d.clone(),
                    x.sent.get(d).copied().unwrap_or(0),
                    x.received.get(d).copied().unwrap_or(0),
                )
            })
            .collect();
        let (sent, received): (u64, u64) = series
            .iter()
            .fold((0, 0), |(s, r), (_, a, b)| (s + a, r + b));
        let _ = write!(
            out,
            "<figure data-peer=\"{}\"><figcaption>{}: {sent} sent, {received} received</figcaption>{}</figure>",
            esc(peer),
            names.party(peer),
            pair_chart(peer, &series)
        );
    }
    out.push_str("</div></section>");

    // Requests by state.
    let requests = state
        .coop()
        .request_list(who)
        .await
        .map_err(ApiError::from)?;
    let mut by_state: BTreeMap<String, u64> = BTreeMap::new();
    for r in &requests {
        *by_state
            .entry(str_field(r, "state").to_owned())
            .or_default() += 1;
    }
    let most = by_state.values().copied().max().unwrap_or(0);
    let _ = write!(
        out,
        "<section class=\"card\"><h2>Requests for assistance by state</h2><table id=\"requests-by-state\">\
         <thead><tr><th>State</th><th class=\"num\">Requests</th><th></th></tr></thead><tbody>"
    );
    for (s, n) in &by_state {
        let width = (*n * 200).checked_div(most).unwrap_or(0).max(1);
        let _ = write!(
            out,
            "<tr data-state=\"{s}\"><td><a href=\"/requests\">{s}</a></td><td class=\"num\">{n}</td>\
             <td><svg class=\"hbar\" viewBox=\"0 0 200 10\" role=\"img\" aria-label=\"{n} requests\">\
             <rect class=\"bar\" x=\"0\" y=\"0\" width=\"{width}\" height=\"10\"/></svg></td></tr>",
            s = esc(s)
        );
    }
    if by_state.is_empty() {
        out.push_str("<tr><td colspan=\"3\" class=\"muted\">No requests yet.</td></tr>");
    }
    out.push_str("</tbody></table></section>");
    Ok(out)
}

/// A small SVG of two bars per day (sent, received), oldest first.
fn pair_chart(peer: &str, series: &[(String, u64, u64)]) -> String {
    const W: usize = 280;
    const H: usize = 60;
    let max = series
        .iter()
        .map(|(_, s, r)| *s.max(r))
        .max()
        .unwrap_or(0)
        .max(1);
    let slot = W / series.len().max(1);
    let bar = (slot / 2).saturating_sub(1).max(1);
    let mut svg = format!(
        "<svg class=\"chart pair\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"Objects sent to and received from {} per day\">",
        esc(peer)
    );
    for (i, (d, sent, received)) in series.iter().enumerate() {
        for (k, (n, class)) in [(*sent, "sent"), (*received, "received")]
            .into_iter()
            .enumerate()
        {
            let h = if n == 0 {
                0
            } else {
                ((n as usize * (H - 2)) / max as usize).max(1)
            };
            let x = i * slot + k * (bar + 1);
            let _ = write!(
                svg,
                "<rect class=\"{class}\" x=\"{x}\" y=\"{}\" width=\"{bar}\" height=\"{h}\"><title>{}: {n} {class}</title></rect>",
                H - h,
                esc(d)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_has_one_bar_per_day() {
        let days = vec![("2026-01-01".to_owned(), 0), ("2026-01-02".to_owned(), 7)];
        let svg = bar_chart(&days);
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 2);
        assert!(svg.contains("<title>2026-01-02: 7 matches</title>"));
    }
}
