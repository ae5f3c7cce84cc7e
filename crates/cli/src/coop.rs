//! `pacific request …`, `pacific hotline …`, `pacific consult …`, `pacific dispute …`:
//! cooperation between authorities, through a running node's `/coop` JSON API with a user's
//! token. The client is `pacific_node::client::CoopClient`; this module holds the commands'
//! arguments and how their answers print.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use pacific_node::NodeError;
use pacific_node::client::coop::{AttachmentRef, ConsultationAction, RequestAction};
use serde_json::Value;

pub use pacific_node::client::CoopClient;

/// Where the node is and who asks.
#[derive(Args, Clone)]
pub struct ApiArgs {
    /// The node's base URL.
    #[arg(long, env = "PACIFIC_URL", default_value = "http://127.0.0.1:9001")]
    url: String,
    /// API token of a user of that node (a liaison acts, an analyst drafts, a reader reads).
    #[arg(long, env = "PACIFIC_TOKEN")]
    token: String,
}

#[derive(Subcommand)]
pub enum RequestCommand {
    /// Draft a request (requester): from a JSON file, from flags, or both (a flag replaces
    /// the file's field). The format, with an example of each kind, is in
    /// docs/cooperation.md; unknown fields are refused.
    New {
        #[command(flatten)]
        api: ApiArgs,
        /// A JSON file with the request (- for stdin): recipient, urgency, title, details (kind
        /// and its fields), and optionally evidence_refs, attachments, requested_deadline.
        spec: Option<PathBuf>,
        /// The party asked, by party id (`pacific peer list` shows them).
        #[arg(long)]
        to: Option<String>,
        /// Instead of --to: ask the party the jurisdiction registry names for this address,
        /// AS number (AS64500) or domain (refused when nobody, or parties in conflict, answer).
        #[arg(long, conflicts_with = "to", value_name = "IP|ASN|DOMAIN")]
        about: Option<String>,
        /// With --about: the role whose party is asked (jurisdiction, operator or contact).
        #[arg(long, default_value = "jurisdiction", requires = "about")]
        about_role: pacific_registry::Role,
        /// routine, urgent or emergency.
        #[arg(long)]
        urgency: Option<String>,
        /// A one-line title.
        #[arg(long)]
        title: Option<String>,
        /// preservation, disclosure, takedown, incident-assistance or information.
        #[arg(long)]
        kind: Option<String>,
        /// A field of the kind's details, NAME=VALUE (repeat for each), e.g.
        /// --field question='Who rents 198.51.100.23?'. mla_intent takes true or false;
        /// data_categories and targets take their items separated by commas.
        #[arg(long = "field", value_name = "NAME=VALUE")]
        fields: Vec<String>,
        /// A STIX object id given as evidence (repeat for each).
        #[arg(long = "evidence", value_name = "STIX_ID")]
        evidence: Vec<String>,
        /// The answer deadline asked for (RFC 3339; default: the one the kind and urgency
        /// give, from the time of sending).
        #[arg(long, value_name = "TIME")]
        deadline: Option<String>,
    },
    /// The requests this party sent or received.
    List {
        #[command(flatten)]
        api: ApiArgs,
    },
    /// One request: state, deadlines, hotline escalation, transitions.
    Show {
        #[command(flatten)]
        api: ApiArgs,
        /// The request's id (x-pacific-assistance-request--…).
        id: String,
        /// Print the JSON the node answered.
        #[arg(long)]
        json: bool,
    },
    /// Send a draft (requester).
    Send {
        #[command(flatten)]
        api: ApiArgs,
        /// The request's id (x-pacific-assistance-request--…).
        id: String,
    },
    /// Acknowledge a request received, and its hotline escalation (recipient).
    Ack {
        #[command(flatten)]
        api: ApiArgs,
        /// The request's id (x-pacific-assistance-request--…).
        id: String,
    },
    /// Start work on an acknowledged request (recipient).
    Start {
        #[command(flatten)]
        api: ApiArgs,
        /// The request's id (x-pacific-assistance-request--…).
        id: String,
    },
    /// Answer (recipient).
    Answer {
        #[command(flatten)]
        api: ApiArgs,
        /// The request's id (x-pacific-assistance-request--…).
        id: String,
        /// The answer: what was done or found.
        #[arg(long)]
        note: String,
        /// Only part of what was asked.
        #[arg(long)]
        partial: bool,
        /// For a preservation: until when the data is preserved (RFC 3339).
        #[arg(long)]
        preserved_until: Option<String>,
    },
    /// Decline, citing a ground (recipient): political-offence,
    /// sovereignty-security-ordre-public, insufficient-information, dual-criminality,
    /// not-competent, other.
    Decline {
        #[command(flatten)]
        api: ApiArgs,
        /// The request's id (x-pacific-assistance-request--…).
        id: String,
        /// The ground: political-offence, sovereignty-security-ordre-public,
        /// insufficient-information, dual-criminality, not-competent or other.
        #[arg(long)]
        ground: String,
        /// Why, in words.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Withdraw (requester).
    Withdraw {
        #[command(flatten)]
        api: ApiArgs,
        /// The request's id (x-pacific-assistance-request--…).
        id: String,
        /// Why, in words.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Ask the requester for more information (recipient).
    Ask {
        #[command(flatten)]
        api: ApiArgs,
        /// The request's id (x-pacific-assistance-request--…).
        id: String,
        /// What the requester should tell.
        #[arg(long)]
        question: String,
    },
    /// Provide the information asked for (requester), with files as attachments (their SHA-256
    /// and size are recorded; the files themselves travel out of band).
    Provide {
        #[command(flatten)]
        api: ApiArgs,
        /// The request's id (x-pacific-assistance-request--…).
        id: String,
        /// The information, in words.
        #[arg(long, default_value = "")]
        text: String,
        /// A file to attach (repeat for each): its SHA-256 and size are recorded.
        #[arg(long = "attach", value_name = "FILE")]
        attach: Vec<PathBuf>,
    },
    /// Record in the chain of custody that this party holds FILE as the attachment whose
    /// SHA-256 is ATTACHMENT; a different digest or size is flagged as tampering.
    Custody {
        #[command(flatten)]
        api: ApiArgs,
        /// The request's id (x-pacific-assistance-request--…).
        id: String,
        /// The attachment's SHA-256 (hex), as the request records it.
        #[arg(long)]
        attachment: String,
        /// The file this party holds, whose SHA-256 and size are compared with the record's.
        #[arg(long)]
        file: PathBuf,
    },
    /// Extend an answered preservation (recipient) until a later time (RFC 3339).
    Extend {
        #[command(flatten)]
        api: ApiArgs,
        /// The request's id (x-pacific-assistance-request--…).
        id: String,
        /// The new end of the preservation (RFC 3339), later than the current one.
        #[arg(long)]
        until: String,
    },
}

#[derive(Subcommand)]
pub enum HotlineCommand {
    /// Escalations of this party's requests, with the acknowledgement clock.
    Show {
        #[command(flatten)]
        api: ApiArgs,
    },
    /// The parties' 24/7 contacts.
    Contacts {
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Declare (or update) this party's 24/7 contact.
    Declare {
        #[command(flatten)]
        api: ApiArgs,
        /// Who answers, e.g. "24/7 duty officer".
        #[arg(long)]
        name: String,
        /// phone, email, signal, matrix, pacific or other.
        #[arg(long)]
        medium: String,
        /// Where to reach them on that medium (number, address, handle).
        #[arg(long)]
        address: String,
    },
    /// Ping another party's hotline now (its node answers while it has a declared contact).
    Ping {
        #[command(flatten)]
        api: ApiArgs,
        /// The party whose hotline is pinged, by party id.
        #[arg(long)]
        to: String,
    },
    /// Pings sent and received: answered (and how fast), pending, timed out.
    Pings {
        #[command(flatten)]
        api: ApiArgs,
    },
}

#[derive(Subcommand)]
pub enum ConsultCommand {
    /// Open a consultation with other parties (analyst or liaison).
    Open {
        #[command(flatten)]
        api: ApiArgs,
        /// What the consultation is about, in one line.
        #[arg(long)]
        topic: String,
        /// Another participant (repeat for each).
        #[arg(long = "with", required = true)]
        with: Vec<String>,
        /// An agenda item (repeat for each).
        #[arg(long)]
        agenda: Vec<String>,
    },
    /// The consultations this party takes part in.
    List {
        #[command(flatten)]
        api: ApiArgs,
    },
    /// One consultation: agenda, messages, attached objects, minutes and signatures.
    Show {
        #[command(flatten)]
        api: ApiArgs,
        /// The consultation's id (x-pacific-consultation--…).
        id: String,
        /// Print the JSON the node answered.
        #[arg(long)]
        json: bool,
    },
    /// Add an agenda item.
    Agenda {
        #[command(flatten)]
        api: ApiArgs,
        /// The consultation's id (x-pacific-consultation--…).
        id: String,
        /// The agenda item, in words.
        item: String,
    },
    /// Post a message, optionally referring to STIX objects.
    Post {
        #[command(flatten)]
        api: ApiArgs,
        /// The consultation's id (x-pacific-consultation--…).
        id: String,
        /// The message.
        text: String,
        /// A STIX object id the message refers to (repeat for each).
        #[arg(long = "ref")]
        refs: Vec<String>,
    },
    /// Attach STIX objects (by id) to the consultation.
    Attach {
        #[command(flatten)]
        api: ApiArgs,
        /// The consultation's id (x-pacific-consultation--…).
        id: String,
        /// The STIX object ids (one or more; each must be an object the node holds).
        #[arg(required = true, value_name = "STIX_ID")]
        refs: Vec<String>,
    },
    /// Propose minutes (a new proposal replaces the previous one and its signatures).
    Minutes {
        #[command(flatten)]
        api: ApiArgs,
        /// The consultation's id (x-pacific-consultation--…).
        id: String,
        /// The text of the minutes.
        text: String,
    },
    /// Sign the minutes (a liaison; the current version unless --version).
    Sign {
        #[command(flatten)]
        api: ApiArgs,
        /// The consultation's id (x-pacific-consultation--…).
        id: String,
        /// The version of the minutes signed (default: the current one).
        #[arg(long)]
        version: Option<u32>,
    },
}

#[derive(Subcommand)]
pub enum DisputeCommand {
    /// Open a dispute with another party (negotiation starts).
    Open {
        #[command(flatten)]
        api: ApiArgs,
        /// The party the claim is against, by party id.
        #[arg(long)]
        respondent: String,
        /// What the dispute is about, in one line.
        #[arg(long)]
        subject: String,
        /// The claimant's claim, in words.
        #[arg(long)]
        claim: String,
        /// A STIX object id the dispute is about, e.g. the two conflicting resource claims of
        /// `pacific registry conflicts` (repeat for each).
        #[arg(long = "evidence", value_name = "STIX_ID")]
        evidence: Vec<String>,
    },
    /// The disputes this node knows of: id, stage, claimant v respondent, subject.
    List {
        #[command(flatten)]
        api: ApiArgs,
    },
    /// One dispute: parties, stage and its changes, mediator or panel, claims, decision.
    Show {
        #[command(flatten)]
        api: ApiArgs,
        /// The dispute's id (x-pacific-dispute--…).
        id: String,
        /// Print the JSON the node answered.
        #[arg(long)]
        json: bool,
    },
    /// Take a step: claim, propose-mediator, accept-mediator, propose-panel, accept-panel,
    /// vote, propose-settlement, accept-settlement; BODY is its JSON (e.g.
    /// '{"mediator":"charlie"}', '{"members":["c","d","e"]}', '{"finding":"upheld","reasons":"…"}').
    Step {
        #[command(flatten)]
        api: ApiArgs,
        /// The dispute's id (x-pacific-dispute--…).
        id: String,
        /// The step: claim, propose-mediator, accept-mediator, propose-panel, accept-panel,
        /// vote, propose-settlement or accept-settlement.
        action: String,
        /// The step's JSON body (default: {}).
        #[arg(default_value = "{}")]
        body: String,
    },
}

impl ApiArgs {
    fn client(&self) -> CoopClient {
        CoopClient::new(&self.url, &self.token)
    }
}

/// `show` commands: one record, as JSON or printed by `print`.
pub(crate) fn show(v: &Value, json: bool, print: fn(&Value)) {
    if json {
        println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
    } else {
        print(v);
    }
}

pub(crate) fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("-")
}

/// A request in a few lines.
pub fn print_request(v: &Value) {
    let r = &v["record"];
    println!("{}", text(r, "id"));
    println!(
        "  {} {} request, {} → {}: {}",
        text(r, "urgency"),
        text(&r["details"], "kind"),
        text(r, "requester"),
        text(r, "recipient"),
        text(r, "title")
    );
    println!("  state     {}", text(r, "state"));
    if r["deadline"].is_string() {
        println!(
            "  deadline  {} (acknowledge by {})",
            text(r, "deadline"),
            text(r, "acknowledgement_deadline")
        );
    }
    if v["hotline"].is_object() {
        println!(
            "  hotline   {} pushes, {}",
            v["hotline"]["attempts"],
            escalation_status(&v["hotline"])
        );
    }
    for t in r["transitions"].as_array().into_iter().flatten() {
        println!(
            "  {}  {} → {} by {}",
            text(t, "at"),
            text(t, "from"),
            text(t, "to"),
            t["by"].as_str().unwrap_or("the clock")
        );
    }
    if let Some(a) = r["answer"].as_object() {
        println!(
            "  answer    {}: {}",
            a["completeness"].as_str().unwrap_or("-"),
            a.get("note").and_then(Value::as_str).unwrap_or("")
        );
    }
    print_refused(v);
}

/// The acts of a record that do not count: this party's own first (a concurrent act of
/// another party conflicts with it: it is not done), then other parties' (not counted).
fn print_refused(v: &Value) {
    let refused: Vec<&Value> = v["refused_acts"].as_array().into_iter().flatten().collect();
    for r in refused.iter().filter(|r| r["mine"] == true) {
        println!(
            "  REFUSED   your act {} ({}): {}",
            text(r, "id"),
            text(r, "label"),
            text(r, "reason")
        );
    }
    for r in refused.iter().filter(|r| r["mine"] != true) {
        println!(
            "  ignored   {} by {} ({}): {}",
            text(r, "id"),
            text(r, "by"),
            text(r, "label"),
            text(r, "reason")
        );
    }
}

/// How an escalation stands, as the node says (`status`): open with its running clock and
/// next re-send, acknowledged at a time after so long, or ended unacknowledged (withdrawn,
/// expired, answered, declined) at a time, the clock stopped.
fn escalation_status(e: &Value) -> String {
    let clock = e["ack_clock_secs"].as_f64().unwrap_or(0.0);
    match e["status"].as_str() {
        Some("acknowledged") => format!(
            "acknowledged at {} after {clock:.1} s",
            text(e, "acknowledged_at")
        ),
        Some("ended") => format!(
            "{} at {} after {clock:.1} s, never acknowledged",
            text(&e["ended"], "state"),
            text(&e["ended"], "at")
        ),
        _ => format!(
            "OPEN, unacknowledged for {clock:.1} s, next re-send {}",
            text(e, "next_resend_at")
        ),
    }
}

/// A dispute in a few lines.
pub fn print_dispute(v: &Value) {
    let d = &v["record"];
    println!("{}", text(d, "id"));
    println!(
        "  {} v {}: {}",
        text(d, "claimant"),
        text(d, "respondent"),
        text(d, "subject")
    );
    println!("  stage     {}", text(d, "stage"));
    if d["mediator"].is_string() {
        println!("  mediator  {}", text(d, "mediator"));
    }
    if let Some(panel) = d["panel"].as_array() {
        let names: Vec<&str> = panel.iter().filter_map(Value::as_str).collect();
        println!("  panel     {}", names.join(", "));
    }
    for c in d["stage_changes"].as_array().into_iter().flatten() {
        println!(
            "  {}  {} → {} by {}",
            text(c, "at"),
            text(c, "from"),
            text(c, "to"),
            c["by"].as_str().unwrap_or("the clock")
        );
    }
    if let Some(dec) = d["decision"].as_object() {
        println!(
            "  decision  {} ({} for, {} against)",
            dec["finding"].as_str().unwrap_or("-"),
            dec["votes_for"],
            dec["votes_against"]
        );
    }
    print_refused(v);
}

/// The SHA-256 (hex) and size of a file.
fn digest(path: &PathBuf) -> Result<(String, u64), NodeError> {
    let bytes =
        std::fs::read(path).map_err(|e| NodeError::Input(format!("{}: {e}", path.display())))?;
    Ok((
        hex::encode(pacific_tlog::entry::sha256(&bytes)),
        bytes.len() as u64,
    ))
}

fn read_json(path: &PathBuf) -> Result<Value, NodeError> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(path)
    }
    .map_err(|e| NodeError::Input(format!("{}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| invalid_body(&path.display().to_string(), e))
}

/// A body that is not JSON, refused before it is sent, in the words and with the label the
/// node gives a body it cannot read (`invalid body: … (422, coop-invalid)`).
fn invalid_body(what: &str, e: serde_json::Error) -> NodeError {
    NodeError::Input(format!(
        "invalid body: {what} is not JSON: {e} (not sent, coop-invalid)"
    ))
}

/// The fields of `request new` given as flags.
struct SpecFlags {
    to: Option<String>,
    urgency: Option<String>,
    title: Option<String>,
    kind: Option<String>,
    fields: Vec<String>,
    evidence: Vec<String>,
    deadline: Option<String>,
}

/// The details fields that are lists (given as comma-separated items) and booleans.
const LIST_FIELDS: [&str; 2] = ["data_categories", "targets"];
const BOOL_FIELDS: [&str; 1] = ["mla_intent"];

impl SpecFlags {
    /// `spec` (a JSON object: the file's, or empty) with the flags' fields set over it. The
    /// node checks the result (fields missing, unknown or of the wrong kind, by name).
    fn apply(self, mut spec: Value) -> Result<Value, NodeError> {
        let Value::Object(map) = &mut spec else {
            return Err(NodeError::Input(
                "the request spec must be a JSON object (see docs/cooperation.md)".into(),
            ));
        };
        for (key, value) in [
            ("recipient", self.to),
            ("urgency", self.urgency),
            ("title", self.title),
            ("requested_deadline", self.deadline),
        ] {
            if let Some(v) = value {
                map.insert(key.into(), Value::String(v));
            }
        }
        if !self.evidence.is_empty() {
            let refs = map
                .entry("evidence_refs")
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(a) = refs {
                a.extend(self.evidence.into_iter().map(Value::String));
            }
        }
        if self.kind.is_some() || !self.fields.is_empty() {
            let details = map
                .entry("details")
                .or_insert_with(|| Value::Object(Default::default()));
            let Value::Object(details) = details else {
                return Err(NodeError::Input(
                    "the spec's details must be a JSON object (see docs/cooperation.md)".into(),
                ));
            };
            if let Some(kind) = self.kind {
                details.insert("kind".into(), Value::String(kind));
            }
            for field in self.fields {
                let Some((name, value)) = field.split_once('=') else {
                    return Err(NodeError::Input(format!(
                        "--field {field:?}: expected NAME=VALUE, e.g. --field question='…'"
                    )));
                };
                let value = if LIST_FIELDS.contains(&name) {
                    Value::Array(
                        value
                            .split(',')
                            .map(|v| Value::String(v.trim().to_owned()))
                            .collect(),
                    )
                } else if BOOL_FIELDS.contains(&name) {
                    match value {
                        "true" => Value::Bool(true),
                        "false" => Value::Bool(false),
                        _ => {
                            return Err(NodeError::Input(format!(
                                "--field {name}={value}: expected true or false"
                            )));
                        }
                    }
                } else {
                    Value::String(value.to_owned())
                };
                details.insert(name.to_owned(), value);
            }
        }
        Ok(spec)
    }
}

pub async fn request(cmd: RequestCommand) -> Result<ExitCode, NodeError> {
    use RequestAction as A;
    use RequestCommand as C;
    let (api, id, action) = match cmd {
        C::New {
            api,
            spec,
            mut to,
            about,
            about_role,
            urgency,
            title,
            kind,
            fields,
            evidence,
            deadline,
        } => {
            if let Some(about) = about {
                let party =
                    crate::registry::responsible(&api.url, &api.token, &about, about_role).await?;
                println!("{about}: {party} answers as {about_role} (jurisdiction registry)");
                to = Some(party);
            }
            let base = match &spec {
                Some(path) => read_json(path)?,
                None => Value::Object(Default::default()),
            };
            let flags = SpecFlags {
                to,
                urgency,
                title,
                kind,
                fields,
                evidence,
                deadline,
            };
            let v = api.client().new_request(flags.apply(base)?).await?;
            print_request(&v);
            return Ok(ExitCode::SUCCESS);
        }
        C::List { api } => {
            let v = api.client().requests().await?;
            for r in v["requests"].as_array().into_iter().flatten() {
                println!(
                    "{}  {:<22} {:<9} {:<19} {} → {}  {}",
                    text(r, "id"),
                    text(r, "state"),
                    text(r, "urgency"),
                    text(r, "kind"),
                    text(r, "requester"),
                    text(r, "recipient"),
                    text(r, "title")
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        C::Show { api, id, json } => {
            show(&api.client().request(&id).await?, json, print_request);
            return Ok(ExitCode::SUCCESS);
        }
        C::Send { api, id } => (api, id, A::Send),
        C::Ack { api, id } => (api, id, A::Acknowledge),
        C::Start { api, id } => (api, id, A::Start),
        C::Answer {
            api,
            id,
            note,
            partial,
            preserved_until,
        } => (
            api,
            id,
            A::Answer {
                partial,
                note,
                preserved_until,
            },
        ),
        C::Decline {
            api,
            id,
            ground,
            reason,
        } => (api, id, A::Decline { ground, reason }),
        C::Withdraw { api, id, reason } => (api, id, A::Withdraw { reason }),
        C::Ask { api, id, question } => (api, id, A::Ask { question }),
        C::Provide {
            api,
            id,
            text,
            attach,
        } => {
            let attachments = attach
                .iter()
                .map(|p| {
                    let (sha256, size) = digest(p)?;
                    let name = p
                        .file_name()
                        .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into());
                    Ok(AttachmentRef { sha256, size, name })
                })
                .collect::<Result<Vec<_>, NodeError>>()?;
            (api, id, A::Provide { text, attachments })
        }
        C::Custody {
            api,
            id,
            attachment,
            file,
        } => {
            let (observed_sha256, observed_size) = digest(&file)?;
            (
                api,
                id,
                A::Custody {
                    attachment,
                    observed_sha256,
                    observed_size,
                },
            )
        }
        C::Extend { api, id, until } => (api, id, A::Extend { until }),
    };
    let v = api.client().act_on_request(&id, &action).await?;
    print_request(&v);
    Ok(ExitCode::SUCCESS)
}

pub async fn hotline(cmd: HotlineCommand) -> Result<ExitCode, NodeError> {
    match cmd {
        HotlineCommand::Show { api } => {
            let v = api.client().hotline().await?;
            for e in v["escalations"].as_array().into_iter().flatten() {
                let esc = &e["escalation"];
                let status = escalation_status(esc);
                println!(
                    "{}  {} → {}  {} pushes  {status}  {}",
                    text(e, "request"),
                    text(e, "requester"),
                    text(e, "recipient"),
                    esc["attempts"],
                    text(e, "title")
                );
            }
        }
        HotlineCommand::Contacts { api } => {
            let v = api.client().contacts().await?;
            for c in v["contacts"].as_array().into_iter().flatten() {
                println!(
                    "{:<12} {}  {} {}",
                    text(c, "party"),
                    text(c, "name"),
                    text(&c["channel"], "medium"),
                    text(&c["channel"], "address")
                );
            }
        }
        HotlineCommand::Declare {
            api,
            name,
            medium,
            address,
        } => {
            let v = api
                .client()
                .declare_contact(&name, &medium, &address)
                .await?;
            println!(
                "Hotline contact of {}: {}",
                text(&v["record"], "party"),
                text(&v["record"], "name")
            );
        }
        HotlineCommand::Ping { api, to } => {
            let v = api.client().ping(&to).await?;
            println!(
                "{}  ping to {}'s hotline sent; times out at {}",
                text(&v["ping"], "id"),
                text(&v["ping"], "party"),
                text(&v["ping"], "timeout_at")
            );
        }
        HotlineCommand::Pings { api } => {
            let v = api.client().pings().await?;
            for p in v["pings"].as_array().into_iter().flatten() {
                let o = &p["outcome"];
                let outcome = match o["status"].as_str() {
                    Some("answered") => format!(
                        "answered at {} by {} after {:.1} s",
                        text(o, "at"),
                        text(o, "by"),
                        p["response_secs"].as_f64().unwrap_or(0.0)
                    ),
                    Some("timed-out") => format!("TIMED OUT at {}", text(o, "at")),
                    _ => format!("pending until {}", text(p, "timeout_at")),
                };
                println!(
                    "{}  {} → {}  sent {}  {outcome}",
                    text(p, "id"),
                    text(p, "sender"),
                    text(p, "party"),
                    text(p, "sent_at")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A consultation in a few lines.
pub fn print_consultation(v: &Value) {
    let c = &v["record"];
    println!("{}", text(c, "id"));
    let names = |v: &Value| -> String {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "  {} (convened by {}, with {})",
        text(c, "topic"),
        text(c, "convener"),
        names(&c["participants"])
    );
    println!("  state     {}", text(c, "state"));
    for (i, item) in c["agenda"].as_array().into_iter().flatten().enumerate() {
        println!("  agenda {}  {}", i + 1, item.as_str().unwrap_or("-"));
    }
    for m in c["messages"].as_array().into_iter().flatten() {
        println!(
            "  {}  {}: {}",
            text(m, "at"),
            text(m, "by"),
            text(m, "text")
        );
    }
    let refs = names(&c["object_refs"]);
    if !refs.is_empty() {
        println!("  objects   {refs}");
    }
    if let Some(m) = c["minutes"].as_object() {
        let signed: Vec<&str> = m
            .get("signatures")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| s["party"].as_str())
            .collect();
        println!(
            "  minutes v{} by {}: {}",
            m["version"],
            m["proposed_by"].as_str().unwrap_or("-"),
            m["text"].as_str().unwrap_or("")
        );
        println!(
            "  signed by {}",
            if signed.is_empty() {
                "nobody yet".to_owned()
            } else {
                signed.join(", ")
            }
        );
    }
    print_refused(v);
}

pub async fn consult(cmd: ConsultCommand) -> Result<ExitCode, NodeError> {
    use ConsultCommand as C;
    use ConsultationAction as A;
    let (api, id, action) = match cmd {
        C::Open {
            api,
            topic,
            with,
            agenda,
        } => {
            let v = api
                .client()
                .open_consultation(&topic, &with, &agenda)
                .await?;
            print_consultation(&v);
            return Ok(ExitCode::SUCCESS);
        }
        C::List { api } => {
            let v = api.client().consultations().await?;
            for c in v["consultations"].as_array().into_iter().flatten() {
                let parties: Vec<&str> = c["participants"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                println!(
                    "{}  {:<6} {:<24} {}",
                    text(c, "id"),
                    text(c, "state"),
                    parties.join(","),
                    text(c, "topic")
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        C::Show { api, id, json } => {
            show(
                &api.client().consultation(&id).await?,
                json,
                print_consultation,
            );
            return Ok(ExitCode::SUCCESS);
        }
        C::Agenda { api, id, item } => (api, id, A::Agenda { item }),
        C::Post {
            api,
            id,
            text,
            refs,
        } => (
            api,
            id,
            A::Post {
                text,
                object_refs: refs,
            },
        ),
        C::Attach { api, id, refs } => (api, id, A::Attach { object_refs: refs }),
        C::Minutes { api, id, text } => (api, id, A::ProposeMinutes { text }),
        C::Sign { api, id, version } => (api, id, A::SignMinutes { version }),
    };
    let v = api.client().act_on_consultation(&id, &action).await?;
    print_consultation(&v);
    Ok(ExitCode::SUCCESS)
}

pub async fn dispute(cmd: DisputeCommand) -> Result<ExitCode, NodeError> {
    match cmd {
        DisputeCommand::Open {
            api,
            respondent,
            subject,
            claim,
            evidence,
        } => {
            let v = api
                .client()
                .open_dispute(&respondent, &subject, &claim, &evidence)
                .await?;
            print_dispute(&v);
        }
        DisputeCommand::List { api } => {
            let v = api.client().disputes().await?;
            for d in v["disputes"].as_array().into_iter().flatten() {
                println!(
                    "{}  {:<12} {} v {}  {}",
                    text(d, "id"),
                    text(d, "stage"),
                    text(d, "claimant"),
                    text(d, "respondent"),
                    text(d, "subject")
                );
            }
        }
        DisputeCommand::Show { api, id, json } => {
            show(&api.client().dispute(&id).await?, json, print_dispute);
        }
        DisputeCommand::Step {
            api,
            id,
            action,
            body,
        } => {
            let body: Value = serde_json::from_str(&body).map_err(|e| invalid_body("BODY", e))?;
            let v = api.client().act_on_dispute(&id, &action, body).await?;
            print_dispute(&v);
        }
    }
    Ok(ExitCode::SUCCESS)
}
