//! Unit and property tests of the rules, the JSON walk and the bounds on
//! hostile input.

mod fakes;
mod hostile;
mod json;
mod props;
mod rules;
