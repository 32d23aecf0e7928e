//! calamine reads every sheet of an XLS into a dense range as soon as the workbook opens
//! (`Range::from_sparse`: one value per row × column between the outermost cells), so a file
//! with two far-apart cells asks for gigabytes before a single row is read (found by the
//! `read_workbook` fuzz target; issue 16). This reads the compound file and the positions in
//! the BIFF cell records first, building nothing, and refuses a sheet whose cells span more
//! than [`MAX_XLS_SPAN_CELLS`]. Where the container cannot be followed, the file is refused as
//! unreadable rather than handed to calamine.

/// Cells between a sheet's outermost cells: 65,536 rows × 122 columns at most (the widest
/// sheet an XLS can hold that fits the worker's memory with room to spare, ~256 MB dense).
pub const MAX_XLS_SPAN_CELLS: u64 = 8_000_000;

const SIGNATURE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const FREE: u32 = 0xFFFF_FFFF;

/// Why an XLS is refused before calamine sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XlsRefusal {
    /// The container or its records cannot be followed.
    Unreadable,
    /// A sheet's cells span this many rows and columns.
    TooWide { rows: u64, columns: u64 },
    /// The sheets together span this many cells (calamine holds every sheet at once).
    SheetsTooLarge { cells: u64 },
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// A compound file (MS-CFB) read just far enough to get one stream out.
struct Compound<'a> {
    bytes: &'a [u8],
    sector: usize,
    fat: Vec<u32>,
}

impl<'a> Compound<'a> {
    fn open(bytes: &'a [u8]) -> Option<Self> {
        if bytes.get(..8)? != SIGNATURE {
            return None;
        }
        let shift = u16_at(bytes, 0x1E)?;
        if !(7..=16).contains(&shift) {
            return None;
        }
        let sector = 1usize << shift;
        let mut fat_sectors: Vec<u32> = (0..109)
            .filter_map(|i| u32_at(bytes, 0x4C + 4 * i))
            .filter(|&s| s != FREE && s != END_OF_CHAIN)
            .collect();
        // More FAT sectors are listed in a chain of DIFAT sectors.
        let mut difat = u32_at(bytes, 0x44)?;
        let mut hops = 0;
        while difat != END_OF_CHAIN && difat != FREE {
            hops += 1;
            if hops > bytes.len() / sector {
                return None;
            }
            let start = (difat as usize + 1).checked_mul(sector)?;
            let block = bytes.get(start..start + sector)?;
            let entries = sector / 4 - 1;
            fat_sectors.extend(
                (0..entries)
                    .filter_map(|i| u32_at(block, 4 * i))
                    .filter(|&s| s != FREE && s != END_OF_CHAIN),
            );
            difat = u32_at(block, 4 * entries)?;
        }
        let mut fat = Vec::new();
        for s in fat_sectors {
            let start = (s as usize + 1).checked_mul(sector)?;
            let block = bytes.get(start..start + sector)?;
            fat.extend((0..sector / 4).filter_map(|i| u32_at(block, 4 * i)));
            if fat.len() > bytes.len() {
                return None;
            }
        }
        Some(Self { bytes, sector, fat })
    }

    /// The sectors of a chain, in order; `None` for a chain that loops or leaves the file.
    fn chain(&self, first: u32, table: &[u32]) -> Option<Vec<u32>> {
        let mut out = Vec::new();
        let mut at = first;
        while at != END_OF_CHAIN {
            if out.len() > table.len() {
                return None;
            }
            out.push(at);
            at = *table.get(at as usize)?;
        }
        Some(out)
    }

    fn read(&self, first: u32, size: usize) -> Option<Vec<u8>> {
        if size > self.bytes.len() {
            return None;
        }
        let mut data = Vec::with_capacity(size);
        for s in self.chain(first, &self.fat)? {
            let start = (s as usize + 1).checked_mul(self.sector)?;
            data.extend_from_slice(self.bytes.get(start..start + self.sector)?);
            if data.len() >= size {
                break;
            }
        }
        if data.len() < size {
            return None;
        }
        data.truncate(size);
        Some(data)
    }

