//! `cargo xtask autobahn [--server|--client] [--cases 1.*,2.*] [--full]
//! [--allow-unimplemented-deflate]`: runs the Autobahn|Testsuite (`wstest`) against the
//! `echo_server` / `echo_client` examples of `sockeye-examples` and judges the reports
//! strictly. `autobahn/README.md` explains the setup and what wstest expects of a testee.
//!
//! - `--server`: wstest's fuzzingclient tests `echo_server` (reports in `target/autobahn/server`).
//! - `--client`: `echo_client` is tested by wstest's fuzzingserver (`target/autobahn/client`).
//! - neither: both directions.
//!
//! A case passes iff both `behavior` and `behaviorClose` are `OK` or `INFORMATIONAL`
//! (`UNIMPLEMENTED` too for 12.* and 13.* with `--allow-unimplemented-deflate`). A selected
//! case missing from `index.json` is a failure, and so are a missing report, a testee that
//! dies or hangs, and a wstest that does. Output ends with `autobahn: N passed, N failed`.

use std::{
    env, fs,
    io::{BufRead, BufReader, Write as _},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    thread,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use crate::{
    json::{self, Value},
    process::{free_port, target_dir, wait_for_port, Guard},
    util::{cargo, has_program, root, run as run_loudly},
};

/// The case selection without `--cases`/`--full` (what `cargo xtask ci` runs). wstest
/// 25.10.1 has no group 8 or 11. Of 12.* and 13.* (permessage-deflate, CPU-heavy for wstest)
/// the default runs the first two cases of every subgroup, by exact id (wstest matches a
/// pattern as a prefix, so `12.*.1` would also select 12.x.10-18): every offer and parameter
/// combination with the smaller messages. `--full` runs all of them.
pub(crate) const DEFAULT_CASES: &[&str] = &[
    "1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "9.*", "10.*", "12.1.1", "12.1.2", "12.2.1",
    "12.2.2", "12.3.1", "12.3.2", "12.4.1", "12.4.2", "12.5.1", "12.5.2", "13.1.1", "13.1.2",
    "13.2.1", "13.2.2", "13.3.1", "13.3.2", "13.4.1", "13.4.2", "13.5.1", "13.5.2", "13.6.1",
    "13.6.2", "13.7.1", "13.7.2",
];

/// The agent name our testees report under.
const AGENT: &str = "sockeye";
/// Where `.ci/install-autobahn.sh` puts the suite unless `SOCKEYE_AUTOBAHN_DIR` says otherwise.
const DEFAULT_DIR: &str = "/opt/autobahn";
/// The longest a whole direction may take: wstest's fuzzingclient run, or the client testee.
const RUN_TIMEOUT: Duration = Duration::from_secs(60 * 60);
/// The longest we wait for a server (the testee or wstest) to accept connections.
/// Cases where `UNIMPLEMENTED` may pass: the permessage-deflate groups.
const DEFLATE_GROUPS: &[u32] = &[12, 13];

const USAGE: &str = "usage: cargo xtask autobahn [--server|--client] [--cases 1.*,2.*|--full] \
[--allow-unimplemented-deflate] [--server-bin PATH] [--client-bin PATH]";

/// The parsed command line.
#[derive(Debug, Default)]
struct Options {
    server: bool,
    client: bool,
    cases: Option<Vec<String>>,
    full: bool,
    allow_unimplemented_deflate: bool,
    /// Use this executable as the server testee instead of building `echo_server`.
    server_bin: Option<PathBuf>,
    /// Use this executable as the client testee instead of building `echo_client`.
    client_bin: Option<PathBuf>,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut opts = Options::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_owned())),
            _ => (arg.as_str(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| format!("`{name}` needs a value\n{USAGE}"))
        };
        match flag {
            "--server" => opts.server = true,
            "--client" => opts.client = true,
            "--full" => opts.full = true,
            "--allow-unimplemented-deflate" => opts.allow_unimplemented_deflate = true,
            "--cases" => {
                let list: Vec<String> = value(flag)?
                    .split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect();
                if list.is_empty() {
                    return Err("`--cases` needs at least one case pattern".to_owned());
                }
                opts.cases = Some(list);
            }
            "--server-bin" => opts.server_bin = Some(PathBuf::from(value(flag)?)),
            "--client-bin" => opts.client_bin = Some(PathBuf::from(value(flag)?)),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            _ => return Err(format!("unknown argument `{arg}`\n{USAGE}")),
        }
    }
    if opts.full && opts.cases.is_some() {
        return Err("`--full` and `--cases` exclude each other".to_owned());
    }
    if !opts.server && !opts.client {
        opts.server = true;
        opts.client = true;
    }
    Ok(opts)
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let opts = parse_args(args)?;
    let patterns: Vec<String> = if opts.full {
        vec!["*".to_owned()]
    } else {
        opts.cases
            .clone()
            .unwrap_or_else(|| DEFAULT_CASES.iter().map(|&c| c.to_owned()).collect())
    };

    let suite = Suite::install()?;
    let version = suite.version()?;
    let cases = suite.expand_cases(&patterns)?;
    eprintln!(
        "autobahn: {version}; cases {} = {} cases",
        patterns.join(","),
        cases.len()
    );

    // Build every testee first, so that a build failure stops us before anything runs.
    let server_bin = if opts.server {
        Some(testee("echo_server", opts.server_bin.as_deref())?)
    } else {
        None
    };
    let client_bin = if opts.client {
        Some(testee("echo_client", opts.client_bin.as_deref())?)
    } else {
        None
    };

    let reports = target_dir().join("autobahn");
    let mut outcomes = Vec::new();
    if let Some(bin) = &server_bin {
        let outdir = fresh_dir(&reports.join("server"))?;
        let problems = run_server(&suite, &cases, bin, &outdir)?;
        outcomes.push(judge(
            Direction::Server,
            &outdir,
            &cases,
            opts.allow_unimplemented_deflate,
            problems,
        ));
    }
    if let Some(bin) = &client_bin {
        let outdir = fresh_dir(&reports.join("client"))?;
        let problems = run_client(&suite, &cases, bin, &outdir)?;
        outcomes.push(judge(
            Direction::Client,
            &outdir,
            &cases,
            opts.allow_unimplemented_deflate,
            problems,
        ));
    }

    for outcome in &outcomes {
        print!("{}", outcome.table());
        if opts.full {
            let path = root()
                .join("autobahn")
                .join(format!("summary-{}.md", outcome.direction.name()));
            let markdown = outcome.markdown(&version, &patterns, opts.allow_unimplemented_deflate);
            fs::write(&path, markdown)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            eprintln!("autobahn: wrote {}", path.display());
        }
    }
    let passed: usize = outcomes.iter().map(|o| o.passed()).sum();
    let failed: usize = outcomes.iter().map(|o| o.failed()).sum();
    let problems: usize = outcomes.iter().map(|o| o.problems.len()).sum();
    println!("autobahn: {passed} passed, {failed} failed");
    if failed > 0 || problems > 0 {
        Err(format!(
            "autobahn failed: {failed} failing cases, {problems} other problems (see above)"
        ))
    } else {
        Ok(())
    }
}

