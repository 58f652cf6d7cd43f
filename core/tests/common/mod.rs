// Shared by the vector-driven tests: turning a JSON case into owned request data and a policy.
// (Included with `include!` so that each test binary compiles its own copy.)

#[allow(unused_imports)]
use aauth_verify::{Header, Policy, Request, Scheme, Schemes, AAUTH_REQUIRED};
use serde_json::Value;

/// The policy a case asks for.
#[allow(dead_code)]
pub fn policy_of(p: &Value) -> Policy<'static> {
    let mut policy = match p.get("profile").and_then(Value::as_str) {
        Some("compat") => Policy::COMPAT,
        Some("strict") | None => Policy::STRICT,
        Some(other) => panic!("unknown profile {other}"),
    };
    if let Some(w) = p.get("window").and_then(Value::as_u64) {
        policy.window = w;
    }
    match p.get("required_components") {
        None | Some(Value::Null) => policy.required = AAUTH_REQUIRED,
        Some(v) => {
            let list: Vec<&'static str> = v
                .as_array()
                .expect("required_components is a list")
                .iter()
                .map(|x| &*Box::leak(x.as_str().unwrap().to_owned().into_boxed_str()))
                .collect();
            policy.required = Box::leak(list.into_boxed_slice());
        }
    }
    if let Some(b) = p.get("require_signature_key").and_then(Value::as_bool) {
        policy.require_signature_key = b;
    }
    if let Some(list) = p.get("schemes").and_then(Value::as_array) {
        let mut set = Schemes::NONE;
        for n in list {
            let n = n.as_str().unwrap();
            let sch = Scheme::from_name(n)
                .or_else(|| Scheme::ALL.into_iter().find(|s| s.token() == n))
                .unwrap_or_else(|| panic!("unknown scheme {n}"));
            set = set.with(sch);
            if sch == Scheme::Jwks {
                set = set.with(Scheme::LegacyJwks);
            }
        }
        policy.schemes = set;
    }
    if let Some(b) = p.get("base64url_signatures").and_then(Value::as_bool) {
        policy.base64url_signatures = b;
    }
    policy.max_validity = p.get("max_validity").and_then(Value::as_u64);
    policy.require_query = p.get("require_query").and_then(Value::as_bool).unwrap_or(false);
    policy.require_content_digest_with_body = p
        .get("require_content_digest_with_body")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    policy
}

/// A case's revocation list: `(iss, jti)` pairs the verifier holds as withdrawn.
#[allow(dead_code)]
#[derive(Default)]
pub struct Revoked(pub Vec<(String, String)>);

impl aauth_verify::Revocation for Revoked {
    fn is_revoked(&self, iss: aauth_verify::Text<'_>, jti: aauth_verify::Text<'_>) -> bool {
        self.0
            .iter()
            .any(|(i, j)| iss.eq_bytes(i.as_bytes()) && jti.eq_bytes(j.as_bytes()))
    }
}

/// A case's request and key material as owned bytes.
#[allow(dead_code)]
pub struct Prepared {
    pub method: Vec<u8>,
    pub scheme: Vec<u8>,
    pub authority: Vec<u8>,
    pub path: Vec<u8>,
    pub query: Option<Vec<u8>>,
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub body: Option<Vec<u8>>,
    pub label: Option<Vec<u8>>,
    pub now: i64,
    pub key_type: String,
    pub raw_x: Vec<u8>,
    pub jwk: Vec<u8>,
    pub jwks: Vec<u8>,
    pub metadata: Option<Vec<u8>>,
    /// For `key.type = "assertion"`: what the host resolves the `cid` to (`None`: a miss).
    pub assertion: Option<Vec<u8>>,
    pub assertion_scheme: Option<aauth_verify::Scheme>,
    pub revoked: Revoked,
}

