//! A standalone node (no `--raft-members`: a one-member group over its
//! durable log) killed with SIGKILL mid-load keeps every acknowledged write.
//! Replay with `SLOTRAFT_SEED=<n>`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cluster_tests::client::connect;
use cluster_tests::load::value;
use cluster_tests::{seed, ClusterBuilder, RoutedClient};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use redis::Value;

const SECS: fn(u64) -> Duration = Duration::from_secs;
const WRITERS: usize = 4;

/// What one writer knows: acknowledged SETs, and for its list and counter
/// how many pushes/increments were acknowledged and how many were sent.
#[derive(Default, Debug)]
struct Written {
    sets: Vec<(String, String)>,
    push_acked: u64,
    push_sent: u64,
    incr_acked: u64,
    incr_sent: u64,
}

/// Writes `SET k v`, `RPUSH list i`, `INCR counter` in turn on one
/// connection until the first failure (the node was killed).
async fn writer(port: u16, prefix: String, seed: u64, acked: Arc<AtomicU64>) -> Written {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut w = Written::default();
    let mut conn = connect(&format!("127.0.0.1:{port}"))
        .await
        .expect("connect");
    let (list, counter) = (format!("{prefix}:list"), format!("{prefix}:counter"));
    for i in 0u64.. {
        let (key, val) = (format!("{prefix}:k:{i}"), value(&mut rng));
        // No timeout here: the node answers or its death closes the socket.
        let r: redis::RedisResult<Value> = redis::cmd("SET")
            .arg(&key)
            .arg(&val)
            .query_async(&mut conn)
            .await;
        match r {
            Ok(Value::Okay) => w.sets.push((key, val)),
            Ok(other) => panic!("SET {key}: {other:?}"),
            Err(_) => break,
        }
        w.push_sent += 1;
        let r: redis::RedisResult<u64> = redis::cmd("RPUSH")
            .arg(&list)
            .arg(i)
            .query_async(&mut conn)
            .await;
        match r {
            Ok(len) => {
                assert_eq!(len, i + 1, "RPUSH {list} length");
                w.push_acked += 1;
            }
            Err(_) => break,
        }
        w.incr_sent += 1;
        let r: redis::RedisResult<u64> = redis::cmd("INCR")
            .arg(&counter)
            .query_async(&mut conn)
            .await;
        match r {
            Ok(n) => {
                assert_eq!(n, i + 1, "INCR {counter}");
                w.incr_acked += 1;
            }
            Err(_) => break,
        }
        acked.fetch_add(3, Ordering::SeqCst);
    }
    w
}

async fn get(client: &mut RoutedClient, cmd: &redis::Cmd) -> Value {
    client
        .call(cmd, Instant::now() + SECS(30))
        .await
        .unwrap_or_else(|e| {
            panic!(
                "{:?}: {e}",
                String::from_utf8_lossy(&cmd.get_packed_command())
            )
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standalone_sigkill_keeps_acknowledged_writes() {
    let name = "standalone_sigkill_keeps_acknowledged_writes";
    let seed = seed(name);
    let mut c = ClusterBuilder::standalone("standalone")
        .arg("appendfsync", "always")
        .start()
        .await;
    let port = c.node(1).port;
    let mut history: Vec<(String, Written)> = Vec::new();
    // Two rounds: the second recovers a log that was itself recovered.
    for round in 0..2u64 {
        let acked = Arc::new(AtomicU64::new(0));
        let tasks: Vec<_> = (0..WRITERS)
            .map(|w| {
                let prefix = format!("sa:{seed}:{round}:{w}");
                let task = writer(
                    port,
                    prefix.clone(),
                    seed ^ (round << 8 | w as u64),
                    acked.clone(),
                );
                (prefix, tokio::spawn(task))
            })
            .collect();
        let deadline = Instant::now() + SECS(60);
        while acked.load(Ordering::SeqCst) < 600 {
            assert!(Instant::now() < deadline, "writes too slow: {acked:?}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        c.node(1).kill();
        for (prefix, t) in tasks {
            history.push((prefix, t.await.expect("writer panicked")));
        }
        let total: usize = history.iter().map(|(_, w)| w.sets.len()).sum();
        eprintln!("{name}: round {round}: SIGKILL after {total} acknowledged SETs so far");
        c.node(1).restart();
        c.wait_ping(1, SECS(30)).await;

        let mut client = RoutedClient::new(&[port], 0);
        for (prefix, w) in &history {
            for (key, want) in &w.sets {
                let got = get(&mut client, redis::cmd("GET").arg(key)).await;
                assert_eq!(
                    got,
                    Value::BulkString(want.as_bytes().to_vec()),
                    "acknowledged SET {key} lost or changed"
                );
            }
            let list: Vec<u64> = redis::from_redis_value(
                &get(
                    &mut client,
                    redis::cmd("LRANGE")
                        .arg(format!("{prefix}:list"))
                        .arg(0)
                        .arg(-1),
                )
                .await,
            )
            .expect("list of numbers");
            let n = list.len() as u64;
            assert!(
                (w.push_acked..=w.push_sent).contains(&n),
                "{prefix}:list has {n} items; {} pushes acknowledged, {} sent",
                w.push_acked,
                w.push_sent
            );
            assert_eq!(list, (0..n).collect::<Vec<_>>(), "{prefix}:list order");
            let counter: Option<u64> = redis::from_redis_value(
                &get(
                    &mut client,
                    redis::cmd("GET").arg(format!("{prefix}:counter")),
                )
                .await,
            )
            .expect("counter");
            let counter = counter.unwrap_or(0);
            assert!(
                (w.incr_acked..=w.incr_sent).contains(&counter),
                "{prefix}:counter is {counter}; {} increments acknowledged, {} sent",
                w.incr_acked,
                w.incr_sent
            );
        }
    }
}
