//! Gathers every module's command entries into one lookup table.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use bytes::Bytes;

use super::CommandSpec;

/// A resolved command: its entry and the index of its statistics slot.
#[derive(Clone, Copy)]
pub struct Resolved {
    /// The entry (the subcommand's, for a container command).
    pub spec: &'static CommandSpec,
    /// Index into the per-command statistics.
    pub id: usize,
    /// Full name as INFO commandstats shows it (`get`, `config|get`).
    pub full_name: &'static str,
}

/// All commands, by lower-case name.
pub struct CommandTable {
    /// Keyed by the name's bytes, so a lookup needs no UTF-8 check.
    by_name: HashMap<&'static [u8], Resolved, BuildHasherDefault<Fnv>>,
    subs: HashMap<(&'static str, String), Resolved>,
    /// Every entry in registration order (subcommands after their parent).
    pub all: Vec<Resolved>,
}

/// FNV-1a for the name lookup, done once or twice per request. The std
/// SipHash showed as ~3% of the node's instructions under redis-benchmark;
/// its flood resistance buys nothing for a fixed table built at startup
/// (a lookup cannot add entries).
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The process-wide table.
pub fn table() -> &'static CommandTable {
    static TABLE: OnceLock<CommandTable> = OnceLock::new();
    TABLE.get_or_init(CommandTable::build)
}

impl CommandTable {
    fn build() -> CommandTable {
        let modules: &[&'static [CommandSpec]] = &[
            crate::types::string::COMMANDS,
            crate::types::keys::COMMANDS,
            crate::types::expire::COMMANDS,
            crate::types::list::COMMANDS,
            crate::types::hash::COMMANDS,
            crate::types::set::COMMANDS,
            crate::types::zset::COMMANDS,
            crate::server::commands::COMMANDS,
            crate::server::admin::COMMANDS,
            crate::pubsub::COMMANDS,
            crate::transaction::COMMANDS,
            super::info::COMMANDS,
        ];
        let mut t = CommandTable {
            by_name: HashMap::default(),
            subs: HashMap::new(),
            all: Vec::new(),
        };
        for module in modules {
            for spec in module.iter() {
                let r = Resolved {
                    spec,
                    id: t.all.len(),
                    full_name: spec.name,
                };
                assert!(
                    t.by_name.insert(spec.name.as_bytes(), r).is_none(),
                    "command {} registered twice",
                    spec.name
                );
                t.all.push(r);
                for sub in spec.subcommands {
                    let full: &'static str =
                        Box::leak(format!("{}|{}", spec.name, sub.name).into_boxed_str());
                    let r = Resolved {
                        spec: sub,
                        id: t.all.len(),
                        full_name: full,
                    };
                    t.subs.insert((spec.name, sub.name.to_string()), r);
                    t.all.push(r);
                }
            }
        }
        t
    }

    /// The entry for a command name (any case).
    pub fn get(&self, name: &[u8]) -> Option<Resolved> {
        // Hot path: lower-case into a stack buffer instead of allocating.
        let mut buf = [0u8; 32];
        if name.len() > buf.len() {
            return None;
        }
        for (d, s) in buf.iter_mut().zip(name) {
            *d = s.to_ascii_lowercase();
        }
        self.by_name.get(&buf[..name.len()]).copied()
    }

    /// The subcommand entry `sub` of container `parent`.
    pub fn sub(&self, parent: &'static str, sub: &[u8]) -> Option<Resolved> {
        let lower = String::from_utf8_lossy(sub).to_ascii_lowercase();
        self.subs.get(&(parent, lower)).copied()
    }

    /// Resolves a request to the entry that handles it, checking arity.
    /// Errors are the replies Valkey gives.
    pub fn resolve(&self, args: &[Bytes]) -> Result<Resolved, crate::resp::Frame> {
        let Some(r) = self.get(&args[0]) else {
            return Err(crate::errors::unknown_command(args));
        };
        if !r.spec.subcommands.is_empty() {
            // A container alone runs itself when its arity allows it
            // (COMMAND); otherwise it is an arity error (CONFIG).
            if args.len() < 2 {
                if r.spec.arity_ok(args.len()) {
                    return Ok(r);
                }
                return Err(crate::errors::wrong_arity(r.spec.name));
            }
            return match self.sub(r.spec.name, &args[1]) {
                Some(s) if s.spec.arity_ok(args.len()) => Ok(s),
                Some(s) => Err(crate::errors::wrong_arity(s.full_name)),
                None => Err(crate::errors::unknown_subcommand(r.spec.name, &args[1])),
            };
        }
        if !r.spec.arity_ok(args.len()) {
            return Err(crate::errors::wrong_arity(r.spec.name));
        }
        Ok(r)
    }

    /// Number of top-level commands.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// True when no command is registered.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Top-level entries.
    pub fn top_level(&self) -> impl Iterator<Item = &'static CommandSpec> + '_ {
        self.all
            .iter()
            .filter(|r| !r.full_name.contains('|'))
            .map(|r| r.spec)
    }
}
