//! `pacific demo`: a federation of five fictional parties on loopback, in one process.
//!
//! - **Alpha CERT** (state, XA) on the given address (default 127.0.0.1:8080): shares
//!   TLP:CLEAR/GREEN with every peer, TLP:AMBER only with its sharing group
//!   `law-enforcement` (Bravo), and never personal data of XA residents outside XA.
//! - **Bravo Police Cyber Unit** (state, XB) on the next port: shares what its markings allow,
//!   but passes nothing it received on to companies.
//! - **Charlie Hosting Co.** (company, XB) on the port after: shares what its markings allow.
//! - **Delta IO** (intergovernmental organisation, XD) on the fourth port: a third party both
//!   states can accept as a mediator.
//! - **Echo Open Net** (civil society, XA) on the fifth port: an NGO.
//!
//! The five founded their federation by a charter each node signed (states vote bindingly,
//! the others advisorily; short deliberation and voting periods for the demo).
//! Each has its own data directory under `<data>/<party>`, identity key and policy, and knows
//! the other three as peers. Every run seeds a scenario — an attack on a power operator in XA
//! traced to servers Charlie hosts in XB — and prints, as the outbox workers deliver, what
//! crossed which border and what was held back and why (the gate's own words). Then the
//! authorities cooperate through their nodes' `/coop` API, as their liaisons would (tokens the
//! demo created): a preservation request answered, an emergency on the power grid escalated to
//! Bravo's 24/7 hotline and re-sent until acknowledged, and a dispute taken to mediation by
//! Delta IO. Then the federation governs itself through the nodes' `/gov` API, as the parties'
//! delegates would: a proposal to adopt norm 13(h) with a shorter emergency acknowledgement
//! deadline is debated, amended and voted, and once adopted every node enforces the new
//! deadline. Then the nodes serve until Ctrl-C (or exit, with `--exit-after-scenario`); Alpha's
//! admin token is printed for TAXII clients.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use pacific_core::access::Role;
use pacific_core::party::StakeholderType;
use pacific_core::tlp::Tlp;
use pacific_core::{StixObject, Timestamp};
use pacific_node::federation::Event;
use pacific_node::{DataDir, Node, NodeError};
use pacific_testkit::setup::{self, Servers, Spec};
use serde_json::{Value, json};

use crate::coop::CoopClient;

/// The sample bundle, compiled in so the demo runs from any directory; Alpha holds it (it has
/// no TLP marking, so Alpha's policy reads it as AMBER and keeps it home).
const SAMPLE_BUNDLE: &str = include_str!("../../../samples/sample-bundle.json");
/// Where the demo keeps Alpha's admin token, so a second run can show it again.
const TOKEN_FILE: &str = "demo-admin.token";
/// The user names of Alpha's admin and of each party's liaison and delegate (HTTP Basic:
/// `-u USER:TOKEN`).
const ADMIN_USER: &str = "admin";
const LIAISON_USER: &str = "liaison";
const DELEGATE_USER: &str = "delegate";
/// Where the demo keeps each party's liaison token (`demo-<party>-liaison.token`).
fn liaison_token_file(party: &str) -> String {
    format!("demo-{party}-liaison.token")
}
/// Where the demo keeps each party's delegate token (`demo-<party>-delegate.token`).
fn delegate_token_file(party: &str) -> String {
    format!("demo-{party}-delegate.token")
}
/// The demo federation's constitution: the default voting rules (states binding, quorum
/// half of them, two thirds of the votes cast), with periods short enough to watch.
const CONSTITUTION: &str = "deliberation_secs = 3\nvoting_secs = 3\n";

#[derive(Args)]
pub struct DemoArgs {
    /// Directory holding the parties' data directories (created if missing).
    #[arg(long, default_value = "demo-data")]
    data: PathBuf,
    /// Alpha's address; Bravo, Charlie and Delta take the next three ports.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Exit once the scenario has been played instead of serving until Ctrl-C (for tests).
    #[arg(long)]
    exit_after_scenario: bool,
}

struct Party {
    id: &'static str,
    name: &'static str,
    kind: StakeholderType,
    jurisdiction: &'static str,
    policy: &'static str,
}

const ALPHA_POLICY: &str = r#"# Alpha CERT (XA): GREEN to all, AMBER to law enforcement only, XA personal data stays in XA.
default = "deny"
default_tlp = "amber"

[[sharing_groups]]
name = "law-enforcement"
members = ["bravo"]

[[rules]]
name = "xa-personal-data-stays-in-xa"
action = "deny"
personal_data_of = ["XA"]
recipient_jurisdictions_not = ["XA"]

[[rules]]
name = "amber-to-law-enforcement"
action = "allow"
tlp = ["amber"]
recipient_groups = ["law-enforcement"]

# Cooperation acts (x-pacific-coop-event) are TLP:AMBER and name their record's parties in
# x_pacific_recipients (requester and recipient; the disputing parties and the mediator). The
# markings already keep each act to that audience, so this rule lets them go to exactly those
# parties (Delta IO too, once it mediates) and to no one else; without it the next rule would
# keep Alpha's acts home whenever the other party is not in its law-enforcement group.
[[rules]]
name = "cooperation-acts-to-their-parties"
action = "allow"
types = ["x-pacific-coop-event"]

[[rules]]
name = "amber-stays-otherwise"
action = "deny"
tlp = ["amber", "amber+strict"]

[[rules]]
name = "share-clear-and-green"
action = "allow"
tlp = ["clear", "green"]
"#;

const BRAVO_POLICY: &str = r#"# Bravo Police Cyber Unit (XB): shares what markings allow; passes nothing received on to companies.
default = "allow"
default_tlp = "amber"

