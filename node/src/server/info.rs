//! INFO: the server's state as `field:value` lines in `# Section`s.
//!
//! Monitoring tools and client libraries parse INFO by field name, so the
//! section names, field names, their order and the `\r\n` line endings are
//! Valkey's. Values are slotraft's own and honest: `used_memory` comes
//! from the binary's counting allocator (`alloc.rs`), RSS from
//! `/proc/self/statm`, and fields describing machinery slotraft lacks (RDB
//! forks, replication backlogs, Lua) keep Valkey's idle values. Each
//! section is one function so a field is easy to find.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::{Server, Session};
use crate::engine::unix_ms;
use crate::resp::Frame;

/// Sections of plain `INFO` (and `INFO default`).
const DEFAULT: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "module_list",
    "errorstats",
    "cluster",
    "keyspace",
];

/// Every section, in the order INFO prints them.
const ORDER: &[(&str, &str, Section)] = &[
    ("server", "Server", server),
    ("clients", "Clients", clients),
    ("memory", "Memory", memory),
    ("persistence", "Persistence", persistence),
    ("stats", "Stats", stats),
    ("replication", "Replication", replication),
    ("cpu", "CPU", cpu),
    ("module_list", "Modules", |_, _| {}),
    ("commandstats", "Commandstats", commandstats),
    ("errorstats", "Errorstats", errorstats),
    ("latencystats", "Latencystats", |_, _| {}),
    ("cluster", "Cluster", cluster),
    ("keyspace", "Keyspace", keyspace),
];

type Section = fn(&Server, &mut Lines);

/// A section's body being written.
struct Lines(String);

impl Lines {
    fn field(&mut self, name: &str, value: impl std::fmt::Display) {
        let _ = write!(self.0, "{name}:{value}\r\n");
    }
}

/// `INFO [section ...]`.
pub fn info(_s: &mut Session, server: &Server, args: &[Bytes]) -> Frame {
    let mut wanted: Vec<String> = Vec::new();
    let mut all = false;
    for a in &args[1..] {
        let name = String::from_utf8_lossy(a).to_ascii_lowercase();
        match name.as_str() {
            "default" => wanted.extend(DEFAULT.iter().map(|s| s.to_string())),
            "all" | "everything" => all = true,
            "modules" => wanted.push("module_list".into()),
            _ => wanted.push(name),
        }
    }
    if args.len() == 1 {
        wanted.extend(DEFAULT.iter().map(|s| s.to_string()));
    }
    Frame::Verbatim(render(server, |name| {
        all || wanted.iter().any(|w| w == name)
    }))
}

/// The INFO text for the sections `want` accepts.
pub fn render(server: &Server, want: impl Fn(&str) -> bool) -> String {
    let mut out = Lines(String::new());
    let mut first = true;
    for (name, title, section) in ORDER {
        if !want(name) {
            continue;
        }
        if !first {
            out.0.push_str("\r\n");
        }
        first = false;
        let _ = write!(out.0, "# {title}\r\n");
        section(server, &mut out);
    }
    out.0
}

fn server(server: &Server, out: &mut Lines) {
    let cfg = server.config.read();
    let uptime = server.started.elapsed().as_secs();
    let hz = cfg.get_i64("hz");
    let now_ms = unix_ms();
    out.field("redis_version", "7.2.4");
    out.field("server_name", "valkey");
    out.field("valkey_version", super::admin::VALKEY_VERSION);
    out.field("valkey_release_stage", "ga");
    out.field("redis_git_sha1", "00000000");
    out.field("redis_git_dirty", 0);
    out.field("redis_build_id", &server.run_id[..16]);
    out.field("redis_mode", "standalone");
    out.field("os", uname());
    out.field("arch_bits", usize::BITS);
    out.field("monotonic_clock", "POSIX clock_gettime");
    out.field("multiplexing_api", "epoll");
    out.field("atomicvar_api", "c11-builtin");
    out.field("gcc_version", "0.0.0");
    out.field("process_id", std::process::id());
    out.field("process_supervised", "no");
    out.field("run_id", &server.run_id);
    out.field("tcp_port", server.port);
    out.field("server_time_usec", now_ms * 1000);
    out.field("uptime_in_seconds", uptime);
    out.field("uptime_in_days", uptime / 86400);
    out.field("hz", hz);
    out.field("configured_hz", hz);
    out.field("lru_clock", (now_ms / 1000) & ((1 << 24) - 1));
    out.field(
        "executable",
        std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    );
    out.field(
        "config_file",
        cfg.file
            .as_ref()
            .and_then(|p| std::fs::canonicalize(p).ok())
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    );
    out.field("io_threads_active", 0);
    out.field("availability_zone", "");
    let binds: String = cfg
        .get("bind")
        .unwrap_or("*")
        .split_whitespace()
        .map(|b| format!("bind={b},"))
        .collect();
    out.field("listener0", format!("name=tcp,{binds}port={}", server.port));
}

