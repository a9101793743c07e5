//! Real servers a test starts for itself (an S3-compatible store), on a
//! free local port, stopped when the test drops them. Each is found through
//! an environment variable that `.ci/run` sets; outside CI a missing one
//! skips the test, in CI it fails it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::{in_ci, skip};

/// A child process, killed on drop.
pub struct Server {
    child: Child,
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The program named by `var`, or None (skipped outside CI).
fn program(test: &str, var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(path) if !path.is_empty() => Some(path),
        _ if in_ci() => panic!("{var} is not set: CI must provide it (.ci/run)"),
        _ => {
            skip(test, &format!("{var} is not set"));
            None
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts `program args` and returns once a line of its output contains
/// `ready` (the server says it listens): no polling, no sleeping.
fn start(program: &str, args: &[String], ready: &'static str, port: u16) -> Server {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {program}: {e}"));
    let (tx, rx) = mpsc::channel();
    for stream in [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if line.contains(ready) {
                    let _ = tx.send(());
                }
            }
        });
    }
    let server = Server { child, port };
    rx.recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("{program} did not say `{ready}` within a minute"));
    server
}

/// moto's S3-compatible server (`OCOP_MOTO_SERVER`: the `moto_server`
/// program), with `bucket` created.
pub async fn moto(test: &str, bucket: &str) -> Option<Server> {
    let program = program(test, "OCOP_MOTO_SERVER")?;
    let port = free_port();
    let args = ["-H", "127.0.0.1", "-p", &port.to_string()].map(str::to_owned);
    let server = start(&program, &args, "Running on", port);
    ocop_gateway::outbound::install_crypto();
    let made = reqwest::Client::new()
        .put(format!("http://127.0.0.1:{port}/{bucket}"))
        .send()
        .await
        .expect("create the bucket");
    assert!(
        made.status().is_success(),
        "create bucket: {}",
        made.status()
    );
    Some(server)
}
