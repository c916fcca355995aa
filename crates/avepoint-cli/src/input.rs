//! The customer IDs to query: the `--customer` flags, then the lines of `--customers-file`
//! (or stdin), read lazily on a thread of their own and handed over through a bounded
//! channel, so a huge file or a slow pipe costs neither memory nor a runtime worker.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use futures::Stream;
use tokio::sync::mpsc;

use crate::exit::Fatal;

/// The longest line accepted from a customers file; longer lines are reported and skipped.
const MAX_LINE: usize = 4096;

/// How many IDs may wait between the reader thread and the fan-out.
const CHANNEL_CAPACITY: usize = 256;

/// One entry of the input.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Item {
    /// A customer ID, trimmed.
    Customer(String),
    /// A line of the customers file that could not be used: what was wrong, naming the file
    /// and line.
    Invalid(String),
}

/// Where the customer IDs come from, opened but not read yet.
pub(crate) struct Source {
    ids: Vec<String>,
    file: Option<(String, Box<dyn BufRead + Send>)>,
}

impl Source {
    /// The `--customer` IDs, then the lines of `file` (`-` is stdin). The file is opened
    /// now, so a missing one is a usage error before anything is sent.
    pub(crate) fn open(ids: Vec<String>, file: Option<&Path>) -> Result<Self, Fatal> {
        let file = match file {
            None => None,
            Some(p) if p.as_os_str() == "-" => Some((
                "stdin".to_owned(),
                Box::new(BufReader::new(io::stdin())) as Box<dyn BufRead + Send>,
            )),
            Some(p) => {
                let f = File::open(p).map_err(|e| {
                    Fatal::usage(format!(
                        "--customers-file: could not open {}: {e}",
                        p.display()
                    ))
                })?;
                if f.metadata().is_ok_and(|m| m.is_dir()) {
                    return Err(Fatal::usage(format!(
                        "--customers-file: {} is a directory",
                        p.display()
                    )));
                }
                Some((
                    p.display().to_string(),
                    Box::new(BufReader::new(f)) as Box<dyn BufRead + Send>,
                ))
            }
        };
        Ok(Self { ids, file })
    }

    /// An in-memory source (tests).
    #[cfg(test)]
    pub(crate) fn from_reader(
        ids: Vec<String>,
        name: &str,
        reader: impl BufRead + Send + 'static,
    ) -> Self {
        Self {
            ids,
            file: Some((name.to_owned(), Box::new(reader))),
        }
    }

    /// Whether no ID can come out of this source.
    pub(crate) fn is_empty(&self) -> bool {
        self.ids.is_empty() && self.file.is_none()
    }

    /// The number of IDs, when known up front (no file).
    pub(crate) fn known_len(&self) -> Option<u64> {
        self.file.is_none().then_some(self.ids.len() as u64)
    }

    /// Starts reading on a thread of its own and returns the entries as a stream. The thread
    /// stops when the stream is dropped (at its next entry) or at the end of the input.
    pub(crate) fn into_stream(self) -> impl Stream<Item = Item> + Send + Unpin + 'static {
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let spawned = std::thread::Builder::new()
            .name("customer-ids".into())
            .spawn(move || read_all(self, &tx));
        let rx = match spawned {
            Ok(_) => rx,
            Err(e) => {
                // No thread: report it as an unusable input, so the run still ends properly.
                let (tx, rx) = mpsc::channel(1);
                let _ = tx.try_send(Item::Invalid(format!(
                    "could not start reading the customer IDs: {e}"
                )));
                rx
            }
        };
        Box::pin(futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        }))
    }
}

/// Sends every entry of `source` through `tx`; returns early when the receiver is gone.
fn read_all(source: Source, tx: &mpsc::Sender<Item>) {
    for id in source.ids {
        if tx.blocking_send(Item::Customer(id)).is_err() {
            return;
        }
    }
    let Some((name, mut reader)) = source.file else {
        return;
    };
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    loop {
        line_no += 1;
        let item = match read_line_capped(&mut reader, &mut buf, MAX_LINE) {
            Ok(None) => return,
            Ok(Some(true)) => Some(Item::Invalid(format!(
                "{name} line {line_no}: longer than {MAX_LINE} bytes; skipped"
            ))),
            Ok(Some(false)) => match std::str::from_utf8(&buf) {
                Err(_) => Some(Item::Invalid(format!(
                    "{name} line {line_no}: not valid UTF-8; skipped"
                ))),
                Ok(text) => {
                    // A UTF-8 byte order mark (Windows editors write one) is not part of the
                    // first customer ID.
                    let text = if line_no == 1 {
                        text.strip_prefix('\u{feff}').unwrap_or(text)
                    } else {
                        text
                    };
                    match text.trim() {
                        id @ ("." | "..") => Some(Item::Invalid(format!(
                            "{name} line {line_no}: `{id}` is not a customer ID (URL path normalisation would change it); skipped"
                        ))),
                        id => (!id.is_empty() && !id.starts_with('#'))
                            .then(|| Item::Customer(id.to_owned())),
                    }
                }
            },
            Err(e) => {
                let _ = tx.blocking_send(Item::Invalid(format!(
                    "could not read {name} after line {}: {e}",
                    line_no - 1
                )));
                return;
            }
        };
        if let Some(item) = item
            && tx.blocking_send(item).is_err()
        {
            return;
        }
    }
}

