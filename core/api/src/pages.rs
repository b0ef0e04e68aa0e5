//! The query of every list that is not a catalog listing: `limit` (1 to 100, default 20) and
//! `cursor` (the previous page's `next_cursor`), answered as `{"items": […], "next_cursor": …}`
//! ([`core_domain::pages`]).

use core_domain::pages::{self, After};
use serde::Deserialize;

use crate::error::ApiResult;

/// A page of a list: its size and where it starts.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    /// Page size, 1 to 100 (default 20).
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The page size and where the page starts (400 `invalid_query` for a bad size, 400
/// `invalid_cursor` for a cursor that is none of ours).
pub fn read(limit: Option<&str>, cursor: Option<&str>) -> ApiResult<(i64, Option<After>)> {
    let limit = pages::limit(limit).map_err(core_app::AppError::from)?;
    let after = cursor.map(pages::decode).transpose().map_err(core_app::AppError::from)?;
    Ok((limit, after))
}

/// The next page's cursor.
pub fn next(after: Option<After>) -> Option<String> {
    after.map(pages::encode)
}
