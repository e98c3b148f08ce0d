//! Loading a plugin file: compiling it (or taking it from the cache), finding which world of
//! `wit/` it implements, and linking its imports, so that every way a file can be unusable
//! is found at load time and explained.

use super::bindings::filter::FilterPluginPre;
use super::bindings::sink::SinkPluginPre;
use super::engine::Runtime;
use super::sandbox::PluginState;
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use wasmtime::component::{Component, HasSelf, Linker};

/// The WIT package this pump implements.
pub const PACKAGE: &str = "tyk:pump";
/// Its version.
pub const PACKAGE_VERSION: &str = "0.1.0";

/// Which world a component implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum World {
    /// `tyk:pump/sink-plugin`.
    Sink,
    /// `tyk:pump/filter-plugin`.
    Filter,
}

impl World {
    fn interface(self) -> &'static str {
        match self {
            World::Sink => "sink",
            World::Filter => "filter",
        }
    }
}

impl fmt::Display for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.interface())
    }
}

/// Why a plugin file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is not a WebAssembly component this pump can compile: {message} (build plugins for the wasm32-wasip2 target)"
    )]
    Compile { path: PathBuf, message: String },
    #[error(
        "{path} was built against {found}, but this pump runs plugins built against {PACKAGE}@{PACKAGE_VERSION}; rebuild it with the pump-sdk (or the wit/ files) that ship with this pump"
    )]
    Version { path: PathBuf, found: String },
    #[error(
        "{path} implements neither the sink nor the filter world of {PACKAGE}@{PACKAGE_VERSION}; it exports: {exports}"
    )]
    NoWorld { path: PathBuf, exports: String },
    #[error("{path} is a {found} plugin, but it is configured as a {wanted}")]
    WrongWorld {
        path: PathBuf,
        found: World,
        wanted: World,
    },
    #[error("{path} cannot be linked as a {world} plugin: {message}")]
    Link {
        path: PathBuf,
        world: World,
        message: String,
    },
}

/// A compiled, linked plugin, ready to be instantiated any number of times.
pub struct Loaded {
    /// The file it came from.
    pub path: PathBuf,
    /// The world it implements.
    pub world: World,
    /// The first 12 hex digits of its SHA-256, naming this version in logs.
    pub version: String,
    /// Whether the compiled code came from the on-disk cache.
    pub cached: bool,
    /// What it imports, by name.
    pub imports: Vec<String>,
    pub(super) pre: Pre,
    /// Set once a call of this version has handled records without trapping: a record it
    /// then traps on alone is that record's fault, not the plugin's (see `bisect`). Each
    /// sink and filter loads its own `Loaded`, so this holds for one config.
    pub(super) handled: AtomicBool,
}

/// The instantiation recipe of either world.
pub(super) enum Pre {
    Sink(SinkPluginPre<PluginState>),
    Filter(FilterPluginPre<PluginState>),
}

impl Loaded {
    /// Notes that a call of this version handled records without trapping.
    pub(super) fn mark_handled(&self) {
        self.handled.store(true, Ordering::Relaxed);
    }

    /// Whether a call of this version has handled records without trapping.
    pub(super) fn has_handled(&self) -> bool {
        self.handled.load(Ordering::Relaxed)
    }
}

impl fmt::Debug for Loaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Loaded")
            .field("path", &self.path)
            .field("world", &self.world)
            .field("version", &self.version)
            .finish()
    }
}

