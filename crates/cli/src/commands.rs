//! The everyday subcommands: init, user, collection, node, ingest, export, taxii.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clap::{Args, Subcommand};
use indicatif::ProgressBar;
use pacific_core::access::Role;
use pacific_core::party::StakeholderType;
use pacific_core::taxii::ObjectQuery;
use pacific_node::client::{Credentials, TaxiiClient};
use pacific_node::datadir::InitOptions;
use pacific_node::users::{UserError, Users, parse_expiry};
use pacific_node::{DataDir, NodeError};
use pacific_store::{Collection, LOCAL_ACTOR, Store};

use crate::DataArg;

#[derive(Args)]
pub struct InitArgs {
    #[command(flatten)]
    data: DataArg,
    /// The party's name, e.g. "Alpha CERT".
    #[arg(long)]
    name: String,
    /// Stakeholder type: state, intergovernmental-organization, company, technical-community,
    /// civil-society or individual.
    #[arg(long = "type", value_name = "TYPE")]
    stakeholder_type: StakeholderType,
    /// ISO 3166-1 alpha-2 jurisdiction (required for a state), e.g. XA.
    #[arg(long)]
    jurisdiction: Option<String>,
    /// Address to listen on (default 127.0.0.1:9001). A non-loopback address turns TLS on.
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
}

