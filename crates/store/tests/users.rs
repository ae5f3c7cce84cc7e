//! Users, tokens, grants and deletions: every change appends exactly its log entry in the same
//! transaction (the log grows by that entry and nothing else), a refused change appends nothing
//! and changes nothing, and the node never loses its last admin.

use crate::common;

use common::*;
use pacific_core::Timestamp;
use pacific_core::access::{CollectionGrant, Role};
use pacific_core::taxii::{ObjectQuery, VersionSelector};
use pacific_store::{NewToken, SqliteStore, Store, StoreError, User};
use pacific_tlog::entry::{Act, Entry, ObjectRef, sha256};

fn user(name: &str, role: Role) -> User {
    User {
        name: name.into(),
        role,
        token_id: format!("id-{name}"),
        token_hash: format!("hash-{name}"),
        created: Timestamp::now(),
        expires: None,
        revoked: None,
    }
}

/// The entries appended since the log had `before` entries, decoded.
async fn appended_since(store: &SqliteStore, before: u64) -> Vec<Entry> {
    let size = store.log_size().await.unwrap();
    store
        .log_entries(before, size)
        .await
        .unwrap()
        .iter()
        .map(|e| Entry::decode(&e.entry).unwrap())
        .collect()
}

/// Runs `change` and returns the acts it appended to the log, with their actors.
macro_rules! logged {
    ($store:expr, $change:expr) => {{
        let before = $store.log_size().await.unwrap();
        let result = $change;
        let acts: Vec<(String, Act)> = appended_since(&$store, before)
            .await
            .into_iter()
            .map(|e| (e.actor, e.act))
            .collect();
        (result, acts)
    }};
}

