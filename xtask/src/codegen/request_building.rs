//! How the generated operations build their requests and read their answers: three rewrites
//! of progenitor's output.
//!
//! 1. **The URL is built from segments, not parsed from a string.** progenitor writes
//!    `let url = format!("{}/a/{}/b", self.baseurl, encode_path(&p.to_string()))`, which
//!    reqwest then parses whole (scheme, host, IDNA, path) on every call. It becomes
//!    `let url = self.request_url(&[Segment::Text("a"), p.as_segment(), Segment::Text("b")])?`:
//!    the raw crate's hand-written `request_url` appends the percent-encoded segments to the
//!    client's base URL, parsed once. `as_segment` borrows the text (or takes the integer)
//!    inside the parameter's newtype, where `to_string` allocated a copy. Each parameter stays
//!    one path segment: a `\` is encoded instead of being read as a separator, and `.` or
//!    `..` is refused instead of being normalised away.
//! 2. **No `api-version` header.** progenitor adds `api-version: <info.version>` to every
//!    request; the AvePoint API does not document it, so its `append` is dropped, and with it
//!    the header map when nothing else goes into it.
//! 3. **A successful answer's headers are moved, not copied.** progenitor's
//!    `ResponseValue::from_response(response)` clones the response's header map before it
//!    consumes the response; the raw crate's `decode_json(response)` does the same decoding
//!    and moves the map.
//!
//! The rewrites fail loudly when progenitor's output no longer has the shape they expect,
//! so a progenitor upgrade cannot silently bring the old code back.

use anyhow::{Result, bail};
use proc_macro2::{TokenStream, TokenTree};
use quote::quote;
use syn::punctuated::Punctuated;
use syn::visit_mut::VisitMut;
use syn::{Expr, Stmt, Token};

/// The header progenitor adds to every request.
const API_VERSION_HEADER: &str = "api-version";
/// progenitor's name of the header map of a request.
const HEADER_MAP: &str = "header_map";
/// progenitor's decoder of a successful answer (`ResponseValue::from_response`).
const FROM_RESPONSE: &str = "from_response";

/// What [`rewrite`] changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Rewritten {
    /// URLs now built from segments.
    pub urls: usize,
    /// `api-version` headers removed.
    pub api_version_headers: usize,
    /// Successful answers decoded by `decode_json`.
    pub decoders: usize,
}

/// Applies both rewrites to every function of `file`.
pub(crate) fn rewrite(file: &mut syn::File) -> Result<Rewritten> {
    let mut visitor = Visitor::default();
    visitor.visit_file_mut(file);
    if let Some(error) = visitor.error {
        return Err(error);
    }
    if count_ident(quote!(#file), FROM_RESPONSE) > 0 {
        bail!(
            "progenitor's output changed shape: a `{FROM_RESPONSE}` call is not `ResponseValue::{FROM_RESPONSE}(response)`"
        );
    }
    if visitor.done.urls > 0 {
        // The trait whose method `as_segment` the URL segments call.
        file.items.push(syn::parse2(quote! {
            #[allow(unused_imports)]
            use crate::AsSegment as _;
        })?);
    }
    if visitor.done.urls != visitor.done.api_version_headers {
        bail!(
            "progenitor's output changed shape: {} request URLs but {} `api-version` headers",
            visitor.done.urls,
            visitor.done.api_version_headers
        );
    }
    Ok(visitor.done)
}

#[derive(Default)]
struct Visitor {
    done: Rewritten,
    error: Option<anyhow::Error>,
}

impl VisitMut for Visitor {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        if let Expr::Call(call) = expr
            && is_from_response(&call.func)
            && call.args.len() == 1
        {
            *call.func = syn::parse_quote!(crate::decode_json);
            self.done.decoders += 1;
        }
    }

    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        syn::visit_mut::visit_block_mut(self, block);
        if self.error.is_some() {
            return;
        }
        if let Err(e) = self.rewrite_block(block) {
            self.error = Some(e);
        }
    }
}

impl Visitor {
    fn rewrite_block(&mut self, block: &mut syn::Block) -> Result<()> {
        for stmt in &mut block.stmts {
            if let Some(segments_call) = url_statement(stmt)? {
                *stmt = segments_call;
                self.done.urls += 1;
            }
        }
        let before = block.stmts.len();
        block.stmts.retain(|stmt| !is_api_version_append(stmt));
        let removed = before - block.stmts.len();
        if removed > 1 {
            bail!("a request adds the `api-version` header {removed} times");
        }
        if removed == 1 {
            self.done.api_version_headers += 1;
            drop_unused_header_map(block);
        }
        Ok(())
    }
}

