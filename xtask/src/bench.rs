//! `cargo xtask bench [--quick] [--rounds N] [--duration SECS] [--only SCENARIO]`: sockeye
//! side by side with the other Rust WebSocket crates, in one run, on this machine.
//!
//! - Server side: every crate's `echo-server` (pinned to core 0) under the neutral `load`
//!   generator (pinned to core 1, or to every core but 0, one thread each, where there are
//!   more than two; see `Layout`), scenario by scenario, the servers interleaved round by
//!   round, each round starting one further on (A, B, C, then B, C, A, ...), each run with
//!   its own warm-up; medians over the rounds.
//! - Idle memory: the server's resident set before and after `load --idle N` opened N
//!   connections (each exchanged one message), per connection.
//! - Instructions: every crate's `echo-server`, and its `client-load` inside the connection
//!   task, under callgrind: user-space instructions per message with small messages (not in
//!   `--quick` runs; needs valgrind).
//! - Client side: every crate's `client-load` (pinned to core 1) against the fixed
//!   `echo-server neutral` (core 0, or every core but 1).
//! - Micro-benchmarks: the criterion benches of sockeye-codec and sockeye-connection.
//!
//! The full run writes `BENCHMARKS.md` at the workspace root. `--quick` (what `cargo xtask
//! ci` runs, to prove that everything works) makes short runs, runs the criterion benches
//! once each as tests, and writes `target/bench/BENCHMARKS.quick.md` instead; it fails only
//! when a program crashes or reports nothing, or when sockeye itself reports errors. No
//! speed is ever asserted.

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    fs,
    io::{BufRead, BufReader, Read},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::mpsc,
    thread,
    time::Duration,
};

use crate::{
    json::{self, Value},
    process::{free_port, target_dir, wait_for_port, Guard},
    util::{cargo, has_program, root},
};

// Shared with the benchmark programs, where it is public.
#[allow(unreachable_pub)]
mod impls {
    include!("../../benches/src/impls.rs");
}
use impls::IMPLS;

/// The crates in the order they take turns in `round` (counted from 1): each round starts
/// one crate further on, so no crate always runs first (after a pause or a build) or last.
fn turn_order(round: usize) -> impl Iterator<Item = &'static str> {
    let start = (round - 1) % IMPLS.len();
    IMPLS[start..].iter().chain(&IMPLS[..start]).copied()
}

struct Scenario {
    name: &'static str,
    title: &'static str,
    conns: usize,
    size: usize,
    pipeline: usize,
}

const SCENARIOS: [Scenario; 6] = [
    Scenario {
        name: "latency",
        title: "1 connection, 16 B, pipeline 1 (latency)",
        conns: 1,
        size: 16,
        pipeline: 1,
    },
    Scenario {
        name: "pipelined",
        title: "1 connection, 16 B, pipeline 64 (per-frame overhead)",
        conns: 1,
        size: 16,
        pipeline: 64,
    },
    Scenario {
        name: "1k",
        title: "64 connections, 1 KiB, pipeline 8",
        conns: 64,
        size: 1024,
        pipeline: 8,
    },
    Scenario {
        name: "64k",
        title: "4 connections, 64 KiB, pipeline 4",
        conns: 4,
        size: 64 << 10,
        pipeline: 4,
    },
    Scenario {
        name: "1m",
        title: "2 connections, 1 MiB, pipeline 2",
        conns: 2,
        size: 1 << 20,
        pipeline: 2,
    },
    Scenario {
        name: "1000c",
        title: "1000 connections, 16 B, pipeline 1",
        conns: 1000,
        size: 16,
        pipeline: 1,
    },
];

/// Rounds per scenario unless `--rounds` says otherwise: single runs here vary by up to
/// ~40%, and the median of five is steadier than that of three.
const DEFAULT_ROUNDS: usize = 5;

struct Settings {
    quick: bool,
    rounds: usize,
    warmup: f64,
    duration: f64,
    idle: usize,
    only: Option<String>,
}

/// One measured run, as a load program reported it.
#[derive(Clone, Default)]
struct Run {
    /// Messages echoed in the measured interval.
    messages: f64,
    messages_per_s: f64,
    mib_per_s: f64,
    p50: f64,
    p99: f64,
    p999: f64,
    /// CPU time (user, system) of the measured process per message, in microseconds: the
    /// server's on the server side, the client's on the client side.
    cpu_us: Option<(f64, f64)>,
    /// The share of one core that the fixed side (the load generator on the server side,
    /// the neutral server on the client side) used in the measured interval, 0 to 1.
    fixed_busy: Option<f64>,
    errors: f64,
    failed: Option<String>,
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut settings = Settings {
        quick: false,
        rounds: DEFAULT_ROUNDS,
        warmup: 1.0,
        duration: 3.0,
        idle: 10_000,
        only: None,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--quick" => {
                settings = Settings { quick: true, rounds: 1, warmup: 0.2, duration: 0.5, idle: 200, ..settings };
            }
            "--rounds" => settings.rounds = value()?.parse().map_err(|e| format!("--rounds: {e}"))?,
            "--duration" => settings.duration = value()?.parse().map_err(|e| format!("--duration: {e}"))?,
            "--only" => settings.only = Some(value()?.clone()),
            _ => return Err(format!("unknown option {arg}; usage: cargo xtask bench [--quick] [--rounds N] [--duration SECS] [--only SCENARIO|idle|instructions|client|micro]")),
        }
    }
    let hard_limit = fd_hard_limit();
    if hard_limit < settings.idle + 200 {
        settings.idle = hard_limit.saturating_sub(200).max(100);
        eprintln!(
            "xtask: the open-file limit is {hard_limit}; idle memory uses {} connections",
            settings.idle
        );
    }
    cargo(&["build", "--release", "-p", "sockeye-benches", "--bins"])?;
    let out_dir = target_dir().join("bench");
    fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let pinning = has_program("taskset", &["-c", "0", "true"])
        && thread::available_parallelism().map_or(1, usize::from) >= 2;
    if !pinning {
        eprintln!("xtask: taskset or a second core is missing: the programs run unpinned");
    }
    let layout = if pinning {
        Layout::new(thread::available_parallelism().map_or(1, usize::from))
    } else {
        Layout::new(1)
    };
    let bench = Bench {
        settings,
        pinning,
        layout,
        log: out_dir.join("programs.log"),
    };
    let _ = fs::write(&bench.log, "");
    let wanted = |name: &str| {
        bench
            .settings
            .only
            .as_deref()
            .is_none_or(|only| only == name)
    };

    let mut server = BTreeMap::new();
    let mut client = BTreeMap::new();
    for scenario in &SCENARIOS {
        if wanted(scenario.name) || wanted("server") {
            server.insert(scenario.name, bench.server_scenario(scenario)?);
        }
    }
    let idle = if wanted("idle") {
        Some(bench.idle()?)
    } else {
        None
    };
    // Not in `--quick` runs: valgrind is not needed to prove that the benches work.
    let instructions = if wanted("instructions") && !bench.settings.quick {
        Some(bench.instructions())
    } else {
        None
    };
    for scenario in &SCENARIOS {
        if wanted(scenario.name) || wanted("client") {
            client.insert(scenario.name, bench.client_scenario(scenario)?);
        }
    }
    // The load results are already in hand: a failing micro-benchmark is reported, not lost.
    let micro = if wanted("micro") {
        bench.micro().unwrap_or_else(|e| {
            eprintln!("xtask: bench: micro-benchmarks failed: {e}");
            format!("The micro-benchmarks failed: {e}\n")
        })
    } else {
        String::new()
    };

    let report = bench.markdown(
        &server,
        idle.as_ref(),
        instructions.as_ref(),
        &client,
        &micro,
    );
    let path = if bench.settings.quick || bench.settings.only.is_some() {
        out_dir.join("BENCHMARKS.quick.md")
    } else {
        root().join("BENCHMARKS.md")
    };
    fs::write(&path, report).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("xtask: wrote {}", path.display());

    // What makes a run fail: a program that crashed or reported nothing, or sockeye errors.
    let mut problems = Vec::new();
    for (side, results) in [("server", &server), ("client", &client)] {
        for (scenario, by_impl) in results {
            for (name, runs) in by_impl {
                for run in runs {
                    if let Some(e) = &run.failed {
                        problems.push(format!("{side} {scenario} {name}: {e}"));
                    } else if *name == "sockeye" && run.errors > 0.0 {
                        problems.push(format!("{side} {scenario} sockeye: {} errors", run.errors));
                    }
                }
            }
        }
    }
    if let Some(idle) = &idle {
        for (name, runs) in idle {
            for run in runs {
                if let Err(e) = run {
                    problems.push(format!("idle {name}: {e}"));
                }
            }
        }
    }
    for problem in &problems {
        eprintln!("xtask: bench: {problem}");
    }
    // Peers that fail a scenario are reported in the tables; only our own failures and
    // programs that produced nothing at all fail the task.
    let ours: Vec<_> = problems
        .iter()
        .filter(|p| p.contains("sockeye") || p.contains("neutral"))
        .collect();
    if ours.is_empty() {
        eprintln!(
            "bench: done ({} problems with other crates, see the tables)",
            problems.len()
        );
        Ok(())
    } else {
        Err(format!("bench: {} of sockeye's runs failed", ours.len()))
    }
}

