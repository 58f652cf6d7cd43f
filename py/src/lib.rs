//! `aauth_verify._native`: the pyo3 (abi3) binding of the `aauth-verify` core.
//!
//! This crate only converts: Python hands over byte strings, the binding copies them into
//! owned buffers, releases the GIL and runs the allocation-free core over borrowed slices, then
//! turns the outcome into Python objects. The core decides everything (which key path a scheme
//! takes, who the signer is, which error a refusal is); failures raise
//! `aauth_verify.errors.VerificationError(code, detail, signature_error, number, check=,
//! refetch=)`.
//!
//! * [`policy`]: `NativePolicy`, and what the core renders from it for responses.
//! * [`request`]: `NativeRequest`, the request as owned bytes.
//! * [`key`]: `NativeKey`, the key sources `Documents` and `TrustedJwks`, `check_issuer`.
//! * [`plan`]: the fetch plan, one class per variant (`FetchNothing`, `FetchMetadata`, ...).
//! * [`verify`]: `parse` (phase 1) → `Pending` → `Pending.finish` (phase 2), or
//!   `Pending.finish_before_body` → `Deferred` → `Deferred.complete(body)`.
//! * [`result`]: the fields of `Verified`, `ReplayKey`, `CacheGrant`, `Issued`.
//! * [`store`]: the verified-token store and the scratch-buffer pool.
//! * [`error`]: `VerificationError`, check names, Problem Details.
//! * [`egress`]: the core's egress admission, for the resolvers.

use pyo3::prelude::*;

mod egress;
mod error;
mod key;
mod plan;
mod policy;
mod request;
mod result;
mod same_json;
mod store;
mod verify;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<policy::NativePolicy>()?;
    m.add_class::<request::NativeRequest>()?;
    m.add_class::<key::NativeKey>()?;
    m.add_class::<key::Documents>()?;
    m.add_class::<key::TrustedJwks>()?;
    m.add_class::<store::NativeTokenCache>()?;
    m.add_class::<plan::FetchNothing>()?;
    m.add_class::<plan::FetchCallerKey>()?;
    m.add_class::<plan::FetchMetadata>()?;
    m.add_class::<plan::FetchJwks>()?;
    m.add_class::<plan::FetchAssertion>()?;
    m.add_class::<verify::Pending>()?;
    m.add_class::<verify::NativeDeferred>()?;
    m.add_class::<result::TokenClaims>()?;
    m.add_class::<result::NativeReplayKey>()?;
    m.add_class::<result::NativeCacheGrant>()?;
    m.add_class::<result::NativeIssued>()?;
    m.add_function(wrap_pyfunction!(verify::parse, m)?)?;
    m.add_function(wrap_pyfunction!(verify::signature_base, m)?)?;
    m.add_function(wrap_pyfunction!(verify::counters, m)?)?;
    m.add_function(wrap_pyfunction!(key::check_issuer, m)?)?;
    m.add_function(wrap_pyfunction!(key::key_allowed, m)?)?;
    m.add_function(wrap_pyfunction!(error::error_codes, m)?)?;
    m.add_function(wrap_pyfunction!(error::checks, m)?)?;
    m.add_function(wrap_pyfunction!(error::status_for, m)?)?;
    m.add_function(wrap_pyfunction!(error::problem_details, m)?)?;
    m.add_function(wrap_pyfunction!(same_json::same_json, m)?)?;
    egress::register(m)?;
    m.add("CORE_VERSION", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
