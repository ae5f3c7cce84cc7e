//! Jurisdiction-registry input from outside: files operators import (RIR delegated-extended
//! statistics, RFC 8805 geofeeds, `start,end,country` ranges), the text of a lookup or of a
//! resource, and resource claims (`x-pacific-resource-claim` objects) as peers publish them.
//! Importers must account for every line and give resources that print and parse back to
//! themselves; a claim read by `wire::from_stix` must write back to the same claim; claims are
//! indexed and looked up, and the index must answer as a scan of every claim does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pacific_core::{StixObject, Timestamp};
use pacific_registry::import::{self, ImportOptions};
use pacific_registry::{ClaimSet, Index, Query, Resource, index, wire};

fuzz_target!(|data: &[u8]| {
    let Some(text) = pacific_fuzz::text(data) else {
        return;
    };
    for options in [ImportOptions::default(), ImportOptions::jurisdiction("XA")] {
        for read in [import::delegated, import::geofeed, import::ranges] {
            let imported = read(text, &options);
            let s = imported.summary;
            assert_eq!(s.used + s.skipped + s.errors, s.lines, "every line is accounted for");
            for r in imported.resources.iter().take(64) {
                let again: Resource = r.to_string().parse().expect("a resource reads back");
                assert_eq!(again, r);
            }
        }
    }
    let now = Timestamp::from_unix_micros(1_767_225_600_000_000);
    let mut set = ClaimSet::new();
    let mut queries = Vec::new();
    for line in text.lines().take(16) {
        if let Ok(q) = line.parse::<Query>() {
            queries.push(q);
        }
        let _ = line.parse::<Resource>();
        let Ok(object) = StixObject::from_json(line) else {
            continue;
        };
        let Ok(claim) = wire::from_stix(&object) else {
            continue;
        };
        let again = wire::to_stix(&claim).expect("a claim read writes back");
        assert_eq!(wire::from_stix(&again).expect("and reads back"), claim);
        let _ = set.insert(claim);
    }
    let index = Index::build(&set, &now);
    let claims: Vec<_> = set.iter().cloned().collect();
    for q in &queries {
        let mut fast: Vec<String> = index.lookup(q).iter().map(|m| m.claim.id.clone()).collect();
        let mut slow: Vec<String> = index::scan(&claims, q, &now).iter().map(|m| m.claim.id.clone()).collect();
        fast.sort();
        slow.sort();
        assert_eq!(fast, slow, "the index answers as a scan does for {q}");
    }
});