type Results = BTreeMap<&'static str, Vec<Run>>;
type IdleResults = BTreeMap<&'static str, Vec<Result<(f64, u64), String>>>;
/// User-space instructions per message and the share of them in `memset`/`memcpy`, by side
/// (server or client), scenario and crate; or why none were counted.
type Counts = Result<
    BTreeMap<(Side, &'static str), BTreeMap<&'static str, Result<(f64, f64), String>>>,
    String,
>;

/// Which of a crate's programs a count is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Side {
    /// Its echo server, under the neutral load generator.
    Server,
    /// Its client, against the neutral server.
    Client,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Self::Server => "server",
            Self::Client => "client",
        }
    }
}

/// The scenarios whose instructions are counted: small messages, one at a time and
/// pipelined. Not large ones: valgrind counts every byte a `rep movsb` or `rep stosb` moves
/// (glibc's `memcpy` and `memset` above about 2 KiB) as an instruction, so a crate that
/// copies 64 KiB looks tens of times costlier than it is. Not 1000 connections either:
/// what they cost beyond one connection is cache misses, which instructions do not show.
const COUNTED: [&str; 2] = ["latency", "pipelined"];

struct Bench {
    settings: Settings,
    pinning: bool,
    layout: Layout,
    log: PathBuf,
}

/// Where the programs of a measurement run. The crate under test always has one core: core
/// 0 for a server, core 1 for a client. The fixed side (the load generator, or the neutral
/// server) gets every other core, one thread each, so that on a machine with more than two
/// cores it keeps up with the crate under test; with two cores it has one, like the crate.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Layout {
    /// Threads of the fixed side.
    threads: usize,
    /// The load generator's cores, as `taskset -c` takes them.
    generator: String,
    /// The neutral server's cores.
    neutral: String,
}

impl Layout {
    /// `cores` in words, for the method section.
    fn describe(&self, cores: &str) -> String {
        if self.threads == 1 {
            format!("core {cores}")
        } else {
            format!("cores {cores} ({} threads)", self.threads)
        }
    }

    fn new(cores: usize) -> Self {
        if cores <= 2 {
            return Self {
                threads: 1,
                generator: "1".to_owned(),
                neutral: "0".to_owned(),
            };
        }
        // `first` to `last` as `taskset -c` takes it.
        let span = |first: usize, last: usize| {
            if first == last {
                first.to_string()
            } else {
                format!("{first}-{last}")
            }
        };
        Self {
            threads: cores - 1,
            generator: span(1, cores - 1),
            neutral: format!("0,{}", span(2, cores - 1)),
        }
    }
}

impl Bench {
    /// `program args` on `cores` (a `taskset -c` list), with the open-file limit raised to
    /// the hard limit.
    fn command(&self, cores: &str, program: &str, args: &[String]) -> Command {
        self.command_of(cores, &target_dir().join("release").join(program), args)
    }

