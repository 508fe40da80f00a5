//! Integration tests of the public codec API, grouped by RFC 6455 section.

mod api {
    mod frame;
    mod header;
    mod props;
}
