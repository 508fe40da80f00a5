//! `cargo xtask interop`: sockeye against third-party WebSocket peers that speak
//! permessage-deflate, both ways: the Python `websockets` library and Node's `ws`, each as a
//! client of the `echo_server` example and as a server for the `client` example.
//!
//! The peers are the scripts in `tests/interop/`; `.ci/install-interop.sh` installs their
//! pinned dependencies (a venv in `target/interop-venv`, `node_modules` in `tests/interop`).
//! Each scenario prints one `ok` or `FAIL` line, and the run ends with
//! `interop: N passed, N failed`. Under CI (`CI` set) a missing peer is a failure; elsewhere
//! its scenarios are reported as `skipped: ...`.
//!
//! Every child runs under a [`Guard`], so an error or a timeout kills it, and every wait is
//! bounded.

use std::{
    env, fs,
    io::Read,
    path::PathBuf,
    process::{Command, ExitStatus, Stdio},
    thread,
    time::{Duration, Instant},
};

use crate::{
    process::{free_port, target_dir, wait_for_port, Guard},
    util::{cargo, has_program, root},
};

/// How long a third-party client may take for all its checks (two 1 MiB echoes among them).
const PEER_CLIENT_TIMEOUT: Duration = Duration::from_secs(120);
/// How long one run of the `client` example may take.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a peer server may take to log a connection's close after the client has exited.
const CLOSE_LOG_TIMEOUT: Duration = Duration::from_secs(10);
/// The size of the two large messages the `client` example sends. Each is one command-line
/// argument, which Linux limits to 128 KiB.
const LARGE: usize = 64_000;

/// A third-party WebSocket implementation.
#[derive(Clone, Copy)]
enum Peer {
    /// Python `websockets`, from the venv that `.ci/install-interop.sh` creates.
    Python,
    /// Node's `ws`, from `tests/interop/node_modules`.
    Node,
}

impl Peer {
    fn name(self) -> &'static str {
        match self {
            Self::Python => "python",
            Self::Node => "node",
        }
    }

    /// A command that runs the peer's script `stem` (`echo_client` or `echo_server`).
    fn command(self, stem: &str) -> Command {
        let dir = interop_dir();
        let (program, script) = match self {
            Self::Python => (venv_python(), dir.join(format!("{stem}.py"))),
            Self::Node => (PathBuf::from("node"), dir.join(format!("{stem}.mjs"))),
        };
        let mut cmd = Command::new(program);
        cmd.arg(script).current_dir(root()).stdin(Stdio::null());
        cmd
    }

    /// What is missing to run this peer, if anything.
    fn missing(self) -> Option<String> {
        let missing = match self {
            Self::Python => {
                let python = venv_python();
                (!has_program(&python.to_string_lossy(), &["-c", "import websockets"]))
                    .then(|| format!("{} with websockets", python.display()))
            }
            Self::Node if !has_program("node", &["--version"]) => Some("node".to_owned()),
            Self::Node => {
                let ws = interop_dir().join("node_modules/ws/package.json");
                (!ws.exists()).then(|| "ws in tests/interop/node_modules".to_owned())
            }
        };
        missing.map(|what| {
            format!(
                "the {} peer needs {what}; `bash .ci/install-interop.sh` installs it",
                self.name()
            )
        })
    }
}

/// What the third-party peer offers (as a client) or accepts (as a server).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// permessage-deflate with the peer's default settings.
    Deflate,
    /// permessage-deflate with 10-bit windows and no context takeover both ways, which sockeye
    /// must honour when it compresses (and, for ws, every message compressed).
    Tight,
    /// The server (ours or the peer) declines permessage-deflate.
    Declined,
}

impl Mode {
    /// The peer script's flag for this mode.
    fn flag(self, peer_is_client: bool) -> Option<&'static str> {
        match (self, peer_is_client) {
            (Self::Deflate, _) => None,
            (Self::Tight, _) => Some("--tight"),
            (Self::Declined, true) => Some("--expect-declined"),
            (Self::Declined, false) => Some("--no-deflate"),
        }
    }
}