    /// Like [`Bench::command`], for any program (a path, or a name looked up in `PATH`).
    fn command_of(&self, cores: &str, binary: &Path, args: &[String]) -> Command {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg("ulimit -n \"$(ulimit -Hn)\" 2>/dev/null; exec \"$@\"")
            .arg("sh");
        if self.pinning {
            cmd.args(["taskset", "-c", cores]);
        }
        cmd.arg(binary).args(args).stdin(Stdio::null());
        let log = fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&self.log);
        cmd.stderr(log.map_or_else(|_| Stdio::null(), Stdio::from));
        cmd
    }

    fn start_server(&self, name: &str) -> Result<(Guard, String), String> {
        let port = free_port()?;
        let addr = format!("127.0.0.1:{port}");
        let mut cmd = if name == "neutral" {
            self.command(
                &self.layout.neutral,
                "echo-server",
                &[
                    name.to_owned(),
                    addr.clone(),
                    self.layout.threads.to_string(),
                ],
            )
        } else {
            self.command("0", "echo-server", &[name.to_owned(), addr.clone()])
        };
        cmd.stdout(Stdio::null());
        let mut guard = Guard::spawn("echo-server", cmd)?;
        wait_for_port(port, &mut guard)?;
        Ok((guard, addr))
    }

    /// The load program's arguments for `scenario` against `addr`, with `warmup` seconds of
    /// warm-up.
    fn load_args(&self, scenario: &Scenario, addr: &str, warmup: f64) -> Vec<String> {
        let s = &self.settings;
        [
            "--addr",
            addr,
            "--conns",
            &scenario.conns.to_string(),
            "--size",
            &scenario.size.to_string(),
            "--pipeline",
            &scenario.pipeline.to_string(),
            "--warmup",
            &warmup.to_string(),
            "--duration",
            &s.duration.to_string(),
        ]
        .map(str::to_owned)
        .to_vec()
    }

    /// Runs a load program on `cores` to completion and reads its report.
    fn measure(&self, cores: &str, program: &str, args: Vec<String>) -> Run {
        self.measure_command(program, self.command(cores, program, &args))
    }

    /// [`Bench::measure`] for a load program started by `cmd` (under valgrind, say).
    fn measure_command(&self, program: &str, mut cmd: Command) -> Run {
        cmd.stdout(Stdio::piped());
        let mut guard = match Guard::spawn("load", cmd) {
            Ok(guard) => guard,
            Err(e) => {
                return Run {
                    failed: Some(e),
                    ..Run::default()
                }
            }
        };
        let timeout = Duration::from_secs_f64(self.settings.warmup + self.settings.duration + 60.0);
        let status = guard.wait_timeout(timeout);
        let mut out = String::new();
        if status.is_some() {
            if let Some(stdout) = guard.child.as_mut().and_then(|c| c.stdout.as_mut()) {
                let _ = stdout.read_to_string(&mut out);
            }
        }
        guard.stop();
        let failed = |e: String| Run {
            failed: Some(e),
            ..Run::default()
        };
        match status {
            None => failed(format!("{program} did not finish within {timeout:?}")),
            Some(status) if !status.success() => failed(format!("{program} exited with {status}")),
            Some(_) => parse_report(out.trim()).unwrap_or_else(failed),
        }
    }

    fn server_scenario(&self, scenario: &Scenario) -> Result<Results, String> {
        eprintln!("bench: server side, {}", scenario.title);
        let mut results: Results = BTreeMap::new();
        for round in 1..=self.settings.rounds {
            for name in turn_order(round) {
                let (mut server, addr) = self.start_server(name)?;
                let mut args = self.load_args(scenario, &addr, self.settings.warmup);
                if let Some(pid) = server.child.as_ref().map(std::process::Child::id) {
                    args.extend(["--cpu-pid".to_owned(), pid.to_string()]);
                }
                args.extend(["--threads".to_owned(), self.layout.threads.to_string()]);
                let mut run = self.measure(&self.layout.generator, "load", args);
                run.per_thread(self.layout.threads);
                if server.try_wait().is_some() {
                    eprintln!("bench: {name}'s echo-server exited during the run");
                }
                server.stop();
                eprintln!("bench:   round {round} {name:<18} {}", run.summary());
                results.entry(name).or_default().push(run);
            }
        }
        Ok(results)
    }

    fn client_scenario(&self, scenario: &Scenario) -> Result<Results, String> {
        eprintln!("bench: client side, {}", scenario.title);
        let mut results: Results = BTreeMap::new();
        for round in 1..=self.settings.rounds {
            for name in turn_order(round) {
                let (mut server, addr) = self.start_server("neutral")?;
                let mut args = vec![name.to_owned()];
                args.extend(self.load_args(scenario, &addr, self.settings.warmup));
                if let Some(pid) = server.child.as_ref().map(std::process::Child::id) {
                    args.extend(["--fixed-pid".to_owned(), pid.to_string()]);
                }
                let mut run = self.measure("1", "client-load", args);
                run.per_thread(self.layout.threads);
                server.stop();
                eprintln!("bench:   round {round} {name:<18} {}", run.summary());
                results.entry(name).or_default().push(run);
            }
        }
        Ok(results)
    }

    /// Server memory per idle connection: (KiB per connection, connections) per round.
    fn idle(&self) -> Result<IdleResults, String> {
        let count = self.settings.idle;
        eprintln!("bench: idle memory, {count} connections");
        let mut results: IdleResults = BTreeMap::new();
        for round in 1..=self.settings.rounds {
            for name in turn_order(round) {
                let result = self.idle_once(name, count);
                match &result {
                    Ok((kib, n)) => eprintln!("bench:   round {round} {name:<18} {kib:.2} KiB per connection ({n} connections)"),
                    Err(e) => eprintln!("bench:   round {round} {name:<18} failed: {e}"),
                }
                results.entry(name).or_default().push(result);
            }
        }
        Ok(results)
    }

    fn idle_once(&self, name: &str, count: usize) -> Result<(f64, u64), String> {
        let (mut server, addr) = self.start_server(name)?;
        let pid = server
            .child
            .as_ref()
            .map(std::process::Child::id)
            .ok_or("no server process")?;
        thread::sleep(Duration::from_millis(300));
        let before = rss_kib(pid)?;
        let mut cmd = self.command(
            "1",
            "load",
            &[
                "--idle".to_owned(),
                count.to_string(),
                "--addr".to_owned(),
                addr,
            ],
        );
        cmd.stdout(Stdio::piped());
        let mut load = Guard::spawn("load", cmd)?;
        let stdout = load
            .child
            .as_mut()
            .and_then(|c| c.stdout.take())
            .ok_or("no stdout")?;
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .map_err(|_| "load --idle did not report within 120 s".to_owned())?;
        let report = json::parse(line.trim())
            .map_err(|e| format!("load --idle printed `{}`: {e}", line.trim()))?;
        let connections = number(&report, "connections")? as u64;
        if connections == 0 {
            return Err("no connection was made".to_owned());
        }
        thread::sleep(Duration::from_secs(1));
        let after = rss_kib(pid)?;
        load.stop();
        server.stop();
        Ok(((after - before) as f64 / connections as f64, connections))
    }

    /// User-space instructions per echoed message of every crate's server and client,
    /// counted by callgrind: the one measure here that this noisy machine does not blur (two
    /// counts of the same program differ by well under 1%).
    fn instructions(&self) -> Counts {
        if !has_program("valgrind", &["--version"])
            || !has_program("callgrind_control", &["--version"])
        {
            eprintln!("bench: instructions: skipped: valgrind is not installed");
            return Err("skipped: valgrind (with `callgrind_control`) is not installed".to_owned());
        }
        let mut counts = BTreeMap::new();
        for side in [Side::Server, Side::Client] {
            for scenario in SCENARIOS.iter().filter(|s| COUNTED.contains(&s.name)) {
                eprintln!(
                    "bench: instructions, {} side, {}",
                    side.name(),
                    scenario.title
                );
                let by_impl: &mut BTreeMap<_, _> = counts.entry((side, scenario.name)).or_default();
                for name in IMPLS {
                    let count = match side {
                        Side::Server => self.count_instructions(scenario, name),
                        Side::Client => self.count_client_instructions(scenario, name),
                    };
                    match &count {
                        Ok((n, share)) => eprintln!(
                            "bench:   {name:<18} {n:.0} instructions per message ({:.0}% in memset/memcpy)",
                            share * 100.0
                        ),
                        Err(e) => eprintln!("bench:   {name:<18} failed: {e}"),
                    }
                    by_impl.insert(name, count);
                }
            }
        }
        Ok(counts)
    }

    /// Runs `name`'s echo server under callgrind with instrumentation off, switches it on
    /// just before the load starts (no warm-up: the count covers every message, and each
    /// connection's handshake once), dumps the count when the load ends, and divides.
    fn count_instructions(&self, scenario: &Scenario, name: &str) -> Result<(f64, f64), String> {
        let port = free_port()?;
        let addr = format!("127.0.0.1:{port}");
        let out = target_dir()
            .join("bench")
            .join(format!("callgrind.{name}.{}", scenario.name));
        let server_binary = target_dir().join("release").join("echo-server");
        let args = [
            "--tool=callgrind".to_owned(),
            "--instr-atstart=no".to_owned(),
            format!("--callgrind-out-file={}", out.display()),
            server_binary.display().to_string(),
            name.to_owned(),
            addr.clone(),
        ];
        let mut cmd = self.command_of("0", Path::new("valgrind"), &args);
        cmd.stdout(Stdio::null());
        let mut server = Guard::spawn("echo-server under callgrind", cmd)?;
        wait_for_port(port, &mut server)?;
        // `sh` and `taskset` exec the next program, so this is valgrind's process.
        let pid = server
            .child
            .as_ref()
            .map(|c| c.id().to_string())
            .ok_or("no server process")?;
        let control = |what: &str| {
            let mut cmd = Command::new("callgrind_control");
            cmd.args([what, pid.as_str()]).stdout(Stdio::null());
            crate::util::run(cmd)
        };
        // Where callgrind writes its first dump.
        let dump = PathBuf::from(format!("{}.1", out.display()));
        let _ = fs::remove_file(&dump);
        control("--instr=on")?;
        let run = self.measure("1", "load", self.load_args(scenario, &addr, 0.0));
        let dumped = control("--dump");
        server.stop();
        if let Some(e) = run.failed {
            return Err(e);
        }
        dumped?;
        read_count(&dump, run.messages)
    }

    /// Runs `name`'s client against the neutral server under callgrind, counting only inside
    /// the client's connection task (`client_load::connection` and all it calls: the crate,
    /// the socket calls it makes, the harness's bookkeeping). Not the runtime's scheduler
    /// and event loop, which run outside it, nor the start-up of the process.
    fn count_client_instructions(
        &self,
        scenario: &Scenario,
        name: &str,
    ) -> Result<(f64, f64), String> {
        let (mut server, addr) = self.start_server("neutral")?;
        let out = target_dir()
            .join("bench")
            .join(format!("callgrind.client.{name}.{}", scenario.name));
        let _ = fs::remove_file(&out);
        let client_binary = target_dir().join("release").join("client-load");
        let mut args = vec![
            "--tool=callgrind".to_owned(),
            "--collect-atstart=no".to_owned(),
            "--toggle-collect=client_load::connection::*".to_owned(),
            format!("--callgrind-out-file={}", out.display()),
            client_binary.display().to_string(),
            name.to_owned(),
        ];
        args.extend(self.load_args(scenario, &addr, 0.0));
        let cmd = self.command_of("1", Path::new("valgrind"), &args);
        let run = self.measure_command("client-load under callgrind", cmd);
        server.stop();
        if let Some(e) = run.failed {
            return Err(e);
        }
        read_count(&out, run.messages)
    }

    /// Runs the criterion benches: once each as a test with `--quick`, otherwise measured,
    /// returning their results as Markdown.
    fn micro(&self) -> Result<String, String> {
        let packages = [
            "-p",
            "sockeye-codec",
            "-p",
            "sockeye-connection",
            "--features",
            "sockeye-connection/__fuzzing",
            "--benches",
        ];
        if self.settings.quick {
            let mut args = vec!["bench"];
            args.extend(packages);
            args.extend(["--", "--test"]);
            cargo(&args)?;
            return Ok("Not measured in a `--quick` run.\n".to_owned());
        }
        let criterion = target_dir().join("criterion");
        let _ = fs::remove_dir_all(&criterion);
        let mut args = vec!["bench"];
        args.extend(packages);
        args.extend([
            "--",
            "--warm-up-time",
            "1",
            "--measurement-time",
            "3",
            "--noplot",
        ]);
        cargo(&args)?;
        criterion_markdown(&criterion)
    }

    fn markdown(
        &self,
        server: &BTreeMap<&str, Results>,
        idle: Option<&IdleResults>,
        instructions: Option<&Counts>,
        client: &BTreeMap<&str, Results>,
        micro: &str,
    ) -> String {
        let s = &self.settings;
        let mut md = String::new();
        let _ = writeln!(md, "# Benchmarks\n");
        let _ = writeln!(
            md,
            "Written by `cargo xtask bench{}{}` on {}, from commit {}; do not edit by hand. The \
             machine is shared and noisy: read the ratios to sockeye (same run, same machine), \
             not the absolute figures alone.\n",
            if s.quick { " --quick" } else { "" },
            if !s.quick && s.rounds != DEFAULT_ROUNDS {
                format!(" --rounds {}", s.rounds)
            } else {
                String::new()
            },
            today(),
            commit()
        );
        let _ = writeln!(md, "## Machine\n\n{}\n", machine());
        let _ = writeln!(md, "## Method\n");
        let _ = writeln!(
            md,
            "- Server side: each crate's echo server (`benches/src/bin/echo-server/`, used the way \
             its documentation recommends for speed, no compression, 64 MiB message limit, one \
             current-thread tokio runtime) on core 0{pin}; the neutral load generator \
             (`benches/src/bin/load.rs`: its own framing on `sockeye-codec`, a fresh random mask \
             per frame, every echoed byte checked, each round trip timed into an HdrHistogram) \
             on {generator}.\n\
             - Each run: a fresh server process, {warmup} s of warm-up traffic, then {duration} s \
             measured. {rounds} rounds: within a round the servers take turns, each round \
             starting with the next one (A, B, C, then B, C, A, ...); each figure is the median \
             over the rounds.\n\
             - Client side: each crate's client (`benches/src/bin/client-load/`) drives the same \
             scenarios on core 1 against one fixed server, the neutral echo server \
             (`benches/src/neutral.rs`) on {neutral}.\n\
             - Idle memory: the server's resident set (VmRSS) just before and 1 s after the load \
             generator opened {idle} connections, each of which exchanged one 16-byte message; \
             the difference divided by the connections.\n\
             - Ratios are to sockeye: above 1.00x means faster than sockeye (or, for memory and \
             latency, more than sockeye's).\n\
             - sockeye faster: in how many rounds sockeye echoed more messages per second \
             than the crate, of the rounds both completed. The crates of one round run one \
             after the other, so this pairs figures measured close in time; a crate that \
             sockeye beats in about half the rounds is level with it at this machine's noise.\n\
             - CPU µs/msg: the CPU time the server (server side) or the client (client side) \
             used during the measured interval, user and system (kernel) time from \
             `/proc/PID/stat`, divided by the messages echoed in it. Both processes are busy in \
             most scenarios, so this shows where each crate spends its time, and how much of \
             it is the kernel's.\n\
             - Load generator busy, neutral server busy: the share of its core that the fixed \
             side of the measurement used in the measured interval (median over the rounds). \
             Over loopback it makes as many sends and receives as the crate under test, so \
             where the kernel's work dominates it can be the limit; the summaries name the \
             scenarios where it was {saturated:.0}% busy or more.\n\
             - Errors (wrong or missing echoes, failed connections) are counted and shown; a \
             crate that cannot run a scenario is shown as failed.\n",
            pin = if self.pinning { " (`taskset`)" } else { " (unpinned: no taskset or one core)" },
            warmup = s.warmup,
            duration = s.duration,
            rounds = s.rounds,
            idle = s.idle,
            saturated = SATURATED * 100.0,
            generator = self.layout.describe(&self.layout.generator),
            neutral = self.layout.describe(&self.layout.neutral),
        );
        let _ = writeln!(md, "Versions: {}\n", versions());
        if !server.is_empty() || idle.is_some() {
            let _ = writeln!(
                md,
                "## Summary: server side, messages per second relative to sockeye\n"
            );
            summary(&mut md, server, idle, "load generator");
        }
        if !client.is_empty() {
            let _ = writeln!(
                md,
                "## Summary: client side, messages per second relative to sockeye\n"
            );
            summary(&mut md, client, None, "neutral server");
        }
        if !server.is_empty() {
            let _ = writeln!(md, "## Server side\n");
            detail(&mut md, server, "load generator");
        }
        if let Some(idle) = idle {
            let _ = writeln!(md, "## Idle memory (server)\n");
            let _ = writeln!(md, "| crate | KiB per idle connection | vs sockeye | connections |\n|---|---:|---:|---:|");
            let base = idle_median(idle, "sockeye");
            for name in IMPLS {
                match idle_median(idle, name) {
                    Some((kib, n)) => {
                        let ratio = base.map_or(String::from("-"), |(b, _)| ratio(kib, b));
                        let _ = writeln!(md, "| {name} | {kib:.2} | {ratio} | {n} |");
                    }
                    None => {
                        let _ = writeln!(md, "| {name} | failed | - | - |");
                    }
                }
            }
            md.push('\n');
        }
        if let Some(counts) = instructions {
            instructions_markdown(&mut md, counts);
        }
        if !client.is_empty() {
            let _ = writeln!(md, "## Client side (against the neutral server)\n");
            detail(&mut md, client, "neutral server");
        }
        if !micro.is_empty() {
            let _ = writeln!(md, "## Micro-benchmarks (criterion)\n");
            let _ = writeln!(
                md,
                "`cargo bench -p sockeye-codec -p sockeye-connection --features \
                 sockeye-connection/__fuzzing -- --warm-up-time 1 --measurement-time 3`; throughput from criterion's median estimate.\n"
            );
            md.push_str(micro);
            md.push('\n');
        }
        let _ = writeln!(
            md,
            "## Reproduce\n\n```sh\ncargo xtask bench            # everything, about 35 minutes; writes BENCHMARKS.md\n\
             cargo xtask bench --only 1m  # one scenario (or idle, instructions, client, micro); writes target/bench/\n\
             cargo xtask bench --quick    # seconds per scenario, proves it works (part of cargo xtask ci)\n```\n\n\
             The programs' stderr goes to `target/bench/programs.log`."
        );
        md
    }
}

