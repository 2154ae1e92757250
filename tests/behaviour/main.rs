//! Behaviour across crates, in one test binary to save link time.

mod api;
mod browser;
mod cases;
mod policy;
mod store;
