//! The policy gate, rule by rule: each test is one sentence of `docs/policy.md`.
//!
//! The cast: Alpha CERT (this node; a state, XA, organisation "XA government"), Alpha Police
//! (a state unit of the same government), Bravo (a state, XB), Charlie (a company in XA),
//! Delta (civil society, no jurisdiction) and Outsider (not a member of the federation).

use std::collections::BTreeSet;

use pacific_core::party::StakeholderType;
use pacific_core::policy::{
    Action, Decision, DenyReason, ExportPolicy, GateContext, OutboundPath, Party, PartyId,
    Provenance, Rule, SharingGroup, decide,
};
use pacific_core::tlp::{
    TLP1_RED, TLP2_AMBER, TLP2_AMBER_STRICT, TLP2_CLEAR, TLP2_GREEN, TLP2_RED, Tlp,
};
use pacific_core::{StixObject, Timestamp};
use serde_json::{Value, json};

const NOW: &str = "2025-06-01T12:00:00Z";

fn party(
    id: &str,
    t: StakeholderType,
    jurisdiction: Option<&str>,
    organisation: Option<&str>,
) -> Party {
    Party {
        id: PartyId::from(id),
        name: id.to_owned(),
        stakeholder_type: t,
        jurisdiction: jurisdiction.map(str::to_owned),
        organisation: organisation.map(str::to_owned),
    }
}

fn alpha() -> Party {
    party(
        "alpha",
        StakeholderType::State,
        Some("XA"),
        Some("XA government"),
    )
}
fn alpha_police() -> Party {
    party(
        "alpha-police",
        StakeholderType::State,
        Some("XA"),
        Some("XA government"),
    )
}
fn bravo() -> Party {
    party(
        "bravo",
        StakeholderType::State,
        Some("XB"),
        Some("XB government"),
    )
}
fn charlie() -> Party {
    party(
        "charlie",
        StakeholderType::Company,
        Some("XA"),
        Some("Charlie Power"),
    )
}
fn delta() -> Party {
    party("delta", StakeholderType::CivilSociety, None, None)
}
fn outsider() -> Party {
    party("outsider", StakeholderType::Company, Some("XA"), None)
}

fn peers() -> BTreeSet<PartyId> {
    ["alpha-police", "bravo", "charlie", "delta"]
        .into_iter()
        .map(PartyId::from)
        .collect()
}

/// A permissive policy: everything the markings allow goes.
fn allow_all() -> ExportPolicy {
    ExportPolicy {
        default: Action::Allow,
        sharing_groups: vec![SharingGroup {
            name: "energy-isac".into(),
            members: ["bravo", "charlie"]
                .into_iter()
                .map(PartyId::from)
                .collect(),
        }],
        ..ExportPolicy::default()
    }
}

/// An indicator with the given extra properties.
fn indicator(extra: Value) -> StixObject {
    object("indicator", extra)
}

fn object(type_name: &str, extra: Value) -> StixObject {
    let mut v = json!({
        "type": type_name,
        "spec_version": "2.1",
        "id": format!("{type_name}--96072a14-c559-4e68-bb8b-5c06210c5a02"),
        "created": "2025-03-01T10:00:00.000Z",
        "modified": "2025-03-02T10:00:00.000Z",
    });
    let map = v.as_object_mut().expect("object literal");
    match type_name {
        "indicator" => {
            map.insert(
                "pattern".into(),
                json!("[domain-name:value = 'grid-update.example']"),
            );
            map.insert("pattern_type".into(), json!("stix"));
            map.insert("valid_from".into(), json!("2025-03-01T10:00:00Z"));
        }
        "identity" => {
            map.insert("name".into(), json!("Alpha CERT"));
        }
        _ => {}
    }
    for (k, val) in extra.as_object().expect("extra is an object") {
        map.insert(k.clone(), val.clone());
    }
    StixObject::from_value(v).expect("test object is valid STIX")
}

fn marked(tlp: &str) -> StixObject {
    indicator(json!({ "object_marking_refs": [tlp] }))
}

