//! `pacific federation …`, `pacific member …`, `pacific propose|comment|amend|vote`,
//! `pacific proposals|proposal`, `pacific withdraw`, `pacific norms …`, `pacific report`:
//! governance of the federation.
//!
//! `federation found|sign` work on the data directory and a charter file, without a running
//! node (`pacific_node::gov::sign_charter`); every other command goes through a running node's
//! `/gov/` JSON API with a user's token (`pacific_node::client::GovClient`): every user reads,
//! a delegate or an admin acts. This module holds the commands' arguments and how their
//! answers print.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use pacific_core::policy::PartyId;
use pacific_gov::Choice;
use pacific_gov::charter::{Charter, Constitution, MemberDetails};
use pacific_gov::diff::{DiffLine, line_diff};
use pacific_gov::params::Parameter;
use pacific_gov::proposal::{Change, ProposalKind};
use pacific_node::client::{ClientError, GovClient};
use pacific_node::gov::{SignError, install_charter, key_hex, sign_charter, verify_charter};
use pacific_node::wire::gov::{AmendBody, ProposeBody};
use pacific_node::{DataDir, NodeError};
use serde_json::Value;

use crate::coop::{show, text};

/// Where the node is and who asks.
#[derive(Args, Clone)]
pub struct ApiArgs {
    /// The node's base URL.
    #[arg(long, env = "PACIFIC_URL", default_value = "http://127.0.0.1:9001")]
    url: String,
    /// API token of a user of that node (a delegate or an admin acts, every user reads).
    #[arg(long, env = "PACIFIC_TOKEN")]
    token: String,
}

impl ApiArgs {
    fn client(&self) -> GovClient {
        GovClient::new(&self.url, &self.token)
    }
}

/// The data directory of the node that signs (`--dir` or `--data`).
#[derive(Args, Clone)]
pub struct SignerDir {
    /// The signing node's data directory (its identity key signs).
    #[arg(
        long = "data",
        visible_alias = "dir",
        env = "PACIFIC_DATA",
        value_name = "DIR"
    )]
    data: PathBuf,
}

#[derive(Subcommand)]
pub enum FederationCommand {
    /// Found a federation: sign CHARTER.toml first (this node must be one of its founding
    /// members); pass the file on to the next founder, who runs `pacific federation sign`.
    Found {
        /// The charter (TOML): name, founded, constitution, members; signed in place.
        charter: PathBuf,
        #[command(flatten)]
        dir: SignerDir,
    },
    /// Add this node's signature to CHARTER.toml; once every founding member signed, the
    /// charter is installed in the data directory (a node that signed already installs the
    /// complete file).
    Sign {
        /// The charter (TOML) signed by the founders before this one; signed in place.
        charter: PathBuf,
        #[command(flatten)]
        dir: SignerDir,
    },
    /// The charter as the running node holds it: name, id, founded, constitution rules per
    /// kind of proposal, members with their status.
    Show {
        #[command(flatten)]
        api: ApiArgs,
        /// Print the JSON the node answered.
        #[arg(long)]
        json: bool,
    },
    /// Each federation parameter on the running node: the value in force, the configured
    /// value, and where it comes from (node, federation with the proposal, node tightens).
    Params {
        #[command(flatten)]
        api: ApiArgs,
        /// Print the JSON the node answered.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum MemberCommand {
    /// The register: every member with its type and status.
    List {
        #[command(flatten)]
        api: ApiArgs,
        /// Print the JSON the node answered.
        #[arg(long)]
        json: bool,
    },
    /// One member: its details, key, URL and status.
    Show {
        #[command(flatten)]
        api: ApiArgs,
        /// The member's party id.
        party: String,
        /// Print the JSON the node answered.
        #[arg(long)]
        json: bool,
    },
}

/// `pacific propose`: a proposal and the one change it makes.
#[derive(Args)]
#[command(group(ArgGroup::new("body").required(true).args(["text", "text_file"])))]
#[command(group(ArgGroup::new("change").required(true)
    .args(["norm", "set", "admit", "suspend", "reinstate", "rotate_key", "roster"])))]
