//! A string that never shows itself in `Debug` or `Display`.

use std::fmt;

/// A secret string (client secret, access token, certificate password, private key).
///
/// `Debug` and `Display` print `** redacted **`; the value is only reachable through
/// [`Secret::expose`], which makes every use easy to audit. Clones share the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(std::sync::Arc<str>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into().into())
    }

    /// Reads a secret from a UTF-8 text file (a mounted secret, a password file), dropping
    /// trailing line breaks. The file is read up to
    /// [`MAX_CREDENTIAL_FILE_BYTES`](crate::MAX_CREDENTIAL_FILE_BYTES): a larger one (or an
    /// endless one such as `/dev/zero`) is refused with an error naming the cap. A file that is
    /// not UTF-8 is refused with [`std::io::ErrorKind::InvalidData`]. The value may be empty
    /// ([`Secret::is_empty`]); the error never contains the file's content.
    pub fn from_file(path: &std::path::Path) -> std::io::Result<Self> {
        let bytes = crate::body::read_file_capped(path, crate::body::MAX_CREDENTIAL_FILE_BYTES)?;
        let text = String::from_utf8(bytes).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "it is not UTF-8 text")
        })?;
        Ok(Self::new(text.trim_end_matches(['\n', '\r'])))
    }

    /// The secret value. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(** redacted **)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("** redacted **")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_file_loses_its_trailing_line_breaks_only() {
        let dir = std::env::temp_dir().join(format!("avepoint-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("secret");
        std::fs::write(&path, " s3cr\net \r\n\n").expect("write");
        let secret = Secret::from_file(&path).expect("read");
        assert_eq!(secret.expose(), " s3cr\net ");
        std::fs::write(&path, [0xff, 0xfe]).expect("write");
        let e = Secret::from_file(&path).expect_err("not UTF-8");
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        std::fs::write(&path, "\n").expect("write");
        assert!(Secret::from_file(&path).expect("read").is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn secret_is_redacted() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(** redacted **)");
        assert_eq!(s.to_string(), "** redacted **");
        assert_eq!(s.expose(), "hunter2");
    }
}
