//! `same_json`: whether two Python JSON trees serialise to the same text, for the drop-in's
//! memo of keys selected from an identical JWKS.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString};

/// How deep [`same_json`] follows nested containers before answering `False`.
const SAME_JSON_DEPTH: usize = 32;

fn same_json_at(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>, depth: usize) -> PyResult<bool> {
    if depth == 0 || !a.get_type().is(b.get_type()) {
        return Ok(false);
    }
    if a.is_none() {
        return Ok(true);
    }
    if let (Ok(x), Ok(y)) = (a.cast_exact::<PyDict>(), b.cast_exact::<PyDict>()) {
        if x.len() != y.len() {
            return Ok(false);
        }
        for ((ka, va), (kb, vb)) in x.iter().zip(y.iter()) {
            if !ka.is_exact_instance_of::<PyString>()
                || !kb.is_exact_instance_of::<PyString>()
                || !ka.eq(&kb)?
                || !same_json_at(&va, &vb, depth - 1)?
            {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    if let (Ok(x), Ok(y)) = (a.cast_exact::<PyList>(), b.cast_exact::<PyList>()) {
        if x.len() != y.len() {
            return Ok(false);
        }
        for (va, vb) in x.iter().zip(y.iter()) {
            if !same_json_at(&va, &vb, depth - 1)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    if let (Ok(x), Ok(y)) = (a.cast_exact::<PyFloat>(), b.cast_exact::<PyFloat>()) {
        return Ok(x.value().to_bits() == y.value().to_bits());
    }
    if a.is_exact_instance_of::<PyString>()
        || a.is_exact_instance_of::<PyBytes>()
        || a.is_exact_instance_of::<PyInt>()
        || a.is_exact_instance_of::<PyBool>()
    {
        return a.eq(b);
    }
    Ok(false)
}

/// Whether `a` and `b` are the same JSON document as built by `json.loads`: the same tree of
/// exactly `dict` (string keys, same order), `list`, `str`, `int`, `float` (same bits), `bool`
/// and `None`, or equal `str`/`bytes`. Subclasses, other types, `1` against `True` or `1.0`,
/// and trees deeper than 32 levels all answer `False`, so `json.dumps` of two documents this
/// accepts is the same text. Lets the drop-in reuse a key selected from an earlier, identical
/// JWKS.
#[pyfunction]
pub fn same_json(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<bool> {
    same_json_at(a, b, SAME_JSON_DEPTH)
}
