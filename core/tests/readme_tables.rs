//! The root README's "Errors and profiles" tables are the crate reference's (issue 14: the
//! README's tables match SK-09 and AAuth -11): the same rows, and every error row is the
//! `ErrorCode` with that number, token and statuses.

use aauth_verify::ErrorCode;

const README: &str = include_str!("../../README.md");
const REFERENCE: &str = include_str!("../src/reference.md");

/// The table rows (lines starting with `|`) of the section that starts with `heading`, up to
/// the next line starting with `end`; crate links `[`X`](crate::…)` read as `` `X` ``.
fn rows(text: &str, heading: &str, end: &str) -> Vec<String> {
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?}"));
    let rest = &text[start + heading.len()..];
    let stop = rest.find(end).unwrap_or(rest.len());
    rest[..stop]
        .lines()
        .filter(|l| l.starts_with('|'))
        .map(unlink)
        .collect()
}

fn unlink(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find("[`") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let close = after.find("`](crate::").expect("a crate link");
        out.push_str(&after[..close + 1]);
        let tail = &after[close + 1..];
        rest = &tail[tail.find(')').expect("link end") + 1..];
    }
    out.push_str(rest);
    out
}

fn split(text: &str) -> (Vec<String>, Vec<String>) {
    let errors: Vec<String> = rows(text, "| # | Code |", "\n\n").into_iter().collect();
    let profiles = rows(text, "| | `Policy::STRICT`", "\n\n");
    (errors, profiles)
}

#[test]
fn the_readme_tables_are_the_references() {
    let reference = unlink(REFERENCE);
    let (re, rp) = split(&reference);
    let (me, mp) = split(README);
    assert_eq!(
        me, re,
        "README errors table differs from core/src/reference.md"
    );
    assert_eq!(
        mp, rp,
        "README profiles table differs from core/src/reference.md"
    );
    assert_eq!(mp.len(), 8, "the |---| line and 7 profile rows: {mp:?}");
}

#[test]
fn every_error_row_is_its_error_code() {
    let (errors, _) = split(README);
    let body: Vec<&String> = errors.iter().skip(1).collect(); // past the |---| line
    assert_eq!(body.len(), ErrorCode::ALL.len(), "one row per SK-09 code");
    for (i, (row, code)) in body.iter().zip(ErrorCode::ALL).enumerate() {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!(cells[1], (i + 1).to_string(), "{row}");
        assert_eq!(cells[2], format!("`{}`", code.token()), "{row}");
        let status = format!("{} / {}", code.status(true), code.status(false));
        assert_eq!(cells[3], status, "{row}");
    }
}
