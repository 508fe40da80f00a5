//! `cargo xtask attack [FILTER]`: an attack suite against the `echo_server` example over real
//! TCP on loopback (127.0.0.1 only).
//!
//! Every attack is hand-built bytes on a `std::net::TcpStream`: invalid frames of every kind,
//! malformed and oversized handshakes, slowloris, thousands of idle connections, a ping flood
//! that never reads, resets and half-open connections mid-frame, a reader that never reads,
//! many large messages at once, and, when the server negotiates permessage-deflate, invalid
//! compressed messages, a deflate bomb and idle connections holding compression state. For
//! each one the suite checks:
//!
//! - the exact answer: the close frame bytes (`88 02 03 ea` for 1002) or the HTTP status
//!   (`sockeye_handshake::Error::status_code`), then that the server closes the connection;
//! - that the server process is still up, a fresh client still gets an echo, and a
//!   well-behaved connection opened before the first attack is still served;
//! - the server's peak RSS during the attack against a bound stated per attack: the RSS at
//!   its start plus an allowance. `VmRSS` in `/proc/<pid>/status` is sampled every 5 ms, and
//!   for attacks that run alone `VmHWM` is reset at the start (`/proc/<pid>/clear_refs`) so
//!   that spikes between samples count too;
//! - for connections the peer abandons, that the server closes its socket: its inode is
//!   found in `/proc/net/tcp` and must leave `/proc/<pid>/fd`.
//!
//! Every socket has read and write timeouts, so no attack can hang the suite. Slowloris runs
//! on its own thread alongside the short attacks (it only waits), so the whole suite takes
//! about 20 s after the build. The per-connection memory measurements run before the large
//! messages grow the heap, since the allocator keeps freed memory and would hide new
//! allocations. Needs Linux (`/proc`). `FILTER` runs only the attacks whose name contains it.
//! Ends with a summary table and `attack: N passed, N failed`; the server's stderr (one line
//! per failed connection) goes to `target/attack-echo_server.log`.

use std::{
    collections::{HashMap, HashSet},
    fmt, fs,
    io::{ErrorKind, Read, Write},
    net::{Ipv4Addr, Shutdown, SocketAddr, TcpStream},
    path::PathBuf,
    process::{Command, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    thread,
    time::{Duration, Instant},
};

use crate::{
    process::{free_port, target_dir, wait_for_port, Guard},
    util::cargo,
};

/// Read and write timeout of every socket, and how long an answer may take.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// The server's handshake timeout (`sockeye::tokio::DEFAULT_HANDSHAKE_TIMEOUT`).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How late after [`HANDSHAKE_TIMEOUT`] a slowloris connection may be dropped.
const HANDSHAKE_TIMEOUT_SLACK: Duration = Duration::from_secs(1);
/// How long the server may take to release a connection whose peer went away.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(5);
/// `echo_server`'s message and frame limits (64 MiB).
const MAX_MESSAGE_BYTES: u64 = 64 << 20;
/// The server's head limit (`sockeye_handshake::http1::DEFAULT_MAX_HEAD_BYTES`).
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// How many slowloris connections dribble one byte a second.
const SLOWLORIS_CONNECTIONS: usize = 100;
/// How many idle connections to hold (fewer if the file descriptor limits do not allow it).
const IDLE_CONNECTIONS: usize = 5_000;
/// The most RSS an idle connection may cost the server (measured: about 3 KiB).
const MAX_IDLE_RSS_BYTES: u64 = 8 * 1024;
/// The ping flood: pings of the largest control payload, written without reading.
const FLOOD_PINGS: usize = 100_000;
/// The large-message attack: this many connections each send one message of this size.
const LARGE_CONNECTIONS: usize = 32;
const LARGE_MESSAGE_BYTES: usize = 8 << 20;
/// The slow reader's message: more than loopback socket buffers hold, so the echo blocks.
const SLOW_READER_BYTES: usize = 32 << 20;
/// The RSS an attack that should cost the server nothing may add (allocator noise). It is
/// well under the 12.5 MiB the ping flood sends, so buffering its pongs would fail.
const SMALL_ALLOWANCE_MIB: u64 = 4;
/// What the deflate bomb inflates to: far past the 64 MiB message limit.
const BOMB_INFLATED_BYTES: u64 = 1 << 30;
/// How many idle connections hold permessage-deflate state.
const IDLE_DEFLATE_CONNECTIONS: usize = 500;
/// The most RSS an idle connection with permessage-deflate may cost: `sockeye_deflate`
/// documents 371 KiB for a compressor with a 15-bit window and 50 KiB for an inflater.
const MAX_IDLE_DEFLATE_RSS_BYTES: u64 = 512 * 1024;
/// The RFC 6455 §1.3 key and its accept value.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
/// The masking key of RFC 6455 §5.7, used for every frame the suite sends.
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
/// How often the RSS sampler reads `/proc/<pid>/status`.
const SAMPLE_EVERY: Duration = Duration::from_millis(5);
const MIB: u64 = 1 << 20;

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let filter = match args {
        [] => None,
        [f] if !f.starts_with('-') => Some(f.clone()),
        _ => return Err("usage: cargo xtask attack [FILTER]".to_owned()),
    };
    cargo(&["build", "--release", "-p", "sockeye-examples", "--examples"])?;
    // Each idle connection takes a file descriptor here and one in the server, and the
    // other attacks need a few hundred more.
    let want = (IDLE_CONNECTIONS + 512) as u64;
    let ours = raise_own_file_limit(want)?;
    let server = Server::start(want)?;
    let target = server.target;
    let theirs = nofile_limits(&target.pid.to_string()).map_or(0, |l| l.0);
    let spare = |limit: u64| usize::try_from(limit.saturating_sub(512)).unwrap_or(usize::MAX);
    let idle = IDLE_CONNECTIONS.min(spare(ours)).min(spare(theirs));
    if idle < IDLE_CONNECTIONS {
        eprintln!(
            "attack: open file limits {ours} (xtask) and {theirs} (echo_server): holding {idle} \
             idle connections, not {IDLE_CONNECTIONS}"
        );
    }
    let rss = Rss::start(target.pid);
    if status_kib(target.pid, "VmRSS:").is_none() {
        return Err("cannot read VmRSS from /proc/PID/status: the attack suite needs Linux".into());
    }
    let steady = Client::open(target.port).map_err(|e| format!("first connection: {e}"))?;
    let mut suite = Suite {
        server,
        rss,
        steady,
        filter,
        reports: Vec::new(),
        served: 0,
    };
    suite.run_all(idle);
    suite.rss.stop();
    suite.finish()
}

/// Raises this process's open file soft limit to `want` (at most the hard limit) if it is
/// lower, and returns the soft limit. std cannot call `setrlimit`, so util-linux's `prlimit`
/// sets it from outside.
fn raise_own_file_limit(want: u64) -> Result<u64, String> {
    let (soft, hard) = nofile_limits("self").ok_or("cannot read /proc/self/limits")?;
    if soft >= want || soft >= hard {
        return Ok(soft);
    }
    let pid = std::process::id();
    let raised = want.min(hard);
    eprintln!("$ prlimit --pid={pid} --nofile={raised}:");
    let status = Command::new("prlimit")
        .arg(format!("--pid={pid}"))
        .arg(format!("--nofile={raised}:"))
        .stdin(Stdio::null())
        .status();
    if !status.is_ok_and(|s| s.success()) {
        eprintln!("attack: could not raise the open file limit with prlimit");
    }
    Ok(nofile_limits("self").map_or(soft, |l| l.0))
}

/// The soft and hard `RLIMIT_NOFILE` of a process (`self` or a pid), from `/proc`.
fn nofile_limits(pid: &str) -> Option<(u64, u64)> {
    let limits = fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let mut fields = line["Max open files".len()..].split_whitespace();
    let soft = fields.next()?.parse().unwrap_or(u64::MAX);
    let hard = fields.next()?.parse().unwrap_or(u64::MAX);
    Some((soft, hard))
}

/// Where the server listens and which process it is.
#[derive(Debug, Clone, Copy)]
struct Target {
    port: u16,
    pid: u32,
}

/// The running `echo_server`, its stderr going to a log file.
struct Server {
    guard: Guard,
    target: Target,
    log: PathBuf,
}

