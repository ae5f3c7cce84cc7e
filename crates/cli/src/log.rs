//! `pacific log …`: the node's transparency log — its latest signed checkpoint, entries,
//! inclusion proofs, and verification of a node's log over HTTP.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use pacific_node::client::log::verify_remote;
use pacific_node::log::{LogState, publish_checkpoint, with_cosignatures};
use pacific_node::{DataDir, NodeError};
use pacific_store::Store;
use serde_json::{Value, json};

use crate::DataArg;

#[derive(Subcommand)]
pub enum LogCommand {
    /// Print the latest signed checkpoint (signing one first if the log grew since), with the
    /// cosignature lines of the witnesses that cosigned it; every witness's latest cosignature
    /// is listed on stderr (witness, key, time, size).
    Checkpoint {
        #[command(flatten)]
        data: DataArg,
        /// Also print the log's verifier key (vkey) to stderr.
        #[arg(long)]
        show_key: bool,
    },
    /// Print entries, decoded, one JSON object per line.
    Show(ShowArgs),
    /// Print the inclusion proof of one entry against the latest checkpoint, as JSON.
    Prove {
        #[command(flatten)]
        data: DataArg,
        /// The entry's index.
        #[arg(long)]
        entry: u64,
    },
    /// Verify a node's log over HTTP: checkpoint signature, consistency with an older
    /// checkpoint, and inclusion of every entry since.
    Verify(VerifyArgs),
    /// As a witness of another log: the last checkpoint witnessed of it and any split-view
    /// evidence kept (both signed checkpoints), as JSON. Exits 1 when there is evidence.
    Witnessed {
        #[command(flatten)]
        data: DataArg,
        /// The other log's origin, e.g. pacific/Bravo-Police/0123456789abcdef.
        #[arg(long)]
        origin: String,
    },
}

#[derive(Args)]
pub struct ShowArgs {
    #[command(flatten)]
    data: DataArg,
    /// First entry index.
    #[arg(long, default_value_t = 0)]
    from: u64,
    /// How many entries.
    #[arg(long, default_value_t = 20)]
    count: u64,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The node's base URL, e.g. http://127.0.0.1:9001.
    #[arg(long)]
    url: String,
    /// An API token of any user of that node.
    #[arg(long, env = "PACIFIC_TOKEN")]
    token: String,
    /// A file holding an older signed checkpoint of the same log, to check consistency from.
    #[arg(long, value_name = "FILE")]
    since: Option<PathBuf>,
    /// The log's key: a vkey, or 64 hex digits of its Ed25519 public key. Without it the key
    /// the node serves is trusted (first use only: keep it and pass it next time).
    #[arg(long)]
    key: Option<String>,
    /// Write the verified checkpoint to this file (for the next --since).
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
}

async fn open(data: &DataArg) -> Result<(Arc<dyn Store>, LogState), NodeError> {
    let dir = DataDir::new(&data.data);
    if !dir.is_initialised() {
        return Err(dir.not_initialised());
    }
    let config = dir.load_config()?;
    let log = LogState::new(&config.party.name, dir.load_identity()?)?;
    Ok((dir.open_store().await?, log))
}

