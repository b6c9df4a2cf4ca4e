//! One `slotraft` process: spawn, signals, restart with the same arguments.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A node process and everything needed to start it again.
pub struct Node {
    /// Raft node id (1 for a standalone node).
    pub id: u64,
    /// Client port.
    pub port: u16,
    /// Raft bus port (unused by a standalone node).
    pub bus_port: u16,
    /// True when this member is a witness (never serves data).
    pub witness: bool,
    /// The node's `--dir`.
    pub dir: PathBuf,
    args: Vec<String>,
    child: Option<Child>,
    stopped: bool,
    restarts: u32,
}

impl Node {
    pub(crate) fn new(id: u64, port: u16, bus_port: u16, witness: bool, dir: PathBuf) -> Node {
        Node {
            id,
            port,
            bus_port,
            witness,
            dir,
            args: Vec::new(),
            child: None,
            stopped: false,
            restarts: 0,
        }
    }

    pub(crate) fn set_args(&mut self, args: Vec<String>) {
        self.args = args;
    }

    /// The arguments the node is started with (after the binary).
    pub fn args(&self) -> &[String] {
        &self.args
    }

    /// The log file (stdout and stderr of every start, appended).
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("node.log")
    }

    /// Starts the process. Panics if it is already running.
    pub fn spawn(&mut self) {
        assert!(self.child.is_none(), "node {} is already running", self.id);
        std::fs::create_dir_all(&self.dir).expect("node dir");
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("node log");
        let err = log.try_clone().expect("node log");
        let mut cmd = Command::new(crate::bin::slotraft_bin());
        cmd.args(&self.args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err);
        // SAFETY: prctl is async-signal-safe; it only asks the kernel to
        // SIGKILL the child when the spawning thread exits, so a test runner
        // that is itself killed leaves no node behind. The harness spawns
        // from the test's own thread, which lives as long as the test.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        self.child = Some(cmd.spawn().expect("spawn slotraft"));
        self.stopped = false;
    }

    /// Starts the process again with the same arguments and `--dir` (it
    /// must have exited or been killed).
    pub fn restart(&mut self) {
        assert!(
            !self.is_running(),
            "restart of node {}: still running",
            self.id
        );
        self.child = None;
        self.restarts += 1;
        self.spawn();
    }

    /// The OS process id, while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// True while the process exists (also when stopped by SIGSTOP).
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            None => false,
            Some(c) => matches!(c.try_wait(), Ok(None)),
        }
    }

    /// True if the node is running and not stopped: it can answer.
    pub fn is_live(&mut self) -> bool {
        !self.stopped && self.is_running()
    }

    /// Sends `sig` to the process (no-op when not running).
    pub fn signal(&mut self, sig: libc::c_int) {
        if let Some(pid) = self.pid() {
            if self.is_running() {
                // SAFETY: kill(2) on our own child's pid.
                let rc = unsafe { libc::kill(pid as libc::pid_t, sig) };
                assert_eq!(rc, 0, "kill({pid}, {sig}) failed");
            }
        }
    }

    /// SIGKILL, then reap the process.
    pub fn kill(&mut self) {
        self.signal(libc::SIGKILL);
        if let Some(c) = self.child.as_mut() {
            let _ = c.wait();
        }
        self.stopped = false;
    }

    /// SIGSTOP: the process freezes (sockets stay open, nothing answers).
    pub fn stop(&mut self) {
        self.signal(libc::SIGSTOP);
        self.stopped = true;
    }

    /// SIGCONT after [`Node::stop`].
    pub fn cont(&mut self) {
        self.signal(libc::SIGCONT);
        self.stopped = false;
    }

    /// SIGTERM: ask for a graceful shutdown; see [`Node::wait_exit`].
    pub fn terminate(&mut self) {
        self.signal(libc::SIGTERM);
    }

    /// Waits up to `timeout` for the process to exit; its status if it did.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        let child = self.child.as_mut()?;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            // Poll interval of the exit check, not synchronisation.
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Describes how the process ended, for messages.
    pub fn describe(status: ExitStatus) -> String {
        match (status.code(), status.signal()) {
            (Some(c), _) => format!("exit code {c}"),
            (_, Some(s)) => format!("signal {s}"),
            _ => format!("{status}"),
        }
    }

    /// The last `n` lines of the node's log.
    pub fn log_tail(&self, n: usize) -> String {
        let mut text = String::new();
        if let Ok(mut f) = File::open(self.log_path()) {
            let _ = f.read_to_string(&mut text);
        }
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        // SIGKILL also ends a SIGSTOPped process.
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
