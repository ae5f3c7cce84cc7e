//! Property tests of the policy gate over random objects, markings, sharing groups, policies,
//! recipients and contexts: nothing the markings forbid ever comes out, whatever the policy;
//! adding a deny rule never lets anything new out; `decide` never panics.

use std::collections::BTreeSet;

use pacific_core::party::StakeholderType;
use pacific_core::policy::{
    Action, Decision, DenyReason, ExportPolicy, GateContext, Markings, OutboundPath, Party,
    PartyId, Provenance, Rule, SharingGroup, TlpSource, decide,
};
use pacific_core::tlp::{self, Tlp};
use pacific_core::{StixObject, Timestamp};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const LOCAL: &str = "alpha";
const PARTIES: [&str; 5] = ["alpha", "bravo", "charlie", "delta", "echo"];
const GROUPS: [&str; 3] = ["g1", "g2", "g3"]; // g3 is never defined by a policy
const CODES: [&str; 3] = ["XA", "XB", "XC"];
const ORGS: [&str; 2] = ["org1", "org2"];
const TYPES: [&str; 5] = [
    "indicator",
    "identity",
    "x-alpha-case",
    "x-pacific-request",
    "marking-definition",
];
const STATEMENT: &str = "marking-definition--2a9b9c4c-3f6d-4c1e-9a43-6ec2b2f2a111";
const TLP_REFS: [&str; 10] = [
    tlp::TLP1_WHITE,
    tlp::TLP1_GREEN,
    tlp::TLP1_AMBER,
    tlp::TLP1_RED,
    tlp::TLP2_CLEAR,
    tlp::TLP2_GREEN,
    tlp::TLP2_AMBER,
    tlp::TLP2_AMBER_STRICT,
    tlp::TLP2_RED,
    STATEMENT,
];
const TLP1_DEFINITIONS: [(&str, &str); 4] = [
    (tlp::TLP1_WHITE, "white"),
    (tlp::TLP1_GREEN, "green"),
    (tlp::TLP1_AMBER, "amber"),
    (tlp::TLP1_RED, "red"),
];
/// 2025-06-01T12:00:00Z.
const NOW_SECS: i64 = 1_748_779_200;

// ---- Strategies ---------------------------------------------------------------------------

fn subset<T: Clone + std::fmt::Debug + 'static>(
    items: &'static [T],
) -> impl Strategy<Value = Vec<T>> {
    proptest::sample::subsequence(items, 0..=items.len())
}

fn nonempty<T: Clone + std::fmt::Debug + 'static>(
    items: &'static [T],
) -> impl Strategy<Value = Vec<T>> {
    proptest::sample::subsequence(items, 1..=items.len().min(3))
}

fn tlp_level() -> impl Strategy<Value = Tlp> {
    proptest::sample::select(vec![
        Tlp::Clear,
        Tlp::Green,
        Tlp::Amber,
        Tlp::AmberStrict,
        Tlp::Red,
    ])
}

fn stakeholder_type() -> impl Strategy<Value = StakeholderType> {
    proptest::sample::select(StakeholderType::ALL.to_vec())
}

fn path() -> impl Strategy<Value = OutboundPath> {
    proptest::sample::select(vec![
        OutboundPath::TaxiiGet,
        OutboundPath::FederationPush,
        OutboundPath::Export,
    ])
}

fn owned(v: Vec<&str>) -> Vec<String> {
    v.into_iter().map(str::to_owned).collect()
}

/// Arbitrary JSON, for markings that may be malformed.
fn junk() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[A-Za-z0-9:. -]{0,12}".prop_map(Value::String),
        proptest::sample::select(PARTIES.to_vec()).prop_map(Value::from),
        proptest::sample::select(CODES.to_vec()).prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("keep_within".to_owned()),
                    Just("subjects_resident_in".to_owned()),
                    Just("until".to_owned()),
                    "[a-z]{1,6}"
                ],
                inner,
                0..3
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A marking property: absent, well formed, or arbitrary JSON.
#[derive(Clone, Debug)]
enum Prop<T> {
    Absent,
    Good(T),
    Junk(Value),
}

fn prop_of<T: std::fmt::Debug + Clone>(
    good: impl Strategy<Value = T>,
) -> impl Strategy<Value = Prop<T>> {
    prop_oneof![12 => Just(Prop::Absent), 6 => good.prop_map(Prop::Good), 1 => junk().prop_map(Prop::Junk)]
}

