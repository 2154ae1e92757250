//! The personal-data vault: per-person data keys, field encryption and blind indexes.
//!
//! Every personal field is sealed with AES-256-GCM under a data key that belongs to
//! one person. Data keys are wrapped by a key derived from the master key and kept
//! in a key store apart from the data, so destroying one wrapped key erases that
//! person from every copy of the data, backups included (crypto-shredding).
//! Lookups by document number or phone use a keyed blind index (HMAC-SHA256 under
//! its own derived key) over the normalised value, so the data store never needs
//! to hold either in clear.
//!
//! This module is pure computation: reading the master key file is the only I/O,
//! and it happens once at start-up.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::{hkdf, hmac, rand};
use zeroize::Zeroizing;

const KEY_LEN: usize = 32;

/// Why the vault could not do its job. Messages never contain personal data.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("master key file {path}: {reason}")]
    MasterKeyFile { path: String, reason: String },
    #[error("ciphertext could not be opened (wrong key, tampered or truncated)")]
    Open,
    #[error("the system random source failed")]
    Random,
    #[error("key derivation failed")]
    Derive,
}

/// The 32-byte root secret from which every vault key is derived.
///
/// It lives in a file of its own (mode 0600) outside the databases, so neither a
/// copy of the data nor a copy of the key store alone reveals anything.
pub struct MasterKey(Zeroizing<[u8; KEY_LEN]>);

impl MasterKey {
    /// Reads the key file, or creates it with a fresh random key if it does not exist.
    pub fn load_or_create(path: &Path) -> Result<MasterKey, VaultError> {
        if path.exists() {
            Self::load(path)
        } else {
            Self::create(path)
        }
    }

    /// Reads an existing key file, refusing one that other users could read.
    pub fn load(path: &Path) -> Result<MasterKey, VaultError> {
        let fail = |reason: String| VaultError::MasterKeyFile {
            path: path.display().to_string(),
            reason,
        };
        let meta = fs::metadata(path).map_err(|e| fail(e.to_string()))?;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(fail(
                "is readable by other users; run `chmod 600` on it".to_owned(),
            ));
        }
        let text = Zeroizing::new(fs::read_to_string(path).map_err(|e| fail(e.to_string()))?);
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        hex::decode_to_slice(text.trim(), key.as_mut_slice())
            .map_err(|_| fail("must hold 64 hexadecimal characters".to_owned()))?;
        Ok(MasterKey(key))
    }

    /// Writes a new random key with mode 0600; never overwrites an existing file.
    pub fn create(path: &Path) -> Result<MasterKey, VaultError> {
        let fail = |reason: String| VaultError::MasterKeyFile {
            path: path.display().to_string(),
            reason,
        };
        let key = Self::random()?;
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| fail(e.to_string()))?;
        let text = Zeroizing::new(format!("{}\n", hex::encode(key.0.as_slice())));
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| fail(e.to_string()))?;
        Ok(key)
    }

    /// A fresh random key held only in memory (tests, throwaway demos).
    pub fn random() -> Result<MasterKey, VaultError> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rand::fill(key.as_mut_slice()).map_err(|_| VaultError::Random)?;
        Ok(MasterKey(key))
    }

    fn derive(&self, purpose: &'static str) -> Result<Zeroizing<[u8; KEY_LEN]>, VaultError> {
        let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, b"healthcode vault v1");
        let prk = salt.extract(self.0.as_slice());
        let info = [purpose.as_bytes()];
        let okm = prk
            .expand(&info, hkdf::HKDF_SHA256)
            .map_err(|_| VaultError::Derive)?;
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        okm.fill(out.as_mut_slice())
            .map_err(|_| VaultError::Derive)?;
        Ok(out)
    }
}

/// One person's data key, in clear only while in memory.
pub struct DataKey(Zeroizing<[u8; KEY_LEN]>);

/// The keys derived from the master key, each for one purpose.
pub struct Vault {
    wrap: LessSafeKey,
    seal: LessSafeKey,
    index: hmac::Key,
    subject: hmac::Key,
    /// Derives each epoch's key of the reversible subject handle.
    subject_permutation: hmac::Key,
}

/// Which personal field a ciphertext holds; bound into the ciphertext so a value
/// cannot be moved to another column or another person unnoticed.
#[derive(Debug, Clone, Copy)]
pub enum Field {
    Name,
    Document,
    Phone,
    Address,
    /// A health fact's details.
    Fact,
    /// An official's justification of an override, or an appeal and its resolution.
    Case,
}

impl Field {
    fn label(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Document => "document",
            Field::Phone => "phone",
            Field::Address => "address",
            Field::Fact => "fact",
            Field::Case => "case",
        }
    }
}

impl Vault {
    /// Derives the vault's keys from the master key.
    pub fn new(master: &MasterKey) -> Result<Vault, VaultError> {
        let aead = |purpose| -> Result<LessSafeKey, VaultError> {
            let bytes = master.derive(purpose)?;
            let key =
                UnboundKey::new(&AES_256_GCM, bytes.as_slice()).map_err(|_| VaultError::Derive)?;
            Ok(LessSafeKey::new(key))
        };
        let mac = |purpose| -> Result<hmac::Key, VaultError> {
            let bytes = master.derive(purpose)?;
            Ok(hmac::Key::new(hmac::HMAC_SHA256, bytes.as_slice()))
        };
        Ok(Vault {
            wrap: aead("data-key wrapping")?,
            seal: aead("signing-key sealing")?,
            index: mac("blind index")?,
            subject: mac("subject handle")?,
            subject_permutation: mac("subject handle permutation")?,
        })
    }