struct Gate {
    policy: ExportPolicy,
    local: Party,
    peers: BTreeSet<PartyId>,
    now: Timestamp,
    path: OutboundPath,
    collection: Option<String>,
    provenance: Option<Provenance>,
}

impl Gate {
    fn new(policy: ExportPolicy) -> Self {
        Self {
            policy,
            local: alpha(),
            peers: peers(),
            now: Timestamp::parse(NOW).expect("timestamp"),
            path: OutboundPath::FederationPush,
            collection: None,
            provenance: None,
        }
    }

    fn decide(&self, object: &StixObject, recipient: &Party) -> Decision {
        let ctx = GateContext::new(&self.policy, &self.local, &self.peers, &self.now, self.path)
            .with_collection(self.collection.as_deref())
            .with_provenance(self.provenance.as_ref());
        decide(object, recipient, &ctx)
    }

    fn denies(&self, object: &StixObject, recipient: &Party) -> DenyReason {
        match self.decide(object, recipient) {
            Decision::Deny(reason) => reason,
            allowed => panic!("expected a denial for {}, got {allowed}", recipient.id),
        }
    }

    fn allows(&self, object: &StixObject, recipient: &Party) -> String {
        match self.decide(object, recipient) {
            Decision::Allow { rule } => rule,
            denied => panic!("expected {} to be allowed, got {denied}", recipient.id),
        }
    }
}

fn received_from(origin: &str) -> Provenance {
    Provenance {
        received_from: PartyId::from(origin),
        received_at: Timestamp::parse("2025-05-01T00:00:00Z").expect("timestamp"),
        origin: PartyId::from(origin),
    }
}

// ---- TLP ---------------------------------------------------------------------------------

#[test]
fn tlp_red_never_leaves_the_node_not_even_to_named_recipients() {
    let gate = Gate::new(allow_all());
    let red = indicator(
        json!({ "object_marking_refs": [TLP2_RED], "x_pacific_recipients": ["alpha-police"] }),
    );
    assert_eq!(gate.denies(&red, &alpha_police()), DenyReason::TlpRed);
    assert_eq!(gate.denies(&marked(TLP1_RED), &bravo()), DenyReason::TlpRed);
}

#[test]
fn the_strictest_tlp_marking_wins_and_granular_markings_bind_the_whole_object() {
    let gate = Gate::new(allow_all());
    let mixed = indicator(json!({ "object_marking_refs": [TLP2_CLEAR, TLP2_RED] }));
    assert_eq!(gate.denies(&mixed, &bravo()), DenyReason::TlpRed);
    let granular = indicator(json!({
        "object_marking_refs": [TLP2_CLEAR],
        "description": "the operator's internal host names",
        "granular_markings": [{ "selectors": ["description"], "marking_ref": TLP2_RED }],
    }));
    assert_eq!(gate.denies(&granular, &outsider()), DenyReason::TlpRed);
}

#[test]
fn amber_strict_goes_only_within_this_nodes_organisation() {
    let mut gate = Gate::new(allow_all());
    let strict = marked(TLP2_AMBER_STRICT);
    assert_eq!(gate.allows(&strict, &alpha_police()), "default");
    assert_eq!(
        gate.denies(&strict, &bravo()),
        DenyReason::AmberStrictOutsideOrganisation {
            local_organisation: Some("XA government".into()),
            recipient_organisation: Some("XB government".into()),
        }
    );
    assert_eq!(
        gate.denies(&strict, &delta()).label(),
        "amber-strict-outside-organisation"
    );
    // A node with no organisation shares AMBER+STRICT with nobody, not even organisation-less peers.
    gate.local.organisation = None;
    assert_eq!(
        gate.denies(&strict, &delta()).label(),
        "amber-strict-outside-organisation"
    );
    assert_eq!(
        gate.denies(&strict, &alpha_police()).label(),
        "amber-strict-outside-organisation"
    );
}