fn clients(server: &Server, out: &mut Lines) {
    let all = server.clients.all();
    let count = |f: &dyn Fn(&super::ClientHandle) -> bool| all.iter().filter(|c| f(c)).count();
    let watched: usize = all.iter().map(|c| c.watching.load(Ordering::Relaxed)).sum();
    out.field("connected_clients", all.len());
    out.field("cluster_connections", 0);
    out.field("maxclients", server.config.read().get_i64("maxclients"));
    out.field("client_recent_max_input_buffer", 0);
    out.field("client_recent_max_output_buffer", 0);
    out.field(
        "blocked_clients",
        count(&|c| c.blocked.load(Ordering::Relaxed)),
    );
    out.field("tracking_clients", 0);
    out.field(
        "pubsub_clients",
        count(&|c| c.subs.iter().any(|s| s.load(Ordering::Relaxed) > 0)),
    );
    out.field(
        "watching_clients",
        count(&|c| c.watching.load(Ordering::Relaxed) > 0),
    );
    out.field("clients_in_timeout_table", 0);
    out.field("total_watched_keys", watched);
    out.field("total_blocking_keys", 0);
    out.field("total_blocking_keys_on_nokey", 0);
}

fn memory(server: &Server, out: &mut Lines) {
    let rss = process_rss();
    // The binary installs a counting allocator: used_memory is what the
    // process asked for, as Valkey reports it. Without it (the library used
    // elsewhere) the resident set is the honest figure.
    let used = match crate::alloc::allocated() as u64 {
        0 => rss,
        n => n,
    };
    let peak = server
        .stats
        .peak_memory
        .fetch_max(used, Ordering::Relaxed)
        .max(used);
    let system = system_memory();
    let (maxmemory, policy) = {
        let cfg = server.config.read();
        (
            cfg.get_i64("maxmemory").max(0) as u64,
            cfg.get("maxmemory-policy")
                .unwrap_or("noeviction")
                .to_string(),
        )
    };
    out.field("used_memory", used);
    out.field("used_memory_human", bytes_to_human(used));
    out.field("used_memory_rss", rss);
    out.field("used_memory_rss_human", bytes_to_human(rss));
    out.field("used_memory_peak", peak);
    out.field("used_memory_peak_human", bytes_to_human(peak));
    out.field(
        "used_memory_peak_perc",
        format!("{:.2}%", used as f64 * 100.0 / peak.max(1) as f64),
    );
    out.field("total_system_memory", system);
    out.field("total_system_memory_human", bytes_to_human(system));
    out.field("maxmemory", maxmemory);
    out.field("maxmemory_human", bytes_to_human(maxmemory));
    out.field("maxmemory_policy", policy);
    out.field(
        "mem_fragmentation_ratio",
        format!("{:.2}", rss as f64 / used.max(1) as f64),
    );
    out.field("mem_allocator", "libc");
    out.field("active_defrag_running", 0);
    out.field("lazyfree_pending_objects", 0);
    out.field("lazyfreed_objects", 0);
}

