//! `rediss://`: a drain over TLS, with the server's CA given in `tls_ca_file`.

use pump_tests::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// A CA and a server certificate for 127.0.0.1 signed by it, made with openssl.
fn certificates(dir: &Path) {
    let run = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .status()
            .expect("openssl must be installed");
        assert!(status.success(), "openssl {args:?} failed");
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=pump test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.pem",
    ]);
}

#[test]
fn drain_over_tls_with_a_private_ca() {
    let scratch = Scratch::new();
    certificates(scratch.dir.path());
    let tls_port = free_port();
    let file = |n: &str| scratch.path(n).display().to_string();
    let (port_s, cert, key, ca) = (
        tls_port.to_string(),
        file("server.pem"),
        file("server.key"),
        file("ca.pem"),
    );
    let server = RedisServer::start_with(&[
        "--save",
        "",
        "--appendonly",
        "no",
        "--tls-port",
        &port_s,
        "--tls-cert-file",
        &cert,
        "--tls-key-file",
        &key,
        "--tls-ca-cert-file",
        &ca,
        "--tls-auth-clients",
        "no",
    ]);
    let prefix = unique_prefix("tls");
    let mut conn = redis(&server.url());
    let (lists, _) = lists(&prefix);
    let all = records(500, 9);
    let values: Vec<Vec<u8>> = all.iter().map(|r| encode_for(&lists[0], r)).collect();
    push(&mut conn, &lists[0], &values);

    let out = scratch.path("out.jsonl");
    let url = format!("rediss://127.0.0.1:{tls_port}");
    let config = scratch.config(
        "pump.toml",
        &format!(
            "{}tls_ca_file = {ca:?}\n\n[sinks.archive]\ntype = \"file\"\npath = {:?}\n",
            source_toml(&url, &prefix, ""),
            out.display().to_string()
        ),
    );
    drain(&config, Duration::from_secs(60));
    let (paths, dups) = count_paths(&read_jsonl(&out));
    assert_eq!((paths.len(), dups), (all.len(), 0));

    // Without the CA the server is not trusted, and the error says where it failed.
    let untrusted = scratch.config(
        "untrusted.toml",
        &format!(
            "{}\n[sinks.archive]\ntype = \"blackhole\"\n",
            source_toml(&url, &prefix, "")
        ),
    );
    let out = pump(
        &["dlq", "count", "--config", untrusted.to_str().unwrap()],
        Duration::from_secs(30),
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("connecting to rediss://127.0.0.1:{tls_port}")),
        "{err}"
    );
}