pub async fn run(cmd: LogCommand) -> Result<ExitCode, NodeError> {
    match cmd {
        LogCommand::Checkpoint { data, show_key } => {
            let (store, log) = open(&data).await?;
            let cp = publish_checkpoint(store.as_ref(), &log).await?;
            if show_key {
                eprintln!("{}", log.verifier().to_vkey());
            }
            let cosigned = with_cosignatures(store.as_ref(), cp).await?;
            print!("{}", cosigned.note);
            let all = store.cosignatures().await?;
            if all.is_empty() {
                eprintln!("no witness has cosigned a checkpoint of this log yet");
            }
            for c in &all {
                let key = c.cosigner_vkey.split('+').next().unwrap_or_default();
                let time = i64::try_from(c.timestamp)
                    .map(|t| pacific_core::Timestamp::from_unix(t, 0).as_str().to_owned())
                    .unwrap_or_else(|_| c.timestamp.to_string());
                let which = if c.size == cosigned.size {
                    "this checkpoint".to_owned()
                } else {
                    format!("the checkpoint of size {}", c.size)
                };
                eprintln!(
                    "cosigned by witness {} ({key}) at {time}: {which}",
                    c.witness
                );
            }
        }
        LogCommand::Show(args) => {
            let (store, _) = open(&args.data).await?;
            let size = store.log_size().await?;
            let end = args.from.saturating_add(args.count).min(size);
            if args.from >= size && args.count > 0 {
                return Err(NodeError::Input(format!(
                    "the log has {size} entries; --from {} is past its end",
                    args.from
                )));
            }
            for e in store.log_entries(args.from, end).await? {
                let entry: Value = serde_json::from_slice(&e.entry).unwrap_or(Value::Null);
                let leaf = hex::encode(pacific_tlog::merkle::leaf_hash(&e.entry));
                println!(
                    "{}",
                    json!({ "index": e.index, "leaf_hash": leaf, "entry": entry })
                );
            }
        }
        LogCommand::Prove { data, entry } => {
            let (store, log) = open(&data).await?;
            let cp = publish_checkpoint(store.as_ref(), &log).await?;
            if entry >= cp.size {
                return Err(NodeError::Input(format!(
                    "entry {entry} is not in the latest checkpoint (size {})",
                    cp.size
                )));
            }
            let e = store.log_entries(entry, entry + 1).await?.remove(0);
            let proof = store.log_inclusion_proof(entry, cp.size).await?;
            let root = store.log_root(cp.size).await?;
            let out = json!({
                "index": entry,
                "size": cp.size,
                "leaf_hash": hex::encode(pacific_tlog::merkle::leaf_hash(&e.entry)),
                "entry": serde_json::from_slice::<Value>(&e.entry).unwrap_or(Value::Null),
                "root": hex::encode(root),
                "hashes": proof.iter().map(hex::encode).collect::<Vec<_>>(),
                "checkpoint": cp.note,
                "key": log.verifier().to_vkey(),
            });
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
        LogCommand::Witnessed { data, origin } => {
            let (store, _) = open(&data).await?;
            let seen = store.witnessed_checkpoint(&origin).await?;
            let evidence = store.split_view_evidence(&origin).await?;
            let out = json!({
                "origin": origin,
                "witnessed": seen.map(|c| json!({ "size": c.size, "checkpoint": c.note })),
                "split_view_evidence": evidence.iter().map(|e| json!({
                    "id": e.id,
                    "detected": e.detected.as_str(),
                    "reason": e.reason,
                    "kept_checkpoint": e.kept_note,
                    "presented_checkpoint": e.new_note,
                })).collect::<Vec<_>>(),
            });
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
            if !evidence.is_empty() {
                eprintln!(
                    "SPLIT VIEW: {} piece(s) of evidence kept about {origin}",
                    evidence.len()
                );
                return Ok(ExitCode::FAILURE);
            }
        }
        LogCommand::Verify(args) => {
            let since =
                match &args.since {
                    Some(p) => Some(std::fs::read_to_string(p).map_err(|e| {
                        NodeError::Input(format!("cannot read {}: {e}", p.display()))
                    })?),
                    None => None,
                };
            let report = verify_remote(
                &args.url,
                &args.token,
                since.as_deref(),
                args.key.as_deref(),
            )
            .await
            .map_err(|e| NodeError::Input(format!("log verification FAILED: {e}")))?;
            for c in &report.checks {
                println!("ok: {c}");
            }
            if let Some(p) = &args.save {
                std::fs::write(p, &report.checkpoint)
                    .map_err(|e| NodeError::Input(format!("cannot write {}: {e}", p.display())))?;
                println!(
                    "saved the verified checkpoint (size {}) to {}",
                    report.size,
                    p.display()
                );
            }
            println!("log verified: size {}", report.size);
        }
    }
    Ok(ExitCode::SUCCESS)
}
