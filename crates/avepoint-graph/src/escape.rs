//! Escaping server text before it reaches a terminal or a log.
//!
//! Text a server sends (an API error's `message`, the identity service's
//! `error_description`, a body snippet, a customer's id or organization name) may hold
//! control characters: an escape sequence that drives the terminal, or a line break that
//! forges a log line such as `error: customer forged: all good`. [`escape_control`] shows
//! such characters escaped (`\n`, `\u{1b}`), so server text always stays on its own line and
//! prints as what it is. Data output that has its own quoting (JSON, CSV) stays faithful and
//! does not use it.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal or a log as is: a C0 or C1 control character (line
/// breaks and `ESC` included), DEL, a Unicode line or paragraph separator, or a
/// bidirectional override or isolate (which can make text display in another order than it
/// is read).
pub(crate) fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every character that must not reach a terminal or a log as is escaped the way
/// Rust writes it (`\n`, `\r`, `\t`, `\u{1b}`): C0 and C1 control characters (line breaks and
/// `ESC` included), DEL, Unicode line and paragraph separators, and bidirectional overrides
/// and isolates (which can make text display in another order than it is read). Other text,
/// backslashes included, is unchanged. Borrows when there is nothing to escape.
///
/// ```
/// use avepoint_graph::escape_control;
///
/// assert_eq!(escape_control("not found\nerror: all good"), "not found\\nerror: all good");
/// assert_eq!(escape_control("\u{1b}[2Jcleared"), "\\u{1b}[2Jcleared");
/// assert_eq!(escape_control("Contoso Ltd."), "Contoso Ltd.");
/// ```
pub fn escape_control(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(
            escape_control("a\r\nb\tc\u{7f}\u{9b}31m\u{202e}d"),
            "a\\r\\nb\\tc\\u{7f}\\u{9b}31m\\u{202e}d"
        );
        assert_eq!(escape_control("Zoë's \\ \"shop\""), "Zoë's \\ \"shop\"");
        assert!(matches!(escape_control("plain"), Cow::Borrowed(_)));
    }
}
