//! A sink that misbehaves on purpose, for the pump's sandbox tests. Its `mode` says how:
//!
//! - `loop`: spins forever in `write`;
//! - `memory`: allocates until it runs out of memory in `write`;
//! - `trap`: panics in `write` (a Wasm trap);
//! - `http`: POSTs the batch to `url` (a host not on its allow-list) and reports the answer;
//! - `tcp`: opens a raw TCP connection (`wasi:sockets`) to `url`, an `ip:port`, and reports
//!   what happened;
//! - `file`: reads `path` (a file it was not granted) and reports what happened;
//! - `env`: reads the environment variable `name` and reports what it saw;
//! - `poison`: traps on any batch holding the record whose `Path` is `path`, and says it
//!   wrote every other batch (posting its records' paths to `url`, if given);
//! - `ok`: behaves, storing nothing.
//!
//! In the reporting modes every record is rejected with what the plugin saw, so the test
//! can read it from the sink's dead letters.

use pump_sdk::{Batch, Outcome, Outcomes, Sink, http};
use serde::Deserialize;

/// The sink's `config` table.
#[derive(Deserialize)]
pub struct Config {
    mode: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    name: String,
}

/// The misbehaving sink.
pub struct Hostile(Config);

impl Sink for Hostile {
    type Config = Config;

    fn new(config: Config) -> Result<Self, String> {
        Ok(Hostile(config))
    }

    fn write(&mut self, batch: &Batch) -> Outcomes {
        let report = match self.0.mode.as_str() {
            "loop" => spin(),
            "memory" => hoard(),
            "trap" => panic!("the hostile sink traps on purpose"),
            "http" => match http::post(&self.0.url, &[], b"x") {
                Ok(r) => format!("reached {} (HTTP {})", self.0.url, r.status),
                Err(e) => format!("http refused: {e}"),
            },
            "tcp" => dial(&self.0.url),
            "file" => match std::fs::read(&self.0.path) {
                Ok(bytes) => format!("read {} bytes of {}", bytes.len(), self.0.path),
                Err(e) => format!("file refused: {e}"),
            },
            "poison" => {
                let poisoned = batch
                    .iter()
                    .any(|r| r.str_field("Path").ok().flatten().as_deref() == Some(&*self.0.path));
                if poisoned {
                    panic!("the hostile sink traps on {}", self.0.path);
                }
                if self.0.url.is_empty() {
                    return Outcomes::AllWritten;
                }
                // Reports what it wrote: each record's path, one per line.
                let mut body = Vec::new();
                for r in batch.iter() {
                    if let Ok(Some(path)) = r.str_field("Path") {
                        body.extend_from_slice(path.as_bytes());
                        body.push(b'\n');
                    }
                }
                return match http::post(&self.0.url, &[], &body) {
                    Ok(r) if r.status < 300 => Outcomes::AllWritten,
                    Ok(r) => Outcomes::AllRetry(format!("HTTP {}", r.status)),
                    Err(e) => Outcomes::AllRetry(e.to_string()),
                };
            }
            "env" => match std::env::var(&self.0.name) {
                Ok(v) => format!("saw {}={v}", self.0.name),
                Err(e) => format!("env refused: {e}"),
            },
            _ => return Outcomes::AllWritten,
        };
        Outcomes::all(Outcome::Rejected(report), batch.len())
    }
}

/// Connects to `addr` with `wasi:sockets`, around the HTTP allow-list.
fn dial(addr: &str) -> String {
    use wasip2::sockets::instance_network::instance_network;
    use wasip2::sockets::network::{IpAddressFamily, IpSocketAddress, Ipv4SocketAddress};
    use wasip2::sockets::tcp_create_socket::create_tcp_socket;
    let Ok(target) = addr.parse::<std::net::SocketAddrV4>() else {
        return format!("not an ip:port: {addr}");
    };
    let socket = match create_tcp_socket(IpAddressFamily::Ipv4) {
        Ok(s) => s,
        Err(e) => return format!("tcp refused: {e}"),
    };
    let [a, b, c, d] = target.ip().octets();
    let remote = IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port: target.port(),
        address: (a, b, c, d),
    });
    if let Err(e) = socket.start_connect(&instance_network(), remote) {
        return format!("tcp refused: {e}");
    }
    socket.subscribe().block();
    match socket.finish_connect() {
        Ok(_) => format!("connected to {addr}"),
        Err(e) => format!("tcp refused: {e}"),
    }
}

fn spin() -> String {
    let mut n: u64 = 0;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
    }
}

fn hoard() -> String {
    let mut held: Vec<Vec<u8>> = Vec::new();
    loop {
        held.push(vec![1u8; 1 << 20]);
        std::hint::black_box(&held);
    }
}

pump_sdk::export_sink!(Hostile);
