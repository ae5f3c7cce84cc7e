//! `pacific registry …`: the jurisdiction registry. `import` reads the formats operators already
//! have (RIR delegated-extended statistics, RFC 8805 geofeeds, `start,end,country` ranges) with
//! `pacific_registry::import` and shows what would be claimed (`--dry-run`, no node needed);
//! every other command goes through a running node's `/registry/` API with a user's token
//! (`pacific_node::client::RegistryClient`): every user reads, a delegate or an admin claims.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgGroup, Args, Subcommand};
use pacific_core::Timestamp;
use pacific_node::NodeError;
use pacific_node::client::{ClientError, RegistryClient};
use pacific_node::wire::registry::{ClaimBody, MarkBody};
use pacific_registry::claim::{Contact, Role};
use pacific_registry::import::{self, ImportOptions, Imported};
use serde_json::Value;

use crate::coop::{show, text};

/// Where the node is and who asks.
#[derive(Args, Clone)]
pub struct RegistryApi {
    /// The node's base URL.
    #[arg(long, env = "PACIFIC_URL", default_value = "http://127.0.0.1:9001")]
    url: String,
    /// API token of a user of that node (a delegate or an admin claims, every user reads).
    #[arg(long, env = "PACIFIC_TOKEN")]
    token: Option<String>,
}

impl RegistryApi {
    fn client(&self) -> Result<RegistryClient, NodeError> {
        let token = self.token.as_deref().ok_or_else(|| {
            NodeError::Input("this command asks the node: give --token (or PACIFIC_TOKEN)".into())
        })?;
        Ok(RegistryClient::new(&self.url, token))
    }
}

/// The 24/7 contact of a claim.
#[derive(Args, Clone)]
pub struct ContactArgs {
    /// Who answers, e.g. "CERT-XA duty officer".
    #[arg(long = "contact-name")]
    name: String,
    /// E-mail address of the 24/7 contact.
    #[arg(long = "contact-email")]
    email: Option<String>,
    /// Telephone number of the 24/7 contact, international form (+CC …).
    #[arg(long = "contact-phone")]
    phone: Option<String>,
}

impl From<ContactArgs> for Contact {
    fn from(c: ContactArgs) -> Self {
        Contact {
            name: c.name,
            email: c.email,
            phone: c.phone,
        }
    }
}

#[derive(Subcommand)]
pub enum RegistryCommand {
    /// Every claim this node holds: id, party, role, what it covers, whether revoked.
    Claims {
        #[command(flatten)]
        api: RegistryApi,
        /// Print the JSON the node answered.
        #[arg(long)]
        json: bool,
    },
    /// One claim with its resources and conflicts.
    Show {
        #[command(flatten)]
        api: RegistryApi,
        /// The claim's id (x-pacific-resource-claim--…).
        id: String,
        /// Print the JSON the node answered.
        #[arg(long)]
        json: bool,
    },
    /// Claim resources for this party: prefixes, AS numbers or ranges, domain suffixes.
    Claim {
        #[command(flatten)]
        api: RegistryApi,
        /// jurisdiction (a state), operator (runs them) or contact (handles abuse for them).
        #[arg(long)]
        role: Role,
        /// A resource: 203.0.113.0/24, 2001:db8::/32, AS64500, AS64500-AS64511 or example.xa
        /// (repeat the flag for several).
        #[arg(long = "resource", required = true)]
        resources: Vec<String>,
        #[command(flatten)]
        contact: ContactArgs,
        /// When the claim lapses (RFC 3339); default: until revoked.
        #[arg(long)]
        valid_until: Option<Timestamp>,
        /// What the claim rests on, one line (repeat for several).
        #[arg(long)]
        evidence: Vec<String>,
    },
    /// Claim a country's resources from a file operators already have; --dry-run shows what
    /// would be claimed, with totals and refused lines, without asking the node.
    Import(ImportArgs),
    /// Check a claim against delegation data this node holds: corroborated when the data
    /// covers all it claims, contradicted otherwise (with what is not covered). The mark is
    /// kept on this node, naming the file; it never leaves it.
    Corroborate {
        #[command(flatten)]
        api: RegistryApi,
        /// The claim's id (x-pacific-resource-claim--…).
        id: String,
        #[command(flatten)]
        file: DataFile,
        /// Only the file's lines of this ISO 3166 country code (e.g. the claiming state's).
        #[arg(long)]
        cc: Option<String>,
    },
    /// Revoke one of this party's claims.
    Revoke {
        #[command(flatten)]
        api: RegistryApi,
        /// The claim's id (x-pacific-resource-claim--…).
        id: String,
    },
    /// Who answers for an address, an AS number (AS64500) or a domain name: the most
    /// specific claim per role, its party and 24/7 contact, and any conflict.
    Lookup {
        #[command(flatten)]
        api: RegistryApi,
        /// An address (203.0.113.5, 2001:db8::1), an AS number (AS64500) or a domain name.
        query: String,
        /// Print the JSON the node answered.
        #[arg(long)]
        json: bool,
    },
    /// Claims of the same role by different parties over overlapping resources.
    Conflicts {
        #[command(flatten)]
        api: RegistryApi,
        /// Print the JSON the node answered.
        #[arg(long)]
        json: bool,
    },
}

