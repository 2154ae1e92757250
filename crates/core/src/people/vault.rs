//! The personal-data vault: per-person data keys, field encryption, blind
//! indexes and subject handles. Private to the gateway ([`super`]): nothing
//! else in the code base can reach it.
//!
//! Every personal field is sealed with AES-256-GCM under a data key that belongs to
//! one person. Data keys are wrapped by a key derived from the master key and kept
//! in a key store apart from the data, so destroying one wrapped key erases that
//! person from every copy of the data, backups included (crypto-shredding).
//! Lookups by document number or phone use a keyed blind index (HMAC-SHA256 under
//! its own derived key) over the normalised value, so the data store never needs
//! to hold either in clear.
//!
//! This module is pure computation.

use aws_lc_rs::aead::{AES_256_GCM, LessSafeKey, UnboundKey};
use aws_lc_rs::{hmac, rand};
use zeroize::Zeroizing;

use crate::secrets::{KEY_LEN, MasterKey, SecretError, aad, aead_key, open, seal};

/// One person's data key, in clear only while in memory.
pub(super) struct DataKey(Zeroizing<[u8; KEY_LEN]>);

/// The keys derived from the master key for people's data, each for one purpose.
pub(super) struct Vault {
    wrap: LessSafeKey,
    index: hmac::Key,
    subject: hmac::Key,
    /// Derives each epoch's key of the reversible subject handle.
    subject_permutation: hmac::Key,
}

/// Which personal field a ciphertext holds; bound into the ciphertext so a value
/// cannot be moved to another column or another person unnoticed.
#[derive(Debug, Clone, Copy)]
pub(super) enum Field {
    Name,
    /// Surname and given name as the travel document prints them.
    NameParts,
    Document,
    Phone,
    Address,
    /// A health fact's details.
    Fact,
    /// An official's justification of an override, or an appeal and its resolution.
    Case,
    /// The reasons for the person's colour.
    Reasons,
}

impl Field {
    fn label(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::NameParts => "name_parts",
            Field::Document => "document",
            Field::Phone => "phone",
            Field::Address => "address",
            Field::Fact => "fact",
            Field::Case => "case",
            Field::Reasons => "reasons",
        }
    }
}

impl Vault {
    /// Derives the vault's keys from the master key.
    pub(super) fn new(master: &MasterKey) -> Result<Vault, SecretError> {
        let mac = |purpose| -> Result<hmac::Key, SecretError> {
            let bytes = master.derive(purpose)?;
            Ok(hmac::Key::new(hmac::HMAC_SHA256, bytes.as_slice()))
        };
        Ok(Vault {
            wrap: aead_key(master, "data-key wrapping")?,
            index: mac("blind index")?,
            subject: mac("subject handle")?,
            subject_permutation: mac("subject handle permutation")?,
        })
    }

