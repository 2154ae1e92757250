//! Pure domain logic for healthcode.
//!
//! Nothing in this crate performs I/O, reads a clock or draws random numbers: the
//! current time and any randomness come in as arguments, so every rule here can be
//! tested without a database, a network or sleeping.

pub mod actor;
pub mod audit;
pub mod colour;
pub mod disposal;
pub mod divisions;
pub mod facts;
pub mod identity;
pub mod mask;
pub mod name_parts;
pub mod person;
pub mod policy;
pub mod retention;
pub mod role;
pub mod rule_input;
pub mod services;
#[cfg(any(test, feature = "proptest"))]
pub mod strategies;