#[derive(Clone, Debug)]
struct ObjectSpec {
    type_name: &'static str,
    tlp1_definition: usize,
    marking_refs: Vec<&'static str>,
    granular_ref: Option<&'static str>,
    recipients: Prop<Vec<String>>,
    groups: Prop<Vec<String>>,
    keep_within: Prop<Vec<String>>,
    personal_data: Prop<Vec<String>>,
    /// Seconds after NOW.
    retention: Prop<i64>,
}

fn object_spec() -> impl Strategy<Value = ObjectSpec> {
    (
        proptest::sample::select(TYPES.to_vec()),
        0..TLP1_DEFINITIONS.len(),
        prop::collection::vec(proptest::sample::select(TLP_REFS.to_vec()), 0..3),
        proptest::option::weighted(0.2, proptest::sample::select(TLP_REFS.to_vec())),
        prop_of(subset(&PARTIES).prop_map(owned)),
        prop_of(subset(&GROUPS).prop_map(owned)),
        prop_of(subset(&CODES).prop_map(owned)),
        prop_of(subset(&CODES).prop_map(owned)),
        prop_of(-100i64..100),
    )
        .prop_map(
            |(
                type_name,
                tlp1_definition,
                marking_refs,
                granular_ref,
                recipients,
                groups,
                keep_within,
                personal_data,
                retention,
            )| {
                ObjectSpec {
                    type_name,
                    tlp1_definition,
                    marking_refs,
                    granular_ref,
                    recipients,
                    groups,
                    keep_within,
                    personal_data,
                    retention,
                }
            },
        )
}

fn until(offset: i64) -> Timestamp {
    Timestamp::from_unix(NOW_SECS + offset, 0)
}

impl ObjectSpec {
    fn is_tlp_definition(&self) -> bool {
        self.type_name == "marking-definition"
    }

    fn build(&self) -> StixObject {
        let mut map = Map::new();
        map.insert("type".into(), json!(self.type_name));
        map.insert("spec_version".into(), json!("2.1"));
        map.insert("created".into(), json!("2025-03-01T10:00:00.000Z"));
        if self.is_tlp_definition() {
            let (id, level) = TLP1_DEFINITIONS[self.tlp1_definition];
            map.insert("id".into(), json!(id));
            map.insert("definition_type".into(), json!("tlp"));
            map.insert("definition".into(), json!({ "tlp": level }));
        } else {
            map.insert(
                "id".into(),
                json!(format!(
                    "{}--96072a14-c559-4e68-bb8b-5c06210c5a02",
                    self.type_name
                )),
            );
            map.insert("modified".into(), json!("2025-03-02T10:00:00.000Z"));
            map.insert("name".into(), json!("thing"));
        }
        if self.type_name == "indicator" {
            map.insert(
                "pattern".into(),
                json!("[domain-name:value = 'grid-update.example']"),
            );
            map.insert("pattern_type".into(), json!("stix"));
            map.insert("valid_from".into(), json!("2025-03-01T10:00:00Z"));
        }
        if !self.marking_refs.is_empty() {
            map.insert("object_marking_refs".into(), json!(self.marking_refs));
        }
        if let Some(r) = self.granular_ref {
            map.insert("description".into(), json!("detail"));
            map.insert(
                "granular_markings".into(),
                json!([{ "selectors": ["description"], "marking_ref": r }]),
            );
        }
        let mut put = |name: &str, prop: Value| {
            map.insert(name.into(), prop);
        };
        let list = |v: &Vec<String>| json!(v);
        match &self.recipients {
            Prop::Good(v) => put("x_pacific_recipients", list(v)),
            Prop::Junk(j) => put("x_pacific_recipients", j.clone()),
            Prop::Absent => {}
        }
        match &self.groups {
            Prop::Good(v) => put("x_pacific_sharing_groups", list(v)),
            Prop::Junk(j) => put("x_pacific_sharing_groups", j.clone()),
            Prop::Absent => {}
        }
        match &self.keep_within {
            Prop::Good(v) => put(
                "x_pacific_jurisdiction_restriction",
                json!({ "keep_within": v }),
            ),
            Prop::Junk(j) => put("x_pacific_jurisdiction_restriction", j.clone()),
            Prop::Absent => {}
        }
        match &self.personal_data {
            Prop::Good(v) => put(
                "x_pacific_personal_data",
                json!({ "subjects_resident_in": v }),
            ),
            Prop::Junk(j) => put("x_pacific_personal_data", j.clone()),
            Prop::Absent => {}
        }
        match &self.retention {
            Prop::Good(offset) => put(
                "x_pacific_retention",
                json!({ "until": until(*offset).as_str() }),
            ),
            Prop::Junk(j) => put("x_pacific_retention", j.clone()),
            Prop::Absent => {}
        }
        StixObject::from_map(map).expect("generated objects are valid STIX")
    }

