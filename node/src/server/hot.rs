//! The configuration values the request loop reads on every request.
//!
//! `Config::get` lower-cases the name, scans the alias and parameter lists
//! and parses the value: measured at ~8% of the node's CPU under
//! redis-benchmark when done per request through the config `RwLock`. These
//! few values are copied into atomics when the configuration is built and
//! after every CONFIG SET (the only writer), so the hot path reads them with
//! a relaxed load. A reader may see a value one request late, as it could
//! with the lock.

use std::sync::atomic::{AtomicI64, Ordering};

use crate::config::Config;

/// Cached copies of hot configuration parameters.
#[derive(Debug, Default)]
pub struct HotConfig {
    proto_max_bulk_len: AtomicI64,
    query_buffer_limit: AtomicI64,
    timeout: AtomicI64,
    slowlog_slower_than: AtomicI64,
    slowlog_max_len: AtomicI64,
}

impl HotConfig {
    /// Copies of `cfg`'s values.
    pub fn new(cfg: &Config) -> HotConfig {
        let hot = HotConfig::default();
        hot.update(cfg);
        hot
    }

    /// Refreshes the copies; call after every change of the configuration.
    pub fn update(&self, cfg: &Config) {
        let set = |a: &AtomicI64, name: &str| a.store(cfg.get_i64(name), Ordering::Relaxed);
        set(&self.proto_max_bulk_len, "proto-max-bulk-len");
        set(&self.query_buffer_limit, "client-query-buffer-limit");
        set(&self.timeout, "timeout");
        set(&self.slowlog_slower_than, "slowlog-log-slower-than");
        set(&self.slowlog_max_len, "slowlog-max-len");
    }

    /// `proto-max-bulk-len`.
    pub fn proto_max_bulk_len(&self) -> i64 {
        self.proto_max_bulk_len.load(Ordering::Relaxed)
    }

    /// `client-query-buffer-limit`.
    pub fn query_buffer_limit(&self) -> i64 {
        self.query_buffer_limit.load(Ordering::Relaxed)
    }

    /// `timeout` (idle seconds, 0 = never).
    pub fn timeout(&self) -> i64 {
        self.timeout.load(Ordering::Relaxed)
    }

    /// `slowlog-log-slower-than` (µs; negative disables).
    pub fn slowlog_slower_than(&self) -> i64 {
        self.slowlog_slower_than.load(Ordering::Relaxed)
    }

    /// `slowlog-max-len`.
    pub fn slowlog_max_len(&self) -> i64 {
        self.slowlog_max_len.load(Ordering::Relaxed)
    }
}
