//! Properties over arbitrary types and values (proptest, 256 cases each).

use proptest::collection::vec;
use proptest::prelude::*;

use super::near::json_near;
use super::strategies::{any_type, typed_value};
use super::validator;
use crate::encode::{self, Outcome};
use crate::schema::{self, Direction};
use crate::{Value, decode};

/// Equal, floats compared bit for bit (so `-0.0` is not `0.0`), which the
/// shortest-round-trip `Debug` form of floats shows.
fn same(a: &Value, b: &Value) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

proptest! {
    /// value → JSON → value is the identity (for finite floats: a result's
    /// "NaN" is no argument; the non-finite encoding is tested on its own).
    #[test]
    fn a_value_survives_json_and_back((ty, value) in typed_value(true)) {
        let json = encode::value(&ty, &value);
        let back = decode::value(&ty, &json, "");
        prop_assert!(back.is_ok(), "{json} did not decode: {back:?}");
        let back = back.unwrap();
        prop_assert!(same(&back, &value), "{value:?} came back as {back:?} via {json}");
    }

    /// What a plugin returns, NaN and infinities included, validates
    /// against the output schema, as a value and as structured content.
    #[test]
    fn an_encoded_value_fits_the_output_schema((ty, value) in typed_value(false)) {
        let json = encode::value(&ty, &value);
        let schema = schema::of(&ty, Direction::Output);
        prop_assert!(validator(&schema).is_valid(&json), "{json} does not fit {schema}");
        let output = schema::output(Some(&ty)).map(serde_json::Value::Object);
        match (encode::outcome(Some(&ty), Some(&value)), output) {
            (Outcome::Done(Some(content)), Some(schema)) => {
                let content = serde_json::Value::Object(content);
                prop_assert!(validator(&schema).is_valid(&content), "{content} does not fit {schema}");
            }
            (Outcome::Done(Some(content)), None) => prop_assert!(false, "{content:?} with no schema"),
            (Outcome::Done(None) | Outcome::Failed(_), _) => {}
        }
    }

    /// Decoding and the input schema agree on every JSON value near the
    /// type (good values, near misses, junk; 16 per type): it decodes if
    /// and only if it validates.
    #[test]
    fn decoding_agrees_with_the_input_schema(
        (ty, jsons) in any_type().prop_flat_map(|ty| (Just(ty.clone()), vec(json_near(&ty), 16)))
    ) {
        let schema = schema::of(&ty, Direction::Input);
        let validator = validator(&schema);
        for json in jsons {
            let valid = validator.is_valid(&json);
            let decoded = decode::value(&ty, &json, "");
            prop_assert_eq!(valid, decoded.is_ok(), "{} vs {}: {:?}", json, schema, decoded);
        }
    }
}
