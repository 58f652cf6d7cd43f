//! Errors: one small `Copy` type, [`Error`], pairing the spec's error code ([`ErrorCode`], the
//! `Signature-Error` token) with the check that failed ([`Check`], a stable enum with a short
//! English description).
//!
//! Bindings branch on [`Error::code`] (what the client is told) and, where they need to know
//! *which* check failed, on [`Error::check`]; never on the English text.
//!
//! Spec: draft-hardt-httpbis-signature-key-09 §5.4 (error codes), §9.4.1 (the registry of 14);
//! AAuth §Verification.

use core::fmt;

/// The `Signature-Error` `error` token that a verification failure maps to: the 14 codes of the
/// draft-09 registry.
///
/// The numeric values are stable: they are part of the C ABI and never change once released;
/// new codes are added at the end.
///
/// Spec: draft-hardt-httpbis-signature-key-09 §5.4, §9.4.1; AAuth §HTTP Message Signatures
/// Profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum ErrorCode {
    /// The request is malformed in a way unrelated to the signature (a covered component that
    /// cannot be produced, a malformed `Signature-Input` or `Signature-Key` field).
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §5.4.6.
    InvalidRequest = 1,
    /// The covered components miss one the verifier requires (`required_input` lists them).
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §5.4.5.
    InvalidInput = 2,
    /// The signature is missing (any of the three headers), malformed, stale, expired,
    /// replayed, or does not verify.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §5.4.4.
    InvalidSignature = 3,
    /// `created`, or a JWT `iat`, lies further in the future than the window allows.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §5.4.14.
    ClockSkew = 4,
    /// The `Signature-Key` scheme is unknown or not accepted here.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §5.4.2.
    UnsupportedScheme = 5,
    /// The key's algorithm is well formed but not supported (only Ed25519 is).
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §5.4.1.
    UnsupportedAlgorithm = 6,
    /// The key material is malformed, forbidden, or does not meet the trust requirements.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §5.4.7.
    InvalidKey = 7,
    /// No key with the named `kid` is known for the signer (after one refetch).
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §5.4.8.
    UnknownKey = 8,
    /// A key-carrying JWT is malformed or its signature does not verify.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §5.4.11.
    InvalidJwt = 9,
    /// A key-carrying JWT is well formed but expired.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §5.4.12.
    ExpiredJwt = 10,
    /// The signer's metadata document has no `issuer`.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §5.4.9.
    IssuerMissing = 11,
    /// The signer's metadata `issuer` differs from the identifier it was fetched for.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §5.4.10.
    IssuerMismatch = 12,
    /// A JWT verifies and has not expired, but its issuer withdrew it.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §5.4.13.
    RevokedJwt = 13,
    /// A `cached` scheme's cache identifier could not be resolved (unknown or evicted).
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §5.4.3.
    CacheMiss = 14,
}

impl ErrorCode {
    /// Every code, in numeric order.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §9.4.1.
    pub const ALL: [ErrorCode; 14] = [
        ErrorCode::InvalidRequest,
        ErrorCode::InvalidInput,
        ErrorCode::InvalidSignature,
        ErrorCode::ClockSkew,
        ErrorCode::UnsupportedScheme,
        ErrorCode::UnsupportedAlgorithm,
        ErrorCode::InvalidKey,
        ErrorCode::UnknownKey,
        ErrorCode::InvalidJwt,
        ErrorCode::ExpiredJwt,
        ErrorCode::IssuerMissing,
        ErrorCode::IssuerMismatch,
        ErrorCode::RevokedJwt,
        ErrorCode::CacheMiss,
    ];