impl Run {
    /// Turns the fixed side's CPU time from a share of one core into a share of the
    /// `threads` cores it had.
    fn per_thread(&mut self, threads: usize) {
        self.fixed_busy = self.fixed_busy.map(|busy| busy / threads.max(1) as f64);
    }

    fn summary(&self) -> String {
        match &self.failed {
            Some(e) => format!("failed: {e}"),
            None => format!(
                "{:>11.0} msg/s {:>9.1} MiB/s  p50 {:>9.1} us  p99 {:>9.1} us  cpu {:>7} us/msg  errors {}",
                self.messages_per_s,
                self.mib_per_s,
                self.p50,
                self.p99,
                self.cpu_us
                    .map_or("-".to_owned(), |(u, s)| format!("{:.1}", u + s)),
                self.errors
            ),
        }
    }
}

fn parse_report(line: &str) -> Result<Run, String> {
    let value = json::parse(line).map_err(|e| format!("report `{line}`: {e}"))?;
    let seconds = number(&value, "seconds")?.max(1e-9);
    let messages = number(&value, "messages")?;
    // Absent when the load program could not read `/proc`.
    let cpu = |key| {
        number(&value, key)
            .ok()
            .map(|s| s * 1e6 / messages.max(1.0))
    };
    Ok(Run {
        messages,
        messages_per_s: messages / seconds,
        mib_per_s: number(&value, "bytes")? / seconds / (1 << 20) as f64,
        p50: number(&value, "p50_us")?,
        p99: number(&value, "p99_us")?,
        p999: number(&value, "p999_us")?,
        cpu_us: cpu("cpu_user_s").zip(cpu("cpu_system_s")),
        fixed_busy: number(&value, "fixed_cpu_s").ok().map(|s| s / seconds),
        errors: number(&value, "errors")?,
        failed: None,
    })
}

