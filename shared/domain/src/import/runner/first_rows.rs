//! The file's first row for each login or e-mail, by 64-bit hash, in 12 bytes a slot.
//!
//! This index is what grows with the file while everything else streams: as a `HashMap<u64,
//! u64>` it took 36 MB per key kind at 1,000,000 rows (power-of-two buckets of 17 bytes, half
//! empty) and 54 MB while it grew, 89 of the 96 MB a 1,000,000-row CSV peaked at. Sized from
//! the survey's row count at ≤ 80% load, with parallel arrays, both kinds take 30 MB and never
//! grow in the worker (docs/benchmarks.md).

/// Marks an empty slot; a key hashing to it is stored as 1 (one more collision in 2^64).
const EMPTY: u64 = 0;

pub(super) struct FirstRows {
    keys: Vec<u64>,
    rows: Vec<u32>,
    len: usize,
}

impl Default for FirstRows {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl FirstRows {
    /// Room for `expected` keys without growing.
    pub(super) fn with_capacity(expected: usize) -> Self {
        let slots = (expected + expected / 4).max(16);
        Self {
            keys: vec![EMPTY; slots],
            rows: vec![0; slots],
            len: 0,
        }
    }

    /// The row that holds `hash`, if any.
    pub(super) fn get(&self, hash: u64) -> Option<u64> {
        let key = hash.max(1);
        let mut at = self.home(key);
        loop {
            match self.keys[at] {
                EMPTY => return None,
                k if k == key => return Some(u64::from(self.rows[at])),
                _ => at = self.next(at),
            }
        }
    }

    /// Records `row` for `hash` unless an earlier row already holds it.
    pub(super) fn insert_first(&mut self, hash: u64, row: u64) {
        if (self.len + 1) * 5 > self.keys.len() * 4 {
            self.grow();
        }
        let key = hash.max(1);
        let mut at = self.home(key);
        loop {
            match self.keys[at] {
                EMPTY => {
                    self.keys[at] = key;
                    // Rows are bounded by MAX_ROWS (and sheet rows by 2^20), far below 2^32.
                    self.rows[at] = u32::try_from(row).unwrap_or(u32::MAX);
                    self.len += 1;
                    return;
                }
                k if k == key => return,
                _ => at = self.next(at),
            }
        }
    }

    /// The slot a key starts probing from: the high bits of the hash scaled to the table.
    fn home(&self, key: u64) -> usize {
        ((u128::from(key) * self.keys.len() as u128) >> 64) as usize
    }

    fn next(&self, at: usize) -> usize {
        if at + 1 == self.keys.len() { 0 } else { at + 1 }
    }

    fn grow(&mut self) {
        let old = std::mem::replace(self, Self::with_capacity(self.keys.len() * 2));
        for (key, row) in old
            .keys
            .into_iter()
            .zip(old.rows)
            .filter(|(k, _)| *k != EMPTY)
        {
            self.insert_first(key, u64::from(row));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// SplitMix64: spread test keys over the whole range, as a real hash does.
    fn spread(i: u64) -> u64 {
        let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    #[test]
    fn agrees_with_a_hash_map_keeping_the_first_row_while_it_grows() {
        let mut ours = FirstRows::default();
        let mut theirs: HashMap<u64, u64> = HashMap::new();
        // Every third key repeats an earlier one; the first row must win.
        for row in 1..=50_000u64 {
            let key = if row % 3 == 0 {
                spread(row / 7)
            } else {
                spread(row)
            };
            assert_eq!(ours.get(key), theirs.get(&key).copied(), "row {row}");
            ours.insert_first(key, row);
            theirs.entry(key).or_insert(row);
        }
        assert_eq!(ours.len, theirs.len());
        for (key, row) in &theirs {
            assert_eq!(ours.get(*key), Some(*row));
        }
        assert_eq!(ours.get(spread(1_000_000)), None);
    }

    #[test]
    fn keys_at_the_ends_of_the_range_and_in_one_slot_are_kept_apart() {
        let mut rows = FirstRows::with_capacity(4);
        // 0 and 1 share a stored key (documented); the others must stay distinct even though
        // small keys all start probing at slot 0 and wrap around the table's end.
        for (row, key) in [2u64, 3, u64::MAX, u64::MAX - 1, 1].into_iter().enumerate() {
            rows.insert_first(key, row as u64 + 10);
        }
        assert_eq!(rows.get(2), Some(10));
        assert_eq!(rows.get(3), Some(11));
        assert_eq!(rows.get(u64::MAX), Some(12));
        assert_eq!(rows.get(u64::MAX - 1), Some(13));
        assert_eq!(rows.get(1), Some(14));
        assert_eq!(rows.get(0), Some(14));
        assert_eq!(rows.get(4), None);
    }

    #[test]
    fn a_table_sized_for_the_file_never_grows() {
        let mut rows = FirstRows::with_capacity(100_000);
        let slots = rows.keys.len();
        for i in 0..100_000 {
            rows.insert_first(spread(i), i);
        }
        assert_eq!(rows.keys.len(), slots);
        assert_eq!(rows.get(spread(99_999)), Some(99_999));
    }
}