fn persistence(server: &Server, out: &mut Lines) {
    let (appendonly, fsync) = {
        let cfg = server.config.read();
        (
            cfg.get_bool("appendonly"),
            cfg.get("appendfsync").unwrap_or("always").to_string(),
        )
    };
    let dirty = server.engine.with_keyspace(|ks| ks.stats.dirty);
    let started = unix_ms() / 1000 - server.started.elapsed().as_secs() as i64;
    out.field("loading", 0);
    out.field("async_loading", 0);
    out.field("current_cow_peak", 0);
    out.field("current_cow_size", 0);
    out.field("current_cow_size_age", 0);
    out.field("current_fork_perc", "0.00");
    out.field("current_save_keys_processed", 0);
    out.field("current_save_keys_total", 0);
    out.field("rdb_changes_since_last_save", dirty);
    out.field("rdb_bgsave_in_progress", 0);
    out.field("rdb_last_save_time", started);
    out.field("rdb_last_bgsave_status", "ok");
    out.field("rdb_last_bgsave_time_sec", -1);
    out.field("rdb_current_bgsave_time_sec", -1);
    out.field("rdb_saves", 0);
    out.field("rdb_last_cow_size", 0);
    out.field("rdb_last_load_keys_expired", 0);
    out.field("rdb_last_load_keys_loaded", 0);
    out.field("aof_enabled", appendonly as u8);
    out.field("aof_rewrite_in_progress", 0);
    out.field("aof_rewrite_scheduled", 0);
    out.field("aof_last_rewrite_time_sec", -1);
    out.field("aof_current_rewrite_time_sec", -1);
    out.field("aof_last_bgrewrite_status", "ok");
    out.field("aof_rewrites", 0);
    out.field("aof_rewrites_consecutive_failures", 0);
    out.field("aof_last_write_status", "ok");
    out.field("aof_last_cow_size", 0);
    out.field("module_fork_in_progress", 0);
    out.field("module_fork_last_cow_size", 0);
    // slotraft's own: when a write is acknowledged relative to fsync (the
    // Raft log of every group on this node honours it), and the group's
    // last snapshot.
    out.field("appendfsync", fsync);
    let st = server.engine.group().status();
    out.field("raft_last_snapshot_index", st.snapshot_index);
    out.field(
        "raft_log_entries",
        st.last_log_index.saturating_sub(st.purged_index),
    );
}

fn stats(server: &Server, out: &mut Lines) {
    let st = &server.stats;
    let get = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    let ks = server.engine.with_keyspace(|ks| ks.stats);
    let kbps = |m: &super::stats::InstantMetric| format!("{:.2}", m.get() as f64 / 1024.0);
    let channels = server.pubsub.channels(crate::pubsub::Kind::Channel, None);
    let shard = server.pubsub.channels(crate::pubsub::Kind::Shard, None);
    out.field("total_connections_received", get(&st.connections_received));
    out.field("total_commands_processed", get(&st.commands_processed));
    out.field("instantaneous_ops_per_sec", st.ops_per_sec.get());
    out.field("total_net_input_bytes", get(&st.net_input_bytes));
    out.field("total_net_output_bytes", get(&st.net_output_bytes));
    out.field("total_net_repl_input_bytes", 0);
    out.field("total_net_repl_output_bytes", 0);
    out.field("instantaneous_input_kbps", kbps(&st.input_per_sec));
    out.field("instantaneous_output_kbps", kbps(&st.output_per_sec));
    out.field("instantaneous_input_repl_kbps", "0.00");
    out.field("instantaneous_output_repl_kbps", "0.00");
    out.field("rejected_connections", get(&st.rejected_connections));
    out.field("sync_full", 0);
    out.field("sync_partial_ok", 0);
    out.field("sync_partial_err", 0);
    out.field("expired_keys", ks.expired_keys);
    out.field("expired_stale_perc", "0.00");
    out.field("expired_time_cap_reached_count", 0);
    out.field("expire_cycle_cpu_milliseconds", 0);
    out.field("evicted_keys", 0);
    out.field("evicted_clients", 0);
    out.field("evicted_scripts", 0);
    out.field("total_eviction_exceeded_time", 0);
    out.field("current_eviction_exceeded_time", 0);
    out.field("keyspace_hits", ks.hits);
    out.field("keyspace_misses", ks.misses);
    out.field("pubsub_channels", channels.len());
    out.field("pubsub_patterns", server.pubsub.patterns());
    out.field("pubsubshard_channels", shard.len());
    out.field("latest_fork_usec", 0);
    out.field("total_forks", 0);
    out.field("migrate_cached_sockets", 0);
    out.field("slave_expires_tracked_keys", 0);
    out.field("active_defrag_hits", 0);
    out.field("active_defrag_misses", 0);
    out.field("active_defrag_key_hits", 0);
    out.field("active_defrag_key_misses", 0);
    out.field("total_active_defrag_time", 0);
    out.field("current_active_defrag_time", 0);
    out.field("tracking_total_keys", 0);
    out.field("tracking_total_items", 0);
    out.field("tracking_total_prefixes", 0);
    out.field("unexpected_error_replies", 0);
    out.field("total_error_replies", get(&st.error_replies));
    out.field("dump_payload_sanitizations", 0);
    out.field("total_reads_processed", 0);
    out.field("total_writes_processed", 0);
    out.field("io_threaded_reads_processed", 0);
    out.field("io_threaded_writes_processed", 0);
    out.field(
        "client_query_buffer_limit_disconnections",
        get(&st.qbuf_limit_disconnections),
    );
    out.field(
        "client_output_buffer_limit_disconnections",
        get(&server.pubsub.overflowed),
    );
    out.field("reply_buffer_shrinks", 0);
    out.field("reply_buffer_expands", 0);
    out.field("acl_access_denied_auth", 0);
    out.field("acl_access_denied_cmd", 0);
    out.field("acl_access_denied_key", 0);
    out.field("acl_access_denied_channel", 0);
}

