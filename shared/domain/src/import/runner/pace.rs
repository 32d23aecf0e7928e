//! Pacing under throttling: a throttled import slows down, it never fails.
//!
//! The store retries a throttled write a few times (seconds) before it reports
//! [`StoreError::Throttled`](crate::store::StoreError::Throttled). A table that stays over its
//! rate (a new on-demand table's 4,000 WCU/s, a hot partition) would then fail every
//! invocation; instead the chunk retries only its throttled rows after a pause, with half the
//! concurrent writes (the rate the table refused is the one to leave), and each chunk written
//! without throttling adds one concurrent write back, up to the configured number. The pause
//! grows only while rounds write nothing: a table that admits some of the writes is at its
//! rate, and waiting longer would only leave it idle.

use std::time::Duration;

/// The first pause after a throttled round; each further one doubles, up to [`MAX_PAUSE`].
pub const FIRST_PAUSE: Duration = Duration::from_millis(200);
pub const MAX_PAUSE: Duration = Duration::from_secs(20);

#[derive(Debug, Clone)]
pub struct Pace {
    limit: usize,
    concurrency: usize,
    pause: Duration,
    /// Rounds that met throttling, over the invocation (logged with the job's progress).
    pub throttled_rounds: u64,
}

impl Pace {
    pub fn new(limit: usize) -> Self {
        let limit = limit.max(1);
        Self {
            limit,
            concurrency: limit,
            pause: FIRST_PAUSE,
            throttled_rounds: 0,
        }
    }

    /// Concurrent writes for the next round.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Some writes of a round were throttled (`progressed`: others went through): half the
    /// writes, and the pause to wait first.
    pub fn throttled(&mut self, progressed: bool) -> Duration {
        self.throttled_rounds += 1;
        self.concurrency = (self.concurrency / 2).max(1);
        if progressed {
            self.pause = FIRST_PAUSE;
        }
        let pause = self.pause;
        self.pause = (self.pause * 2).min(MAX_PAUSE);
        pause
    }

    /// A chunk was written without throttling: one more concurrent write, and short pauses
    /// again.
    pub fn clean(&mut self) {
        self.concurrency = (self.concurrency + 1).min(self.limit);
        self.pause = FIRST_PAUSE;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_halves_the_writes_and_doubles_the_pause_up_to_a_cap() {
        let mut pace = Pace::new(8);
        assert_eq!(pace.concurrency(), 8);
        let pauses: Vec<_> = (0..10).map(|_| pace.throttled(false)).collect();
        assert_eq!(pace.concurrency(), 1, "never below one write");
        assert_eq!(pauses[0], FIRST_PAUSE);
        assert_eq!(pauses[1], FIRST_PAUSE * 2);
        assert_eq!(*pauses.last().unwrap(), MAX_PAUSE);
        assert_eq!(pace.throttled_rounds, 10);
    }

    #[test]
    fn clean_chunks_win_back_one_write_each_up_to_the_limit() {
        let mut pace = Pace::new(8);
        pace.throttled(false);
        pace.throttled(false);
        assert_eq!(pace.concurrency(), 2);
        pace.clean();
        assert_eq!(pace.concurrency(), 3);
        assert_eq!(
            pace.throttled(false),
            FIRST_PAUSE,
            "a clean chunk resets the pause"
        );
        for _ in 0..20 {
            pace.clean();
        }
        assert_eq!(pace.concurrency(), 8);
    }

    #[test]
    fn a_round_that_wrote_some_rows_waits_the_first_pause_again() {
        let mut pace = Pace::new(8);
        pace.throttled(false);
        pace.throttled(false);
        assert_eq!(pace.throttled(true), FIRST_PAUSE);
        assert_eq!(pace.throttled(false), FIRST_PAUSE * 2);
    }

    #[test]
    fn a_limit_of_zero_still_writes() {
        assert_eq!(Pace::new(0).concurrency(), 1);
    }
}