// ----- the suite ------------------------------------------------------------------------

/// The installed wstest: a python2.7 virtualenv plus the loopback-only wrapper.
struct Suite {
    python: PathBuf,
    wrapper: PathBuf,
}

impl Suite {
    /// Runs `.ci/install-autobahn.sh` (a quick no-op when the suite is installed).
    fn install() -> Result<Self, String> {
        let dir = env::var_os("SOCKEYE_AUTOBAHN_DIR")
            .map_or_else(|| PathBuf::from(DEFAULT_DIR), PathBuf::from);
        let mut cmd = Command::new("bash");
        cmd.arg(root().join(".ci/install-autobahn.sh"))
            .env("SOCKEYE_AUTOBAHN_DIR", &dir);
        run_loudly(cmd).map_err(|e| format!("installing the Autobahn testsuite failed: {e}"))?;
        let suite = Self {
            python: dir.join("venv/bin/python"),
            wrapper: dir.join("wstest-loopback.py"),
        };
        let python = suite.python.to_string_lossy();
        if !suite.wrapper.is_file() || !has_program(&python, &["-c", "import autobahntestsuite"]) {
            return Err(format!(
                "wstest is not usable in {} after installing it",
                dir.display()
            ));
        }
        Ok(suite)
    }

    fn python(&self) -> Command {
        let mut cmd = Command::new(&self.python);
        // Python 2 deprecation warnings from cryptography would clutter every run.
        cmd.env("PYTHONWARNINGS", "ignore")
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null());
        cmd
    }

    fn output(&self, args: &[&str]) -> Result<String, String> {
        let out = self
            .python()
            .args(args)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.python.display()))?;
        if !out.status.success() {
            return Err(format!(
                "`{} {}` failed with {}: {}",
                self.python.display(),
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// `AutobahnTestSuite 25.10.1 (Autobahn 0.10.9)`.
    fn version(&self) -> Result<String, String> {
        let wrapper = self.wrapper.to_string_lossy();
        let out = self.output(&[&wrapper, "--autobahnversion"])?;
        let find = |prefix: &str| {
            out.lines()
                .find_map(|l| l.strip_prefix(prefix))
                .map(str::trim)
                .unwrap_or("?")
                .to_owned()
        };
        Ok(format!(
            "wstest AutobahnTestSuite {} (Autobahn {})",
            find("AutobahnTestSuite "),
            find("Autobahn ")
        ))
    }

    /// Expands case patterns exactly as wstest does (its own `CaseSet.parseSpecCases`), so that
    /// a case missing from a report is noticed and a bad `--cases` is refused up front.
    fn expand_cases(&self, patterns: &[String]) -> Result<Vec<String>, String> {
        const SCRIPT: &str = r#"
import json, sys
from autobahntestsuite.case import Cases, CaseCategories, CaseSubCategories, CaseSetname, CaseBasename
from autobahntestsuite.caseset import CaseSet
cs = CaseSet(CaseSetname, CaseBasename, Cases, CaseCategories, CaseSubCategories)
out = {}
for pattern in json.loads(sys.argv[1]):
    try:
        ids = cs.parseSpecCases({"cases": [pattern]})
        out[pattern] = {"cases": ids, "unknown": [i for i in ids if i not in cs.CasesIndices]}
    except Exception as e:
        out[pattern] = {"error": "%s: %s" % (type(e).__name__, e)}
print(json.dumps(out))
"#;
        let list = Value::Array(patterns.iter().map(|p| Value::str(p)).collect()).to_string();
        let out = self.output(&["-c", SCRIPT, &list])?;
        let parsed =
            json::parse(out.trim()).map_err(|e| format!("cannot read wstest's case list: {e}"))?;
        let mut cases: Vec<String> = Vec::new();
        for pattern in patterns {
            let entry = parsed
                .get(pattern)
                .ok_or_else(|| format!("wstest said nothing about case pattern `{pattern}`"))?;
            if let Some(error) = entry.get("error").and_then(Value::as_str) {
                return Err(format!("invalid case pattern `{pattern}`: {error}"));
            }
            if let Some(Value::Array(unknown)) = entry.get("unknown") {
                if !unknown.is_empty() {
                    return Err(format!("case pattern `{pattern}` names no wstest case"));
                }
            }
            let Some(Value::Array(ids)) = entry.get("cases") else {
                return Err(format!("wstest gave no case list for `{pattern}`"));
            };
            if ids.is_empty() {
                eprintln!("autobahn: warning: case pattern `{pattern}` matches no wstest case");
            }
            cases.extend(ids.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        cases.sort_by_key(|id| case_key(id));
        cases.dedup();
        if cases.is_empty() {
            return Err(format!(
                "the case selection `{}` matches no wstest case",
                patterns.join(",")
            ));
        }
        Ok(cases)
    }

    /// Starts `wstest -m MODE -s SPEC [extra]` in `dir`, logging its output to `dir/wstest.log`
    /// and echoing it to stderr.
    fn spawn_wstest(
        &self,
        mode: &str,
        spec: &Path,
        dir: &Path,
        extra: &[&str],
    ) -> Result<Guard, String> {
        let mut cmd = self.python();
        cmd.arg(&self.wrapper)
            .args(["-m", mode, "-s"])
            .arg(spec)
            .args(extra)
            .current_dir(dir);
        cmd.stdout(Stdio::piped());
        let mut guard = Guard::spawn("wstest", cmd)?;
        let log_path = dir.join("wstest.log");
        let mut log = fs::File::create(&log_path)
            .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
        if let Some(stdout) = guard.child.as_mut().and_then(|c| c.stdout.take()) {
            guard.tee = Some(thread::spawn(move || {
                let mut reader = BufReader::new(stdout);
                let mut line = Vec::new();
                while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
                    let _ = log.write_all(&line);
                    let text = String::from_utf8_lossy(&line);
                    let text = text.trim_end();
                    if !text.is_empty() {
                        eprintln!("wstest| {text}");
                    }
                    line.clear();
                }
            }));
        }
        Ok(guard)
    }
}

// ----- the two directions -------------------------------------------------------------------

/// Builds the example `name` of `sockeye-examples` (unless `given` names a stand-in).
fn testee(name: &str, given: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(path) = given {
        if !path.is_file() {
            return Err(format!(
                "the {name} stand-in {} does not exist",
                path.display()
            ));
        }
        eprintln!("autobahn: using {} as {name}", path.display());
        return Ok(path.to_path_buf());
    }
    cargo(&["build", "--release", "-p", "sockeye-examples", "--example", name]).map_err(|e| {
        format!("cannot build the Autobahn testee `{name}` (example `{name}` of package `sockeye-examples`): {e}")
    })?;
    let path = target_dir().join("release/examples").join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "`cargo build` succeeded but {} does not exist",
            path.display()
        ))
    }
}