#[test]
fn amber_goes_only_to_named_recipients_and_members_of_named_groups() {
    let gate = Gate::new(allow_all());
    let amber = indicator(json!({
        "object_marking_refs": [TLP2_AMBER],
        "x_pacific_recipients": ["delta"],
        "x_pacific_sharing_groups": ["energy-isac"],
    }));
    gate.allows(&amber, &delta()); // named
    gate.allows(&amber, &bravo()); // in energy-isac
    gate.allows(&amber, &charlie()); // in energy-isac
    assert_eq!(
        gate.denies(&amber, &alpha_police()),
        DenyReason::AmberNotNamedRecipient
    );
}

#[test]
fn amber_that_names_nobody_goes_nowhere() {
    let gate = Gate::new(allow_all());
    for p in [alpha_police(), bravo(), charlie(), delta()] {
        assert_eq!(
            gate.denies(&marked(TLP2_AMBER), &p),
            DenyReason::AmberNotNamedRecipient
        );
    }
}

#[test]
fn a_sharing_group_this_policy_does_not_define_has_no_members() {
    let gate = Gate::new(allow_all());
    let amber = indicator(
        json!({ "object_marking_refs": [TLP2_AMBER], "x_pacific_sharing_groups": ["unknown"] }),
    );
    assert_eq!(
        gate.denies(&amber, &bravo()),
        DenyReason::AmberNotNamedRecipient
    );
}

#[test]
fn green_and_above_go_to_federation_members_only() {
    let gate = Gate::new(allow_all());
    gate.allows(&marked(TLP2_GREEN), &delta());
    assert_eq!(
        gate.denies(&marked(TLP2_GREEN), &outsider()),
        DenyReason::NotFederationMember { tlp: Tlp::Green }
    );
    let named = indicator(
        json!({ "object_marking_refs": [TLP2_AMBER], "x_pacific_recipients": ["outsider"] }),
    );
    assert_eq!(
        gate.denies(&named, &outsider()),
        DenyReason::NotFederationMember { tlp: Tlp::Amber }
    );
}

#[test]
fn clear_goes_to_anyone() {
    let gate = Gate::new(allow_all());
    for p in [alpha_police(), bravo(), charlie(), delta(), outsider()] {
        gate.allows(&marked(TLP2_CLEAR), &p);
    }
}

#[test]
fn an_object_with_no_tlp_marking_gets_the_policys_default_tlp() {
    let unmarked = indicator(json!({}));
    let gate = Gate::new(allow_all()); // default_tlp = amber
    assert_eq!(
        gate.denies(&unmarked, &bravo()),
        DenyReason::AmberNotNamedRecipient
    );
    let gate = Gate::new(ExportPolicy {
        default_tlp: Tlp::Green,
        ..allow_all()
    });
    gate.allows(&unmarked, &bravo());
    assert_eq!(
        gate.denies(&unmarked, &outsider()).label(),
        "not-federation-member"
    );
    let gate = Gate::new(ExportPolicy {
        default_tlp: Tlp::Red,
        ..allow_all()
    });
    assert_eq!(gate.denies(&unmarked, &bravo()), DenyReason::TlpRed);
    // A non-TLP marking definition does not count as a TLP marking.
    let statement = indicator(
        json!({ "object_marking_refs": ["marking-definition--2a9b9c4c-3f6d-4c1e-9a43-6ec2b2f2a111"] }),
    );
    assert_eq!(gate.denies(&statement, &bravo()), DenyReason::TlpRed);
}

#[test]
fn tlp_marking_definitions_are_public_unless_a_rule_excludes_their_type() {
    let definition = StixObject::from_value(json!({
        "type": "marking-definition", "spec_version": "2.1", "id": TLP1_RED,
        "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp", "name": "TLP:RED",
        "definition": { "tlp": "red" },
    }))
    .expect("the TLP 1.0 RED definition is valid STIX");
    let mut gate = Gate::new(ExportPolicy::default()); // deny by default, default_tlp amber
    assert_eq!(gate.allows(&definition, &outsider()), "tlp-definition");
    let mut no_markings = Rule::new("no-marking-definitions", Action::Deny);
    no_markings.types = Some(vec!["marking-definition".into()]);
    gate.policy.rules.push(no_markings);
    assert_eq!(
        gate.denies(&definition, &bravo()).label(),
        "type-not-shared"
    );
}