    /// A fresh random data key for a new person.
    pub fn new_data_key(&self) -> Result<DataKey, VaultError> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rand::fill(key.as_mut_slice()).map_err(|_| VaultError::Random)?;
        Ok(DataKey(key))
    }

    /// Wraps a data key for the key store, bound to its owner.
    pub fn wrap_data_key(&self, person_id: &str, key: &DataKey) -> Result<Vec<u8>, VaultError> {
        seal(&self.wrap, &aad("data-key", person_id), key.0.as_slice())
    }

    /// Unwraps a data key read from the key store.
    pub fn unwrap_data_key(&self, person_id: &str, wrapped: &[u8]) -> Result<DataKey, VaultError> {
        let clear = Zeroizing::new(open(&self.wrap, &aad("data-key", person_id), wrapped)?);
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        if clear.len() != KEY_LEN {
            return Err(VaultError::Open);
        }
        key.copy_from_slice(&clear);
        Ok(DataKey(key))
    }

    /// Encrypts one personal field of one person.
    pub fn encrypt(
        &self,
        key: &DataKey,
        person_id: &str,
        field: Field,
        value: &str,
    ) -> Result<Vec<u8>, VaultError> {
        let data_key = aead_key(key)?;
        seal(&data_key, &aad(field.label(), person_id), value.as_bytes())
    }

    /// Decrypts one personal field of one person.
    pub fn decrypt(
        &self,
        key: &DataKey,
        person_id: &str,
        field: Field,
        sealed: &[u8],
    ) -> Result<String, VaultError> {
        let data_key = aead_key(key)?;
        let clear = open(&data_key, &aad(field.label(), person_id), sealed)?;
        String::from_utf8(clear).map_err(|_| VaultError::Open)
    }

    /// The blind index of an already normalised value in a namespace
    /// (e.g. `document:resident_id`, `phone`), so equal values find each other
    /// without the store ever holding them.
    pub fn blind_index(&self, namespace: &str, normalised: &str) -> Vec<u8> {
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
    pub fn subject_handle(&self, person_id: &str, epoch: i64) -> [u8; 16] {
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
    pub fn subject_person(&self, handle: &[u8; 16], epoch: i64) -> Option<String> {
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

    /// Seals a signing key's secret document for storage in the database.
    pub fn seal_secret(&self, kid: &str, secret: &[u8]) -> Result<Vec<u8>, VaultError> {
        seal(&self.seal, &aad("signing-key", kid), secret)
    }

    /// Opens a sealed signing key secret.
    pub fn open_secret(&self, kid: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        open(&self.seal, &aad("signing-key", kid), sealed).map(Zeroizing::new)
    }
}

fn aead_key(key: &DataKey) -> Result<LessSafeKey, VaultError> {
    let unbound =
        UnboundKey::new(&AES_256_GCM, key.0.as_slice()).map_err(|_| VaultError::Derive)?;
    Ok(LessSafeKey::new(unbound))
}

fn aad(label: &str, owner: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(label.len() + owner.len() + 1);
    out.extend_from_slice(label.as_bytes());
    out.push(0);
    out.extend_from_slice(owner.as_bytes());
    out
}

/// Output layout: 12-byte random nonce, then ciphertext with its 16-byte tag.
fn seal(key: &LessSafeKey, aad: &[u8], clear: &[u8]) -> Result<Vec<u8>, VaultError> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::fill(&mut nonce).map_err(|_| VaultError::Random)?;
    let mut out = Vec::with_capacity(NONCE_LEN + clear.len() + AES_256_GCM.tag_len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(clear);
    let mut body = out.split_off(NONCE_LEN);
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        &mut body,
    )
    .map_err(|_| VaultError::Random)?;
    out.extend_from_slice(&body);
    Ok(out)
}

fn open(key: &LessSafeKey, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
    if sealed.len() < NONCE_LEN + AES_256_GCM.tag_len() {
        return Err(VaultError::Open);
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| VaultError::Open)?;
    let mut body = body.to_vec();
    let clear_len = key
        .open_in_place(nonce, Aad::from(aad), &mut body)
        .map_err(|_| VaultError::Open)?
        .len();
    body.truncate(clear_len);
    Ok(body)
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
            Err(VaultError::Open)
        ));
        assert!(matches!(
            v.decrypt(&key, "p1", Field::Phone, &sealed),
            Err(VaultError::Open)
        ));
        let other = v.new_data_key().expect("key");
        assert!(matches!(
            v.decrypt(&other, "p1", Field::Name, &sealed),
            Err(VaultError::Open)
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

    #[test]
    fn master_key_file_is_created_private_and_reloads() {
        let dir = std::env::temp_dir().join(format!("hc-vault-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("master.key");
        let _ = fs::remove_file(&path);
        let created = MasterKey::create(&path).expect("create");
        let mode = fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let loaded = MasterKey::load(&path).expect("load");
        assert_eq!(created.0.as_slice(), loaded.0.as_slice());
        assert!(MasterKey::create(&path).is_err(), "never overwrites");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(
            MasterKey::load(&path).is_err(),
            "refuses a readable key file"
        );
        fs::remove_dir_all(&dir).expect("cleanup");
    }
}
