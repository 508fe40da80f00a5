//! Child processes for the tasks that run servers: a guard that always kills and reaps, and
//! waiting for a port.

use std::{
    env, fs,
    net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream},
    path::PathBuf,
    process::{Child, Command, ExitStatus, Stdio},
    thread::{self, JoinHandle},
    time::{Duration, Instant},
};

use crate::util::root;

/// How long a server may take to accept connections after it starts.
pub(crate) const PORT_TIMEOUT: Duration = Duration::from_secs(30);

/// A child process that is killed (and reaped) when dropped, whatever happened.
pub(crate) struct Guard {
    /// What the process is, for messages.
    pub(crate) name: &'static str,
    pub(crate) child: Option<Child>,
    /// The thread copying the child's stdout, joined once the child is gone.
    pub(crate) tee: Option<JoinHandle<()>>,
}

impl Guard {
    pub(crate) fn spawn(name: &'static str, mut cmd: Command) -> Result<Self, String> {
        eprintln!(
            "$ {} {}",
            cmd.get_program().to_string_lossy(),
            shown_args(&cmd)
        );
        let child = cmd.spawn().map_err(|e| {
            format!(
                "could not start {name} ({}): {e}",
                cmd.get_program().to_string_lossy()
            )
        })?;
        Ok(Self {
            name,
            child: Some(child),
            tee: None,
        })
    }

    /// The exit status if the child has exited.
    pub(crate) fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// Waits for the child to exit, at most `timeout`; `None` if it is still running.
    pub(crate) fn wait_timeout(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills the child (and any processes it started) if it still runs, reaps it and joins
    /// its output thread.
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if child.try_wait().ok().flatten().is_none() {
                // A wrapper script's own children would otherwise live on, holding our
                // stdout/stderr open (and a port) after the wrapper is gone.
                let pids: Vec<String> =
                    descendants(child.id()).iter().map(u32::to_string).collect();
                if !pids.is_empty() {
                    let _ = Command::new("kill")
                        .arg("-KILL")
                        .args(&pids)
                        .stdin(Stdio::null())
                        .stderr(Stdio::null())
                        .status();
                }
                let _ = child.kill();
            }
            let _ = child.wait();
        }
        if let Some(tee) = self.tee.take() {
            let _ = tee.join();
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.child.is_some() {
            eprintln!("xtask: stopping {}", self.name);
        }
        self.stop();
    }
}

/// The processes descended from `pid`, from `/proc` (empty where there is no `/proc`).
pub(crate) fn descendants(pid: u32) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let parents: Vec<(u32, u32)> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|p| {
            // `PID (COMM) STATE PPID ...`; COMM may hold spaces and parentheses.
            let stat = fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
            let ppid = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((p, ppid))
        })
        .collect();
    let mut found = vec![pid];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parents
                .iter()
                .filter(|&&(_, pp)| pp == parent)
                .map(|&(p, _)| p),
        );
        i += 1;
    }
    found.remove(0);
    found
}

pub(crate) fn shown_args(cmd: &Command) -> String {
    cmd.get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A loopback port that was free a moment ago.
pub(crate) fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("cannot find a free loopback port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free loopback port: {e}"))
}

/// Waits until `127.0.0.1:port` accepts connections, while the process `guard` is alive.
pub(crate) fn wait_for_port(port: u16, guard: &mut Guard) -> Result<(), String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + PORT_TIMEOUT;
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok() {
            return Ok(());
        }
        if let Some(status) = guard.try_wait() {
            return Err(format!(
                "{} exited with {status} before it accepted connections on {addr}",
                guard.name
            ));
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "{} did not accept connections on {addr} within {PORT_TIMEOUT:?}",
                guard.name
            ));
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// The cargo target directory.
pub(crate) fn target_dir() -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}