/// A file of delegation data, in one of the formats operators have.
#[derive(Args)]
#[command(group(ArgGroup::new("source").required(true).args(["delegated", "geofeed", "ranges"])))]
pub struct DataFile {
    /// An RIR delegated-extended statistics file (registry|cc|type|start|value|date|status…).
    #[arg(long)]
    delegated: Option<PathBuf>,
    /// An RFC 8805 geofeed (prefix,country,region,city,postal).
    #[arg(long)]
    geofeed: Option<PathBuf>,
    /// A start,end,country range CSV (IPv4 or IPv6).
    #[arg(long)]
    ranges: Option<PathBuf>,
}

impl DataFile {
    /// Reads the file's lines of `options.country` (all without one), printing the summary and
    /// the first refused lines.
    fn read(&self, options: &ImportOptions) -> Result<(PathBuf, Imported), NodeError> {
        let (path, read): (&PathBuf, fn(&str, &ImportOptions) -> Imported) =
            match (&self.delegated, &self.geofeed, &self.ranges) {
                (Some(p), _, _) => (p, import::delegated),
                (_, Some(p), _) => (p, import::geofeed),
                (_, _, Some(p)) => (p, import::ranges),
                _ => unreachable!("clap requires one source"),
            };
        let bytes = std::fs::read(path)
            .map_err(|e| NodeError::Input(format!("cannot read {}: {e}", path.display())))?;
        let imported = read(&String::from_utf8_lossy(&bytes), options);
        println!("{}: {}", path.display(), imported.summary);
        for e in imported.errors.iter().take(SHOWN_ERRORS) {
            println!("  refused {e}");
        }
        if imported.errors.len() > SHOWN_ERRORS {
            println!(
                "  … and {} more refused lines",
                imported.errors.len() - SHOWN_ERRORS
            );
        }
        Ok((path.clone(), imported))
    }
}

#[derive(Args)]
pub struct ImportArgs {
    #[command(flatten)]
    api: RegistryApi,
    #[command(flatten)]
    file: DataFile,
    /// The ISO 3166 country code whose lines are claimed.
    #[arg(long)]
    cc: String,
    /// The role claimed (special-purpose space is refused for jurisdiction).
    #[arg(long, default_value = "jurisdiction")]
    role: Role,
    /// The 24/7 contact (required unless --dry-run).
    #[arg(long = "contact-name")]
    contact_name: Option<String>,
    /// E-mail address of the 24/7 contact.
    #[arg(long = "contact-email")]
    contact_email: Option<String>,
    /// Telephone number of the 24/7 contact, international form (+CC …).
    #[arg(long = "contact-phone")]
    contact_phone: Option<String>,
    /// When the claim lapses (RFC 3339); default: until revoked.
    #[arg(long)]
    valid_until: Option<Timestamp>,
    /// Show what would be claimed; store nothing.
    #[arg(long)]
    dry_run: bool,
}

/// A refusal of the node, with what to do when it is about who may claim.
fn refused(e: ClientError) -> NodeError {
    crate::gov::refused_unless(e, "claims for the party")
}

