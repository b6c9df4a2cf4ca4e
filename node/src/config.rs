//! Configuration in valkey-server's style: `slotraft [file] [--name value ...]`.
//!
//! Every parameter is declared once in [`PARAMS`] with its default, its
//! kind (which validates CONFIG SET and the file alike) and whether it can
//! change at run time. Values are kept as their canonical text, which is
//! what CONFIG GET returns; typed getters parse them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use thiserror::Error;

use crate::util::glob_match;

/// How a parameter's value is validated.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// An integer in `min..=max`.
    Int(i64, i64),
    /// A size in bytes, accepting `1gb`, `512mb`, `100k` suffixes.
    Memory,
    /// `yes` / `no`.
    Bool,
    /// One of these words.
    Enum(&'static [&'static str]),
    /// Any text.
    Text,
}

/// A configuration parameter.
#[derive(Debug)]
pub struct Param {
    /// Name, lower case.
    pub name: &'static str,
    /// Default value.
    pub default: &'static str,
    /// Validation.
    pub kind: Kind,
    /// Settable with CONFIG SET.
    pub mutable: bool,
}

const fn p(name: &'static str, default: &'static str, kind: Kind, mutable: bool) -> Param {
    Param {
        name,
        default,
        kind,
        mutable,
    }
}

/// Every parameter slotraft understands.
pub const PARAMS: &[Param] = &[
    p("port", "6379", Kind::Int(0, 65535), false),
    p("bind", "* -::*", Kind::Text, false),
    p("dir", ".", Kind::Text, true),
    p("requirepass", "", Kind::Text, true),
    p("databases", "16", Kind::Int(1, i32::MAX as i64), false),
    // Fixed at start: the node's log is opened with it (see raft-log's
    // SyncMode), so CONFIG SET cannot change it under a running log.
    p(
        "appendfsync",
        "always",
        Kind::Enum(&["always", "everysec", "no"]),
        false,
    ),
    p("appendonly", "yes", Kind::Bool, false),
    p("maxclients", "10000", Kind::Int(1, i32::MAX as i64), true),
    p("timeout", "0", Kind::Int(0, i32::MAX as i64), true),
    p("tcp-keepalive", "300", Kind::Int(0, i32::MAX as i64), true),
    p(
        "loglevel",
        "notice",
        Kind::Enum(&["debug", "verbose", "notice", "warning", "nothing"]),
        true,
    ),
    p("logfile", "", Kind::Text, false),
    p("cluster-enabled", "no", Kind::Bool, false),
    p("proto-max-bulk-len", "536870912", Kind::Memory, true),
    p(
        "client-query-buffer-limit",
        "1073741824",
        Kind::Memory,
        true,
    ),
    p("maxmemory", "0", Kind::Memory, true),
    p(
        "maxmemory-policy",
        "noeviction",
        Kind::Enum(&[
            "noeviction",
            "allkeys-lru",
            "volatile-lru",
            "allkeys-lfu",
            "volatile-lfu",
            "allkeys-random",
            "volatile-random",
            "volatile-ttl",
        ]),
        true,
    ),
    p("hz", "10", Kind::Int(1, 500), true),
    p(
        "slowlog-log-slower-than",
        "10000",
        Kind::Int(-1, i64::MAX),
        true,
    ),
    p("slowlog-max-len", "128", Kind::Int(0, i64::MAX), true),
    p(
        "hash-max-listpack-entries",
        "128",
        Kind::Int(0, i64::MAX),
        true,
    ),
    p(
        "hash-max-listpack-value",
        "64",
        Kind::Int(0, i64::MAX),
        true,
    ),
    p(
        "hash-max-ziplist-entries",
        "128",
        Kind::Int(0, i64::MAX),
        true,
    ),
    p("hash-max-ziplist-value", "64", Kind::Int(0, i64::MAX), true),
    p(
        "set-max-intset-entries",
        "512",
        Kind::Int(0, i64::MAX),
        true,
    ),
    p(
        "set-max-listpack-entries",
        "128",
        Kind::Int(0, i64::MAX),
        true,
    ),
    p("set-max-listpack-value", "64", Kind::Int(0, i64::MAX), true),
    p(
        "zset-max-listpack-entries",
        "128",
        Kind::Int(0, i64::MAX),
        true,
    ),
    p(
        "zset-max-listpack-value",
        "64",
        Kind::Int(0, i64::MAX),
        true,
    ),
    p(
        "zset-max-ziplist-entries",
        "128",
        Kind::Int(0, i64::MAX),
        true,
    ),
    p("zset-max-ziplist-value", "64", Kind::Int(0, i64::MAX), true),
    p(
        "list-max-listpack-size",
        "-2",
        Kind::Int(i32::MIN as i64, i32::MAX as i64),
        true,
    ),
    p(
        "list-max-ziplist-size",
        "-2",
        Kind::Int(i32::MIN as i64, i32::MAX as i64),
        true,
    ),
    p("save", "", Kind::Text, true),
    p("daemonize", "no", Kind::Bool, false),
    p("protected-mode", "no", Kind::Bool, true),
    p("tcp-backlog", "511", Kind::Int(0, i32::MAX as i64), false),
    p("latency-tracking", "yes", Kind::Bool, true),
    p("lazyfree-lazy-user-flush", "no", Kind::Bool, true),
    // Raft (docs/configuration.md). Until cluster mode, `raft-members`
    // makes this node one member of a replicated group; empty means a
    // standalone node (a one-member group).
    p("raft-node-id", "1", Kind::Int(1, i64::MAX), false),
    p("raft-members", "", Kind::Text, false),
    p("raft-witnesses", "", Kind::Text, false),
    p(
        "raft-heartbeat-interval",
        "100",
        Kind::Int(10, 60_000),
        false,
    ),
    p(
        "raft-election-timeout",
        "300",
        Kind::Int(50, 600_000),
        false,
    ),
    p("raft-snapshot-logs", "20000", Kind::Int(0, i64::MAX), false),
];

