//! no_std link canary: see `Cargo.toml`.
//!
//! Built with `cargo rustc --release -- -C link-arg=-nostartfiles` (via `make nostd`). The
//! entry point is our own `_start`, so neither libc's start files nor std's `main` shim are
//! involved; the binary is only linked, never run.
#![no_std]
#![no_main]

// Load every direct dependency of the core, used or not (see Cargo.toml).
extern crate aauth_verify_sf as _;
#[cfg(feature = "dalek")]
extern crate curve25519_dalek as _;
extern crate ed25519_compact as _;
extern crate heapless as _;
extern crate serde as _;
extern crate serde_json_core as _;
extern crate sha2 as _;

use aauth_verify::ErrorCode;
use core::panic::PanicInfo;

/// Entry point in place of the C runtime's `_start`.
#[no_mangle]
pub extern "C" fn _start() -> ! {
    // Route a value through `black_box` so that the core is really used and linked.
    let code = core::hint::black_box(ErrorCode::InvalidKey);
    let token = code.token();
    core::hint::black_box(token.len());
    loop {
        core::hint::spin_loop();
    }
}

#[panic_handler]
fn panic(_info: &PanicInfo<'_>) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
