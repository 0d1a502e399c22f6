//! Error reports sent from a place page ("signaler une erreur"): kept in the store
//! (`place_reports`) until a moderator reads them; never published as they are.

use maillage_store::NewPlaceReport;

use crate::error::WebError;
use crate::AppState;

/// Saves one report for moderation. Lengths, token and rate are checked by the caller.
pub async fn save(
    state: &AppState,
    place_id: &str,
    message: &str,
    contact: &str,
) -> Result<(), WebError> {
    state
        .store
        .add_report(&NewPlaceReport {
            place_id: place_id.to_string(),
            message: message.to_string(),
            contact: contact.to_string(),
        })
        .await?;
    Ok(())
}