    /// The token as it appears in `Signature-Error: error=<token>`.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §5.1, §5.4.
    pub const fn token(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::InvalidSignature => "invalid_signature",
            ErrorCode::ClockSkew => "clock_skew",
            ErrorCode::UnsupportedScheme => "unsupported_scheme",
            ErrorCode::UnsupportedAlgorithm => "unsupported_algorithm",
            ErrorCode::InvalidKey => "invalid_key",
            ErrorCode::UnknownKey => "unknown_key",
            ErrorCode::InvalidJwt => "invalid_jwt",
            ErrorCode::ExpiredJwt => "expired_jwt",
            ErrorCode::IssuerMissing => "issuer_missing",
            ErrorCode::IssuerMismatch => "issuer_mismatch",
            ErrorCode::RevokedJwt => "revoked_jwt",
            ErrorCode::CacheMiss => "cache_miss",
        }
    }

    /// The Problem Details `title` for this code (a short English sentence).
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §5.2; RFC 9457 §3.1.3.
    pub const fn title(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "Invalid request",
            ErrorCode::InvalidInput => "Required components not covered",
            ErrorCode::InvalidSignature => "Invalid signature",
            ErrorCode::ClockSkew => "Clock skew",
            ErrorCode::UnsupportedScheme => "Unsupported Signature-Key scheme",
            ErrorCode::UnsupportedAlgorithm => "Unsupported signature algorithm",
            ErrorCode::InvalidKey => "Invalid key",
            ErrorCode::UnknownKey => "Unknown key",
            ErrorCode::InvalidJwt => "Invalid JWT",
            ErrorCode::ExpiredJwt => "Expired JWT",
            ErrorCode::IssuerMissing => "Issuer missing from metadata",
            ErrorCode::IssuerMismatch => "Issuer mismatch",
            ErrorCode::RevokedJwt => "Revoked JWT",
            ErrorCode::CacheMiss => "Cache miss",
        }
    }

    /// Whether the client can recover by sending the request again differently (another
    /// scheme, algorithm, covered components, a full assertion, or the same one later): these
    /// are the codes SK-09 allows to answer with 401 where it otherwise uses 400.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §5 (401 for recoverable errors), §5.4.2,
    /// §5.4.3, §5.4.14.
    pub const fn is_recoverable(self) -> bool {
        matches!(
            self,
            ErrorCode::UnsupportedAlgorithm
                | ErrorCode::UnsupportedScheme
                | ErrorCode::InvalidInput
                | ErrorCode::CacheMiss
                | ErrorCode::ClockSkew
        )
    }

    /// The HTTP status to answer with: 401 always under AAuth (`aauth_status = true`), else
    /// 401 for the recoverable codes and 400 for the others.
    ///
    /// Spec: AAuth §Verification (every failure is a 401); draft-hardt-httpbis-signature-key-09
    /// §5.
    pub const fn status(self, aauth_status: bool) -> u16 {
        if aauth_status || self.is_recoverable() {
            401
        } else {
            400
        }
    }

    /// Parses a token back into a code (`None` for an unknown token).
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §9.4.1.
    pub fn from_token(token: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.token() == token)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.token())
    }
}

