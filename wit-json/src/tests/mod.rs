//! Unit and property tests of the mapping.