/// One interop run: who is the client, who is the server, and what is negotiated.
struct Scenario {
    peer: Peer,
    /// The third-party peer is the client (of `echo_server`); otherwise it is the server
    /// (for the `client` example).
    peer_is_client: bool,
    mode: Mode,
}

impl Scenario {
    fn name(&self) -> String {
        let peer = self.peer.name();
        let (client, server) = if self.peer_is_client {
            (format!("{peer} client"), "echo_server".to_owned())
        } else {
            ("client".to_owned(), format!("{peer} server"))
        };
        let what = match self.mode {
            Mode::Deflate => "permessage-deflate",
            Mode::Tight => "permessage-deflate, 10-bit windows, no context takeover",
            Mode::Declined => "server declines permessage-deflate",
        };
        format!("{client} -> {server} ({what})")
    }

    fn run(&self) -> Result<(), String> {
        let flag = self.mode.flag(self.peer_is_client);
        if self.peer_is_client {
            peer_client(self.peer, self.mode != Mode::Declined, flag)
        } else {
            our_client(self.peer, self.mode != Mode::Declined, flag)
        }
    }
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!(
            "`cargo xtask interop` takes no arguments, got `{arg}`"
        ));
    }
    cargo(&["build", "--release", "-p", "sockeye-examples", "--examples"])?;
    fs::create_dir_all(log_dir()).map_err(|e| format!("{}: {e}", log_dir().display()))?;

    // Third-party clients against echo_server, then the client example against third-party
    // servers; with default permessage-deflate, then tight limits, then with it declined.
    let mut scenarios = Vec::new();
    for mode in [Mode::Deflate, Mode::Tight, Mode::Declined] {
        for peer_is_client in [true, false] {
            for peer in [Peer::Python, Peer::Node] {
                scenarios.push(Scenario {
                    peer,
                    peer_is_client,
                    mode,
                });
            }
        }
    }

    let ci = env::var_os("CI").is_some();
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for scenario in &scenarios {
        let name = scenario.name();
        let result = match scenario.peer.missing() {
            Some(msg) if !ci => {
                skipped += 1;
                eprintln!("skipped: {name}: {msg}");
                continue;
            }
            Some(msg) => Err(msg),
            None => {
                eprintln!("== interop: {name}");
                scenario.run()
            }
        };
        match result {
            Ok(()) => {
                passed += 1;
                eprintln!("ok    {name}");
            }
            Err(e) => {
                failed += 1;
                eprintln!("FAIL  {name}: {e}");
            }
        }
    }
    if skipped > 0 {
        println!("interop: {passed} passed, {failed} failed, {skipped} skipped");
    } else {
        println!("interop: {passed} passed, {failed} failed");
    }
    if failed == 0 {
        Ok(())
    } else {
        Err(format!("{failed} interop scenario(s) failed"))
    }
}

/// A third-party client runs its checks against `echo_server`; its exit status is the result.
/// `deflate`: whether `echo_server` accepts permessage-deflate; `flag`: the client's option.
fn peer_client(peer: Peer, deflate: bool, flag: Option<&str>) -> Result<(), String> {
    let port = free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let mut server_cmd = Command::new(example("echo_server"));
    server_cmd.args(["--addr", &addr]);
    if !deflate {
        server_cmd.arg("--no-deflate");
    }
    // Its stderr (connection errors) goes to our stderr, where the CI log keeps it.
    server_cmd.stdin(Stdio::null()).stdout(Stdio::null());
    let mut server = Guard::spawn("echo_server", server_cmd)?;
    wait_for_port(port, &mut server)?;

    let mut cmd = peer.command("echo_client");
    cmd.arg(format!("ws://{addr}")).args(flag);
    let out = run_bounded("peer client", cmd, PEER_CLIENT_TIMEOUT)?;
    for line in out.stdout.lines().chain(out.stderr.lines()) {
        eprintln!("    {line}");
    }
    if let Some(status) = server.try_wait() {
        return Err(format!("echo_server exited with {status} during the run"));
    }
    if out.status.success() {
        Ok(())
    } else {
        let failures: Vec<&str> = out
            .stdout
            .lines()
            .filter(|l| l.starts_with("FAIL"))
            .collect();
        Err(format!(
            "the {} client exited with {}: {}",
            peer.name(),
            out.status,
            if failures.is_empty() {
                "no check failed; see its output above".to_owned()
            } else {
                failures.join("; ")
            }
        ))
    }
}