    /// The stream named `Workbook` (BIFF8) or `Book` (BIFF5).
    fn workbook(&self) -> Option<Vec<u8>> {
        let first_dir = u32_at(self.bytes, 0x30)?;
        let mut directory = Vec::new();
        for s in self.chain(first_dir, &self.fat)? {
            let start = (s as usize + 1).checked_mul(self.sector)?;
            directory.extend_from_slice(self.bytes.get(start..start + self.sector)?);
        }
        let entries: Vec<&[u8]> = directory.chunks_exact(128).collect();
        let root = entries.first()?;
        let name_of = |e: &[u8]| -> String {
            let len = (u16_at(e, 0x40).unwrap_or(0) as usize).min(64);
            let units: Vec<u16> = (0..len.saturating_sub(2) / 2)
                .filter_map(|i| u16_at(e, 2 * i))
                .collect();
            String::from_utf16_lossy(&units)
        };
        let entry = entries.iter().find(|e| {
            e.get(0x42) == Some(&2) && matches!(name_of(e).as_str(), "Workbook" | "Book")
        })?;
        let start = u32_at(entry, 0x74)?;
        let size = u32_at(entry, 0x78)? as usize;
        let cutoff = u32_at(self.bytes, 0x38)? as usize;
        if size >= cutoff {
            return self.read(start, size);
        }
        // Small streams live in the mini stream (the root entry's data), 64-byte sectors.
        let mini_shift = u16_at(self.bytes, 0x20)?;
        if mini_shift > 12 {
            return None;
        }
        let mini = 1usize << mini_shift;
        let root_size = u32_at(root, 0x78)? as usize;
        let mini_stream = self.read(u32_at(root, 0x74)?, root_size)?;
        let mini_fat_bytes = self.read(
            u32_at(self.bytes, 0x3C)?,
            (u32_at(self.bytes, 0x40)? as usize).checked_mul(self.sector)?,
        )?;
        let mini_fat: Vec<u32> = (0..mini_fat_bytes.len() / 4)
            .filter_map(|i| u32_at(&mini_fat_bytes, 4 * i))
            .collect();
        let mut data = Vec::with_capacity(size);
        for s in self.chain(start, &mini_fat)? {
            let at = (s as usize).checked_mul(mini)?;
            data.extend_from_slice(mini_stream.get(at..at + mini)?);
        }
        (data.len() >= size).then(|| {
            data.truncate(size);
            data
        })
    }
}

/// The rows and columns calamine reserves room for from a DIMENSIONS record (its own reading
/// of it, wrapping arithmetic included: a first row after the last one wraps to billions).
fn declared_span(data: &[u8]) -> Option<(u64, u64)> {
    let (rf, rl, mut cf, cl) = match data.len() {
        10 => (
            u32::from(u16_at(data, 0)?),
            u32::from(u16_at(data, 2)?),
            u32::from(u16_at(data, 4)?),
            u32::from(u16_at(data, 6)?),
        ),
        14 | 16 => (
            u32_at(data, 0)?,
            u32_at(data, 4)?,
            u32::from(u16_at(data, 8)?),
            u32::from(u16_at(data, 10)?),
        ),
        _ => return None,
    };
    if 0xFF < cf || cl < cf {
        cf = 0;
    }
    let (start, end) = if 1 <= rl && 1 <= cl {
        ((rf, cf), (rl - 1, cl - 1))
    } else {
        ((rf, cf), (rf, cf))
    };
    let rows = end.0.wrapping_sub(start.0).wrapping_add(1);
    let columns = end.1.wrapping_sub(start.1).wrapping_add(1);
    Some((u64::from(rows), u64::from(columns)))
}

/// The (row, column) span of the sheet whose BOF is at `offset`: of its cells, or of its
/// DIMENSIONS record where that is larger (calamine reserves room for it up front).
fn sheet_span(stream: &[u8], offset: usize) -> Option<(u64, u64)> {
    let mut declared = (0u64, 0u64);
    let (mut rows, mut columns) = ((u16::MAX, 0u16), (u16::MAX, 0u16));
    let mut see = |row: u16, first: u16, last: u16| {
        rows = (rows.0.min(row), rows.1.max(row));
        columns = (
            columns.0.min(first.min(last)),
            columns.1.max(first.max(last)),
        );
    };
    let mut at = offset;
    while let (Some(kind), Some(len)) = (u16_at(stream, at), u16_at(stream, at + 2)) {
        let data = stream.get(at + 4..at + 4 + len as usize)?;
        match kind {
            0x000A => break,
            0x0200 => {
                if let Some(span) = declared_span(data)
                    && span.0.saturating_mul(span.1) > declared.0.saturating_mul(declared.1)
                {
                    declared = span;
                }
            }
            // Number, Label, RString, BoolErr, Rk, LabelSst, Formula: row, then column.
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => {
                if let (Some(r), Some(c)) = (u16_at(data, 0), u16_at(data, 2)) {
                    see(r, c, c);
                }
            }
            // MulRk: row, first column, …, last column.
            0x00BD => {
                if let (Some(r), Some(first), Some(last)) = (
                    u16_at(data, 0),
                    u16_at(data, 2),
                    data.len().checked_sub(2).and_then(|l| u16_at(data, l)),
                ) {
                    see(r, first, last);
                }
            }
            _ => {}
        }
        at += 4 + len as usize;
    }
    let cells = if rows.0 > rows.1 {
        (0, 0)
    } else {
        (
            u64::from(rows.1 - rows.0) + 1,
            u64::from(columns.1 - columns.0) + 1,
        )
    };
    Some(
        if declared.0.saturating_mul(declared.1) > cells.0 * cells.1 {
            declared
        } else {
            cells
        },
    )
}

