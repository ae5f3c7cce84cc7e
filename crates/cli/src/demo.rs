//! `pacific demo`: a federation of three fictional parties on loopback, in one process.
//!
//! - **Alpha CERT** (state, XA) on the given address (default 127.0.0.1:8080): shares
//!   TLP:CLEAR/GREEN with every peer, TLP:AMBER only with its sharing group
//!   `law-enforcement` (Bravo), and never personal data of XA residents outside XA.
//! - **Bravo Police Cyber Unit** (state, XB) on the next port: shares what its markings allow,
//!   but passes nothing it received on to companies.
//! - **Charlie Hosting Co.** (company, XB) on the port after: shares what its markings allow.
//!
//! Each has its own data directory under `<data>/<party>`, identity key and policy, and knows
//! the other two as peers. Every run seeds a scenario — an attack on a power operator in XA
//! traced to servers Charlie hosts in XB — and prints, as the outbox workers deliver, what
//! crossed which border and what was held back and why (the gate's own words). Then the three
//! nodes serve until Ctrl-C; Alpha's admin token is printed for TAXII clients.

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
use pacific_node::datadir::InitOptions;
use pacific_node::federation::Event;
use pacific_node::{DataDir, Node, NodeError};
use serde_json::{Value, json};

/// The sample bundle, compiled in so the demo runs from any directory; Alpha holds it (it has
/// no TLP marking, so Alpha's policy reads it as AMBER and keeps it home).
const SAMPLE_BUNDLE: &str = include_str!("../../../samples/sample-bundle.json");
/// Where the demo keeps Alpha's admin token, so a second run can show it again.
const TOKEN_FILE: &str = "demo-admin.token";

