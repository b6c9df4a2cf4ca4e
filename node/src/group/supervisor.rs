//! Supervision: a group whose openraft core died is rebuilt from storage.
//!
//! openraft stops its core for good on a storage error (a failed append or
//! fsync, a snapshot it could not write) or a panic inside it: from then on
//! every call on that `Raft` fails with `Fatal`. Without supervision the
//! node would answer `-ERR` until restarted. The supervisor does what the
//! restart would, for that one member:
//!
//! 1. The group's metrics watcher reports the core down (`Group::core_down`,
//!    with openraft's reason). The supervisor logs it at error level and
//!    marks the group restarting: new commands get `-TRYAGAIN`, and those
//!    in flight on the dead core were already answered (its responders
//!    were dropped; see the batcher).
//! 2. It rebuilds: the group's log on the node's write-ahead log (reopened
//!    from disk if the log itself failed, see `NodeLog::reopen_group`), the
//!    state machine reloaded from the group's snapshot, and a new `Raft`
//!    with the same id, config and transport, which replays the log after
//!    the snapshot.
//! 3. It makes the new core the one incoming RPCs reach (registry or
//!    router) and swaps it into the `Group` (`Group::replace_core`), which
//!    the engine, the batcher, the read gate and the duties use from then
//!    on. The restart is counted (INFO `raft_group_restarts`).
//!
//! A rebuild that fails (the disk is still failing) is retried after a
//! backoff, and so is a core that dies again soon after a rebuild, so a
//! persistently failing disk costs a few attempts a minute, not a spin.
//! A core that was shut down on purpose (`Fatal::Stopped`) is not rebuilt,
//! and [`Supervisor::stop`] (node shutdown) ends supervision before the
//! node stops its cores, so a shutdown or hand-off is never undone.

use std::io;
use std::sync::{Arc, Weak};
use std::time::Duration;

use openraft::error::Fatal;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::{error, info, warn};

use super::member::{MemberSm, MemberSpec, NodeLog};
use super::runtime::Group;
use super::types::GroupRaft;

/// How a supervisor paces its rebuilds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartPolicy {
    /// The wait before the second attempt in a row; it doubles with each
    /// attempt after. The first attempt after a core ran
    /// [`stable_after`](Self::stable_after) is immediate.
    pub min_backoff: Duration,
    /// The longest wait between attempts.
    pub max_backoff: Duration,
    /// A core that ran this long before it died resets the backoff.
    pub stable_after: Duration,
}

impl Default for RestartPolicy {
    /// 0.1 s doubling to 30 s; a minute of service resets it. A rebuild
    /// after a log failure rescans every segment, so a disk that keeps
    /// failing should not be retried much more often than that.
    fn default() -> Self {
        RestartPolicy {
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(30),
            stable_after: Duration::from_secs(60),
        }
    }
}

/// The wait before the next rebuild attempt.
#[derive(Debug)]
struct Backoff {
    policy: RestartPolicy,
    next: Duration,
}

impl Backoff {
    fn new(policy: RestartPolicy) -> Backoff {
        Backoff {
            policy,
            next: Duration::ZERO,
        }
    }

    /// A core died after running for `ran`: the wait before rebuilding it.
    fn on_death(&mut self, ran: Duration) -> Duration {
        if ran >= self.policy.stable_after {
            self.next = Duration::ZERO;
        }
        self.next
    }

    /// An attempt was made (whatever its outcome): the wait before the
    /// next one.
    fn on_attempt(&mut self) -> Duration {
        self.next = (self.next * 2)
            .max(self.policy.min_backoff)
            .min(self.policy.max_backoff);
        self.next
    }
}

/// A running supervisor of one group member.
pub struct Supervisor {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Supervisor {
    /// Supervises `group`, whose current core was started from `spec`
    /// over `log` and `sm`: a core that dies is rebuilt the same way.
    pub fn spawn(
        group: &Arc<Group>,
        spec: MemberSpec,
        sm: MemberSm,
        log: Arc<NodeLog>,
        policy: RestartPolicy,
    ) -> Supervisor {
        group.set_supervised(true);
        let (stop, stopped) = watch::channel(false);
        let run = Run {
            group: Arc::downgrade(group),
            spec,
            sm,
            log,
            backoff: Backoff::new(policy),
            stop: stopped,
        };
        Supervisor {
            stop,
            task: tokio::spawn(run.supervise()),
        }
    }

