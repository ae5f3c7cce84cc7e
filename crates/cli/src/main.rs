//! `pacific`: the command-line interface of a Pacific node.
//!
//! Each subcommand is a thin layer over `pacific-node`: it parses arguments, opens the data
//! directory, calls the node, and prints. Exit codes are part of the interface:
//! 0 success, 1 failure, 2 usage error (from clap), 3 ingest finished but some objects were invalid.

mod bench;
mod commands;
mod coop;
mod demo;
mod federation;
mod gov;
mod input;
mod log;
mod matching;
mod ports;
mod registry;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Exit code: the work finished, but some input objects were rejected.
pub const EXIT_PARTIAL: u8 = 3;

#[derive(Parser)]
#[command(
    name = "pacific",
    version,
    about = "A node of the Pacific federation: STIX 2.1 over TAXII 2.1, under each party's own control."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The data directory of a node.
#[derive(Args, Clone)]
pub struct DataArg {
    /// The node's data directory (configuration, database, keys).
    #[arg(long, env = "PACIFIC_DATA", value_name = "DIR")]
    pub data: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new node: configuration, identity key, TLS certificate, database, default collection.
    Init(commands::InitArgs),
    /// Manage the node's users and their API tokens.
    #[command(subcommand)]
    User(commands::UserCommand),
    /// Manage the node's TAXII collections.
    #[command(subcommand)]
    Collection(commands::CollectionCommand),
    /// Serve TAXII 2.1, /healthz and /metrics until interrupted.
    Node(commands::NodeArgs),
    /// Store the objects of a STIX 2.1 bundle file (streamed; any size) in a collection.
    Ingest(commands::IngestArgs),
    /// Write a collection's objects as a STIX 2.1 bundle.
    Export(commands::ExportArgs),
    /// Talk to a TAXII 2.1 server as a client.
    #[command(subcommand)]
    Taxii(commands::TaxiiCommand),
    /// Measure the node on generated data: ingest, TAXII paging and round trip, federation, cooperation, matching, idle cost.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Print this node's party id, name, URL and public key.
    Id(federation::IdArgs),
    /// Manage the node's federation peers.
    #[command(subcommand)]
    Peer(federation::PeerCommand),
    /// Show the node's export policy.
    #[command(subcommand)]
    Policy(federation::PolicyCommand),
    /// The node's transparency log: checkpoints, entries, proofs, verification.
    #[command(subcommand)]
    Log(log::LogCommand),
    /// Run a node on loopback seeded with the sample bundle, and print how to reach it.
    Demo(demo::DemoArgs),
    /// Match an input (JSON lines, Zeek logs, text; gzip or not) against the node's indicators.
    Match(matching::MatchArgs),
    /// Assistance requests between authorities (through a running node's /coop API).
    #[command(subcommand)]
    Request(coop::RequestCommand),
    /// The 24/7 hotline: escalations with their acknowledgement clock, contacts, pings.
    #[command(subcommand)]
    Hotline(coop::HotlineCommand),
    /// Consultations between parties: agenda, messages, objects, minutes signed by each.
    #[command(subcommand)]
    Consult(coop::ConsultCommand),
    /// Disputes: negotiation, mediation, arbitration.
    #[command(subcommand)]
    Dispute(coop::DisputeCommand),
    /// The federation's charter: found and sign it (on the data directory), show it and the
    /// parameters in force (through a running node's /gov/ API).
    #[command(subcommand)]
    Federation(gov::FederationCommand),
    /// The federation's register of members.
    #[command(subcommand)]
    Member(gov::MemberCommand),
    /// Table a proposal: a norm, parameters, a membership change or the roster.
    Propose(gov::ProposeArgs),
    /// Comment on a proposal during its deliberation.
    Comment {
        #[command(flatten)]
        api: gov::ApiArgs,
        /// The proposal's id (or a unique prefix of its UUID).
        id: String,
        /// The comment.
        #[arg(long)]
        text: String,
    },
    /// Amend a proposal (its proposer or a co-sponsor, during deliberation).
    Amend(gov::AmendArgs),
    /// Vote on a proposal while its voting is open.
    Vote {
        #[command(flatten)]
        api: gov::ApiArgs,
        /// The proposal's id (or a unique prefix of its UUID).
        id: String,
        /// The vote.
        #[arg(value_enum)]
        choice: gov::VoteChoice,
    },
    /// The proposals, newest first: id, kind, stage, outcome, versions, title.
    Proposals {
        #[command(flatten)]
        api: gov::ApiArgs,
        /// Print the JSON the node answered.
        #[arg(long)]
        json: bool,
    },
    /// One proposal: its versions with the diff between them, comments, stage, times, tally.
    Proposal {
        #[command(flatten)]
        api: gov::ApiArgs,
        /// The proposal's id (or a unique prefix of its UUID).
        id: String,
        /// Print the JSON the node answered.
        #[arg(long)]
        json: bool,
    },
    /// Withdraw this party from the federation (asks --yes).
    Withdraw {
        #[command(flatten)]
        api: gov::ApiArgs,
        /// Confirm the withdrawal.
        #[arg(long)]
        yes: bool,
    },
    /// The norms catalogue, adopted or proposed.
    #[command(subcommand)]
    Norms(gov::NormsCommand),
    /// Compliance figures of a quarter per party and norm, or publish this party's report.
    Report(gov::ReportArgs),
    /// The jurisdiction registry: who answers for which IP prefixes, AS numbers and domains.
    #[command(subcommand)]
    Registry(registry::RegistryCommand),
    /// Print a completion script for a shell, e.g. `pacific completions bash > /etc/bash_completion.d/pacific`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the manual page (roff), e.g. `pacific man > pacific.1 && man ./pacific.1`.
    Man,
}

