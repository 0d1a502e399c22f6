//! Error reports sent from a place page ("signaler une erreur"): kept in the store until a
//! moderator reads them; never published as they are.

use crate::error::WebError;
use crate::AppState;

/// Saves one report for moderation.
pub async fn save(
    state: &AppState,
    place_id: &str,
    message: &str,
    contact: &str,
) -> Result<(), WebError> {
    let _ = (state, place_id, message, contact);
    Err(WebError::Unavailable(
        "la file de modération n'est pas encore branchée sur la base".into(),
    ))
}