    fn has_junk(&self) -> bool {
        matches!(self.recipients, Prop::Junk(_))
            || matches!(self.groups, Prop::Junk(_))
            || matches!(self.keep_within, Prop::Junk(_))
            || matches!(self.personal_data, Prop::Junk(_))
            || matches!(self.retention, Prop::Junk(_))
    }

    /// What the markings mean, worked out from the spec without the code under test.
    fn expected(&self, default_tlp: Tlp) -> Markings {
        fn good<T: Clone>(p: &Prop<T>) -> Option<T> {
            match p {
                Prop::Good(v) => Some(v.clone()),
                _ => None,
            }
        }
        let set = |v: Vec<String>| v.into_iter().collect::<BTreeSet<_>>();
        let marked = self
            .marking_refs
            .iter()
            .chain(&self.granular_ref)
            .filter_map(|r| Tlp::from_marking_id(r))
            .max();
        let (tlp, tlp_source) = match marked {
            Some(t) => (t, TlpSource::Marked),
            None if self.is_tlp_definition() => (Tlp::Clear, TlpSource::TlpDefinition),
            None => (default_tlp, TlpSource::PolicyDefault),
        };
        Markings {
            tlp,
            tlp_source,
            recipients: good(&self.recipients).map(|v| v.into_iter().map(PartyId::from).collect()),
            sharing_groups: good(&self.groups).map(set),
            keep_within: good(&self.keep_within).map(set),
            personal_data_of: good(&self.personal_data).map(set),
            retention_until: good(&self.retention).map(until),
        }
    }
}

fn party() -> impl Strategy<Value = Party> {
    (
        prop_oneof![1 => Just(LOCAL), 9 => proptest::sample::select(PARTIES[1..].to_vec())],
        stakeholder_type(),
        proptest::option::of(proptest::sample::select(CODES.to_vec())),
        proptest::option::weighted(0.8, proptest::sample::select(ORGS.to_vec())),
    )
        .prop_map(|(id, stakeholder_type, jurisdiction, organisation)| Party {
            id: PartyId::from(id),
            name: id.to_uppercase(),
            stakeholder_type,
            jurisdiction: jurisdiction.map(str::to_owned),
            organisation: organisation.map(str::to_owned),
        })
}

fn local_party() -> impl Strategy<Value = Party> {
    party().prop_map(|p| Party {
        id: PartyId::from(LOCAL),
        ..p
    })
}

fn opt<S: Strategy>(s: S) -> impl Strategy<Value = Option<S::Value>> {
    proptest::option::weighted(0.25, s)
}

fn rule(name: String) -> impl Strategy<Value = Rule> {
    (
        proptest::sample::select(vec![Action::Allow, Action::Deny]),
        opt(nonempty(&[
            "indicator",
            "identity",
            "x-*",
            "x-alpha-*",
            "marking-definition",
        ])
        .prop_map(owned)),
        opt(nonempty(&["c1", "c2"]).prop_map(owned)),
        opt(prop::collection::vec(tlp_level(), 1..3)),
        opt(prop::collection::vec(path(), 1..3)),
        opt(nonempty(&PARTIES).prop_map(|v| v.into_iter().map(PartyId::from).collect())),
        opt(nonempty(&GROUPS).prop_map(owned)),
        (
            opt(prop::collection::vec(stakeholder_type(), 1..3)),
            opt(prop::collection::vec(stakeholder_type(), 1..3)),
            opt(nonempty(&CODES).prop_map(owned)),
            opt(nonempty(&CODES).prop_map(owned)),
            opt(nonempty(&CODES).prop_map(owned)),
            proptest::option::weighted(0.2, any::<bool>()),
        ),
    )
        .prop_map(
            move |(
                action,
                types,
                collections,
                tlp,
                paths,
                recipients,
                recipient_groups,
                (st, st_not, rj, rj_not, pd, received),
            )| {
                Rule {
                    name: name.clone(),
                    action,
                    description: None,
                    types,
                    collections,
                    tlp,
                    paths,
                    recipients,
                    recipient_groups,
                    recipient_stakeholder_types: st,
                    recipient_stakeholder_types_not: st_not,
                    recipient_jurisdictions: rj,
                    recipient_jurisdictions_not: rj_not,
                    personal_data_of: pd,
                    received,
                }
            },
        )
}

