//! `pacific demo`: one command that leaves a working node on loopback. It initialises a
//! fictional party's data directory (once), adds an admin user, ingests the sample bundle
//! that ships with Pacific, and serves TAXII 2.1 until Ctrl-C.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use pacific_core::access::Role;
use pacific_core::party::StakeholderType;
use pacific_node::datadir::InitOptions;
use pacific_node::{DataDir, Node, NodeError};

/// The sample bundle, compiled in so the demo runs from any directory.
const SAMPLE_BUNDLE: &str = include_str!("../../../samples/sample-bundle.json");
/// Where the demo keeps the admin token it made, so a second run can show it again.
const TOKEN_FILE: &str = "demo-admin.token";

#[derive(Args)]
pub struct DemoArgs {
    /// Data directory of the demo node (created if missing).
    #[arg(long, default_value = "demo-data")]
    data: PathBuf,
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
}

pub async fn run(args: DemoArgs) -> Result<ExitCode, NodeError> {
    let dir = DataDir::new(&args.data);
    let token_path = dir.root().join(TOKEN_FILE);
    if !dir.is_initialised() {
        eprintln!("Setting up a demo node for the fictional party \"Alpha CERT\" (XA) in {}", dir.root().display());
        dir.init(&InitOptions {
            name: "Alpha CERT".into(),
            stakeholder_type: StakeholderType::State,
            jurisdiction: Some("XA".into()),
            listen: Some(args.listen),
        })
        .await?;
        let store = dir.open_store().await?;
        let issued = pacific_node::auth::add_user(store.as_ref(), "admin", Role::Admin).await?;
        std::fs::write(&token_path, &issued.token)
            .map_err(|e| NodeError::Setup(format!("cannot write {}: {e}", token_path.display())))?;
        let collection = pacific_node::find_collection(store.as_ref(), "default")
            .await?
            .ok_or_else(|| NodeError::Setup("the demo node has no default collection".into()))?;
        let sample = std::io::Cursor::new(SAMPLE_BUNDLE.as_bytes());
        let report = pacific_node::ingest::ingest_reader(store, &collection.id, sample, |_| {}).await?;
        eprintln!("Ingested the sample bundle: {} objects stored, {} invalid", report.stored, report.invalid.len());
    }
    let token = std::fs::read_to_string(&token_path)
        .map_err(|e| NodeError::Setup(format!("cannot read the demo token {}: {e}", token_path.display())))?;
    let mut node = Node::open(&dir).await?;
    let config = node.config_mut().expect("the node is not shared yet");
    config.server.listen = args.listen;
    crate::init_logging(&config.log);
    let listener = std::net::TcpListener::bind(args.listen)
        .map_err(|e| NodeError::Setup(format!("cannot listen on {}: {e}", args.listen)))?;
    let base = format!("http://{}", args.listen);
    println!("Pacific demo node of Alpha CERT is up.");
    println!("  TAXII 2.1 discovery: {base}/taxii2/");
    println!("  health:              {base}/healthz");
    println!("  admin token:         {}", token.trim());
    println!("Try:");
    println!("  curl -H 'Authorization: Bearer {}' {base}/taxii2/root/collections/default/objects/", token.trim());
    println!("  pacific taxii pull {base}/taxii2/ --collection default --token {}", token.trim());
    println!("Serving until Ctrl-C.");
    node.serve(listener, crate::commands::shutdown_signal()).await?;
    eprintln!("Stopped.");
    Ok(ExitCode::SUCCESS)
}
