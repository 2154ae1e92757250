//! The person's side of the privacy lifecycle: what is held about them, as
//! they see it.

use healthcode_domain::mask::{mask_document, mask_name, mask_phone};
use serde::Serialize;
use utoipa::ToSchema;

use crate::actor::Caller;
use crate::app::AppState;
use crate::error::Error;
use crate::people::erased;

/// The citizen's profile as shown to themselves: masked, like on screen.
#[derive(Serialize, ToSchema)]
pub struct Profile {
    pub masked_name: String,
    pub document_type: String,
    pub masked_document: String,
    pub masked_phone: String,
}

/// The calling citizen's profile, decrypted and masked.
pub async fn profile(state: &AppState, caller: &Caller) -> Result<Profile, Error> {
    let person_id = caller.citizen()?;
    let opened = state.people().open(state.store(), person_id).await?;
    let person = state.store().person(person_id).await?.ok_or_else(erased)?;
    Ok(Profile {
        masked_name: mask_name(&opened.name(&person.name_enc)?),
        document_type: person.document_type,
        masked_document: mask_document(&opened.document(&person.document_enc)?),
        masked_phone: mask_phone(&opened.phone(&person.phone_enc)?),
    })
}