fn fresh_dir(dir: &Path) -> Result<PathBuf, String> {
    if dir.exists() {
        fs::remove_dir_all(dir)
            .map_err(|e| format!("cannot remove old reports in {}: {e}", dir.display()))?;
    }
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir.to_path_buf())
}

fn path_str(path: &Path) -> Result<&str, String> {
    path.to_str()
        .ok_or_else(|| format!("path {} is not UTF-8", path.display()))
}

fn write_spec(outdir: &Path, spec: &Value) -> Result<PathBuf, String> {
    let path = outdir.join("spec.json");
    fs::write(&path, format!("{spec}\n"))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

fn case_values(cases: &[String]) -> Value {
    Value::Array(cases.iter().map(|c| Value::str(c)).collect())
}

/// wstest's fuzzingclient against the server testee. Returns the problems seen besides the
/// case results (those are read from the report afterwards).
fn run_server(
    suite: &Suite,
    cases: &[String],
    bin: &Path,
    outdir: &Path,
) -> Result<Vec<String>, String> {
    eprintln!(
        "autobahn: --- server: wstest fuzzingclient -> {} ---",
        bin.display()
    );
    let mut problems = Vec::new();
    let port = free_port()?;
    let mut cmd = Command::new(bin);
    cmd.arg("--addr")
        .arg(format!("127.0.0.1:{port}"))
        .current_dir(root())
        .stdin(Stdio::null());
    let mut server = Guard::spawn("echo_server", cmd)?;
    if let Err(e) = wait_for_port(port, &mut server) {
        problems.push(e);
        return Ok(problems);
    }
    let spec = Value::object([
        ("outdir", Value::str(path_str(outdir)?)),
        (
            "servers",
            Value::Array(vec![Value::object([
                ("agent", Value::str(AGENT)),
                ("url", Value::String(format!("ws://127.0.0.1:{port}"))),
            ])]),
        ),
        ("cases", case_values(cases)),
        ("exclude-cases", Value::Array(vec![])),
        ("exclude-agent-cases", Value::Object(vec![])),
    ]);
    let spec_path = write_spec(outdir, &spec)?;
    let started = Instant::now();
    let mut wstest = suite.spawn_wstest("fuzzingclient", &spec_path, outdir, &[])?;
    match wstest.wait_timeout(RUN_TIMEOUT) {
        None => problems.push(format!(
            "wstest fuzzingclient did not finish within {RUN_TIMEOUT:?}; killed it"
        )),
        Some(status) if !status.success() => {
            problems.push(format!("wstest fuzzingclient exited with {status}"))
        }
        Some(_) => {}
    }
    if let Some(status) = server.try_wait() {
        problems.push(format!("echo_server exited with {status} during the run"));
    }
    wstest.stop();
    server.stop();
    eprintln!(
        "autobahn: server direction took {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(problems)
}

/// The client testee against wstest's fuzzingserver.
fn run_client(
    suite: &Suite,
    cases: &[String],
    bin: &Path,
    outdir: &Path,
) -> Result<Vec<String>, String> {
    eprintln!(
        "autobahn: --- client: {} -> wstest fuzzingserver ---",
        bin.display()
    );
    let mut problems = Vec::new();
    let port = free_port()?;
    let url = format!("ws://127.0.0.1:{port}");
    let spec = Value::object([
        ("url", Value::str(&url)),
        ("outdir", Value::str(path_str(outdir)?)),
        ("cases", case_values(cases)),
        ("exclude-cases", Value::Array(vec![])),
        ("exclude-agent-cases", Value::Object(vec![])),
    ]);
    let spec_path = write_spec(outdir, &spec)?;
    // `--webport 0`: no embedded report web server (it would listen on 8080).
    let mut wstest =
        suite.spawn_wstest("fuzzingserver", &spec_path, outdir, &["--webport", "0"])?;
    if let Err(e) = wait_for_port(port, &mut wstest) {
        problems.push(e);
        return Ok(problems);
    }
    let started = Instant::now();
    let mut cmd = Command::new(bin);
    cmd.args(["--url", &url, "--agent", AGENT])
        .current_dir(root())
        .stdin(Stdio::null());
    let mut client = Guard::spawn("echo_client", cmd)?;
    match client.wait_timeout(RUN_TIMEOUT) {
        None => problems.push(format!(
            "echo_client did not finish within {RUN_TIMEOUT:?}; killed it"
        )),
        Some(status) if !status.success() => {
            problems.push(format!("echo_client exited with {status}"))
        }
        Some(_) => {}
    }
    client.stop();
    if let Some(status) = wstest.try_wait() {
        problems.push(format!(
            "wstest fuzzingserver exited with {status} during the run"
        ));
    }
    wstest.stop();
    eprintln!(
        "autobahn: client direction took {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(problems)
}

// ----- judging ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Server,
    Client,
}

impl Direction {
    fn name(self) -> &'static str {
        match self {
            Self::Server => "server",
            Self::Client => "client",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Server => "server: wstest fuzzingclient against echo_server",
            Self::Client => "client: echo_client against wstest fuzzingserver",
        }
    }
}

/// How one case ended up, most to least favourable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Ok,
    Informational,
    Unimplemented,
    Failed,
}