    /// A fresh random data key for a new person.
    pub(super) fn new_data_key(&self) -> Result<DataKey, SecretError> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rand::fill(key.as_mut_slice()).map_err(|_| SecretError::Random)?;
        Ok(DataKey(key))
    }

    /// Wraps a data key for the key store, bound to its owner.
    pub(super) fn wrap_data_key(
        &self,
        person_id: &str,
        key: &DataKey,
    ) -> Result<Vec<u8>, SecretError> {
        seal(&self.wrap, &aad("data-key", person_id), key.0.as_slice())
    }

    /// Unwraps a data key read from the key store.
    pub(super) fn unwrap_data_key(
        &self,
        person_id: &str,
        wrapped: &[u8],
    ) -> Result<DataKey, SecretError> {
        let clear = Zeroizing::new(open(&self.wrap, &aad("data-key", person_id), wrapped)?);
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        if clear.len() != KEY_LEN {
            return Err(SecretError::Open);
        }
        key.copy_from_slice(&clear);
        Ok(DataKey(key))
    }

    /// Encrypts one personal field of one person.
    pub(super) fn encrypt(
        &self,
        key: &DataKey,
        person_id: &str,
        field: Field,
        value: &str,
    ) -> Result<Vec<u8>, SecretError> {
        let data_key = data_key_aead(key)?;
        seal(&data_key, &aad(field.label(), person_id), value.as_bytes())
    }

    /// Decrypts one personal field of one person.
    pub(super) fn decrypt(
        &self,
        key: &DataKey,
        person_id: &str,
        field: Field,
        sealed: &[u8],
    ) -> Result<String, SecretError> {
        let data_key = data_key_aead(key)?;
        let clear = open(&data_key, &aad(field.label(), person_id), sealed)?;
        String::from_utf8(clear).map_err(|_| SecretError::Open)
    }

    /// The blind index of an already normalised value in a namespace
    /// (e.g. `document:resident_id`, `phone`), so equal values find each other
    /// without the store ever holding them.
    pub(super) fn blind_index(&self, namespace: &str, normalised: &str) -> Vec<u8> {
        let mut ctx = hmac::Context::with_key(&self.index);
        ctx.update(namespace.as_bytes());
        ctx.update(&[0]);
        ctx.update(normalised.as_bytes());
        ctx.sign().as_ref().to_vec()
    }

    /// A 16-byte pseudonym for a person that changes every `epoch` (a day number),
    /// so a verifier who sees many codes cannot link them across epochs.
    ///
    /// For the registry's person ids (128 random bits as 32 lowercase hex
    /// digits) the handle is the id encrypted with AES-256 under a key of that
    /// epoch: a keyed pseudorandom permutation, as unlinkable as a keyed hash,
    /// but one the holder of the master key can invert
    /// ([`Vault::subject_person`]). So when a venue scans a personal code, any
    /// server can find the person from the code alone, with no table of
    /// handles to write on the code-display path or to keep in step across a
    /// fleet. Other ids (never issued by the registry) get a keyed hash, which
    /// cannot be inverted.
    pub(super) fn subject_handle(&self, person_id: &str, epoch: i64) -> [u8; 16] {
        let mut block = [0u8; 16];
        let registry_id = person_id.len() == 32
            && person_id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if registry_id
            && hex::decode_to_slice(person_id, &mut block).is_ok()
            && let Some(handle) = self.permute_subject(epoch, block, true)
        {
            return handle;
        }
        let mut ctx = hmac::Context::with_key(&self.subject);
        ctx.update(person_id.as_bytes());
        ctx.update(&epoch.to_be_bytes());
        let tag = ctx.sign();
        let mut out = [0u8; 16];
        out.copy_from_slice(&tag.as_ref()[..16]);
        out
    }

    /// The person id behind a subject handle of `epoch` made by
    /// [`Vault::subject_handle`]. Any 16 bytes decrypt to some id, so the
    /// caller must check that the person exists; the wrong epoch gives an
    /// unrelated id.
    pub(super) fn subject_person(&self, handle: &[u8; 16], epoch: i64) -> Option<String> {
        self.permute_subject(epoch, *handle, false).map(hex::encode)
    }

    /// AES-256 on one block under the epoch's key, forwards or backwards.
    fn permute_subject(&self, epoch: i64, mut block: [u8; 16], forward: bool) -> Option<[u8; 16]> {
        use aws_lc_rs::cipher::{
            AES_256, DecryptingKey, DecryptionContext, EncryptingKey, UnboundCipherKey,
        };
        let key = hmac::sign(&self.subject_permutation, &epoch.to_be_bytes());
        let key = UnboundCipherKey::new(&AES_256, key.as_ref()).ok()?;
        if forward {
            EncryptingKey::ecb(key).ok()?.encrypt(&mut block).ok()?;
        } else {
            DecryptingKey::ecb(key)
                .ok()?
                .decrypt(&mut block, DecryptionContext::None)
                .ok()?;
        }
        Some(block)
    }
}