impl Server {
    /// Starts `echo_server` with its open file soft limit raised to `files` if the hard
    /// limit allows (a shell wrapper runs `ulimit`, then `exec`s the server, so the pid stays
    /// the server's).
    fn start(files: u64) -> Result<Self, String> {
        let binary = target_dir()
            .join("release")
            .join("examples")
            .join("echo_server");
        let log = target_dir().join("attack-echo_server.log");
        let stderr = fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let port = free_port()?;
        let addr = format!("127.0.0.1:{port}");
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg("ulimit -Sn \"$0\" 2>/dev/null; exec \"$@\"")
            .arg(files.to_string())
            .arg(&binary)
            .args(["--addr", &addr])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        let mut guard = Guard::spawn("echo_server", cmd)?;
        wait_for_port(port, &mut guard)?;
        let pid = guard.child.as_ref().expect("just spawned").id();
        if let Some((soft, hard)) = nofile_limits(&pid.to_string()) {
            eprintln!("attack: echo_server (pid {pid}) may open {soft} files (hard limit {hard})");
        }
        Ok(Self {
            guard,
            target: Target { port, pid },
            log,
        })
    }
}

/// Samples the server's RSS in the background, keeping every sample, so the peak over any
/// interval (including overlapping ones) can be read afterwards.
struct Rss {
    pid: u32,
    samples: Arc<Mutex<Vec<(Instant, u64)>>>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Rss {
    fn start(pid: u32) -> Self {
        let samples = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (samples, stop) = (samples.clone(), stop.clone());
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Some(kib) = status_kib(pid, "VmRSS:") {
                        lock(&samples).push((Instant::now(), kib));
                    }
                    thread::sleep(SAMPLE_EVERY);
                }
            })
        };
        Self {
            pid,
            samples,
            stop,
            thread: Some(thread),
        }
    }

    /// Reads the RSS now (and records it), in KiB.
    fn now(&self) -> u64 {
        let kib = status_kib(self.pid, "VmRSS:").unwrap_or(0);
        lock(&self.samples).push((Instant::now(), kib));
        kib
    }

    /// Resets the kernel's record of the peak RSS (`VmHWM`) by writing 5 to
    /// `/proc/<pid>/clear_refs` (Linux 4.0+); false if that is not allowed.
    fn reset_peak(&self) -> bool {
        fs::write(format!("/proc/{}/clear_refs", self.pid), "5").is_ok()
    }

    /// The highest sample taken since `since`, in KiB.
    fn peak_since(&self, since: Instant) -> u64 {
        lock(&self.samples)
            .iter()
            .filter(|(t, _)| *t >= since)
            .map(|&(_, kib)| kib)
            .max()
            .unwrap_or(0)
    }

    fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A `kB` field of `/proc/<pid>/status` (`VmRSS:`, `VmHWM:`).
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].split_whitespace().next()?.parse().ok()
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

/// What an attack got back, and what it should have got.
struct Check {
    got: String,
    expected: String,
    ok: bool,
    /// A measurement to print under the result line.
    note: Option<String>,
    /// Why the attack could not run (reported as `skipped: ...`).
    skipped: Option<String>,
}

impl Check {
    fn exact(got: String, expected: String) -> Self {
        Self {
            ok: got == expected,
            got,
            expected,
            note: None,
            skipped: None,
        }
    }

    fn judged(got: String, expected: String, ok: bool) -> Self {
        Self {
            ok,
            ..Self::exact(got, expected)
        }
    }

    fn skipped(reason: String) -> Self {
        Self {
            skipped: Some(reason),
            ..Self::exact(String::new(), String::new())
        }
    }

    fn note(mut self, note: String) -> Self {
        self.note = Some(note);
        self
    }
}

/// How one attack ended, for the table.
struct Report {
    name: String,
    result: &'static str,
    peak_kib: u64,
    bound_kib: u64,
    secs: f64,
}

/// When an attack started, to measure it when it ends.
struct Started {
    name: String,
    at: Instant,
    rss_kib: u64,
    allowance_mib: u64,
    /// Whether `VmHWM` was reset when it started, so that it holds this attack's exact peak
    /// (only for attacks that do not overlap others).
    hwm: bool,
}

struct Suite {
    server: Server,
    rss: Rss,
    /// A well-behaved connection opened before the first attack and used after each.
    steady: Client,
    filter: Option<String>,
    reports: Vec<Report>,
    /// Echoes served to fresh clients after attacks.
    served: usize,
}

impl Suite {
    fn wanted(&self, name: &str) -> bool {
        self.filter
            .as_ref()
            .is_none_or(|f| name.contains(f.as_str()))
    }

    /// Starts measuring an attack. An `exclusive` one (nothing else starts while it runs)
    /// also resets `VmHWM`, which catches spikes shorter than the sampling interval.
    fn begin(&self, name: &str, allowance_mib: u64, exclusive: bool) -> Started {
        Started {
            name: name.to_owned(),
            hwm: exclusive && self.rss.reset_peak(),
            at: Instant::now(),
            rss_kib: self.rss.now(),
            allowance_mib,
        }
    }

    /// Runs one attack, then checks the server and reports.
    fn attack(
        &mut self,
        name: &str,
        allowance_mib: u64,
        f: impl FnOnce(Target) -> Result<Check, String>,
    ) {
        if !self.wanted(name) {
            return;
        }
        let started = self.begin(name, allowance_mib, true);
        let result = f(self.server.target);
        self.end(started, result);
    }

    /// Measures, checks the server still serves, and prints the attack's line.
    fn end(&mut self, s: Started, result: Result<Check, String>) {
        let mut peak = self.rss.peak_since(s.at).max(self.rss.now());
        if s.hwm {
            peak = peak.max(status_kib(self.server.target.pid, "VmHWM:").unwrap_or(0));
        }
        let bound = s.rss_kib + s.allowance_mib * 1024;
        let secs = s.at.elapsed().as_secs_f64();
        let mut problems = Vec::new();
        let check = match result {
            Ok(c) => Some(c),
            Err(e) => {
                problems.push(e);
                None
            }
        };
        if let Some(Check {
            skipped: Some(reason),
            ..
        }) = &check
        {
            eprintln!("skip  {}: skipped: {reason}", s.name);
            self.reports.push(Report {
                name: s.name,
                result: "skipped",
                peak_kib: peak,
                bound_kib: bound,
                secs,
            });
            return;
        }
        if check.as_ref().is_some_and(|c| !c.ok) {
            problems.push("wrong answer".to_owned());
        }
        if peak > bound {
            problems.push(format!("RSS {} MiB over the bound", mib(peak)));
        }
        if let Some(status) = self.server.guard.try_wait() {
            problems.push(format!("the server exited ({status})"));
        } else {
            if let Err(e) = self.still_serving(&s.name) {
                problems.push(format!("a fresh client got no echo afterwards: {e}"));
            }
            if let Err(e) = self.steady.echo(&format!("steady after {}", s.name)) {
                problems.push(format!("the steady connection got no echo afterwards: {e}"));
            }
        }
        let answer = check.as_ref().map_or(String::new(), |c| {
            format!("got {} (expected {}), ", c.got, c.expected)
        });
        let rss = format!("RSS peak {} MiB (bound {})", mib(peak), mib(bound));
        if problems.is_empty() {
            eprintln!("ok    {}: {answer}{rss}", s.name);
        } else {
            eprintln!("FAIL  {}: {}; {answer}{rss}", s.name, problems.join("; "));
        }
        if let Some(note) = check.as_ref().and_then(|c| c.note.as_ref()) {
            eprintln!("      {note}");
        }
        self.reports.push(Report {
            name: s.name,
            result: if problems.is_empty() { "ok" } else { "FAIL" },
            peak_kib: peak,
            bound_kib: bound,
            secs,
        });
    }

    /// A fresh client connects, gets an echo and closes cleanly.
    fn still_serving(&mut self, after: &str) -> Result<(), String> {
        let mut client = Client::open(self.server.target.port)?;
        client.echo(&format!("fresh after {after}"))?;
        client.close()?;
        self.served += 1;
        Ok(())
    }