pub async fn init(args: InitArgs) -> Result<ExitCode, NodeError> {
    let dir = DataDir::new(&args.data.data);
    let report = dir
        .init(&InitOptions {
            name: args.name.clone(),
            stakeholder_type: args.stakeholder_type,
            jurisdiction: args.jurisdiction,
            listen: args.listen,
        })
        .await?;
    println!(
        "Initialised a Pacific node for {} in {}",
        args.name,
        dir.root().display()
    );
    println!("  public key:         {}", report.public_key_hex);
    println!(
        "  default collection: {} (alias \"default\")",
        report.default_collection.id
    );
    println!(
        "Next: `pacific user add --data {} <name> --role admin`",
        dir.root().display()
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user and print their API token (shown once; only its hash is stored).
    Add {
        #[command(flatten)]
        data: DataArg,
        /// User name (letters, digits, - _ . @).
        name: String,
        /// admin, analyst, liaison, reader or delegate.
        #[arg(long)]
        role: Role,
        /// When the token stops working: an RFC 3339 time (2026-06-30T00:00:00Z) or a duration
        /// from now (90d, 12h, 30m, 45s). Default: never.
        #[arg(long, value_name = "TIME|DURATION")]
        expires: Option<String>,
    },
    /// List users, roles and the state of their tokens.
    List {
        #[command(flatten)]
        data: DataArg,
    },
    /// Set a user's rights on one collection (replaces the role's default there).
    Grant {
        #[command(flatten)]
        data: DataArg,
        /// The user's name.
        name: String,
        /// Collection id or alias.
        #[arg(long)]
        collection: String,
        /// May read the collection.
        #[arg(long)]
        read: bool,
        /// May write to the collection (never for readers or delegates).
        #[arg(long)]
        write: bool,
    },
    /// Remove a user and their grants. Their token and dashboard sessions stop working at once,
    /// on a running node too. The last admin cannot be removed.
    Remove {
        #[command(flatten)]
        data: DataArg,
        /// The user's name.
        name: String,
    },
    /// Revoke a user's token: it stops working at once, on a running node too. The user stays;
    /// with --reissue they get a new token, printed once.
    Revoke {
        #[command(flatten)]
        data: DataArg,
        /// The user's name.
        name: String,
        /// Issue a new token in place of the revoked one.
        #[arg(long)]
        reissue: bool,
        /// The new token's expiry (with --reissue): an RFC 3339 time or a duration (90d).
        #[arg(long, value_name = "TIME|DURATION", requires = "reissue")]
        expires: Option<String>,
    },
    /// Change a user's role (applies from their next request). The last admin cannot be demoted.
    Role {
        #[command(flatten)]
        data: DataArg,
        /// The user's name.
        name: String,
        /// admin, analyst, liaison, reader or delegate.
        role: Role,
    },
}

async fn open(data: &DataArg) -> Result<(DataDir, Arc<dyn Store>), NodeError> {
    let dir = DataDir::new(&data.data);
    if !dir.is_initialised() {
        return Err(dir.not_initialised());
    }
    let store = dir.open_store().await?;
    Ok((dir, store))
}

async fn resolve_collection(store: &dyn Store, key: &str) -> Result<Collection, NodeError> {
    pacific_node::find_collection(store, key)
        .await?
        .ok_or_else(|| {
            NodeError::Setup(format!(
                "no collection with id or alias {key:?}; `pacific collection list` shows them"
            ))
        })
}

/// The expiry given on the command line, read against the clock now.
fn expiry(text: Option<&str>) -> Result<Option<pacific_core::Timestamp>, NodeError> {
    let now = pacific_core::Timestamp::now();
    Ok(text.map(|t| parse_expiry(t, &now)).transpose()?)
}

pub async fn user(cmd: UserCommand) -> Result<ExitCode, NodeError> {
    match cmd {
        UserCommand::Add {
            data,
            name,
            role,
            expires,
        } => {
            let expires = expiry(expires.as_deref())?;
            let (_, store) = open(&data).await?;
            let issued = Users::new(store)
                .add(LOCAL_ACTOR, &name, role, expires)
                .await?;
            match &issued.user.expires {
                Some(at) => eprintln!(
                    "Added {role} {name}, token valid until {at}. Their API token (shown only now; keep it secret):"
                ),
                None => eprintln!(
                    "Added {role} {name}. Their API token (shown only now; keep it secret):"
                ),
            }
            println!("{}", issued.token);
        }
        UserCommand::List { data } => {
            let (_, store) = open(&data).await?;
            for u in Users::new(store).list().await? {
                let mut line = format!("{:<24} {:<8} since {}", u.name, u.role, u.created);
                if let Some(at) = &u.revoked {
                    line.push_str(&format!(", token revoked {at}"));
                } else if let Some(at) = &u.expires {
                    line.push_str(&format!(", token expires {at}"));
                }
                println!("{line}");
            }
        }
        UserCommand::Grant {
            data,
            name,
            collection,
            read,
            write,
        } => {
            let (_, store) = open(&data).await?;
            let c = Users::new(store)
                .set_grant(LOCAL_ACTOR, &name, &collection, read, write)
                .await
                .map_err(|e| match e {
                    UserError::UnknownCollection(key) => NodeError::Setup(format!(
                        "no collection with id or alias {key:?}; `pacific collection list` shows them"
                    )),
                    other => other.into(),
                })?;
            println!("{name} on {}: read={read} write={write}", c.id);
        }
        UserCommand::Remove { data, name } => {
            let (_, store) = open(&data).await?;
            Users::new(store).remove(LOCAL_ACTOR, &name).await?;
            println!("Removed {name}; their token and sessions no longer work.");
        }
        UserCommand::Revoke {
            data,
            name,
            reissue,
            expires,
        } => {
            let expires = expiry(expires.as_deref())?;
            let (_, store) = open(&data).await?;
            let done = Users::new(store)
                .revoke(LOCAL_ACTOR, &name, reissue, expires)
                .await?;
            if done.was_valid {
                eprintln!("Revoked the token of {name}; it no longer works.");
            } else {
                eprintln!("The token of {name} was revoked already.");
            }
            if let Some(issued) = done.issued {
                match &issued.user.expires {
                    Some(at) => eprintln!(
                        "Their new API token, valid until {at} (shown only now; keep it secret):"
                    ),
                    None => eprintln!("Their new API token (shown only now; keep it secret):"),
                }
                println!("{}", issued.token);
            }
        }
        UserCommand::Role { data, name, role } => {
            let (_, store) = open(&data).await?;
            if Users::new(store).set_role(LOCAL_ACTOR, &name, role).await? {
                println!("{name} is now {role}.");
            } else {
                println!("{name} is {role} already; nothing changed.");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand)]
pub enum CollectionCommand {
    /// Create a collection.
    Add {
        #[command(flatten)]
        data: DataArg,
        /// Its title, shown to TAXII clients.
        #[arg(long)]
        title: String,
        /// A short name to use in place of its id (in `--collection` and in TAXII URLs).
        #[arg(long)]
        alias: Option<String>,
        /// A longer description, shown to TAXII clients.
        #[arg(long)]
        description: Option<String>,
    },
    /// List collections.
    List {
        #[command(flatten)]
        data: DataArg,
    },
}

pub async fn collection(cmd: CollectionCommand) -> Result<ExitCode, NodeError> {
    match cmd {
        CollectionCommand::Add {
            data,
            title,
            alias,
            description,
        } => {
            let (_, store) = open(&data).await?;
            if let Some(a) = &alias
                && pacific_node::find_collection(store.as_ref(), a)
                    .await?
                    .is_some()
            {
                return Err(NodeError::Setup(format!(
                    "a collection with alias {a:?} exists already"
                )));
            }
            let c = Collection {
                id: pacific_node::new_uuid(),
                title,
                description,
                alias,
            };
            store.create_collection(&c).await?;
            println!("{}", c.id);
        }
        CollectionCommand::List { data } => {
            let (_, store) = open(&data).await?;
            for c in store.collections().await? {
                println!(
                    "{}  {:<12} {}",
                    c.id,
                    c.alias.as_deref().unwrap_or("-"),
                    c.title
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct NodeArgs {
    #[command(flatten)]
    data: DataArg,
    /// Listen address, overriding the configuration.
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
}

pub async fn node(args: NodeArgs) -> Result<ExitCode, NodeError> {
    let dir = DataDir::new(&args.data.data);
    let mut node = pacific_node::Node::open(&dir).await?;
    let config = node.config_mut().expect("the node is not shared yet");
    if let Some(listen) = args.listen {
        config.server.listen = listen;
    }
    config
        .check()
        .map_err(|e| NodeError::Setup(e.to_string()))?;
    crate::init_logging(&config.log);
    let listen = config.server.listen;
    let scheme = if config.tls.enabled { "https" } else { "http" };
    let listener = std::net::TcpListener::bind(listen)
        .map_err(|e| NodeError::Setup(format!("cannot listen on {listen}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| NodeError::Setup(e.to_string()))?;
    eprintln!("Pacific node serving TAXII 2.1 at {scheme}://{addr}/taxii2/ (Ctrl-C to stop)");
    node.serve(listener, shutdown_signal()).await?;
    eprintln!("Stopped.");
    Ok(ExitCode::SUCCESS)
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

#[derive(Args)]
pub struct IngestArgs {
    #[command(flatten)]
    data: DataArg,
    /// Collection id or alias.
    #[arg(long, default_value = "default")]
    collection: String,
    /// A STIX 2.1 bundle (or TAXII envelope) file; `-` reads standard input.
    file: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
    /// Mark objects that arrive without a TLP marking with this level (clear, green, amber,
    /// amber+strict, red). Unmarked objects are otherwise treated as TLP:AMBER by the export
    /// policy, so public data (e.g. MITRE ATT&CK) is held back from every peer.
    #[arg(long, value_parser = pacific_core::tlp::Tlp::parse)]
    tlp: Option<pacific_core::tlp::Tlp>,
}

/// Counts bytes as they are read, for the progress bar.
pub async fn ingest(args: IngestArgs) -> Result<ExitCode, NodeError> {
    let (_, store) = open(&args.data).await?;
    let collection = resolve_collection(store.as_ref(), &args.collection).await?;
    let (reader, size) = crate::input::open(&args.file)?;
    let bar = match size {
        _ if args.quiet => ProgressBar::hidden(),
        Some(size) => crate::input::bytes_bar(size),
        None => ProgressBar::new_spinner(),
    };
    let reader = crate::input::Progress {
        inner: reader,
        bar: bar.clone(),
    };
    let report = pacific_node::ingest::ingest_reader(
        Arc::clone(&store),
        &collection.id,
        reader,
        args.tlp,
        |p| {
            bar.set_message(format!("{} objects, {} invalid", p.objects_read, p.invalid));
        },
    )
    .await;
    bar.finish_and_clear();
    let report = report?;
    for (index, error) in report.invalid.iter().take(50) {
        eprintln!("invalid object #{index}: {error}");
    }
    if report.invalid.len() > 50 {
        eprintln!("… and {} more invalid objects", report.invalid.len() - 50);
    }
    if !args.quiet {
        println!(
            "Ingested into {}: {} stored, {} already present, {} invalid, in {:.2} s ({:.0} objects/s)",
            collection.alias.as_deref().unwrap_or(&collection.id),
            report.stored,
            report.already_present,
            report.invalid.len(),
            report.took.as_secs_f64(),
            report.objects_per_second()
        );
    }
    Ok(if report.invalid.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::EXIT_PARTIAL)
    })
}

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    data: DataArg,
    /// Collection id or alias.
    #[arg(long, default_value = "default")]
    collection: String,
    /// Only objects of these types (repeatable).
    #[arg(long = "type", value_name = "TYPE")]
    types: Vec<String>,
    /// Every version of each object, not only the latest.
    #[arg(long)]
    all_versions: bool,
    /// Write here instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Export for this peer (its party id, its name, or a prefix of one id): only what this
    /// node's export policy and the objects' markings let go to it (path `export`); what is held
    /// back is summarised on stderr.
    #[arg(long = "for", value_name = "PEER")]
    for_peer: Option<String>,
}

pub async fn export(args: ExportArgs) -> Result<ExitCode, NodeError> {
    let (dir, store) = open(&args.data).await?;
    let collection = resolve_collection(store.as_ref(), &args.collection).await?;
    let mut query = ObjectQuery::all(5000);
    query.types = args.types;
    if args.all_versions {
        query.versions = vec![pacific_core::taxii::VersionSelector::All];
    }
    // Check the peer before creating the output file.
    let federation = match &args.for_peer {
        Some(given) => {
            let config = dir.load_config()?;
            let fed = pacific_node::federation::Federation::open(&dir, &config, Arc::clone(&store))
                .await?;
            let peers = fed.store().peers().await?;
            let peer = pacific_node::federation::peers::resolve_peer(&peers, given)?;
            Some((fed, peer.party_id.as_str().to_owned()))
        }
        None => None,
    };
    let sink: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .map_err(|e| NodeError::Setup(format!("cannot create {}: {e}", path.display())))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::new(sink);
    if let Some((fed, peer)) = &federation {
        let report = pacific_node::federation::export::export_for_peer(
            fed,
            peer,
            &collection,
            query,
            &mut out,
        )
        .await?;
        eprintln!(
            "Exported {} objects for {peer}; held back {}.",
            report.exported,
            report.held_back.len()
        );
        for (label, n) in report.by_reason() {
            eprintln!("  {n:>6}  {label}");
        }
        const LISTED: usize = 100;
        for h in report.held_back.iter().take(LISTED) {
            eprintln!("  held back {} ({}): {}", h.object_id, h.label, h.reason);
        }
        if report.held_back.len() > LISTED {
            eprintln!(
                "  … and {} more held back (the counts above cover them all)",
                report.held_back.len() - LISTED
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let io = |e: std::io::Error| NodeError::Setup(format!("cannot write the bundle: {e}"));
    write!(
        out,
        "{{\"type\":\"bundle\",\"id\":\"bundle--{}\",\"objects\":[",
        pacific_node::new_uuid()
    )
    .map_err(io)?;
    let mut first = true;
    let mut exported = 0u64;
    loop {
        let page = store.query_objects(&collection.id, &query, true).await?;
        for item in &page.items {
            if !first {
                out.write_all(b",").map_err(io)?;
            }
            first = false;
            out.write_all(item.json.as_bytes()).map_err(io)?;
            exported += 1;
        }
        match page.next {
            Some(next) => query.next = Some(next),
            None => break,
        }
    }
    out.write_all(b"]}\n").map_err(io)?;
    out.flush().map_err(io)?;
    eprintln!("Exported {exported} objects.");
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct ClientArgs {
    /// The server's discovery URL, e.g. http://127.0.0.1:9001/taxii2/
    url: String,
    /// Collection id (or alias, on Pacific servers).
    #[arg(long)]
    collection: String,
    /// API token (Bearer, or the Basic password when --user is given).
    #[arg(long, env = "PACIFIC_TOKEN")]
    token: Option<String>,
    /// User name for HTTP Basic authentication.
    #[arg(long)]
    user: Option<String>,
    /// Extra trusted CA certificate (PEM), e.g. a node's self-signed tls/cert.pem.
    #[arg(long)]
    ca_cert: Option<PathBuf>,
}

impl ClientArgs {
    fn client(&self) -> Result<TaxiiClient, NodeError> {
        let credentials = match (&self.user, &self.token) {
            (Some(user), Some(token)) => Credentials::Basic {
                user: user.clone(),
                password: token.clone(),
            },
            (None, Some(token)) => Credentials::Bearer(token.clone()),
            (Some(_), None) => return Err(NodeError::Setup("--user needs --token".into())),
            (None, None) => Credentials::None,
        };
        let ca =
            match &self.ca_cert {
                Some(path) => Some(std::fs::read(path).map_err(|e| {
                    NodeError::Setup(format!("cannot read {}: {e}", path.display()))
                })?),
                None => None,
            };
        TaxiiClient::new(&self.url, credentials, ca.as_deref())
    }
}

#[derive(Subcommand)]
pub enum TaxiiCommand {
    /// Fetch a collection's objects. With --data, store them in a local collection and resume
    /// next time from the last `date_added` seen; without, write a bundle to standard output.
    Pull {
        #[command(flatten)]
        client: ClientArgs,
        /// Local data directory to store into.
        #[arg(long, env = "PACIFIC_DATA")]
        data: Option<PathBuf>,
        /// Local collection (id or alias) to store into, with --data.
        #[arg(long, default_value = "default")]
        into: String,
        /// Only objects added after this time (default with --data: where the last pull ended).
        #[arg(long)]
        added_after: Option<String>,
        /// Objects per page to ask for.
        #[arg(long)]
        limit: Option<usize>,
        /// With --data: mark objects that arrive without a TLP marking with this level (clear,
        /// green, amber, amber+strict, red); unmarked objects are otherwise treated as TLP:AMBER.
        #[arg(long, value_parser = pacific_core::tlp::Tlp::parse)]
        tlp: Option<pacific_core::tlp::Tlp>,
    },
    /// Post a bundle's objects to a collection and wait for the server's status.
    Push {
        #[command(flatten)]
        client: ClientArgs,
        /// A STIX 2.1 bundle file.
        file: PathBuf,
        /// Objects per request.
        #[arg(long, default_value_t = 1000)]
        batch: usize,
    },
}

/// Where each pull source ended, kept in the data directory so pulls resume.
#[derive(Default, serde::Serialize, serde::Deserialize)]
struct PullState {
    /// `url collection` -> last `date_added` seen.
    cursors: std::collections::BTreeMap<String, String>,
}

pub async fn taxii(cmd: TaxiiCommand) -> Result<ExitCode, NodeError> {
    match cmd {
        TaxiiCommand::Pull {
            client: args,
            data,
            into,
            added_after,
            limit,
            tlp,
        } => {
            let client = args.client()?;
            let Some(data) = data else {
                if tlp.is_some() {
                    return Err(NodeError::Setup(
                        "--tlp marks what is stored: it needs --data".into(),
                    ));
                }
                return pull_to_stdout(&client, &args.collection, added_after.as_deref(), limit)
                    .await;
            };
            let (dir, store) = open(&DataArg { data }).await?;
            let local = resolve_collection(store.as_ref(), &into).await?;
            let state_path = dir.root().join("pull-state.json");
            let mut state: PullState = std::fs::read(&state_path)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or_default();
            let key = format!("{} {}", args.url, args.collection);
            let since = added_after.or_else(|| state.cursors.get(&key).cloned());
            let stored = AtomicU64::new(0);
            let invalid = AtomicU64::new(0);
            let bar = ProgressBar::new_spinner();
            let report = client
                .pull(&args.collection, since.as_deref(), limit, |page| {
                    let store = Arc::clone(&store);
                    let local_id = local.id.clone();
                    let (stored, invalid, bar) = (&stored, &invalid, &bar);
                    let state_path = state_path.clone();
                    let key = key.clone();
                    async move {
                        let mut objects = Vec::with_capacity(page.objects.len());
                        for value in page.objects {
                            match pacific_core::StixObject::from_value(value) {
                                Ok(o) => objects.push(match tlp {
                                    Some(level) => o.with_default_tlp(level),
                                    None => o,
                                }),
                                Err(e) => {
                                    eprintln!("skipped an invalid object from the server: {e}");
                                    invalid.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                        }
                        let outcomes = pacific_node::ingest::store_in_batches(
                            store.as_ref(),
                            &local_id,
                            &objects,
                        )
                        .await?;
                        stored.fetch_add(outcomes.len() as u64, Ordering::Relaxed);
                        bar.set_message(format!("{} objects", stored.load(Ordering::Relaxed)));
                        bar.tick();
                        // Save progress after every page, so an interrupted pull resumes here.
                        if let Some(last) = page.date_added_last {
                            save_cursor(&state_path, &key, &last)?;
                        }
                        Ok(())
                    }
                })
                .await;
            bar.finish_and_clear();
            let report = report?;
            if let Some(last) = &report.last_added {
                state.cursors.insert(key.clone(), last.clone());
            }
            println!(
                "Pulled {} objects in {} pages into {}; {} invalid; next pull resumes after {}",
                report.objects,
                report.pages,
                local.alias.as_deref().unwrap_or(&local.id),
                invalid.load(Ordering::Relaxed),
                report.last_added.as_deref().unwrap_or("the beginning")
            );
            Ok(if invalid.load(Ordering::Relaxed) == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(crate::EXIT_PARTIAL)
            })
        }
        TaxiiCommand::Push {
            client: args,
            file,
            batch,
        } => {
            let client = args.client()?;
            let text = std::fs::read(&file)
                .map_err(|e| NodeError::Setup(format!("cannot read {}: {e}", file.display())))?;
            let bundle: serde_json::Value = serde_json::from_slice(&text)
                .map_err(|e| NodeError::Input(format!("{} is not JSON: {e}", file.display())))?;
            let objects = bundle
                .get("objects")
                .and_then(serde_json::Value::as_array)
                .ok_or_else(|| {
                    NodeError::Input(format!("{} has no `objects` array", file.display()))
                })?;
            let (mut ok, mut failed) = (0u64, 0u64);
            for chunk in objects.chunks(batch.max(1)) {
                let status = client
                    .push(&args.collection, chunk, Duration::from_secs(120))
                    .await?;
                ok += status.success_count;
                failed += status.failure_count;
                for f in &status.failures {
                    eprintln!(
                        "rejected {}: {}",
                        f.id,
                        f.message.as_deref().unwrap_or("no reason given")
                    );
                }
            }
            println!(
                "Pushed {} objects: {ok} accepted, {failed} rejected",
                objects.len()
            );
            Ok(if failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(crate::EXIT_PARTIAL)
            })
        }
    }
}

fn save_cursor(path: &std::path::Path, key: &str, last: &str) -> Result<(), NodeError> {
    let mut state: PullState = std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    state.cursors.insert(key.to_owned(), last.to_owned());
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_vec_pretty(&state).expect("the pull state serialises");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            NodeError::Setup(format!(
                "cannot save pull progress in {}: {e}",
                path.display()
            ))
        })
}

async fn pull_to_stdout(
    client: &TaxiiClient,
    collection: &str,
    added_after: Option<&str>,
    limit: Option<usize>,
) -> Result<ExitCode, NodeError> {
    let out = std::cell::RefCell::new(BufWriter::new(std::io::stdout().lock()));
    let first = std::cell::Cell::new(true);
    let io = |e: std::io::Error| NodeError::Setup(format!("cannot write: {e}"));
    write!(
        out.borrow_mut(),
        "{{\"type\":\"bundle\",\"id\":\"bundle--{}\",\"objects\":[",
        pacific_node::new_uuid()
    )
    .map_err(io)?;
    let report = client
        .pull(collection, added_after, limit, |page| {
            let result = (|| {
                let mut out = out.borrow_mut();
                for object in &page.objects {
                    if !first.replace(false) {
                        out.write_all(b",")?;
                    }
                    serde_json::to_writer(&mut *out, object)?;
                }
                Ok::<(), std::io::Error>(())
            })();
            async move { result.map_err(io) }
        })
        .await?;
    out.borrow_mut().write_all(b"]}\n").map_err(io)?;
    out.borrow_mut().flush().map_err(io)?;
    eprintln!(
        "Pulled {} objects in {} pages; resume with --added-after {}",
        report.objects,
        report.pages,
        report.last_added.as_deref().unwrap_or("(nothing yet)")
    );
    Ok(ExitCode::SUCCESS)
}
