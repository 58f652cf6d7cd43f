//! Base64 decoders for sf-binary and the Python signer's base64url signatures (placeholder).
