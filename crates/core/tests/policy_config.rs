//! The export policy as TOML: the documented example parses, defaults are as documented, every
//! mistake is an error rather than a silently ignored restriction, and policies round-trip.

use pacific_core::party::StakeholderType;
use pacific_core::policy::{Action, ExportPolicy, OutboundPath, PolicyError, Rule};
use pacific_core::tlp::Tlp;

const POLICY_MD: &str = include_str!("../../../docs/policy.md");

/// The fenced ```toml blocks of docs/policy.md.
fn toml_blocks(md: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in md.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```toml") => current = Some(String::new()),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn the_documented_example_policy_parses_validates_and_round_trips() {
    let blocks = toml_blocks(POLICY_MD);
    assert_eq!(blocks.len(), 1, "docs/policy.md has one example policy");
    let policy = ExportPolicy::from_toml(&blocks[0]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(policy.default, Action::Deny);
    assert_eq!(policy.default_tlp, Tlp::Amber);
    assert_eq!(policy.sharing_groups.len(), 2);
    let names: Vec<_> = policy.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "identities-and-internal-records-stay",
            "personal-data-to-authorities-only",
            "incidents-to-public-bodies-only",
            "no-reshare-to-companies",
            "no-exports-of-amber",
            "share-threat-intelligence",
            "cooperation-acts-to-their-parties",
        ]
    );
    assert_eq!(policy.rules[4].paths, Some(vec![OutboundPath::Export]));
    assert_eq!(
        policy.rules[4].tlp,
        Some(vec![Tlp::Amber, Tlp::AmberStrict])
    );
    assert_eq!(
        policy.rules[2].recipient_stakeholder_types_not,
        Some(vec![
            StakeholderType::State,
            StakeholderType::IntergovernmentalOrganization
        ])
    );
    let again =
        ExportPolicy::from_toml(&policy.to_toml().expect("serialises")).expect("own output parses");
    assert_eq!(again, policy);
}

#[test]
fn an_empty_policy_file_is_the_documented_default_and_lets_nothing_out() {
    let policy = ExportPolicy::from_toml("").expect("empty policy");
    assert_eq!(policy, ExportPolicy::default());
    assert_eq!(policy.default, Action::Deny);
    assert_eq!(policy.default_tlp, Tlp::Amber);
    assert!(policy.rules.is_empty() && policy.sharing_groups.is_empty());
    assert_eq!(
        policy.to_toml().expect("serialises"),
        "default = \"deny\"\ndefault_tlp = \"amber\"\n"
    );
}

#[test]
fn tlp_levels_are_written_as_in_the_docs_and_read_liberally() {
    for (text, tlp) in [
        ("clear", Tlp::Clear),
        ("TLP:AMBER+STRICT", Tlp::AmberStrict),
        ("Red", Tlp::Red),
    ] {
        let policy = ExportPolicy::from_toml(&format!("default_tlp = {text:?}")).expect("parses");
        assert_eq!(policy.default_tlp, tlp);
    }
    let policy = ExportPolicy {
        default_tlp: Tlp::AmberStrict,
        ..ExportPolicy::default()
    };
    assert!(
        policy
            .to_toml()
            .expect("serialises")
            .contains("default_tlp = \"amber+strict\"")
    );
}

fn error(text: &str) -> String {
    match ExportPolicy::from_toml(text) {
        Ok(policy) => panic!("expected an error for {text:?}, got {policy:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn every_mistake_is_an_error_never_an_ignored_restriction() {
    let cases = [
        ("defualt = \"deny\"", "unknown field"),
        ("default = \"maybe\"", "unknown variant"),
        ("default_tlp = \"orange\"", "unknown TLP level"),
        (
            "[[rules]]\nname = \"r\"\naction = \"deny\"\ntype = [\"identity\"]",
            "unknown field",
        ),
        (
            "[[rules]]\nname = \"r\"\naction = \"deny\"\ntypes = []",
            "empty list",
        ),
        (
            "[[rules]]\nname = \"r\"\naction = \"deny\"\n[[rules]]\nname = \"r\"\naction = \"allow\"",
            "defined twice",
        ),
        ("[[rules]]\nname = \"\"\naction = \"deny\"", "empty name"),
        (
            "[[rules]]\nname = \"default\"\naction = \"allow\"",
            "reserved",
        ),
        (
            "[[rules]]\nname = \"r\"\naction = \"deny\"\ntypes = [\"x-*-thing\"]",
            "only have `*` at its end",
        ),
        (
            "[[rules]]\nname = \"r\"\naction = \"deny\"\nrecipient_groups = [\"nobody\"]",
            "not defined",
        ),
        (
            "[[rules]]\nname = \"r\"\naction = \"deny\"\nrecipient_jurisdictions = [\"Xa\"]",
            "ISO 3166-1",
        ),
        (
            "[[rules]]\nname = \"r\"\naction = \"deny\"\nrecipient_stakeholder_types = [\"state-actor\"]",
            "unknown variant",
        ),
        (
            "[[rules]]\nname = \"r\"\naction = \"deny\"\npaths = [\"email\"]",
            "unknown variant",
        ),
        (
            "[[sharing_groups]]\nname = \"g\"\n[[sharing_groups]]\nname = \"g\"",
            "defined twice",
        ),
        (
            "[[sharing_groups]]\nname = \"g\"\nmembers = [\"a\"]\nmember = [\"b\"]",
            "unknown field",
        ),
    ];
    for (text, expected) in cases {
        let message = error(text);
        assert!(
            message.contains(expected),
            "{text:?}: {message:?} should mention {expected:?}"
        );
    }
    assert!(matches!(
        ExportPolicy::from_toml("default = 1"),
        Err(PolicyError::Parse(_))
    ));
    assert!(matches!(
        ExportPolicy::from_toml("[[rules]]\nname = \"r\"\naction = \"deny\"\ntlp = []"),
        Err(PolicyError::Invalid(_))
    ));
}

#[test]
fn a_rule_built_in_code_writes_only_the_conditions_it_states() {
    let mut rule = Rule::new("no-identities", Action::Deny);
    rule.types = Some(vec!["identity".into()]);
    let policy = ExportPolicy {
        rules: vec![rule],
        ..ExportPolicy::default()
    };
    let text = policy.to_toml().expect("serialises");
    assert_eq!(
        text,
        "default = \"deny\"\ndefault_tlp = \"amber\"\n\n[[rules]]\nname = \"no-identities\"\naction = \"deny\"\ntypes = [\"identity\"]\n"
    );
}
