//! `cargo xtask codegen [--check]`: generate the raw client crate from the OpenAPI spec.
//!
//! The spec (`openapi/avepoint-graph.yaml`) is parsed into `openapiv3::OpenAPI`, progenitor
//! turns it into a token stream, [`request_building`] rewrites how its operations build a
//! request and read the answer (URL from segments, no `api-version` header, headers moved
//! into the decoded value), `prettyplease` pretty-prints it and the stable `rustfmt` makes
//! it `cargo fmt`-clean. The result, behind a "generated, do not edit" header, is
//! written to `crates/avepoint-graph-raw/src/generated.rs`. With `--check` nothing is written:
//! the committed file is compared byte for byte with what the spec produces.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, Result, bail};
use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle};

mod request_building;

/// The spec, relative to the workspace root.
pub(crate) const SPEC_PATH: &str = "openapi/avepoint-graph.yaml";
/// The generated file, relative to the workspace root.
pub(crate) const GENERATED_PATH: &str = "crates/avepoint-graph-raw/src/generated.rs";

/// What `codegen` should do with the generated code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Write the generated file.
    Write,
    /// Compare the committed file with a fresh generation; fail when they differ.
    Check,
}

/// Parses the command line of `cargo xtask codegen`.
pub(crate) fn run(args: &[String], root: &Path) -> Result<()> {
    let mut mode = Mode::Write;
    let mut spec = root.join(SPEC_PATH);
    let mut out = root.join(GENERATED_PATH);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--check" => mode = Mode::Check,
            "--spec" => spec = PathBuf::from(it.next().context("--spec needs a path")?),
            "--out" => out = PathBuf::from(it.next().context("--out needs a path")?),
            other => bail!(
                "unknown argument `{other}`; usage: cargo xtask codegen [--check] [--spec PATH] [--out PATH]"
            ),
        }
    }
    codegen(&spec, &out, mode)
}

/// Generates the raw client from `spec` and writes it to (or checks it against) `out`.
pub(crate) fn codegen(spec: &Path, out: &Path, mode: Mode) -> Result<()> {
    let code = generate(spec)?;
    match mode {
        Mode::Write => {
            let unchanged = std::fs::read_to_string(out).is_ok_and(|old| old == code);
            if !unchanged {
                std::fs::write(out, &code).with_context(|| format!("writing {}", out.display()))?;
            }
            eprintln!(
                "codegen: {} {}",
                out.display(),
                if unchanged {
                    "is up to date"
                } else {
                    "written"
                }
            );
            Ok(())
        }
        Mode::Check => {
            let committed = std::fs::read_to_string(out)
                .with_context(|| format!("reading {}", out.display()))?;
            if committed != code {
                bail!(
                    "{} is stale: it differs from what {} generates; run `cargo xtask codegen` and commit the result",
                    out.display(),
                    spec.display()
                );
            }
            eprintln!("codegen: {} matches {}", out.display(), spec.display());
            Ok(())
        }
    }
}

/// Generates the formatted source of the raw client from the spec at `spec`.
pub(crate) fn generate(spec: &Path) -> Result<String> {
    let text =
        std::fs::read_to_string(spec).with_context(|| format!("reading {}", spec.display()))?;
    let api: openapiv3::OpenAPI = serde_yaml::from_str(&text)
        .with_context(|| format!("{} is not a valid OpenAPI 3.0 document", spec.display()))?;

    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Positional)
        .with_tag(TagStyle::Merged)
        .with_derive("PartialEq")
        // The hand-written `lib.rs` of the raw crate implements `ClientHooks` for the
        // generated `Client`, using this per-client context (bearer token, header policy).
        .with_inner_type(quote::quote!(crate::RequestContext))
        .with_hooks(progenitor::HooksMode::Expected);
    let mut generator = Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&api)
        .map_err(|e| anyhow::anyhow!("progenitor could not generate a client: {e}"))?;
    let mut file: syn::File =
        syn::parse2(split_doc_lines(tokens)).context("progenitor produced invalid Rust")?;
    request_building::rewrite(&mut file).context("rewriting how requests are built")?;
    let pretty = prettyplease::unparse(&file);
    let formatted = rustfmt(&pretty)?;

    let spec_name = spec
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(format!(
        "// @generated by `cargo xtask codegen` from openapi/{spec_name} with progenitor.\n\
         // Do not edit by hand: change the spec and run `cargo xtask codegen`.\n\
         // `cargo xtask codegen --check` fails when this file and the spec disagree.\n\n{formatted}"
    ))
}

