//! The data directory on disk: private to its owner whatever the umask.

/// Regression: `pacific.db`, its `-wal` and `-shm` were 0644 and the directory 0755, so any
/// local account could read TLP:RED content and the token hashes.
#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_its_database_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;

    use pacific_core::party::StakeholderType;
    use pacific_node::DataDir;
    use pacific_node::datadir::InitOptions;

    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("node"));
    // A permissive directory made beforehand, as a careless umask or an admin would leave it.
    std::fs::create_dir_all(dir.root()).unwrap();
    std::fs::set_permissions(dir.root(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir.init(&InitOptions {
        name: "Private CERT".into(),
        stakeholder_type: StakeholderType::State,
        jurisdiction: Some("XA".into()),
        listen: None,
    })
    .await
    .unwrap();
    // Written to, so the WAL and shared-memory files exist.
    let store = dir.open_store().await.unwrap();
    pacific_node::auth::add_user(store.as_ref(), "ana", pacific_core::access::Role::Reader)
        .await
        .unwrap();
    assert_eq!(mode(dir.root()), 0o700, "the data directory");
    assert_eq!(mode(&dir.root().join("tls")), 0o700, "tls/");
    let db = dir.db_path();
    assert_eq!(mode(&db), 0o600, "the database");
    for suffix in ["-wal", "-shm"] {
        let mut name = db.clone().into_os_string();
        name.push(suffix);
        let path = std::path::PathBuf::from(name);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
    assert_eq!(
        mode(&dir.root().join("identity.key")),
        0o600,
        "the identity key"
    );

    // A database left readable by an older version is made private when the node opens it.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(dir.root(), std::fs::Permissions::from_mode(0o755)).unwrap();
    drop(dir.open_store().await.unwrap());
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(dir.root()), 0o700);
}

/// A secret written for a user (the demo's token files) is the owner's only, also when it
/// replaces a readable file.
#[cfg(unix)]
#[test]
fn secrets_are_written_private_even_over_a_readable_file() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("token");
    std::fs::write(&path, "old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    pacific_node::datadir::write_secret(&path, b"pac_new").unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "pac_new");
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

/// Regression: two `pacific node` on one data directory both started. The second is refused
/// with the first one's PID while it serves, and starts once the first has stopped.
#[tokio::test]
async fn one_node_serves_a_data_directory_at_a_time() {
    use pacific_core::party::StakeholderType;
    use pacific_node::datadir::InitOptions;
    use pacific_node::{DataDir, Node};

    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("node"));
    dir.init(&InitOptions {
        name: "Single CERT".into(),
        stakeholder_type: StakeholderType::State,
        jurisdiction: Some("XA".into()),
        listen: None,
    })
    .await
    .unwrap();
    let listen = || std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let first = Node::open(&dir).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(first.serve(listen(), async {
        let _ = stopped.await;
    }));
    // Wait until the first holds the lock (it takes it as it starts serving).
    let lock = dir.root().join(pacific_node::datadir::NODE_LOCK_FILE);
    for _ in 0..200 {
        if std::fs::read_to_string(&lock).is_ok_and(|pid| !pid.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let second = Node::open(&dir).await.unwrap();
    let err = second
        .serve(listen(), async {})
        .await
        .expect_err("a second node on the same data directory");
    let message = err.to_string();
    assert!(message.contains("already serves"), "{message}");
    assert!(
        message.contains(&std::process::id().to_string()),
        "the message names the serving process: {message}"
    );
    stop.send(()).unwrap();
    serving.await.unwrap().unwrap();
    // Free again once the first has stopped.
    let third = Node::open(&dir).await.unwrap();
    third.serve(listen(), async {}).await.unwrap();
}

/// Regression: statuses of POSTs in flight at a SIGKILL stayed `pending` forever although part
/// of their objects were stored. The next start completes them: what was stored succeeded,
/// the rest failed, to be posted again.
#[tokio::test]
async fn a_status_left_pending_by_a_stop_is_completed_at_the_next_start() {
    use pacific_core::StixObject;
    use pacific_core::party::StakeholderType;
    use pacific_core::taxii::{Status, StatusDetail, StatusState};
    use pacific_node::datadir::InitOptions;
    use pacific_node::{DataDir, Node};

    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("node"));
    let report = dir
        .init(&InitOptions {
            name: "Crash CERT".into(),
            stakeholder_type: StakeholderType::State,
            jurisdiction: Some("XA".into()),
            listen: None,
        })
        .await
        .unwrap();
    let indicator = |id: &str| {
        serde_json::json!({
            "type": "indicator", "spec_version": "2.1", "id": id,
            "created": "2026-02-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
            "pattern": "[ipv4-addr:value = '203.0.113.5']", "pattern_type": "stix",
            "valid_from": "2026-02-01T00:00:00.000Z"
        })
    };
    let stored = format!("indicator--{}", pacific_node::new_uuid());
    let lost = format!("indicator--{}", pacific_node::new_uuid());
    let store = dir.open_store().await.unwrap();
    // What the killed node had done: one object stored, the status still pending for both.
    store
        .add_objects(
            &report.default_collection.id,
            &[StixObject::from_value(indicator(&stored)).unwrap()],
        )
        .await
        .unwrap();
    let detail = |id: &str| StatusDetail {
        id: id.to_owned(),
        version: "2026-02-01T00:00:00.000Z".into(),
        message: None,
    };
    let pending = Status {
        id: pacific_node::new_uuid(),
        status: StatusState::Pending,
        request_timestamp: pacific_core::Timestamp::now(),
        total_count: 2,
        success_count: 0,
        successes: vec![],
        failure_count: 0,
        failures: vec![],
        pending_count: 2,
        pendings: vec![detail(&stored), detail(&lost)],
    };
    store.put_status(&pending).await.unwrap();
    drop(store);

    // The next start (serving takes the directory, then completes what was left pending).
    let node = Node::open(&dir).await.unwrap();
    let store = std::sync::Arc::clone(node.state().store());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    node.serve(listener, async {}).await.unwrap();
    let status = store.status(&pending.id).await.unwrap().unwrap();
    assert_eq!(status.status, StatusState::Complete, "{status:?}");
    assert_eq!(
        (
            status.success_count,
            status.failure_count,
            status.pending_count
        ),
        (1, 1, 0)
    );
    assert_eq!(status.successes[0].id, stored);
    assert_eq!(status.failures[0].id, lost);
    assert!(
        status.failures[0]
            .message
            .as_deref()
            .unwrap()
            .contains("post it again")
    );
}