// ---- Pacific markings ---------------------------------------------------------------------

#[test]
fn an_addressed_object_goes_only_to_its_audience_whatever_its_tlp() {
    let gate = Gate::new(allow_all());
    let green = indicator(
        json!({ "object_marking_refs": [TLP2_GREEN], "x_pacific_sharing_groups": ["energy-isac"] }),
    );
    gate.allows(&green, &bravo());
    assert_eq!(
        gate.denies(&green, &delta()),
        DenyReason::NotInSharingGroup {
            groups: vec!["energy-isac".into()]
        }
    );
    let clear = indicator(
        json!({ "object_marking_refs": [TLP2_CLEAR], "x_pacific_recipients": ["outsider"] }),
    );
    gate.allows(&clear, &outsider());
    assert_eq!(
        gate.denies(&clear, &bravo()),
        DenyReason::NotInSharingGroup { groups: vec![] }
    );
    let nobody =
        indicator(json!({ "object_marking_refs": [TLP2_CLEAR], "x_pacific_recipients": [] }));
    assert_eq!(
        gate.denies(&nobody, &bravo()).label(),
        "not-in-sharing-group"
    );
}

#[test]
fn a_jurisdiction_restriction_keeps_the_object_within_the_listed_jurisdictions() {
    let gate = Gate::new(allow_all());
    let kept = indicator(json!({
        "object_marking_refs": [TLP2_GREEN],
        "x_pacific_jurisdiction_restriction": { "keep_within": ["XA"] },
    }));
    gate.allows(&kept, &charlie());
    assert_eq!(
        gate.denies(&kept, &bravo()),
        DenyReason::JurisdictionRestricted {
            keep_within: vec!["XA".into()],
            recipient_jurisdiction: Some("XB".into())
        }
    );
    assert_eq!(
        gate.denies(&kept, &delta()).label(),
        "jurisdiction-restricted"
    );
}

#[test]
fn personal_data_about_residents_of_a_jurisdiction_never_leaves_it() {
    let gate = Gate::new(allow_all());
    let xa = indicator(json!({
        "object_marking_refs": [TLP2_GREEN],
        "x_pacific_personal_data": { "subjects_resident_in": ["XA"] },
    }));
    gate.allows(&xa, &alpha_police());
    gate.allows(&xa, &charlie());
    assert_eq!(
        gate.denies(&xa, &bravo()),
        DenyReason::PersonalData {
            subjects_resident_in: vec!["XA".into()],
            recipient_jurisdiction: Some("XB".into())
        }
    );
    assert_eq!(gate.denies(&xa, &delta()).label(), "personal-data");
    // About residents of two jurisdictions: it would leave one of them, whoever receives it.
    let both = indicator(json!({
        "object_marking_refs": [TLP2_GREEN],
        "x_pacific_personal_data": { "subjects_resident_in": ["XA", "XB"] },
    }));
    assert_eq!(gate.denies(&both, &alpha_police()).label(), "personal-data");
    assert_eq!(gate.denies(&both, &bravo()).label(), "personal-data");
    // Residence not stated: it never leaves.
    let unknown = indicator(json!({
        "object_marking_refs": [TLP2_CLEAR],
        "x_pacific_personal_data": { "subjects_resident_in": [] },
    }));
    assert_eq!(
        gate.denies(&unknown, &alpha_police()).label(),
        "personal-data"
    );
}

#[test]
fn an_object_is_not_passed_on_once_its_retention_period_is_over() {
    let mut gate = Gate::new(allow_all());
    let kept = indicator(json!({
        "object_marking_refs": [TLP2_GREEN],
        "x_pacific_retention": { "until": "2025-06-01T12:00:00.000001Z" },
    }));
    gate.allows(&kept, &bravo());
    gate.now = Timestamp::parse("2025-06-01T12:00:00.000001Z").expect("timestamp");
    assert_eq!(
        gate.denies(&kept, &bravo()),
        DenyReason::RetentionExpired {
            until: Timestamp::parse("2025-06-01T12:00:00.000001Z").expect("ts")
        }
    );
}

