//! Test harness: starts a real `slotraft` process on a free loopback port
//! and kills it when the handle drops (also when the test panics).

#![allow(dead_code)]

pub mod render;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running node.
pub struct Node {
    child: Child,
    /// Its client port.
    pub port: u16,
    dir: std::path::PathBuf,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Node {
    /// Starts a node with extra `--name value` arguments.
    pub fn start_with(extra: &[&str]) -> Node {
        Node::spawn(None, extra)
    }

    /// Starts a node from a configuration file holding `config` (written
    /// into the node's directory as `slotraft.conf`), plus extra arguments.
    pub fn start_with_file(config: &str, extra: &[&str]) -> Node {
        Node::spawn(Some(config), extra)
    }

    fn spawn(config: Option<&str>, extra: &[&str]) -> Node {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("slotraft-test-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_slotraft"));
        if let Some(text) = config {
            let file = dir.join("slotraft.conf");
            std::fs::write(&file, text).expect("write config file");
            cmd.arg(file);
        }
        let mut child = cmd
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--dir"])
            .arg(&dir)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn slotraft");
        // Wait for the readiness line (with a deadline), not a fixed sleep.
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("Ready to accept connections") {
                    let _ = tx.send(());
                }
            }
        });
        let node = Node { child, port, dir };
        rx.recv_timeout(Duration::from_secs(20))
            .expect("slotraft did not become ready within 20 s");
        node
    }

    /// Starts a node with the default configuration.
    pub fn start() -> Node {
        Node::start_with(&[])
    }

    /// A `redis` crate client connection (RESP2).
    pub fn client(&self) -> redis::Connection {
        let c = redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).expect("client");
        c.get_connection().expect("connect")
    }

    /// A `redis` crate client connection speaking RESP3.
    pub fn client_resp3(&self) -> redis::Connection {
        let c = redis::Client::open(format!("redis://127.0.0.1:{}/?protocol=resp3", self.port))
            .expect("client");
        c.get_connection().expect("connect")
    }

    /// A raw TCP connection for byte-exact protocol checks.
    pub fn raw(&self) -> Raw {
        let s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.set_nodelay(true).unwrap();
        Raw { s }
    }

    /// True while the process is alive.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits up to `timeout` for the process to exit; true if it did.
    pub fn wait_exit(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if !self.alive() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory of the node in bytes (from /proc/<pid>/status).
    pub fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("read /proc status");
        let kb: u64 = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .expect("VmRSS line");
        kb * 1024
    }

    /// The node's data directory (holds `slotraft.conf` when started
    /// with a file).
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A raw socket to a node.
pub struct Raw {
    /// The socket.
    pub s: TcpStream,
}

impl Raw {
    /// Sends bytes.
    pub fn send(&mut self, b: &[u8]) {
        self.s.write_all(b).expect("write");
    }

    /// Reads until `expected.len()` bytes arrived (or 10 s), returns them.
    pub fn read_n(&mut self, n: usize) -> Vec<u8> {
        let mut out = vec![0; n];
        let mut got = 0;
        let deadline = Instant::now() + Duration::from_secs(10);
        while got < n && Instant::now() < deadline {
            match self.s.read(&mut out[got..]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(_) => break,
            }
        }
        out.truncate(got);
        out
    }

    /// Sends `req` and asserts the reply bytes are exactly `expected`.
    pub fn roundtrip(&mut self, req: &[u8], expected: &[u8]) {
        self.send(req);
        let got = self.read_n(expected.len());
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(expected),
            "reply to {:?}",
            String::from_utf8_lossy(req)
        );
    }

    /// Switches to RESP3 and consumes the HELLO reply (its length varies
    /// with the client id): a PING after it marks where the reply ends.
    pub fn hello3(&mut self) {
        self.send(b"HELLO 3\r\nPING\r\n");
        let mut got = Vec::new();
        let mut b = [0u8; 4096];
        while !got.ends_with(b"+PONG\r\n") {
            let n = self.s.read(&mut b).expect("HELLO 3 reply");
            assert!(n > 0, "connection closed during HELLO 3");
            got.extend_from_slice(&b[..n]);
        }
    }

    /// True when the server closed the connection (EOF within 10 s).
    pub fn closed(&mut self) -> bool {
        let mut b = [0u8; 1024];
        loop {
            match self.s.read(&mut b) {
                Ok(0) => return true,
                Ok(_) => continue,
                // Closing with unread input makes the kernel send RST.
                Err(e) => {
                    return matches!(
                        e.kind(),
                        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted
                    )
                }
            }
        }
    }
}

/// Valkey's WRONGTYPE reply text.
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
/// Valkey's reply to an argument that must be a 64-bit integer.
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
/// Valkey's syntax error.
pub const SYNTAX: &str = "ERR syntax error";

/// Valkey's wrong-arity error for `name`.
pub fn arity(name: &str) -> String {
    format!("ERR wrong number of arguments for '{name}' command")
}

/// RESP encoding of a command, for byte-exact checks.
pub fn resp(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
    }
    out
}

/// A raw connection switched to RESP3, with the HELLO reply consumed.
pub fn resp3(node: &Node) -> Raw {
    let mut raw = node.raw();
    raw.hello3();
    raw
}

/// Runs a command and returns the raw `redis::Value`.
pub fn value(con: &mut redis::Connection, args: &[&str]) -> redis::Value {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// Runs a command that must fail; returns the error text as Valkey sent it
/// (`ERR ...`, `WRONGTYPE ...`).
pub fn error(con: &mut redis::Connection, args: &[&str]) -> String {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    match c.query::<redis::Value>(con) {
        Ok(v) => panic!("{args:?} succeeded with {v:?}"),
        Err(e) => {
            let code = e.code().unwrap_or("ERR").to_string();
            let detail = e.detail().unwrap_or("").to_string();
            format!("{code} {detail}")
        }
    }
}