[[rules]]
name = "no-reshare-to-companies"
action = "deny"
received = true
recipient_stakeholder_types = ["company"]

# Cooperation acts: TLP:AMBER addressed (x_pacific_recipients) to the record's parties only, so
# they reach exactly those parties. Explicit, although the default would allow them too.
[[rules]]
name = "cooperation-acts-to-their-parties"
action = "allow"
types = ["x-pacific-coop-event"]
"#;

const CHARLIE_POLICY: &str = r#"# Charlie Hosting Co. (XB, company): shares what markings allow.
default = "allow"
default_tlp = "amber"
"#;

const ECHO_POLICY: &str = r#"# Echo Open Net (civil society): shares what markings allow.
default = "allow"
default_tlp = "amber"
"#;

const DELTA_POLICY: &str = r#"# Delta IO (intergovernmental organisation): shares what markings allow. As a mediator its
# cooperation acts are TLP:AMBER addressed to the dispute's parties only, which the default lets go.
default = "allow"
default_tlp = "amber"
"#;

const PARTIES: [Party; 5] = [
    Party {
        id: "alpha",
        name: "Alpha CERT",
        kind: StakeholderType::State,
        jurisdiction: "XA",
        policy: ALPHA_POLICY,
    },
    Party {
        id: "bravo",
        name: "Bravo Police Cyber Unit",
        kind: StakeholderType::State,
        jurisdiction: "XB",
        policy: BRAVO_POLICY,
    },
    Party {
        id: "charlie",
        name: "Charlie Hosting Co.",
        kind: StakeholderType::Company,
        jurisdiction: "XB",
        policy: CHARLIE_POLICY,
    },
    Party {
        id: "delta",
        name: "Delta IO",
        kind: StakeholderType::IntergovernmentalOrganization,
        jurisdiction: "XD",
        policy: DELTA_POLICY,
    },
    Party {
        id: "echo",
        name: "Echo Open Net",
        kind: StakeholderType::CivilSociety,
        jurisdiction: "XA",
        policy: ECHO_POLICY,
    },
];

impl Party {
    fn spec(&self) -> Spec<'static> {
        Spec {
            id: self.id,
            name: self.name,
            kind: self.kind,
            jurisdiction: Some(self.jurisdiction),
            policy: self.policy,
        }
    }
}

fn addr_of(base: SocketAddr, i: usize) -> SocketAddr {
    SocketAddr::new(base.ip(), base.port() + i as u16)
}