#[test]
fn a_marking_the_gate_cannot_read_holds_the_object_back() {
    let gate = Gate::new(allow_all());
    let cases = [
        json!({ "x_pacific_recipients": "bravo" }),
        json!({ "x_pacific_recipients": ["bravo", 7] }),
        json!({ "x_pacific_sharing_groups": [""] }),
        json!({ "x_pacific_jurisdiction_restriction": ["XA"] }),
        json!({ "x_pacific_jurisdiction_restriction": { "keep_within": ["xa"] } }),
        json!({ "x_pacific_jurisdiction_restriction": { "keep_within": ["XA"], "except": ["XB"] } }),
        json!({ "x_pacific_personal_data": true }),
        json!({ "x_pacific_personal_data": {} }),
        json!({ "x_pacific_retention": { "until": "next year" } }),
        json!({ "x_pacific_retention": { "until": 1_700_000_000 } }),
    ];
    for extra in cases {
        let mut props = extra.as_object().cloned().expect("object");
        props.insert("object_marking_refs".into(), json!([TLP2_CLEAR]));
        let object = indicator(Value::Object(props));
        let reason = gate.denies(&object, &bravo());
        assert_eq!(reason.label(), "malformed-marking", "{extra}: {reason}");
    }
}

#[test]
fn the_gate_judges_transfers_to_other_parties_only() {
    let gate = Gate::new(allow_all());
    assert_eq!(
        gate.denies(&marked(TLP2_CLEAR), &alpha()),
        DenyReason::RecipientIsSelf
    );
}

// ---- Provenance ---------------------------------------------------------------------------

#[test]
fn received_amber_is_passed_on_only_to_parties_the_originator_named() {
    let mut gate = Gate::new(allow_all());
    gate.provenance = Some(received_from("bravo"));
    let amber = indicator(json!({
        "object_marking_refs": [TLP2_AMBER],
        "x_pacific_recipients": ["alpha", "delta"],
        "x_pacific_sharing_groups": ["energy-isac"],
    }));
    gate.allows(&amber, &delta());
    // Charlie is in this node's energy-isac group, but Bravo did not name Charlie: no laundering.
    assert_eq!(
        gate.denies(&amber, &charlie()),
        DenyReason::ReshareNotAllowed {
            origin: PartyId::from("bravo"),
            tlp: Tlp::Amber
        }
    );
    // The same object as this node's own is shared with the group.
    gate.provenance = None;
    gate.allows(&amber, &charlie());
}

#[test]
fn received_amber_strict_needs_both_the_organisation_and_the_originators_naming() {
    let mut gate = Gate::new(allow_all());
    gate.provenance = Some(received_from("alpha-police"));
    let strict = marked(TLP2_AMBER_STRICT);
    assert_eq!(
        gate.denies(&strict, &alpha_police()).label(),
        "reshare-not-allowed"
    );
    let named = indicator(
        json!({ "object_marking_refs": [TLP2_AMBER_STRICT], "x_pacific_recipients": ["charlie"] }),
    );
    assert_eq!(
        gate.denies(&named, &charlie()).label(),
        "amber-strict-outside-organisation"
    );
}

#[test]
fn received_green_and_clear_are_passed_on_as_markings_and_policy_allow() {
    let mut gate = Gate::new(allow_all());
    gate.provenance = Some(received_from("bravo"));
    gate.allows(&marked(TLP2_GREEN), &charlie());
    gate.allows(&marked(TLP2_CLEAR), &outsider());
}

#[test]
fn an_object_this_party_originated_is_not_a_reshare_whoever_relayed_it() {
    let mut gate = Gate::new(allow_all());
    gate.provenance = Some(Provenance {
        origin: PartyId::from("alpha"),
        ..received_from("bravo")
    });
    let amber = indicator(
        json!({ "object_marking_refs": [TLP2_AMBER], "x_pacific_sharing_groups": ["energy-isac"] }),
    );
    gate.allows(&amber, &charlie());
}