/// Aliases Valkey keeps for old names.
const ALIASES: &[(&str, &str)] = &[
    ("hash-max-ziplist-entries", "hash-max-listpack-entries"),
    ("hash-max-ziplist-value", "hash-max-listpack-value"),
    ("zset-max-ziplist-entries", "zset-max-listpack-entries"),
    ("zset-max-ziplist-value", "zset-max-listpack-value"),
    ("list-max-ziplist-size", "list-max-listpack-size"),
];

/// A configuration error, in the words valkey-server uses.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    /// Unknown parameter name.
    #[error("Bad directive or wrong number of arguments")]
    Unknown(String),
    /// A value that does not fit the parameter.
    #[error("argument couldn't be parsed into an integer")]
    NotInteger,
    /// Out of bounds.
    #[error("argument must be between {0} and {1} inclusive")]
    OutOfRange(i64, i64),
    /// Not yes/no.
    #[error("argument must be 'yes' or 'no'")]
    NotBool,
    /// Not one of the words.
    #[error("argument(s) must be one of the following: {0}")]
    NotInEnum(String),
    /// Needs a memory size.
    #[error("argument must be a memory value")]
    NotMemory,
    /// A value for a setting that cannot change at run time.
    #[error("can't set immutable config")]
    Immutable,
    /// A feature that a later version brings.
    #[error("{0}")]
    Unsupported(String),
    /// I/O reading the file.
    #[error("{0}")]
    Io(String),
}

/// Parses `1gb`, `512mb`, `100k`, `42` into bytes, as Valkey's `memtoull`.
pub fn parse_memory(s: &str) -> Option<i64> {
    let s = s.to_ascii_lowercase();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '-')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: i64 = num.parse().ok()?;
    let mul: i64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    n.checked_mul(mul)
}