/// `let url = format!("{}/...", self.baseurl, encode_path(&x), ...);` rewritten to
/// `let url = self.request_url(&[...])?;`, or `None` for any other statement.
fn url_statement(stmt: &Stmt) -> Result<Option<Stmt>> {
    let Stmt::Local(local) = stmt else {
        return Ok(None);
    };
    let Some(init) = &local.init else {
        return Ok(None);
    };
    let Expr::Macro(mac) = init.expr.as_ref() else {
        return Ok(None);
    };
    if !mac.mac.path.is_ident("format") || !pattern_named(&local.pat, "url") {
        return Ok(None);
    }
    let args = mac
        .mac
        .parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated)?;
    let mut args = args.into_iter();
    let (Some(Expr::Lit(template)), Some(base)) = (args.next(), args.next()) else {
        bail!("a request URL is not `format!(template, self.baseurl, ...)`");
    };
    let syn::Lit::Str(template) = template.lit else {
        bail!("a request URL's template is not a string literal");
    };
    if quote!(#base).to_string() != quote!(self.baseurl).to_string() {
        bail!("a request URL does not start from `self.baseurl`");
    }
    let template = template.value();
    let Some(path) = template.strip_prefix("{}/") else {
        bail!("the request URL template `{template}` does not start with `{{}}/`");
    };
    let mut segments: Vec<TokenStream> = Vec::new();
    for piece in path.split('/') {
        if piece == "{}" {
            let Some(arg) = args.next() else {
                bail!("the request URL template `{template}` has more `{{}}` than arguments");
            };
            segments.push(encoded_argument(arg)?);
        } else if piece.contains(['{', '}']) {
            bail!(
                "the path segment `{piece}` of `{template}` mixes text and a parameter; \
                 request URLs are built from whole segments"
            );
        } else {
            segments.push(quote!(crate::Segment::Text(#piece)));
        }
    }
    if args.next().is_some() {
        bail!("the request URL template `{template}` has fewer `{{}}` than arguments");
    }
    let pat = &local.pat;
    Ok(Some(syn::parse2(quote! {
        let #pat = self.request_url(&[#(#segments),*])?;
    })?))
}

/// `encode_path(&x.to_string())` → `x.as_segment()` (the segment, encoded by `request_url`).
fn encoded_argument(arg: Expr) -> Result<TokenStream> {
    let Expr::Call(call) = arg else {
        bail!("a request URL argument is not a call of `encode_path`");
    };
    let is_encode_path =
        matches!(call.func.as_ref(), Expr::Path(p) if p.path.is_ident("encode_path"));
    if !is_encode_path || call.args.len() != 1 {
        bail!("a request URL argument is not `encode_path(value)`");
    }
    let to_string = match &call.args[0] {
        Expr::Reference(reference) => match reference.expr.as_ref() {
            Expr::MethodCall(to_string)
                if to_string.method == "to_string" && to_string.args.is_empty() =>
            {
                Some(to_string)
            }
            _ => None,
        },
        _ => None,
    };
    let Some(to_string) = to_string else {
        bail!("a request URL argument is not `encode_path(&value.to_string())`");
    };
    let value = &to_string.receiver;
    Ok(quote!(#value.as_segment()))
}

/// Whether `func` is `ResponseValue::from_response` (with or without type arguments).
fn is_from_response(func: &Expr) -> bool {
    let Expr::Path(path) = func else {
        return false;
    };
    let segments: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    segments.ends_with(&["ResponseValue".to_owned(), FROM_RESPONSE.to_owned()])
}

fn pattern_named(pat: &syn::Pat, name: &str) -> bool {
    matches!(pat, syn::Pat::Ident(ident) if ident.ident == name)
}

/// Whether `stmt` is `header_map.append(HeaderName::from_static("api-version"), ...);`.
fn is_api_version_append(stmt: &Stmt) -> bool {
    let Stmt::Expr(Expr::MethodCall(call), Some(_)) = stmt else {
        return false;
    };
    let on_header_map =
        matches!(call.receiver.as_ref(), Expr::Path(p) if p.path.is_ident(HEADER_MAP));
    on_header_map
        && call.method == "append"
        && call.args.first().is_some_and(|name| {
            tokens_contain_literal(quote!(#name), &format!("{API_VERSION_HEADER:?}"))
        })
}

/// Drops `let mut header_map = ...;` and `.headers(header_map)` when nothing else uses the
/// map (it stays when the operation has header parameters).
fn drop_unused_header_map(block: &mut syn::Block) {
    let uses = count_ident(quote!(#block), HEADER_MAP);
    // Its declaration and `.headers(header_map)`.
    if uses != 2 {
        return;
    }
    block.stmts.retain(
        |stmt| !matches!(stmt, Stmt::Local(local) if pattern_named_mut(&local.pat, HEADER_MAP)),
    );
    HeadersCallRemover.visit_block_mut(block);
}

fn pattern_named_mut(pat: &syn::Pat, name: &str) -> bool {
    matches!(pat, syn::Pat::Ident(ident) if ident.ident == name && ident.mutability.is_some())
}

/// Replaces `receiver.headers(header_map)` with `receiver`.
struct HeadersCallRemover;

impl VisitMut for HeadersCallRemover {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        if let Expr::MethodCall(call) = expr {
            let passes_header_map = call.method == "headers"
                && call.args.len() == 1
                && matches!(&call.args[0], Expr::Path(p) if p.path.is_ident(HEADER_MAP));
            if passes_header_map {
                *expr = (*call.receiver).clone();
            }
        }
    }
}

fn count_ident(tokens: TokenStream, name: &str) -> usize {
    tokens
        .into_iter()
        .map(|tree| match tree {
            TokenTree::Ident(ident) if ident == name => 1,
            TokenTree::Group(group) => count_ident(group.stream(), name),
            _ => 0,
        })
        .sum()
}

fn tokens_contain_literal(tokens: TokenStream, literal: &str) -> bool {
    tokens.into_iter().any(|tree| match tree {
        TokenTree::Literal(lit) => lit.to_string() == literal,
        TokenTree::Group(group) => tokens_contain_literal(group.stream(), literal),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(code: TokenStream) -> Result<(String, Rewritten)> {
        let mut file: syn::File = syn::parse2(code)?;
        let done = rewrite(&mut file)?;
        Ok((quote!(#file).to_string(), done))
    }

    #[test]
    fn url_and_header_of_an_operation_are_rewritten() {
        let (code, done) = rewritten(quote! {
            impl Client {
                pub async fn op(&self, customer_id: &Id, type_: &Kind) -> Result<(), Error> {
                    let url = format!(
                        "{}/partner/customers/{}/type/{}/users",
                        self.baseurl,
                        encode_path(&customer_id.to_string()),
                        encode_path(&type_.to_string()),
                    );
                    let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
                    header_map.append(
                        ::reqwest::header::HeaderName::from_static("api-version"),
                        ::reqwest::header::HeaderValue::from_static(Self::api_version()),
                    );
                    let request = self.client.post(url).json(&body).headers(header_map).build()?;
                    let response = self.exec(request).await?;
                    match response.status().as_u16() {
                        200u16 => ResponseValue::from_response(response).await,
                        _ => Err(Error::UnexpectedResponse(response)),
                    }
                }
            }
        })
        .expect("rewrite");
        let expected = quote! {
            impl Client {
                pub async fn op(&self, customer_id: &Id, type_: &Kind) -> Result<(), Error> {
                    let url = self.request_url(&[
                        crate::Segment::Text("partner"),
                        crate::Segment::Text("customers"),
                        customer_id.as_segment(),
                        crate::Segment::Text("type"),
                        type_.as_segment(),
                        crate::Segment::Text("users")
                    ])?;
                    let request = self.client.post(url).json(&body).build()?;
                    let response = self.exec(request).await?;
                    match response.status().as_u16() {
                        200u16 => crate::decode_json(response).await,
                        _ => Err(Error::UnexpectedResponse(response)),
                    }
                }
            }
            #[allow(unused_imports)]
            use crate::AsSegment as _;
        };
        assert_eq!(code, expected.to_string());
        assert_eq!(
            done,
            Rewritten {
                urls: 1,
                api_version_headers: 1,
                decoders: 1,
            }
        );
    }

    #[test]
    fn a_header_map_with_header_parameters_stays() {
        let (code, _) = rewritten(quote! {
            fn op(&self) {
                let url = format!("{}/a", self.baseurl,);
                let mut header_map = HeaderMap::with_capacity(2usize);
                header_map.append(HeaderName::from_static("api-version"), v);
                header_map.append("x-tenant", tenant.to_string().try_into()?);
                let request = self.client.get(url).headers(header_map).build()?;
            }
        })
        .expect("rewrite");
        assert!(code.contains("\"x-tenant\""), "{code}");
        assert!(code.contains("headers (header_map)"), "{code}");
        assert!(!code.contains("api-version"), "{code}");
        assert!(
            code.contains("self . request_url (& [crate :: Segment :: Text (\"a\")]) ?"),
            "{code}"
        );
    }

    /// The error message of a rewrite that must be refused.
    fn refusal(code: TokenStream) -> String {
        rewritten(code).expect_err("refused").to_string()
    }

    #[test]
    fn unexpected_shapes_fail_loudly() {
        let cases = [
            (
                quote! {
                    fn op(&self) {
                        let url = format!("{}/files/{}.json", self.baseurl, encode_path(&id.to_string()));
                        header_map.append(HeaderName::from_static("api-version"), v);
                    }
                },
                "mixes text and a parameter",
            ),
            (
                quote! {
                    fn op(&self) {
                        let url = format!("{}/a", other);
                    }
                },
                "self.baseurl",
            ),
            (
                quote! {
                    fn op(&self) {
                        let url = format!("{}/a/{}", self.baseurl, id);
                    }
                },
                "encode_path",
            ),
            (
                quote! {
                    fn op(&self) {
                        let url = format!("{}/a/{}", self.baseurl, encode_path(&id));
                    }
                },
                "to_string",
            ),
            (
                quote! {
                    fn op(&self) {
                        let value = from_response(response).await;
                    }
                },
                "from_response",
            ),
            (
                quote! {
                    fn op(&self) {
                        let url = format!("{}/a", self.baseurl);
                    }
                },
                "changed shape",
            ),
        ];
        for (code, expected) in cases {
            let error = refusal(code);
            assert!(error.contains(expected), "{expected}: {error}");
        }
    }
}
