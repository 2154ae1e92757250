//! `healthcode people`: acts on a person's data by an operator, on a written
//! request.

use clap::Subcommand;
use healthcode_core::lifecycle::{self, ErasureRequest};
use healthcode_domain::actor::Actor;

use crate::config::{Config, Source};
use crate::runtime;

#[derive(Subcommand)]
pub enum PeopleCommand {
    /// Erase a person for good on their written request (for people who cannot
    /// use a phone): their data key is destroyed, then every row of theirs.
    Erase {
        /// The document's type.
        #[arg(long, default_value = "resident_id", value_parser = [
            "resident_id", "passport", "hk_macao_permit", "taiwan_permit", "foreign_permanent_residence"])]
        document_type: String,
        /// The document's number.
        #[arg(long)]
        document_number: String,
        /// The written request's reference number, kept with the record of
        /// the erasure.
        #[arg(long)]
        reference: String,
    },
}

pub async fn run(source: &Source, command: PeopleCommand) -> anyhow::Result<()> {
    let config = Config::load(source, None)?;
    let PeopleCommand::Erase {
        document_type,
        document_number,
        reference,
    } = command;
    let state = runtime::app_state(&config).await?;
    let erased = lifecycle::erase_by_document(
        &state,
        Actor::Operator,
        &ErasureRequest {
            document_type,
            document_number,
            reference,
        },
    )
    .await;
    state.store().close().await;
    let erased = erased?;
    println!(
        "erased the person holding this document at {} (request {}); their document and phone may register anew",
        erased.erased_at, erased.reference
    );
    Ok(())
}