/// One selected case: what the report says about it (`None`: not in the report).
#[derive(Debug)]
struct CaseResult {
    id: String,
    behaviors: Option<(String, String)>,
    class: Class,
}

/// The first number of a case id: its group.
fn group_of(id: &str) -> u32 {
    id.split('.')
        .next()
        .and_then(|g| g.parse().ok())
        .unwrap_or(0)
}

/// Sorts case ids numerically, as wstest does (`9.1.1` before `10.1.1`).
fn case_key(id: &str) -> Vec<u32> {
    id.split('.')
        .map(|p| p.parse().unwrap_or(u32::MAX))
        .collect()
}

/// Judges one case strictly, see the module docs.
fn classify(
    id: &str,
    behavior: &str,
    behavior_close: &str,
    allow_unimplemented_deflate: bool,
) -> Class {
    let unimplemented_ok = allow_unimplemented_deflate && DEFLATE_GROUPS.contains(&group_of(id));
    let passes =
        |b: &str| b == "OK" || b == "INFORMATIONAL" || (unimplemented_ok && b == "UNIMPLEMENTED");
    let both = [behavior, behavior_close];
    if !both.iter().all(|b| passes(b)) {
        Class::Failed
    } else if both.contains(&"UNIMPLEMENTED") {
        Class::Unimplemented
    } else if both.contains(&"INFORMATIONAL") {
        Class::Informational
    } else {
        Class::Ok
    }
}

