//! Bounded reading of response bodies and files.
//!
//! Nothing the client reads is unbounded: a successful API response is capped by the raw
//! client's body limit ([`DEFAULT_MAX_RESPONSE_BYTES`], set with
//! [`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)), an error
//! body or a token response is read up to a small cap with [`read_capped`] (the rest is
//! discarded), and a secret or certificate file with [`read_file_capped`].

use std::io::Read as _;
use std::path::Path;

use futures::{Stream, StreamExt as _};

/// The default cap on one successful API response body: 8 MiB. The largest real page (100
/// customers with their tenants, or every tenant of a customer) is a few hundred KiB; the cap
/// leaves a wide margin while bounding memory against an oversized or endless body.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// The most bytes read from a secret, password or certificate file: 1 MiB, far more than a
/// `.pfx`, a PEM bundle with its chain, or a secret.
pub const MAX_CREDENTIAL_FILE_BYTES: u64 = 1024 * 1024;

/// Reads at most `cap` bytes of a body stream; `true` when there was more (the rest is not
/// read).
pub(crate) async fn read_capped<S, B, E>(mut stream: S, cap: usize) -> Result<(Vec<u8>, bool), E>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
{
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        let chunk = chunk.as_ref();
        let room = cap - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(chunk);
    }
    Ok((body, false))
}

/// Reads a whole file of at most `cap` bytes. A larger file (or an endless one such as
/// `/dev/zero`) is refused after reading `cap + 1` bytes, with an error that names the cap.
pub(crate) fn read_file_capped(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(std::io::Error::other("it is a directory"));
    }
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(std::io::Error::other(format!(
            "it is larger than {} KiB, more than any secret or certificate; check the path",
            cap / 1024
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reading_stops_at_the_cap() {
        let chunks = futures::stream::iter(
            (0..10).map(|_| Ok::<_, std::convert::Infallible>(vec![7u8; 100])),
        );
        let (body, more) = read_capped(chunks, 250).await.expect("read");
        assert_eq!((body.len(), more), (250, true));
        let chunks = futures::stream::iter([Ok::<_, std::convert::Infallible>(b"ab".to_vec())]);
        assert_eq!(
            read_capped(chunks, 2).await.expect("read"),
            (b"ab".to_vec(), false)
        );
    }

    #[test]
    #[cfg(unix)]
    fn an_endless_file_is_refused_at_the_cap() {
        let e = read_file_capped(Path::new("/dev/zero"), 4096).expect_err("refused");
        assert!(e.to_string().contains("larger than 4 KiB"), "{e}");
        let dir = std::env::temp_dir();
        assert!(read_file_capped(&dir, 4096).is_err());
    }
}
