//! Where the API and the identity service live: data centers and explicit URLs.
//!
//! Each [`DataCenter`] carries its API base URL and the token URL of the identity service of
//! its environment (commercial data centers share the commercial identity service; U.S.
//! Government, AOS2 and FedRAMP have their own). [`Endpoints`] holds the two URLs a client
//! uses, validated: `https://` only, except plain `http://` to a loopback address (tests and
//! the local fake service).

use std::fmt;
use std::str::FromStr;

use reqwest::Url;

use crate::error::Error;

const COMMERCIAL_IDENTITY: &str = "https://identity.avepointonlineservices.com/connect/token";
const GOV_IDENTITY: &str = "https://identity-gov.avepointonlineservices.com/connect/token";
const AOS2_IDENTITY: &str = "https://identity-aos2.avepointonlineservices.com/connect/token";
const FEDRAMP_IDENTITY: &str = "https://identity.online15.net/connect/token";

macro_rules! data_centers {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal, $api:literal, $identity:expr; )*) => {
        /// An AvePoint data center (or environment) with its API and identity URLs.
        ///
        /// Parse one from its name (`"au"`, `"gcp-us"`, `"gov"`, ...; see
        /// [`DataCenter::name`]) or pick a variant.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        #[non_exhaustive]
        pub enum DataCenter {
            $( $(#[$doc])* $variant, )*
        }

        impl DataCenter {
            /// Every data center.
            pub const ALL: &'static [DataCenter] = &[ $( Self::$variant, )* ];

            /// The short name (as in `AVEPOINT_REGION`).
            pub fn name(self) -> &'static str {
                match self { $( Self::$variant => $name, )* }
            }

            /// The API base URL.
            pub fn api_base_url(self) -> &'static str {
                match self { $( Self::$variant => $api, )* }
            }

            /// The identity service's token URL for this data center's environment.
            pub fn token_url(self) -> &'static str {
                match self { $( Self::$variant => $identity, )* }
            }
        }
    };
}

data_centers! {
    /// Commercial default, `graph.avepointonlineservices.com` (as in AvePoint's samples).
    #[default]
    Commercial => "commercial", "https://graph.avepointonlineservices.com", COMMERCIAL_IDENTITY;
    /// Azure Australia.
    Australia => "au", "https://graph-au.avepointonlineservices.com", COMMERCIAL_IDENTITY;
    /// Azure Singapore.
    Singapore => "sg", "https://graph-sg.avepointonlineservices.com", COMMERCIAL_IDENTITY;
    /// Azure Canada.
    Canada => "ca", "https://graph-ca.avepointonlineservices.com", COMMERCIAL_IDENTITY;
    /// Azure North Europe (Ireland).
    NorthEurope => "ne", "https://graph-ne.avepointonlineservices.com", COMMERCIAL_IDENTITY;
    /// Azure West Europe (Netherlands).
    WestEurope => "we", "https://graph-we.avepointonlineservices.com", COMMERCIAL_IDENTITY;
    /// Azure France.
    France => "fr", "https://graph-fr.avepointonlineservices.com", COMMERCIAL_IDENTITY;
    /// Azure Germany.
    Germany => "de", "https://graph-de.avepointonlineservices.com", COMMERCIAL_IDENTITY;
    /// Azure Japan.
    Japan => "jp", "https://graph-jp.avepointonlineservices.com", COMMERCIAL_IDENTITY;
    /// Azure Korea.
    Korea => "kr", "https://graph-kr.avepointonlineservices.com", COMMERCIAL_IDENTITY;
    /// Azure Switzerland.
    Switzerland => "ch", "https://graph-ch.avepointonlineservices.com", COMMERCIAL_IDENTITY;
    /// Azure United Kingdom.
    UnitedKingdom => "uk", "https://graph-uk.avepointonlineservices.com", COMMERCIAL_IDENTITY;
    /// Azure East US.
    EastUs => "us", "https://graph-us.avepointonlineservices.com", COMMERCIAL_IDENTITY;
    /// Azure United Arab Emirates.
    Uae => "uae", "https://graph-uae.avepointonlineservices.com", COMMERCIAL_IDENTITY;
    /// Azure South Africa.
    SouthAfrica => "za", "https://graph-za.avepointonlineservices.com", COMMERCIAL_IDENTITY;
    /// Azure Qatar.
    Qatar => "qa", "https://graph-qa.avepointonlineservices.com", COMMERCIAL_IDENTITY;
    /// U.S. Government (its own identity service).
    UsGov => "gov", "https://graph-gov.avepointonlineservices.com", GOV_IDENTITY;
    /// AOS2 (its own identity service).
    Aos2 => "aos2", "https://graph-aos2.avepointonlineservices.com", AOS2_IDENTITY;
    /// FedRAMP Cloud, hosted by Project Hosts (its own identity service).
    FedRamp => "fedramp", "https://graphusgovapi.online15.net", FEDRAMP_IDENTITY;
    /// Google Cloud Australia.
    GcpAustralia => "gcp-au", "https://graph-gcp-au.avepointonlineservices.com", COMMERCIAL_IDENTITY;
    /// Google Cloud Japan.
    GcpJapan => "gcp-jp", "https://graph-gcp-jp.avepointonlineservices.com", COMMERCIAL_IDENTITY;
    /// Google Cloud United States.
    GcpUs => "gcp-us", "https://graph-gcp-us.avepointonlineservices.com", COMMERCIAL_IDENTITY;
    /// Google Cloud West Europe.
    GcpWestEurope => "gcp-we", "https://graph-gcp-we.avepointonlineservices.com", COMMERCIAL_IDENTITY;
    /// Google Cloud Korea.
    GcpKorea => "gcp-kr", "https://graph-gcp-kr.avepointonlineservices.com", COMMERCIAL_IDENTITY;
}

