//! The state machine on its own: apply order and replies, snapshot build,
//! reopen from disk, install on another member.

use bytes::Bytes;
use openraft::{CommittedLeaderId, Entry, Membership as RaftMembership};

use super::*;
use crate::record::{Op, Record};
use crate::resp::Frame;

fn lid(index: u64) -> LogId<NodeId> {
    LogId::new(CommittedLeaderId::new(1, 1), index)
}

fn rec(args: &[&str]) -> Record {
    Record {
        db: 0,
        time_ms: 1_700_000_000_000,
        seed: 7,
        resp3: false,
        op: Op::Command(args.iter().map(|a| Bytes::from(a.to_string())).collect()),
        retry: false,
    }
}

fn normal(index: u64, batch: Vec<Record>) -> GroupEntry {
    Entry {
        log_id: lid(index),
        payload: EntryPayload::Normal(batch),
    }
}

fn replies(r: &Replies) -> Vec<Option<Frame>> {
    r.iter().map(|a| a.reply.clone()).collect()
}

#[tokio::test]
async fn applies_batches_in_order_and_replies_per_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut sm = GroupStateMachine::open(dir.path(), 16, EncodingLimits::default()).unwrap();
    let members = RaftMembership::new(vec![[1u64, 2, 3].into_iter().collect()], None);
    let out = sm
        .apply(vec![
            Entry {
                log_id: lid(1),
                payload: EntryPayload::Membership(members.clone()),
            },
            normal(
                2,
                vec![
                    rec(&["set", "a", "1"]),
                    rec(&["incr", "a"]),
                    rec(&["incr", "a"]),
                ],
            ),
            Entry {
                log_id: lid(3),
                payload: EntryPayload::Blank,
            },
            normal(4, vec![rec(&["rpush", "l", "x", "y"]), rec(&["incr", "l"])]),
        ])
        .await
        .unwrap();
    assert_eq!(out.len(), 4);
    assert!(out[0].is_empty() && out[2].is_empty());
    assert_eq!(
        replies(&out[1]),
        vec![
            Some(Frame::ok()),
            Some(Frame::Integer(2)),
            Some(Frame::Integer(3))
        ]
    );
    assert_eq!(replies(&out[3])[0], Some(Frame::Integer(2)));
    assert!(matches!(&replies(&out[3])[1], Some(Frame::Error(e)) if e.starts_with("WRONGTYPE")));
    let (applied, membership) = sm.applied_state().await.unwrap();
    assert_eq!(applied, Some(lid(4)));
    assert_eq!(membership.log_id(), &Some(lid(1)));
    assert_eq!(membership.membership(), &members);
}

#[tokio::test]
async fn snapshot_survives_reopen_and_installs_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let mut sm = GroupStateMachine::open(dir.path(), 16, EncodingLimits::default()).unwrap();
    assert!(sm.get_current_snapshot().await.unwrap().is_none());
    let batch = (0..200)
        .map(|i| rec(&["sadd", "s", &format!("m{i}")]))
        .chain([rec(&["set", "k", "v"]), rec(&["expire", "k", "500"])])
        .collect();
    sm.apply(vec![normal(1, batch)]).await.unwrap();
    let digest = sm.digest();

    let built = sm
        .get_snapshot_builder()
        .await
        .build_snapshot()
        .await
        .unwrap();
    assert_eq!(built.meta.last_log_id, Some(lid(1)));
    let current = sm
        .get_current_snapshot()
        .await
        .unwrap()
        .expect("snapshot on disk");
    assert_eq!(current.meta, built.meta);
    assert_eq!(current.snapshot.get_ref(), built.snapshot.get_ref());

    // A restart: the keyspace comes back from the file.
    let reopened = GroupStateMachine::open(dir.path(), 16, EncodingLimits::default()).unwrap();
    assert_eq!(reopened.digest(), digest);
    assert_eq!(reopened.last_applied(), Some(lid(1)));
    assert_eq!(reopened.snapshot_meta(), Some(built.meta.clone()));

    // Another member installs it; a damaged copy is refused and changes
    // nothing.
    let other_dir = tempfile::tempdir().unwrap();
    let mut other =
        GroupStateMachine::open(other_dir.path(), 16, EncodingLimits::default()).unwrap();
    other
        .apply(vec![normal(1, vec![rec(&["set", "junk", "1"])])])
        .await
        .unwrap();
    let before = other.digest();
    let mut bad = built.snapshot.get_ref().clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x40;
    assert!(other
        .install_snapshot(&built.meta, Box::new(Cursor::new(bad)))
        .await
        .is_err());
    assert_eq!(other.digest(), before);
    other
        .install_snapshot(
            &built.meta,
            Box::new(Cursor::new(built.snapshot.get_ref().clone())),
        )
        .await
        .unwrap();
    assert_eq!(other.digest(), digest);
    assert_eq!(other.snapshots_installed(), 1);
    assert_eq!(other.applied_state().await.unwrap().0, Some(lid(1)));
    assert_eq!(other.snapshot_meta(), Some(built.meta));
}

#[test]
fn damaged_snapshot_file_fails_the_open() {
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = SnapshotFile::open(dir.path()).unwrap();
    let meta = Meta {
        last_log_id: Some(lid(3)),
        last_membership: Membership::default(),
        snapshot_id: "x".into(),
    };
    file.save(&meta, &snapshot::encode(&Keyspace::new(16)))
        .unwrap();
    assert!(GroupStateMachine::open(dir.path(), 16, EncodingLimits::default()).is_ok());
    let path = dir.path().join(super::super::snapshot_file::FILE_NAME);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[30] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    assert!(GroupStateMachine::open(dir.path(), 16, EncodingLimits::default()).is_err());
}

#[tokio::test]
async fn reload_restores_the_snapshot_and_fences_the_old_handle() {
    let dir = tempfile::tempdir().unwrap();
    let mut old = GroupStateMachine::open(dir.path(), 16, EncodingLimits::default()).unwrap();
    let reader = old.clone();
    old.apply(vec![normal(1, vec![rec(&["set", "a", "1"])])])
        .await
        .unwrap();
    old.get_snapshot_builder()
        .await
        .build_snapshot()
        .await
        .unwrap();
    let at_snapshot = old.digest();
    old.apply(vec![normal(2, vec![rec(&["set", "b", "2"])])])
        .await
        .unwrap();

    // What a restart would load: the snapshot, not what was applied after.
    let mut new = reader.reload().unwrap();
    assert_eq!(reader.digest(), at_snapshot, "the node's handle sees it");
    assert_eq!(new.applied_state().await.unwrap().0, Some(lid(1)));
    // The dead core's handle can no longer change the state...
    assert!(old
        .apply(vec![normal(2, vec![rec(&["set", "c", "3"])])])
        .await
        .is_err());
    assert_eq!(reader.digest(), at_snapshot);
    // ...while the new core replays the log after the snapshot.
    new.apply(vec![normal(2, vec![rec(&["set", "b", "2"])])])
        .await
        .unwrap();
    assert_eq!(new.last_applied(), Some(lid(2)));
    assert_eq!(reader.last_applied(), Some(lid(2)));
}
