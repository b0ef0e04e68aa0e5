//! Child processes we start and stop ourselves, by PID.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, Result};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use rand::Rng;

use crate::Wait;

/// A free TCP port on 127.0.0.1 that this process has not handed out before.
///
/// Ports are drawn at random below the kernel's ephemeral range (32768 and up on Linux), so
/// the kernel never gives them to outgoing connections or to another `bind(0)`, and each one is
/// checked by binding it. A port is never handed out twice by one process.
pub fn free_port() -> u16 {
    static GIVEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut rng = rand::rng();
    for _ in 0..10_000 {
        let port = rng.random_range(20_000..32_000);
        if given.contains(&port) || TcpListener::bind(("127.0.0.1", port)).is_err() {
            continue;
        }
        given.push(port);
        return port;
    }
    panic!("no free TCP port found in 20000..32000 on 127.0.0.1")
}

/// Waits until `GET path` on `127.0.0.1:port` answers 200, or fails after `timeout`.
pub fn wait_for_http(port: u16, path: &str, timeout: Duration) -> Result<()> {
    wait_for_http_at(SocketAddr::from(([127, 0, 0, 1], port)), path, timeout)
}

/// Waits until `GET path` on `addr` answers 200, or fails after `timeout`.
pub fn wait_for_http_at(addr: SocketAddr, path: &str, timeout: Duration) -> Result<()> {
    let what = format!("{addr}{path} to answer 200");
    Wait::new(&what, timeout, Duration::from_millis(50)).until_blocking(|| match http_status(addr, path) {
        Ok(200) => Ok(()),
        Ok(status) => Err(format!("status {status}")),
        Err(e) => Err(e.to_string()),
    })?;
    Ok(())
}

fn http_status(addr: SocketAddr, path: &str) -> Result<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")?;
    let mut buf = [0u8; 64];
    let n = stream.read(&mut buf)?;
    let head = std::str::from_utf8(&buf[..n]).unwrap_or_default();
    head.split(' ').nth(1).and_then(|s| s.parse().ok()).context("malformed HTTP answer")
}

/// A process we started. Dropping it stops it: SIGTERM, then SIGKILL after a grace period.
#[derive(Debug)]
pub struct ChildProcess {
    name: String,
    child: Option<Child>,
}

impl ChildProcess {
    /// Starts `cmd` in its own process group (so a Ctrl-C in the terminal reaches only us, and
    /// we stop children in order), with output appended to `log` if given, else to a file of
    /// its own in `$SHOP_TEST_LOG_DIR` when set (see [`crate::TEST_LOG_DIR_ENV`]), else inherited.
    pub fn spawn(name: &str, mut cmd: Command, log: Option<&Path>) -> Result<Self> {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0).stdin(Stdio::null());
        let default_log = std::env::var_os(crate::TEST_LOG_DIR_ENV).map(|dir| {
            static SPAWNED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let n = SPAWNED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let file: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
            Path::new(&dir).join(format!("{file}-{}-{n}.log", std::process::id()))
        });
        if let Some(log) = log.or(default_log.as_deref()) {
            let file = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
            cmd.stdout(file.try_clone()?).stderr(file);
        }
        let child = cmd.spawn().with_context(|| format!("starting {name}: {cmd:?}"))?;
        Ok(Self { name: name.to_string(), child: Some(child) })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the process has exited (and reaps it if so).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.as_mut().and_then(|c| c.try_wait().ok().flatten())
    }

    /// Sends `signal` to the process (only ours, by PID).
    pub fn signal(&self, signal: Signal) {
        if let Some(child) = &self.child {
            let _ = kill(Pid::from_raw(child.id() as i32), signal);
        }
    }

    /// Stops the process: `signal`, wait up to `grace`, then SIGKILL.
    pub fn stop_with(&mut self, signal: Signal, grace: Duration) {
        let Some(mut child) = self.child.take() else { return };
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        let _ = kill(Pid::from_raw(child.id() as i32), signal);
        let what = format!("{} to exit after {signal}", self.name);
        let exited = Wait::new(&what, grace, Duration::from_millis(20))
            .until_blocking(|| child.try_wait().ok().flatten().ok_or("still running"));
        if exited.is_err() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn stop(&mut self) {
        self.stop_with(Signal::SIGTERM, Duration::from_secs(10));
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        self.stop();
    }
}