#[allow(dead_code)]
impl Prepared {
    pub fn new(case: &Value) -> Prepared {
        let r = &case["request"];
        let b = |v: &Value| v.as_str().unwrap().as_bytes().to_vec();
        let body = match &r["body"] {
            Value::Null => None,
            Value::String(t) => Some(t.as_bytes().to_vec()),
            Value::Object(o) => {
                let raw = o["base64"].as_str().unwrap().as_bytes();
                let mut buf = vec![0u8; raw.len()];
                let n = aauth_verify_sf::b64::decode_sf_binary(raw, &mut buf).unwrap().len();
                buf.truncate(n);
                Some(buf)
            }
            other => panic!("bad body {other}"),
        };
        let key = &case["key"];
        let json = |v: &Value| serde_json::to_vec(v).unwrap();
        Prepared {
            method: b(&r["method"]),
            scheme: b(&r["scheme"]),
            authority: b(&r["authority"]),
            path: b(&r["path"]),
            query: r["query"].as_str().map(|q| q.as_bytes().to_vec()),
            headers: r["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| (b(&h[0]), b(&h[1])))
                .collect(),
            body,
            label: case
                .get("policy")
                .and_then(|p| p.get("label"))
                .and_then(Value::as_str)
                .map(|l| l.as_bytes().to_vec()),
            now: case["now"].as_i64().unwrap(),
            key_type: key["type"].as_str().unwrap().to_owned(),
            raw_x: key.get("x").and_then(Value::as_str).unwrap_or("").as_bytes().to_vec(),
            jwk: key.get("jwk").map(json).unwrap_or_default(),
            jwks: key.get("jwks").map(json).unwrap_or_default(),
            metadata: key.get("metadata").filter(|m| !m.is_null()).map(json),
            assertion: key
                .get("assertion")
                .and_then(Value::as_str)
                .map(|a| a.as_bytes().to_vec()),
            assertion_scheme: key
                .get("scheme")
                .and_then(Value::as_str)
                .and_then(aauth_verify::Scheme::from_name),
            revoked: Revoked(
                case.get("policy")
                    .and_then(|p| p.get("revoked"))
                    .and_then(Value::as_array)
                    .map(|l| {
                        l.iter()
                            .map(|pair| {
                                (
                                    pair[0].as_str().unwrap().to_owned(),
                                    pair[1].as_str().unwrap().to_owned(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
        }
    }

    /// The request over these bytes and `headers` (views of [`Prepared::headers`]).
    #[allow(dead_code)]
    pub fn request<'h, 'a>(&'a self, headers: &'h [Header<'a>]) -> Request<'h, 'a> {
        Request {
            method: &self.method,
            scheme: &self.scheme,
            authority: &self.authority,
            path: &self.path,
            query: self.query.as_deref(),
            headers,
            body: self.body.as_deref(),
        }
    }

    /// The headers as a fixed array of views (no allocation).
    pub fn headers_array(&self) -> [Header<'_>; 16] {
        let mut out = [Header::new(b"", b""); 16];
        for (slot, (n, v)) in out.iter_mut().zip(&self.headers) {
            *slot = Header::new(n, v);
        }
        out
    }
}

/// Runs `f` with the key source the case describes: the request's own key, a raw key or JWK
/// the host holds, or the documents it fetched (a JWKS without metadata is a trusted JWKS).
/// Allocates nothing.
#[allow(dead_code)]
impl Prepared {
    pub fn with_source<R>(
        &self,
        policy: &Policy<'_>,
        f: impl FnOnce(aauth_verify::KeySource<'_>) -> Result<R, aauth_verify::Error>,
    ) -> Result<R, aauth_verify::Error> {
        use aauth_verify::KeySource;
        match self.key_type.as_str() {
            "inline" => f(KeySource::Inline),
            "raw_ed25519" => {
                let mut x = [0u8; 32];
                let _ = aauth_verify_sf::b64::decode_base64url(&self.raw_x, &mut x);
                f(KeySource::Key(&aauth_verify::PublicKey::from_raw(x)?))
            }
            #[cfg(feature = "documents")]
            "jwk" => f(KeySource::Key(&aauth_verify::parse_jwk(
                &self.jwk,
                policy.key_rules(),
            )?)),
            // A host without JSON documents builds the key it holds from the JWK's members.
            #[cfg(not(feature = "documents"))]
            "jwk" => {
                let jwk: Value = serde_json::from_slice(&self.jwk).unwrap();
                let m = |k: &str| jwk.get(k).and_then(Value::as_str).map(str::as_bytes);
                let members = aauth_verify::JwkMembers {
                    kty: m("kty"),
                    crv: m("crv"),
                    x: m("x"),
                    y: m("y"),
                    n: m("n"),
                    e: m("e"),
                    d: m("d"),
                    alg: m("alg"),
                    kid: m("kid"),
                };
                f(KeySource::Key(&aauth_verify::key_from_members(
                    &members,
                    policy.key_rules(),
                )?))
            }
            "assertion" if self.jwks.is_empty() => f(KeySource::Inline),
            #[cfg(feature = "documents")]
            "jwks" | "jwt_issuer" | "assertion" => match &self.metadata {
                Some(m) => f(KeySource::Documents {
                    metadata: Some(m),
                    jwks: &self.jwks,
                }),
                None => f(KeySource::TrustedJwks(&self.jwks)),
            },
            #[cfg(not(feature = "documents"))]
            "jwks" | "jwt_issuer" | "assertion" => panic!("this case needs the documents feature"),
            other => panic!("unknown key type {other}"),
        }
    }

    /// Both phases over `req` (these bytes, possibly with other headers or body), with an
    /// optional token store.
    pub fn verify<'s>(
        &'s self,
        req: &Request<'_, 's>,
        policy: &Policy<'_>,
        scratch: &'s mut aauth_verify::JwtScratch,
        tokens: Option<&mut dyn aauth_verify::TokenStore>,
    ) -> Result<aauth_verify::Verified<'s>, aauth_verify::Error> {
        let mut ctx = aauth_verify::Context {
            label: self.label.as_deref(),
            tokens: match tokens {
                Some(t) => Some(t as &mut dyn aauth_verify::TokenStore),
                None => None,
            },
            revoked: Some(&self.revoked),
            ..aauth_verify::Context::at(self.now)
        };
        let parsed = aauth_verify::parse(req, policy, &ctx, Some(scratch))?;
        let parsed = self.resolve(parsed, policy, &ctx)?;
        self.with_source(policy, |src| parsed.finish(req, policy, src, &mut ctx))
    }

    /// For the `cached` scheme: the host's resolution of the `cid` (the case's assertion, or
    /// a miss); other plans pass through.
    pub fn resolve<'s>(
        &'s self,
        parsed: aauth_verify::Parsed<'s>,
        policy: &Policy<'_>,
        ctx: &aauth_verify::Context<'_>,
    ) -> Result<aauth_verify::Parsed<'s>, aauth_verify::Error> {
        if !matches!(parsed.fetch(), aauth_verify::Fetch::Assertion { .. }) {
            return Ok(parsed);
        }
        #[cfg(not(feature = "cached"))]
        let _ = (policy, ctx);
        match (&self.assertion, self.assertion_scheme) {
            #[cfg(feature = "cached")]
            (Some(a), Some(scheme)) => parsed.with_assertion(a, scheme, policy, ctx),
            _ => Err(aauth_verify::Error::cache_miss()),
        }
    }
}
