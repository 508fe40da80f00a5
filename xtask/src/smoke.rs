//! `cargo xtask smoke`: runs every example with the command line the README gives and checks
//! what it does: the client against `echo_server`, the proxy between them, the hyper upgrade,
//! the soketto-style server, and the chat demo in headless Chromium.
//!
//! Ends with `smoke: N passed, N failed`. Under CI (`CI` set), a missing browser-test tool is
//! a failure; elsewhere it is reported as `skipped: ...`.

use std::{
    env,
    io::{Read, Write},
    net::{Ipv4Addr, TcpStream},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Duration,
};

use crate::{
    process::{free_port, target_dir, wait_for_port, Guard},
    util::{cargo, root},
};

/// How long one client run may take.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the browser test may take.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(180);

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!(
            "`cargo xtask smoke` takes no arguments, got `{arg}`"
        ));
    }
    cargo(&["build", "--release", "-p", "sockeye-examples", "--examples"])?;
    let results: Vec<(&str, Result<(), String>)> = vec![
        (
            "client against echo_server (arguments and stdin)",
            client_and_echo_server(),
        ),
        (
            "client exits non-zero when nothing listens",
            client_fails_cleanly(),
        ),
        ("proxy between client and echo_server", proxy()),
        (
            "hyper_server: HTTP on / and a WebSocket echo on /ws",
            hyper_server(),
        ),
        ("server (the soketto-style example)", seed_server()),
        ("chat: page served, two browsers chat", chat()),
    ];
    let mut failed = 0;
    for (name, result) in &results {
        match result {
            Ok(()) => eprintln!("ok    {name}"),
            Err(e) => {
                failed += 1;
                eprintln!("FAIL  {name}: {e}");
            }
        }
    }
    println!("smoke: {} passed, {failed} failed", results.len() - failed);
    if failed == 0 {
        Ok(())
    } else {
        Err(format!("{failed} smoke check(s) failed"))
    }
}

fn example(name: &str) -> PathBuf {
    target_dir().join("release").join("examples").join(name)
}

/// Starts an example server on a fresh port and waits until it accepts connections.
fn start(name: &'static str, args: &[&str], log: Option<&Path>) -> Result<Guard, String> {
    let mut cmd = Command::new(example(name));
    cmd.args(args).stdin(Stdio::null());
    match log {
        Some(path) => {
            let file =
                std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
            cmd.stdout(file);
        }
        None => {
            cmd.stdout(Stdio::null());
        }
    }
    Guard::spawn(name, cmd)
}

fn serve(name: &'static str, flag: &str, log: Option<&Path>) -> Result<(Guard, u16), String> {
    let port = free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let mut guard = start(name, &[flag, &addr], log)?;
    wait_for_port(port, &mut guard)?;
    Ok((guard, port))
}

/// Runs the `client` example; returns its exit success, stdout and stderr.
fn client(args: &[&str], stdin: &str) -> Result<(bool, String, String), String> {
    let mut cmd = Command::new(example("client"));
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    eprintln!("$ client {}", args.join(" "));
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start client: {e}"))?;
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .map_err(|e| format!("writing the client's stdin: {e}"))?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let mut guard = Guard {
        name: "client",
        child: Some(child),
        tee: None,
    };
    let status = guard
        .wait_timeout(CLIENT_TIMEOUT)
        .ok_or_else(|| format!("client did not finish within {CLIENT_TIMEOUT:?}"))?;
    let (mut out, mut err) = (String::new(), String::new());
    stdout.read_to_string(&mut out).map_err(|e| e.to_string())?;
    stderr.read_to_string(&mut err).map_err(|e| e.to_string())?;
    Ok((status.success(), out, err))
}

fn expect_echo(args: &[&str], stdin: &str, expected: &str) -> Result<(), String> {
    let (ok, out, err) = client(args, stdin)?;
    if !ok {
        return Err(format!("client failed: {err}"));
    }
    if out != expected {
        return Err(format!("client printed {out:?}, expected {expected:?}"));
    }
    Ok(())
}

/// A plain HTTP/1.1 GET; returns the whole response.
fn http_get(port: u16, path: &str) -> Result<String, String> {
    let mut tcp = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    write!(
        tcp,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    tcp.read_to_end(&mut response).map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&response).into_owned())
}

