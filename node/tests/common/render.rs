//! A raw connection that renders each reply as a compact string: bulk
//! strings as their text, `$-1` for a null bulk, `*-1` for a null array,
//! `:n` integers, `,x` RESP3 doubles, `_` RESP3 nulls, `-ERR ...` errors,
//! arrays as `[a, b]`. Type and nesting stay visible, so RESP2 and RESP3
//! shapes can be told apart without the noise of length headers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::Node;

/// A raw connection that renders each reply as a compact string.
pub struct Conn {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Conn {
    pub fn new(node: &Node) -> Conn {
        let s = TcpStream::connect(("127.0.0.1", node.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.set_nodelay(true).unwrap();
        Conn {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
        }
    }

    pub fn resp3(node: &Node) -> Conn {
        let mut c = Conn::new(node);
        c.send(&["HELLO", "3"]);
        c.read();
        c
    }

    pub fn send(&mut self, args: &[&str]) {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        self.w.write_all(&out).unwrap();
    }

    pub fn line(&mut self) -> String {
        let mut l = String::new();
        self.r.read_line(&mut l).expect("reply line");
        assert!(l.ends_with("\r\n"), "truncated reply {l:?}");
        l.truncate(l.len() - 2);
        l
    }

    pub fn read(&mut self) -> String {
        let l = self.line();
        let (kind, rest) = l.split_at(1);
        match kind {
            "$" if rest == "-1" => l,
            "$" => {
                let n: usize = rest.parse().unwrap();
                let mut b = vec![0; n + 2];
                self.r.read_exact(&mut b).unwrap();
                String::from_utf8_lossy(&b[..n]).into_owned()
            }
            "*" | "~" | "%" if rest == "-1" => l,
            "*" | "~" | "%" => {
                let n: usize = rest.parse().unwrap();
                let n = if kind == "%" { n * 2 } else { n };
                let items: Vec<String> = (0..n).map(|_| self.read()).collect();
                let prefix = if kind == "*" { "" } else { kind };
                format!("{prefix}[{}]", items.join(", "))
            }
            _ => l,
        }
    }

    /// Sends one command and renders its reply.
    pub fn cmd(&mut self, args: &[&str]) -> String {
        self.send(args);
        self.read()
    }

    /// Runs a command line split on spaces (for arguments without blanks).
    pub fn q(&mut self, line: &str) -> String {
        let args: Vec<&str> = line.split(' ').collect();
        self.cmd(&args)
    }

    /// Sends a command line without reading the reply (blocking commands).
    pub fn q_send(&mut self, line: &str) {
        let args: Vec<&str> = line.split(' ').collect();
        self.send(&args);
    }

    /// True when no reply arrives within `d`.
    pub fn silent_for(&mut self, d: Duration) -> bool {
        self.w.set_read_timeout(Some(d)).unwrap();
        let quiet = self.r.fill_buf().is_err() || self.r.buffer().is_empty();
        self.w
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        quiet
    }
}
