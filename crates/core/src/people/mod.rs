//! The one gateway to a person's data.
//!
//! Every personal field is sealed under the person's own data key, and the only
//! way to read or write one is to open the person here: [`Gateway::open`] reads
//! the wrapped data key from the key store once, unwraps it once, and hands
//! back an [`OpenedPerson`] that seals and opens that person's fields, facts,
//! cases and reasons. A person whose key is gone has been erased, and gets one
//! answer everywhere: `person.erased` (410). Lookups by document number or phone
//! go through the gateway's blind index, and scanned codes name their holder
//! through its subject handles. The vault that does the cryptography is private
//! to this module.

mod vault;

use std::collections::HashMap;

use healthcode_domain::colour::{Colour, Override, Reason};
use healthcode_domain::facts::Fact;
use healthcode_domain::identity::{Document, DocumentType, normalise_number};
use healthcode_domain::name_parts::NameParts;
use healthcode_domain::person::{PersonName, Phone};
use healthcode_store::{FactRecord, NewPerson, OverrideRecord, PersonRecord, Store};

use crate::clock::timestamp;
use crate::error::{Error, ErrorCode};
use crate::secrets::{MasterKey, SecretError};
use vault::{DataKey, Field, Vault};

/// The gateway: the vault's keys, derived from the master key.
pub struct Gateway {
    vault: Vault,
}

/// A person opened for one request: their id and their data key, unwrapped
/// once. Dropping it wipes the key from memory.
pub struct OpenedPerson<'g> {
    id: String,
    key: DataKey,
    vault: &'g Vault,
}

/// The personal fields of a registration, validated.
pub struct PersonalFields<'a> {
    pub name: &'a PersonName,
    /// Surname and given name, when the person gave them.
    pub name_parts: Option<&'a NameParts>,
    pub document: &'a Document,
    pub phone: &'a Phone,
    pub address: Option<&'a str>,
}

/// Separates the surname from the given name inside their one sealed field;
/// names never hold control characters.
const PARTS_SEPARATOR: char = '\n';

fn join_parts(parts: &NameParts) -> String {
    format!("{}{PARTS_SEPARATOR}{}", parts.surname(), parts.given())
}

fn internal(e: SecretError) -> Error {
    Error::internal(e)
}

/// The answer for a person whose data key is gone.
pub fn erased() -> Error {
    Error::new(
        ErrorCode::PersonErased,
        "this person's data has been erased",
    )
}

/// The blind-index namespace of a document type: the same number under two
/// types is two different documents.
fn document_namespace(t: DocumentType) -> String {
    format!("document:{}", t.as_str())
}

impl Gateway {
    /// Derives the gateway's keys from the master key.
    pub fn new(master: &MasterKey) -> Result<Gateway, SecretError> {
        Ok(Gateway {
            vault: Vault::new(master)?,
        })
    }

    /// Seals a validated registration under a fresh data key: the encrypted
    /// fields, the blind indexes of the document and phone, and the wrapped key
    /// for the key store. The person comes back opened too, to seal what else
    /// registration stores about them (their first colour).
    pub(crate) fn seal_new(
        &self,
        person_id: &str,
        fields: &PersonalFields<'_>,
        now: i64,
    ) -> Result<(NewPerson, OpenedPerson<'_>), Error> {
        let citizen = fields;
        let vault = &self.vault;
        let key = vault.new_data_key().map_err(internal)?;
        let seal = |field, value: &str| {
            vault
                .encrypt(&key, person_id, field, value)
                .map_err(internal)
        };
        let document = &citizen.document;
        let person = NewPerson {
            id: person_id.to_owned(),
            document_type: document.doc_type.as_str().to_owned(),
            document_index: self.document_index(document.doc_type, &document.number),
            phone_index: self.phone_index(citizen.phone),
            name_enc: seal(Field::Name, citizen.name.as_str())?,
            document_enc: seal(Field::Document, &document.number)?,
            phone_enc: seal(Field::Phone, citizen.phone.as_str())?,
            address_enc: citizen
                .address
                .map(|a| seal(Field::Address, a))
                .transpose()?,
            name_parts_enc: citizen
                .name_parts
                .map(|parts| seal(Field::NameParts, &join_parts(parts)))
                .transpose()?,
            wrapped_key: vault.wrap_data_key(person_id, &key).map_err(internal)?,
            created_at: now,
        };
        let opened = OpenedPerson {
            id: person_id.to_owned(),
            key,
            vault,
        };
        Ok((person, opened))
    }

