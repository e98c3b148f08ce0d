//! The store a plugin instance runs in: what it may use (memory, time, files, hosts) and
//! nothing more. No environment variables, arguments or stdin; stderr goes to the pump's.

use super::outbound::AllowList;
use crate::config::PluginConfig;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::component::ResourceTable;
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// Where a granted directory appears inside the plugin.
pub const GUEST_DIR: &str = "/data";

/// What one plugin is granted, from its config.
#[derive(Debug, Clone)]
pub struct Sandbox {
    /// The sink or filter name, for logs and errors.
    pub name: Arc<str>,
    pub memory_limit: usize,
    pub call_timeout: Duration,
    pub allow_hosts: Arc<[String]>,
    pub dir: Option<std::path::PathBuf>,
    /// The directory is read-only (filters: routing must not depend on state).
    pub dir_read_only: bool,
}

impl Sandbox {
    /// The grants of a configured plugin called `name`.
    pub fn new(name: &str, config: &PluginConfig) -> Self {
        Sandbox {
            name: Arc::from(name),
            memory_limit: usize::try_from(config.memory_limit).unwrap_or(usize::MAX),
            call_timeout: config.call_timeout,
            allow_hosts: config.allow_hosts.clone().into(),
            dir: config.dir.clone(),
            dir_read_only: false,
        }
    }

    /// The grants of a filter: as a sink's, but a granted directory is read-only.
    pub fn for_filter(name: &str, config: &PluginConfig) -> Self {
        Sandbox {
            dir_read_only: true,
            ..Sandbox::new(name, config)
        }
    }

    /// A fresh store for one instance.
    pub fn store(&self, engine: &Engine) -> wasmtime::Result<Store<PluginState>> {
        let mut wasi = WasiCtxBuilder::new();
        wasi.inherit_stderr();
        // No sockets and no name lookups: outbound traffic goes through wasi:http alone,
        // where the allow-list applies.
        wasi.allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        if let Some(dir) = &self.dir {
            let perms = if self.dir_read_only {
                FsPerms::ReadOnly
            } else {
                FsPerms::ReadWrite
            };
            wasi.preopened_dir(dir, GUEST_DIR, perms)
                .map_err(|e| e.context(format!("cannot grant the directory {}", dir.display())))?;
        }
        let state = PluginState {
            name: self.name.clone(),
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(self.memory_limit)
                .instances(64)
                .memories(64)
                .tables(64)
                .table_elements(1 << 20)
                .trap_on_grow_failure(true)
                .build(),
            outbound: AllowList::new(
                self.name.clone(),
                self.allow_hosts.clone(),
                self.call_timeout,
            ),
            call_started: Instant::now(),
            call_timeout: self.call_timeout,
            timed_out: false,
        };
        let mut store = Store::new(engine, state);
        store.limiter(|s| &mut s.limits);
        // Every tick a running call yields to the runtime; past its deadline it is stopped.
        store.epoch_deadline_callback(|mut ctx| {
            let state = ctx.data_mut();
            if state.call_started.elapsed() >= state.call_timeout {
                state.timed_out = true;
                return Ok(UpdateDeadline::Interrupt);
            }
            Ok(UpdateDeadline::Yield(1))
        });
        store.set_epoch_deadline(1);
        Ok(store)
    }
}

/// The state of one plugin instance.
pub struct PluginState {
    pub(super) name: Arc<str>,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    limits: StoreLimits,
    outbound: AllowList,
    call_started: Instant,
    call_timeout: Duration,
    /// Set when the last call was stopped at its deadline.
    pub(super) timed_out: bool,
}

impl PluginState {
    /// Starts the clock of a call.
    pub fn begin_call(&mut self) {
        self.call_started = Instant::now();
        self.timed_out = false;
    }
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for PluginState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.outbound,
        }
    }
}
