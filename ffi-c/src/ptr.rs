//! Pointer discipline: every pointer from C is checked here (NULL, alignment, length) before a
//! reference or a slice is made from it, and outputs are written through [`write_out`] only
//! once a call has succeeded.

use crate::result::aauth_result;

/// `Err(NullParameter)` unless `p` is non-NULL.
pub(crate) fn non_null<T>(p: *const T) -> Result<*const T, aauth_result> {
    if p.is_null() {
        Err(aauth_result::NullParameter)
    } else {
        Ok(p)
    }
}

/// A shared reference from a C pointer.
///
/// # Safety
///
/// `p` is NULL or points to a valid, initialised `T` that stays valid and unmodified for `'a`.
pub(crate) unsafe fn try_ref<'a, T>(p: *const T) -> Result<&'a T, aauth_result> {
    let p = non_null(p)?;
    if !p.is_aligned() {
        return Err(aauth_result::InvalidParameter);
    }
    // SAFETY: non-NULL and aligned (checked above); validity is the caller's contract.
    Ok(unsafe { &*p })
}

/// A byte slice from a C pointer and length; `{NULL, 0}` is the empty slice.
///
/// # Safety
///
/// `data` is NULL or points to `len` readable bytes valid and unmodified for `'a`.
pub(crate) unsafe fn bytes<'a>(data: *const u8, len: usize) -> Result<&'a [u8], aauth_result> {
    if data.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(aauth_result::NullParameter)
        };
    }
    if len > isize::MAX as usize {
        return Err(aauth_result::InvalidParameter);
    }
    // SAFETY: non-NULL, `u8` needs no alignment, `len` fits `isize`; readability and
    // immutability for 'a are the caller's contract.
    Ok(unsafe { core::slice::from_raw_parts(data, len) })
}

/// An optional byte slice: `data == NULL` (with `len == 0`) is `None`.
///
/// # Safety
///
/// As for [`bytes`].
pub(crate) unsafe fn opt_bytes<'a>(
    data: *const u8,
    len: usize,
) -> Result<Option<&'a [u8]>, aauth_result> {
    if data.is_null() {
        return if len == 0 {
            Ok(None)
        } else {
            Err(aauth_result::NullParameter)
        };
    }
    // SAFETY: same contract as ours.
    unsafe { bytes(data, len) }.map(Some)
}

/// A required byte string: `data` must not be NULL (even with `len == 0`).
///
/// # Safety
///
/// As for [`bytes`].
pub(crate) unsafe fn req_bytes<'a>(data: *const u8, len: usize) -> Result<&'a [u8], aauth_result> {
    non_null(data)?;
    // SAFETY: same contract as ours.
    unsafe { bytes(data, len) }
}

/// An array of `len` `T`s; `{NULL, 0}` is the empty array.
///
/// # Safety
///
/// `data` is NULL or points to `len` valid, initialised `T`s, unmodified for `'a`.
pub(crate) unsafe fn array<'a, T>(data: *const T, len: usize) -> Result<&'a [T], aauth_result> {
    if data.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(aauth_result::NullParameter)
        };
    }
    if !data.is_aligned() || len > isize::MAX as usize / core::mem::size_of::<T>().max(1) {
        return Err(aauth_result::InvalidParameter);
    }
    // SAFETY: non-NULL, aligned, size in range (checked); readability for 'a is the caller's
    // contract.
    Ok(unsafe { core::slice::from_raw_parts(data, len) })
}

/// A mutable output buffer; `{NULL, 0}` is an empty buffer.
///
/// # Safety
///
/// `buf` is NULL or points to `len` writable bytes, not aliased during `'a`.
pub(crate) unsafe fn out_buf<'a>(buf: *mut u8, len: usize) -> Result<&'a mut [u8], aauth_result> {
    if buf.is_null() {
        return if len == 0 {
            Ok(&mut [])
        } else {
            Err(aauth_result::NullParameter)
        };
    }
    if len > isize::MAX as usize {
        return Err(aauth_result::InvalidParameter);
    }
    // SAFETY: non-NULL, byte-aligned, `len` fits `isize`; writability and exclusivity are the
    // caller's contract.
    Ok(unsafe { core::slice::from_raw_parts_mut(buf, len) })
}

/// Checks an output pointer: non-NULL and aligned.
pub(crate) fn check_out<T>(out: *mut T) -> Result<*mut T, aauth_result> {
    if out.is_null() {
        Err(aauth_result::NullParameter)
    } else if !out.is_aligned() {
        Err(aauth_result::InvalidParameter)
    } else {
        Ok(out)
    }
}

/// Writes `value` through `out` (already checked by [`check_out`]).
///
/// # Safety
///
/// `out` is non-NULL, aligned and valid for writes of a `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) {
    // SAFETY: the caller's contract; `T` is a C POD type with no drop glue.
    unsafe { out.write(value) }
}

/// Copies `src` into a caller buffer and reports its length; `InsufficientSize` (and nothing
/// written) when it does not fit.
pub(crate) fn copy_out(src: &[u8], buf: &mut [u8]) -> Result<usize, aauth_result> {
    let dst = buf
        .get_mut(..src.len())
        .ok_or(aauth_result::InsufficientSize)?;
    dst.copy_from_slice(src);
    Ok(src.len())
}

/// The shape of every call that writes a byte string into a caller buffer: checks `buf` and
/// `out_n`, runs `f` on the buffer, and writes the length `f` returns into `*out_n` (nothing on
/// failure).
///
/// # Safety
///
/// `buf` is NULL or writable for `buf_len` bytes and not aliased during the call; `out_n` is
/// NULL or writable for one `usize`.
pub(crate) unsafe fn fill(
    buf: *mut u8,
    buf_len: usize,
    out_n: *mut usize,
    f: impl FnOnce(&mut [u8]) -> Result<usize, aauth_result>,
) -> aauth_result {
    // SAFETY: our contract for `buf`.
    let buf = match unsafe { out_buf(buf, buf_len) } {
        Ok(b) => b,
        Err(e) => return e,
    };
    let out_n = match check_out(out_n) {
        Ok(p) => p,
        Err(e) => return e,
    };
    match f(buf) {
        Ok(n) => {
            // SAFETY: `out_n` is checked non-NULL and aligned; writable per our contract.
            unsafe { write_out(out_n, n) };
            aauth_result::Ok
        }
        Err(e) => e,
    }
}

/// The length of a rendered value, or `InsufficientSize` when it did not fit (`None`).
pub(crate) fn rendered(s: Option<&str>) -> Result<usize, aauth_result> {
    s.map(str::len).ok_or(aauth_result::InsufficientSize)
}
