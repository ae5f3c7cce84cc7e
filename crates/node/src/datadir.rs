//! A node's data directory: configuration, SQLite database, Ed25519 identity key and TLS
//! certificate, all in one folder that belongs to the party.
//!
//! ```text
//! <data>/pacific.toml     configuration
//! <data>/pacific.db       SQLite database (+ -wal, -shm)
//! <data>/identity.key     Ed25519 secret key, hex, mode 0600
//! <data>/tls/cert.pem     self-signed certificate (for listening off loopback)
//! <data>/tls/key.pem      its private key, mode 0600
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use pacific_core::party::StakeholderType;
use pacific_store::{Collection, SqliteStore, Store};

use crate::NodeError;
use crate::config::{CONFIG_FILE, Config, PartyConfig};

/// The export policy's file in the data directory.
pub const POLICY_FILE: &str = "policy.toml";

/// The policy `init` writes: CLEAR and GREEN threat intelligence goes to federation members;
/// everything else stays (markings still apply on top).
pub const DEFAULT_POLICY: &str = r#"# This node's export policy (semantics: docs/policy.md). Nothing leaves unless a rule allows it,
# and no rule can let go what an object's markings hold back.
default = "deny"
default_tlp = "amber"

[[rules]]
name = "share-clear-and-green-threat-intelligence"
description = "TLP:CLEAR and TLP:GREEN threat intelligence goes to the federation's members."
action = "allow"
tlp = ["clear", "green"]
types = [
  "indicator", "malware", "attack-pattern", "infrastructure", "campaign", "intrusion-set",
  "threat-actor", "tool", "vulnerability", "course-of-action", "report", "note", "sighting",
  "observed-data", "relationship", "marking-definition",
  "ipv4-addr", "ipv6-addr", "domain-name", "url", "file",
]

[[rules]]
name = "cooperation-acts-to-their-parties"
description = "Acts on cooperation records (requests, the hotline, consultations, disputes) go to the parties they name; their markings (TLP:AMBER, x_pacific_recipients) keep them from anyone else."
action = "allow"
types = ["x-pacific-coop-event"]

[[rules]]
name = "governance-acts-to-members"
description = "Governance acts (proposals, comments, amendments, votes, withdrawals) go to the federation's members: they are TLP:GREEN, and the register is TLP:GREEN's community."
action = "allow"
types = ["x-pacific-gov-act"]
"#;

const DB_FILE: &str = "pacific.db";
const KEY_FILE: &str = "identity.key";
/// The lock file of the node serving the directory, holding its PID.
pub const NODE_LOCK_FILE: &str = "node.lock";

/// What `init` needs to know.
#[derive(Clone, Debug)]
pub struct InitOptions {
    pub name: String,
    pub stakeholder_type: StakeholderType,
    pub jurisdiction: Option<String>,
    pub listen: Option<std::net::SocketAddr>,
}

/// What `init` made.
#[derive(Clone, Debug)]
pub struct InitReport {
    pub public_key_hex: String,
    pub default_collection: Collection,
}