#[tokio::test]
async fn each_user_change_appends_exactly_its_entry_and_a_refused_one_nothing() {
    let (_dir, store) = store().await;
    store.add_user(&user("root", Role::Admin)).await.unwrap();
    store.add_user(&user("ana", Role::Analyst)).await.unwrap();

    // Role.
    let (changed, acts) = logged!(
        store,
        store.set_user_role("root", "ana", Role::Reader).await
    );
    assert!(changed.unwrap());
    assert_eq!(
        acts,
        [(
            "root".to_owned(),
            Act::UserRoleChanged {
                user: "ana".into(),
                role: "reader".into()
            }
        )]
    );
    assert_eq!(store.user("ana").await.unwrap().unwrap().role, Role::Reader);
    // The same role again is no change, and logs nothing.
    let (changed, acts) = logged!(
        store,
        store.set_user_role("root", "ana", Role::Reader).await
    );
    assert!(!changed.unwrap());
    assert!(acts.is_empty());

    // Grant.
    let grant = CollectionGrant {
        collection_id: COLLECTION.into(),
        can_read: true,
        can_write: false,
    };
    let (done, acts) = logged!(store, store.set_grant_as("root", "ana", &grant).await);
    done.unwrap();
    assert_eq!(
        acts,
        [(
            "root".to_owned(),
            Act::GrantChanged {
                user: "ana".into(),
                collection: COLLECTION.into(),
                can_read: true,
                can_write: false
            }
        )]
    );

    // Revocation: the user stays, with no valid token.
    let (was_valid, acts) = logged!(store, store.revoke_token("root", "ana").await);
    assert!(was_valid.unwrap());
    assert_eq!(
        acts,
        [(
            "root".to_owned(),
            Act::TokenRevoked {
                user: "ana".into(),
                token_id: "id-ana".into()
            }
        )]
    );
    let ana = store.user("ana").await.unwrap().unwrap();
    assert!(ana.revoked.is_some());
    assert!(!ana.token_valid_at(&Timestamp::now()));
    // Revoking again changes and logs nothing.
    let (was_valid, acts) = logged!(store, store.revoke_token("root", "ana").await);
    assert!(!was_valid.unwrap());
    assert!(acts.is_empty());

    // Re-issue after a revocation: only the new token's entry; the old id finds nobody.
    let expires = ts("2030-01-01T00:00:00Z");
    let token = NewToken {
        token_id: "id-ana-2".into(),
        token_hash: "hash-ana-2".into(),
        expires: Some(expires.clone()),
    };
    let (done, acts) = logged!(store, store.reissue_token("root", "ana", &token).await);
    done.unwrap();
    assert_eq!(
        acts,
        [(
            "root".to_owned(),
            Act::TokenIssued {
                user: "ana".into(),
                token_id: "id-ana-2".into(),
                expires: Some(expires.as_str().to_owned())
            }
        )]
    );
    assert_eq!(store.user_by_token_id("id-ana").await.unwrap(), None);
    let ana = store.user_by_token_id("id-ana-2").await.unwrap().unwrap();
    assert_eq!(
        (
            ana.revoked.clone(),
            ana.expires.clone(),
            ana.token_hash.as_str()
        ),
        (None, Some(expires.clone()), "hash-ana-2")
    );
    assert!(ana.token_valid_at(&ts("2029-12-31T23:59:59Z")));
    assert!(!ana.token_valid_at(&expires));
    // Re-issue of a valid token: the old one's revocation, then the new one, in one go.
    let token = NewToken {
        token_id: "id-ana-3".into(),
        token_hash: "hash-ana-3".into(),
        expires: None,
    };
    let (done, acts) = logged!(store, store.reissue_token("root", "ana", &token).await);
    done.unwrap();
    assert_eq!(
        acts.into_iter().map(|(_, a)| a).collect::<Vec<_>>(),
        [
            Act::TokenRevoked {
                user: "ana".into(),
                token_id: "id-ana-2".into()
            },
            Act::TokenIssued {
                user: "ana".into(),
                token_id: "id-ana-3".into(),
                expires: None
            }
        ]
    );
    // A new token id already someone's is refused, and nothing changes.
    let stolen = NewToken {
        token_id: "id-root".into(),
        token_hash: "x".into(),
        expires: None,
    };
    let (done, acts) = logged!(store, store.reissue_token("root", "ana", &stolen).await);
    assert!(
        matches!(done, Err(StoreError::AlreadyExists(_))),
        "{done:?}"
    );
    assert!(acts.is_empty());
    assert_eq!(
        store.user("ana").await.unwrap().unwrap().token_id,
        "id-ana-3"
    );

    // Removal takes the grants with the user.
    let (done, acts) = logged!(store, store.remove_user("root", "ana").await);
    done.unwrap();
    assert_eq!(
        acts,
        [("root".to_owned(), Act::UserRemoved { user: "ana".into() })]
    );
    assert_eq!(store.user("ana").await.unwrap(), None);
    assert_eq!(store.grant("ana", COLLECTION).await.unwrap(), None);
    // A user of the same name added later does not inherit the old grant.
    store.add_user(&user("ana", Role::Analyst)).await.unwrap();
    assert_eq!(store.grant("ana", COLLECTION).await.unwrap(), None);

    // Unknown users: typed errors, nothing logged.
    let fresh = NewToken {
        token_id: "id-nobody".into(),
        token_hash: "x".into(),
        expires: None,
    };
    let before = store.log_size().await.unwrap();
    for result in [
        store.remove_user("root", "nobody").await,
        store
            .set_user_role("root", "nobody", Role::Admin)
            .await
            .map(drop),
        store.revoke_token("root", "nobody").await.map(drop),
        store.reissue_token("root", "nobody", &fresh).await,
        store.set_grant_as("root", "nobody", &grant).await,
    ] {
        assert!(
            matches!(&result, Err(StoreError::UnknownUser(u)) if u == "nobody"),
            "{result:?}"
        );
    }
    // An empty actor is refused before anything is written.
    assert!(store.remove_user("", "ana").await.is_err());
    assert_eq!(store.log_size().await.unwrap(), before);
    assert!(store.user("ana").await.unwrap().is_some());
}

#[tokio::test]
async fn the_last_admin_can_be_neither_removed_nor_demoted() {
    let (_dir, store) = store().await;
    store.add_user(&user("root", Role::Admin)).await.unwrap();
    store.add_user(&user("ana", Role::Analyst)).await.unwrap();
    let before = store.log_size().await.unwrap();
    assert!(matches!(
        store.remove_user("local", "root").await,
        Err(StoreError::LastAdmin(u)) if u == "root"
    ));
    assert!(matches!(
        store.set_user_role("local", "root", Role::Reader).await,
        Err(StoreError::LastAdmin(u)) if u == "root"
    ));
    assert_eq!(store.log_size().await.unwrap(), before);
    assert_eq!(store.user("root").await.unwrap().unwrap().role, Role::Admin);
    // With a second admin, the first may go.
    store
        .set_user_role("local", "ana", Role::Admin)
        .await
        .unwrap();
    store
        .set_user_role("local", "root", Role::Analyst)
        .await
        .unwrap();
    assert!(matches!(
        store.remove_user("local", "ana").await,
        Err(StoreError::LastAdmin(_))
    ));
    store.remove_user("local", "root").await.unwrap();
    assert_eq!(store.log_size().await.unwrap(), before + 3);
}

