//! Structured Field Values parser (placeholder).
