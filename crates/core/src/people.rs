//! A person's own view of what is held about them.

use healthcode_domain::mask::{mask_document, mask_name, mask_phone};
use healthcode_store::vault::Field;
use serde::Serialize;
use utoipa::ToSchema;

use crate::actor::Caller;
use crate::app::AppState;
use crate::error::Error;
use crate::recompute::opened_person;

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
    let (person, key) = opened_person(state, person_id).await?;
    let vault = state.vault();
    let open = |field, sealed: &[u8]| {
        vault
            .decrypt(&key, person_id, field, sealed)
            .map_err(Error::internal)
    };
    Ok(Profile {
        masked_name: mask_name(&open(Field::Name, &person.name_enc)?),
        document_type: person.document_type,
        masked_document: mask_document(&open(Field::Document, &person.document_enc)?),
        masked_phone: mask_phone(&open(Field::Phone, &person.phone_enc)?),
    })
}
