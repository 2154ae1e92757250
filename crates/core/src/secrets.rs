//! The master key and what it seals besides people's data: the issuer's
//! signing keys.
//!
//! The master key is the 32-byte root secret from which every key of the
//! platform is derived (HKDF-SHA256, one label per purpose). It lives in a file
//! of its own (mode 0600) outside the databases. Personal data is sealed by the
//! gateway to people's data ([`crate::people`]) under keys derived from it; the
//! issuer's signing keys are sealed here, under their own derived key.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::{hkdf, rand};
use zeroize::Zeroizing;

pub(crate) const KEY_LEN: usize = 32;

/// Why a secret could not be sealed or opened. Messages never contain personal data.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("master key file {path}: {reason}")]
    MasterKeyFile { path: String, reason: String },
    #[error("ciphertext could not be opened (wrong key, tampered or truncated)")]
    Open,
    #[error("the system random source failed")]
    Random,
    #[error("key derivation failed")]
    Derive,
}

/// The 32-byte root secret from which every key is derived.
///
/// It lives in a file of its own (mode 0600) outside the databases, so neither a
/// copy of the data nor a copy of the key store alone reveals anything.
pub struct MasterKey(Zeroizing<[u8; KEY_LEN]>);

impl MasterKey {
    /// Reads the key file, or creates it with a fresh random key if it does not exist.
    pub fn load_or_create(path: &Path) -> Result<MasterKey, SecretError> {
        if path.exists() {
            Self::load(path)
        } else {
            Self::create(path)
        }
    }

    /// Reads an existing key file, refusing one that other users could read.
    pub fn load(path: &Path) -> Result<MasterKey, SecretError> {
        let fail = |reason: String| SecretError::MasterKeyFile {
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
    pub fn create(path: &Path) -> Result<MasterKey, SecretError> {
        let fail = |reason: String| SecretError::MasterKeyFile {
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
    pub fn random() -> Result<MasterKey, SecretError> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rand::fill(key.as_mut_slice()).map_err(|_| SecretError::Random)?;
        Ok(MasterKey(key))
    }

    /// The key for one purpose.
    pub(crate) fn derive(
        &self,
        purpose: &'static str,
    ) -> Result<Zeroizing<[u8; KEY_LEN]>, SecretError> {
        let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, b"healthcode vault v1");
        let prk = salt.extract(self.0.as_slice());
        let info = [purpose.as_bytes()];
        let okm = prk
            .expand(&info, hkdf::HKDF_SHA256)
            .map_err(|_| SecretError::Derive)?;
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        okm.fill(out.as_mut_slice())
            .map_err(|_| SecretError::Derive)?;
        Ok(out)
    }
}

/// Seals the issuer's signing keys (code keys, DCC and SMART Health Cards
/// keys) for storage in the database, so app servers share them without ever
/// storing them in clear.
pub struct Secrets {
    seal: LessSafeKey,
}

impl Secrets {
    /// Derives the sealing key from the master key.
    pub fn new(master: &MasterKey) -> Result<Secrets, SecretError> {
        Ok(Secrets {
            seal: aead_key(master, "signing-key sealing")?,
        })
    }

    /// Seals a signing key's secret document, bound to its id.
    pub fn seal_secret(&self, kid: &str, secret: &[u8]) -> Result<Vec<u8>, SecretError> {
        seal(&self.seal, &aad("signing-key", kid), secret)
    }

    /// Opens a sealed signing key secret.
    pub fn open_secret(&self, kid: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SecretError> {
        open(&self.seal, &aad("signing-key", kid), sealed).map(Zeroizing::new)
    }
}

/// An AES-256-GCM key derived from the master key for `purpose`.
pub(crate) fn aead_key(
    master: &MasterKey,
    purpose: &'static str,
) -> Result<LessSafeKey, SecretError> {
    let bytes = master.derive(purpose)?;
    let key = UnboundKey::new(&AES_256_GCM, bytes.as_slice()).map_err(|_| SecretError::Derive)?;
    Ok(LessSafeKey::new(key))
}

/// The associated data that binds a ciphertext to what it is and whose.
pub(crate) fn aad(label: &str, owner: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(label.len() + owner.len() + 1);
    out.extend_from_slice(label.as_bytes());
    out.push(0);
    out.extend_from_slice(owner.as_bytes());
    out
}

/// Output layout: 12-byte random nonce, then ciphertext with its 16-byte tag.
pub(crate) fn seal(key: &LessSafeKey, aad: &[u8], clear: &[u8]) -> Result<Vec<u8>, SecretError> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::fill(&mut nonce).map_err(|_| SecretError::Random)?;
    let mut out = Vec::with_capacity(NONCE_LEN + clear.len() + AES_256_GCM.tag_len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(clear);
    let mut body = out.split_off(NONCE_LEN);
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        &mut body,
    )
    .map_err(|_| SecretError::Random)?;
    out.extend_from_slice(&body);
    Ok(out)
}

pub(crate) fn open(key: &LessSafeKey, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, SecretError> {
    if sealed.len() < NONCE_LEN + AES_256_GCM.tag_len() {
        return Err(SecretError::Open);
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SecretError::Open)?;
    let mut body = body.to_vec();
    let clear_len = key
        .open_in_place(nonce, Aad::from(aad), &mut body)
        .map_err(|_| SecretError::Open)?
        .len();
    body.truncate(clear_len);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_key_file_is_created_private_and_reloads() {
        let dir = std::env::temp_dir().join(format!("hc-secrets-{}", std::process::id()));
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

    #[test]
    fn secrets_are_bound_to_their_key_id() {
        let secrets = Secrets::new(&MasterKey::random().expect("key")).expect("secrets");
        let sealed = secrets.seal_secret("k1", b"pkcs8").expect("seal");
        assert_eq!(
            secrets.open_secret("k1", &sealed).expect("open").as_slice(),
            b"pkcs8"
        );
        assert!(secrets.open_secret("k2", &sealed).is_err());
    }
}