fn data_key_aead(key: &DataKey) -> Result<LessSafeKey, SecretError> {
    let unbound =
        UnboundKey::new(&AES_256_GCM, key.0.as_slice()).map_err(|_| SecretError::Derive)?;
    Ok(LessSafeKey::new(unbound))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault() -> Vault {
        Vault::new(&MasterKey::random().expect("random")).expect("vault")
    }

    #[test]
    fn fields_round_trip_and_are_bound_to_person_and_field() {
        let v = vault();
        let key = v.new_data_key().expect("key");
        let sealed = v.encrypt(&key, "p1", Field::Name, "张三明").expect("seal");
        assert!(!sealed.windows(3).any(|w| w == "张".as_bytes()));
        assert_eq!(
            v.decrypt(&key, "p1", Field::Name, &sealed).expect("open"),
            "张三明"
        );
        assert!(matches!(
            v.decrypt(&key, "p2", Field::Name, &sealed),
            Err(SecretError::Open)
        ));
        assert!(matches!(
            v.decrypt(&key, "p1", Field::Phone, &sealed),
            Err(SecretError::Open)
        ));
        let other = v.new_data_key().expect("key");
        assert!(matches!(
            v.decrypt(&other, "p1", Field::Name, &sealed),
            Err(SecretError::Open)
        ));
    }

    #[test]
    fn tampering_and_truncation_are_detected() {
        let v = vault();
        let key = v.new_data_key().expect("key");
        let sealed = v
            .encrypt(&key, "p", Field::Phone, "13800138000")
            .expect("seal");
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(
                v.decrypt(&key, "p", Field::Phone, &bad).is_err(),
                "byte {i}"
            );
        }
        assert!(v.decrypt(&key, "p", Field::Phone, &sealed[..10]).is_err());
    }

    #[test]
    fn encryption_is_randomised() {
        let v = vault();
        let key = v.new_data_key().expect("key");
        let a = v.encrypt(&key, "p", Field::Name, "李四").expect("seal");
        let b = v.encrypt(&key, "p", Field::Name, "李四").expect("seal");
        assert_ne!(a, b);
    }

    #[test]
    fn data_keys_wrap_and_unwrap_only_for_their_owner() {
        let v = vault();
        let key = v.new_data_key().expect("key");
        let wrapped = v.wrap_data_key("p1", &key).expect("wrap");
        let back = v.unwrap_data_key("p1", &wrapped).expect("unwrap");
        let sealed = v.encrypt(&key, "p1", Field::Name, "王五").expect("seal");
        assert_eq!(
            v.decrypt(&back, "p1", Field::Name, &sealed).expect("open"),
            "王五"
        );
        assert!(v.unwrap_data_key("p2", &wrapped).is_err());
        let other = vault();
        assert!(other.unwrap_data_key("p1", &wrapped).is_err());
    }

    #[test]
    fn blind_index_is_keyed_deterministic_and_namespaced() {
        let v = vault();
        let a = v.blind_index("phone", "13800138000");
        assert_eq!(a, v.blind_index("phone", "13800138000"));
        assert_ne!(a, v.blind_index("document:passport", "13800138000"));
        assert_ne!(a, vault().blind_index("phone", "13800138000"));
    }

    #[test]
    fn subject_handles_change_between_epochs() {
        let v = vault();
        assert_eq!(v.subject_handle("p", 1), v.subject_handle("p", 1));
        assert_ne!(v.subject_handle("p", 1), v.subject_handle("p", 2));
        assert_ne!(v.subject_handle("p", 1), v.subject_handle("q", 1));
    }

    #[test]
    fn registry_subject_handles_invert_only_with_the_right_vault_and_day() {
        let v = vault();
        let person = "0123456789abcdef0123456789abcdef";
        let handle = v.subject_handle(person, 20_000);
        assert_ne!(hex::encode(handle), person);
        assert_ne!(handle, v.subject_handle(person, 20_001));
        assert_eq!(v.subject_person(&handle, 20_000).as_deref(), Some(person));
        assert_ne!(v.subject_person(&handle, 20_001).as_deref(), Some(person));
        assert_ne!(
            vault().subject_person(&handle, 20_000).as_deref(),
            Some(person)
        );
        // Ids the registry never issues are hashed, not encrypted.
        let upper = "0123456789ABCDEF0123456789ABCDEF";
        let hashed = v.subject_handle(upper, 20_000);
        assert_ne!(v.subject_person(&hashed, 20_000).as_deref(), Some(upper));
    }
}