/// The `client` example sends messages to a third-party echo server and must print each
/// echo. The server's answers to `__wire__`, `__ping__` and `__extensions__` tell whether our
/// messages were compressed, whether we answered its ping and what it negotiated; its log
/// tells whether the close handshake completed.
///
/// `deflate`: whether the peer server accepts permessage-deflate; `flag`: its option.
fn our_client(peer: Peer, deflate: bool, flag: Option<&str>) -> Result<(), String> {
    let port = free_port()?;
    let log = log_dir().join(format!("{}-server{}.log", peer.name(), flag.unwrap_or("")));
    let log_file = fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut server_cmd = peer.command("echo_server");
    server_cmd
        .args(["--port", &port.to_string()])
        .args(flag)
        .stdout(log_file);
    let mut server = Guard::spawn("peer server", server_cmd)?;
    let server_log = || fs::read_to_string(&log).unwrap_or_default();
    wait_for_port(port, &mut server).map_err(|e| format!("{e}; its log: {}", server_log()))?;

    let near = compressible(LARGE);
    let far = repeating_every_8000(LARGE);
    // Messages starting with `__` are queries that the server answers (see its script).
    let messages = [
        "hello",
        "",
        "wide wörld ✓ 日本語 🦀 ∮ E⋅da = Q",
        &near,
        "__wire__",
        &far,
        "__ping__",
        "__extensions__",
    ];
    let mut cmd = Command::new(example("client"));
    cmd.arg(format!("ws://127.0.0.1:{port}"))
        .args(messages)
        .stdin(Stdio::null());
    let out = run_bounded("client", cmd, CLIENT_TIMEOUT)?;
    if !out.status.success() {
        return Err(format!(
            "client exited with {}: {}; server log: {}",
            out.status,
            out.stderr.trim(),
            server_log().trim()
        ));
    }
    let lines: Vec<&str> = out.stdout.split('\n').collect();
    // One line per message, and the final newline leaves an empty string.
    if lines.len() != messages.len() + 1 {
        return Err(format!(
            "client printed {} lines for {} messages",
            lines.len() - 1,
            messages.len()
        ));
    }
    for (i, (sent, got)) in messages.iter().zip(&lines).enumerate() {
        if sent.starts_with("__") {
            continue;
        }
        if sent != got {
            return Err(format!(
                "message {i} came back changed: sent {} bytes, printed {} bytes{}",
                sent.len(),
                got.len(),
                if sent.len() < 100 {
                    format!(" ({sent:?} -> {got:?})")
                } else {
                    String::new()
                }
            ));
        }
    }

    let answer = |query: &str| {
        let at = messages.iter().position(|m| *m == query);
        lines[at.expect("the query is one of the messages")]
    };
    let wire: usize = answer("__wire__")
        .parse()
        .map_err(|_| format!("the server answered __wire__ with {:?}", answer("__wire__")))?;
    let extensions = answer("__extensions__");
    if answer("__ping__") != "pong received" {
        return Err(format!(
            "the server's ping got no pong: it answered __ping__ with {:?}",
            answer("__ping__")
        ));
    }
    eprintln!("    server read {wire} bytes before __wire__; negotiated {extensions:?}");
    if deflate {
        if !extensions.starts_with("permessage-deflate") {
            return Err(format!(
                "the server negotiated {extensions:?}, not permessage-deflate"
            ));
        }
        // The handshake and three short messages take well under a kilobyte; a compressed
        // copy of the 64 kB message only a few more.
        if wire >= LARGE / 4 {
            return Err(format!(
                "the client's {LARGE}-byte compressible message was not compressed: the \
                 server had read {wire} bytes"
            ));
        }
    } else {
        if !extensions.is_empty() {
            return Err(format!(
                "the server with --no-deflate negotiated {extensions:?}"
            ));
        }
        if wire <= LARGE {
            return Err(format!(
                "the server had read only {wire} bytes for a {LARGE}-byte uncompressed message"
            ));
        }
    }

    // The server logs each closed connection with the close code the client sent.
    let deadline = Instant::now() + CLOSE_LOG_TIMEOUT;
    loop {
        let text = server_log();
        if let Some(line) = text.lines().find(|l| l.contains("connection closed")) {
            eprintln!("    {line}");
            return if line.ends_with(": 1000") {
                Ok(())
            } else {
                Err(format!(
                    "the close handshake did not complete with 1000: {line}"
                ))
            };
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "the server did not log the close within {CLOSE_LOG_TIMEOUT:?}: {text}"
            ));
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// What a child printed, and how it exited.
struct Output {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs `cmd` to completion, at most `timeout`, collecting its output on threads so that a
/// chatty child never blocks on a full pipe. The guard kills it on timeout or error.
fn run_bounded(name: &'static str, mut cmd: Command, timeout: Duration) -> Result<Output, String> {
    // Long arguments (the large messages) are shown by their length.
    let shown: Vec<String> = cmd
        .get_args()
        .map(|a| {
            let a = a.to_string_lossy();
            if a.len() > 100 {
                format!("<{} bytes>", a.len())
            } else {
                a.into_owned()
            }
        })
        .collect();
    eprintln!(
        "$ {} {}",
        cmd.get_program().to_string_lossy(),
        shown.join(" ")
    );
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("could not start {name}: {e}"))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let mut guard = Guard {
        name,
        child: Some(child),
        tee: None,
    };
    let read = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let (out, err) = (read(Box::new(stdout)), read(Box::new(stderr)));
    let status = guard.wait_timeout(timeout);
    // Kills the child (and anything it started) if it is still running, so the pipes close.
    guard.stop();
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    match status {
        Some(status) => Ok(Output {
            status,
            stdout,
            stderr,
        }),
        None => Err(format!(
            "{name} did not finish within {timeout:?}; it printed:\n{stdout}{stderr}"
        )),
    }
}

/// `size` bytes of text that deflate shrinks well, without newlines (the `client` example
/// prints each reply on one line).
fn compressible(size: usize) -> String {
    let mut text = String::with_capacity(size + 64);
    let mut n = 0;
    while text.len() < size {
        text.push_str(&format!(
            "n{n} the quick brown fox jumps over the lazy dog; "
        ));
        n += 1;
    }
    text.truncate(size);
    text
}

/// `size` bytes of text made of one 8000-byte pseudo-random block repeated: deflate finds its
/// matches only with a window of at least 13 bits, so a compressor that ignores a smaller
/// agreed window produces back-references the peer cannot resolve.
fn repeating_every_8000(size: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    // xorshift64: fixed seed, so every run sends the same bytes.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let block: Vec<u8> = (0..8000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ALPHABET[(state >> 58) as usize]
        })
        .collect();
    let text: Vec<u8> = block.iter().copied().cycle().take(size).collect();
    String::from_utf8(text).expect("the alphabet is ASCII")
}

fn example(name: &str) -> PathBuf {
    target_dir().join("release").join("examples").join(name)
}

fn interop_dir() -> PathBuf {
    root().join("tests").join("interop")
}

/// The installer's venv. It is always `target/interop-venv` under the workspace root, whatever
/// `CARGO_TARGET_DIR` says, so that the installer and this task agree without configuration.
fn venv_python() -> PathBuf {
    root()
        .join("target")
        .join("interop-venv")
        .join("bin")
        .join("python")
}

fn log_dir() -> PathBuf {
    target_dir().join("interop")
}
