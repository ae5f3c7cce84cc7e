//! `pacific id`, `pacific peer add|list`, `pacific policy show`: a node's place in the federation.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use pacific_core::party::StakeholderType;
use pacific_node::federation::peers::{PeerSpec, add_peer};
use pacific_node::federation::{POLICY_FILE, load_policy, local_party, local_url, policy_sha256};
use pacific_node::{DataDir, NodeError};
use pacific_store::{FederationStore, SqliteFederationStore};

use crate::DataArg;

#[derive(Args)]
pub struct IdArgs {
    #[command(flatten)]
    data: DataArg,
    /// Print only the public key (hex), e.g. for `pacific peer add --key "$(pacific id --data … --key)"`.
    #[arg(long)]
    key: bool,
}

/// Prints this node's party id, name, URL and public key (what a peer needs to add it).
pub async fn id(args: IdArgs) -> Result<ExitCode, NodeError> {
    let dir = DataDir::new(&args.data.data);
    let config = dir.load_config()?;
    let key = dir.load_identity()?;
    let public = hex::encode(key.verifying_key().to_bytes());
    if args.key {
        println!("{public}");
        return Ok(ExitCode::SUCCESS);
    }
    let party = local_party(&config);
    println!("party id:    {}", party.id);
    println!("name:        {}", party.name);
    println!("type:        {}", party.stakeholder_type);
    if let Some(j) = &party.jurisdiction {
        println!("jurisdiction: {j}");
    }
    println!("url:         {}", local_url(&config));
    println!("public key:  {public}");
    println!(
        "fingerprint: {}",
        pacific_node::federation::key_fingerprint(&public)
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand)]
pub enum PeerCommand {
    /// Add a peer (an admin act): its node's URL and public key, and who it is.
    Add(PeerAddArgs),
    /// List the peers and the state of each link.
    List {
        #[command(flatten)]
        data: DataArg,
    },
}

#[derive(Args)]
pub struct PeerAddArgs {
    #[command(flatten)]
    data: DataArg,
    /// The party's name, e.g. "Bravo CERT".
    #[arg(long)]
    name: String,
    /// Its party id (default: from the name, e.g. bravo-cert).
    #[arg(long)]
    id: Option<String>,
    /// Its node's base URL, e.g. http://127.0.0.1:9002.
    #[arg(long)]
    url: String,
    /// Its Ed25519 public key, 64 hex digits (`pacific id` on its node prints it).
    #[arg(long)]
    key: String,
    /// Stakeholder type (default: state).
    #[arg(long = "type", value_name = "TYPE", default_value = "state")]
    stakeholder_type: StakeholderType,
    /// ISO 3166-1 alpha-2 jurisdiction.
    #[arg(long)]
    jurisdiction: Option<String>,
    /// Organisation scope (for TLP:AMBER+STRICT).
    #[arg(long)]
    organisation: Option<String>,
}

pub async fn peer(cmd: PeerCommand) -> Result<ExitCode, NodeError> {
    match cmd {
        PeerCommand::Add(args) => {
            let dir = DataDir::new(&args.data.data);
            let peer = add_peer(
                &dir,
                PeerSpec {
                    name: args.name,
                    id: args.id,
                    url: args.url,
                    key: args.key,
                    stakeholder_type: args.stakeholder_type,
                    jurisdiction: args.jurisdiction,
                    organisation: args.organisation,
                },
            )
            .await?;
            println!(
                "Added peer {} ({}) at {}",
                peer.party_id, peer.name, peer.url
            );
            Ok(ExitCode::SUCCESS)
        }
        PeerCommand::List { data } => {
            let dir = DataDir::new(&data.data);
            let store = open(&dir).await?;
            let peers = store.peers().await?;
            if peers.is_empty() {
                println!("No peers. Add one with `pacific peer add`.");
            }
            for p in peers {
                let link = store.link(p.party_id.as_str()).await?.unwrap_or_default();
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\tdelivered up to seq {}, envelopes sent {}, received {}",
                    p.party_id,
                    p.name,
                    p.stakeholder_type,
                    p.jurisdiction.as_deref().unwrap_or("-"),
                    p.url,
                    p.public_key,
                    link.out_cursor,
                    link.out_seq,
                    link.in_seq
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn open(dir: &DataDir) -> Result<SqliteFederationStore, NodeError> {
    if !dir.is_initialised() {
        return Err(dir.not_initialised());
    }
    Ok(SqliteFederationStore::open(&dir.db_path()).await?)
}

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Print the node's export policy (policy.toml in the data directory) as TOML, and whether
    /// it is the one the node applies.
    Show {
        #[command(flatten)]
        data: DataArg,
    },
    /// Check policy.toml and make the node serving the directory apply it now, without a
    /// restart (logged as policy-changed); an invalid file is refused and changes nothing.
    Reload {
        #[command(flatten)]
        data: DataArg,
    },
}

/// How long `policy reload` waits for the node to record the new policy.
const RELOAD_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

pub async fn policy(cmd: PolicyCommand) -> Result<ExitCode, NodeError> {
    match cmd {
        PolicyCommand::Show { data } => {
            let dir = DataDir::new(&data.data);
            if !dir.is_initialised() {
                return Err(dir.not_initialised());
            }
            let path = dir.root().join(POLICY_FILE);
            let policy = load_policy(dir.root())?;
            if !path.exists() {
                println!(
                    "# {} is absent: the default policy applies (nothing leaves this node).",
                    path.display()
                );
            }
            let store = SqliteFederationStore::open(&dir.db_path()).await?;
            // Never recorded: the node has not served yet, and applies the file when it starts.
            if store
                .recorded_policy()
                .await?
                .is_some_and(|applied| applied != policy_sha256(&policy).unwrap_or_default())
            {
                println!(
                    "# This file differs from the policy the node applies: `pacific policy reload` applies it."
                );
            }
            let text = policy
                .to_toml()
                .map_err(|e| NodeError::Setup(e.to_string()))?;
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::Reload { data } => {
            let dir = DataDir::new(&data.data);
            if !dir.is_initialised() {
                return Err(dir.not_initialised());
            }
            let policy = load_policy(dir.root())?;
            policy
                .validate()
                .map_err(|e| NodeError::Setup(format!("invalid export policy: {e}")))?;
            let wanted = policy_sha256(&policy)?;
            let store = SqliteFederationStore::open(&dir.db_path()).await?;
            let before = store.recorded_policy().await?;
            let Some(pid) = dir.signal_policy_reload()? else {
                println!(
                    "The policy is valid. No node serves {} now: it applies when the node starts (and is logged then).",
                    dir.root().display()
                );
                return Ok(ExitCode::SUCCESS);
            };
            let deadline = std::time::Instant::now() + RELOAD_WAIT;
            while store.recorded_policy().await? != Some(wanted) {
                if std::time::Instant::now() > deadline {
                    return Err(NodeError::Setup(format!(
                        "the node (pid {pid}) did not apply the policy within {} s; see its log",
                        RELOAD_WAIT.as_secs()
                    )));
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            if before == Some(wanted) {
                println!("The node (pid {pid}) read the policy again: unchanged.");
            } else {
                println!(
                    "The node (pid {pid}) applies the new policy from now on (logged as policy-changed)."
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