/// The judged results of one direction.
#[derive(Debug)]
struct Outcome {
    direction: Direction,
    results: Vec<CaseResult>,
    /// Failures that are not a case's: no report, a testee that died, a timeout...
    problems: Vec<String>,
}

/// Reads `outdir/index.json` and judges every selected case.
fn judge(
    direction: Direction,
    outdir: &Path,
    cases: &[String],
    allow: bool,
    mut problems: Vec<String>,
) -> Outcome {
    let index_path = outdir.join("index.json");
    let agent_results = match fs::read_to_string(&index_path) {
        Err(e) => {
            problems.push(format!(
                "no report: cannot read {}: {e}",
                index_path.display()
            ));
            None
        }
        Ok(text) => match json::parse(&text) {
            Err(e) => {
                problems.push(format!("{}: {e}", index_path.display()));
                None
            }
            Ok(index) => {
                let agent = index.get(AGENT).cloned();
                if agent.is_none() {
                    let agents: Vec<&str> = index
                        .as_object()
                        .unwrap_or_default()
                        .iter()
                        .map(|(k, _)| k.as_str())
                        .collect();
                    problems.push(format!(
                        "agent `{AGENT}` is not in {} (agents there: {agents:?})",
                        index_path.display()
                    ));
                }
                agent
            }
        },
    };
    let mut ids: Vec<String> = cases.to_vec();
    if let Some(members) = agent_results.as_ref().and_then(Value::as_object) {
        // Judge anything else the report holds too (it should hold nothing else).
        ids.extend(
            members
                .iter()
                .map(|(k, _)| k.clone())
                .filter(|k| !cases.contains(k)),
        );
    }
    let results = ids
        .into_iter()
        .map(|id| {
            let entry = agent_results.as_ref().and_then(|a| a.get(&id));
            let behaviors = entry.map(|e| {
                let field = |name: &str| {
                    e.get(name)
                        .and_then(Value::as_str)
                        .unwrap_or("(missing)")
                        .to_owned()
                };
                (field("behavior"), field("behaviorClose"))
            });
            let class = match &behaviors {
                Some((b, c)) => classify(&id, b, c, allow),
                None => Class::Failed,
            };
            CaseResult {
                id,
                behaviors,
                class,
            }
        })
        .collect();
    Outcome {
        direction,
        results,
        problems,
    }
}

