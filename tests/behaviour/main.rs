//! Behaviour across crates, in one test binary to save link time.

mod api;
mod audit;
mod browser;
mod cases;
mod certificates;
mod check_ins;
mod disposal;
mod edge;
mod lifecycle;
mod names;
mod policy;
mod regulator;
mod retention;
mod risk_areas;
mod services;
mod store;
mod workbench;