/// Creates the five data directories, policies, peers, the federation's charter (signed by
/// every node), Alpha's admin token and each party's liaison and delegate tokens (once). The
/// cooperation clock runs fast so the hotline re-sends show.
///
/// A directory set up for other addresses (an earlier run with another `--listen`) is rebuilt:
/// each party knows the others by URL, so reusing it would send every party's traffic to the
/// old ports. Refused while a node of the directory is serving.
async fn set_up(root: &std::path::Path, base: SocketAddr) -> Result<(), NodeError> {
    let dirs: Vec<DataDir> = PARTIES
        .iter()
        .map(|p| DataDir::new(root.join(p.id)))
        .collect();
    let chartered = |d: &DataDir| d.root().join(pacific_node::gov::CHARTER_FILE).exists();
    if dirs.iter().all(DataDir::is_initialised) && !dirs.iter().all(chartered) {
        if let Some(pid) = dirs.iter().find_map(DataDir::serving_pid) {
            return Err(NodeError::Setup(format!(
                "{} is from an older demo and in use by process {pid}; stop it, or give this run another --data",
                root.display()
            )));
        }
        eprintln!(
            "{} is from an older demo without a federation charter; rebuilding it",
            root.display()
        );
        remove_demo(root)?;
    }
    if dirs.iter().all(DataDir::is_initialised) {
        let recorded = dirs
            .iter()
            .map(|d| d.load_config().map(|c| c.server.listen))
            .collect::<Result<Vec<_>, _>>()?;
        let wanted: Vec<SocketAddr> = (0..PARTIES.len()).map(|i| addr_of(base, i)).collect();
        if recorded == wanted {
            return Ok(());
        }
        if let Some(pid) = dirs.iter().find_map(DataDir::serving_pid) {
            return Err(NodeError::Setup(format!(
                "{} was set up for {} and is in use by process {pid} (a demo still running?); stop it, or give this run another --data",
                root.display(),
                recorded[0]
            )));
        }
        eprintln!(
            "{} was set up for {} (ports {}-{}); rebuilding it for {base} so that every party knows the others at the ports they now use",
            root.display(),
            recorded[0],
            recorded[0].port(),
            recorded[recorded.len() - 1].port()
        );
        remove_demo(root)?;
    }
    if dirs.iter().any(DataDir::is_initialised) {
        return Err(NodeError::Setup(format!(
            "{} is half set up (or from an older demo); remove it and run the demo again",
            root.display()
        )));
    }
    eprintln!("Setting up five fictional parties in {}", root.display());
    let parties: Vec<(Spec<'_>, SocketAddr)> = PARTIES
        .iter()
        .enumerate()
        .map(|(i, p)| (p.spec(), addr_of(base, i)))
        .collect();
    // A fast cooperation clock: hotline re-sends every second until acknowledged.
    let fast_clock = |_: &Spec<'_>, config: &mut pacific_node::config::Config| {
        config.coop.tick_millis = 200;
        config.coop.hotline.first_resend_secs = 1;
        config.coop.hotline.max_resend_secs = 1;
    };
    setup::create_mesh(root, &parties, fast_clock, pacific_store::LOCAL_ACTOR).await?;
    let founders: Vec<setup::Founder<'_>> = parties
        .iter()
        .zip(&dirs)
        .map(|((spec, addr), dir)| setup::Founder {
            dir,
            spec,
            url: format!("http://{addr}"),
        })
        .collect();
    setup::found_federation(root, "Pacific demo federation", &founders, CONSTITUTION)?;
    let store = dirs[0].open_store().await?;
    let issued = pacific_node::auth::add_user(store.as_ref(), ADMIN_USER, Role::Admin).await?;
    let collection = pacific_node::find_collection(store.as_ref(), "default")
        .await?
        .ok_or_else(|| NodeError::Setup("the demo node has no default collection".into()))?;
    let sample = std::io::Cursor::new(SAMPLE_BUNDLE.as_bytes());
    let report =
        pacific_node::ingest::ingest_reader(store, &collection.id, sample, None, |_| {}).await?;
    eprintln!("Alpha holds the sample bundle: {} objects", report.stored);
    let token_path = root.join(TOKEN_FILE);
    pacific_node::datadir::write_secret(&token_path, issued.token.as_bytes())
        .map_err(|e| NodeError::Setup(format!("cannot write {}: {e}", token_path.display())))?;
    for (p, dir) in PARTIES.iter().zip(&dirs) {
        let store = dir.open_store().await?;
        let issued =
            pacific_node::auth::add_user(store.as_ref(), LIAISON_USER, Role::Liaison).await?;
        let path = root.join(liaison_token_file(p.id));
        pacific_node::datadir::write_secret(&path, issued.token.as_bytes())
            .map_err(|e| NodeError::Setup(format!("cannot write {}: {e}", path.display())))?;
        let issued =
            pacific_node::auth::add_user(store.as_ref(), DELEGATE_USER, Role::Delegate).await?;
        let path = root.join(delegate_token_file(p.id));
        pacific_node::datadir::write_secret(&path, issued.token.as_bytes())
            .map_err(|e| NodeError::Setup(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(())
}

/// Removes what [`set_up`] created under `root` (the parties' data directories and the token
/// files), and nothing else.
fn remove_demo(root: &std::path::Path) -> Result<(), NodeError> {
    let gone = |path: std::path::PathBuf, r: std::io::Result<()>| match r {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(NodeError::Setup(format!(
            "cannot remove {}: {e}",
            path.display()
        ))),
        _ => Ok(()),
    };
    for p in &PARTIES {
        let dir = root.join(p.id);
        gone(dir.clone(), std::fs::remove_dir_all(&dir))?;
        for token in [liaison_token_file(p.id), delegate_token_file(p.id)] {
            let token = root.join(token);
            gone(token.clone(), std::fs::remove_file(&token))?;
        }
    }
    let charter = root.join(pacific_node::gov::CHARTER_FILE);
    gone(charter.clone(), std::fs::remove_file(&charter))?;
    let token = root.join(TOKEN_FILE);
    gone(token.clone(), std::fs::remove_file(&token))
}

fn indicator(name: &str, pattern: &str, tlp: Tlp, extra: Value) -> Value {
    let now = Timestamp::now();
    let mut o = json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--{}", pacific_node::new_uuid()),
        "created": now.as_str(),
        "modified": now.as_str(),
        "name": name,
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": now.as_str(),
        "object_marking_refs": [tlp.marking_id()],
    });
    if let (Value::Object(m), Value::Object(e)) = (&mut o, extra) {
        m.extend(e);
    }
    o
}

/// The scenario: (party index, object, TLP label for printing).
fn scenario() -> Vec<(usize, Value, &'static str)> {
    vec![
        (
            0,
            indicator(
                "GRIDLOCK wiper dropped on XA power operator's SCADA hosts",
                "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
                Tlp::Clear,
                json!({}),
            ),
            "CLEAR",
        ),
        (
            0,
            indicator(
                "GRIDLOCK command-and-control server",
                "[ipv4-addr:value = '198.51.100.23']",
                Tlp::Green,
                json!({}),
            ),
            "GREEN",
        ),
        (
            0,
            indicator(
                "Operator's staging domain (law enforcement only)",
                "[domain-name:value = 'update-grid-xa.example']",
                Tlp::Amber,
                json!({"x_pacific_sharing_groups": ["law-enforcement"]}),
            ),
            "AMBER",
        ),
        (
            0,
            indicator(
                "Compromised jump host inside the power operator",
                "[ipv4-addr:value = '10.20.0.5']",
                Tlp::Red,
                json!({}),
            ),
            "RED",
        ),
        (
            0,
            indicator(
                "Phished account of an XA grid engineer",
                "[email-addr:value = 'engineer@grid-xa.example']",
                Tlp::Green,
                json!({"x_pacific_personal_data": {"subjects_resident_in": ["XA"]}}),
            ),
            "GREEN, personal data (XA)",
        ),
        (
            2,
            indicator(
                "Abuse report: customer VPS behind 198.51.100.23 in our XB data centre",
                "[ipv4-addr:value = '198.51.100.24']",
                Tlp::Green,
                json!({}),
            ),
            "GREEN",
        ),
        (
            1,
            indicator(
                "Suspect's rented server, seized image hash (for Alpha only)",
                "[file:hashes.'SHA-256' = '3f79bb7b435b05321651daefd374cdc681dc06faa65e374e38337b88ca046dea']",
                Tlp::Amber,
                json!({"x_pacific_recipients": ["alpha"]}),
            ),
            "AMBER",
        ),
    ]
}

pub async fn run(args: DemoArgs) -> Result<ExitCode, NodeError> {
    if args
        .listen
        .port()
        .checked_add(PARTIES.len() as u16 - 1)
        .is_none()
    {
        return Err(NodeError::Setup(
            "the demo needs five consecutive ports".into(),
        ));
    }
    // Every port first, before anything is created: a clash fails here, at once, naming the
    // port and who holds it; the listeners are then the ones the nodes serve on.
    let mut listeners = Vec::new();
    for (i, p) in PARTIES.iter().enumerate() {
        let addr = addr_of(args.listen, i);
        listeners.push(crate::ports::bind(addr, p.name).map_err(|e| {
            NodeError::Setup(format!(
                "{e}.\nThe demo needs ports {}-{} on {} free: stop what holds it, or choose others with --listen. Nothing was created.",
                args.listen.port(),
                args.listen.port() + PARTIES.len() as u16 - 1,
                args.listen.ip()
            ))
        })?);
    }
    set_up(&args.data, args.listen).await?;
    crate::init_logging(&pacific_node::config::LogConfig {
        level: "warn".into(),
        ..Default::default()
    });
    let token_path = args.data.join(TOKEN_FILE);
    let token = std::fs::read_to_string(&token_path).map_err(|e| {
        NodeError::Setup(format!(
            "cannot read the demo token {}: {e}",
            token_path.display()
        ))
    })?;

    let mut servers = Servers::new();
    let mut events = Vec::new();
    let mut stores = Vec::new();
    let mut collections = Vec::new();
    for (i, p) in PARTIES.iter().enumerate() {
        let dir = DataDir::new(args.data.join(p.id));
        let mut node = Node::open(&dir).await?;
        let addr = addr_of(args.listen, i);
        node.config_mut()
            .expect("the node is not shared yet")
            .server
            .listen = addr;
        let fed = std::sync::Arc::clone(node.state().federation());
        events.push(fed.subscribe());
        let store = std::sync::Arc::clone(node.state().store());
        let collection = pacific_node::find_collection(store.as_ref(), "default")
            .await?
            .ok_or_else(|| NodeError::Setup(format!("{} has no default collection", p.name)))?;
        stores.push(store);
        collections.push(collection.id);
        servers.serve_on(node, listeners.remove(0));
    }

    println!("Pacific demo: five parties federate on loopback.");
    for (i, p) in PARTIES.iter().enumerate() {
        println!(
            "  {:<25} {:<30} {}  http://{}",
            p.name,
            p.kind.as_str(),
            p.jurisdiction,
            addr_of(args.listen, i)
        );
    }
    println!(
        "\nScenario: a wiper hits a power operator in XA; its command-and-control server is hosted by"
    );
    println!(
        "Charlie Hosting Co. in XB; Bravo's police unit investigates. Each party shares what it knows:\n"
    );

    let mut names: HashMap<String, (String, &'static str)> = HashMap::new();
    let mut c2_indicator = String::new();
    for (i, object, tlp) in scenario() {
        let id = object["id"].as_str().unwrap_or_default().to_owned();
        let name = object["name"].as_str().unwrap_or_default().to_owned();
        if name == "GRIDLOCK command-and-control server" {
            c2_indicator = id.clone();
        }
        println!("  {} publishes [{}] {}", PARTIES[i].name, tlp, name);
        names.insert(id, (name, tlp));
        let object = StixObject::from_value(object).map_err(|e| NodeError::Input(e.to_string()))?;
        stores[i]
            .add_objects(&collections[i], std::slice::from_ref(&object))
            .await?;
    }
    println!(
        "\nWhat crossed which border (as the outbox workers deliver, each object through the policy gate):\n"
    );

    let party = |id: &str| {
        PARTIES.iter().find(|p| p.id == id).map_or_else(
            || id.to_owned(),
            |p| format!("{} ({})", p.name, p.jurisdiction),
        )
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    let mut receivers: Vec<_> = events.into_iter().enumerate().collect();
    loop {
        let mut any = false;
        for (i, rx) in receivers.iter_mut() {
            while let Ok(event) = rx.try_recv() {
                any = true;
                let from = party(PARTIES[*i].id);
                match event {
                    Event::Sent {
                        to,
                        object_id,
                        rule,
                        ..
                    } => {
                        if let Some((name, tlp)) = names.get(&object_id) {
                            println!(
                                "  SENT  {from} -> {}: [{tlp}] {name}  (allowed by rule `{rule}`)",
                                party(to.as_str())
                            );
                        }
                    }
                    Event::HeldBack {
                        to,
                        object_id,
                        reason,
                        ..
                    } => {
                        if let Some((name, tlp)) = names.get(&object_id) {
                            println!(
                                "  HELD  {from} -/-> {}: [{tlp}] {name}\n          because {reason}",
                                party(to.as_str())
                            );
                        }
                    }
                    Event::Rejected {
                        from: who,
                        label,
                        detail,
                    } => println!("  REFUSED at {from} from {who}: {label} ({detail})"),
                    Event::Received { .. } => {}
                }
            }
        }
        if !any && tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let mut liaisons = Vec::new();
    let mut matchers = Vec::new();
    for (i, p) in PARTIES.iter().enumerate() {
        let path = args.data.join(liaison_token_file(p.id));
        let token = std::fs::read_to_string(&path)
            .map_err(|e| NodeError::Setup(format!("cannot read {}: {e}", path.display())))?;
        let url = format!("http://{}", addr_of(args.listen, i));
        liaisons.push(CoopClient::new(&url, token.trim()));
        matchers.push((url, token.trim().to_owned()));
    }
    match_logs(&matchers).await;
    let mut played = cooperation(&liaisons, &c2_indicator).await;
    if let Err(e) = &played {
        eprintln!("error: the cooperation scenario stopped: {e}");
    } else {
        let mut delegates = Vec::new();
        for (i, p) in PARTIES.iter().enumerate() {
            let path = args.data.join(delegate_token_file(p.id));
            let token = std::fs::read_to_string(&path)
                .map_err(|e| NodeError::Setup(format!("cannot read {}: {e}", path.display())))?;
            delegates.push(CoopClient::new(
                &format!("http://{}", addr_of(args.listen, i)),
                token.trim(),
            ));
        }
        played = governance(&delegates, &liaisons[0]).await;
        if let Err(e) = &played {
            eprintln!("error: the governance scenario stopped: {e}");
        }
    }

    let base = format!("http://{}", args.listen);
    if args.exit_after_scenario {
        for e in servers.stop().await {
            eprintln!("a node stopped with an error: {e}");
        }
        return played.map(|()| ExitCode::SUCCESS);
    }
    println!("\nThe five nodes keep serving (new objects are delivered within a second).");
    println!("  TAXII 2.1 discovery (Alpha): {base}/taxii2/");
    println!("  admin user (Alpha):          {ADMIN_USER}");
    println!("  admin token (Alpha):         {}", token.trim());
    println!(
        "  liaison user (each party):   {LIAISON_USER}, token in {}",
        args.data.join(liaison_token_file("<party>")).display()
    );
    println!("Try:");
    println!("  curl -u {ADMIN_USER}:{} {base}/taxii2/", token.trim());
    println!(
        "  curl -H 'Authorization: Bearer {}' {base}/taxii2/root/collections/default/objects/",
        token.trim()
    );
    println!(
        "  pacific peer list --data {}",
        args.data.join("alpha").display()
    );
    println!(
        "  pacific request list --url {base} --token $(cat {})",
        args.data.join(liaison_token_file("alpha")).display()
    );
    println!("Serving until Ctrl-C.");
    crate::commands::shutdown_signal().await;
    for e in servers.stop().await {
        eprintln!("a node stopped with an error: {e}");
    }
    eprintln!("Stopped.");
    Ok(ExitCode::SUCCESS)
}

// --- Matching logs ---------------------------------------------------------------------------

/// Days of logs each party matches.
const LOG_DAYS: i64 = 14;
/// Events per party per day.
const EVENTS_PER_DAY: u64 = 400;

/// A party's sample of JSON-lines events over the last [`LOG_DAYS`] days: mostly benign
/// traffic, with the scenario's C2 address and staging domain turning up more often as the
/// attack goes on (so the overview's chart rises), deterministic for `seed`.
fn sample_events(seed: u64) -> String {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (now, _) = Timestamp::now().unix();
    let mut out = String::new();
    for day in (0..LOG_DAYS).rev() {
        for n in 0..EVENTS_PER_DAY {
            let r = next();
            let at = Timestamp::from_unix(now - day * 86_400 - (r % 86_000) as i64, 0);
            let src = format!("10.20.{}.{}", (r >> 8) % 250, (r >> 16) % 250 + 1);
            // One event in ~40 early on, ~1 in 8 in the last days, reaches the attacker.
            let hot = (r >> 24) % 100 < 2 + (LOG_DAYS - day) as u64;
            let (dst, query) = if hot {
                if n % 3 == 0 {
                    ("198.51.100.23".to_owned(), "update-grid-xa.example")
                } else {
                    ("198.51.100.23".to_owned(), "cdn.example")
                }
            } else {
                (
                    format!("192.0.2.{}", (r >> 32) % 250 + 1),
                    ["cdn.example", "mail.example", "intranet.example"][((r >> 40) % 3) as usize],
                )
            };
            out.push_str(
                &json!({"ts": at.as_str(), "src_ip": src, "dst_ip": dst, "query": query})
                    .to_string(),
            );
            out.push('\n');
        }
    }
    out
}

/// Each party (its node's URL and a liaison's token) matches two weeks of its own logs against what it holds now (`POST /match`,
/// `retro=true`: the logs are older than the indicators), so every overview has a chart.
async fn match_logs(nodes: &[(String, String)]) {
    println!(
        "\nEach party matches the last {LOG_DAYS} days of its own logs against what it now holds:\n"
    );
    let http = pacific_node::http_client();
    for (i, (party, (url, token))) in PARTIES.iter().zip(nodes).enumerate() {
        let answer = http
            .post(format!("{url}/match?retro=true"))
            .bearer_auth(token)
            .header("content-type", "application/x-ndjson")
            .body(sample_events(i as u64 + 1))
            .send()
            .await;
        let totals = match answer {
            Ok(r) if r.status().is_success() => r.json::<Value>().await.ok(),
            Ok(r) => {
                eprintln!("  {}: matching refused: {}", party.name, r.status());
                None
            }
            Err(e) => {
                eprintln!("  {}: matching failed: {e}", party.name);
                None
            }
        };
        if let Some(t) = totals {
            println!(
                "  {}: {} events, {} matched ({} matches against {} indicators)",
                party.name, t["events"], t["matched_events"], t["matches"], t["indicators"]
            );
        }
    }
}

// --- The cooperation scenario ----------------------------------------------------------------

/// How long one step may take to reach the other party's node.
const STEP_WITHIN: Duration = Duration::from_secs(20);

/// The time `days` days from now, RFC 3339.
fn in_days(days: i64) -> String {
    let now = Timestamp::now().unix_micros();
    Timestamp::from_unix_micros(now + days * 86_400 * 1_000_000).to_string()
}

/// Prints one step: seconds since the scenario began, who, what.
struct Steps(tokio::time::Instant);

impl Steps {
    fn say(&self, who: &str, what: impl std::fmt::Display) {
        println!(
            "  [{:>5.2} s] {who:<24} {what}",
            self.0.elapsed().as_secs_f64()
        );
    }
}

/// Waits until `path` on `api`'s node satisfies `check`; returns what it answered.
async fn wait_for(
    api: &CoopClient,
    path: &str,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Result<Value, NodeError> {
    let deadline = tokio::time::Instant::now() + STEP_WITHIN;
    loop {
        if let Ok(v) = api.get(path).await
            && check(&v)
        {
            return Ok(v);
        }
        if tokio::time::Instant::now() > deadline {
            return Err(NodeError::Remote(format!(
                "{path} never showed {what} within {STEP_WITHIN:?}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn id_of(v: &Value) -> String {
    v["record"]["id"].as_str().unwrap_or_default().to_owned()
}

fn state_of(v: &Value) -> &str {
    v["record"]["state"].as_str().unwrap_or("-")
}

/// The cooperation part: each authority's liaison acts on its own node's `/coop` API
/// (`parties` in [`PARTIES`] order), and every act crosses the border as a signed
/// `x-pacific-coop-event` to the record's parties only.
async fn cooperation(parties: &[CoopClient], c2_indicator: &str) -> Result<(), NodeError> {
    let (alpha, bravo, delta) = (&parties[0], &parties[1], &parties[3]);
    let (a, b, d) = (PARTIES[0].name, PARTIES[1].name, PARTIES[3].name);
    println!(
        "\nCooperation: each authority's liaison acts through its own node's /coop API; every act is a"
    );
    println!(
        "signed x-pacific-coop-event (TLP:AMBER, addressed to the record's parties only) that the other"
    );
    println!("nodes replay and re-check.\n");
    let steps = Steps(tokio::time::Instant::now());
    let evidence: Vec<&str> = Some(c2_indicator)
        .filter(|s| !s.is_empty())
        .into_iter()
        .collect();

    // 1. A preservation request (Budapest Convention, Art. 29).
    println!("1. Preservation request (Budapest Convention Art. 29)");
    let draft = alpha
        .post(
            "/coop/requests",
            json!({
                "recipient": "bravo",
                "urgency": "urgent",
                "title": "Preserve the GRIDLOCK command-and-control server 198.51.100.23",
                "evidence_refs": evidence,
                "details": {
                    "kind": "preservation",
                    "requesting_authority": "Alpha CERT, for the XA national police cybercrime unit",
                    "offence": "sabotage of a critical infrastructure (computer sabotage)",
                    "summary_of_facts": "the GRIDLOCK wiper destroyed SCADA hosts of a power operator in XA; it was controlled from 198.51.100.23",
                    "data_sought": "disk image, connection logs and subscriber data of the server at 198.51.100.23",
                    "link_to_offence": "the server is the wiper's command-and-control server",
                    "custodian_or_location": "Charlie Hosting Co., data centre in XB",
                    "necessity": "the hoster deletes a terminated customer's server and logs within 14 days",
                    "mla_intent": true
                }
            }),
        )
        .await?;
    let id = id_of(&draft);
    let path = format!("/coop/requests/{id}");
    steps.say(a, format!("drafts {id}  [{}]", state_of(&draft)));
    let sent = alpha.post(&format!("{path}/send"), json!({})).await?;
    steps.say(
        a,
        format!(
            "sends it to {b}  [{}, answer due {}]",
            state_of(&sent),
            sent["record"]["deadline"].as_str().unwrap_or("-")
        ),
    );
    wait_for(bravo, &path, "the request", |v| state_of(v) == "sent").await?;
    steps.say(b, "receives it");
    let v = bravo.post(&format!("{path}/ack"), json!({})).await?;
    steps.say(b, format!("acknowledges  [{}]", state_of(&v)));
    let v = bravo.post(&format!("{path}/start"), json!({})).await?;
    steps.say(b, format!("starts work  [{}]", state_of(&v)));
    let until = in_days(90);
    let v = bravo
        .post(
            &format!("{path}/answer"),
            json!({
                "completeness": "full",
                "note": "Charlie Hosting Co. ordered to preserve the server's image, logs and subscriber data",
                "preserved_until": until,
            }),
        )
        .await?;
    steps.say(
        b,
        format!("answers: preserved until {until}  [{}]", state_of(&v)),
    );
    let v = wait_for(alpha, &path, "the answer", |v| state_of(v) == "answered").await?;
    let by: Vec<&str> = v["record"]["transitions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["by"].as_str())
        .collect();
    steps.say(
        a,
        format!(
            "sees the request answered (acts by {}), preserved until {}",
            by.join(", "),
            v["record"]["answer"]["preserved_until"]
                .as_str()
                .unwrap_or("-")
        ),
    );
    println!("   RESULT preservation request answered");

    // 2. An emergency on the power grid, through Bravo's 24/7 hotline.
    println!("\n2. Emergency incident assistance, through the 24/7 hotline");
    bravo
        .post(
            "/coop/hotline/contacts",
            json!({"name": "Bravo cybercrime 24/7 duty officer",
                   "channel": {"medium": "phone", "address": "+99 555 0100"}}),
        )
        .await?;
    steps.say(b, "declares its 24/7 hotline contact");
    let draft = alpha
        .post(
            "/coop/requests",
            json!({
                "recipient": "bravo",
                "urgency": "emergency",
                "title": "Power grid under attack: stop the GRIDLOCK C2 in XB",
                "evidence_refs": evidence,
                "details": {
                    "kind": "incident-assistance",
                    "description": "GRIDLOCK wiper spreading in the XA power operator's control network, commanded from 198.51.100.23",
                    "sector": "energy",
                    "affected_systems": "SCADA servers of the XA power operator",
                    "assistance_sought": "have Charlie Hosting Co. null-route 198.51.100.23 now"
                }
            }),
        )
        .await?;
    let id = id_of(&draft);
    let path = format!("/coop/requests/{id}");
    let sent = alpha.post(&format!("{path}/send"), json!({})).await?;
    steps.say(
        a,
        format!(
            "sends an emergency (sector energy) {id}: pushed to {b}'s hotline (attempt {})",
            sent["record"]["escalation"]["attempts"]
        ),
    );
    let mut attempts = sent["record"]["escalation"]["attempts"]
        .as_u64()
        .unwrap_or(1);
    while attempts < 3 {
        let v = wait_for(bravo, &path, "a re-send", |v| {
            v["record"]["escalation"]["attempts"].as_u64() > Some(attempts)
        })
        .await?;
        attempts = v["record"]["escalation"]["attempts"].as_u64().unwrap_or(0);
        steps.say(
            a,
            format!(
                "no acknowledgement: re-sent to {b}'s hotline (attempt {attempts}, unacknowledged for {:.1} s)",
                v["hotline"]["ack_clock_secs"].as_f64().unwrap_or(0.0)
            ),
        );
    }
    let v = bravo.post(&format!("{path}/ack"), json!({})).await?;
    steps.say(
        b,
        format!("the duty officer acknowledges  [{}]", state_of(&v)),
    );
    let v = wait_for(alpha, &path, "the acknowledgement", |v| {
        state_of(v) == "acknowledged"
    })
    .await?;
    let clock = v["hotline"]["ack_clock_secs"].as_f64().unwrap_or(0.0);
    let pushes = &v["record"]["escalation"]["attempts"];
    steps.say(
        a,
        format!("sees the hotline acknowledged: ack clock {clock:.1} s after {pushes} pushes; re-sends stop"),
    );
    println!("   RESULT hotline acknowledged after {clock:.1} s ({pushes} pushes)");

    // 3. A dispute, taken to mediation by a third party both accept.
    println!("\n3. Dispute: negotiation, then mediation");
    let opened = alpha
        .post(
            "/coop/disputes",
            json!({
                "respondent": "bravo",
                "subject": "attack traced to infrastructure in your jurisdiction",
                "claim": "XB let servers in its jurisdiction be used against XA's power grid and must stop such use (due diligence)",
                "evidence_refs": evidence,
            }),
        )
        .await?;
    let id = id_of(&opened);
    let path = format!("/coop/disputes/{id}");
    let stage = |v: &Value| v["record"]["stage"].as_str().unwrap_or("-").to_owned();
    steps.say(a, format!("opens {id}  [{}]", stage(&opened)));
    wait_for(bravo, &path, "the dispute", |v| {
        v["record"]["stage"] == "negotiation"
    })
    .await?;
    let v = bravo
        .post(
            &format!("{path}/claim"),
            json!({"text": "XB acted within hours once asked: data preserved, server null-routed; no breach of due diligence"}),
        )
        .await?;
    steps.say(b, format!("answers with its own claim  [{}]", stage(&v)));
    wait_for(alpha, &path, "Bravo's claim", |v| {
        v["record"]["claims"]
            .as_array()
            .is_some_and(|c| c.len() == 2)
    })
    .await?;
    steps.say(
        a,
        format!("negotiation fails; proposes {d} as mediator (neither party; Charlie is a company in XB)"),
    );
    alpha
        .post(
            &format!("{path}/propose-mediator"),
            json!({"mediator": "delta"}),
        )
        .await?;
    wait_for(bravo, &path, "the proposed mediator", |v| {
        v["record"]["proposed_mediator"].is_object()
    })
    .await?;
    let v = bravo
        .post(&format!("{path}/accept-mediator"), json!({}))
        .await?;
    steps.say(b, format!("accepts {d}  [{}]", stage(&v)));
    let v = wait_for(delta, &path, "the mediation", |v| {
        v["record"]["stage"] == "mediation"
    })
    .await?;
    steps.say(
        d,
        format!(
            "receives the whole history ({} claims) as mediator  [{}, time box until {}]",
            v["record"]["claims"].as_array().map_or(0, Vec::len),
            stage(&v),
            v["record"]["stage_deadline"].as_str().unwrap_or("-")
        ),
    );
    println!("   RESULT dispute in mediation by {d}");
    Ok(())
}

// --- The governance scenario -----------------------------------------------------------------

/// The parameter the demo's proposal sets.
const ACK_EMERGENCY: &str = "coop.deadlines.acknowledgement.emergency_secs";

/// The value of [`ACK_EMERGENCY`] in force on a node (`GET /gov/params`), with its source.
fn ack_emergency(params: &Value) -> (u64, String) {
    params
        .as_array()
        .and_then(|a| a.iter().find(|p| p["parameter"] == ACK_EMERGENCY))
        .map_or((0, "-".into()), |p| {
            (
                p["value"].as_u64().unwrap_or(0),
                p["source"].as_str().unwrap_or("-").to_owned(),
            )
        })
}

/// The governance part: each party's delegate acts on its own node's `/gov` API (`parties` in
/// [`PARTIES`] order); every act is a signed `x-pacific-gov-act` (TLP:GREEN, for the
/// register's members) that every node replays, and each node tallies alike.
async fn governance(parties: &[CoopClient], alpha_liaison: &CoopClient) -> Result<(), NodeError> {
    let name = |i: usize| PARTIES[i].name;
    println!(
        "\nGovernance: the five founded their federation by a charter every node signed; states vote"
    );
    println!(
        "bindingly, one vote each, the company, the IGO and the NGO advisorily. Each party's delegate acts"
    );
    println!(
        "through its own node's /gov API; every node replays the signed acts and tallies alike.\n"
    );
    let steps = Steps(tokio::time::Instant::now());
    let fed = parties[0].get("/gov/federation").await?;
    steps.say(
        name(0),
        format!(
            "federation {} ({} members), id {}…",
            fed["name"].as_str().unwrap_or("-"),
            fed["members"].as_array().map_or(0, Vec::len),
            fed["id"].as_str().unwrap_or("-").get(..16).unwrap_or("-")
        ),
    );
    for (i, p) in parties.iter().enumerate() {
        let (value, source) = ack_emergency(&p.get("/gov/params").await?);
        steps.say(
            name(i),
            format!("emergency requests acknowledged within {value} s ({source})"),
        );
    }

    println!("4. Norm 13(h): respond to appropriate requests for assistance");
    let proposed = parties[0]
        .post(
            "/gov/proposals",
            json!({
                "title": "Operate norm 13(h): acknowledge emergency requests within 30 minutes",
                "text": "Members acknowledge an emergency request for assistance within 30 minutes of receiving it.",
                "rationale": "An hour is too long when a power grid is down.",
                "change": {"change": "adopt-norm", "norm": "13h", "parameters": {ACK_EMERGENCY: 1800}},
                "co_sponsors": ["bravo"],
            }),
        )
        .await?;
    let id = proposed["id"].as_str().unwrap_or_default().to_owned();
    let path = format!("/gov/proposals/{id}");
    steps.say(name(0), format!("proposes {id} (co-sponsor: {})", name(1)));
    wait_for(&parties[2], &path, "the proposal", |v| {
        v["stage"] == "deliberation"
    })
    .await?;
    parties[2]
        .post(
            &format!("{path}/comment"),
            json!({"text": "Hosting providers' abuse desks answer in 20 minutes; members can too."}),
        )
        .await?;
    steps.say(
        name(2),
        "comments: 20 minutes is what abuse desks already do",
    );
    wait_for(&parties[1], &path, "the comment", |v| {
        v["comments"].as_array().is_some_and(|c| !c.is_empty())
    })
    .await?;
    parties[1]
        .post(
            &format!("{path}/amend"),
            json!({
                "text": "Members acknowledge an emergency request for assistance within 20 minutes of receiving it.",
                "change": {"change": "adopt-norm", "norm": "13h", "parameters": {ACK_EMERGENCY: 1200}},
            }),
        )
        .await?;
    steps.say(
        name(1),
        "as co-sponsor, amends it to 20 minutes (version 2)",
    );
    let choices = ["yes", "yes", "no", "abstain", "yes"];
    for (i, choice) in choices.iter().enumerate() {
        wait_for(&parties[i], &path, "the vote opening", |v| {
            v["stage"] == "voting" && v["versions"].as_array().is_some_and(|a| a.len() == 2)
        })
        .await?;
        parties[i]
            .post(&format!("{path}/vote"), json!({"choice": choice}))
            .await?;
        let kind = if PARTIES[i].kind == StakeholderType::State {
            "binding"
        } else {
            "advisory"
        };
        steps.say(name(i), format!("votes {choice} ({kind})"));
    }
    let mut outcome = String::new();
    for (i, p) in parties.iter().enumerate() {
        let v = wait_for(p, &path, "the tally", |v| {
            v["stage"] == "closed" && v["tally"]["binding"]["yes"] == 2
        })
        .await?;
        let t = &v["tally"];
        outcome = t["outcome"]["outcome"].as_str().unwrap_or("-").to_owned();
        steps.say(
            name(i),
            format!(
                "tallies {outcome}: binding yes {} no {} abstain {} of {} states; advisory yes {} no {} abstain {}",
                t["binding"]["yes"], t["binding"]["no"], t["binding"]["abstain"], t["eligible"],
                t["advisory"]["yes"], t["advisory"]["no"], t["advisory"]["abstain"]
            ),
        );
    }
    for (i, p) in parties.iter().enumerate() {
        let params = wait_for(p, "/gov/params", "the new deadline", |v| {
            ack_emergency(v).0 == 1200
        })
        .await?;
        let (value, source) = ack_emergency(&params);
        steps.say(
            name(i),
            format!("now enforces: emergency requests acknowledged within {value} s ({source})"),
        );
    }
    let drafted = alpha_liaison
        .post(
            "/coop/requests",
            json!({
                "recipient": "bravo",
                "urgency": "emergency",
                "title": "Second wiper wave on the grid operator",
                "details": {
                    "kind": "incident-assistance",
                    "description": "a second GRIDLOCK wave on the grid operator's control network",
                    "sector": "energy",
                    "affected_systems": "SCADA servers of the southern grid",
                    "assistance_sought": "block the new C2 servers hosted in Bravo"
                }
            }),
        )
        .await?;
    steps.say(
        name(0),
        format!(
            "drafts an emergency request: Bravo must acknowledge within {} s",
            drafted["record"]["times"]["acknowledgement_secs"]
        ),
    );
    println!("   RESULT norm 13(h) {outcome}; every node enforces the 20-minute acknowledgement");
    Ok(())
}
