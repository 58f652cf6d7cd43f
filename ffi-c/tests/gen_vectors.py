#!/usr/bin/env python3
"""Turns the shared vectors (tests/vectors/*.json) into a C header for the C test suite.

Usage: gen_vectors.py OUT.h VECTORS.json...

Every byte string becomes a `static const uint8_t[]` (with a trailing NUL that is not counted,
so that C99's 4095-character limit on string literals never applies); JSON documents (JWK,
JWKS, metadata) are serialised compactly. The output is written to the build directory and not
committed.
"""

import base64
import json
import sys

SCHEME_BITS = {
    "hwk": 1 << 1,
    "jwks_uri": 1 << 2,
    "jwks": (1 << 3) | (1 << 4),  # like the Rust suite: `jwks` admits legacy jwks too
    "legacy-jwks": 1 << 4,
    "jwt": 1 << 5,
    "jkt-jwt": 1 << 6,
    "self-jwt": 1 << 7,
    "cached": 1 << 8,
}
KEY_TYPES = {"inline": 0, "raw_ed25519": 1, "jwk": 2, "jwks": 3, "jwt_issuer": 4, "assertion": 5}
# aauth_scheme numbers, by the core's stable scheme names.
SCHEME_NUMBERS = {"hwk": 1, "jwks_uri": 2, "jwks": 3, "legacy-jwks": 4, "jwt": 5, "jkt-jwt": 6,
                  "self-jwt": 7, "cached": 8}


class Out:
    def __init__(self):
        self.blobs = []
        self.n = 0

    def blob(self, data):
        """Emits a byte array; returns a `vb` initialiser (present)."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        name = "b%d" % self.n
        self.n += 1
        body = ",".join(str(b) for b in data + b"\0")
        self.blobs.append("static const uint8_t %s[] = {%s};" % (name, body))
        return "{%s, %d, 1}" % (name, len(data))

    def opt(self, data):
        return "{NULL, 0, 0}" if data is None else self.blob(data)


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def c_string(s):
    return json.dumps(s)  # ASCII names and tokens: a JSON string is a valid C literal


def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def case_init(out, file_name, idx, case):
    req = case["request"]
    pol = case.get("policy") or {}
    key = case["key"]
    exp = case["expect"]

    headers = [
        "{%s, %s}" % (out.blob(h[0]), out.blob(h[1])) for h in req["headers"]
    ]
    hname = "h%s_%d" % (file_name, idx)
    if headers:
        out.blobs.append(
            "static const struct vec_header %s[] = {%s};" % (hname, ",".join(headers))
        )
    else:
        hname = "NULL"

    body = req.get("body")
    if isinstance(body, dict):
        body = base64.b64decode(body["base64"])

    required = pol.get("required_components")
    rname = "NULL"
    if required is not None and required:
        rname = "r%s_%d" % (file_name, idx)
        out.blobs.append(
            "static const vb %s[] = {%s};" % (rname, ",".join(out.blob(r) for r in required))
        )

    schemes = pol.get("schemes")
    bits = 0
    for s in schemes or []:
        bits |= SCHEME_BITS[s]

    revoked = pol.get("revoked") or []
    vname = "NULL"
    if revoked:
        vname = "v%s_%d" % (file_name, idx)
        out.blobs.append(
            "static const struct vec_revoked %s[] = {%s};"
            % (vname, ",".join("{%s, %s}" % (out.blob(i), out.blob(j)) for i, j in revoked))
        )

    raw = b64url(key["x"]) if key.get("x") else b"\0" * 32
    assert len(raw) == 32, case["name"]

    def doc(name):
        v = key.get(name)
        return None if v is None else compact(v)

    r = exp.get("requirement") or {}
    tok = exp.get("token") or {}
    ident = exp.get("identity")
    cache = exp.get("cache")

    def s_opt(v):
        return out.opt(v if isinstance(v, str) else None)

    def identity_fields():
        i = ident or {}
        return [s_opt(i.get(k)) for k in ("scheme", "agent", "issuer", "subject", "kid", "thumbprint")]

    fields = [
        c_string(file_name),
        c_string(case["name"]),
        out.blob(req["method"]),
        out.blob(req["scheme"]),
        out.blob(req["authority"]),
        out.blob(req["path"]),
        out.opt(req.get("query")),
        hname,
        str(len(req["headers"])),
        out.opt(body),
        "1" if pol.get("profile") == "compat" else "0",
        "1" if "window" in pol else "0",
        str(pol.get("window", 0)) + "u",
        "1" if required is not None else "0",
        rname,
        str(len(required or [])),
        "1" if "require_signature_key" in pol else "0",
        "1" if pol.get("require_signature_key") else "0",
        "1" if schemes is not None else "0",
        str(bits) + "u",
        "1" if "base64url_signatures" in pol else "0",
        "1" if pol.get("base64url_signatures") else "0",
        out.opt(pol.get("label")),
        str(pol.get("max_validity") or 0) + "u",
        "1" if pol.get("require_query") else "0",
        "1" if pol.get("require_content_digest_with_body") else "0",
        vname,
        str(len(revoked)),
        str(case["now"]),
        str(KEY_TYPES[key["type"]]),
        "{%s}" % ",".join(str(b) for b in raw),
        out.opt(doc("jwk")),
        out.opt(doc("jwks")),
        out.opt(doc("metadata")),
        s_opt(key.get("assertion")),
        str(SCHEME_NUMBERS.get(key.get("scheme"), 0)) + "u",
        "1" if exp["result"] == "ok" else "0",
        c_string(exp.get("error") or ""),
        s_opt(exp.get("label")),
        s_opt(exp.get("scheme")),
        s_opt(exp.get("thumbprint")),
        s_opt(exp.get("kid")),
        "1" if isinstance(exp.get("created"), int) else "0",
        str(exp.get("created") or 0),
        s_opt(exp.get("base")),
        "1" if "requirement" in exp and exp["requirement"] else "0",
        s_opt(r.get("scheme")),
        s_opt(r.get("id")),
        s_opt(r.get("dwk")),
        s_opt(r.get("kid")),
        s_opt(r.get("url") or r.get("jwks")),
        s_opt(r.get("cid")),
        "1" if r.get("jwt") else "0",
        s_opt(tok.get("typ")),
        s_opt(tok.get("iss")),
        s_opt(tok.get("sub")),
        "1" if ident is not None else "0",
        *identity_fields(),
        "1" if cache else "0",
        s_opt((cache or {}).get("scheme")),
        s_opt((cache or {}).get("jti")),
        str((cache or {}).get("exp") or 0),
    ]
    return "{" + ",\n  ".join(fields) + "}"


def main():
    out_path, inputs = sys.argv[1], sys.argv[2:]
    out = Out()
    cases = []
    for path in inputs:
        file_name = path.rsplit("/", 1)[-1].split(".")[0]
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        for i, case in enumerate(doc["cases"]):
            cases.append(case_init(out, file_name, i, case))
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("/* Generated by ffi-c/tests/gen_vectors.py from %s. Do not edit. */\n"
                % " ".join(inputs))
        f.write('#include "vector_types.h"\n\n')
        f.write("\n".join(out.blobs))
        f.write("\n\nstatic const struct vec_case VECTORS[] = {\n")
        f.write(",\n".join(cases))
        f.write("\n};\n#define VECTOR_COUNT (sizeof VECTORS / sizeof VECTORS[0])\n")


if __name__ == "__main__":
    main()