/// Splits every multi-line `#[doc = "..."]` attribute into one attribute per line.
///
/// prettyplease prints a multi-line doc attribute as a `/** ... */` block comment, and
/// rustfmt then indents the comment's continuation lines along with the item. Inside an
/// `impl` block or a module that indentation becomes part of the doc text: rustdoc renders
/// paragraphs as indented code blocks and `cargo test` compiles them as doctests (which
/// fail). One `///` line per doc line is the same doc string without that problem.
fn split_doc_lines(tokens: TokenStream) -> TokenStream {
    let mut out: Vec<TokenTree> = Vec::new();
    for tree in tokens {
        let group = match tree {
            TokenTree::Group(group) => group,
            other => {
                out.push(other);
                continue;
            }
        };
        let inner = split_doc_lines(group.stream());
        let lines = match group.delimiter() {
            Delimiter::Bracket => multi_line_doc(&inner),
            _ => None,
        };
        // The attribute's `#` (outer) or `#!` (inner) that precedes the brackets.
        let prefix_len = match out.as_slice() {
            [.., TokenTree::Punct(hash), TokenTree::Punct(bang)]
                if hash.as_char() == '#' && bang.as_char() == '!' =>
            {
                2
            }
            [.., TokenTree::Punct(hash)] if hash.as_char() == '#' => 1,
            _ => 0,
        };
        match lines {
            Some(lines) if prefix_len > 0 => {
                let prefix = out[out.len() - prefix_len..].to_vec();
                for (i, line) in lines.iter().enumerate() {
                    if i > 0 {
                        out.extend(prefix.iter().cloned());
                    }
                    let attr = quote::quote!(doc = #line);
                    out.push(TokenTree::Group(Group::new(Delimiter::Bracket, attr)));
                }
            }
            _ => {
                let mut rebuilt = Group::new(group.delimiter(), inner);
                rebuilt.set_span(group.span());
                out.push(TokenTree::Group(rebuilt));
            }
        }
    }
    out.into_iter().collect()
}

/// The lines of `doc = "..."` when the string has more than one line.
fn multi_line_doc(attr: &TokenStream) -> Option<Vec<String>> {
    let trees: Vec<TokenTree> = attr.clone().into_iter().collect();
    let [
        TokenTree::Ident(name),
        TokenTree::Punct(eq),
        TokenTree::Literal(literal),
    ] = trees.as_slice()
    else {
        return None;
    };
    if name != "doc" || eq.as_char() != '=' {
        return None;
    }
    let text = syn::parse2::<syn::LitStr>(TokenTree::Literal(literal.clone()).into())
        .ok()?
        .value();
    text.contains('\n')
        .then(|| text.split('\n').map(str::to_owned).collect())
}

/// Runs the stable `rustfmt` (edition 2024) over `source` through stdin and stdout.
fn rustfmt(source: &str) -> Result<String> {
    let mut child = Command::new(std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".into()))
        .args(["--edition", "2024", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running rustfmt (install it with `rustup component add rustfmt`)")?;
    child
        .stdin
        .take()
        .context("rustfmt stdin")?
        .write_all(source.as_bytes())
        .context("writing to rustfmt")?;
    let output = child.wait_with_output().context("waiting for rustfmt")?;
    if !output.status.success() {
        bail!(
            "rustfmt failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    String::from_utf8(output.stdout).context("rustfmt printed invalid UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask lives in the workspace")
            .to_path_buf()
    }

    #[test]
    fn generation_is_deterministic() {
        let spec = root().join(SPEC_PATH);
        let a = generate(&spec).expect("first generation");
        let b = generate(&spec).expect("second generation");
        assert_eq!(a, b);
        assert!(a.starts_with("// @generated"));
    }

    #[test]
    fn multi_line_docs_become_one_attribute_per_line() {
        let tokens = quote::quote! {
            #[doc = "First line\n\n    indented\n"]
            #[derive(Debug)]
            pub struct S {
                #[doc = "one line"]
                pub f: i32,
            }
            mod m {
                #![doc = "a\nb"]
            }
        };
        let expected = quote::quote! {
            #[doc = "First line"]
            #[doc = ""]
            #[doc = "    indented"]
            #[doc = ""]
            #[derive(Debug)]
            pub struct S {
                #[doc = "one line"]
                pub f: i32,
            }
            mod m {
                #![doc = "a"]
                #![doc = "b"]
            }
        };
        assert_eq!(split_doc_lines(tokens).to_string(), expected.to_string());
    }

    #[test]
    fn generated_docs_have_no_block_comments() {
        let code = generate(&root().join(SPEC_PATH)).expect("generation");
        assert!(
            !code.contains("/**"),
            "block doc comments get re-indented by rustfmt and turn into doctests"
        );
    }

    #[test]
    fn check_passes_on_committed_code() {
        codegen(
            &root().join(SPEC_PATH),
            &root().join(GENERATED_PATH),
            Mode::Check,
        )
        .expect("the committed generated code matches the spec");
    }

    #[test]
    fn check_fails_when_the_spec_changes() {
        let dir = std::env::temp_dir().join(format!("xtask-codegen-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let spec = std::fs::read_to_string(root().join(SPEC_PATH)).expect("spec");
        let changed = spec.replace(
            "The number of assigned user seats of the tenant.",
            "The number of seats given to users of the tenant.",
        );
        assert_ne!(spec, changed, "the edit must hit the spec");
        let changed_spec = dir.join("avepoint-graph.yaml");
        std::fs::write(&changed_spec, changed).expect("write changed spec");
        let out = dir.join("generated.rs");
        std::fs::copy(root().join(GENERATED_PATH), &out).expect("copy generated file");

        let err = codegen(&changed_spec, &out, Mode::Check).expect_err("a stale file fails");
        assert!(err.to_string().contains("is stale"), "{err}");
        assert!(err.to_string().contains("generated.rs"), "{err}");

        codegen(&changed_spec, &out, Mode::Write).expect("regenerate");
        codegen(&changed_spec, &out, Mode::Check).expect("fresh file passes");
        std::fs::remove_dir_all(&dir).ok();
    }
}