    /// Ends supervision (node shutdown): a core that dies from now on stays
    /// down. Waits for a rebuild in progress to finish; a core it built is
    /// shut down rather than swapped in.
    pub async fn stop(self) {
        self.stop.send_replace(true);
        if let Err(e) = self.task.await {
            warn!(%e, "the group supervisor task failed");
        }
    }
}

/// The supervisor task's state.
struct Run {
    group: Weak<Group>,
    spec: MemberSpec,
    /// The state machine of the current core (the next one reloads it).
    sm: MemberSm,
    log: Arc<NodeLog>,
    backoff: Backoff,
    stop: watch::Receiver<bool>,
}

impl Run {
    async fn supervise(mut self) {
        self.watch_and_rebuild().await;
        // From now on a dead core stays down: say so to callers.
        if let Some(group) = self.group.upgrade() {
            group.set_supervised(false);
        }
    }

    async fn watch_and_rebuild(&mut self) {
        let Some(group) = self.group.upgrade() else {
            return;
        };
        let mut down = group.core_down();
        let mut generation = group.generation();
        drop(group);
        let mut started = Instant::now();
        loop {
            let fatal = tokio::select! {
                d = down.wait_for(|d| matches!(d, Some((g, _)) if *g == generation)) => match d {
                    Ok(d) => d.as_ref().map(|(_, f)| f.clone()).unwrap_or(Fatal::Stopped),
                    Err(_) => return, // the group is gone
                },
                _ = stopped(&mut self.stop) => return,
            };
            let Some(group) = self.group.upgrade() else {
                return;
            };
            if matches!(fatal, Fatal::Stopped) {
                // Shut down on purpose: nothing to undo.
                info!(group = group.id, "raft core shut down; supervision ends");
                return;
            }
            group.set_restarting();
            let ran = started.elapsed();
            let mut wait = self.backoff.on_death(ran);
            error!(
                group = group.id,
                node = group.node_id,
                generation,
                reason = %fatal,
                ran = ?ran,
                retry_in = ?wait,
                "raft core died; rebuilding it from storage"
            );
            let old = group.raft();
            drop(group);
            // Already stopped: this joins its task and stops its timer.
            let _ = old.shutdown().await;
            drop(old);
            loop {
                if !wait.is_zero() {
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = stopped(&mut self.stop) => return,
                    }
                }
                let attempt = self.rebuild().await;
                let next_wait = self.backoff.on_attempt();
                let Some(group) = self.group.upgrade() else {
                    if let Ok((raft, _)) = attempt {
                        let _ = raft.shutdown().await;
                    }
                    return;
                };
                match attempt {
                    Ok((raft, sm)) if !*self.stop.borrow() => {
                        self.sm = sm;
                        generation = group.replace_core(raft);
                        started = Instant::now();
                        warn!(
                            group = group.id,
                            node = group.node_id,
                            generation,
                            restarts = group.status().restarts,
                            "raft core rebuilt from storage"
                        );
                        break;
                    }
                    Ok((raft, _)) => {
                        // The node is stopping: leave the group down.
                        let _ = raft.shutdown().await;
                        return;
                    }
                    Err(e) => {
                        group.note_failed_restart();
                        error!(
                            group = group.id,
                            node = group.node_id,
                            %e,
                            retry_in = ?next_wait,
                            "rebuilding the raft core failed"
                        );
                        wait = next_wait;
                    }
                }
            }
        }
    }

    /// Opens the member again: its log (see `NodeLog::reopen_group`), its
    /// state machine from the snapshot, a new core over both.
    async fn rebuild(&self) -> io::Result<(GroupRaft, MemberSm)> {
        let log = self.log.reopen_group(self.spec.group_id).await?;
        let sm = self.sm.clone();
        // Reading and decoding a snapshot can take a while.
        let sm = tokio::task::spawn_blocking(move || sm.reload())
            .await
            .map_err(io::Error::other)??;
        let raft = self.spec.start_core(log, &sm).await?;
        Ok((raft, sm))
    }
}

/// Resolves once the node stops supervision (or drops the handle).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_and_resets_after_a_stable_run() {
        let policy = RestartPolicy {
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(700),
            stable_after: Duration::from_secs(60),
        };
        let mut b = Backoff::new(policy);
        let ms = Duration::from_millis;
        // The first death is rebuilt at once.
        assert_eq!(b.on_death(ms(5)), Duration::ZERO);
        let waits: Vec<_> = (0..5).map(|_| b.on_attempt()).collect();
        assert_eq!(waits, [ms(100), ms(200), ms(400), ms(700), ms(700)]);
        // A core that dies soon after its rebuild waits the grown backoff.
        assert_eq!(b.on_death(ms(10)), ms(700));
        // One that served a while is rebuilt at once again.
        assert_eq!(b.on_death(Duration::from_secs(61)), Duration::ZERO);
        assert_eq!(b.on_attempt(), ms(100));
    }
}