/// The node's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    values: BTreeMap<&'static str, String>,
    /// The file the node was started with (for CONFIG REWRITE).
    pub file: Option<PathBuf>,
}

fn find(name: &str) -> Option<&'static Param> {
    let lower = name.to_ascii_lowercase();
    let canonical = ALIASES
        .iter()
        .find(|(a, _)| *a == lower)
        .map(|(_, c)| *c)
        .unwrap_or(lower.as_str())
        .to_string();
    PARAMS.iter().find(|p| p.name == canonical)
}

impl Default for Config {
    fn default() -> Self {
        Config {
            values: PARAMS
                .iter()
                .map(|p| (p.name, p.default.to_string()))
                .collect(),
            file: None,
        }
    }
}

impl Config {
    /// Builds the configuration from the command line: an optional file
    /// first, then `--name value...` pairs, as valkey-server takes them.
    pub fn from_args(args: &[String]) -> Result<Config, String> {
        let mut cfg = Config::default();
        let mut rest = args;
        if let Some(first) = args.first() {
            if !first.starts_with("--") {
                let text = std::fs::read_to_string(first)
                    .map_err(|e| format!("Fatal error, can't open config file '{first}': {e}"))?;
                cfg.load_text(&text)?;
                cfg.file = Some(PathBuf::from(first));
                rest = &args[1..];
            }
        }
        // `--name v1 v2 --other v` → lines "name v1 v2", "other v".
        let mut text = String::new();
        for a in rest {
            if let Some(name) = a.strip_prefix("--") {
                text.push('\n');
                text.push_str(name);
            } else {
                text.push(' ');
                text.push_str(&quote(a));
            }
        }
        cfg.load_text(&text)?;
        if cfg.get_bool("cluster-enabled") {
            return Err(
                "cluster-enabled yes is not supported yet: this build runs standalone nodes only"
                    .into(),
            );
        }
        Ok(cfg)
    }

