//! Integration tests of `sockeye-deflate`: negotiation through the public API, and messages
//! through `sockeye-connection` over in-memory streams.

mod api {
    pub(crate) mod alloc;
    mod connection;
    mod handshake;
    mod memory;
    mod negotiation;
    mod util;
}

/// Counts this binary's heap use per thread, for the bounded-memory tests.
#[global_allocator]
static ALLOCATOR: api::alloc::Counting = api::alloc::Counting;
