//! Unit tests of `moat pull`'s pure parts: references, layer selection,
//! tar unpacking, and placement.

mod layers;
mod place;
mod reference;
mod unpack;
