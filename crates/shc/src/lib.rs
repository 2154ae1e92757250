//! SMART Health Cards.
