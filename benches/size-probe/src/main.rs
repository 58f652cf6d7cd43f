//! Links every verification entry point of the probe's feature set, so that `.text` measures
//! what a verifier with those features carries: `parse` and `finish` (every scheme built, with
//! the key sources a host of that build can give), a token cache and the `cached` scheme's
//! assertion step (`tokens`, `cached`), a replay store, egress admission of the
//! URLs a host fetches (`egress`), and Signature-Error rendering. Built with
//! `-C link-arg=-nostartfiles` like the no_std canary; linked, never run. Every input is opaque
//! to the optimizer (`black_box`), so no branch is dropped because its input is known.
#![no_std]
#![no_main]

#[cfg(feature = "tokens")]
use aauth_verify::JwtScratch;
use aauth_verify::{parse, render, Context, Header, KeySource, Policy, PublicKey, Request};
use core::hint::black_box;
use core::panic::PanicInfo;

#[cfg(feature = "tokens")]
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
    // A key the host holds (a trust store): every build can verify with one.
    let held = PublicKey::from_raw(black_box([0x5a; 32]));
    #[cfg(feature = "documents")]
    let source = black_box(KeySource::Documents {
        jwks: bytes,
        metadata: Some(bytes),
    });
    #[cfg(not(feature = "documents"))]
    let source = match &held {
        Ok(k) => black_box(KeySource::Key(k)),
        Err(_) => black_box(KeySource::Inline),
    };
    #[cfg(feature = "tokens")]
    let mut cache = aauth_verify::TokenCache::<8>::new();
    let mut replay = aauth_verify::ReplayCache::<8>::new();
    let mut ctx = Context {
        #[cfg(feature = "tokens")]
        tokens: Some(&mut cache),
        replay: aauth_verify::Replay::Store(&mut replay),
        ..Context::at(black_box(0))
    };
    #[cfg(feature = "tokens")]
    // SAFETY: single-threaded freestanding entry point; the only reference to SCRATCH.
    #[allow(static_mut_refs)]
    let scratch = Some(unsafe { &mut SCRATCH });
    #[cfg(not(feature = "tokens"))]
    let scratch = None;
    let mut buf = [0u8; 256];
    let r = parse(&req, &policy, &ctx, scratch).and_then(|p| {
        #[cfg(feature = "cached")]
        let p = if black_box(p.fetch().signer().is_none()) {
            p.with_assertion(bytes, aauth_verify::Scheme::Jwt, &policy, &ctx)?
        } else {
            p
        };
        p.finish(&req, &policy, source, &mut ctx).map(|_| ())
    });
    if let Err(e) = r {
        let facts = render::RequestFacts::of(&req);
        black_box(render::signature_error(&e, &policy, facts, &mut buf));
        black_box(render::problem_details(&e, 401, &mut buf));
    }
    #[cfg(feature = "egress")]
    {
        use aauth_verify::egress;
        let lists: &[&[u8]] = black_box(&[]);
        if let Ok(u) = egress::parse_url(bytes) {
            if let Ok(m) = egress::parse_url(black_box(bytes)) {
                black_box(egress::check_jwks_uri(&u, &m.origin, lists).is_ok());
            }
            black_box(egress::admit(&u.origin, lists, lists).is_ok());
        }
        black_box(egress::admit_address(black_box(core::net::IpAddr::from([0u8; 16]))).is_ok());
    }
    black_box(&held);
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