impl fmt::Display for DataCenter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DataCenter {
    type Err = Error;

    /// Accepts the short name (`au`), the host prefix (`graph-au`) and, for the commercial
    /// default, `default`, `graph` or an empty string; case-insensitive.
    fn from_str(s: &str) -> Result<Self, Error> {
        let key = s.trim().to_ascii_lowercase();
        let key = key.strip_prefix("graph-").unwrap_or(&key);
        let key = match key {
            "" | "default" | "graph" | "commercial" => "commercial",
            "us-gov" | "usgov" | "government" => "gov",
            other => other,
        };
        Self::ALL
            .iter()
            .copied()
            .find(|dc| dc.name() == key)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|dc| dc.name()).collect();
                Error::Config(format!(
                    "unknown data center `{s}`; use one of: {}",
                    names.join(", ")
                ))
            })
    }
}

/// The two URLs a client talks to: the API base and the identity service's token URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    api_base: Url,
    token_url: Url,
}

impl Endpoints {
    /// The endpoints of a data center.
    pub fn for_data_center(dc: DataCenter) -> Self {
        Self {
            api_base: fixed_url(dc.api_base_url()),
            token_url: fixed_url(dc.token_url()),
        }
    }

    /// Explicit URLs (e.g. a proxy, a new data center, or the local fake service).
    pub fn new(api_base: &str, token_url: &str) -> Result<Self, Error> {
        Ok(Self {
            api_base: validate_url("API base URL", api_base)?,
            token_url: validate_url("token URL", token_url)?,
        })
    }

    /// Replaces the API base URL.
    pub fn with_api_base(mut self, api_base: &str) -> Result<Self, Error> {
        self.api_base = validate_url("API base URL", api_base)?;
        Ok(self)
    }

    /// Replaces the token URL.
    pub fn with_token_url(mut self, token_url: &str) -> Result<Self, Error> {
        self.token_url = validate_url("token URL", token_url)?;
        Ok(self)
    }

    /// The API base URL, without a trailing slash.
    pub fn api_base(&self) -> &str {
        self.api_base.as_str().trim_end_matches('/')
    }

    /// The token URL.
    pub fn token_url(&self) -> &Url {
        &self.token_url
    }
}

impl Default for Endpoints {
    fn default() -> Self {
        Self::for_data_center(DataCenter::Commercial)
    }
}

fn fixed_url(s: &'static str) -> Url {
    match Url::parse(s) {
        Ok(u) => u,
        Err(_) => unreachable!("data center URLs are valid; a test parses each"),
    }
}

/// Parses and checks a configured URL: absolute, `https`, or `http` to loopback only; no
/// credentials, query or fragment.
///
/// No message repeats user info (`user:password@`) or a query string: a URL that holds one is
/// refused with a message that names the URL without it.
pub(crate) fn validate_url(what: &str, s: &str) -> Result<Url, Error> {
    let url = Url::parse(s.trim()).map_err(|e| {
        Error::Config(format!(
            "the {what} `{}` is not an absolute URL ({e}); write it like https://host[:port][/path]",
            redact_url_text(s.trim())
        ))
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(format!(
            "the {what} `{}` must not contain user info (a name, and maybe more, before `@`): it would be sent and shown; give the app's credentials separately instead",
            display_url(&url)
        )));
    }
    let url_shown = display_url(&url);
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(Error::Config(format!(
                "the {what} `{url_shown}` uses plain http: refused because the access token and credentials would travel unencrypted; use https (plain http is only allowed to loopback addresses such as 127.0.0.1 or localhost)"
            )));
        }
        other => {
            return Err(Error::Config(format!(
                "the {what} `{url_shown}` has the scheme `{other}`; use https"
            )));
        }
    }
    if url.host().is_none() {
        return Err(Error::Config(format!(
            "the {what} `{url_shown}` has no host"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "the {what} `{}` must not have a query or fragment",
            url.origin().ascii_serialization()
        )));
    }
    Ok(url)
}