/// Roles are stored by name (`users.role` is TEXT): a delegate, added or made one, reads back
/// as a delegate, from a reopened store too, and the log names the role.
#[tokio::test]
async fn a_delegate_is_stored_by_name_and_reads_back_as_a_delegate() {
    let (dir, store) = store().await;
    store.add_user(&user("root", Role::Admin)).await.unwrap();
    store.add_user(&user("ana", Role::Analyst)).await.unwrap();

    let (added, acts) = logged!(
        store,
        store
            .add_user_as("root", &user("dee", Role::Delegate))
            .await
    );
    added.unwrap();
    assert_eq!(
        acts,
        [(
            "root".to_owned(),
            Act::UserAdded {
                user: "dee".into(),
                role: "delegate".into()
            }
        )]
    );
    assert_eq!(
        store.user("dee").await.unwrap().unwrap().role,
        Role::Delegate
    );
    let by_token = store.user_by_token_id("id-dee").await.unwrap().unwrap();
    assert_eq!(
        (by_token.name.as_str(), by_token.role),
        ("dee", Role::Delegate)
    );

    assert!(
        store
            .set_user_role("root", "ana", Role::Delegate)
            .await
            .unwrap()
    );

    drop(store);
    let reopened = SqliteStore::open(&dir.path().join("pacific.db"))
        .await
        .unwrap();
    let mut roles: Vec<(String, Role)> = reopened
        .users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.name, u.role))
        .collect();
    roles.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        roles,
        [
            ("ana".to_owned(), Role::Delegate),
            ("dee".to_owned(), Role::Delegate),
            ("root".to_owned(), Role::Admin),
        ]
    );
}

/// Regression: `delete_object` deleted without a log entry, so "every change is logged" did
/// not hold for TAXII DELETE.
#[tokio::test]
async fn deleting_an_object_logs_each_deleted_version() {
    let (_dir, store) = store().await;
    let versions = [
        indicator(1, "2021-01-01T00:00:00.000Z"),
        indicator(1, "2021-02-01T00:00:00.000Z"),
        indicator(1, "2021-03-01T00:00:00.000Z"),
    ];
    store.add_objects(COLLECTION, &versions).await.unwrap();
    let id = versions[0].id().to_owned();
    let mut q = ObjectQuery::all(10);
    q.versions = vec![VersionSelector::First, VersionSelector::Last];
    let (deleted, acts) = logged!(
        store,
        store.delete_object_as("ana", COLLECTION, &id, &q).await
    );
    assert_eq!(deleted.unwrap(), 2);
    let expected: Vec<(String, Act)> = [&versions[0], &versions[2]]
        .into_iter()
        .map(|o| {
            (
                "ana".to_owned(),
                Act::ObjectDeleted {
                    object: ObjectRef {
                        id: id.clone(),
                        version: o.version().unwrap().as_str().to_owned(),
                        sha256: sha256(o.to_json().as_bytes()),
                    },
                    collection: COLLECTION.into(),
                },
            )
        })
        .collect();
    assert_eq!(acts, expected);
    // Each deleted version is named exactly as its `object-stored` entry named it.
    let stored: Vec<Entry> = appended_since(&store, 0).await;
    for (_, act) in &expected {
        assert!(stored.iter().any(|e| matches!(&e.act,
            Act::ObjectStored { object } if Some(object) == act.object())));
    }
    // Nothing selected: nothing deleted, nothing logged; an unknown collection likewise.
    let (deleted, acts) = logged!(store, store.delete_object(COLLECTION, &id, &q).await);
    assert_eq!(
        deleted.unwrap(),
        1,
        "the middle version is now first and last"
    );
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].0, "local");
    let (deleted, acts) = logged!(store, store.delete_object(COLLECTION, &id, &q).await);
    assert_eq!(deleted.unwrap(), 0);
    assert!(acts.is_empty());
    let (deleted, acts) = logged!(
        store,
        store
            .delete_object("2b0a4fd1-5d4a-4f1e-8a38-3b5d3a8b11aa", &id, &q)
            .await
    );
    assert!(matches!(deleted, Err(StoreError::UnknownCollection(_))));
    assert!(acts.is_empty());
}
