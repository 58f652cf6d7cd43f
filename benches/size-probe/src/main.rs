//! Links every verification entry point so that `.text` measures the whole verifier. Built with
//! `-C link-arg=-nostartfiles` like the no_std canary; linked, never run.
#![no_std]
#![no_main]

use aauth_verify::{
    parse, render, verify_request_with_token, Header, JwtScratch, KeySource, Policy, Request,
    TokenCache,
};
use core::hint::black_box;
use core::panic::PanicInfo;

static mut SCRATCH: JwtScratch = JwtScratch::new();

/// Entry point in place of the C runtime's `_start`.
#[no_mangle]
pub extern "C" fn _start() -> ! {
    let headers: &[Header<'static>] = black_box(&[]);
    let bytes: &'static [u8] = black_box(b"");
    let req = Request {
        method: bytes,
        scheme: bytes,
        authority: bytes,
        path: bytes,
        query: black_box(None),
        headers,
        body: black_box(None),
    };
    let policy: Policy<'static> = black_box(Policy::STRICT);
    let now = black_box(0);
    let source = black_box(KeySource::Jwks {
        jwks: bytes,
        metadata: Some(bytes),
    });
    // SAFETY: single-threaded freestanding entry point; the only reference to SCRATCH.
    #[allow(static_mut_refs)]
    let scratch = unsafe { &mut SCRATCH };
    let r = verify_request_with_token(&req, &policy, None, now, scratch, source);
    let mut buf = [0u8; 256];
    if let Err(e) = r {
        black_box(render::signature_error(&e, &policy, false, &mut buf));
    }
    let mut cache = TokenCache::<8>::new();
    let mut scratch2 = JwtScratch::new();
    if let Ok(p) = parse(&req, &policy, None, now) {
        if let Ok(t) = p.token(&mut scratch2, &policy, now) {
            black_box(
                p.verify_token_cached(&req, &t, None, &mut cache, now)
                    .is_ok(),
            );
        }
    }
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