fn number(value: &Value, key: &str) -> Result<f64, String> {
    value
        .get(key)
        .and_then(Value::as_f64)
        .ok_or_else(|| format!("the report has no number `{key}`"))
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

/// The median of `field` over the runs of `name` that did not fail.
fn med(results: &Results, name: &str, field: impl Fn(&Run) -> f64) -> Option<f64> {
    med_opt(results, name, |run| Some(field(run)))
}

/// Like [`med`], for a field that some runs lack.
fn med_opt(results: &Results, name: &str, field: impl Fn(&Run) -> Option<f64>) -> Option<f64> {
    let runs = results.get(name)?;
    median(
        runs.iter()
            .filter(|r| r.failed.is_none())
            .filter_map(field)
            .collect(),
    )
}

fn idle_median(idle: &IdleResults, name: &str) -> Option<(f64, u64)> {
    let ok: Vec<(f64, u64)> = idle
        .get(name)?
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    let kib = median(ok.iter().map(|r| r.0).collect())?;
    Some((kib, ok.iter().map(|r| r.1).min().unwrap_or(0)))
}

fn ratio(value: f64, base: f64) -> String {
    if base > 0.0 {
        format!("{:.2}x", value / base)
    } else {
        "-".to_owned()
    }
}

/// From this share of its core on, the fixed side is said to have limited a scenario.
const SATURATED: f64 = 0.9;

/// The median share of its core that the fixed side used over all crates' runs of a
/// scenario.
fn fixed_busy(results: &Results) -> Option<f64> {
    median(
        results
            .values()
            .flatten()
            .filter(|r| r.failed.is_none())
            .filter_map(|r| r.fixed_busy)
            .collect(),
    )
}

fn summary(
    md: &mut String,
    results: &BTreeMap<&str, Results>,
    idle: Option<&IdleResults>,
    fixed: &str,
) {
    let _ = writeln!(md, "| scenario | sockeye | {} |", IMPLS[1..].join(" | "));
    let _ = writeln!(md, "|---|---:|{}", "---:|".repeat(IMPLS.len() - 1));
    for scenario in &SCENARIOS {
        let Some(r) = results.get(scenario.name) else {
            continue;
        };
        let base = med(r, "sockeye", |r| r.messages_per_s);
        let mut row = format!(
            "| {} | {} msg/s |",
            scenario.title,
            base.map_or("failed".to_owned(), |b| format!("{b:.0}"))
        );
        for name in &IMPLS[1..] {
            let cell = match (med(r, name, |r| r.messages_per_s), base) {
                (Some(v), Some(b)) => ratio(v, b),
                (Some(v), None) => format!("{v:.0} msg/s"),
                (None, _) => "failed".to_owned(),
            };
            let _ = write!(row, " {cell} |");
        }
        let _ = writeln!(md, "{row}");
    }
    if let Some(idle) = idle {
        let base = idle_median(idle, "sockeye").map(|r| r.0);
        let mut row = format!(
            "| idle memory per connection (lower is better) | {} KiB |",
            base.map_or("failed".to_owned(), |b| format!("{b:.2}"))
        );
        for name in &IMPLS[1..] {
            let cell = match (idle_median(idle, name), base) {
                (Some((v, _)), Some(b)) => format!("{v:.2} KiB ({})", ratio(v, b)),
                (Some((v, _)), None) => format!("{v:.2} KiB"),
                (None, _) => "failed".to_owned(),
            };
            let _ = write!(row, " {cell} |");
        }
        let _ = writeln!(md, "{row}");
    }
    md.push('\n');
    let saturated: Vec<String> = SCENARIOS
        .iter()
        .filter_map(|scenario| {
            let busy = fixed_busy(results.get(scenario.name)?)?;
            (busy >= SATURATED).then(|| format!("{} ({:.0}%)", scenario.title, busy * 100.0))
        })
        .collect();
    if !saturated.is_empty() {
        let _ = writeln!(
            md,
            "The {fixed} used {:.0}% of its core or more (median over all runs) in: {}. \
             There it can cap the fastest crates at its own rate, so crates within the \
             rounds' spread of each other are level; the tables below give its share for \
             each crate, and each crate's own CPU time per message.\n",
            SATURATED * 100.0,
            saturated.join("; ")
        );
    }
}

fn detail(md: &mut String, results: &BTreeMap<&str, Results>, fixed: &str) {
    for scenario in &SCENARIOS {
        let Some(r) = results.get(scenario.name) else {
            continue;
        };
        let _ = writeln!(md, "### {}\n", scenario.title);
        let _ = writeln!(md, "| crate | msg/s | vs sockeye | sockeye faster | MiB/s | p50 µs | p99 µs | p99.9 µs | CPU µs/msg (user + system) | {fixed} busy | errors | runs |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        let base = med(r, "sockeye", |r| r.messages_per_s);
        for name in IMPLS {
            let runs = r.get(name).map_or(&[][..], Vec::as_slice);
            let shown: Vec<String> = runs
                .iter()
                .map(|run| {
                    if run.failed.is_some() {
                        "failed".to_owned()
                    } else {
                        format!("{:.0}", run.messages_per_s)
                    }
                })
                .collect();
            match med(r, name, |r| r.messages_per_s) {
                Some(v) => {
                    let _ = writeln!(
                        md,
                        "| {name} | {v:.0} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {} | {:.0} | {} |",
                        base.map_or("-".to_owned(), |b| ratio(v, b)),
                        rounds_won(r, name),
                        med(r, name, |r| r.mib_per_s).unwrap_or(0.0),
                        med(r, name, |r| r.p50).unwrap_or(0.0),
                        med(r, name, |r| r.p99).unwrap_or(0.0),
                        med(r, name, |r| r.p999).unwrap_or(0.0),
                        cpu_cell(r, name),
                        med_opt(r, name, |r| r.fixed_busy)
                            .map_or("-".to_owned(), |b| format!("{:.0}%", b * 100.0)),
                        runs.iter().map(|r| r.errors).sum::<f64>(),
                        shown.join(", ")
                    );
                }
                None => {
                    let why = runs
                        .iter()
                        .find_map(|r| r.failed.clone())
                        .unwrap_or_default();
                    let _ = writeln!(
                        md,
                        "| {name} | failed | - | - | - | - | - | - | - | - | - | {} |",
                        why.replace('|', "/")
                    );
                }
            }
        }
        md.push('\n');
    }
}

/// The instructions per message in callgrind's output `dump` for `messages` messages, and
/// the share of them in `memset`/`memcpy`.
fn read_count(dump: &Path, messages: f64) -> Result<(f64, f64), String> {
    let text =
        fs::read_to_string(dump).map_err(|e| format!("cannot read {}: {e}", dump.display()))?;
    let total: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("summary:"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("{} has no summary line", dump.display()))?;
    if messages < 1.0 || total <= 0.0 {
        return Err("no message was echoed".to_owned());
    }
    // The functions' own counts, from `callgrind_annotate`'s per-function listing.
    let listing = output(
        "callgrind_annotate",
        &["--threshold=100", "--auto=no", &dump.display().to_string()],
    );
    let bulk: f64 = listing
        .lines()
        .filter(|l| {
            ["__memset", "__memcpy", "__memmove"]
                .iter()
                .any(|f| l.contains(f))
        })
        .filter_map(|l| {
            l.split_whitespace()
                .next()?
                .replace(',', "")
                .parse::<f64>()
                .ok()
        })
        .sum();
    Ok((total / messages, (bulk / total).min(1.0)))
}

/// The instructions section: a table of the counts, or why there are none.
fn instructions_markdown(md: &mut String, counts: &Counts) {
    let _ = writeln!(md, "## User-space instructions per message (callgrind)\n");
    let counts = match counts {
        Ok(counts) => counts,
        Err(e) => {
            let _ = writeln!(md, "{e}\n");
            return;
        }
    };
    let _ = writeln!(
        md,
        "Server side: each crate's echo server under `valgrind --tool=callgrind`, counting \
         from just before the load generator starts (no warm-up) to its end: every \
         instruction the server process ran in user space (the crate, tokio, the allocator, \
         libc; not the kernel's work), divided by the messages echoed. Client side: each \
         crate's client against the neutral server, counting only inside its connection \
         task (`client_load::connection` and everything it calls: the crate, its socket \
         calls, the harness's bookkeeping, which is the same for every crate; not tokio's \
         scheduler and event loop, which run outside the task, nor the process's start), \
         divided by the messages echoed. One run each: unlike time on this machine, the \
         count barely moves between runs. Ratios are to sockeye; below 1.00x means fewer \
         instructions than sockeye's. Valgrind counts each byte that a `rep stosb` or `rep \
         movsb` moves (glibc's `memset` and `memcpy` above about 2 KiB) as one instruction, so \
         a crate that clears or copies a large buffer per message shows far more than that \
         work costs in time: where those two functions make up more than a tenth of a \
         count, the cell says how much. Only small messages are counted, for that reason.\n"
    );
    let _ = writeln!(md, "| scenario | {} |", IMPLS.join(" | "));
    let _ = writeln!(md, "|---|{}", "---:|".repeat(IMPLS.len()));
    let rows = [Side::Server, Side::Client].into_iter().flat_map(|side| {
        SCENARIOS
            .iter()
            .filter(|s| COUNTED.contains(&s.name))
            .map(move |s| (side, s))
    });
    for (side, scenario) in rows {
        let Some(by_impl) = counts.get(&(side, scenario.name)) else {
            continue;
        };
        let base = by_impl
            .get("sockeye")
            .and_then(|r| r.as_ref().ok())
            .map(|(n, _)| *n);
        let cells: Vec<String> = IMPLS
            .iter()
            .map(|name| {
                let Some(Ok((n, share))) = by_impl.get(name) else {
                    return "failed".to_owned();
                };
                let mut notes = Vec::new();
                if *name != "sockeye" {
                    notes.push(base.map_or("-".to_owned(), |b| ratio(*n, b)));
                }
                if *share > 0.1 {
                    notes.push(format!("{:.0}% memset/memcpy", share * 100.0));
                }
                if notes.is_empty() {
                    format!("{n:.0}")
                } else {
                    format!("{n:.0} ({})", notes.join("; "))
                }
            })
            .collect();
        let _ = writeln!(
            md,
            "| {}: {} | {} |",
            side.name(),
            scenario.title,
            cells.join(" | ")
        );
    }
    md.push('\n');
}

/// In how many rounds sockeye echoed more messages per second than `name`, as "k of n" over
/// the rounds both completed (round `i` is the `i`th run of each crate); "-" for sockeye
/// itself or when no round has both.
fn rounds_won(results: &Results, name: &str) -> String {
    let (Some(ours), Some(theirs)) = (results.get("sockeye"), results.get(name)) else {
        return "-".to_owned();
    };
    if name == "sockeye" {
        // Against itself every round is a tie.
        return "-".to_owned();
    }
    let both: Vec<(f64, f64)> = ours
        .iter()
        .zip(theirs)
        .filter(|(a, b)| a.failed.is_none() && b.failed.is_none())
        .map(|(a, b)| (a.messages_per_s, b.messages_per_s))
        .collect();
    if both.is_empty() {
        return "-".to_owned();
    }
    let won = both.iter().filter(|(a, b)| a > b).count();
    format!("{won} of {}", both.len())
}

/// The medians of user and system CPU time per message over `name`'s runs that report
/// them, as "total (user + system)" where the total is the sum of the two medians; "-"
/// when no run reports them.
fn cpu_cell(results: &Results, name: &str) -> String {
    match (
        med_opt(results, name, |r| r.cpu_us.map(|c| c.0)),
        med_opt(results, name, |r| r.cpu_us.map(|c| c.1)),
    ) {
        (Some(u), Some(s)) => format!("{:.1} ({u:.1} + {s:.1})", u + s),
        _ => "-".to_owned(),
    }
}

/// The resident set of a process, in KiB.
fn rss_kib(pid: u32) -> Result<u64, String> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("cannot read /proc/{pid}/status: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no VmRSS in /proc/{pid}/status"))
}

