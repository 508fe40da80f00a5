//! Cancel safety: a `receive` future dropped at any point loses nothing.

use std::{
    pin::Pin,
    task::{Context, Poll},
};

use futures::{task::noop_waker_ref, AsyncRead, Future};
use sockeye_connection::{Builder, Data, IncomingRef, Mode};

use super::util::{masked, Swallow};

/// A reader that returns its input one byte per read, with `Pending` between bytes.
#[derive(Debug)]
struct Trickle {
    input: Vec<u8>,
    pos: usize,
    ready: bool,
}

impl AsyncRead for Trickle {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        if !self.ready {
            self.ready = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.ready = false;
        if self.pos == self.input.len() {
            return Poll::Pending;
        }
        buf[0] = self.input[self.pos];
        self.pos += 1;
        Poll::Ready(Ok(1))
    }
}

#[test]
fn receive_dropped_after_every_poll_loses_nothing() {
    let mut input = Vec::new();
    input.extend(masked(0x01, "fragmented ".as_bytes()));
    input.extend(masked(0x89, b"ping"));
    input.extend(masked(0x80, "text ✓".as_bytes()));
    input.extend(masked(0x82, &[0xaa; 300]));
    let io = Trickle {
        input,
        pos: 0,
        ready: false,
    };
    let (_tx, mut rx) = Builder::new(Swallow(io), Mode::Server).finish();
    let mut cx = Context::from_waker(noop_waker_ref());
    let mut got = Vec::new();
    let mut polls = 0;
    while got.len() < 2 {
        // Each attempt polls a fresh future once and then drops it, as `select!` would.
        let mut buf = Vec::new();
        let mut fut = Box::pin(rx.receive_data(&mut buf));
        let result = fut.as_mut().poll(&mut cx);
        drop(fut);
        if let Poll::Ready(r) = result {
            got.push((r.unwrap(), buf));
        }
        polls += 1;
        assert!(polls < 10_000, "no progress");
    }
    assert_eq!(
        got[0],
        (Data::Text(19), "fragmented text ✓".as_bytes().to_vec())
    );
    assert_eq!(got[1], (Data::Binary(300), vec![0xaa; 300]));
}

#[test]
fn receive_ref_and_receive_dropped_in_turn_lose_nothing() {
    let text = "single frame ✓ ".repeat(10);
    let mut input = Vec::new();
    input.extend(masked(0x81, text.as_bytes()));
    input.extend(masked(0x89, b"ping"));
    input.extend(masked(0x01, "frag".as_bytes()));
    input.extend(masked(0x80, "ment".as_bytes()));
    input.extend(masked(0x82, &[0xaa; 300]));
    let io = Trickle {
        input,
        pos: 0,
        ready: false,
    };
    let (_tx, mut rx) = Builder::new(Swallow(io), Mode::Server).finish();
    let mut cx = Context::from_waker(noop_waker_ref());
    let mut got: Vec<(bool, Vec<u8>)> = Vec::new();
    let mut polls = 0;
    while got.len() < 3 {
        // A fresh future of either kind, polled once and dropped: a message taken in place
        // is left half done by `receive_ref` and then taken from its start by `receive`.
        // Runs of 20 polls of one and 1 of the other (`Trickle` alternates too, and each
        // kind must see bytes arrive): `receive_ref` gets far enough into a message to have
        // unmasked part of it.
        if polls % 21 != 20 {
            let mut fut = Box::pin(rx.receive_ref());
            if let Poll::Ready(r) = fut.as_mut().poll(&mut cx) {
                match r.unwrap() {
                    IncomingRef::Text(t) => got.push((true, t.as_bytes().to_vec())),
                    IncomingRef::Binary(b) => got.push((false, b.to_vec())),
                    other => panic!("unexpected {other:?}"),
                }
            }
        } else {
            let mut buf = Vec::new();
            let mut fut = Box::pin(rx.receive_data(&mut buf));
            let result = fut.as_mut().poll(&mut cx);
            drop(fut);
            if let Poll::Ready(r) = result {
                got.push((r.unwrap().is_text(), buf));
            }
        }
        polls += 1;
        assert!(polls < 100_000, "no progress");
    }
    assert_eq!(got[0], (true, text.into_bytes()));
    assert_eq!(got[1], (true, b"fragment".to_vec()));
    assert_eq!(got[2], (false, vec![0xaa; 300]));
}