/// Reads one line (without its `\n`) into `buf`, keeping at most `cap` bytes. Returns
/// `None` at the end of the input, else whether the line was longer than `cap`.
fn read_line_capped(
    r: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    cap: usize,
) -> io::Result<Option<bool>> {
    buf.clear();
    let mut truncated = false;
    let mut read_any = false;
    loop {
        let available = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(read_any.then_some(truncated));
        }
        read_any = true;
        let (chunk, end_of_line) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..i], Some(i + 1)),
            None => (available, None),
        };
        // Text holds no NUL byte: `/dev/zero` or a binary file would otherwise be read for
        // ever, as one endless line.
        if chunk.contains(&0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "it holds NUL bytes, so it is not a text file of customer IDs",
            ));
        }
        let room = cap.saturating_sub(buf.len());
        if chunk.len() > room {
            truncated = true;
        }
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let consumed = end_of_line.unwrap_or(available.len());
        r.consume(consumed);
        if end_of_line.is_some() {
            return Ok(Some(truncated));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt as _;

    fn collect(source: Source) -> Vec<Item> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        rt.block_on(source.into_stream().collect())
    }

    #[test]
    fn flags_then_file_lines_skipping_blanks_and_comments() {
        let text = b"# header\n\n  id-1  \r\nid-1\n#x\na/b c?#%\nlast-without-newline";
        let source = Source::from_reader(vec!["flag".into()], "ids.txt", &text[..]);
        assert_eq!(source.known_len(), None);
        let items = collect(source);
        let ids: Vec<&str> = items
            .iter()
            .map(|i| match i {
                Item::Customer(id) => id.as_str(),
                Item::Invalid(message) => panic!("{message}"),
            })
            .collect();
        assert_eq!(
            ids,
            ["flag", "id-1", "id-1", "a/b c?#%", "last-without-newline"]
        );
    }

    #[test]
    fn bad_lines_are_reported_and_skipped() {
        let mut text = b"ok-1\n\xff\xfe\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        text.extend_from_slice(b"\nok-2\n");
        let items = collect(Source::from_reader(vec![], "f", io::Cursor::new(text)));
        assert_eq!(items.len(), 4);
        assert_eq!(items[0], Item::Customer("ok-1".into()));
        assert!(
            matches!(&items[1], Item::Invalid(message) if message.contains("f line 2: not valid UTF-8"))
        );
        assert!(
            matches!(&items[2], Item::Invalid(message) if message.contains("line 3: longer than"))
        );
        assert_eq!(items[3], Item::Customer("ok-2".into()));
        let items = collect(Source::from_reader(vec![], "g", &b" .. \n.\n"[..]));
        assert!(
            matches!(&items[..], [Item::Invalid(a), Item::Invalid(b)]
                if a.starts_with("g line 1: `..` is not a customer ID") && b.starts_with("g line 2: `.`")),
            "{items:?}"
        );
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_id() {
        let text = "\u{feff}id-1\n\u{feff}id-2\n".as_bytes().to_vec();
        let source = Source::from_reader(vec![], "ids.txt", std::io::Cursor::new(text));
        assert_eq!(
            collect(source),
            vec![
                Item::Customer("id-1".into()),
                // Only at the start of the file is it a byte order mark.
                Item::Customer("\u{feff}id-2".into()),
            ]
        );
    }

    #[test]
    fn a_binary_file_stops_the_reading() {
        let source =
            Source::from_reader(vec![], "zero", std::io::BufReader::new(std::io::repeat(0)));
        let items = collect(source);
        assert_eq!(items.len(), 1, "{items:?}");
        assert!(matches!(&items[0], Item::Invalid(m) if m.contains("NUL")));
    }

    #[test]
    fn flags_only_have_a_known_length() {
        let source = Source::open(vec!["a".into(), "b".into()], None).expect("opens");
        assert_eq!(source.known_len(), Some(2));
        assert!(!source.is_empty());
        assert_eq!(collect(source).len(), 2);
        assert!(Source::open(vec![], None).expect("opens").is_empty());
    }

    #[test]
    fn missing_file_is_a_usage_error() {
        let e = Source::open(vec![], Some(Path::new("/nonexistent/ids.txt")))
            .err()
            .expect("refused");
        assert_eq!(e.status, crate::exit::Status::Usage);
    }
}