impl Loaded {
    /// Reads, compiles and links the plugin at `path`; `wanted` is the world its config
    /// needs (`None` accepts either).
    pub fn load(
        runtime: &Runtime,
        path: &Path,
        wanted: Option<World>,
    ) -> Result<Loaded, PluginError> {
        let bytes = std::fs::read(path).map_err(|source| PluginError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_bytes(runtime, path, &bytes, wanted)
    }

    /// As [`Loaded::load`], from bytes already read.
    pub fn from_bytes(
        runtime: &Runtime,
        path: &Path,
        bytes: &[u8],
        wanted: Option<World>,
    ) -> Result<Loaded, PluginError> {
        let compile_error = |e: wasmtime::Error| PluginError::Compile {
            path: path.to_owned(),
            message: format!("{e:#}"),
        };
        let (component, cached) = match &runtime.cache {
            Some(cache) => cache.load(&runtime.engine, bytes).map_err(compile_error)?,
            None => (
                Component::new(&runtime.engine, bytes).map_err(compile_error)?,
                false,
            ),
        };
        let ty = component.component_type();
        let exports: Vec<String> = ty
            .exports(&runtime.engine)
            .map(|(name, _)| name.to_owned())
            .collect();
        let imports: Vec<String> = ty
            .imports(&runtime.engine)
            .map(|(name, _)| name.to_owned())
            .collect();
        let world = world_of(path, &exports)?;
        if let Some(wanted) = wanted.filter(|w| *w != world) {
            return Err(PluginError::WrongWorld {
                path: path.to_owned(),
                found: world,
                wanted,
            });
        }
        let link_error = |e: wasmtime::Error| PluginError::Link {
            path: path.to_owned(),
            world,
            message: format!("{e:#}"),
        };
        let linker = linker(runtime, world).map_err(link_error)?;
        let pre = linker.instantiate_pre(&component).map_err(link_error)?;
        let pre = match world {
            World::Sink => Pre::Sink(SinkPluginPre::new(pre).map_err(link_error)?),
            World::Filter => Pre::Filter(FilterPluginPre::new(pre).map_err(link_error)?),
        };
        let digest = Sha256::digest(bytes);
        let version: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
        Ok(Loaded {
            path: path.to_owned(),
            world,
            version,
            cached,
            imports,
            pre,
            handled: AtomicBool::new(false),
        })
    }
}

/// The world the exports name: `tyk:pump/sink@0.1.0` or `tyk:pump/filter@0.1.0`, or why not.
fn world_of(path: &Path, exports: &[String]) -> Result<World, PluginError> {
    for world in [World::Sink, World::Filter] {
        let name = format!("{PACKAGE}/{}@{PACKAGE_VERSION}", world.interface());
        if exports.contains(&name) {
            return Ok(world);
        }
    }
    let ours = format!("@{PACKAGE_VERSION}");
    if let Some(other) = exports
        .iter()
        .find(|e| e.starts_with(&format!("{PACKAGE}/")) && !e.ends_with(&ours))
    {
        let package = match other.split_once('@') {
            Some((_, version)) => format!("{PACKAGE}@{version}"),
            None => format!("{PACKAGE} without a version"),
        };
        return Err(PluginError::Version {
            path: path.to_owned(),
            found: package,
        });
    }
    Err(PluginError::NoWorld {
        path: path.to_owned(),
        exports: if exports.is_empty() {
            "nothing".into()
        } else {
            exports.join(", ")
        },
    })
}

/// What a plugin of `world` may import: WASI (clocks, random, and a directory when granted),
/// the pump's `tyk:pump/host`, and for sinks outbound HTTP.
fn linker(runtime: &Runtime, world: World) -> wasmtime::Result<Linker<PluginState>> {
    let mut linker = Linker::new(&runtime.engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    super::bindings::sink::tyk::pump::host::add_to_linker::<_, HasSelf<PluginState>>(
        &mut linker,
        |s| s,
    )?;
    if world == World::Sink {
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    }
    Ok(linker)
}

/// What `pump plugin check` prints about a loaded plugin.
pub fn describe(loaded: &Loaded) -> String {
    let mut out = format!(
        "{}: a {} plugin ({PACKAGE}/{}-plugin@{PACKAGE_VERSION}), version {}\nthis pump can run it",
        loaded.path.display(),
        loaded.world,
        loaded.world,
        loaded.version
    );
    if loaded.world == World::Filter {
        out.push_str(" as `[filters.<name>] type = \"wasm\"`");
    } else {
        out.push_str(" as `[sinks.<name>] type = \"wasm\"`");
    }
    out.push_str("\nimports:");
    for i in &loaded.imports {
        out.push_str("\n  ");
        out.push_str(i);
    }
    out
}