macro_rules! checks {
    ($( $(#[$meta:meta])* $name:ident = $n:literal, $snake:literal => $detail:literal, )*) => {
        /// Which check failed: a stable, non-text reason for every refusal.
        ///
        /// The numbers are stable (the C API reports them); new checks are added with new
        /// numbers. [`Check::detail`] is the English description (stable enough to log, not to
        /// match on: match on the variant).
        ///
        /// Spec: RFC 9421 §3.2 (verification steps); draft-hardt-httpbis-signature-key-09
        /// §3, §5.4, §7; AAuth §Verification.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u16)]
        #[non_exhaustive]
        pub enum Check {
            $( $(#[$meta])* #[doc = $detail] $name = $n, )*
        }

        impl Check {
            /// Every check, in numeric order.
            ///
            /// Spec: draft-hardt-httpbis-signature-key-09 §5.4.
            pub const ALL: &'static [Check] = &[$(Check::$name,)*];

            /// A short English description of the check (never request bytes; safe to log).
            ///
            /// Spec: draft-hardt-httpbis-signature-key-09 §5.4.
            pub const fn detail(self) -> &'static str {
                match self {
                    $( Check::$name => $detail, )*
                }
            }

            /// The check's stable snake-case name (`SignatureInvalid` → `"signature_invalid"`):
            /// what the bindings report and accept, as stable as the number.
            ///
            /// Spec: draft-hardt-httpbis-signature-key-09 §5.4.
            pub const fn name(self) -> &'static str {
                match self {
                    $( Check::$name => $snake, )*
                }
            }

            /// The check named `name` ([`Check::name`]), if there is one.
            ///
            /// Spec: draft-hardt-httpbis-signature-key-09 §5.4.
            pub fn from_name(name: &str) -> Option<Check> {
                Check::ALL.iter().copied().find(|c| c.name() == name)
            }

            /// The check numbered `n`, if there is one.
            ///
            /// Spec: draft-hardt-httpbis-signature-key-09 §5.4.
            pub fn from_u16(n: u16) -> Option<Check> {
                Check::ALL.iter().copied().find(|c| *c as u16 == n)
            }
        }
    };
}

checks! {
    // --- the three headers ------------------------------------------------------------------
    SignatureInputMissing = 1, "signature_input_missing" => "Signature-Input header is missing",
    SignatureMissing = 2, "signature_missing" => "Signature header is missing",
    SignatureKeyMissing = 3, "signature_key_missing" => "Signature-Key header is missing",
    HeaderTooLarge = 4, "header_too_large" => "a signature header exceeds the size limit",
    SignatureInputMalformed = 5, "signature_input_malformed" => "Signature-Input is not a valid dictionary",
    SignatureInputNotInnerList = 6, "signature_input_not_inner_list" => "Signature-Input member is not an inner list",
    TooManyLabels = 7, "too_many_labels" => "too many signatures in Signature-Input",
    LabelNotFound = 8, "label_not_found" => "Signature-Input has no member for the label",
    NoSignature = 9, "no_signature" => "Signature-Input has no signature",
    ChooseLabel = 10, "choose_label" => "several signatures: choose a label",
    SignatureMalformed = 11, "signature_malformed" => "Signature is not a valid dictionary",
    SignatureLabelMissing = 12, "signature_label_missing" => "Signature has no member for the label",
    SignatureNotByteSequence = 13, "signature_not_byte_sequence" => "Signature member is not a byte sequence",
    SignatureBadEncoding = 14, "signature_bad_encoding" => "Signature is not valid base64 of 64 bytes",
    // --- signature parameters -------------------------------------------------------------
    ParamNotInteger = 20, "param_not_integer" => "signature parameter is not an integer",
    ParamNotString = 21, "param_not_string" => "signature parameter is not a string",
    TooManyParams = 22, "too_many_params" => "too many signature parameters",
    CreatedMissing = 23, "created_missing" => "created is missing",
    CreatedInFuture = 24, "created_in_future" => "created is in the future beyond the window",
    CreatedTooOld = 25, "created_too_old" => "created is older than the window",
    Expired = 26, "expired" => "the signature has expired",
    ExpiresBeforeCreated = 27, "expires_before_created" => "expires is before created",
    ValidityTooLong = 28, "validity_too_long" => "expires is further after created than the policy allows",
    AlgNotEd25519 = 29, "alg_not_ed25519" => "only ed25519 signatures are supported",
    KeyidMismatch = 30, "keyid_mismatch" => "keyid does not name the Signature-Key key",
    // --- covered components ---------------------------------------------------------------
    TooManyComponents = 40, "too_many_components" => "too many covered components",
    ComponentTwice = 41, "component_twice" => "a component is covered twice",
    RequiredNotCovered = 42, "required_not_covered" => "a required component is not covered",
    AuthorizationNotCovered = 43, "authorization_not_covered" => "authorization is present but not covered",
    BodyNotCovered = 44, "body_not_covered" => "the body is not covered by content-digest",
    QueryNotCovered = 45, "query_not_covered" => "the query is not covered by @query or @query-param",
    StatusInRequest = 46, "status_in_request" => "\"@status\" is covered in a request",
    SignatureParamsListed = 47, "signature_params_listed" => "\"@signature-params\" is listed as a component",
    UnknownDerived = 48, "unknown_derived" => "unknown derived component",
    ComponentNotString = 49, "component_not_string" => "component identifier is not a string",
    ComponentEscape = 50, "component_escape" => "component identifier contains an escape",
    ComponentEmpty = 51, "component_empty" => "empty component identifier",
    FieldNameNotLowercase = 52, "field_name_not_lowercase" => "field name is not a lowercase token",
    ComponentParamRepeated = 53, "component_param_repeated" => "component identifier has repeated parameters",
    QueryParamNameNotString = 54, "query_param_name_not_string" => "@query-param name is not a string",
    ComponentParamUnsupported = 55, "component_param_unsupported" => "unsupported component parameter",
    ReqParamInRequest = 56, "req_param_in_request" => "\"req\" component parameter in a request",
    TrailerParam = 57, "trailer_param" => "\"tr\" component parameter: request trailers are not available",
    ComponentParamUnknown = 58, "component_param_unknown" => "unknown component parameter",
    QueryParamNoName = 59, "query_param_no_name" => "@query-param without a name parameter",
    FieldMissing = 60, "field_missing" => "a covered header field is missing from the request",
    MethodEmpty = 61, "method_empty" => "empty method",
    AuthorityEmpty = 62, "authority_empty" => "empty authority",
    QueryParamRepeated = 63, "query_param_repeated" => "@query-param names a repeated parameter",
    QueryParamAbsent = 64, "query_param_absent" => "@query-param names a parameter absent from the query",
    FieldValueBytes = 65, "field_value_bytes" => "covered field value has control or non-ASCII bytes",
    DerivedBytes = 66, "derived_bytes" => "derived component has whitespace, control or non-ASCII bytes",
    SfAndBs = 67, "sf_and_bs" => "\"sf\" and \"bs\" are both set on a component",
    FieldNotStructured = 68, "field_not_structured" => "a component with \"sf\" or \"key\" is not a valid structured field",
    KeyMemberMissing = 69, "key_member_missing" => "the \"key\" member is not in the dictionary field",
    BaseTooLarge = 70, "base_too_large" => "signature base does not fit the buffer",
    // --- Content-Digest -------------------------------------------------------------------
    DigestMalformed = 80, "digest_malformed" => "Content-Digest is not a valid dictionary",
    DigestNotByteSequence = 81, "digest_not_byte_sequence" => "Content-Digest value is not a byte sequence",
    DigestBadEncoding = 82, "digest_bad_encoding" => "Content-Digest value is not valid base64",
    DigestMismatch = 83, "digest_mismatch" => "Content-Digest does not match the body",
    DigestNoAlgorithm = 84, "digest_no_algorithm" => "Content-Digest has no supported algorithm",
    BodyMissing = 85, "body_missing" => "content-digest is covered but the host did not supply the body",
    // --- Signature-Key --------------------------------------------------------------------
    SignatureKeyMalformed = 100, "signature_key_malformed" => "Signature-Key is not a valid dictionary",
    SignatureKeyNotItem = 101, "signature_key_not_item" => "Signature-Key member is not an item",
    SignatureKeyNotToken = 102, "signature_key_not_token" => "Signature-Key member is not a scheme token",
    LegacyMalformed = 103, "legacy_malformed" => "legacy Signature-Key does not parse",
    LegacyNoScheme = 104, "legacy_no_scheme" => "legacy Signature-Key without scheme",
    SignatureKeyLabelMissing = 105, "signature_key_label_missing" => "Signature-Key has no member for the signature's label",
    SchemeUnknown = 106, "scheme_unknown" => "Signature-Key scheme is not supported",
    SchemeNotAllowed = 107, "scheme_not_allowed" => "Signature-Key scheme is not allowed by policy",
    ParamWrongType = 108, "param_wrong_type" => "Signature-Key parameter has the wrong type",
    HwkEscape = 109, "hwk_escape" => "hwk parameter contains an escape",
    HwkKid = 110, "hwk_kid" => "hwk key carries a kid",
    ParamMissing = 111, "param_missing" => "a required Signature-Key parameter is missing",
    LegacyJwksStrict = 112, "legacy_jwks_strict" => "jwks without url (legacy jwks needs compatibility mode)",
    LegacyJwksBoth = 113, "legacy_jwks_both" => "legacy jwks needs exactly one of jwks and id",
    IdentifierForm = 114, "identifier_form" => "the signer identifier is not an http(s) origin",
    UrlForm = 115, "url_form" => "the key URL is not an http(s) URL without userinfo or fragment",
    DwkForm = 116, "dwk_form" => "dwk is not a well-known document name",
    TextTooLong = 117, "text_too_long" => "a Signature-Key or JWT identifier is too long",
    NoTokenScratch = 118, "no_token_scratch" => "the host gave no token buffer, so token schemes are not available",
    CidForm = 119, "cid_form" => "cid is not a cache identifier this verifier issues",
    SchemeNotBuilt = 120, "scheme_not_built" => "this build of the verifier does not include the Signature-Key scheme",
    // --- keys -----------------------------------------------------------------------------
    KeySmallOrder = 130, "key_small_order" => "Ed25519 key is a small-order point",
    KeyNotPoint = 131, "key_not_point" => "Ed25519 key is not a valid point encoding",
    JwkAlgInconsistent = 132, "jwk_alg_inconsistent" => "JWK alg is inconsistent with kty/crv",
    JwkX = 133, "jwk_x" => "JWK x is not 32 bytes of unpadded base64url",
    JwkPrivate = 134, "jwk_private" => "JWK contains the private member d",
    JwkKtyMissing = 135, "jwk_kty_missing" => "JWK kty missing",
    JwkSymmetric = 136, "jwk_symmetric" => "symmetric (oct) keys are forbidden",
    JwkAlgNone = 137, "jwk_alg_none" => "JWK alg none is forbidden",
    JwkHmac = 138, "jwk_hmac" => "HMAC algorithms are forbidden",
    JwkEdDsa = 139, "jwk_ed_dsa" => "JWK alg EdDSA is not allowed (use Ed25519)",
    JwkCrvMissing = 140, "jwk_crv_missing" => "JWK crv missing",
    JwkAlgMissing = 141, "jwk_alg_missing" => "JWK alg missing",
    JwkXMissing = 142, "jwk_x_missing" => "JWK x missing",
    Ed448 = 143, "ed448" => "Ed448 keys are not supported",
    KeyAgreement = 144, "key_agreement" => "key-agreement (X25519/X448) keys cannot sign",
    JwkCrvUnknown = 145, "jwk_crv_unknown" => "JWK crv unknown",
    EcIncomplete = 146, "ec_incomplete" => "EC JWK lacks x or y",
    Ecdsa = 147, "ecdsa" => "ECDSA keys are not supported",
    RsaIncomplete = 148, "rsa_incomplete" => "RSA JWK lacks n or e",
    Rsa = 149, "rsa" => "RSA keys are not supported",
    MlDsa = 150, "ml_dsa" => "ML-DSA (AKP) keys are not supported",
    JwkKtyUnknown = 151, "jwk_kty_unknown" => "JWK kty unknown",
    JwkDuplicate = 152, "jwk_duplicate" => "JWK has a duplicate member",
    JwkNotString = 153, "jwk_not_string" => "JWK member is not a string",
    JsonTooLarge = 154, "json_too_large" => "JSON document too large",
    JsonTooDeep = 155, "json_too_deep" => "JSON document nested too deeply",
    JsonMalformed = 156, "json_malformed" => "malformed JSON document",
    KidNotInJwks = 157, "kid_not_in_jwks" => "no JWKS key has the requested kid",
    JwksKidDuplicate = 158, "jwks_kid_duplicate" => "the JWKS has two usable keys with the requested kid",
    NoKeySupplied = 159, "no_key_supplied" => "the signature's key is not inline and none was supplied",
    MetadataNotSupplied = 160, "metadata_not_supplied" => "the scheme needs the signer's metadata document",
    NoKidToSelect = 161, "no_kid_to_select" => "no kid or keyid to select a key by",
    WrongSource = 162, "wrong_source" => "this key source does not fit the signature's scheme",
    // --- metadata -------------------------------------------------------------------------
    MetadataTooLarge = 170, "metadata_too_large" => "metadata document too large",
    MetadataTooDeep = 171, "metadata_too_deep" => "metadata document nested too deeply",
    MetadataMalformed = 172, "metadata_malformed" => "malformed metadata document",
    MetadataDuplicate = 173, "metadata_duplicate" => "metadata document has a duplicate member",
    IssuerNotString = 174, "issuer_not_string" => "metadata issuer is not a string",
    JwksUriNotString = 175, "jwks_uri_not_string" => "metadata jwks_uri missing or not a string",
    MetadataControl = 176, "metadata_control" => "metadata member contains a control character",
    IssuerAbsent = 177, "issuer_absent" => "metadata has no issuer",
    IssuerDiffers = 178, "issuer_differs" => "metadata issuer differs from the identifier",
    JwksUriCrossOrigin = 179, "jwks_uri_cross_origin" => "metadata jwks_uri is on another origin",
    // --- tokens ---------------------------------------------------------------------------
    JwtMemberType = 190, "jwt_member_type" => "a JWT string member has another type",
    JwtKeyInvalid = 191, "jwt_key_invalid" => "a key inside the JWT is invalid",
    JwtTooLong = 192, "jwt_too_long" => "JWT is too long",
    JwtNotThreeParts = 193, "jwt_not_three_parts" => "JWT is not three dot-separated parts",
    JwtHeaderBase64 = 194, "jwt_header_base64" => "JWT header is not base64url",
    JwtPayloadBase64 = 195, "jwt_payload_base64" => "JWT payload is not base64url",
    JwtHeaderJson = 196, "jwt_header_json" => "JWT header is not a JSON object",
    JwtHeaderDuplicate = 197, "jwt_header_duplicate" => "JWT header has a duplicate member",
    JwtCrit = 198, "jwt_crit" => "JWT header has crit",
    JwtAlgMissing = 199, "jwt_alg_missing" => "JWT header has no alg",
    JwtEdDsa = 200, "jwt_ed_dsa" => "JWT alg EdDSA is accepted only in compatibility mode",
    JwtAlgForbidden = 201, "jwt_alg_forbidden" => "JWT alg is forbidden",
    JwtAlgUnsupported = 202, "jwt_alg_unsupported" => "JWT alg is not supported",
    JwtTypMissing = 203, "jwt_typ_missing" => "JWT header has no typ",
    JwtClaimsJson = 204, "jwt_claims_json" => "JWT claims are not a JSON object",
    JwtClaimsDuplicate = 205, "jwt_claims_duplicate" => "JWT claims have a duplicate member",
    JwtCnfNoJwk = 206, "jwt_cnf_no_jwk" => "JWT cnf has no jwk",
    JwtSignatureEncoding = 207, "jwt_signature_encoding" => "JWT signature is not 64 bytes of base64url",
    JwtControl = 208, "jwt_control" => "a JWT string member contains a control character",
    JwtTypNotAccepted = 209, "jwt_typ_not_accepted" => "JWT typ is not accepted by policy",
    JwtTypNotAgent = 210, "jwt_typ_not_agent" => "JWT typ names another AAuth token (auth or person token)",
    JwtNoCnf = 211, "jwt_no_cnf" => "JWT has no cnf.jwk",
    JwtNoIssuerRef = 212, "jwt_no_issuer_ref" => "JWT lacks iss, dwk or header kid to find its issuer key",
    JktTyp = 213, "jkt_typ" => "jkt-jwt typ must be jkt-s256+jwt or jkt-s512+jwt",
    JktNoJwk = 214, "jkt_no_jwk" => "jkt-jwt header has no jwk",
    JktNoIss = 215, "jkt_no_iss" => "jkt-jwt has no iss",
    JktThumbprint = 216, "jkt_thumbprint" => "jkt-jwt iss is not the thumbprint URN of its header key",
    JktSub = 217, "jkt_sub" => "jkt-jwt must not carry sub",
    JtiWithoutCache = 218, "jti_without_cache" => "jkt-jwt carries jti without ;cache",
    CacheWithoutJti = 219, "cache_without_jti" => "a token presented with ;cache has no jti",
    SelfJwtCnf = 220, "self_jwt_cnf" => "self-jwt must not carry cnf",
    JwtNoExp = 221, "jwt_no_exp" => "JWT has no exp",
    JwtNoIat = 222, "jwt_no_iat" => "JWT has no iat",
    JwtExpired = 223, "jwt_expired" => "JWT has expired",
    JwtIatFuture = 224, "jwt_iat_future" => "JWT iat is further in the future than the window",
    JwtNbf = 225, "jwt_nbf" => "JWT is not valid yet (nbf)",
    JwtAlgKeyMismatch = 226, "jwt_alg_key_mismatch" => "JWT alg disagrees with the alg of the key that verifies it",
    JwtEscape = 227, "jwt_escape" => "the JWT contains an escape",
    JwtIssuerKeyMissing = 228, "jwt_issuer_key_missing" => "the JWT issuer key was not supplied",
    JwtSignature = 229, "jwt_signature" => "the JWT signature does not verify",
    Revoked = 230, "revoked" => "the JWT was withdrawn by its issuer",
    // --- verification ---------------------------------------------------------------------
    SignatureInvalid = 240, "signature_invalid" => "the Ed25519 signature does not verify",
    Replayed = 241, "replayed" => "the signature was replayed (seen before within its validity)",
    ReplayStoreUnavailable = 242, "replay_store_unavailable" => "the replay store could not be consulted",
    CacheMissed = 243, "cache_missed" => "the cache identifier is unknown or was evicted",
    NoAssertion = 244, "no_assertion" => "the cached scheme needs the resolved assertion",
    // --- egress admission (the host's fetches) --------------------------------------------
    UrlBytes = 260, "url_bytes" => "the URL is not ASCII, is too long, or holds a byte it may not",
    UrlScheme = 261, "url_scheme" => "the URL scheme is not https or http (lowercase)",
    UrlHost = 262, "url_host" => "the URL host is malformed, not lowercase, or an ambiguous numeric form",
    UrlPort = 263, "url_port" => "the URL port is not 1-65535 in decimal, or is the scheme's default",
    UrlUserinfo = 264, "url_userinfo" => "the URL carries userinfo",
    UrlFragment = 265, "url_fragment" => "the URL has a fragment",
    UrlPath = 266, "url_path" => "the URL has no path, or a dot segment",
    PatternForm = 267, "pattern_form" => "an allowlist pattern is not host, *.suffix or *, each with an optional :port",
    AddressNotPublic = 268, "address_not_public" => "the destination is not a public address",
    HttpNotListed = 269, "http_not_listed" => "plain http to a host the deployment does not list (https required)",
    /// The host could not obtain the signer's keys (a fetch failed, was refused by egress
    /// admission, or found nothing): `unknown_key` reported by the host, not by a check here.
    KeyUnavailable = 270, "key_unavailable" => "the signer's keys could not be obtained",
    /// A refusal the host made itself, by its own policy, under one of the codes.
    HostRefused = 271, "host_refused" => "refused by the host's policy",
    /// The request has more header lines than the host's interface carries.
    TooManyHeaderLines = 272, "too_many_header_lines" => "the request has more header lines than accepted",
    /// The request target contains `#` (RFC 9112 §3.2: no fragment in a request target).
    FragmentInTarget = 273, "fragment_in_target" => "the request target contains a fragment",
}

/// A verification failure: the spec's error code and the check that failed. `Copy`,
/// allocation-free, and safe to log (it never contains request bytes).
///
/// Spec: draft-hardt-httpbis-signature-key-09 §5.4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    /// The `Signature-Error` token.
    pub code: ErrorCode,
    /// Which check failed.
    pub check: Check,
    /// The key came from the host (a fetched or cached JWKS, a resolved key) and either did not
    /// hold the requested `kid` or did not verify: refetching the signer's keys once may help
    /// (key rotation, silent re-keying). Never set for keys the request carries.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §5.4.8, §7.2.
    pub refetch: bool,
}

impl Error {
    /// An error from a code and the check that failed.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §5.4.
    pub const fn new(code: ErrorCode, check: Check) -> Error {
        Error {
            code,
            check,
            refetch: false,
        }
    }

    /// A refusal the host makes itself, outside the core's checks (its resolver failed, its
    /// own policy refused), under `code`: `unknown_key` is [`Check::KeyUnavailable`],
    /// `cache_miss` [`Check::CacheMissed`], `revoked_jwt` [`Check::Revoked`], anything else
    /// [`Check::HostRefused`].
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §5.4 (the codes), §7.2 (key retrieval).
    pub const fn from_host(code: ErrorCode) -> Error {
        let check = match code {
            ErrorCode::UnknownKey => Check::KeyUnavailable,
            ErrorCode::CacheMiss => Check::CacheMissed,
            ErrorCode::RevokedJwt => Check::Revoked,
            _ => Check::HostRefused,
        };
        Error::new(code, check)
    }

    /// `cache_miss`: what a host answers when it cannot resolve a `cached` scheme's identifier.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §5.4.3, §6.1 (resolution stage).
    pub const fn cache_miss() -> Error {
        Error::new(ErrorCode::CacheMiss, Check::CacheMissed)
    }

    /// The short English description of the failed check.
    ///
    /// Spec: draft-hardt-httpbis-signature-key-09 §5.4.
    pub const fn detail(&self) -> &'static str {
        self.check.detail()
    }

    /// This error, marked as one that a refetch of the signer's keys may cure.
    pub(crate) const fn refetchable(self) -> Error {
        Error {
            refetch: true,
            ..self
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.token(), self.check.detail())
    }
}

