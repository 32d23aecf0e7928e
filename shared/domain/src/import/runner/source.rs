//! The uploaded file as a stream of sheet events. Reading is blocking work, so it runs on a
//! blocking thread and hands events over in batches through a bounded channel: a CSV is
//! streamed from the bucket as it is read, a workbook (which needs random access) is
//! downloaded once per invocation and re-read from memory by each pass.

use std::io::Read;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::ImportError;
use crate::import::files::{ImportFiles, ObjectRef};
use crate::import::sheet::{
    CsvRead, CsvStart, FileFormat, ReadError, SheetEvent, read_csv_at, read_workbook,
};

/// Events per batch sent over the channel.
const BATCH: usize = 256;
/// Batches in flight: the reader stays at most this far ahead of the writer.
const IN_FLIGHT: usize = 4;

/// The uploaded file, opened once per invocation.
pub(super) enum Source {
    Csv,
    Workbook(Arc<Vec<u8>>, FileFormat),
}

impl Source {
    /// A CSV is left in the bucket (each pass streams it); a workbook is fetched now.
    pub(super) async fn open<F: ImportFiles>(
        files: &F,
        object: ObjectRef<'_>,
        format: FileFormat,
    ) -> Result<Self, ImportError> {
        Ok(match format {
            FileFormat::Csv => Source::Csv,
            other => Source::Workbook(
                Arc::new(files.download(object).await.map_err(ImportError::Bucket)?),
                other,
            ),
        })
    }
}

/// What the blocking reader reads from.
enum Input {
    Csv(Box<dyn Read + Send>, CsvStart),
    Workbook(Arc<Vec<u8>>, FileFormat),
}

/// Where a read starts: the top of the file, or (a CSV) a data record at this byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ReadFrom {
    Top,
    Record { byte: u64, start: CsvStart },
}

/// An event, and where its record starts in the decoded text of this read (CSV; 0 in a
/// workbook).
pub(super) type Located = (SheetEvent, u64);

/// One read of the file.
pub(super) struct SheetStream {
    events: mpsc::Receiver<Vec<Located>>,
    reader: JoinHandle<Result<Option<CsvRead>, ReadError>>,
}

impl SheetStream {
    pub(super) async fn open<F: ImportFiles>(
        files: &F,
        object: ObjectRef<'_>,
        source: &Source,
        from: ReadFrom,
    ) -> Result<Self, ImportError> {
        let input = match (source, from) {
            (Source::Csv, from) => {
                let (byte, start) = match from {
                    ReadFrom::Top => (0, CsvStart::Top),
                    ReadFrom::Record { byte, start } => (byte, start),
                };
                let reader = files.stream(object, byte).await;
                Input::Csv(reader.map_err(ImportError::Bucket)?, start)
            }
            (Source::Workbook(bytes, format), _) => Input::Workbook(Arc::clone(bytes), *format),
        };
        let (tx, events) = mpsc::channel::<Vec<Located>>(IN_FLIGHT);
        let reader = tokio::task::spawn_blocking(move || {
            let mut batch = Vec::with_capacity(BATCH);
            // `false` (the receiver is gone) stops the reader early.
            let mut visit = |event: SheetEvent, byte: u64| {
                batch.push((event, byte));
                batch.len() < BATCH || tx.blocking_send(std::mem::take(&mut batch)).is_ok()
            };
            let read = match input {
                Input::Csv(reader, start) => Some(read_csv_at(reader, start, &mut visit)?),
                Input::Workbook(bytes, format) => {
                    read_workbook(bytes.as_ref().clone(), format, &mut |e| visit(e, 0))?;
                    None
                }
            };
            let _ = tx.blocking_send(batch);
            Ok(read)
        });
        Ok(Self { events, reader })
    }

    /// The next batch of events; `None` at the end of the file (or when the reader failed).
    pub(super) async fn next(&mut self) -> Option<Vec<Located>> {
        self.events.recv().await
    }

    /// Stops reading, and says how the read ended: the CSV's dialect and length, or why the
    /// file is bad.
    pub(super) async fn close(self) -> Result<Option<CsvRead>, ReadError> {
        drop(self.events);
        self.reader
            .await
            .unwrap_or_else(|_| Err(ReadError("the file could not be read".into())))
    }
}
