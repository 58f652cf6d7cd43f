//! Gives `libaauth_verify.so` its SONAME, `libaauth_verify.so.<major>` (`libaauth_verify.so.0`
//! for 0.x): programs linked against it then record that name, and `make install` provides it
//! as a link to `libaauth_verify.so.<version>`. The static library is unaffected
//! (`rustc-cdylib-link-arg` applies to the cdylib only).

/// Targets whose linkers (GNU ld, gold, lld) take `-soname`.
const SONAME_OS: &[&str] = &[
    "linux",
    "android",
    "freebsd",
    "netbsd",
    "openbsd",
    "dragonfly",
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if SONAME_OS.contains(&os.as_str()) {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("set by cargo");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libaauth_verify.so.{major}");
    }
}
