//! `avepoint completions <shell>` and `avepoint man`: generated from the command definition,
//! written to stdout (or, for the manual pages, into a directory).

mod common;

use common::{bare, run};

#[test]
fn completion_scripts_cover_the_subcommands_and_flags() {
    for (shell, marker) in [
        ("bash", "_avepoint()"),
        ("zsh", "#compdef avepoint"),
        ("fish", "complete -c avepoint"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[avepoint]"),
    ] {
        let r = run(bare().args(["completions", shell]));
        assert_eq!(r.code, Some(0), "{shell}: {}", r.stderr);
        assert!(r.stdout.contains(marker), "{shell}: no {marker}");
        for word in ["seats", "customers", "tenant-type", "max-attempts"] {
            assert!(r.stdout.contains(word), "{shell}: {word} missing");
        }
        assert_eq!(r.stderr, "", "{shell}");
    }
    let r = run(bare().args(["completions", "tcsh"]));
    assert_eq!(r.code, Some(2), "{}", r.stderr);
}

#[test]
fn the_man_page_goes_to_stdout_or_one_page_per_command_to_a_directory() {
    let r = run(bare().arg("man"));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains(".TH avepoint 1"), "{}", r.stdout);
    assert!(r.stdout.contains("seats"), "{}", r.stdout);

    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("man1");
    let r = run(bare().arg("man").arg("--out-dir").arg(&out));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.stdout, "");
    let seats = std::fs::read_to_string(out.join("avepoint-seats.1")).expect("seats page");
    assert!(seats.contains("tenant\\-type"), "{seats}");
    assert!(seats.contains("Exit codes"), "{seats}");
    for page in [
        "avepoint.1",
        "avepoint-customers.1",
        "avepoint-completions.1",
    ] {
        assert!(out.join(page).is_file(), "{page} missing");
    }
}
