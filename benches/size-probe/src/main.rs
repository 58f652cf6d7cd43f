//! Links every verification entry point so that `.text` measures the whole verifier. Built with
//! `-C link-arg=-nostartfiles` like the no_std canary; linked, never run.
#![no_std]
#![no_main]

use aauth_verify::{
    parse, render, Context, Header, JwtScratch, KeySource, Policy, Replay, ReplayCache, Request,
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
    let source = black_box(KeySource::Documents {
        jwks: bytes,
        metadata: Some(bytes),
    });
    let mut cache = TokenCache::<8>::new();
    let mut replay = ReplayCache::<8>::new();
    let mut ctx = Context {
        tokens: Some(&mut cache),
        replay: Replay::Store(&mut replay),
        ..Context::at(black_box(0))
    };
    // SAFETY: single-threaded freestanding entry point; the only reference to SCRATCH.
    #[allow(static_mut_refs)]
    let scratch = unsafe { &mut SCRATCH };
    let mut buf = [0u8; 256];
    let r = parse(&req, &policy, &ctx, Some(scratch))
        .and_then(|p| p.finish(&req, &policy, source, &mut ctx).map(|_| ()));
    if let Err(e) = r {
        let facts = render::RequestFacts::of(&req);
        black_box(render::signature_error(&e, &policy, facts, &mut buf));
        black_box(render::problem_details(&e, 401, &mut buf));
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
