//! Integration tests of the public handshake API, client and server, grouped by side.

mod api {
    mod client;
    #[cfg(feature = "http")]
    mod http;
    mod http1;
    mod pair;
    mod server;
    mod support;
}