fn rules() -> impl Strategy<Value = Vec<Rule>> {
    (0usize..6).prop_flat_map(|n| {
        (0..n)
            .map(|i| rule(format!("rule-{i}")))
            .collect::<Vec<_>>()
    })
}

fn policy() -> impl Strategy<Value = ExportPolicy> {
    let members = || subset(&PARTIES).prop_map(|v| v.into_iter().map(PartyId::from).collect());
    (
        proptest::sample::select(vec![Action::Allow, Action::Deny]),
        tlp_level(),
        members(),
        members(),
        rules(),
    )
        .prop_map(|(default, default_tlp, g1, g2, rules)| ExportPolicy {
            default,
            default_tlp,
            sharing_groups: vec![
                SharingGroup {
                    name: "g1".into(),
                    members: g1,
                },
                SharingGroup {
                    name: "g2".into(),
                    members: g2,
                },
            ],
            rules,
        })
}

#[derive(Clone, Debug)]
struct World {
    object: ObjectSpec,
    recipient: Party,
    policy: ExportPolicy,
    local: Party,
    peers: BTreeSet<PartyId>,
    collection: Option<&'static str>,
    provenance: Option<Provenance>,
    path: OutboundPath,
}

fn world() -> impl Strategy<Value = World> {
    (
        object_spec(),
        party(),
        policy(),
        local_party(),
        prop::collection::vec(prop::bool::weighted(0.8), PARTIES.len()).prop_map(|member| {
            PARTIES
                .iter()
                .zip(member)
                .filter(|(_, m)| *m)
                .map(|(p, _)| *p)
                .collect::<Vec<_>>()
        }),
        proptest::option::of(proptest::sample::select(vec!["c1", "c2"])),
        proptest::option::of((
            proptest::sample::select(PARTIES.to_vec()),
            proptest::sample::select(PARTIES.to_vec()),
        )),
        path(),
    )
        .prop_map(
            |(object, recipient, policy, local, peers, collection, provenance, path)| World {
                object,
                recipient,
                policy,
                local,
                peers: peers.into_iter().map(PartyId::from).collect(),
                collection,
                provenance: provenance.map(|(from, origin)| Provenance {
                    received_from: PartyId::from(from),
                    received_at: until(-3600),
                    origin: PartyId::from(origin),
                }),
                path,
            },
        )
}

impl World {
    fn decide_with(&self, policy: &ExportPolicy, object: &StixObject) -> Decision {
        let now = until(0);
        let ctx = GateContext::new(policy, &self.local, &self.peers, &now, self.path)
            .with_collection(self.collection)
            .with_provenance(self.provenance.as_ref());
        decide(object, &self.recipient, &ctx)
    }

    fn is_received(&self) -> bool {
        self.provenance
            .as_ref()
            .is_some_and(|p| p.origin.as_str() != LOCAL)
    }