#[derive(Clone, Debug)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn db_path(&self) -> PathBuf {
        self.root.join(DB_FILE)
    }

    pub fn is_initialised(&self) -> bool {
        self.root.join(CONFIG_FILE).exists()
    }

    /// Creates a new node's data directory. Refuses to touch one that is already initialised.
    pub async fn init(&self, options: &InitOptions) -> Result<InitReport, NodeError> {
        if self.is_initialised() {
            return Err(NodeError::Setup(format!(
                "{} is already initialised (it holds {CONFIG_FILE}); choose another --data directory",
                self.root.display()
            )));
        }
        let mut config = Config {
            party: PartyConfig {
                name: options.name.clone(),
                stakeholder_type: options.stakeholder_type,
                jurisdiction: options.jurisdiction.clone(),
            },
            server: Default::default(),
            tls: Default::default(),
            log: Default::default(),
            federation: Default::default(),
            coop: Default::default(),
            governance: Default::default(),
            matching: Default::default(),
        };
        if let Some(listen) = options.listen {
            config.server.listen = listen;
            config.tls.enabled = !listen.ip().is_loopback();
        }
        config
            .check()
            .map_err(|e| NodeError::Setup(e.to_string()))?;
        std::fs::create_dir_all(self.root.join("tls"))
            .map_err(|e| self.io_error("create", &self.root, e))?;
        self.make_private()?;

        let key = SigningKey::from_bytes(&crate::random_bytes::<32>());
        write_private(
            &self.root.join(KEY_FILE),
            hex::encode(key.to_bytes()).as_bytes(),
        )
        .map_err(|e| self.io_error("write", &self.root.join(KEY_FILE), e))?;

        let (cert_pem, key_pem) = self_signed_certificate(&options.name)?;
        let cert_path = self.root.join(&config.tls.cert);
        std::fs::write(&cert_path, cert_pem).map_err(|e| self.io_error("write", &cert_path, e))?;
        let tls_key_path = self.root.join(&config.tls.key);
        write_private(&tls_key_path, key_pem.as_bytes())
            .map_err(|e| self.io_error("write", &tls_key_path, e))?;

        let store = self.open_store().await?;
        let default_collection = Collection {
            id: crate::new_uuid(),
            title: "Shared intelligence".into(),
            description: Some(format!("Threat intelligence shared by {}", options.name)),
            alias: Some("default".into()),
        };
        store.create_collection(&default_collection).await?;

        let policy_path = self.root.join(POLICY_FILE);
        std::fs::write(&policy_path, DEFAULT_POLICY)
            .map_err(|e| self.io_error("write", &policy_path, e))?;

        // The configuration is written last: its presence marks a complete data directory.
        let config_path = self.root.join(CONFIG_FILE);
        std::fs::write(&config_path, config.to_toml())
            .map_err(|e| self.io_error("write", &config_path, e))?;
        Ok(InitReport {
            public_key_hex: hex::encode(key.verifying_key().to_bytes()),
            default_collection,
        })
    }

    pub fn load_config(&self) -> Result<Config, NodeError> {
        if !self.is_initialised() {
            return Err(self.not_initialised());
        }
        Config::load(&self.root).map_err(|e| NodeError::Setup(e.to_string()))
    }

    /// Opens (creating if needed) the node's SQLite database, readable by its owner only.
    pub async fn open_store(&self) -> Result<Arc<dyn Store>, NodeError> {
        let db = self.db_path();
        // Created empty (a valid empty database) with mode 0600 first: SQLite gives its WAL and
        // shared-memory files the database file's mode.
        if !db.exists() {
            write_private(&db, b"").map_err(|e| self.io_error("create", &db, e))?;
        }
        let store = SqliteStore::open(&db).await?;
        self.make_private()?;
        Ok(Arc::new(store))
    }

    /// The data directory and its `tls/` folder 0700, and the database with its WAL and
    /// shared-memory files 0600, whatever the umask was when they were made: they hold
    /// TLP:RED content and the token hashes. (The keys are written 0600 from the start.)
    pub fn make_private(&self) -> Result<(), NodeError> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let set = |path: &Path, mode: u32| match std::fs::set_permissions(
                path,
                std::fs::Permissions::from_mode(mode),
            ) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(self.io_error("restrict the permissions of", path, e))
                }
                _ => Ok(()),
            };
            set(&self.root, 0o700)?;
            set(&self.root.join("tls"), 0o700)?;
            let db = self.db_path();
            for suffix in ["", "-wal", "-shm"] {
                let mut name = db.clone().into_os_string();
                name.push(suffix);
                set(Path::new(&name), 0o600)?;
            }
        }
        Ok(())
    }

    /// The node's Ed25519 identity.
    pub fn load_identity(&self) -> Result<SigningKey, NodeError> {
        let path = self.root.join(KEY_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| self.io_error("read", &path, e))?;
        let bytes: [u8; 32] = hex::decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                NodeError::Setup(format!(
                    "{} is not a hex Ed25519 secret key",
                    path.display()
                ))
            })?;
        Ok(SigningKey::from_bytes(&bytes))
    }

    pub fn not_initialised(&self) -> NodeError {
        NodeError::Setup(format!(
            "{} is not a Pacific data directory (no {CONFIG_FILE}); run `pacific init --data {}` first",
            self.root.display(),
            self.root.display()
        ))
    }

    fn io_error(&self, action: &str, path: &Path, e: std::io::Error) -> NodeError {
        NodeError::Setup(format!("cannot {action} {}: {e}", path.display()))
    }
}