fn replication(server: &Server, out: &mut Lines) {
    let group = server.engine.group();
    let st = group.status();
    let leads = st.state == "leader";
    if leads || group.is_witness() && st.leader.is_none() {
        out.field("role", "master");
    } else {
        // A data follower is a replica of the group's leader, as Valkey
        // shows a replica; replication itself is the Raft log's.
        let (host, port) = st
            .leader_addr
            .as_deref()
            .and_then(|a| a.rsplit_once(':'))
            .unwrap_or(("?", "0"));
        out.field("role", "slave");
        out.field("master_host", host);
        out.field("master_port", port);
        out.field(
            "master_link_status",
            if st.leader.is_some() { "up" } else { "down" },
        );
        out.field("master_sync_in_progress", 0);
        out.field("slave_read_repl_offset", st.applied_index);
        out.field("slave_repl_offset", st.applied_index);
        out.field("slave_priority", 100);
        out.field("slave_read_only", 1);
        out.field("replica_announced", 1);
    }
    let followers = if leads {
        st.voters.len().saturating_sub(1)
    } else {
        0
    };
    out.field("connected_slaves", followers);
    out.field("master_failover_state", "no-failover");
    out.field("master_replid", &server.replid);
    out.field("master_replid2", "0".repeat(40));
    out.field("master_repl_offset", 0);
    out.field("second_repl_offset", -1);
    out.field("repl_backlog_active", 0);
    out.field("repl_backlog_size", 1048576);
    out.field("repl_backlog_first_byte_offset", 0);
    out.field("repl_backlog_histlen", 0);
    // slotraft's own: the node's Raft group(s).
    let raft_role = if group.is_witness() {
        "witness"
    } else {
        st.state
    };
    out.field("raft_role", raft_role);
    out.field("raft_term", st.term);
    out.field("raft_leader_id", st.leader.unwrap_or(0));
    // openraft 0.9's metrics carry no commit index; what this member
    // applied is the committed prefix it knows of.
    out.field("raft_commit_index", st.applied_index);
    out.field("raft_applied_index", st.applied_index);
    out.field("raft_last_log_index", st.last_log_index);
    out.field("raft_last_snapshot_index", st.snapshot_index);
    out.field("raft_purged_index", st.purged_index);
    // Times the group's core died and was rebuilt from storage, and
    // rebuild attempts that failed (see group/supervisor.rs).
    out.field("raft_group_restarts", st.restarts);
    out.field("raft_group_failed_restarts", st.failed_restarts);
    out.field(
        &format!("raft_group_{}", group.id),
        format!(
            "role={raft_role},term={},leader={},commit={},applied={},last_log={},snapshot={},voters={},restarts={}",
            st.term,
            st.leader.unwrap_or(0),
            st.applied_index,
            st.applied_index,
            st.last_log_index,
            st.snapshot_index,
            st.voters.len(),
            st.restarts
        ),
    );
}

fn cpu(_server: &Server, out: &mut Lines) {
    let usage = |who| {
        // SAFETY: getrusage only writes the struct we pass.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(who, &mut ru) };
        let t = |tv: libc::timeval| format!("{}.{:06}", tv.tv_sec, tv.tv_usec);
        (t(ru.ru_stime), t(ru.ru_utime))
    };
    let (sys, user) = usage(libc::RUSAGE_SELF);
    let (csys, cuser) = usage(libc::RUSAGE_CHILDREN);
    out.field("used_cpu_sys", sys);
    out.field("used_cpu_user", user);
    out.field("used_cpu_sys_children", csys);
    out.field("used_cpu_user_children", cuser);
}