fn client_and_echo_server() -> Result<(), String> {
    let (_server, port) = serve("echo_server", "--addr", None)?;
    let url = format!("ws://127.0.0.1:{port}");
    expect_echo(
        &[&url, "hello", "wide wörld ✓"],
        "",
        "hello\nwide wörld ✓\n",
    )?;
    expect_echo(
        &[&url],
        "first line\nsecond line\n",
        "first line\nsecond line\n",
    )
}

fn client_fails_cleanly() -> Result<(), String> {
    let port = free_port()?;
    let (ok, _, err) = client(&[&format!("ws://127.0.0.1:{port}"), "x"], "")?;
    match (ok, err.contains("client:")) {
        (false, true) => Ok(()),
        (true, _) => Err("client exited 0 with no server".to_owned()),
        (false, false) => Err(format!("client failed without a clear message: {err:?}")),
    }
}

fn proxy() -> Result<(), String> {
    let (_upstream, up_port) = serve("echo_server", "--addr", None)?;
    let log = target_dir().join("smoke-proxy.log");
    let port = free_port()?;
    let listen = format!("127.0.0.1:{port}");
    let upstream = format!("127.0.0.1:{up_port}");
    let mut proxy = start(
        "proxy",
        &["--listen", &listen, "--upstream", &upstream],
        Some(&log),
    )?;
    wait_for_port(port, &mut proxy)?;
    expect_echo(
        &[&format!("ws://{listen}"), "via the proxy"],
        "",
        "via the proxy\n",
    )?;
    // The proxy prints its frame counts once both directions have ended.
    for _ in 0..50 {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("frames to upstream") {
            // Text frame and close frame each way.
            return if text.contains("2 frames to upstream, 2 frames to client") {
                Ok(())
            } else {
                Err(format!("unexpected proxy counts: {text}"))
            };
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "the proxy did not report its counts: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    ))
}

fn hyper_server() -> Result<(), String> {
    let (_server, port) = serve("hyper_server", "--addr", None)?;
    let page = http_get(port, "/")?;
    if !page.starts_with("HTTP/1.1 200") || !page.contains("Hello from hyper") {
        return Err(format!("GET / answered {page:?}"));
    }
    expect_echo(
        &[&format!("ws://127.0.0.1:{port}/ws"), "upgraded"],
        "",
        "upgraded\n",
    )
}

fn seed_server() -> Result<(), String> {
    let (_server, port) = serve("server", "--addr", None)?;
    expect_echo(
        &[&format!("ws://127.0.0.1:{port}"), "one", "two"],
        "",
        "one\ntwo\n",
    )
}

fn chat() -> Result<(), String> {
    let (_server, port) = serve("chat", "--addr", None)?;
    let page = http_get(port, "/")?;
    if !page.starts_with("HTTP/1.1 200") || !page.contains("text/html") {
        return Err(format!(
            "GET / did not serve the page: {}",
            page.lines().next().unwrap_or("")
        ));
    }
    let e2e = root().join("tests").join("e2e");
    let chromium = env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    let missing = if !crate::util::has_program("node", &["--version"]) {
        Some("node")
    } else if !Path::new(&chromium).exists() {
        Some("chromium")
    } else if !e2e.join("node_modules").join("playwright-core").exists() {
        Some("playwright-core (npm ci in tests/e2e)")
    } else {
        None
    };
    if let Some(tool) = missing {
        let msg =
            format!("the chat browser test needs {tool}; `bash .ci/install-e2e.sh` installs it");
        if env::var_os("CI").is_some() {
            return Err(msg);
        }
        eprintln!("skipped: {msg}");
        return Ok(());
    }
    let mut cmd = Command::new("node");
    cmd.arg(e2e.join("chat.mjs"))
        .env("CHAT_URL", format!("http://127.0.0.1:{port}/"))
        .env("CHAT_SCREENSHOT", target_dir().join("chat-e2e.png"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    let mut guard = Guard::spawn("chat e2e", cmd)?;
    let mut stdout = guard
        .child
        .as_mut()
        .and_then(|c| c.stdout.take())
        .expect("stdout is piped");
    let status = guard
        .wait_timeout(BROWSER_TIMEOUT)
        .ok_or_else(|| format!("the browser test did not finish within {BROWSER_TIMEOUT:?}"))?;
    let mut out = String::new();
    stdout.read_to_string(&mut out).map_err(|e| e.to_string())?;
    eprint!("{out}");
    if status.success() && out.contains(", 0 failed") {
        Ok(())
    } else {
        Err(format!("the browser test failed ({status})"))
    }
}