pub struct ProposeArgs {
    #[command(flatten)]
    api: ApiArgs,
    /// A one-line title.
    #[arg(long)]
    title: String,
    /// The proposal's text.
    #[arg(long)]
    text: Option<String>,
    /// A file holding the proposal's text (- for stdin).
    #[arg(long, value_name = "FILE")]
    text_file: Option<PathBuf>,
    /// Why the federation should adopt it.
    #[arg(long)]
    rationale: String,
    /// Adopt (or amend) a norm of the catalogue, e.g. 13h (`pacific norms list`).
    #[arg(long, value_name = "NORM")]
    norm: Option<String>,
    /// A parameter the norm sets, KEY=SECS (repeat for each), e.g.
    /// --param coop.deadlines.acknowledgement.emergency_secs=1800.
    #[arg(long = "param", value_name = "KEY=SECS", requires = "norm")]
    params: Vec<String>,
    /// Set a federation parameter, KEY=SECS (repeat for each).
    #[arg(long, value_name = "KEY=SECS")]
    set: Vec<String>,
    /// Admit an applicant: a TOML file of its details (party, name, stakeholder,
    /// jurisdiction, key, url).
    #[arg(long, value_name = "FILE.toml")]
    admit: Option<PathBuf>,
    /// Suspend a member (it may no longer propose, comment or vote).
    #[arg(long, value_name = "PARTY")]
    suspend: Option<String>,
    /// Reinstate a suspended member.
    #[arg(long, value_name = "PARTY")]
    reinstate: Option<String>,
    /// Replace a member's node key: PARTY KEYHEX.
    #[arg(long, num_args = 2, value_names = ["PARTY", "KEYHEX"])]
    rotate_key: Vec<String>,
    /// Set the roster of mediators and arbitrators (with --mediator and --arbitrator).
    #[arg(long)]
    roster: bool,
    /// A mediator of the roster (repeat for each).
    #[arg(long = "mediator", value_name = "PARTY", requires = "roster")]
    mediators: Vec<String>,
    /// An arbitrator of the roster (repeat for each).
    #[arg(long = "arbitrator", value_name = "PARTY", requires = "roster")]
    arbitrators: Vec<String>,
    /// A member co-sponsoring the proposal (it may amend it too; repeat for each).
    #[arg(long = "co-sponsor", value_name = "PARTY")]
    co_sponsors: Vec<String>,
}

/// `pacific amend`.
#[derive(Args)]
pub struct AmendArgs {
    #[command(flatten)]
    api: ApiArgs,
    /// The proposal's id (or a unique prefix of its UUID).
    id: String,
    /// The new text.
    #[arg(long)]
    text: String,
    /// The new rationale (default: unchanged).
    #[arg(long)]
    rationale: Option<String>,
    /// A parameter of the change set anew, KEY=SECS (repeat for each; a norm or parameter
    /// proposal only).
    #[arg(long = "param", value_name = "KEY=SECS")]
    params: Vec<String>,
}

/// A vote.
#[derive(Clone, Copy, ValueEnum)]
pub enum VoteChoice {
    Yes,
    No,
    Abstain,
}

impl From<VoteChoice> for Choice {
    fn from(c: VoteChoice) -> Self {
        match c {
            VoteChoice::Yes => Choice::Yes,
            VoteChoice::No => Choice::No,
            VoteChoice::Abstain => Choice::Abstain,
        }
    }
}

#[derive(Subcommand)]
pub enum NormsCommand {
    /// The catalogue (UN GGE 2015 §13 a–k): each norm, adopted or proposed.
    List {
        #[command(flatten)]
        api: ApiArgs,
        /// Print the JSON the node answered.
        #[arg(long)]
        json: bool,
    },
    /// One norm: its summary, status, measures and parameters.
    Show {
        #[command(flatten)]
        api: ApiArgs,
        /// The norm's id, e.g. 13h.
        id: String,
        /// Print the JSON the node answered.
        #[arg(long)]
        json: bool,
    },
}

