//! Integration tests of `Sender`/`Receiver` over in-memory streams.

mod api {
    mod cancel;
    mod close;
    mod coalesce;
    mod fairness;
    mod messages;
    mod props;
    mod threads;
    mod timeouts;
    mod util;
    mod violations;
}