    /// Every hard constraint, checked for an object the gate let out, against markings `m`.
    fn check_allowed(&self, m: &Markings) -> Result<(), TestCaseError> {
        let r = &self.recipient;
        let named = m.recipients.as_ref().is_some_and(|s| s.contains(&r.id));
        let in_group = m
            .sharing_groups
            .iter()
            .flatten()
            .any(|g| self.policy.in_group(g, &r.id));
        prop_assert_ne!(r.id.as_str(), LOCAL, "allowed to this node's own party");
        prop_assert_ne!(m.tlp, Tlp::Red, "TLP:RED came out");
        if m.tlp >= Tlp::Green {
            prop_assert!(
                self.peers.contains(&r.id),
                "{} went to a non-member",
                m.tlp.label()
            );
        }
        if m.tlp == Tlp::AmberStrict {
            prop_assert!(
                self.local.organisation.is_some() && self.local.organisation == r.organisation,
                "AMBER+STRICT left the organisation"
            );
        }
        if m.tlp == Tlp::Amber {
            prop_assert!(
                named || in_group,
                "AMBER went to a party neither named nor in a named group"
            );
        }
        if m.recipients.is_some() || m.sharing_groups.is_some() {
            prop_assert!(
                named || in_group,
                "an addressed object went outside its audience"
            );
        }
        if let Some(k) = &m.keep_within {
            prop_assert!(
                r.jurisdiction.as_ref().is_some_and(|j| k.contains(j)),
                "left its jurisdictions"
            );
        }
        if let Some(subjects) = &m.personal_data_of {
            let j = r.jurisdiction.as_ref();
            prop_assert!(
                j.is_some() && !subjects.is_empty() && subjects.iter().all(|s| Some(s) == j),
                "personal data about residents of {subjects:?} went to jurisdiction {j:?}"
            );
        }
        if let Some(until) = &m.retention_until {
            prop_assert!(until > &until_now(), "passed on after its retention period");
        }
        if self.is_received() && m.tlp > Tlp::Green {
            prop_assert!(
                named,
                "received {} passed on to a party the originator did not name",
                m.tlp.label()
            );
        }
        Ok(())
    }
}

fn until_now() -> Timestamp {
    until(0)
}

fn config() -> ProptestConfig {
    // No regression files in the tree: a failure prints its minimal input instead.
    ProptestConfig {
        cases: 2048,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Nothing the markings forbid ever comes out, whatever the policy: RED, AMBER+STRICT outside
    /// the organisation, AMBER to the unnamed, personal data outside its jurisdiction, received
    /// AMBER to parties the originator did not name, expired objects, unreadable markings.
    #[test]
    fn nothing_forbidden_by_the_markings_is_ever_allowed(w in world()) {
        let object = w.object.build();
        let decision = w.decide_with(&w.policy, &object);
        let read = Markings::read(&object, w.policy.default_tlp);
        if w.object.has_junk() {
            match &read {
                Ok(m) => {
                    if decision.is_allowed() {
                        w.check_allowed(m)?;
                    }
                }
                Err(_) if w.recipient.id.as_str() == LOCAL => {
                    prop_assert_eq!(decision, Decision::Deny(DenyReason::RecipientIsSelf));
                }
                Err(e) => prop_assert_eq!(
                    decision,
                    Decision::Deny(DenyReason::MalformedMarking { property: e.property.clone(), problem: e.problem.clone() })
                ),
            }
        } else {
            let expected = w.object.expected(w.policy.default_tlp);
            prop_assert_eq!(read.as_ref(), Ok(&expected), "markings read differently from what was written");
            if decision.is_allowed() {
                w.check_allowed(&expected)?;
            }
        }
    }

    /// The policy only tightens: whatever a policy allows, the markings alone allow.
    #[test]
    fn a_policy_never_allows_what_the_markings_alone_would_not(w in world()) {
        let object = w.object.build();
        let permissive = ExportPolicy { default: Action::Allow, rules: Vec::new(), ..w.policy.clone() };
        if w.decide_with(&w.policy, &object).is_allowed() {
            prop_assert!(w.decide_with(&permissive, &object).is_allowed());
        }
    }

    /// Adding a deny rule anywhere never turns a denial into an allowance.
    #[test]
    fn adding_a_deny_rule_never_turns_a_deny_into_an_allow(
        w in world(),
        extra in rule("added".to_owned()),
        at in any::<prop::sample::Index>(),
    ) {
        let object = w.object.build();
        let before = w.decide_with(&w.policy, &object);
        let mut tighter = w.policy.clone();
        let deny = Rule { action: Action::Deny, ..extra };
        tighter.rules.insert(at.index(tighter.rules.len() + 1), deny);
        let after = w.decide_with(&tighter, &object);
        if !before.is_allowed() {
            prop_assert!(!after.is_allowed(), "{before} became {after}");
        }
    }

    /// Every decision names what decided it: an allowing rule that exists, or the default, or
    /// the TLP-definition exemption; a denying rule that exists and denies.
    #[test]
    fn every_decision_cites_what_decided_it(w in world()) {
        let object = w.object.build();
        match w.decide_with(&w.policy, &object) {
            Decision::Allow { rule } => {
                let ok = w.policy.rules.iter().any(|r| r.name == rule && r.action == Action::Allow)
                    || (rule == "default" && w.policy.default == Action::Allow)
                    || (rule == "tlp-definition" && w.object.is_tlp_definition());
                prop_assert!(ok, "allowed by {rule:?}, which is no allowing rule");
            }
            Decision::Deny(reason) => {
                prop_assert!(!reason.label().is_empty() && !reason.to_string().is_empty());
                if let Some(rule) = reason.rule() {
                    prop_assert!(w.policy.rules.iter().any(|r| r.name == rule && r.action == Action::Deny));
                }
                if reason == DenyReason::DefaultDeny {
                    prop_assert_eq!(w.policy.default, Action::Deny);
                }
            }
        }
    }

    /// Any policy written as TOML reads back the same, and loads iff it validates.
    #[test]
    fn policies_round_trip_through_toml(p in policy()) {
        let text = p.to_toml().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back: ExportPolicy = toml::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&back, &p);
        prop_assert_eq!(ExportPolicy::from_toml(&text).is_ok(), p.validate().is_ok());
    }

    /// decide() is total: arbitrary JSON in every Pacific marking property never makes it panic.
    #[test]
    fn decide_never_panics_on_arbitrary_marking_values(
        w in world(),
        values in prop::collection::vec(junk(), 5),
    ) {
        let mut map = w.object.build().into_map();
        let names = [
            "x_pacific_recipients", "x_pacific_sharing_groups", "x_pacific_jurisdiction_restriction",
            "x_pacific_personal_data", "x_pacific_retention",
        ];
        for (name, value) in names.into_iter().zip(values) {
            map.insert(name.to_owned(), value);
        }
        let object = StixObject::from_map(map).expect("custom properties take any value");
        let _ = w.decide_with(&w.policy, &object);
    }
}