/// `pacific report`.
#[derive(Args)]
pub struct ReportArgs {
    #[command(flatten)]
    api: ApiArgs,
    /// The quarter, e.g. 2026-Q4.
    #[arg(long)]
    period: String,
    /// Publish this party's observations of the quarter first (a delegate or an admin).
    #[arg(long)]
    publish: bool,
    /// Print the JSON the node answered.
    #[arg(long)]
    json: bool,
}

// --- The charter, on the data directory ------------------------------------------------------

/// A signing error, said so the user knows what to fix.
fn sign_error(file: &Path, e: SignError) -> NodeError {
    match e {
        SignError::NotAFounder { key, .. } => {
            let members = Charter::from_toml(&std::fs::read_to_string(file).unwrap_or_default())
                .map(|c| {
                    c.members
                        .iter()
                        .map(|m| format!("\n  {:<16} {}", m.party.as_str(), m.key))
                        .collect::<String>()
                })
                .unwrap_or_default();
            NodeError::Input(format!(
                "this node (key {key}) is not a founding member of {}; its founding members and their keys:{members}",
                file.display()
            ))
        }
        other => NodeError::Input(format!("{}: {other}", file.display())),
    }
}

fn names(parties: &[PartyId]) -> String {
    parties
        .iter()
        .map(PartyId::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn federation(cmd: FederationCommand) -> Result<ExitCode, NodeError> {
    match cmd {
        FederationCommand::Found { charter, dir } => sign(&charter, &dir.data, true),
        FederationCommand::Sign { charter, dir } => sign(&charter, &dir.data, false),
        FederationCommand::Show { api, json } => {
            let v = api.client().federation().await.map_err(refused)?;
            show(&v, json, print_federation);
            Ok(ExitCode::SUCCESS)
        }
        FederationCommand::Params { api, json } => {
            let v = api.client().params().await.map_err(refused)?;
            show(&v, json, print_params);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `found` (the first signature) or `sign` (the next ones, or installing a complete charter
/// this node signed already).
fn sign(file: &Path, data: &Path, founding: bool) -> Result<ExitCode, NodeError> {
    let dir = DataDir::new(data);
    if !dir.is_initialised() {
        return Err(dir.not_initialised());
    }
    if !founding && let Some(code) = install_if_signed(&dir, file)? {
        return Ok(code);
    }
    let signed = sign_charter(&dir, file, founding).map_err(|e| sign_error(file, e))?;
    println!("federation {}", signed.federation_id);
    println!("signed by  {} (this node)", signed.party);
    match &signed.installed {
        Some(path) => {
            println!("complete: every founding member signed");
            println!(
                "installed  {} (the node reads it when it starts)",
                path.display()
            );
        }
        None => {
            println!("missing    {}", names(&signed.missing));
            println!(
                "next: pass {} to {}, who runs `pacific federation sign {}`",
                file.display(),
                signed.missing[0],
                file.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// When this node signed `file` already: installs it if it is complete, or says who is still
/// missing. `None` when this node has not signed it yet.
fn install_if_signed(dir: &DataDir, file: &Path) -> Result<Option<ExitCode>, NodeError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| NodeError::Input(format!("cannot read {}: {e}", file.display())))?;
    let charter = Charter::from_toml(&text)
        .map_err(|e| NodeError::Input(format!("{}: {e}", file.display())))?;
    let mine = key_hex(&dir.load_identity()?.verifying_key());
    let Some(me) = charter.members.iter().find(|m| m.key == mine) else {
        return Ok(None);
    };
    if !charter.signatures.iter().any(|s| s.party == me.party) {
        return Ok(None);
    }
    let missing = verify_charter(&charter)
        .map_err(|e| NodeError::Input(format!("{}: {e}", file.display())))?;
    println!("federation {}", charter.federation_id());
    if missing.is_empty() {
        install_charter(dir, file).map_err(|e| sign_error(file, e))?;
        println!(
            "{} signed already; every founding member has signed: installed {}",
            me.party,
            dir.root().join(pacific_node::gov::CHARTER_FILE).display()
        );
    } else {
        println!("{} signed already; missing {}", me.party, names(&missing));
    }
    Ok(Some(ExitCode::SUCCESS))
}

// --- Reading and acting through the API ------------------------------------------------------

/// A refusal of the node, with what to do when it is about who may act.
fn refused(e: ClientError) -> NodeError {
    refused_unless(e, "acts in governance")
}

/// A refusal of the node; one for the caller's role (`auth-forbidden`) says that a delegate or
/// an admin does `what` (and every user reads).
pub(crate) fn refused_unless(e: ClientError, what: &str) -> NodeError {
    match e.label() {
        Some("auth-forbidden") => NodeError::Remote(format!(
            "{e}\nhint: only a delegate or an admin of the node {what}; every user reads"
        )),
        _ => e.into(),
    }
}

/// A number as text (a `Value` ignores width and alignment when printed).
fn num(v: &Value) -> String {
    v.as_u64().map_or_else(|| "-".into(), |n| n.to_string())
}

fn list(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().into_iter().flatten()
}

fn strings(v: &Value) -> String {
    let items: Vec<&str> = list(v).filter_map(Value::as_str).collect();
    if items.is_empty() {
        "-".into()
    } else {
        items.join(", ")
    }
}

/// A voting rule in words, e.g. `majority: quorum 1/2, threshold 2/3; binding: state`.
fn rule_text(rule: &pacific_gov::VotingRule) -> String {
    let decision = match rule.decision {
        pacific_gov::Decision::Majority { quorum, threshold } => {
            format!("majority: quorum {quorum}, threshold {threshold}")
        }
        pacific_gov::Decision::Consensus { quorum } => {
            format!("consensus: quorum {quorum}, one binding no blocks")
        }
    };
    let binding: Vec<&str> = rule.binding.iter().map(|t| t.as_str()).collect();
    format!("{decision}; binding: {}", binding.join(", "))
}

const KINDS: [ProposalKind; 4] = [
    ProposalKind::Norm,
    ProposalKind::Parameter,
    ProposalKind::Membership,
    ProposalKind::Roster,
];

fn print_member_line(m: &Value) {
    println!(
        "  {:<16} {:<10} {:<14} {:<4} since {}  {}",
        text(m, "party"),
        text(m, "status"),
        text(m, "stakeholder"),
        m["jurisdiction"].as_str().unwrap_or("-"),
        text(m, "since"),
        text(m, "name"),
    );
}

fn print_federation(v: &Value) {
    println!("{}", text(v, "name"));
    println!("  id        {}", text(v, "id"));
    println!("  founded   {}", text(v, "founded"));
    match serde_json::from_value::<Constitution>(v["constitution"].clone()) {
        Ok(c) => {
            println!(
                "  periods   deliberation {} s, voting {} s",
                c.deliberation_secs, c.voting_secs
            );
            for kind in KINDS {
                println!("  {:<10} {}", kind.as_str(), rule_text(&c.rule(kind)));
            }
        }
        Err(_) => println!("  constitution {}", v["constitution"]),
    }
    println!("members");
    list(&v["members"]).for_each(print_member_line);
    for (id, n) in v["norms"].as_object().into_iter().flatten() {
        println!(
            "norm {id} adopted by {} at {}",
            text(n, "proposal"),
            text(n, "at")
        );
    }
    let refused = list(&v["refused_acts"]).count();
    if refused > 0 {
        println!("{refused} act(s) held do not count (see --json)");
    }
}

fn print_params(v: &Value) {
    for p in list(v) {
        let source = match text(p, "source") {
            "federation" => format!("federation ({})", text(p, "proposal")),
            "node-tightens" => format!(
                "node tightens (federation adopted {} by {})",
                p["adopted"],
                text(p, "proposal")
            ),
            other => other.to_owned(),
        };
        println!(
            "{:<48} in force {:>8}  configured {:>8}  {source}",
            text(p, "parameter"),
            num(&p["value"]),
            num(&p["configured"])
        );
    }
}

fn print_member(v: &Value) {
    println!("{}  {}", text(v, "party"), text(v, "name"));
    println!("  stakeholder   {}", text(v, "stakeholder"));
    if let Some(j) = v["jurisdiction"].as_str() {
        println!("  jurisdiction  {j}");
    }
    println!(
        "  status        {} since {}",
        text(v, "status"),
        text(v, "since")
    );
    if let Some(p) = v["by_proposal"].as_str() {
        println!("  by proposal   {p}");
    }
    println!("  key           {}", text(v, "key"));
    println!("  url           {}", text(v, "url"));
    let c = &v["contact"];
    if c.is_object() {
        println!(
            "  24/7 contact  {} ({} {})",
            text(c, "name"),
            text(&c["channel"], "medium"),
            text(&c["channel"], "address")
        );
    } else {
        println!("  24/7 contact  none declared (`pacific hotline declare`)");
    }
}

pub async fn member(cmd: MemberCommand) -> Result<ExitCode, NodeError> {
    match cmd {
        MemberCommand::List { api, json } => {
            let v = api.client().members().await.map_err(refused)?;
            show(&v, json, |v| list(v).for_each(print_member_line));
        }
        MemberCommand::Show { api, party, json } => {
            let v = api.client().member(&party).await.map_err(refused)?;
            show(&v, json, print_member);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `KEY=SECS` pairs as parameters.
fn parse_params(pairs: &[String], flag: &str) -> Result<BTreeMap<Parameter, u64>, NodeError> {
    let mut out = BTreeMap::new();
    for pair in pairs {
        let (key, secs) = pair.split_once('=').ok_or_else(|| {
            NodeError::Input(format!(
                "{flag} {pair:?}: expected KEY=SECS, e.g. {flag} coop.deadlines.acknowledgement.emergency_secs=1800"
            ))
        })?;
        let parameter: Parameter = key.trim().parse().map_err(NodeError::Input)?;
        let secs: u64 = secs.trim().parse().map_err(|_| {
            NodeError::Input(format!(
                "{flag} {pair:?}: {secs:?} is not a number of seconds"
            ))
        })?;
        out.insert(parameter, secs);
    }
    Ok(out)
}

fn parties(ids: &[String]) -> BTreeSet<PartyId> {
    ids.iter().map(PartyId::new).collect()
}

fn read_text(path: &Path) -> Result<String, NodeError> {
    if path == Path::new("-") {
        return std::io::read_to_string(std::io::stdin())
            .map_err(|e| NodeError::Input(format!("cannot read standard input: {e}")));
    }
    std::fs::read_to_string(path)
        .map_err(|e| NodeError::Input(format!("cannot read {}: {e}", path.display())))
}

impl ProposeArgs {
    fn change(&self) -> Result<Change, NodeError> {
        if let Some(norm) = &self.norm {
            return Ok(Change::AdoptNorm {
                norm: norm.clone(),
                parameters: parse_params(&self.params, "--param")?,
            });
        }
        if !self.set.is_empty() {
            return Ok(Change::SetParameters {
                parameters: parse_params(&self.set, "--set")?,
            });
        }
        if let Some(file) = &self.admit {
            let member: MemberDetails = toml::from_str(&read_text(file)?)
                .map_err(|e| NodeError::Input(format!("{}: {e}", file.display())))?;
            return Ok(Change::Admit { member });
        }
        if let Some(p) = &self.suspend {
            return Ok(Change::Suspend {
                party: PartyId::new(p),
            });
        }
        if let Some(p) = &self.reinstate {
            return Ok(Change::Reinstate {
                party: PartyId::new(p),
            });
        }
        if let [p, key] = self.rotate_key.as_slice() {
            return Ok(Change::RotateKey {
                party: PartyId::new(p),
                key: key.clone(),
            });
        }
        Ok(Change::Roster {
            mediators: parties(&self.mediators),
            arbitrators: parties(&self.arbitrators),
        })
    }
}

/// A proposal id as given, or the one proposal whose UUID starts with it.
async fn resolve(client: &GovClient, given: &str) -> Result<String, NodeError> {
    let all = client.proposals().await.map_err(refused)?;
    let ids: Vec<&str> = list(&all).filter_map(|p| p["id"].as_str()).collect();
    if ids.contains(&given) {
        return Ok(given.to_owned());
    }
    let matching: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| id.rsplit("--").next().is_some_and(|u| u.starts_with(given)))
        .collect();
    match matching.as_slice() {
        [one] => Ok((*one).to_owned()),
        [] => Ok(given.to_owned()),
        many => Err(NodeError::Input(format!(
            "{given:?} is the start of {} proposals: {}",
            many.len(),
            many.join(", ")
        ))),
    }
}

pub async fn propose(args: ProposeArgs) -> Result<ExitCode, NodeError> {
    // Clap requires one of the two; said anyway rather than assumed.
    let text = match (&args.text, &args.text_file) {
        (Some(t), _) => t.clone(),
        (None, Some(file)) => read_text(file)?,
        (None, None) => {
            return Err(NodeError::Input(
                "give the proposal's text with --text or --text-file".into(),
            ));
        }
    };
    let body = ProposeBody {
        title: args.title.clone(),
        text,
        rationale: args.rationale.clone(),
        change: args.change()?,
        co_sponsors: parties(&args.co_sponsors),
    };
    let v = args.api.client().propose(&body).await.map_err(refused)?;
    print_proposal(&v);
    Ok(ExitCode::SUCCESS)
}

pub async fn comment(api: ApiArgs, id: String, comment: String) -> Result<ExitCode, NodeError> {
    let client = api.client();
    let id = resolve(&client, &id).await?;
    let v = client.comment(&id, &comment).await.map_err(refused)?;
    println!("{}  comment recorded", text(&v, "act"));
    print_proposal(&v["proposal"]);
    Ok(ExitCode::SUCCESS)
}

pub async fn amend(args: AmendArgs) -> Result<ExitCode, NodeError> {
    let client = args.api.client();
    let id = resolve(&client, &args.id).await?;
    let change = if args.params.is_empty() {
        None
    } else {
        let current = client.proposal(&id).await.map_err(refused)?;
        let last = list(&current["versions"])
            .last()
            .cloned()
            .unwrap_or_default();
        let change: Change = serde_json::from_value(last["change"].clone()).map_err(|e| {
            NodeError::Remote(format!(
                "the node answered a change this command cannot read: {e}"
            ))
        })?;
        let new = parse_params(&args.params, "--param")?;
        Some(match change {
            Change::AdoptNorm {
                norm,
                mut parameters,
            } => {
                parameters.extend(new);
                Change::AdoptNorm { norm, parameters }
            }
            Change::SetParameters { mut parameters } => {
                parameters.extend(new);
                Change::SetParameters { parameters }
            }
            other => {
                return Err(NodeError::Input(format!(
                    "--param: a {} proposal sets no parameters",
                    other.kind()
                )));
            }
        })
    };
    let body = AmendBody {
        text: args.text,
        rationale: args.rationale,
        change,
    };
    let v = client.amend(&id, &body).await.map_err(refused)?;
    println!("{}  amendment recorded", text(&v, "act"));
    print_proposal(&v["proposal"]);
    Ok(ExitCode::SUCCESS)
}

pub async fn vote(api: ApiArgs, id: String, choice: VoteChoice) -> Result<ExitCode, NodeError> {
    let client = api.client();
    let id = resolve(&client, &id).await?;
    let v = client.vote(&id, choice.into()).await.map_err(refused)?;
    println!("{}  vote recorded", text(&v, "act"));
    print_tally(&v["proposal"]);
    Ok(ExitCode::SUCCESS)
}

pub async fn proposals(api: ApiArgs, json: bool) -> Result<ExitCode, NodeError> {
    let v = api.client().proposals().await.map_err(refused)?;
    show(&v, json, |v| {
        for p in list(v) {
            println!(
                "{}  {:<10} {:<12} {:<13} v{}  {}",
                text(p, "id"),
                text(p, "kind"),
                text(p, "stage"),
                p["outcome"]["outcome"].as_str().unwrap_or("-"),
                p["versions"],
                text(p, "title")
            );
        }
    });
    Ok(ExitCode::SUCCESS)
}

pub async fn proposal(api: ApiArgs, id: String, json: bool) -> Result<ExitCode, NodeError> {
    let client = api.client();
    let id = resolve(&client, &id).await?;
    let v = client.proposal(&id).await.map_err(refused)?;
    show(&v, json, print_proposal);
    Ok(ExitCode::SUCCESS)
}

/// What a change does, in one line.
fn change_text(c: &Value) -> String {
    let params = |v: &Value| -> String {
        v.as_object()
            .into_iter()
            .flatten()
            .map(|(k, s)| format!(" {k}={s}"))
            .collect()
    };
    match text(c, "change") {
        "adopt-norm" => format!("adopt norm {}{}", text(c, "norm"), params(&c["parameters"])),
        "set-parameters" => format!("set{}", params(&c["parameters"])),
        "admit" => format!("admit {}", text(&c["member"], "party")),
        "suspend" => format!("suspend {}", text(c, "party")),
        "reinstate" => format!("reinstate {}", text(c, "party")),
        "rotate-key" => format!(
            "rotate the key of {} to {}",
            text(c, "party"),
            text(c, "key")
        ),
        "roster" => format!(
            "roster: mediators {}; arbitrators {}",
            strings(&c["mediators"]),
            strings(&c["arbitrators"])
        ),
        _ => c.to_string(),
    }
}

/// A proposal: its versions (each with the line diff from the one before), comments, stage,
/// times and tally.
pub fn print_proposal(v: &Value) {
    println!("{}", text(v, "id"));
    println!("  {} proposal: {}", text(v, "kind"), text(v, "title"));
    println!(
        "  proposer  {} (co-sponsors: {})",
        text(v, "proposer"),
        strings(&v["co_sponsors"])
    );
    println!("  stage     {}", text(v, "stage"));
    println!("  proposed  {}", text(v, "proposed_at"));
    println!(
        "  voting    {} to {}",
        text(v, "voting_opens"),
        text(v, "voting_closes")
    );
    let mut previous: Option<&Value> = None;
    for (n, version) in list(&v["versions"]).enumerate() {
        println!(
            "version {} by {} at {}",
            n + 1,
            text(version, "by"),
            text(version, "at")
        );
        match previous {
            None => {
                for line in text(version, "text").lines() {
                    println!("    {line}");
                }
            }
            Some(before) => {
                for line in line_diff(text(before, "text"), text(version, "text")) {
                    let (sign, line) = diff_sign(&line);
                    println!("  {sign} {line}");
                }
            }
        }
        println!("  rationale {}", text(version, "rationale"));
        println!("  change    {}", change_text(&version["change"]));
        previous = Some(version);
    }
    for c in list(&v["comments"]) {
        println!(
            "comment by {} at {}: {}",
            text(c, "by"),
            text(c, "at"),
            text(c, "text")
        );
    }
    print_tally(v);
}

/// The tally: live while voting, final once closed; binding and advisory side by side.
fn print_tally(v: &Value) {
    let t = &v["tally"];
    if !t.is_object() {
        println!(
            "tally     none yet (voting opens {})",
            text(v, "voting_opens")
        );
        return;
    }
    let when = if v["stage"] == "closed" {
        "final"
    } else {
        "live"
    };
    println!(
        "{when} tally: {}  (binding members eligible: {})",
        text(&t["outcome"], "outcome"),
        t["eligible"]
    );
    println!("            {:>8} {:>8}", "binding", "advisory");
    for choice in ["yes", "no", "abstain"] {
        println!(
            "  {choice:<9} {:>8} {:>8}",
            num(&t["binding"][choice]),
            num(&t["advisory"][choice])
        );
    }
    match text(&t["outcome"], "outcome") {
        "no-quorum" => println!(
            "  no quorum: {} of {} took part",
            t["outcome"]["participants"], t["outcome"]["eligible"]
        ),
        "blocked" => println!("  blocked by {}", strings(&t["outcome"]["by"])),
        _ => {}
    }
    for r in list(&t["refused"]) {
        println!(
            "  REFUSED vote {}: {}",
            r[0].as_str().unwrap_or("-"),
            r[1].as_str().unwrap_or("-")
        );
    }
    for late in list(&v["late_votes"]).filter_map(Value::as_str) {
        println!("  LATE vote {late}: cast after voting closed");
    }
}

/// The sign of a diff line, so it reads without colours.
fn diff_sign<'a>(line: &DiffLine<'a>) -> (char, &'a str) {
    match line {
        DiffLine::Same(t) => (' ', t),
        DiffLine::Removed(t) => ('-', t),
        DiffLine::Added(t) => ('+', t),
    }
}

pub async fn withdraw(api: ApiArgs, yes: bool) -> Result<ExitCode, NodeError> {
    if !yes {
        return Err(NodeError::Input(
            "withdrawing takes this party out of the federation: it no longer proposes, comments or votes, and only a new admission brings it back. Run again with --yes to confirm".into(),
        ));
    }
    let v = api.client().withdraw().await.map_err(refused)?;
    println!("{}  withdrawal recorded", text(&v, "act"));
    print_member(&v["member"]);
    Ok(ExitCode::SUCCESS)
}

fn print_norm_line(n: &Value) {
    println!(
        "{:<4} {:<9} {}",
        text(n, "id"),
        text(n, "status"),
        text(n, "title")
    );
}

fn print_norm(n: &Value) {
    print_norm_line(n);
    println!("  {}", text(n, "summary"));
    if n["adopted"].is_object() {
        println!(
            "  adopted by {} at {}",
            text(&n["adopted"], "proposal"),
            text(&n["adopted"], "at")
        );
        for (k, secs) in n["adopted"]["parameters"].as_object().into_iter().flatten() {
            println!("  adopted   {k} = {secs}");
        }
    }
    for m in list(&n["measures"]) {
        println!(
            "  measure   {}: {}",
            text(m, "measure"),
            text(m, "description")
        );
    }
    for p in list(&n["parameters"]) {
        println!(
            "  parameter {}: {}",
            text(p, "parameter"),
            text(p, "description")
        );
    }
}

pub async fn norms(cmd: NormsCommand) -> Result<ExitCode, NodeError> {
    match cmd {
        NormsCommand::List { api, json } => {
            let v = api.client().norms().await.map_err(refused)?;
            show(&v, json, |v| list(v).for_each(print_norm_line));
        }
        NormsCommand::Show { api, id, json } => {
            let v = api.client().norm(&id).await.map_err(refused)?;
            show(&v, json, print_norm);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn figure_value(f: &Value) -> String {
    if f["p50"].is_u64() {
        format!(
            "{} cases, p50 {} s, p90 {} s",
            f["count"], f["p50"], f["p90"]
        )
    } else {
        format!("{} of {}", f["count"], f["of"])
    }
}

fn print_figures(v: &Value) {
    println!("period {}", text(v, "period"));
    let figures: Vec<&Value> = list(&v["figures"]).collect();
    if figures.is_empty() {
        println!("  no figures: no report of the quarter is held");
    }
    let mut about = "";
    for f in figures {
        if text(f, "about") != about {
            about = text(f, "about");
            println!("about {about}");
        }
        println!(
            "  {:<4} {:<32} {:<28} observed by {}",
            text(f, "norm"),
            text(f, "measure"),
            figure_value(f),
            strings(&f["observers"])
        );
    }
    for r in list(&v["reporters"]) {
        println!(
            "report of {}: {} observation(s)",
            text(r, "reporter"),
            list(&r["observations"]).count()
        );
    }
}

fn print_report(v: &Value) {
    println!(
        "published {}'s report of {}",
        text(v, "reporter"),
        text(v, "period")
    );
    if let Some(c) = v["checkpoint"].as_object() {
        println!("  at checkpoint {}", Value::Object(c.clone()));
    }
    for o in list(&v["observations"]) {
        println!(
            "  about {:<12} {:<4} {:<32} {}",
            text(o, "about"),
            text(o, "norm"),
            text(o, "measure"),
            format_args!("{} of {}", o["count"], o["of"])
        );
    }
}

pub async fn report(args: ReportArgs) -> Result<ExitCode, NodeError> {
    let client = args.api.client();
    if args.publish {
        let v = client.publish_report(&args.period).await.map_err(refused)?;
        show(&v, args.json, print_report);
    } else {
        let v = client.reports(&args.period).await.map_err(refused)?;
        show(&v, args.json, print_figures);
    }
    Ok(ExitCode::SUCCESS)
}