// ---- Policy rules -------------------------------------------------------------------------

fn rule(name: &str, action: Action, set: impl FnOnce(&mut Rule)) -> Rule {
    let mut r = Rule::new(name, action);
    set(&mut r);
    r
}

#[test]
fn with_no_rule_matching_the_default_decides() {
    let gate = Gate::new(ExportPolicy::default());
    assert_eq!(
        gate.denies(&marked(TLP2_CLEAR), &bravo()),
        DenyReason::DefaultDeny
    );
    let gate = Gate::new(allow_all());
    assert_eq!(gate.allows(&marked(TLP2_CLEAR), &bravo()), "default");
}

#[test]
fn the_first_matching_rule_decides_and_is_cited() {
    let policy = ExportPolicy {
        rules: vec![
            rule("no-identities", Action::Deny, |r| {
                r.types = Some(vec!["identity".into()])
            }),
            rule("share-all", Action::Allow, |_| {}),
            rule("never-reached", Action::Deny, |_| {}),
        ],
        ..ExportPolicy::default()
    };
    let gate = Gate::new(policy);
    assert_eq!(gate.allows(&marked(TLP2_GREEN), &bravo()), "share-all");
    let identity = object("identity", json!({ "object_marking_refs": [TLP2_CLEAR] }));
    assert_eq!(
        gate.denies(&identity, &bravo()),
        DenyReason::TypeNotShared {
            rule: "no-identities".into(),
            type_name: "identity".into()
        }
    );
}

#[test]
fn a_type_pattern_ending_in_a_star_matches_by_prefix() {
    let mut policy = allow_all();
    policy.rules = vec![rule("internal", Action::Deny, |r| {
        r.types = Some(vec!["x-alpha-*".into()])
    })];
    let gate = Gate::new(policy);
    let internal = object(
        "x-alpha-case-note",
        json!({ "object_marking_refs": [TLP2_CLEAR] }),
    );
    assert_eq!(gate.denies(&internal, &bravo()).label(), "type-not-shared");
    let other = object(
        "x-bravo-thing",
        json!({ "object_marking_refs": [TLP2_CLEAR] }),
    );
    gate.allows(&other, &bravo());
}

#[test]
fn a_policy_rule_can_never_allow_what_the_markings_deny() {
    let policy = ExportPolicy {
        rules: vec![rule("everything-to-everyone", Action::Allow, |_| {})],
        ..ExportPolicy::default()
    };
    let gate = Gate::new(policy);
    assert_eq!(gate.denies(&marked(TLP2_RED), &bravo()), DenyReason::TlpRed);
    assert_eq!(
        gate.denies(&marked(TLP2_AMBER), &bravo()),
        DenyReason::AmberNotNamedRecipient
    );
    assert_eq!(
        gate.denies(&marked(TLP2_GREEN), &outsider()).label(),
        "not-federation-member"
    );
}

#[test]
fn share_with_states_only() {
    let mut policy = allow_all();
    policy.rules = vec![rule("states-only", Action::Deny, |r| {
        r.recipient_stakeholder_types_not = Some(vec![StakeholderType::State])
    })];
    let gate = Gate::new(policy);
    gate.allows(&marked(TLP2_GREEN), &bravo());
    assert_eq!(
        gate.denies(&marked(TLP2_GREEN), &charlie()),
        DenyReason::StakeholderTypeNotAllowed {
            rule: "states-only".into(),
            stakeholder_type: StakeholderType::Company
        }
    );
}

#[test]
fn per_collection_rules_apply_to_objects_of_that_collection_only() {
    let mut policy = allow_all();
    policy.rules = vec![rule("incidents-stay", Action::Deny, |r| {
        r.collections = Some(vec!["incidents".into()])
    })];
    let mut gate = Gate::new(policy);
    gate.allows(&marked(TLP2_GREEN), &bravo());
    gate.collection = Some("indicators".into());
    gate.allows(&marked(TLP2_GREEN), &bravo());
    gate.collection = Some("incidents".into());
    assert_eq!(
        gate.denies(&marked(TLP2_GREEN), &bravo()),
        DenyReason::CollectionNotShared {
            rule: "incidents-stay".into(),
            collection: "incidents".into()
        }
    );
}

