//! Fairness: a receiver whose socket never runs dry takes turns with other tasks.

use std::{
    pin::Pin,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    task::{Context, Poll},
};

use futures::{task::ArcWake, AsyncRead, Future};
use sockeye_connection::{Builder, Data, IncomingRef, Mode};

use super::util::{masked, Swallow};

/// A reader that never runs dry: the same masked 64 KiB binary frame, over and over.
#[derive(Debug)]
struct Endless {
    frame: Vec<u8>,
    pos: usize,
}

impl Endless {
    fn new() -> Self {
        Self {
            frame: masked(0x82, &[0x5a; 64 * 1024]),
            pos: 0,
        }
    }
}

impl AsyncRead for Endless {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        let mut n = 0;
        while n < buf.len() {
            let at = self.pos;
            let take = (buf.len() - n).min(self.frame.len() - at);
            buf[n..n + take].copy_from_slice(&self.frame[at..at + take]);
            n += take;
            self.pos = (at + take) % self.frame.len();
        }
        Poll::Ready(Ok(n))
    }
}

#[derive(Default)]
struct Wakes(AtomicUsize);

impl ArcWake for Wakes {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Polls `receive` (through `next`) 60 times on an endless stream of 64 KiB messages and
/// returns how many messages came between its `Pending`s, checking that each `Pending`
/// woke the task (so an executor polls it again).
fn messages_between_turns(mut next: impl FnMut(&mut Context<'_>) -> Poll<usize>) -> Vec<usize> {
    let wakes = Arc::new(Wakes::default());
    let waker = futures::task::waker(wakes.clone());
    let mut cx = Context::from_waker(&waker);
    let (mut turns, mut run) = (Vec::new(), 0);
    for _ in 0..60 {
        match next(&mut cx) {
            Poll::Ready(len) => {
                assert_eq!(len, 64 * 1024);
                run += 1;
            }
            Poll::Pending => {
                turns.push(run);
                run = 0;
                assert_eq!(wakes.0.load(Ordering::Relaxed), turns.len(), "woke itself");
            }
        }
    }
    turns
}

#[test]
fn a_receiver_whose_socket_never_runs_dry_takes_turns_every_256_kib() {
    let (_tx, mut rx) = Builder::new(Swallow(Endless::new()), Mode::Server).finish();
    let lent = messages_between_turns(|cx| {
        let mut fut = Box::pin(rx.receive_ref());
        fut.as_mut().poll(cx).map(|r| match r {
            Ok(IncomingRef::Binary(b)) => b.len(),
            other => panic!("unexpected {other:?}"),
        })
    });
    // 64 KiB messages (plus headers): four of them make the 256 KiB share.
    assert!(lent.len() >= 10, "{lent:?}");
    assert!(lent.iter().all(|&n| n == 4), "{lent:?}");

    let (_tx, mut rx) = Builder::new(Swallow(Endless::new()), Mode::Server).finish();
    let mut message = Vec::new();
    let copied = messages_between_turns(|cx| {
        message.clear();
        let mut fut = Box::pin(rx.receive(&mut message));
        fut.as_mut().poll(cx).map(|r| match r {
            Ok(sockeye_connection::Incoming::Data(Data::Binary(n))) => n,
            other => panic!("unexpected {other:?}"),
        })
    });
    assert_eq!(copied, lent);
}