fn commandstats(server: &Server, out: &mut Lines) {
    for r in &crate::command::table().all {
        let st = &server.stats.commands[r.id];
        let calls = st.calls.load(Ordering::Relaxed);
        let usec = st.usec.load(Ordering::Relaxed);
        let rejected = st.rejected.load(Ordering::Relaxed);
        let failed = st.failed.load(Ordering::Relaxed);
        if calls == 0 && rejected == 0 && failed == 0 {
            continue;
        }
        let per_call = if calls == 0 {
            0.0
        } else {
            usec as f64 / calls as f64
        };
        out.field(
            &format!("cmdstat_{}", r.full_name),
            format!(
                "calls={calls},usec={usec},usec_per_call={per_call:.2},rejected_calls={rejected},failed_calls={failed}"
            ),
        );
    }
}

fn errorstats(server: &Server, out: &mut Lines) {
    for (code, n) in server.stats.errors.lock().iter() {
        let safe: String = code
            .chars()
            .map(|c| if "#:\r\n".contains(c) { '_' } else { c })
            .collect();
        out.field(&format!("errorstat_{safe}"), format!("count={n}"));
    }
}

fn cluster(_server: &Server, out: &mut Lines) {
    out.field("cluster_enabled", 0);
}

fn keyspace(server: &Server, out: &mut Lines) {
    let now = unix_ms();
    let dbs: Vec<(usize, usize, usize, i64)> = server.engine.with_keyspace(|ks| {
        ks.dbs
            .iter()
            .enumerate()
            .filter(|(_, db)| !db.entries.is_empty() || !db.expires.is_empty())
            .map(|(i, db)| (i, db.entries.len(), db.expires.len(), avg_ttl(db, now)))
            .collect()
    });
    for (i, keys, expires, ttl) in dbs {
        out.field(
            &format!("db{i}"),
            format!("keys={keys},expires={expires},avg_ttl={ttl}"),
        );
    }
}

/// Average remaining TTL in ms over (a bounded, evenly spread sample of)
/// the keys with an expiry, so INFO stays cheap on large databases.
fn avg_ttl(db: &crate::keyspace::Db, now: i64) -> i64 {
    const SAMPLE: usize = 1024;
    let n = db.expires.len();
    if n == 0 {
        return 0;
    }
    let step = n.div_ceil(SAMPLE);
    let (mut sum, mut count) = (0i64, 0i64);
    let mut i = 0;
    while i < n {
        let (_, &at) = db.expires.at(i);
        sum = sum.saturating_add((at - now).max(0));
        count += 1;
        i += step;
    }
    sum / count
}

/// Valkey's `bytesToHuman`: `512B`, `1.50K`, `2.00M`, ...
pub fn bytes_to_human(n: u64) -> String {
    const UNITS: &[(u64, &str)] = &[
        (1 << 50, "P"),
        (1 << 40, "T"),
        (1 << 30, "G"),
        (1 << 20, "M"),
        (1 << 10, "K"),
    ];
    for (size, unit) in UNITS {
        if n >= *size {
            return format!("{:.2}{unit}", n as f64 / *size as f64);
        }
    }
    format!("{n}B")
}

/// The resident set size of this process, in bytes.
pub fn process_rss() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no memory effects.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
    pages * page
}

fn system_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("MemTotal:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kb| kb * 1024)
}

/// `Linux 6.1.0 x86_64`, as Valkey prints `os`.
fn uname() -> String {
    // SAFETY: uname fills the struct we pass; its fields are C strings.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return String::new();
        }
        let s = |f: &[libc::c_char]| {
            std::ffi::CStr::from_ptr(f.as_ptr())
                .to_string_lossy()
                .into_owned()
        };
        format!("{} {} {}", s(&u.sysname), s(&u.release), s(&u.machine))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes_like_valkey() {
        assert_eq!(bytes_to_human(512), "512B");
        assert_eq!(bytes_to_human(1536), "1.50K");
        assert_eq!(bytes_to_human(2 * 1024 * 1024), "2.00M");
        assert_eq!(bytes_to_human(0), "0B");
    }
}