    fn load_text(&mut self, text: &str) -> Result<(), String> {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words = crate::resp::split_args(line.as_bytes()).ok_or_else(|| {
                format!(
                    "*** FATAL CONFIG FILE ERROR *** line {}: unbalanced quotes",
                    n + 1
                )
            })?;
            let words: Vec<String> = words
                .iter()
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect();
            let (name, vals) = words.split_first().expect("line is not blank");
            let value = vals.join(" ");
            self.set_value(name, &value, true).map_err(|e| {
                format!(
                    "*** FATAL CONFIG FILE ERROR *** line {}: '{line}': {e}",
                    n + 1
                )
            })?;
        }
        Ok(())
    }

    /// Sets a parameter after validating it; `at_start` allows immutable ones.
    pub fn set_value(
        &mut self,
        name: &str,
        value: &str,
        at_start: bool,
    ) -> Result<(), ConfigError> {
        let p = find(name).ok_or_else(|| ConfigError::Unknown(name.to_string()))?;
        if !p.mutable && !at_start {
            return Err(ConfigError::Immutable);
        }
        let canonical = match p.kind {
            Kind::Int(min, max) => {
                let v: i64 = value.parse().map_err(|_| ConfigError::NotInteger)?;
                if v < min || v > max {
                    return Err(ConfigError::OutOfRange(min, max));
                }
                v.to_string()
            }
            Kind::Memory => parse_memory(value)
                .ok_or(ConfigError::NotMemory)?
                .to_string(),
            Kind::Bool => match value.to_ascii_lowercase().as_str() {
                "yes" => "yes".into(),
                "no" => "no".into(),
                _ => return Err(ConfigError::NotBool),
            },
            Kind::Enum(words) => {
                let v = value.to_ascii_lowercase();
                if !words.contains(&v.as_str()) {
                    return Err(ConfigError::NotInEnum(words.join(",")));
                }
                v
            }
            Kind::Text => value.to_string(),
        };
        // Old names write through to the canonical entry and vice versa.
        for (alias, canon) in ALIASES {
            if *canon == p.name {
                self.values.insert(alias, canonical.clone());
            }
            if *alias == p.name {
                self.values.insert(canon, canonical.clone());
            }
        }
        self.values.insert(p.name, canonical);
        Ok(())
    }

    /// The canonical text of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        let p = find(name)?;
        self.values.get(p.name).map(|s| s.as_str())
    }

    /// An integer parameter.
    pub fn get_i64(&self, name: &str) -> i64 {
        self.get(name).and_then(|v| v.parse().ok()).unwrap_or(0)
    }

    /// A yes/no parameter.
    pub fn get_bool(&self, name: &str) -> bool {
        self.get(name) == Some("yes")
    }

    /// Every (name, value) whose name matches the glob `pattern`.
    pub fn matching(&self, pattern: &[u8]) -> Vec<(&'static str, String)> {
        self.values
            .iter()
            .filter(|(k, _)| glob_match(pattern, k.as_bytes(), true))
            .map(|(k, v)| (*k, v.clone()))
            .collect()
    }

    /// Writes the current configuration back to the file it came from:
    /// lines for known parameters are replaced, others are kept, and
    /// non-default values not yet in the file are appended.
    pub fn rewrite(&self) -> Result<(), ConfigError> {
        let path = self.file.as_ref().ok_or_else(|| {
            ConfigError::Unsupported("The server is running without a config file".into())
        })?;
        let old = std::fs::read_to_string(path).unwrap_or_default();
        let mut written = std::collections::HashSet::new();
        let mut out = String::new();
        for line in old.lines() {
            let name = line.split_whitespace().next().unwrap_or("");
            match find(name) {
                Some(p) if !line.trim_start().starts_with('#') => {
                    if written.insert(p.name) {
                        out.push_str(&format!("{} {}\n", p.name, quote(&self.values[p.name])));
                    }
                }
                _ => {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        for p in PARAMS {
            if ALIASES.iter().any(|(a, _)| *a == p.name) {
                continue;
            }
            let v = &self.values[p.name];
            if !written.contains(p.name) && v != p.default {
                out.push_str(&format!("{} {}\n", p.name, quote(v)));
            }
        }
        let tmp = path.with_extension("tmp-rewrite");
        std::fs::write(&tmp, out).map_err(|e| ConfigError::Io(e.to_string()))?;
        std::fs::rename(&tmp, path).map_err(|e| ConfigError::Io(e.to_string()))?;
        Ok(())
    }
}

/// Quotes a value for a config line when it needs it.
fn quote(v: &str) -> String {
    if v.is_empty() || v.contains([' ', '"', '\'', '\\']) {
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_override_file_and_validate() {
        let cfg = Config::from_args(&[
            "--port".into(),
            "7000".into(),
            "--maxclients".into(),
            "5".into(),
        ])
        .unwrap();
        assert_eq!(cfg.get_i64("port"), 7000);
        assert_eq!(cfg.get_i64("maxclients"), 5);
        assert!(Config::from_args(&["--nope".into(), "1".into()]).is_err());
        assert!(Config::from_args(&["--port".into(), "99999".into()]).is_err());
        assert!(Config::from_args(&["--cluster-enabled".into(), "yes".into()]).is_err());
    }

    #[test]
    fn memory_units_and_aliases() {
        let mut cfg = Config::default();
        cfg.set_value("proto-max-bulk-len", "1mb", false).unwrap();
        assert_eq!(cfg.get("proto-max-bulk-len"), Some("1048576"));
        cfg.set_value("hash-max-ziplist-entries", "7", false)
            .unwrap();
        assert_eq!(cfg.get("hash-max-listpack-entries"), Some("7"));
        assert_eq!(
            cfg.set_value("port", "1", false),
            Err(ConfigError::Immutable)
        );
    }
}
