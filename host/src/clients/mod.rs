//! What the host knows of the clients it serves: the [`ClientLink`] one
//! plugin run answers to, and who subscribed to which changes.

mod link;
mod subscriptions;

pub use self::link::{ClientLink, InputRequired, MissingCapability};
pub use self::subscriptions::{
    MAX_PER_SESSION as MAX_SUBSCRIPTIONS_PER_SESSION, Relay, Subscriptions,
};