fn fd_hard_limit() -> usize {
    Command::new("sh")
        .args(["-c", "ulimit -Hn"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| {
            if s.trim() == "unlimited" {
                Some(1 << 20)
            } else {
                s.trim().parse().ok()
            }
        })
        .unwrap_or(1024)
}

fn output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

fn today() -> String {
    output("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
}

/// The commit the measured code is from, marked when the crates or benchmarks had
/// uncommitted changes.
fn commit() -> String {
    let root = root().display().to_string();
    let hash = output("git", &["-C", &root, "rev-parse", "--short", "HEAD"]);
    if hash.is_empty() {
        return "unknown (no git)".to_owned();
    }
    let changes = [
        "status",
        "--porcelain",
        "--",
        "crates",
        "benches",
        "Cargo.lock",
    ];
    if output("git", &[&["-C", root.as_str()][..], &changes[..]].concat()).is_empty() {
        format!("`{hash}`")
    } else {
        format!("`{hash}` with uncommitted changes")
    }
}

fn machine() -> String {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let cores = thread::available_parallelism().map_or(0, usize::from);
    let memory = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines().next().map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<u64>()
                    .unwrap_or(0)
            })
        })
        .map_or("unknown".to_owned(), |kib| {
            format!("{:.0} GiB", kib as f64 / (1 << 20) as f64)
        });
    format!(
        "- CPU: {cpu}, {cores} cores available\n- Memory: {memory}\n- Kernel: {}\n- Rust: {}",
        output("uname", &["-sr"]),
        output("rustc", &["-V"])
    )
}