/// A URL for messages and logs: without user info, query or fragment.
pub(crate) fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    // Both only fail for URLs that cannot carry user info, which then have none to strip.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// Configured URL text for messages and logs, parsed or not: without user info (anything
/// before an `@` in the authority), query or fragment.
pub fn redact_url_text(text: &str) -> String {
    if let Ok(url) = Url::parse(text) {
        return display_url(&url);
    }
    let end = text.find(['?', '#']).unwrap_or(text.len());
    let text = &text[..end];
    let authority_start = text.find("://").map_or(0, |i| i + 3);
    let authority_end = text[authority_start..]
        .find('/')
        .map_or(text.len(), |i| authority_start + i);
    match text[authority_start..authority_end].rfind('@') {
        Some(at) => format!(
            "{}[redacted]@{}",
            &text[..authority_start],
            &text[authority_start + at + 1..]
        ),
        None => text.to_owned(),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_data_center_has_valid_urls_and_a_unique_name() {
        let mut names = std::collections::HashSet::new();
        for dc in DataCenter::ALL {
            assert!(names.insert(dc.name()), "duplicate {}", dc.name());
            let e = Endpoints::new(dc.api_base_url(), dc.token_url()).expect("valid");
            assert_eq!(e, Endpoints::for_data_center(*dc));
            assert_eq!(dc.name().parse::<DataCenter>().ok(), Some(*dc));
            assert!(dc.token_url().ends_with("/connect/token"));
        }
        assert_eq!(DataCenter::ALL.len(), 24);
    }

    #[test]
    fn environments_use_their_own_identity_service() {
        assert_eq!(
            DataCenter::UsGov.token_url(),
            "https://identity-gov.avepointonlineservices.com/connect/token"
        );
        assert_eq!(
            DataCenter::FedRamp.api_base_url(),
            "https://graphusgovapi.online15.net"
        );
        assert_eq!(DataCenter::GcpKorea.token_url(), COMMERCIAL_IDENTITY);
        assert_eq!(
            "graph-gcp-us".parse::<DataCenter>().ok(),
            Some(DataCenter::GcpUs)
        );
        assert!("mars".parse::<DataCenter>().is_err());
    }

    #[test]
    fn plain_http_is_refused_except_to_loopback() {
        assert!(
            Endpoints::new("http://127.0.0.1:8080", "http://localhost:1/connect/token").is_ok()
        );
        assert!(Endpoints::new("http://[::1]:8080", "https://id.example/connect/token").is_ok());
        let err = Endpoints::new("http://graph.example.com", "https://id.example/t")
            .expect_err("refused");
        assert!(err.to_string().contains("plain http"), "{err}");
        assert!(Endpoints::new("ftp://x", "https://id.example/t").is_err());
        assert!(Endpoints::new("https://u:p@x.example", "https://id.example/t").is_err());
        assert!(Endpoints::new("not a url", "https://id.example/t").is_err());
    }

    #[test]
    fn user_info_is_refused_without_being_repeated() {
        for url in [
            "http://user:hunter2@graph.example.com",
            "https://user:hunter2@graph.example.com/base",
            "http://user:hunter2@127.0.0.1:8080",
            "ftp://user:hunter2@x.example",
            "https://user:hunter2@[bad",
            "https://hunter2@graph.example.com?x=1",
        ] {
            let err = Endpoints::new(url, "https://id.example/t").expect_err(url);
            let message = err.to_string();
            assert!(!message.contains("hunter2"), "{message}");
            let err = Endpoints::new("https://graph.example.com", url).expect_err(url);
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
        assert_eq!(
            redact_url_text("https://u:p@host.example:1/path?token=x#f"),
            "https://host.example:1/path"
        );
        assert_eq!(
            redact_url_text("https://u:p@[bad/path?q"),
            "https://[redacted]@[bad/path"
        );
    }
}