/// Refuses an XLS calamine would expand beyond [`MAX_XLS_SPAN_CELLS`], for one sheet or all.
pub fn check_xls(bytes: &[u8]) -> Result<(), XlsRefusal> {
    let compound = Compound::open(bytes).ok_or(XlsRefusal::Unreadable)?;
    let stream = compound.workbook().ok_or(XlsRefusal::Unreadable)?;
    // The globals substream lists each sheet's BOF offset (BoundSheet8), as calamine reads it.
    let mut at = 0;
    let mut sheets = Vec::new();
    while let (Some(kind), Some(len)) = (u16_at(&stream, at), u16_at(&stream, at + 2)) {
        let data = stream
            .get(at + 4..at + 4 + len as usize)
            .ok_or(XlsRefusal::Unreadable)?;
        match kind {
            0x0085 => sheets.push(u32_at(data, 0).ok_or(XlsRefusal::Unreadable)? as usize),
            0x000A => break,
            _ => {}
        }
        at += 4 + len as usize;
    }
    let mut total = 0u64;
    for offset in sheets {
        // calamine slices the stream at the offset: one past its end panics.
        if offset > stream.len() {
            return Err(XlsRefusal::Unreadable);
        }
        let (rows, columns) = sheet_span(&stream, offset).ok_or(XlsRefusal::Unreadable)?;
        let span = rows.saturating_mul(columns);
        if span > MAX_XLS_SPAN_CELLS {
            return Err(XlsRefusal::TooWide { rows, columns });
        }
        total = total.saturating_add(span);
        if total > MAX_XLS_SPAN_CELLS {
            return Err(XlsRefusal::SheetsTooLarge { cells: total });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_sheet_passes_and_garbage_is_unreadable() {
        let fixture = include_bytes!("../../../../tests/fixtures/users.xls");
        assert_eq!(check_xls(fixture), Ok(()));
        assert_eq!(
            check_xls(b"not a compound file"),
            Err(XlsRefusal::Unreadable)
        );
        let mut cut = fixture.to_vec();
        cut.truncate(700);
        assert_eq!(check_xls(&cut), Err(XlsRefusal::Unreadable));
    }

    #[test]
    fn the_file_the_fuzzer_found_is_refused_without_expanding_it() {
        // Found by `scripts/fuzz` (read_workbook): calamine asked for 2.4 GB opening it.
        let found = include_bytes!("../../../../fuzz/regressions/xls-far-apart-cells.xls");
        let outcome = crate::import::sheet::read_workbook(
            found.to_vec(),
            crate::import::sheet::FileFormat::Xls,
            &mut |_| true,
        );
        // Its records run past the end of its stream: refused as damaged before calamine
        // (which reads it anyway, expanding it) is handed a byte.
        assert!(outcome.is_err(), "{outcome:?}");
        assert_eq!(check_xls(found), Err(XlsRefusal::Unreadable));
    }

    #[test]
    fn a_forged_dimensions_record_is_refused_before_calamine_reserves_for_it() {
        // Found by `scripts/fuzz` (read_workbook, 10 minutes): calamine reserved 167 GB for
        // the rows × columns a DIMENSIONS record declared.
        let found = include_bytes!("../../../../fuzz/regressions/xls-forged-dimensions.xls");
        assert!(matches!(
            check_xls(found),
            Err(XlsRefusal::TooWide { rows, columns }) if rows * columns > MAX_XLS_SPAN_CELLS
        ));
        let outcome = crate::import::sheet::read_workbook(
            found.to_vec(),
            crate::import::sheet::FileFormat::Xls,
            &mut |_| true,
        );
        assert!(outcome.unwrap_err().0.contains("rows and"));
    }

    #[test]
    fn a_sheet_offset_past_the_stream_is_refused_before_calamine_slices_at_it() {
        // Found by `scripts/fuzz` (read_workbook, after the two fixes above): calamine
        // panicked slicing its stream at a sheet offset beyond it (an abort in release).
        let found =
            include_bytes!("../../../../fuzz/regressions/xls-sheet-offset-past-the-end.xls");
        assert_eq!(check_xls(found), Err(XlsRefusal::Unreadable));
        let outcome = crate::import::sheet::read_workbook(
            found.to_vec(),
            crate::import::sheet::FileFormat::Xls,
            &mut |_| true,
        );
        assert!(outcome.is_err());
    }

    #[test]
    fn two_far_apart_cells_are_refused_before_any_allocation() {
        // The template writer skips empty cells: two cells, at (0, 0) and (60,000, 200).
        let mut rows = vec![vec![]; 60_001];
        rows[0] = vec!["Login".to_owned()];
        rows[60_000] = vec![String::new(); 201];
        rows[60_000][200] = "far away".to_owned();
        let bytes = crate::import::legacy_formats::write_xls("Users", &rows).unwrap();
        assert!(bytes.len() < 10_000, "a small file: {} bytes", bytes.len());
        assert_eq!(
            check_xls(&bytes),
            Err(XlsRefusal::TooWide {
                rows: 60_001,
                columns: 201
            })
        );
        // As an upload, it fails as a file with words an admin understands.
        let error = crate::import::sheet::read_workbook(
            bytes,
            crate::import::sheet::FileFormat::Xls,
            &mut |_| true,
        )
        .unwrap_err();
        assert!(error.0.contains("60001 rows"), "{}", error.0);
    }
}