#[test]
fn a_jurisdiction_rule_on_personal_data() {
    let mut policy = allow_all();
    policy.rules = vec![rule("xa-personal-data-to-states", Action::Deny, |r| {
        r.personal_data_of = Some(vec!["XA".into()]);
        r.recipient_stakeholder_types_not = Some(vec![StakeholderType::State]);
    })];
    let gate = Gate::new(policy);
    let xa = indicator(json!({
        "object_marking_refs": [TLP2_GREEN],
        "x_pacific_personal_data": { "subjects_resident_in": ["XA"] },
    }));
    gate.allows(&xa, &alpha_police());
    assert_eq!(
        gate.denies(&xa, &charlie()).rule(),
        Some("xa-personal-data-to-states")
    );
    gate.allows(&marked(TLP2_GREEN), &charlie());
}

#[test]
fn rules_on_received_objects_paths_tlp_groups_recipients_and_jurisdictions() {
    let mut policy = allow_all();
    policy.rules = vec![
        rule("keep-received", Action::Deny, |r| r.received = Some(true)),
        rule("no-green-files", Action::Deny, |r| {
            r.paths = Some(vec![OutboundPath::Export]);
            r.tlp = Some(vec![Tlp::Green]);
        }),
        rule("isac-first", Action::Allow, |r| {
            r.recipient_groups = Some(vec!["energy-isac".into()])
        }),
        rule("not-delta", Action::Deny, |r| {
            r.recipients = Some(vec![PartyId::from("delta")])
        }),
        rule("home-only", Action::Deny, |r| {
            r.recipient_jurisdictions_not = Some(vec!["XA".into()])
        }),
    ];
    let mut gate = Gate::new(policy);
    let green = marked(TLP2_GREEN);
    assert_eq!(gate.allows(&green, &bravo()), "isac-first");
    assert_eq!(
        gate.denies(&green, &delta()),
        DenyReason::RuleDenied {
            rule: "not-delta".into()
        }
    );
    assert_eq!(gate.allows(&green, &alpha_police()), "default");
    gate.allows(&marked(TLP2_CLEAR), &outsider()); // in XA
    let echo = party("echo", StakeholderType::State, Some("XC"), None);
    assert_eq!(
        gate.denies(&marked(TLP2_CLEAR), &echo).rule(),
        Some("home-only")
    );
    gate.path = OutboundPath::Export;
    assert_eq!(gate.denies(&green, &bravo()).rule(), Some("no-green-files"));
    gate.path = OutboundPath::TaxiiGet;
    gate.provenance = Some(received_from("bravo"));
    assert_eq!(gate.denies(&green, &bravo()).rule(), Some("keep-received"));
}

// ---- Reasons ------------------------------------------------------------------------------

#[test]
fn reasons_read_well_in_a_terminal() {
    let gate = Gate::new(ExportPolicy::default());
    let shown = |d: Decision| d.to_string();
    assert_eq!(
        shown(gate.decide(&marked(TLP2_RED), &bravo())),
        "held back: TLP:RED never leaves this node"
    );
    assert_eq!(
        shown(gate.decide(&marked(TLP2_CLEAR), &bravo())),
        "held back: no rule allows it and the policy's default is deny"
    );
    let reshare = DenyReason::ReshareNotAllowed {
        origin: PartyId::from("bravo"),
        tlp: Tlp::Amber,
    };
    assert_eq!(
        reshare.to_string(),
        "TLP:AMBER received from bravo: passed on only to parties bravo named in x_pacific_recipients"
    );
    assert_eq!(
        Decision::Allow {
            rule: "share-all".into()
        }
        .to_string(),
        "allowed by rule `share-all`"
    );
    assert!(reshare.is_marking());
    assert!(!DenyReason::DefaultDeny.is_marking());
}