/// The lock a serving node holds on its data directory (`node.lock`, with its PID), released
/// when dropped or when the process ends, however it ends.
#[derive(Debug)]
pub struct NodeLock {
    _file: std::fs::File,
}

impl DataDir {
    /// Takes the data directory for one serving node: a second `pacific node` on the same
    /// directory is refused with the PID of the one that serves it.
    pub fn lock_for_serving(&self) -> Result<NodeLock, NodeError> {
        use std::io::{Read, Seek};
        let path = self.root.join(NODE_LOCK_FILE);
        let mut options = std::fs::OpenOptions::new();
        options.create(true).truncate(false).read(true).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&path)
            .map_err(|e| self.io_error("open", &path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                return Err(NodeError::Setup(format!(
                    "another pacific node (pid {}) already serves {}; stop it first, or choose another --data directory",
                    pid.trim(),
                    self.root.display()
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(self.io_error("lock", &path, e));
            }
        }
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(std::process::id().to_string().as_bytes()))
            .map_err(|e| self.io_error("write", &path, e))?;
        Ok(NodeLock { _file: file })
    }
}

impl DataDir {
    /// The PID of the node serving this directory, if one does (it holds `node.lock`).
    pub fn serving_pid(&self) -> Option<u32> {
        use std::io::Read;
        let path = self.root.join(NODE_LOCK_FILE);
        let mut file = std::fs::File::open(&path).ok()?;
        match file.try_lock_shared() {
            // Nobody holds it: no node serves (the lock is released when this handle drops).
            Ok(()) => None,
            Err(_) => {
                let mut pid = String::new();
                file.read_to_string(&mut pid).ok()?;
                pid.trim().parse().ok()
            }
        }
    }
}

impl DataDir {
    /// Asks the node serving this directory, if one does, to read its export policy again
    /// (SIGHUP, see `crate::federation::policy_reload`); its PID, or `None` when no node serves.
    pub fn signal_policy_reload(&self) -> Result<Option<u32>, NodeError> {
        let Some(pid) = self.serving_pid() else {
            return Ok(None);
        };
        #[cfg(unix)]
        {
            let target = i32::try_from(pid)
                .ok()
                .and_then(rustix::process::Pid::from_raw)
                .ok_or_else(|| NodeError::Setup(format!("node.lock names no process: {pid}")))?;
            rustix::process::kill_process(target, rustix::process::Signal::HUP).map_err(|e| {
                NodeError::Setup(format!("cannot signal the node (pid {pid}): {e}"))
            })?;
            Ok(Some(pid))
        }
        #[cfg(not(unix))]
        Err(NodeError::Setup(format!(
            "a node (pid {pid}) serves this directory; restart it to apply the policy"
        )))
    }
}

/// Writes a secret (a token, say) to a file readable by its owner only, replacing the file if
/// there is one.
pub fn write_secret(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    write_private(path, contents)
}

/// Replaces `path` with `contents` whole or not at all (a new private file renamed over it), so
/// a crash never leaves half a file.
pub fn write_private_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    write_secret(&tmp, contents)?;
    std::fs::rename(&tmp, path)
}

/// Writes a new file readable by its owner only.
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// A self-signed certificate for `localhost`, 127.0.0.1 and ::1, named after the party.
fn self_signed_certificate(party: &str) -> Result<(String, String), NodeError> {
    let mut params = rcgen::CertificateParams::new(vec![
        "localhost".to_string(),
        "127.0.0.1".into(),
        "::1".into(),
    ])
    .map_err(|e| NodeError::Setup(format!("cannot make a TLS certificate: {e}")))?;
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        format!("Pacific node of {party}"),
    );
    let key = rcgen::KeyPair::generate()
        .map_err(|e| NodeError::Setup(format!("cannot make a TLS key: {e}")))?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| NodeError::Setup(format!("cannot sign the TLS certificate: {e}")))?;
    Ok((cert.pem(), key.serialize_pem()))
}
