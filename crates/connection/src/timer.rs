//! Timeouts without a runtime: the connection asks a [`Timer`] for sleeps and the time, and
//! enforces the close, keepalive and idle timeouts itself.
//!
//! `sockeye::tokio` provides a tokio timer; other runtimes implement [`Timer`] in a few
//! lines. Without a timer no timeout is enforced and nothing here runs.

use std::{
    fmt,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::{Duration, Instant},
};

/// A sleep future as the connection stores it.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A source of sleeps and of the current time, supplied by the async runtime.
pub trait Timer: fmt::Debug + Send + Sync {
    /// A future that completes `duration` from now.
    fn sleep(&self, duration: Duration) -> Sleep;

    /// The current time, on the same clock as [`Timer::sleep`] (a runtime with a test
    /// clock returns its own time here).
    fn now(&self) -> Instant;
}

/// The default time allowed for the peer to answer our close frame (10 s).
pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

/// Timeout settings, set on the [`crate::Builder`].
#[derive(Debug, Clone)]
pub(crate) struct Timeouts {
    pub(crate) timer: Option<Arc<dyn Timer>>,
    pub(crate) close: Duration,
    /// Send a ping after this long without receiving anything; fail if nothing arrives
    /// within the second duration after it.
    pub(crate) keepalive: Option<(Duration, Duration)>,
    /// Fail after this long without receiving anything.
    pub(crate) idle: Option<Duration>,
    /// Fail a send whose write stalls this long.
    pub(crate) send: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            timer: None,
            close: DEFAULT_CLOSE_TIMEOUT,
            keepalive: None,
            idle: None,
            send: None,
        }
    }
}

/// What a deadline check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Due {
    /// Send a keepalive ping now.
    Ping,
    /// The peer did not answer our close in time.
    Close,
    /// The peer did not answer our keepalive ping in time.
    Keepalive,
    /// Nothing arrived for the idle timeout.
    Idle,
}

/// The receiver's timer state: one sleep armed for the earliest deadline.
#[derive(Debug)]
pub(crate) struct Deadlines {
    timer: Arc<dyn Timer>,
    /// The receiver's timeouts (the send timeout is the sender's).
    close: Duration,
    keepalive: Option<(Duration, Duration)>,
    idle: Option<Duration>,
    last_read: Instant,
    ping_sent: Option<Instant>,
    close_sent: Option<Instant>,
    sleep: Option<(Instant, SleepBox)>,
}

/// A `Debug` wrapper for the stored sleep.
struct SleepBox(Sleep);

impl fmt::Debug for SleepBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sleep")
    }
}

impl Deadlines {
    /// Deadlines for `settings`, or `None` when no timer was given.
    pub(crate) fn new(settings: Timeouts) -> Option<Self> {
        let timer = settings.timer?;
        let now = timer.now();
        Some(Self {
            timer,
            close: settings.close,
            keepalive: settings.keepalive,
            idle: settings.idle,
            last_read: now,
            ping_sent: None,
            close_sent: None,
            sleep: None,
        })
    }

    /// Records that bytes arrived: the peer is alive.
    #[inline]
    pub(crate) fn on_read(&mut self) {
        if self.keepalive.is_some() || self.idle.is_some() {
            self.last_read = self.timer.now();
            self.ping_sent = None;
        }
    }

    /// Records that our close frame was sent; starts the close timeout.
    pub(crate) fn on_close_sent(&mut self) {
        if self.close_sent.is_none() {
            self.close_sent = Some(self.timer.now());
        }
    }

    /// The connection is ending: only the close timeout applies from now on.
    pub(crate) fn closing(&mut self) {
        self.on_close_sent();
        self.keepalive = None;
        self.idle = None;
    }

    /// The earliest instant something is due.
    fn next_deadline(&self) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        let mut consider = |t: Instant| next = Some(next.map_or(t, |n| n.min(t)));
        if let Some(sent) = self.close_sent {
            consider(sent + self.close);
        }
        if let Some((interval, timeout)) = self.keepalive {
            match self.ping_sent {
                Some(sent) => consider(sent + timeout),
                None => consider(self.last_read + interval),
            }
        }
        if let Some(idle) = self.idle {
            consider(self.last_read + idle);
        }
        next
    }

    /// Checks the deadlines; `Ready` with what is due, or `Pending` with the sleep armed.
    /// (The common case is inlined into the receiver, which checks on every read that finds
    /// nothing: as a call it cost an echo server 31 user-space instructions per message.)
    #[inline]
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Due> {
        if self.close_sent.is_none() && self.keepalive.is_none() && self.idle.is_none() {
            // The common case: only a close timeout is set, and no close was sent.
            return Poll::Pending;
        }
        self.poll_armed(cx)
    }

    /// [`Deadlines::poll`] when some deadline is running.
    fn poll_armed(&mut self, cx: &mut Context<'_>) -> Poll<Due> {
        loop {
            let Some(deadline) = self.next_deadline() else {
                self.sleep = None;
                return Poll::Pending;
            };
            let now = self.timer.now();
            if now >= deadline {
                self.sleep = None;
                return Poll::Ready(self.what_is_due(now));
            }
            if !matches!(&self.sleep, Some((at, _)) if *at == deadline) {
                self.sleep = Some((deadline, SleepBox(self.timer.sleep(deadline - now))));
            }
            let (_, sleep) = self.sleep.as_mut().expect("armed just above");
            match sleep.0.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(()) => self.sleep = None,
            }
        }
    }

    fn what_is_due(&mut self, now: Instant) -> Due {
        if self.close_sent.is_some_and(|s| now >= s + self.close) {
            return Due::Close;
        }
        if let Some((interval, timeout)) = self.keepalive {
            match self.ping_sent {
                Some(sent) if now >= sent + timeout => return Due::Keepalive,
                None if now >= self.last_read + interval => {
                    self.ping_sent = Some(now);
                    return Due::Ping;
                }
                _ => {}
            }
        }
        Due::Idle
    }
}