/// The properties above are not vacuous: the generator reaches allowed decisions for every
/// interesting kind of object, and denials for every reason the markings give.
#[test]
fn the_generator_reaches_every_interesting_case() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use std::collections::BTreeMap;

    let mut runner = TestRunner::deterministic();
    let strategy = world();
    let mut allowed: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut denied: BTreeMap<&'static str, usize> = BTreeMap::new();
    for _ in 0..10_000 {
        let w = strategy.new_tree(&mut runner).expect("generates").current();
        let object = w.object.build();
        match w.decide_with(&w.policy, &object) {
            Decision::Allow { .. } => {
                let m = Markings::read(&object, w.policy.default_tlp)
                    .expect("allowed objects' markings read");
                let mut count = |k| *allowed.entry(k).or_default() += 1;
                count(m.tlp.label());
                if m.personal_data_of.is_some() {
                    count("personal-data");
                }
                if m.keep_within.is_some() {
                    count("keep-within");
                }
                if m.retention_until.is_some() {
                    count("retention");
                }
                if w.is_received() && m.tlp > Tlp::Green {
                    count("received-amber");
                }
                if m.tlp_source == TlpSource::TlpDefinition {
                    count("tlp-definition");
                }
            }
            Decision::Deny(reason) => *denied.entry(reason.label()).or_default() += 1,
        }
    }
    for kind in [
        "TLP:CLEAR",
        "TLP:GREEN",
        "TLP:AMBER",
        "TLP:AMBER+STRICT",
        "personal-data",
        "keep-within",
        "retention",
        "received-amber",
        "tlp-definition",
    ] {
        assert!(
            allowed.get(kind).copied().unwrap_or(0) >= 5,
            "too few allowed {kind}: {allowed:?}"
        );
    }
    for label in [
        "recipient-is-self",
        "malformed-marking",
        "tlp-red",
        "not-federation-member",
        "amber-strict-outside-organisation",
        "amber-not-named-recipient",
        "not-in-sharing-group",
        "jurisdiction-restricted",
        "personal-data",
        "retention-expired",
        "reshare-not-allowed",
        "type-not-shared",
        "stakeholder-type-not-allowed",
        "default-deny",
    ] {
        assert!(
            denied.get(label).copied().unwrap_or(0) >= 5,
            "too few {label} denials: {denied:?}"
        );
    }
}