/// A shell `pacific completions` writes for.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// Writes what `completions` and `man` print: made from the command line's own definition,
/// in memory first, so a reader that goes away (`| head`) ends the output, not the process
/// with a panic.
fn print_reference(command: &Command) -> Option<ExitCode> {
    use clap::CommandFactory;
    use clap_complete::Generator;
    use std::io::Write;
    let mut cli = Cli::command();
    let mut text = Vec::new();
    let made = match command {
        Command::Completions { shell } => {
            let shell = match shell {
                Shell::Bash => clap_complete::Shell::Bash,
                Shell::Zsh => clap_complete::Shell::Zsh,
                Shell::Fish => clap_complete::Shell::Fish,
            };
            cli.set_bin_name("pacific");
            cli.build();
            shell.try_generate(&cli, &mut text)
        }
        Command::Man => clap_mangen::Man::new(cli).render(&mut text),
        _ => return None,
    };
    let written = made.and_then(|()| {
        let mut out = std::io::stdout().lock();
        out.write_all(&text)?;
        out.flush()
    });
    Some(match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write it: {e}");
            ExitCode::FAILURE
        }
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(code) = print_reference(&cli.command) {
        return code;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Init(args) => commands::init(args).await,
            Command::User(cmd) => commands::user(cmd).await,
            Command::Collection(cmd) => commands::collection(cmd).await,
            Command::Node(args) => commands::node(args).await,
            Command::Ingest(args) => commands::ingest(args).await,
            Command::Export(args) => commands::export(args).await,
            Command::Taxii(cmd) => commands::taxii(cmd).await,
            Command::Bench(cmd) => bench::run(cmd).await,
            Command::Demo(args) => demo::run(args).await,
            Command::Id(args) => federation::id(args).await,
            Command::Peer(cmd) => federation::peer(cmd).await,
            Command::Policy(cmd) => federation::policy(cmd).await,
            Command::Log(cmd) => log::run(cmd).await,
            Command::Match(args) => matching::run(args).await,
            Command::Request(cmd) => coop::request(cmd).await,
            Command::Hotline(cmd) => coop::hotline(cmd).await,
            Command::Consult(cmd) => coop::consult(cmd).await,
            Command::Dispute(cmd) => coop::dispute(cmd).await,
            Command::Federation(cmd) => gov::federation(cmd).await,
            Command::Member(cmd) => gov::member(cmd).await,
            Command::Propose(args) => gov::propose(args).await,
            Command::Comment { api, id, text } => gov::comment(api, id, text).await,
            Command::Amend(args) => gov::amend(args).await,
            Command::Vote { api, id, choice } => gov::vote(api, id, choice).await,
            Command::Proposals { api, json } => gov::proposals(api, json).await,
            Command::Proposal { api, id, json } => gov::proposal(api, id, json).await,
            Command::Withdraw { api, yes } => gov::withdraw(api, yes).await,
            Command::Norms(cmd) => gov::norms(cmd).await,
            Command::Report(args) => gov::report(args).await,
            Command::Registry(cmd) => registry::run(cmd).await,
            // Printed before the runtime starts.
            Command::Completions { .. } | Command::Man => Ok(ExitCode::SUCCESS),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Sets up logging to stderr for long-running commands.
pub fn init_logging(config: &pacific_node::config::LogConfig) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&config.level));
    // Colours only for a terminal: a log redirected to a file must not carry escape codes.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match config.format {
        pacific_node::config::LogFormat::Json => builder.json().try_init(),
        pacific_node::config::LogFormat::Text => builder.try_init(),
    };
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every subcommand says what it does and every argument what it is (issue 12, item 10:
    /// `<ID>`, `--note`, `--until`, `--topic` had an empty help; `dispute list` and `show` showed
    /// the text of their flattened `--url`/`--token` group instead of their own).
    #[test]
    fn every_subcommand_and_argument_has_its_own_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
                let path = format!("{path} {}", sub.get_name());
                let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
                if about.trim().is_empty() || about == "Where the node is and who asks" {
                    missing.push(format!("{path}: no description"));
                }
                for arg in sub.get_arguments() {
                    let id = arg.get_id().as_str();
                    if id == "help" || id == "version" {
                        continue;
                    }
                    if arg
                        .get_help()
                        .is_none_or(|h| h.to_string().trim().is_empty())
                    {
                        missing.push(format!("{path}: {id}"));
                    }
                }
                walk(sub, &path, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&super::Cli::command(), "pacific", &mut missing);
        assert!(missing.is_empty(), "without help:\n{}", missing.join("\n"));
    }
}