    /// Opens a person: reads their wrapped data key once and unwraps it.
    /// `person.erased` if the key is gone.
    pub async fn open(&self, store: &Store, person_id: &str) -> Result<OpenedPerson<'_>, Error> {
        let wrapped = store.wrapped_key(person_id).await?.ok_or_else(erased)?;
        self.unwrap(person_id, &wrapped)
    }

    /// Opens many people at once (a recomputation chunk): one read of the key
    /// store. People whose key is gone are absent from the answer.
    pub async fn open_many(
        &self,
        store: &Store,
        person_ids: &[String],
    ) -> Result<HashMap<String, OpenedPerson<'_>>, Error> {
        let wrapped = store.wrapped_keys(person_ids).await?;
        wrapped
            .into_iter()
            .map(|(id, wrapped)| {
                let opened = self.unwrap(&id, &wrapped)?;
                Ok((id, opened))
            })
            .collect()
    }

    fn unwrap(&self, person_id: &str, wrapped: &[u8]) -> Result<OpenedPerson<'_>, Error> {
        let key = self
            .vault
            .unwrap_data_key(person_id, wrapped)
            .map_err(internal)?;
        Ok(OpenedPerson {
            id: person_id.to_owned(),
            key,
            vault: &self.vault,
        })
    }

    /// The blind index of a document number under one document type.
    pub fn document_index(&self, doc_type: DocumentType, number: &str) -> Vec<u8> {
        self.vault
            .blind_index(&document_namespace(doc_type), &normalise_number(number))
    }

    /// The blind indexes of a document number under every document type (a
    /// login names the number, not its type).
    pub fn document_indexes(&self, number: &str) -> Vec<Vec<u8>> {
        DocumentType::ALL
            .iter()
            .map(|t| self.document_index(*t, number))
            .collect()
    }

    /// The blind index of a phone number.
    pub fn phone_index(&self, phone: &Phone) -> Vec<u8> {
        self.vault.blind_index("phone", phone.as_str())
    }

    /// The person registered with this document, if any.
    pub async fn find_by_document(
        &self,
        store: &Store,
        doc_type: DocumentType,
        number: &str,
    ) -> Result<Option<String>, Error> {
        Ok(store
            .find_person_by_document(&[self.document_index(doc_type, number)])
            .await?)
    }

    /// The person an official names by document type and number, as a request
    /// carries them: `id.document_type` for an unknown type, `person.not_found`
    /// when nobody is registered with it.
    pub async fn named_by_document(
        &self,
        store: &Store,
        document_type: &str,
        number: &str,
    ) -> Result<String, Error> {
        let doc_type = DocumentType::parse(document_type)
            .ok_or_else(|| Error::new(ErrorCode::IdDocumentType, "unknown document_type"))?;
        self.find_by_document(store, doc_type, number)
            .await?
            .ok_or_else(|| Error::new(ErrorCode::PersonNotFound, "no person with this document"))
    }

    /// The pseudonymous handle a code names its holder by on day `epoch`.
    pub fn subject_handle(&self, person_id: &str, epoch: i64) -> [u8; 16] {
        self.vault.subject_handle(person_id, epoch)
    }

    /// The person a scanned code of day `epoch` names.
    pub fn subject_person(&self, handle: &[u8; 16], epoch: i64) -> Option<String> {
        self.vault.subject_person(handle, epoch)
    }

    /// A keyed digest of `material` in a namespace: equal inputs give equal
    /// digests, and nothing about the input can be read from one (check-in ids).
    pub fn keyed_digest(&self, namespace: &str, material: &str) -> Vec<u8> {
        self.vault.blind_index(namespace, material)
    }

    /// The pseudonym the audit log names a person by: a keyed digest of their
    /// id that only this service can compute, so no one reading the log can
    /// tell whom an entry concerns.
    pub fn audit_subject(&self, person_id: &str) -> String {
        let digest = self.vault.blind_index("audit-subject", person_id);
        hex::encode(digest.get(..16).unwrap_or(&digest))
    }
}