/// The compared crates' versions, from `Cargo.lock`.
fn versions() -> String {
    let lock = fs::read_to_string(root().join("Cargo.lock")).unwrap_or_default();
    let mut found = Vec::new();
    for name in [
        "tokio-tungstenite",
        "fastwebsockets",
        "tokio-websockets",
        "soketto",
        "sockudo-ws",
        "tokio",
    ] {
        let needle = format!("name = \"{name}\"\nversion = \"");
        if let Some(at) = lock.find(&needle) {
            let rest = &lock[at + needle.len()..];
            let version = rest.split('"').next().unwrap_or("?");
            found.push(format!("{name} {version}"));
        }
    }
    found.join(", ")
}

/// Criterion's results under `dir` as Markdown: one table per group, a row per input, a
/// column per function, throughput (or time where there is none).
fn criterion_markdown(dir: &Path) -> Result<String, String> {
    let mut groups: BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>> = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        let Ok(entries) = fs::read_dir(&path) else {
            continue;
        };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n == "new") {
                    if let Some((group, function, input, cell)) = criterion_result(&p) {
                        groups
                            .entry(group)
                            .or_default()
                            .entry(input)
                            .or_default()
                            .insert(function, cell);
                    }
                } else if p
                    .file_name()
                    .is_none_or(|n| n != "base" && n != "change" && n != "report")
                {
                    stack.push(p);
                }
            }
        }
    }
    if groups.is_empty() {
        return Err(format!("no criterion results under {}", dir.display()));
    }
    let mut md = String::new();
    for (group, inputs) in &groups {
        let mut functions: Vec<&String> = inputs.values().flat_map(BTreeMap::keys).collect();
        functions.sort();
        functions.dedup();
        let _ = writeln!(md, "### {group}\n");
        let _ = writeln!(
            md,
            "| input | {} |",
            functions
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(" | ")
        );
        let _ = writeln!(md, "|---|{}", "---:|".repeat(functions.len()));
        let mut rows: Vec<(&String, &BTreeMap<String, String>)> = inputs.iter().collect();
        rows.sort_by_key(|(input, _)| (input.parse::<u64>().unwrap_or(u64::MAX), (*input).clone()));
        for (input, cells) in rows {
            let cells: Vec<&str> = functions
                .iter()
                .map(|f| cells.get(*f).map_or("-", String::as_str))
                .collect();
            let _ = writeln!(md, "| {input} | {} |", cells.join(" | "));
        }
        md.push('\n');
    }
    Ok(md)
}

