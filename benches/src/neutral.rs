//! The neutral echo server: the fixed server that every crate's client is measured against.

/// Serves WebSocket echo on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let _ = listener;
    Err(std::io::Error::other("not yet"))
}