#[derive(Args)]
pub struct DemoArgs {
    /// Directory holding the three parties' data directories (created if missing).
    #[arg(long, default_value = "demo-data")]
    data: PathBuf,
    /// Alpha's address; Bravo and Charlie take the next two ports.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
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
"#;

const CHARLIE_POLICY: &str = r#"# Charlie Hosting Co. (XB, company): shares what markings allow.
default = "allow"
default_tlp = "amber"
"#;

const PARTIES: [Party; 3] = [
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
];

fn addr_of(base: SocketAddr, i: usize) -> SocketAddr {
    SocketAddr::new(base.ip(), base.port() + i as u16)
}

/// Creates the three data directories, policies, peers and Alpha's admin token (once).
async fn set_up(root: &std::path::Path, base: SocketAddr) -> Result<(), NodeError> {
    let dirs: Vec<DataDir> = PARTIES
        .iter()
        .map(|p| DataDir::new(root.join(p.id)))
        .collect();
    if dirs.iter().all(DataDir::is_initialised) {
        return Ok(());
    }
    if dirs.iter().any(DataDir::is_initialised) {
        return Err(NodeError::Setup(format!(
            "{} is half set up; remove it and run the demo again",
            root.display()
        )));
    }
    eprintln!("Setting up three fictional parties in {}", root.display());
    for (i, (p, dir)) in PARTIES.iter().zip(&dirs).enumerate() {
        dir.init(&InitOptions {
            name: p.name.into(),
            stakeholder_type: p.kind,
            jurisdiction: Some(p.jurisdiction.into()),
            listen: Some(addr_of(base, i)),
        })
        .await?;
        let config_path = dir.root().join(pacific_node::config::CONFIG_FILE);
        let mut config = dir.load_config()?;
        config.federation.party_id = Some(p.id.into());
        std::fs::write(&config_path, config.to_toml())
            .map_err(|e| NodeError::Setup(e.to_string()))?;
        std::fs::write(
            dir.root().join(pacific_node::federation::POLICY_FILE),
            p.policy,
        )
        .map_err(|e| NodeError::Setup(e.to_string()))?;
    }
    for (i, dir) in dirs.iter().enumerate() {
        for (j, (p, other)) in PARTIES.iter().zip(&dirs).enumerate() {
            if i == j {
                continue;
            }
            let key = other.load_identity()?;
            let key_hex: String = key
                .verifying_key()
                .to_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let url = format!("http://{}", addr_of(base, j));
            crate::federation::add_peer(
                dir,
                p.name,
                Some(p.id),
                &url,
                &key_hex,
                p.kind,
                Some(p.jurisdiction.into()),
                None,
            )
            .await?;
        }
    }
    let store = dirs[0].open_store().await?;
    let issued = pacific_node::auth::add_user(store.as_ref(), "admin", Role::Admin).await?;
    let collection = pacific_node::find_collection(store.as_ref(), "default")
        .await?
        .ok_or_else(|| NodeError::Setup("the demo node has no default collection".into()))?;
    let sample = std::io::Cursor::new(SAMPLE_BUNDLE.as_bytes());
    let report = pacific_node::ingest::ingest_reader(store, &collection.id, sample, |_| {}).await?;
    eprintln!("Alpha holds the sample bundle: {} objects", report.stored);
    let token_path = root.join(TOKEN_FILE);
    std::fs::write(&token_path, &issued.token)
        .map_err(|e| NodeError::Setup(format!("cannot write {}: {e}", token_path.display())))?;
    Ok(())
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
    if addr_of(args.listen, 2).port() < args.listen.port() {
        return Err(NodeError::Setup(
            "the demo needs three consecutive ports".into(),
        ));
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

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut events = Vec::new();
    let mut stores = Vec::new();
    let mut collections = Vec::new();
    let mut servers = Vec::new();
    for (i, p) in PARTIES.iter().enumerate() {
        let dir = DataDir::new(args.data.join(p.id));
        let mut node = Node::open(&dir).await?;
        let addr = addr_of(args.listen, i);
        node.config_mut()
            .expect("the node is not shared yet")
            .server
            .listen = addr;
        let fed = node
            .state()
            .federation()
            .cloned()
            .ok_or_else(|| NodeError::Setup("no federation".into()))?;
        events.push(fed.subscribe());
        let store = std::sync::Arc::clone(node.state().store());
        let collection = pacific_node::find_collection(store.as_ref(), "default")
            .await?
            .ok_or_else(|| NodeError::Setup(format!("{} has no default collection", p.name)))?;
        stores.push(store);
        collections.push(collection.id);
        let listener = std::net::TcpListener::bind(addr)
            .map_err(|e| NodeError::Setup(format!("cannot listen on {addr}: {e}")))?;
        let mut stop = stop_rx.clone();
        servers.push(tokio::spawn(node.serve(listener, async move {
            let _ = stop.wait_for(|s| *s).await;
        })));
    }

    println!("Pacific demo: three parties federate on loopback.");
    for (i, p) in PARTIES.iter().enumerate() {
        println!(
            "  {:<25} {:<8} {}  http://{}",
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
    for (i, object, tlp) in scenario() {
        let id = object["id"].as_str().unwrap_or_default().to_owned();
        let name = object["name"].as_str().unwrap_or_default().to_owned();
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

    let base = format!("http://{}", args.listen);
    println!("\nThe three nodes keep serving (new objects are delivered within a second).");
    println!("  TAXII 2.1 discovery (Alpha): {base}/taxii2/");
    println!("  admin token (Alpha):         {}", token.trim());
    println!("Try:");
    println!(
        "  curl -H 'Authorization: Bearer {}' {base}/taxii2/root/collections/default/objects/",
        token.trim()
    );
    println!(
        "  pacific peer list --data {}",
        args.data.join("alpha").display()
    );
    println!("Serving until Ctrl-C.");
    crate::commands::shutdown_signal().await;
    let _ = stop_tx.send(true);
    for server in servers {
        if let Ok(Err(e)) = server.await {
            eprintln!("a node stopped with an error: {e}");
        }
    }
    eprintln!("Stopped.");
    Ok(ExitCode::SUCCESS)
}