fn criterion_result(new: &Path) -> Option<(String, String, String, String)> {
    let benchmark = json::parse(&fs::read_to_string(new.join("benchmark.json")).ok()?).ok()?;
    let estimates = json::parse(&fs::read_to_string(new.join("estimates.json")).ok()?).ok()?;
    let group = benchmark.get("group_id")?.as_str()?.to_owned();
    let function = benchmark
        .get("function_id")
        .and_then(Value::as_str)
        .unwrap_or(&group)
        .to_owned();
    let input = benchmark
        .get("value_str")
        .and_then(Value::as_str)
        .unwrap_or("-")
        .to_owned();
    let nanos = estimates.get("median")?.get("point_estimate")?.as_f64()?;
    let bytes = benchmark
        .get("throughput")
        .and_then(|t| t.get("Bytes"))
        .and_then(Value::as_f64);
    let cell = match bytes {
        Some(bytes) if nanos > 0.0 => {
            format!("{:.2} GiB/s", bytes / nanos * 1e9 / (1u64 << 30) as f64)
        }
        _ => format!("{nanos:.1} ns"),
    };
    Some((group, function, input, cell))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "{\"connections\":4,\"messages\":1000,\"bytes\":16000,\"seconds\":2.0000,\"errors\":0,\"p50_us\":10.00,\"p99_us\":20.00,\"p999_us\":30.00";

    #[test]
    fn cpu_time_is_turned_into_microseconds_per_message() {
        let run = parse_report(&format!(
            "{REPORT},\"cpu_user_s\":0.01,\"cpu_system_s\":0.03}}"
        ))
        .expect("a valid report");
        assert_eq!(run.messages_per_s, 500.0);
        let (user, system) = run.cpu_us.expect("cpu times were reported");
        assert!((user - 10.0).abs() < 1e-9 && (system - 30.0).abs() < 1e-9);
        assert_eq!(
            parse_report(&format!("{REPORT}}}")).expect("valid").cpu_us,
            None
        );
    }

    #[test]
    fn the_fixed_side_gets_every_core_the_crate_under_test_does_not() {
        for cores in [1, 2] {
            let layout = Layout::new(cores);
            assert_eq!(layout.threads, 1);
            assert_eq!(layout.describe(&layout.generator), "core 1");
            assert_eq!(layout.describe(&layout.neutral), "core 0");
        }
        let three = Layout::new(3);
        assert_eq!(
            (
                three.threads,
                three.generator.as_str(),
                three.neutral.as_str()
            ),
            (2, "1-2", "0,2")
        );
        let eight = Layout::new(8);
        assert_eq!(
            (
                eight.threads,
                eight.generator.as_str(),
                eight.neutral.as_str()
            ),
            (7, "1-7", "0,2-7")
        );
        assert_eq!(eight.describe(&eight.generator), "cores 1-7 (7 threads)");

        let mut run = Run {
            fixed_busy: Some(3.5),
            ..Run::default()
        };
        run.per_thread(7);
        assert_eq!(run.fixed_busy, Some(0.5));
    }

    #[test]
    fn the_fixed_side_share_is_of_the_measured_interval_and_named_when_saturated() {
        let run = parse_report(&format!("{REPORT},\"fixed_cpu_s\":1.5}}")).expect("valid");
        let busy = run.fixed_busy.expect("the fixed side's CPU was reported");
        // 1.5 s of CPU in the 2 s measured.
        assert!((busy - 0.75).abs() < 1e-9);
        assert_eq!(
            parse_report(&format!("{REPORT}}}"))
                .expect("valid")
                .fixed_busy,
            None
        );

        let run = |busy, failed: bool| Run {
            fixed_busy: Some(busy),
            failed: failed.then(|| "crashed".to_owned()),
            ..Run::default()
        };
        let mut scenario: Results = BTreeMap::new();
        scenario.insert("sockeye", vec![run(0.95, false), run(0.2, true)]);
        scenario.insert("soketto", vec![run(0.99, false), run(0.5, false)]);
        // The failed run does not count: the median of 0.95, 0.99 and 0.5.
        assert_eq!(fixed_busy(&scenario), Some(0.95));
        let mut results = BTreeMap::new();
        results.insert(SCENARIOS[0].name, scenario);
        let mut md = String::new();
        summary(&mut md, &results, None, "load generator");
        assert!(
            md.contains(&format!("in: {} (95%).", SCENARIOS[0].title)),
            "{md}"
        );
        results
            .get_mut(SCENARIOS[0].name)
            .expect("inserted")
            .insert("tokio-websockets", vec![run(0.1, false), run(0.1, false)]);
        let mut md = String::new();
        summary(&mut md, &results, None, "load generator");
        // The median is now 0.5.
        assert!(!md.contains("of its core"), "{md}");
    }

    #[test]
    fn rounds_won_pairs_the_rounds_both_crates_completed() {
        let run = |rate: f64, failed: bool| Run {
            messages_per_s: rate,
            failed: failed.then(|| "crashed".to_owned()),
            ..Run::default()
        };
        let mut results: Results = BTreeMap::new();
        results.insert(
            "sockeye",
            vec![
                run(10.0, false),
                run(10.0, false),
                run(10.0, true),
                run(10.0, false),
            ],
        );
        // Round 1: sockeye faster; round 2: a tie is not a win; round 3: sockeye failed;
        // round 4: the peer failed.
        results.insert(
            "soketto",
            vec![
                run(9.0, false),
                run(10.0, false),
                run(1.0, false),
                run(1.0, true),
            ],
        );
        assert_eq!(rounds_won(&results, "soketto"), "1 of 2");
        assert_eq!(rounds_won(&results, "sockeye"), "-");
        assert_eq!(rounds_won(&results, "fastwebsockets"), "-");
    }

    #[test]
    fn the_cpu_cell_takes_medians_over_the_runs_that_report_cpu() {
        let run = |cpu| Run {
            cpu_us: cpu,
            ..Run::default()
        };
        let mut results: Results = BTreeMap::new();
        results.insert(
            "sockeye",
            vec![
                run(Some((1.0, 10.0))),
                run(None),
                run(Some((3.0, 30.0))),
                run(Some((2.0, 20.0))),
            ],
        );
        results.insert("soketto", vec![run(None)]);
        assert_eq!(cpu_cell(&results, "sockeye"), "22.0 (2.0 + 20.0)");
        assert_eq!(cpu_cell(&results, "soketto"), "-");
        assert_eq!(cpu_cell(&results, "fastwebsockets"), "-");
    }
}