    /// The attacks, in an order that keeps the measurements clean: the small ones first
    /// (while slowloris runs beside them), then the per-connection memory measurements on a
    /// heap that large messages have not yet grown, then the large ones.
    fn run_all(&mut self, idle: usize) {
        // Slowloris only waits, so it runs alongside the short attacks; it is measured (and
        // the server checked) when it is joined, ~10 s later. Its window spans theirs, so its
        // allowance covers their allocator noise too (measured: up to 3 MiB together).
        let slowloris = self.wanted("slowloris").then(|| {
            let started = self.begin("slowloris", 2 * SMALL_ALLOWANCE_MIB, false);
            let target = self.server.target;
            (started, thread::spawn(move || slowloris(target)))
        });
        let small = SMALL_ALLOWANCE_MIB;
        self.attack("normal close (baseline)", small, |t| {
            frame_attack(t, &frame(0x88, &[0x03, 0xe8]), 1000)
        });
        for (name, bytes, code) in frame_attacks() {
            self.attack(name, small, |t| frame_attack(t, &bytes, code));
        }
        for (name, bytes, code) in deflate_attacks() {
            self.attack(name, small, |t| deflate_attack(t, &bytes, code));
        }
        for (name, request, status) in handshake_attacks(self.server.target.port) {
            self.attack(name, small, |t| {
                handshake_attack(t, request.as_bytes(), status)
            });
        }
        self.attack("half-open mid-frame (shutdown write)", small, |t| {
            drop_mid_frame(t, GoAway::Shutdown)
        });
        self.attack("abrupt close mid-frame (FIN)", small, |t| {
            drop_mid_frame(t, GoAway::Close)
        });
        self.attack("abrupt reset mid-frame (RST)", small, |t| {
            drop_mid_frame(t, GoAway::Reset)
        });
        self.attack("half-open during the handshake", small, half_open_handshake);
        self.attack("half-open idle connection", small, half_open_idle);
        self.attack("ping flood without reading", small, ping_flood);
        if let Some((started, handle)) = slowloris {
            let result = handle
                .join()
                .unwrap_or_else(|_| Err("the slowloris thread panicked".to_owned()));
            self.end(started, result);
        }
        let allowance = (idle as u64 * MAX_IDLE_RSS_BYTES).div_ceil(MIB) + small;
        self.attack(&format!("{idle} idle connections"), allowance, |t| {
            idle_connections(t, idle)
        });
        let n = IDLE_DEFLATE_CONNECTIONS.min(idle);
        let allowance = (n as u64 * MAX_IDLE_DEFLATE_RSS_BYTES).div_ceil(MIB) + small;
        self.attack(
            &format!("deflate: {n} idle connections after a message"),
            allowance,
            |t| idle_deflate_connections(t, n),
        );
        // The echo of the message is held until it is written; as below, its buffer may
        // briefly be held twice while it grows (measured: 33-45 MiB).
        let slow = SLOW_READER_BYTES as u64 / MIB;
        self.attack(
            "slow reader: 32 MiB echo never read",
            slow + slow / 2 + small,
            slow_reader,
        );
        // Each message is held once while it is echoed; while one arrives its buffer grows by
        // doubling, and a growth that cannot be done in place briefly holds old and new
        // (measured: 240-295 MiB for 256 MiB of messages).
        let large = (LARGE_CONNECTIONS * LARGE_MESSAGE_BYTES) as u64 / MIB;
        self.attack(
            &format!("{LARGE_CONNECTIONS} concurrent 8 MiB messages"),
            large + large / 2 + small,
            large_messages,
        );
        // Inflating stops at the 64 MiB message limit; the crate documents up to half as
        // much again while the buffer last grows, plus the compressed bytes (6.5 MiB).
        self.attack(
            "deflate: bomb (1 GiB inflated)",
            MAX_MESSAGE_BYTES / MIB * 3 / 2 + 8 + small,
            deflate_bomb,
        );
    }

    fn finish(mut self) -> Result<(), String> {
        let failed = self.reports.iter().filter(|r| r.result == "FAIL").count();
        let passed = self.reports.iter().filter(|r| r.result == "ok").count();
        let width = self.reports.iter().map(|r| r.name.len()).max().unwrap_or(6);
        eprintln!();
        eprintln!("{:width$}  result   peak RSS  bound      time", "attack");
        for r in &self.reports {
            eprintln!(
                "{:width$}  {:7}  {:>6} MiB  {:>6} MiB  {:5.2} s",
                r.name,
                r.result,
                mib(r.peak_kib),
                mib(r.bound_kib),
                r.secs
            );
        }
        let highest = self.reports.iter().map(|r| r.peak_kib).max().unwrap_or(0);
        let alive = self.server.guard.try_wait().is_none();
        let log = fs::read_to_string(&self.server.log).unwrap_or_default();
        let panics = log.lines().filter(|l| l.contains("panicked")).count();
        eprintln!(
            "echo_server: {}, highest RSS peak {} MiB, {} fresh clients served after attacks, \
             {} lines in {} ({panics} panics)",
            if alive { "still running" } else { "EXITED" },
            mib(highest),
            self.served,
            log.lines().count(),
            self.server.log.display(),
        );
        let closed = self.steady.close();
        let mut failures = failed;
        if !alive || panics > 0 {
            failures += 1;
        }
        if let Err(e) = closed {
            eprintln!("FAIL  the steady connection did not close cleanly: {e}");
            failures += 1;
        }
        self.server.guard.stop();
        println!("attack: {passed} passed, {failed} failed");
        if failures == 0 {
            Ok(())
        } else {
            Err(format!("{failures} attack check(s) failed"))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Bytes on the wire.

/// A masked frame with first byte `b0` (FIN, RSV and opcode) and `payload`.
fn frame(b0: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = header(b0, payload.len() as u64);
    let start = out.len();
    out.extend_from_slice(payload);
    mask(&mut out[start..], 0);
    out
}

/// An unmasked frame, which a server must refuse.
fn unmasked_frame(b0: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![b0, payload.len() as u8];
    out.extend_from_slice(payload);
    out
}

/// A masked frame header declaring `len` payload bytes, in the minimal length form.
fn header(b0: u8, len: u64) -> Vec<u8> {
    let mut out = vec![b0];
    match len {
        0..=125 => out.push(0x80 | len as u8),
        126..=0xffff => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(0x80 | 127);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
    out.extend_from_slice(&MASK);
    out
}

/// Masks `data` in place with [`MASK`] as if it started `offset` bytes into the payload.
fn mask(data: &mut [u8], offset: usize) {
    for (i, b) in data.iter_mut().enumerate() {
        *b ^= MASK[(offset + i) % 4];
    }
}

/// `data` masked from the start of a payload.
fn masked(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    mask(&mut out, 0);
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The close frame a server sends with `code` and no reason.
fn close_frame(code: u16) -> Vec<u8> {
    let [hi, lo] = code.to_be_bytes();
    vec![0x88, 0x02, hi, lo]
}

/// One frame from a server (unmasked), if `buf` starts with a whole one: (first byte,
/// payload, length on the wire).
fn server_frame(buf: &[u8]) -> Option<(u8, &[u8], usize)> {
    let (&b0, &b1) = (buf.first()?, buf.get(1)?);
    let masked = b1 & 0x80 != 0;
    let (len, mut at): (u64, usize) = match b1 & 0x7f {
        126 => (
            u64::from(u16::from_be_bytes([*buf.get(2)?, *buf.get(3)?])),
            4,
        ),
        127 => (u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?), 10),
        n => (u64::from(n), 2),
    };
    if masked {
        at += 4;
    }
    let end = at.checked_add(usize::try_from(len).ok()?)?;
    Some((b0, buf.get(at..end)?, end))
}

/// What the server sent, frame by frame: `close 1002 [88 02 03 ea]`, `text 5 bytes`, ...
fn describe_frames(mut buf: &[u8]) -> String {
    let mut parts = Vec::new();
    while !buf.is_empty() {
        let Some((b0, payload, len)) = server_frame(buf) else {
            parts.push(format!("{} bytes of a partial frame", buf.len()));
            break;
        };
        let what = match b0 & 0x0f {
            0x1 => "text",
            0x2 => "binary",
            0x8 => "close",
            0x9 => "ping",
            0xa => "pong",
            _ => "frame",
        };
        let masked = if buf[1] & 0x80 != 0 { " MASKED" } else { "" };
        parts.push(match (b0 & 0x0f, payload) {
            (0x8, [hi, lo, ..]) => format!(
                "close {}{masked} [{}]",
                u16::from_be_bytes([*hi, *lo]),
                hex(&buf[..len.min(16)])
            ),
            _ => format!("{what} of {} bytes{masked} [{:02x}]", payload.len(), b0),
        });
        buf = &buf[len..];
    }
    if parts.is_empty() {
        "no frames".to_owned()
    } else {
        parts.join(", ")
    }
}

/// How a connection looked when we stopped reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The server closed (or shut down) its side.
    Eof,
    /// The connection was reset.
    Reset,
    /// Still open when the time ran out.
    Open,
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Eof => "EOF",
            Self::Reset => "reset",
            Self::Open => "still open",
        })
    }
}