/// Per-group counts: cases, OK, INFORMATIONAL, UNIMPLEMENTED, failed.
type Row = (u32, [usize; 5]);

impl Outcome {
    fn passed(&self) -> usize {
        self.results
            .iter()
            .filter(|r| r.class != Class::Failed)
            .count()
    }

    fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }

    fn rows(&self) -> (Vec<Row>, [usize; 5]) {
        let mut rows: Vec<Row> = Vec::new();
        let mut total = [0; 5];
        for r in &self.results {
            let group = group_of(&r.id);
            let i = match rows.iter().position(|(g, _)| *g == group) {
                Some(i) => i,
                None => {
                    rows.push((group, [0; 5]));
                    rows.len() - 1
                }
            };
            let column = match r.class {
                Class::Ok => 1,
                Class::Informational => 2,
                Class::Unimplemented => 3,
                Class::Failed => 4,
            };
            for counts in [&mut rows[i].1, &mut total] {
                counts[0] += 1;
                counts[column] += 1;
            }
        }
        rows.sort_by_key(|(g, _)| *g);
        (rows, total)
    }

    fn failure_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .results
            .iter()
            .filter(|r| r.class == Class::Failed)
            .map(|r| match &r.behaviors {
                Some((b, c)) => format!("{}: behavior {b}, behaviorClose {c}", r.id),
                None => format!("{}: not in the report (not run)", r.id),
            })
            .collect();
        lines.extend(self.problems.iter().map(|p| format!("problem: {p}")));
        lines
    }

    /// The plain-text table printed at the end of a run.
    fn table(&self) -> String {
        let (rows, total) = self.rows();
        let mut out = format!("\nautobahn {}\n", self.direction.title());
        out += &format!(
            "  {:<6} {:>6} {:>6} {:>14} {:>14} {:>7}\n",
            "group", "cases", "OK", "INFORMATIONAL", "UNIMPLEMENTED", "failed"
        );
        let line = |name: &str, c: &[usize; 5]| {
            format!(
                "  {name:<6} {:>6} {:>6} {:>14} {:>14} {:>7}\n",
                c[0], c[1], c[2], c[3], c[4]
            )
        };
        for (group, counts) in &rows {
            out += &line(&group.to_string(), counts);
        }
        out += &line("total", &total);
        let failures = self.failure_lines();
        if !failures.is_empty() {
            out += &format!("  failing ({}):\n", self.direction.name());
            for f in failures {
                out += &format!("    {f}\n");
            }
        }
        out
    }

    /// The committed summary written by `--full`.
    fn markdown(&self, version: &str, patterns: &[String], allow: bool) -> String {
        let (rows, total) = self.rows();
        let mut out = format!("# Autobahn|Testsuite: {}\n\n", self.direction.title());
        out += "Written by `cargo xtask autobahn --full`; do not edit by hand.\n\n";
        out += &format!("- date: {}\n", utc_now());
        out += &format!("- {version}\n");
        out += &format!(
            "- cases: `{}` ({} cases){}\n",
            patterns.join(","),
            self.results.len(),
            if allow {
                "; UNIMPLEMENTED allowed for 12.*/13.*"
            } else {
                ""
            }
        );
        out += &format!(
            "- result: {} passed, {} failed\n\n",
            self.passed(),
            self.failed()
        );
        out += "| group | cases | OK | INFORMATIONAL | UNIMPLEMENTED | failed |\n";
        out += "|---:|---:|---:|---:|---:|---:|\n";
        let line = |name: &str, c: &[usize; 5]| {
            format!(
                "| {name} | {} | {} | {} | {} | {} |\n",
                c[0], c[1], c[2], c[3], c[4]
            )
        };
        for (group, counts) in &rows {
            out += &line(&group.to_string(), counts);
        }
        out += &line("**total**", &total);
        let failures = self.failure_lines();
        if !failures.is_empty() {
            out += "\nFailing:\n\n";
            for f in failures {
                out += &format!("- {f}\n");
            }
        }
        out
    }
}

