//! ML library (lands in its own change).