/// Reads everything until the server closes, at most `within`.
fn read_until_closed(tcp: &mut TcpStream, within: Duration) -> (Vec<u8>, End) {
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    let mut buf = [0; 16 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || tcp.set_read_timeout(Some(left)).is_err() {
            return (got, End::Open);
        }
        match tcp.read(&mut buf) {
            Ok(0) => return (got, End::Eof),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return (got, End::Reset),
        }
    }
}

fn connect(port: u16) -> Result<TcpStream, String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let tcp = TcpStream::connect_timeout(&addr, IO_TIMEOUT).map_err(|e| format!("connect: {e}"))?;
    tcp.set_read_timeout(Some(IO_TIMEOUT))
        .and_then(|()| tcp.set_write_timeout(Some(IO_TIMEOUT)))
        .and_then(|()| tcp.set_nodelay(true))
        .map_err(|e| e.to_string())?;
    Ok(tcp)
}

/// The lines of a valid upgrade request.
fn request_lines(port: u16) -> Vec<String> {
    vec![
        "GET / HTTP/1.1".to_owned(),
        format!("Host: 127.0.0.1:{port}"),
        "Upgrade: websocket".to_owned(),
        "Connection: Upgrade".to_owned(),
        format!("Sec-WebSocket-Key: {KEY}"),
        "Sec-WebSocket-Version: 13".to_owned(),
    ]
}

fn request(lines: &[String]) -> String {
    let mut r = lines.join("\r\n");
    r.push_str("\r\n\r\n");
    r
}