/// `YYYY-MM-DD HH:MM UTC`, from the system clock (std has no calendar).
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let (hour, minute) = (secs % 86_400 / 3600, secs % 3600 / 60);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02} UTC")
}

#[cfg(test)]
mod tests {
    use super::{case_key, classify, group_of, parse_args, Class};

    #[test]
    fn strict_judging() {
        assert_eq!(classify("1.1.1", "OK", "OK", false), Class::Ok);
        assert_eq!(
            classify("7.1.6", "INFORMATIONAL", "INFORMATIONAL", false),
            Class::Informational
        );
        assert_eq!(classify("6.4.1", "NON-STRICT", "OK", true), Class::Failed);
        assert_eq!(
            classify("1.1.1", "OK", "FAILED BY CLIENT", true),
            Class::Failed
        );
        assert_eq!(classify("7.9.1", "OK", "WRONG CODE", true), Class::Failed);
        assert_eq!(classify("5.1", "OK", "UNCLEAN", true), Class::Failed);
        assert_eq!(
            classify("12.1.1", "UNIMPLEMENTED", "OK", false),
            Class::Failed
        );
        assert_eq!(
            classify("12.1.1", "UNIMPLEMENTED", "OK", true),
            Class::Unimplemented
        );
        assert_eq!(
            classify("13.7.18", "UNIMPLEMENTED", "FAILED", true),
            Class::Failed
        );
        assert_eq!(
            classify("1.1.1", "UNIMPLEMENTED", "OK", true),
            Class::Failed
        );
    }

    #[test]
    fn ids() {
        assert_eq!(group_of("12.3.4"), 12);
        assert_eq!(group_of("2.10"), 2);
        assert!(case_key("9.1.1") < case_key("10.1.1"));
        assert!(case_key("2.2") < case_key("2.10"));
    }

    #[test]
    fn arguments() {
        let args = |a: &[&str]| parse_args(&a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        let o = args(&[]).unwrap();
        assert!(o.server && o.client && o.cases.is_none() && !o.full);
        let o = args(&["--server", "--cases", "1.*, 2.*"]).unwrap();
        assert!(o.server && !o.client);
        assert_eq!(o.cases.unwrap(), ["1.*", "2.*"]);
        let o = args(&["--client", "--cases=3.1", "--allow-unimplemented-deflate"]).unwrap();
        assert!(!o.server && o.client && o.allow_unimplemented_deflate);
        assert_eq!(o.cases.unwrap(), ["3.1"]);
        assert!(args(&["--full", "--cases", "1.*"]).is_err());
        assert!(args(&["--cases"]).is_err());
        assert!(args(&["--bogus"]).is_err());
    }
}
