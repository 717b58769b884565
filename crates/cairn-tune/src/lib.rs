//! Tuning engine (lands in its own change).