impl OpenedPerson<'_> {
    /// The person's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn open_field(&self, field: Field, sealed: &[u8]) -> Result<String, Error> {
        self.vault
            .decrypt(&self.key, &self.id, field, sealed)
            .map_err(internal)
    }

    fn seal_field(&self, field: Field, value: &str) -> Result<Vec<u8>, Error> {
        self.vault
            .encrypt(&self.key, &self.id, field, value)
            .map_err(internal)
    }

    /// The registered name.
    pub fn name(&self, sealed: &[u8]) -> Result<String, Error> {
        self.open_field(Field::Name, sealed)
    }

    /// Surname and given name as the travel document prints them: as the
    /// person gave or confirmed them, else as proposed from the registered name.
    pub fn name_parts(&self, person: &PersonRecord) -> Result<(NameParts, bool), Error> {
        if let Some(sealed) = &person.name_parts_enc {
            let joined = self.open_field(Field::NameParts, sealed)?;
            let (surname, given) = joined.split_once(PARTS_SEPARATOR).unwrap_or((&joined, ""));
            return Ok((
                NameParts::stored(surname.to_owned(), given.to_owned()),
                true,
            ));
        }
        let name = PersonName::parse(&self.name(&person.name_enc)?).map_err(Error::internal)?;
        Ok((NameParts::propose(&name), false))
    }

    /// Seals a surname and given name for [`Unit::set_name_parts`](healthcode_store::Unit::set_name_parts).
    pub fn seal_name_parts(&self, parts: &NameParts) -> Result<Vec<u8>, Error> {
        self.seal_field(Field::NameParts, &join_parts(parts))
    }

    /// The document number.
    pub fn document(&self, sealed: &[u8]) -> Result<String, Error> {
        self.open_field(Field::Document, sealed)
    }

    /// The phone number.
    pub fn phone(&self, sealed: &[u8]) -> Result<String, Error> {
        self.open_field(Field::Phone, sealed)
    }

    /// The home address.
    pub fn address(&self, sealed: &[u8]) -> Result<String, Error> {
        self.open_field(Field::Address, sealed)
    }

    /// A fact of this person, sealed, with what retention and recomputation
    /// need in clear.
    pub fn seal_fact(&self, fact: &Fact, dedup_key: Option<String>) -> Result<FactRecord, Error> {
        let body = serde_json::to_string(fact).map_err(Error::internal)?;
        let provenance = fact.provenance();
        Ok(FactRecord {
            id: fact.id().to_owned(),
            person_id: self.id.clone(),
            kind: fact.kind().to_owned(),
            occurred_at: fact.occurred_at(),
            recorded_at: provenance.recorded_at.as_second(),
            source: provenance.source.as_str().to_owned(),
            source_id: Some(provenance.source_id.clone()),
            purpose: provenance.purpose.as_str().to_owned(),
            dedup_key,
            body_enc: self.seal_field(Field::Fact, &body)?,
        })
    }

    /// A stored fact of this person, opened.
    pub fn open_fact(&self, record: &FactRecord) -> Result<Fact, Error> {
        let body = self.open_field(Field::Fact, &record.body_enc)?;
        serde_json::from_str(&body).map_err(Error::internal)
    }

    /// Seals a text about this person's case: an official's justification, an
    /// appeal, its resolution.
    pub fn seal_case(&self, text: &str) -> Result<Vec<u8>, Error> {
        self.seal_field(Field::Case, text)
    }

    /// Opens a text about this person's case.
    pub fn open_case(&self, sealed: &[u8]) -> Result<String, Error> {
        self.open_field(Field::Case, sealed)
    }

    /// Seals the reasons for this person's colour.
    pub fn seal_reasons(&self, reasons: &[Reason]) -> Result<Vec<u8>, Error> {
        let json = serde_json::to_string(reasons).map_err(Error::internal)?;
        self.seal_field(Field::Reasons, &json)
    }

    /// Opens the sealed reasons for this person's colour.
    pub fn open_reasons(&self, sealed: &[u8]) -> Result<Vec<Reason>, Error> {
        let json = self.open_field(Field::Reasons, sealed)?;
        serde_json::from_str(&json).map_err(Error::internal)
    }

    /// Overrides of this person's colour as the policy sees them, their
    /// justifications opened.
    pub fn open_overrides(&self, records: &[OverrideRecord]) -> Result<Vec<Override>, Error> {
        records
            .iter()
            .map(|o| {
                Ok(Override {
                    colour: Colour::parse(&o.colour)
                        .ok_or_else(|| Error::internal("stored override colour"))?,
                    justification: self.open_case(&o.justification_enc)?,
                    expires_at: timestamp(o.expires_at),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    /// Every `.rs` file under `dir`.
    fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                if !path.ends_with("target") {
                    sources(&path, out);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// The vault is reachable from the gateway only: its module is private and
    /// re-exported nowhere, and no other source file of the workspace names it.
    #[test]
    fn the_vault_is_private_to_the_gateway() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        let gateway = include_str!("mod.rs");
        let declarations: Vec<&str> = gateway
            .lines()
            .filter(|l| l.starts_with("pub") && l.contains("vault") || l.contains("mod vault"))
            .filter(|l| !l.starts_with(' '))
            .collect();
        assert_eq!(
            declarations,
            ["mod vault;"],
            "the vault module must stay private"
        );
        let workspace = here.join("../..");
        let mut files = Vec::new();
        for dir in ["crates", "tests"] {
            sources(&workspace.join(dir), &mut files);
        }
        assert!(files.len() > 50, "the scan must see the workspace");
        let own = here.join("src/people");
        for file in files {
            let canonical = file.canonicalize().unwrap_or(file.clone());
            if canonical.starts_with(own.canonicalize().unwrap_or(own.clone())) {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            for needle in [
                "Vault",
                "vault::",
                "DataKey",
                "unwrap_data_key",
                "blind_index(",
            ] {
                assert!(
                    !text.contains(needle),
                    "{} names {needle}: personal data is opened through the gateway only",
                    file.display()
                );
            }
        }
    }
}
