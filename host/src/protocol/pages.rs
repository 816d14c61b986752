//! The paginated list methods' common part: the page a request's cursor
//! names, or the `-32602` the spec names for a cursor that is not valid.

use rmcp::ErrorData;
use rmcp::model::PaginatedRequestParams;
use serde::Serialize;
use serde_json::json;

use crate::plugins::listing::Listing;

/// The page of `listing` that `request`'s cursor names (the first without
/// one), and the next page's cursor, if any.
pub fn page<T: Serialize + Clone>(
    listing: &Listing<T>,
    request: &Option<PaginatedRequestParams>,
) -> Result<(Vec<T>, Option<String>), ErrorData> {
    let cursor = request.as_ref().and_then(|r| r.cursor.as_deref());
    listing.page(cursor).map_err(|error| {
        ErrorData::invalid_params(error.to_string(), Some(json!({"cursor": error.cursor()})))
    })
}