pub async fn run(cmd: RegistryCommand) -> Result<ExitCode, NodeError> {
    match cmd {
        RegistryCommand::Claims { api, json } => {
            let v = api.client()?.claims().await.map_err(refused)?;
            show(&v, json, print_claims);
        }
        RegistryCommand::Show { api, id, json } => {
            let v = api.client()?.claim(&id).await.map_err(refused)?;
            show(&v, json, print_claim);
        }
        RegistryCommand::Claim {
            api,
            role,
            resources,
            contact,
            valid_until,
            evidence,
        } => {
            let body = ClaimBody {
                role,
                resources,
                contact: contact.into(),
                valid_from: None,
                valid_until,
                evidence,
            };
            let v = api.client()?.make_claim(&body).await.map_err(refused)?;
            println!("claimed: {}", text(&v, "id"));
            print_claim(&v);
        }
        RegistryCommand::Import(args) => return import(args).await,
        RegistryCommand::Corroborate { api, id, file, cc } => {
            let options = ImportOptions {
                country: cc.map(|c| c.to_ascii_uppercase()),
                ..ImportOptions::default()
            };
            let (path, imported) = file.read(&options)?;
            let source = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            let body = MarkBody {
                source,
                data: imported.resources.iter().map(|r| r.to_string()).collect(),
            };
            let v = api.client()?.mark(&id, &body).await.map_err(refused)?;
            print_mark(&v);
        }
        RegistryCommand::Revoke { api, id } => {
            let v = api.client()?.revoke(&id).await.map_err(refused)?;
            println!(
                "revoked: {} (version {})",
                text(&v, "id"),
                text(&v, "modified")
            );
        }
        RegistryCommand::Lookup { api, query, json } => {
            let v = api.client()?.lookup(&query).await.map_err(refused)?;
            show(&v, json, print_lookup);
        }
        RegistryCommand::Conflicts { api, json } => {
            let v = api.client()?.conflicts().await.map_err(refused)?;
            show(&v, json, print_conflicts);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The party the registry names for `about` in `role`, for a request's recipient: refused
/// when no claim in force answers, when parties in conflict do, or when it is this party.
pub async fn responsible(
    url: &str,
    token: &str,
    about: &str,
    role: Role,
) -> Result<String, NodeError> {
    let v = RegistryClient::new(url, token)
        .lookup(about)
        .await
        .map_err(refused)?;
    let answers = list(&v["answers"]);
    let Some(answer) = answers.iter().find(|a| a["role"] == role.as_str()) else {
        let others: Vec<String> = answers
            .iter()
            .map(|a| format!("{} as {}", text(a, "party"), text(a, "role")))
            .collect();
        return Err(NodeError::Input(format!(
            "no party answers for {about} as {role} in the jurisdiction registry{}; give --to",
            if others.is_empty() {
                String::new()
            } else {
                format!(" (answering: {})", others.join(", "))
            }
        )));
    };
    let conflicts = list(&answer["conflicts"]);
    if !conflicts.is_empty() {
        let mut parties: Vec<&str> = conflicts
            .iter()
            .flat_map(|c| list(&c["parties"]))
            .filter_map(Value::as_str)
            .collect();
        parties.sort_unstable();
        parties.dedup();
        return Err(NodeError::Input(format!(
            "the claims over {about} as {role} are in conflict ({}): choose the recipient with --to",
            parties.join(", ")
        )));
    }
    Ok(text(answer, "party").to_owned())
}

/// Most refused lines printed by an import (all are counted).
const SHOWN_ERRORS: usize = 20;

async fn import(args: ImportArgs) -> Result<ExitCode, NodeError> {
    let options = ImportOptions {
        country: Some(args.cc.to_ascii_uppercase()),
        refuse_special: args.role == Role::Jurisdiction,
        keep_evidence: true,
    };
    let (path, imported) = args.file.read(&options)?;
    if imported.resources.is_empty() {
        return Err(NodeError::Input(format!(
            "nothing to claim: no usable line for country {} in {}",
            args.cc.to_ascii_uppercase(),
            path.display()
        )));
    }
    if args.dry_run {
        println!(
            "dry run: would claim {} resources as {}; nothing stored",
            imported.resources.len(),
            args.role
        );
        return Ok(ExitCode::SUCCESS);
    }
    let Some(name) = args.contact_name else {
        return Err(NodeError::Input(
            "a claim needs its 24/7 contact: --contact-name and --contact-email or --contact-phone"
                .into(),
        ));
    };
    let body = ClaimBody {
        role: args.role,
        resources: imported.resources.iter().map(|r| r.to_string()).collect(),
        contact: Contact {
            name,
            email: args.contact_email,
            phone: args.contact_phone,
        },
        valid_from: None,
        valid_until: args.valid_until,
        evidence: imported.evidence,
    };
    let v = args
        .api
        .client()?
        .make_claim(&body)
        .await
        .map_err(refused)?;
    println!("claimed: {}", text(&v, "id"));
    Ok(ExitCode::SUCCESS)
}

fn list(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

/// What a claim covers, in a few words.
fn coverage(c: &Value) -> String {
    let t = &c["totals"];
    let mut parts = Vec::new();
    for (key, unit) in [
        ("ipv4_prefixes", "IPv4 prefixes"),
        ("ipv6_prefixes", "IPv6 prefixes"),
        ("as_ranges", "AS ranges"),
        ("domains", "domain suffixes"),
    ] {
        if let Some(n) = t[key].as_u64().filter(|n| *n > 0) {
            parts.push(format!("{n} {unit}"));
        }
    }
    parts.join(", ")
}

fn print_claims(v: &Value) {
    if list(v).is_empty() {
        println!("no claims held");
    }
    for c in list(v) {
        println!(
            "{}  {:<12} {:<12} {}{}",
            text(c, "id"),
            text(c, "party"),
            text(c, "role"),
            coverage(c),
            if c["revoked"] == true {
                "  (revoked)"
            } else {
                ""
            }
        );
    }
}

fn print_claim(c: &Value) {
    println!("claim      {}", text(c, "id"));
    println!("party      {} as {}", text(c, "party"), text(c, "role"));
    println!(
        "contact    {} {} {}",
        text(&c["contact"], "name"),
        c["contact"]["email"].as_str().unwrap_or(""),
        c["contact"]["phone"].as_str().unwrap_or("")
    );
    println!(
        "valid      from {} until {}",
        text(c, "valid_from"),
        c["valid_until"].as_str().unwrap_or("revoked")
    );
    if c["revoked"] == true {
        println!("revoked    yes ({})", text(c, "modified"));
    }
    println!("covers     {}", coverage(c));
    for key in [
        "ipv4_prefixes",
        "ipv6_prefixes",
        "as_numbers",
        "domain_suffixes",
    ] {
        let items = list(&c[key]);
        if items.is_empty() {
            continue;
        }
        let shown: Vec<&str> = items.iter().take(8).filter_map(Value::as_str).collect();
        let more = items.len().saturating_sub(shown.len());
        println!(
            "  {key}: {}{}",
            shown.join(" "),
            if more > 0 {
                format!(" … (+{more})")
            } else {
                String::new()
            }
        );
    }
    for mark in list(&c["marks"]) {
        print!("mark       ");
        print_mark(mark);
    }
    for conflict in list(&c["conflicts"]) {
        print_conflict(conflict);
    }
}

fn print_mark(m: &Value) {
    println!(
        "{} (version {}): {} by {}",
        text(m, "claim"),
        text(m, "version"),
        text(m, "verdict"),
        text(m, "source")
    );
    let uncovered = list(&m["uncovered"]);
    if !uncovered.is_empty() {
        let shown: Vec<&str> = uncovered.iter().take(8).filter_map(Value::as_str).collect();
        println!(
            "  not covered: {}{}",
            shown.join(" "),
            if uncovered.len() > shown.len() {
                format!(" … (+{})", uncovered.len() - shown.len())
            } else {
                String::new()
            }
        );
    }
}

fn print_lookup(v: &Value) {
    let answers = list(&v["answers"]);
    if answers.is_empty() {
        println!("{}: no claim in force answers for it", text(v, "query"));
        return;
    }
    println!("{}:", text(v, "query"));
    for a in answers {
        let contact = &a["contact"];
        println!(
            "  {:<12} {:<12} via {} ({})  contact: {} {} {}",
            text(a, "role"),
            text(a, "party"),
            text(a, "resource"),
            text(a, "claim"),
            text(contact, "name"),
            contact["email"].as_str().unwrap_or(""),
            contact["phone"].as_str().unwrap_or("")
        );
        for conflict in list(&a["conflicts"]) {
            print_conflict(conflict);
        }
    }
}

fn print_conflict(c: &Value) {
    let parties = list(&c["parties"]);
    let claims = list(&c["claims"]);
    let s = |l: &[Value], i: usize| l.get(i).and_then(Value::as_str).unwrap_or("-").to_owned();
    println!(
        "    CONFLICT {}: {} ({}) and {} ({}) overlap at {} ({} overlaps)",
        text(c, "role"),
        s(parties, 0),
        s(claims, 0),
        s(parties, 1),
        s(claims, 1),
        text(c, "overlap"),
        c["overlaps"].as_u64().unwrap_or(0)
    );
}

fn print_conflicts(v: &Value) {
    if list(v).is_empty() {
        println!("no conflicts");
        return;
    }
    for c in list(v) {
        print_conflict(c);
    }
    println!(
        "to settle one: pacific dispute open --respondent PARTY --subject … --claim … --evidence CLAIM_ID --evidence CLAIM_ID"
    );
}
