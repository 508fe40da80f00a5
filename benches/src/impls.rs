/// The crates compared, by the names the benchmark programs accept; sockeye first, since
/// every ratio is to it. `xtask` includes this file too, so the list exists once.
pub const IMPLS: [&str; 6] = [
    "sockeye",
    "tokio-tungstenite",
    "fastwebsockets",
    "tokio-websockets",
    "soketto",
    "sockudo-ws",
];