/// Reads an HTTP head (the server sends nothing after it until we do).
fn read_head(tcp: &mut TcpStream) -> Result<String, String> {
    let mut head = Vec::new();
    let mut buf = [0; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match tcp.read(&mut buf) {
            Ok(0) => return Err(format!("EOF after {} bytes of the response", head.len())),
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) => return Err(format!("reading the response: {e}")),
        }
        if head.len() > MAX_HEAD_BYTES {
            return Err("response head over 16 KiB".to_owned());
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    if !text.ends_with("\r\n\r\n") {
        return Err("bytes after the 101 response head".to_owned());
    }
    Ok(text)
}

/// The value of a header in an HTTP head (first match, name case-insensitive).
fn header_value<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Opens a WebSocket connection with `extra` request lines; returns it and the response head.
fn open_ws(port: u16, extra: &[&str]) -> Result<(TcpStream, String), String> {
    let mut tcp = connect(port)?;
    let mut lines = request_lines(port);
    lines.extend(extra.iter().map(|l| (*l).to_owned()));
    tcp.write_all(request(&lines).as_bytes())
        .map_err(|e| format!("sending the request: {e}"))?;
    let head = read_head(&mut tcp)?;
    if !head.starts_with("HTTP/1.1 101 ") {
        return Err(format!(
            "handshake refused: {}",
            head.lines().next().unwrap_or("")
        ));
    }
    if header_value(&head, "Sec-WebSocket-Accept") != Some(ACCEPT) {
        return Err("wrong Sec-WebSocket-Accept".to_owned());
    }
    Ok((tcp, head))
}

/// A well-behaved client.
struct Client {
    tcp: TcpStream,
}

impl Client {
    fn open(port: u16) -> Result<Self, String> {
        Ok(Self {
            tcp: open_ws(port, &[])?.0,
        })
    }

    /// Sends a text message and expects it back unchanged.
    fn echo(&mut self, text: &str) -> Result<(), String> {
        self.tcp
            .write_all(&frame(0x81, text.as_bytes()))
            .map_err(|e| format!("sending: {e}"))?;
        let mut expected = vec![0x81, text.len() as u8];
        expected.extend_from_slice(text.as_bytes());
        let mut got = vec![0; expected.len()];
        self.tcp
            .read_exact(&mut got)
            .map_err(|e| format!("reading the echo: {e}"))?;
        if got == expected {
            Ok(())
        } else {
            Err(format!("echo was {}", describe_frames(&got)))
        }
    }

    /// The close handshake: our 1000 comes back and the server closes the TCP connection.
    fn close(mut self) -> Result<(), String> {
        self.tcp
            .write_all(&frame(0x88, &[0x03, 0xe8]))
            .map_err(|e| format!("sending close: {e}"))?;
        let (got, end) = read_until_closed(&mut self.tcp, IO_TIMEOUT);
        if got == close_frame(1000) && end == End::Eof {
            Ok(())
        } else {
            Err(format!(
                "close answered with {}, then {end}",
                describe_frames(&got)
            ))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Invalid frames.

/// Each invalid frame (or sequence), sent on a fresh connection, and the close code the
/// server must answer with.
fn frame_attacks() -> Vec<(&'static str, Vec<u8>, u16)> {
    let close = |code: u16| frame(0x88, &code.to_be_bytes());
    // Valid ("κό") up to `ed a0 80`, U+D800, a surrogate that UTF-8 may not encode (RFC 3629
    // §3). The message never ends, so only a server that fails fast can answer.
    let surrogate = b"\xce\xba\xe1\xbd\xb9\xed\xa0\x80abc";
    // A frame declaring 1 MiB of text whose first bytes are already invalid; the rest of it
    // is never sent.
    let mut early_invalid = header(0x81, MIB);
    early_invalid.extend(masked(b"ok so far \xff and more"));
    let mut over_message = frame(0x02, &[0x55; 1024]);
    over_message.extend(header(0x80, MAX_MESSAGE_BYTES - 512));
    let mut top_bit = vec![0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 0x05];
    top_bit.extend_from_slice(&MASK);
    let mut close_126 = vec![0x03, 0xe8];
    close_126.extend_from_slice(&[b'a'; 124]);
    let mut interleaved = frame(0x01, b"first part");
    interleaved.extend(frame(0x81, b"a new message"));
    vec![
        ("reserved opcode 0x3", frame(0x83, b"x"), 1002),
        ("reserved control opcode 0xB", frame(0x8b, b""), 1002),
        ("RSV1 without an extension", frame(0xc1, b"hello"), 1002),
        ("RSV2", frame(0xa1, b"hello"), 1002),
        ("RSV3", frame(0x91, b"hello"), 1002),
        ("RSV1 on a ping", frame(0xc9, b"hello"), 1002),
        ("unmasked frame", unmasked_frame(0x81, b"hello"), 1002),
        ("ping of 126 bytes", frame(0x89, &[b'p'; 126]), 1002),
        ("fragmented ping", frame(0x09, b"ping"), 1002),
        ("close of 126 bytes", frame(0x88, &close_126), 1002),
        ("close with code 1005", close(1005), 1002),
        ("close with code 1006", close(1006), 1002),
        ("close with code 999", close(999), 1002),
        ("close with code 1004", close(1004), 1002),
        ("close with code 1015", close(1015), 1002),
        ("close with code 2999", close(2999), 1002),
        ("close with code 5000", close(5000), 1002),
        ("close with a 1-byte payload", frame(0x88, &[0x03]), 1002),
        (
            "close reason not UTF-8",
            frame(0x88, b"\x03\xe8bye \xff\xfe"),
            1007,
        ),
        ("text not UTF-8", frame(0x81, b"hello \xc3\x28"), 1007),
        (
            "text ending inside a character",
            frame(0x81, b"price \xe2\x82"),
            1007,
        ),
        (
            "text not UTF-8 in an unfinished first fragment",
            frame(0x01, surrogate),
            1007,
        ),
        (
            "text not UTF-8 early in an unfinished 1 MiB frame",
            early_invalid,
            1007,
        ),
        ("continuation without a start", frame(0x80, b"x"), 1002),
        ("new message inside a fragmented one", interleaved, 1002),
        (
            "frame declaring 100 MiB (payload never sent)",
            header(0x82, 100 * MIB),
            1009,
        ),
        (
            "frame declaring 2^63-1 bytes",
            header(0x82, u64::MAX >> 1),
            1009,
        ),
        ("fragments adding up past 64 MiB", over_message, 1009),
        ("64-bit length with the top bit set", top_bit, 1002),
    ]
}

/// Sends `bytes` on a fresh WebSocket and expects the close frame with `code`, then EOF.
fn frame_attack(t: Target, bytes: &[u8], code: u16) -> Result<Check, String> {
    let (mut tcp, _) = open_ws(t.port, &[])?;
    tcp.write_all(bytes).map_err(|e| format!("sending: {e}"))?;
    let (got, end) = read_until_closed(&mut tcp, IO_TIMEOUT);
    Ok(Check::exact(
        format!("{}, then {end}", describe_frames(&got)),
        format!("{}, then EOF", describe_frames(&close_frame(code))),
    ))
}

// ---------------------------------------------------------------------------------------
// Handshakes.

/// Each malformed request and the status the server must answer it with (from
/// `sockeye_handshake::Error::status_code`).
fn handshake_attacks(port: u16) -> Vec<(&'static str, String, u16)> {
    let good = request_lines(port);
    let without = |name: &str| {
        let lines: Vec<String> = good
            .iter()
            .filter(|l| !l.starts_with(name))
            .cloned()
            .collect();
        request(&lines)
    };
    let replace = |name: &str, line: &str| {
        let lines: Vec<String> = good
            .iter()
            .map(|l| {
                if l.starts_with(name) {
                    line.to_owned()
                } else {
                    l.clone()
                }
            })
            .collect();
        request(&lines)
    };
    let with = |extra: &[String]| {
        let mut lines = good.clone();
        lines.extend_from_slice(extra);
        request(&lines)
    };
    let big = with(&[format!("X-Padding: {}", "a".repeat(20 * 1024))]);
    let many: Vec<String> = (0..100).map(|i| format!("X-Header-{i}: {i}")).collect();
    let mut endless = request_lines(port).join("\r\n");
    endless.push_str("\r\nX-Padding: ");
    endless.push_str(&"b".repeat(MAX_HEAD_BYTES + 1024));
    vec![
        ("handshake: POST", replace("GET", "POST / HTTP/1.1"), 400),
        ("handshake: HTTP/1.0", replace("GET", "GET / HTTP/1.0"), 400),
        ("handshake: no Host", without("Host"), 400),
        ("handshake: no Upgrade", without("Upgrade"), 400),
        ("handshake: no Connection", without("Connection"), 400),
        ("handshake: no key", without("Sec-WebSocket-Key"), 400),
        (
            "handshake: key of 15 bytes",
            replace(
                "Sec-WebSocket-Key",
                "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA",
            ),
            400,
        ),
        (
            "handshake: key not base64",
            replace(
                "Sec-WebSocket-Key",
                "Sec-WebSocket-Key: !!!!!!!!!!!!!!!!!!!!!!==",
            ),
            400,
        ),
        (
            "handshake: two keys",
            with(&["Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==".to_owned()]),
            400,
        ),
        (
            "handshake: version 8",
            replace("Sec-WebSocket-Version", "Sec-WebSocket-Version: 8"),
            426,
        ),
        (
            "handshake: no version",
            without("Sec-WebSocket-Version"),
            426,
        ),
        (
            "handshake: a body",
            with(&["Content-Length: 5".to_owned()]),
            400,
        ),
        (
            "handshake: NUL in a header",
            with(&["X-Nul: a\0b".to_owned()]),
            400,
        ),
        (
            "handshake: not HTTP",
            "\x16\x03\x01\x02\x00\x01\x00\x01\x7c\x03\x03\r\n\r\n".to_owned(),
            400,
        ),
        ("handshake: 20 KiB head", big, 431),
        ("handshake: 100 headers", with(&many), 431),
        ("handshake: 17 KiB head with no end", endless, 431),
    ]
}

/// Sends `request` (while reading, so a large one cannot block us) and expects `status`
/// and EOF. A head over the limit is read only up to it, so closing may reset instead.
fn handshake_attack(t: Target, request: &[u8], status: u16) -> Result<Check, String> {
    let mut tcp = connect(t.port)?;
    let mut writer = tcp.try_clone().map_err(|e| e.to_string())?;
    let (got, end) = thread::scope(|s| {
        // The server may stop reading and close: a failed write is expected then.
        s.spawn(move || writer.write_all(request));
        read_until_closed(&mut tcp, IO_TIMEOUT)
    });
    let text = String::from_utf8_lossy(&got);
    let status_line = text.lines().next().unwrap_or("");
    let answer = match status_line.strip_prefix("HTTP/1.1 ") {
        Some(rest) => {
            let code = rest.split(' ').next().unwrap_or("");
            let version = match header_value(&text, "Sec-WebSocket-Version") {
                Some(v) => format!(" + Sec-WebSocket-Version: {v}"),
                None => String::new(),
            };
            format!("HTTP {code}{version}")
        }
        None if got.is_empty() => "no response".to_owned(),
        None => format!("not HTTP: {:?}", &text[..text.len().min(40)]),
    };
    let version = if status == 426 {
        " + Sec-WebSocket-Version: 13"
    } else {
        ""
    };
    let expected = format!("HTTP {status}{version}");
    let oversized = request.len() > MAX_HEAD_BYTES;
    let closed = end == End::Eof || (oversized && end == End::Reset);
    Ok(Check::judged(
        format!("{answer}, then {end}"),
        format!(
            "{expected}, then {}",
            if oversized { "EOF or reset" } else { "EOF" }
        ),
        answer == expected && closed,
    ))
}

// ---------------------------------------------------------------------------------------
// Slowloris.

/// [`SLOWLORIS_CONNECTIONS`] connections each send one byte of a request head per second;
/// the server must drop each, without an answer, at its handshake timeout.
fn slowloris(t: Target) -> Result<Check, String> {
    let request = request(&request_lines(t.port)).into_bytes();
    struct Slow {
        tcp: TcpStream,
        opened: Instant,
        /// When it was dropped, whether by EOF, and whether anything was answered.
        dropped: Option<(Duration, End, bool)>,
    }
    let mut conns = Vec::new();
    for _ in 0..SLOWLORIS_CONNECTIONS {
        let tcp = connect(t.port)?;
        tcp.set_nonblocking(true).map_err(|e| e.to_string())?;
        conns.push(Slow {
            tcp,
            opened: Instant::now(),
            dropped: None,
        });
    }
    let give_up = Instant::now() + HANDSHAKE_TIMEOUT + HANDSHAKE_TIMEOUT_SLACK * 4;
    let mut next_byte = Instant::now();
    let mut sent = 0;
    let mut buf = [0; 1024];
    while conns.iter().any(|c| c.dropped.is_none()) && Instant::now() < give_up {
        // Never the whole head: the last four bytes (the blank line) are never sent.
        let write = Instant::now() >= next_byte && sent < request.len() - 4;
        for c in conns.iter_mut().filter(|c| c.dropped.is_none()) {
            if write {
                if let Err(e) = c.tcp.write(&request[sent..=sent]) {
                    if e.kind() != ErrorKind::WouldBlock {
                        c.dropped = Some((c.opened.elapsed(), End::Reset, false));
                        continue;
                    }
                }
            }
            match c.tcp.read(&mut buf) {
                Ok(0) => c.dropped = Some((c.opened.elapsed(), End::Eof, false)),
                Ok(_) => c.dropped = Some((c.opened.elapsed(), End::Eof, true)),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => c.dropped = Some((c.opened.elapsed(), End::Reset, false)),
            }
        }
        if write {
            sent += 1;
            next_byte += Duration::from_secs(1);
        }
        thread::sleep(Duration::from_millis(20));
    }
    let times: Vec<f64> = conns
        .iter()
        .filter_map(|c| c.dropped.map(|d| d.0.as_secs_f64()))
        .collect();
    let dropped = times.len();
    let answered = conns
        .iter()
        .filter(|c| c.dropped.is_some_and(|d| d.2))
        .count();
    let reset = conns
        .iter()
        .filter(|c| c.dropped.is_some_and(|d| d.1 == End::Reset))
        .count();
    let first = times.iter().copied().fold(f64::INFINITY, f64::min);
    let last = times.iter().copied().fold(0.0, f64::max);
    let (lo, hi) = (
        HANDSHAKE_TIMEOUT.as_secs_f64(),
        (HANDSHAKE_TIMEOUT + HANDSHAKE_TIMEOUT_SLACK).as_secs_f64(),
    );
    let n = SLOWLORIS_CONNECTIONS;
    let got = if dropped == 0 {
        format!(
            "none of {n} dropped after {:.1} s",
            give_up.elapsed().as_secs_f64()
        )
    } else {
        format!(
            "{dropped} of {n} dropped after {first:.1}-{last:.1} s ({answered} answered, \
             {reset} reset) having sent {sent} bytes each"
        )
    };
    Ok(Check::judged(
        got,
        format!("all {n} dropped without an answer after {lo:.1}-{hi:.1} s"),
        dropped == n && answered == 0 && first >= lo - 0.05 && last <= hi,
    ))
}

// ---------------------------------------------------------------------------------------
// Connections that go away, and the server's file descriptors.

/// The inode of the server's socket for our connection from `client_port`, from
/// `/proc/net/tcp` (0 until the server has accepted it).
fn server_socket_inode(server_port: u16, client_port: u16) -> Option<u64> {
    server_socket_inodes(server_port).get(&client_port).copied()
}

/// The inodes of the server's loopback sockets, by the client's port.
fn server_socket_inodes(server_port: u16) -> HashMap<u16, u64> {
    let table = fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let port = |addr: &str| {
        addr.split_once(':')
            .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
    };
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (local, remote, inode) = (f.get(1)?, f.get(2)?, f.get(9)?);
            if port(local)? != server_port {
                return None;
            }
            let inode: u64 = inode.parse().ok()?;
            (inode != 0).then_some((port(remote)?, inode))
        })
        .collect()
}

/// The socket inodes a process holds open.
fn held_socket_inodes(pid: u32) -> HashSet<u64> {
    let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return HashSet::new();
    };
    fds.filter_map(|fd| {
        let link = fs::read_link(fd.ok()?.path()).ok()?;
        let link = link.to_str()?;
        link.strip_prefix("socket:[")?
            .strip_suffix(']')?
            .parse()
            .ok()
    })
    .collect()
}

/// Waits until the server has closed all of `inodes`; returns how long that took, or how
/// many it still holds after [`RELEASE_TIMEOUT`].
fn wait_released(pid: u32, inodes: &HashSet<u64>, since: Instant) -> Result<Duration, usize> {
    let deadline = Instant::now() + RELEASE_TIMEOUT;
    loop {
        let held = held_socket_inodes(pid).intersection(inodes).count();
        if held == 0 {
            return Ok(since.elapsed());
        }
        if Instant::now() >= deadline {
            return Err(held);
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// The server's socket for a connection, once it has accepted it.
fn accepted_inode(t: Target, tcp: &TcpStream) -> Result<u64, String> {
    let client_port = tcp.local_addr().map_err(|e| e.to_string())?.port();
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        if let Some(inode) = server_socket_inode(t.port, client_port) {
            return Ok(inode);
        }
        if Instant::now() >= deadline {
            return Err("the server's socket is not in /proc/net/tcp".to_owned());
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Judges a connection we abandoned: what we saw on it must be `expected_seen` ("" when
/// there is nothing to see), and the server must close its socket within
/// [`RELEASE_TIMEOUT`] of `since`.
fn judge_release(seen: &str, expected_seen: &str, t: Target, inode: u64, since: Instant) -> Check {
    let release = wait_released(t.pid, &HashSet::from([inode]), since);
    let how = match release {
        Ok(after) => format!("released by the server after {} ms", after.as_millis()),
        Err(_) => format!("STILL HELD by the server after {RELEASE_TIMEOUT:?}"),
    };
    let join = |a: &str, b: &str| {
        if a.is_empty() {
            b.to_owned()
        } else {
            format!("{a}, {b}")
        }
    };
    let within = format!("released by the server within {RELEASE_TIMEOUT:?}");
    Check::judged(
        join(seen, &how),
        join(expected_seen, &within),
        seen == expected_seen && release.is_ok(),
    )
}

#[derive(Clone, Copy)]
enum GoAway {
    /// `shutdown(Write)`: a half-open connection.
    Shutdown,
    /// `close()` with nothing unread: a FIN.
    Close,
    /// `close()` with unread bytes: the kernel sends an RST (std has no `SO_LINGER` on
    /// stable).
    Reset,
}

/// Sends the header and half the payload of a 1 MiB frame, then goes away as `how` says.
/// The server must notice and close the connection within [`RELEASE_TIMEOUT`].
fn drop_mid_frame(t: Target, how: GoAway) -> Result<Check, String> {
    let (mut tcp, _) = open_ws(t.port, &[])?;
    let inode = accepted_inode(t, &tcp)?;
    if let GoAway::Reset = how {
        // Leave the pong unread so that closing resets the connection.
        tcp.write_all(&frame(0x89, b"unread"))
            .map_err(|e| e.to_string())?;
        let mut pong = [0; 8];
        let deadline = Instant::now() + IO_TIMEOUT;
        while tcp.peek(&mut pong).map_err(|e| e.to_string())? < pong.len() {
            if Instant::now() >= deadline {
                return Err("no pong to leave unread".to_owned());
            }
            thread::sleep(Duration::from_millis(5));
        }
    }
    let mut half = header(0x82, MIB);
    half.extend(masked(&vec![0x42; (MIB / 2) as usize]));
    tcp.write_all(&half).map_err(|e| format!("sending: {e}"))?;
    let gone = Instant::now();
    match how {
        GoAway::Shutdown => {
            tcp.shutdown(Shutdown::Write).map_err(|e| e.to_string())?;
            let (got, end) = read_until_closed(&mut tcp, RELEASE_TIMEOUT);
            let seen = format!("{}, then {end}", describe_frames(&got));
            Ok(judge_release(&seen, "no frames, then EOF", t, inode, gone))
        }
        GoAway::Close | GoAway::Reset => {
            drop(tcp);
            Ok(judge_release("", "", t, inode, gone))
        }
    }
}

/// Sends half a request head, then shuts down the write side.
fn half_open_handshake(t: Target) -> Result<Check, String> {
    let mut tcp = connect(t.port)?;
    let req = request(&request_lines(t.port));
    tcp.write_all(&req.as_bytes()[..req.len() / 2])
        .map_err(|e| e.to_string())?;
    let inode = accepted_inode(t, &tcp)?;
    let gone = Instant::now();
    tcp.shutdown(Shutdown::Write).map_err(|e| e.to_string())?;
    let (got, end) = read_until_closed(&mut tcp, RELEASE_TIMEOUT);
    let answer = if got.is_empty() {
        "no response".to_owned()
    } else {
        format!("{} bytes", got.len())
    };
    let seen = format!("{answer}, then {end}");
    Ok(judge_release(
        &seen,
        "no response, then EOF",
        t,
        inode,
        gone,
    ))
}

/// Completes the handshake, then shuts down the write side without a close frame.
fn half_open_idle(t: Target) -> Result<Check, String> {
    let (mut tcp, _) = open_ws(t.port, &[])?;
    let inode = accepted_inode(t, &tcp)?;
    let gone = Instant::now();
    tcp.shutdown(Shutdown::Write).map_err(|e| e.to_string())?;
    let (got, end) = read_until_closed(&mut tcp, RELEASE_TIMEOUT);
    let seen = format!("{}, then {end}", describe_frames(&got));
    Ok(judge_release(&seen, "no frames, then EOF", t, inode, gone))
}

// ---------------------------------------------------------------------------------------
// Floods and volume.

/// Writes [`FLOOD_PINGS`] pings of 125 bytes without reading anything. The server must keep
/// reading (it keeps only the latest pong) and, once we read, answer the last ping.
fn ping_flood(t: Target) -> Result<Check, String> {
    let (mut tcp, _) = open_ws(t.port, &[])?;
    tcp.set_write_timeout(Some(Duration::from_secs(20)))
        .map_err(|e| e.to_string())?;
    let ping = frame(0x89, &[b'p'; 125]);
    let batch = ping.repeat(1000);
    let started = Instant::now();
    for i in 0..FLOOD_PINGS / 1000 {
        if let Err(e) = tcp.write_all(&batch) {
            let got = format!(
                "the server stopped reading after about {} pings: {e}",
                i * 1000
            );
            return Ok(Check::judged(got, "all pings written".to_owned(), false));
        }
    }
    let written = started.elapsed();
    let last = b"the last ping";
    tcp.write_all(&frame(0x89, last))
        .map_err(|e| format!("sending the last ping: {e}"))?;
    // Now read: the pongs in flight, then one answering the last ping.
    let deadline = Instant::now() + IO_TIMEOUT;
    let (mut buf, mut pongs, mut other) = (Vec::new(), 0usize, 0usize);
    let mut chunk = vec![0; 64 * 1024];
    let mut answered = false;
    while !answered && Instant::now() < deadline {
        match tcp.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        let mut at = 0;
        while let Some((b0, payload, len)) = server_frame(&buf[at..]) {
            if b0 == 0x8a {
                pongs += 1;
                answered = payload == last;
            } else {
                other += 1;
            }
            at += len;
        }
        buf.drain(..at);
    }
    let got = format!(
        "{FLOOD_PINGS} pings written without reading; {}",
        if answered {
            "the last pong answers the last ping"
        } else {
            "no pong for the last ping"
        }
    );
    let expected =
        format!("{FLOOD_PINGS} pings written without reading; the last pong answers the last ping");
    Ok(
        Check::judged(got.clone(), expected.clone(), got == expected && other == 0).note(format!(
        "{FLOOD_PINGS} pings ({} MiB) written in {:.2} s; the server answered {pongs} of them, \
         {other} other frames",
        mib((ping.len() * FLOOD_PINGS) as u64 / 1024),
        written.as_secs_f64()
    )),
    )
}

/// Sends a [`SLOW_READER_BYTES`] message and never reads the echo, so the server's send
/// blocks with the message in memory; then goes away. The server must keep serving others
/// meanwhile and release the connection (and the message) once we are gone.
fn slow_reader(t: Target) -> Result<Check, String> {
    let (mut tcp, _) = open_ws(t.port, &[])?;
    let inode = accepted_inode(t, &tcp)?;
    let before = status_kib(t.pid, "VmRSS:").unwrap_or(0);
    tcp.set_write_timeout(Some(Duration::from_secs(20)))
        .map_err(|e| e.to_string())?;
    let mut wire = header(0x82, SLOW_READER_BYTES as u64);
    wire.extend(masked(&vec![0x5a; SLOW_READER_BYTES]));
    tcp.write_all(&wire).map_err(|e| format!("sending: {e}"))?;
    // Give the server time to receive it all and fill the socket buffers with the echo.
    thread::sleep(Duration::from_millis(500));
    let held = status_kib(t.pid, "VmRSS:")
        .unwrap_or(0)
        .saturating_sub(before);
    let mut client = Client::open(t.port)?;
    let served = client
        .echo("served beside a slow reader")
        .and_then(|()| client.close());
    let gone = Instant::now();
    drop(tcp);
    let seen = match served {
        Ok(()) => "message sent, a new client served meanwhile".to_owned(),
        Err(e) => format!("message sent, a new client NOT served meanwhile: {e}"),
    };
    let check = judge_release(
        &seen,
        "message sent, a new client served meanwhile",
        t,
        inode,
        gone,
    );
    Ok(check.note(format!(
        "the server held {} MiB more while the echo was unread: it has no send timeout, so a \
         peer that never reads pins its last message for as long as it keeps the connection",
        mib(held)
    )))
}

/// Holds `n` WebSocket connections that never send anything after the handshake.
fn idle_connections(t: Target, n: usize) -> Result<Check, String> {
    hold_idle(t, n, MAX_IDLE_RSS_BYTES, "idle connection", |_| {
        Ok(Some(open_ws(t.port, &[])?.0))
    })
}

/// Holds `n` connections that negotiated permessage-deflate and exchanged one compressed
/// message each (so the server has made its inflater and, echoing, its compressor), then
/// sent nothing more.
fn idle_deflate_connections(t: Target, n: usize) -> Result<Check, String> {
    let message = frame(0xc1, &deflate_payload(b"hello, compressed world", 0));
    hold_idle(
        t,
        n,
        MAX_IDLE_DEFLATE_RSS_BYTES,
        "idle deflate connection",
        |_| {
            let Some(mut tcp) = open_deflate(t.port)? else {
                return Ok(None);
            };
            tcp.write_all(&message)
                .map_err(|e| format!("sending: {e}"))?;
            let mut head = [0; 2];
            tcp.read_exact(&mut head)
                .map_err(|e| format!("reading the echo: {e}"))?;
            let mut payload = vec![0; usize::from(head[1] & 0x7f)];
            tcp.read_exact(&mut payload)
                .map_err(|e| format!("reading the echo: {e}"))?;
            if head[0] != 0xc1 {
                return Err(format!("the echo was not compressed: {}", hex(&head)));
            }
            Ok(Some(tcp))
        },
    )
}

/// Opens `n` connections with `open` (`None`: the server cannot be attacked this way),
/// measures the server's RSS per connection against `bound` bytes, checks a new client is
/// served meanwhile, then closes them all and checks the server released every one.
fn hold_idle(
    t: Target,
    n: usize,
    bound: u64,
    what: &str,
    open: impl Fn(usize) -> Result<Option<TcpStream>, String>,
) -> Result<Check, String> {
    if n == 0 {
        return Ok(Check::skipped("no file descriptors to spare".to_owned()));
    }
    thread::sleep(Duration::from_millis(200));
    let before = status_kib(t.pid, "VmRSS:").unwrap_or(0);
    let started = Instant::now();
    let mut conns = Vec::with_capacity(n);
    for i in 0..n {
        match open(i).map_err(|e| format!("connection {i}: {e}"))? {
            Some(tcp) => conns.push(tcp),
            None => return Ok(no_deflate()),
        }
    }
    let opened = started.elapsed();
    thread::sleep(Duration::from_millis(500));
    let with = status_kib(t.pid, "VmRSS:").unwrap_or(0);
    let per_conn = (with.saturating_sub(before) * 1024) / n as u64;
    let mut client = Client::open(t.port)?;
    let served = client
        .echo("served among the idle")
        .and_then(|()| client.close());
    let ports: HashSet<u16> = conns
        .iter()
        .filter_map(|c| c.local_addr().ok().map(|a| a.port()))
        .collect();
    let inodes: HashSet<u64> = server_socket_inodes(t.port)
        .into_iter()
        .filter(|(p, _)| ports.contains(p))
        .map(|(_, i)| i)
        .collect();
    let closed = Instant::now();
    drop(conns);
    let release = wait_released(t.pid, &inodes, closed);
    let kib = bound / 1024;
    let got = format!(
        "{n} held ({} server sockets found), {} KiB each, {}, {}",
        inodes.len(),
        if per_conn <= bound {
            format!("under {kib}")
        } else {
            format!("OVER {kib}")
        },
        match &served {
            Ok(()) => "a new client served meanwhile".to_owned(),
            Err(e) => format!("a new client NOT served meanwhile: {e}"),
        },
        match release {
            Ok(after) => format!("all released {} ms after closing", after.as_millis()),
            Err(held) => format!("{held} STILL HELD {RELEASE_TIMEOUT:?} after closing"),
        }
    );
    let expected = format!(
        "{n} held ({n} server sockets found), under {kib} KiB each, a new client served \
         meanwhile, all released within {RELEASE_TIMEOUT:?} after closing"
    );
    let ok = inodes.len() == n && per_conn <= bound && served.is_ok() && release.is_ok();
    Ok(Check::judged(got, expected, ok).note(format!(
        "RSS per {what}: {:.2} KiB (({} - {} MiB) / {n}); {n} opened in {:.2} s",
        per_conn as f64 / 1024.0,
        mib(with),
        mib(before),
        opened.as_secs_f64()
    )))
}

/// [`LARGE_CONNECTIONS`] connections each send one [`LARGE_MESSAGE_BYTES`] binary message at
/// the same time and check the echo byte for byte.
fn large_messages(t: Target) -> Result<Check, String> {
    let payload: Vec<u8> = (0..LARGE_MESSAGE_BYTES)
        .map(|i| (i % 251) as u8 ^ (i >> 16) as u8)
        .collect();
    let mut wire = header(0x82, payload.len() as u64);
    wire.extend(masked(&payload));
    let started = Instant::now();
    let results: Vec<Result<(), String>> = thread::scope(|s| {
        let handles: Vec<_> = (0..LARGE_CONNECTIONS)
            .map(|_| s.spawn(|| echo_large(t, &wire, &payload)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("thread panicked".to_owned()))
            })
            .collect()
    });
    let echoed = results.iter().filter(|r| r.is_ok()).count();
    let first_error = results.iter().find_map(|r| r.as_ref().err());
    let got = match first_error {
        None => format!("{echoed} of {LARGE_CONNECTIONS} echoed intact"),
        Some(e) => format!("{echoed} of {LARGE_CONNECTIONS} echoed intact (first error: {e})"),
    };
    let sum = (LARGE_CONNECTIONS * LARGE_MESSAGE_BYTES) as u64 / 1024;
    Ok(Check::exact(
        got,
        format!("{LARGE_CONNECTIONS} of {LARGE_CONNECTIONS} echoed intact"),
    )
    .note(format!(
        "{} MiB each way in {:.2} s; the messages sum to {} MiB",
        mib(sum),
        started.elapsed().as_secs_f64(),
        mib(sum)
    )))
}

fn echo_large(t: Target, wire: &[u8], payload: &[u8]) -> Result<(), String> {
    let (mut tcp, _) = open_ws(t.port, &[])?;
    tcp.set_read_timeout(Some(Duration::from_secs(60)))
        .and_then(|()| tcp.set_write_timeout(Some(Duration::from_secs(60))))
        .map_err(|e| e.to_string())?;
    tcp.write_all(wire).map_err(|e| format!("sending: {e}"))?;
    let mut head = [0; 10];
    tcp.read_exact(&mut head)
        .map_err(|e| format!("reading the echo: {e}"))?;
    let mut expected = [0x82, 127, 0, 0, 0, 0, 0, 0, 0, 0];
    expected[2..].copy_from_slice(&(payload.len() as u64).to_be_bytes());
    if head != expected {
        return Err(format!("echo header {}", hex(&head)));
    }
    let mut chunk = vec![0; 64 * 1024];
    let mut at = 0;
    while at < payload.len() {
        let want = chunk.len().min(payload.len() - at);
        tcp.read_exact(&mut chunk[..want])
            .map_err(|e| format!("reading the echo at {at}: {e}"))?;
        if chunk[..want] != payload[at..at + want] {
            return Err(format!("echo differs near byte {at}"));
        }
        at += want;
    }
    Client { tcp }.close()
}

// ---------------------------------------------------------------------------------------
// permessage-deflate.

/// The client's offer of permessage-deflate (RFC 7692 §7.1).
const DEFLATE_OFFER: &str = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits";

/// Opens a WebSocket offering permessage-deflate; `None` if the server does not accept it.
fn open_deflate(port: u16) -> Result<Option<TcpStream>, String> {
    let (tcp, head) = open_ws(port, &[DEFLATE_OFFER])?;
    Ok(header_value(&head, "Sec-WebSocket-Extensions")
        .is_some_and(|v| v.contains("permessage-deflate"))
        .then_some(tcp))
}

fn no_deflate() -> Check {
    Check::skipped("echo_server did not accept permessage-deflate".to_owned())
}

/// Invalid compressed messages, sent after negotiating permessage-deflate, and the close
/// code the server must answer with (the table in `sockeye_deflate`'s crate docs).
fn deflate_attacks() -> Vec<(&'static str, Vec<u8>, u16)> {
    let mut continuation = frame(0x41, &deflate_payload(b"hel", 0));
    continuation.extend(frame(0xc0, &deflate_payload(b"lo", 0)));
    vec![
        ("deflate: RSV1 on a continuation", continuation, 1002),
        ("deflate: RSV1 on a ping", frame(0xc9, b""), 1002),
        ("deflate: RSV2", frame(0xa1, b"hello"), 1002),
        (
            "deflate: payload that is not DEFLATE",
            frame(0xc1, &[0xff, 0xff, 0xff, 0xff]),
            1007,
        ),
        (
            "deflate: text not UTF-8 once inflated",
            frame(0xc1, &deflate_payload(b"bad \xff text", 0)),
            1007,
        ),
    ]
}

/// Like [`frame_attack`], on a connection that negotiated permessage-deflate.
fn deflate_attack(t: Target, bytes: &[u8], code: u16) -> Result<Check, String> {
    let Some(mut tcp) = open_deflate(t.port)? else {
        return Ok(no_deflate());
    };
    tcp.write_all(bytes).map_err(|e| format!("sending: {e}"))?;
    let (got, end) = read_until_closed(&mut tcp, IO_TIMEOUT);
    Ok(Check::exact(
        format!("{}, then {end}", describe_frames(&got)),
        format!("{}, then EOF", describe_frames(&close_frame(code))),
    ))
}

/// Sends one small compressed message that inflates to [`BOMB_INFLATED_BYTES`]. The server
/// must stop at its 64 MiB message limit and answer 1009.
fn deflate_bomb(t: Target) -> Result<Check, String> {
    let Some(mut tcp) = open_deflate(t.port)? else {
        return Ok(no_deflate());
    };
    let bomb = deflate_payload(&[0], BOMB_INFLATED_BYTES - 1);
    let mut wire = header(0xc2, bomb.len() as u64);
    wire.extend(masked(&bomb));
    tcp.set_write_timeout(Some(Duration::from_secs(20)))
        .map_err(|e| e.to_string())?;
    let mut writer = tcp.try_clone().map_err(|e| e.to_string())?;
    let (got, end) = thread::scope(|s| {
        // The server may fail the connection before it has read the whole payload.
        s.spawn(move || writer.write_all(&wire));
        read_until_closed(&mut tcp, Duration::from_secs(20))
    });
    Ok(Check::exact(
        format!("{}, then {end}", describe_frames(&got)),
        format!("{}, then EOF", describe_frames(&close_frame(1009))),
    )
    .note(format!(
        "{} KiB compressed, {} MiB inflated",
        bomb.len() / 1024,
        BOMB_INFLATED_BYTES / MIB
    )))
}

/// A permessage-deflate payload (RFC 7692 §7.2.1: the `00 00 ff ff` tail removed) of one
/// fixed-Huffman block (RFC 1951 §3.2.6): `literals`, then `zeros` zero bytes, mostly as
/// copies of 258 bytes at distance 1 (13 bits each; `literals` must end with a 0 byte when
/// `zeros` is not 0), then the start of the empty stored block the receiver completes.
fn deflate_payload(literals: &[u8], zeros: u64) -> Vec<u8> {
    let mut w = BitWriter::default();
    w.bits(0, 1); // BFINAL = 0
    w.bits(0b01, 2); // BTYPE = fixed Huffman
    let literal = |w: &mut BitWriter, b: u8| match b {
        0..=143 => w.code(0x30 + u64::from(b), 8),
        _ => w.code(0x190 + u64::from(b - 144), 9),
    };
    for &b in literals {
        literal(&mut w, b);
    }
    for _ in 0..zeros / 258 {
        w.code(0b1100_0101, 8); // length code 285: 258 bytes, no extra bits
        w.code(0, 5); // distance code 0: distance 1, no extra bits
    }
    for _ in 0..zeros % 258 {
        literal(&mut w, 0);
    }
    w.code(0, 7); // end of block (256)
                  // An empty stored block whose LEN/NLEN (`00 00 ff ff`) the sender removes.
    w.bits(0, 3);
    w.flush();
    w.out
}

/// Packs bits least significant first, as DEFLATE does (RFC 1951 §3.1.1).
#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter {
    /// Writes the low `n` bits of `value`, least significant first.
    fn bits(&mut self, value: u64, n: u32) {
        self.acc |= value << self.n;
        self.n += n;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// Writes a Huffman code, most significant bit first.
    fn code(&mut self, code: u64, n: u32) {
        let reversed = (0..n).fold(0, |acc, i| acc | ((code >> i) & 1) << (n - 1 - i));
        self.bits(reversed, n);
    }

    fn flush(&mut self) {
        if self.n > 0 {
            self.out.push(self.acc as u8);
            self.acc = 0;
            self.n = 0;
        }
    }
}
