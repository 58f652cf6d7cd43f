#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| aauth_verify_fuzz_bodies::documents(data));
