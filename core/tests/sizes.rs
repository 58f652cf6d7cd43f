//! The sizes of the public types that hold keys, per backend (`--nocapture` prints them): the
//! C library sizes its opaque structs from these, and the token cache multiplies
//! `ENTRY_BYTES`.
// The token cache is among the sizes.
#![cfg(feature = "tokens")]

use aauth_verify::cache::ENTRY_BYTES;
use aauth_verify::{
    CachedToken, Claims, KeyRequirement, Parsed, PublicKey, TokenCache, TokenInfo, TokenLayout,
    Verified,
};
use core::mem::size_of;

#[test]
fn sizes() {
    let backend = if cfg!(feature = "dalek") {
        "dalek"
    } else {
        "compact"
    };
    let rows = [
        ("PublicKey", size_of::<PublicKey>()),
        ("Option<PublicKey>", size_of::<Option<PublicKey>>()),
        ("CachedToken", size_of::<CachedToken>()),
        ("TokenLayout", size_of::<TokenLayout>()),
        ("ENTRY_BYTES", ENTRY_BYTES),
        ("TokenCache<32>", size_of::<TokenCache<32>>()),
        ("Claims", size_of::<Claims<'static>>()),
        ("TokenInfo", size_of::<TokenInfo<'static>>()),
        ("KeyRequirement", size_of::<KeyRequirement<'static>>()),
        ("Parsed", size_of::<Parsed<'static>>()),
        ("Verified", size_of::<Verified<'static>>()),
    ];
    for (name, n) in rows {
        println!("size {backend} {name} {n}");
    }
}
