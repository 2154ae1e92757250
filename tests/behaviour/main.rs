//! Behaviour across crates, in one test binary to save link time.

mod api;
mod browser;
mod policy;
mod store;
