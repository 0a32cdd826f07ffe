//! Running the `refuge` binary and talking to the servers it starts, for the tests of this crate.

#![allow(dead_code)]

use std::process::Command;

/// Runs `refuge` with `args`: whether it succeeded, its output and its errors.
pub fn refuge(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_refuge"))
        .args(args)
        .env_remove("REFUGE_DATA")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A bare HTTP/1.1 request to the server under test; the status code, or the I/O error once the
/// server is gone.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {response:?}")))?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server under test; stopped when dropped, so a failing test leaves no server behind.
pub struct Server(std::process::Child);

impl Server {
    /// Stops it the hard way: SIGKILL, as a crash would.
    pub fn kill(&mut self) -> std::io::Result<()> {
        self.0.kill()
    }

    pub fn wait(&mut self) -> std::io::Result<std::process::ExitStatus> {
        self.0.wait()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Makes a logistics token in `store` with the command line, and returns its secret.
pub fn logistics_token(store: &str, name: &str) -> String {
    let (ok, token, err) = refuge(&[
        "token",
        "create",
        "--role",
        "logistics",
        "--name",
        name,
        "--store",
        store,
    ]);
    assert!(ok, "{err}");
    token.trim().to_owned()
}

/// Starts `refuge serve` on a store and waits until it answers.
pub fn serve(store: &str, port: u16) -> Server {
    serve_with(store, port, &[])
}

/// Starts `refuge serve` on a store with more arguments, and waits until it answers.
pub fn serve_with(store: &str, port: u16, more: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_refuge"))
        .args([
            "serve",
            "--store",
            store,
            "--bind",
            &format!("127.0.0.1:{port}"),
        ])
        .args(more)
        .env_remove("REFUGE_DATA")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..300 {
        if http(port, "GET", "/healthz", None, "").is_ok_and(|(status, _)| status == 200) {
            return Server(child);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not start");
}