impl core::error::Error for Error {}

/// Shorthand used across the crate.
pub(crate) const fn err(code: ErrorCode, check: Check) -> Error {
    Error::new(code, check)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_distinct_and_round_trip() {
        for (i, a) in Check::ALL.iter().enumerate() {
            assert_eq!(Check::from_u16(*a as u16), Some(*a));
            assert!(!a.detail().is_empty());
            for b in &Check::ALL[i + 1..] {
                assert_ne!(*a as u16, *b as u16, "{a:?} and {b:?} share a number");
            }
        }
        for c in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_token(c.token()), Some(c));
        }
        assert_eq!(
            ErrorCode::ALL.len(),
            14,
            "the draft-09 registry has 14 codes"
        );
    }

    /// Every check's name is its variant in snake case, unique, and maps back.
    #[test]
    fn check_names() {
        use core::fmt::Write as _;
        /// The `Debug` name, snake-cased as it is written (no allocation: a fixed buffer).
        struct Snake([u8; 64], usize);
        impl core::fmt::Write for Snake {
            fn write_str(&mut self, s: &str) -> core::fmt::Result {
                for ch in s.bytes() {
                    if ch.is_ascii_uppercase() && self.1 > 0 {
                        *self.0.get_mut(self.1).ok_or(core::fmt::Error)? = b'_';
                        self.1 += 1;
                    }
                    *self.0.get_mut(self.1).ok_or(core::fmt::Error)? = ch.to_ascii_lowercase();
                    self.1 += 1;
                }
                Ok(())
            }
        }
        for c in Check::ALL {
            let mut want = Snake([0; 64], 0);
            write!(want, "{c:?}").unwrap();
            assert_eq!(c.name().as_bytes(), &want.0[..want.1]);
            assert_eq!(Check::from_name(c.name()), Some(*c));
            assert_eq!(Check::from_u16(*c as u16), Some(*c));
        }
        assert_eq!(Check::from_name("no_such_check"), None);
    }

    #[test]
    fn statuses() {
        assert_eq!(ErrorCode::InvalidSignature.status(true), 401);
        assert_eq!(ErrorCode::InvalidSignature.status(false), 400);
        assert_eq!(ErrorCode::UnsupportedScheme.status(false), 401);
        assert_eq!(ErrorCode::CacheMiss.status(false), 401);
    }
}
