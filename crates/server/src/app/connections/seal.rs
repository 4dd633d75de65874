//! Sealing an admin key with the server secret: ChaCha20-Poly1305 with a random 96-bit nonce
//! per seal, stored as `v1:` and the base64 of nonce and ciphertext. Opening needs the same
//! secret; a changed secret makes every stored key unreadable (the connection then reports
//! so and asks for the key again).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

use crate::config::SecretKey;

const PREFIX: &str = "v1:";
/// Binds a sealed value to its use: a value sealed for something else does not open here.
const AAD: &[u8] = b"tokentally connection admin key";

pub fn seal(secret: &SecretKey, clear: &str) -> Result<String, String> {
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&secret.0));
    let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
    let sealed = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: clear.as_bytes(),
                aad: AAD,
            },
        )
        .map_err(|_| "the key could not be sealed".to_owned())?;
    let mut out = nonce.to_vec();
    out.extend(sealed);
    Ok(format!("{PREFIX}{}", STANDARD.encode(out)))
}

pub fn open(secret: &SecretKey, sealed: &str) -> Result<String, String> {
    const UNREADABLE: &str = "the stored admin key cannot be opened with this server secret: was TOKENTALLY_SECRET_KEY changed? Add the connection again";
    let bytes = sealed
        .strip_prefix(PREFIX)
        .and_then(|b| STANDARD.decode(b).ok())
        .filter(|b| b.len() > 12)
        .ok_or(UNREADABLE)?;
    let (nonce, body) = bytes.split_at(12);
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&secret.0));
    let clear = cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: body,
                aad: AAD,
            },
        )
        .map_err(|_| UNREADABLE.to_owned())?;
    String::from_utf8(clear).map_err(|_| UNREADABLE.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_with_its_secret_only_and_never_shows_in_clear() {
        let secret = SecretKey::from_text("a server secret of some length").unwrap();
        let other = SecretKey::from_text("another server secret, also long").unwrap();
        let a = seal(&secret, "sk-admin-1234567890").unwrap();
        let b = seal(&secret, "sk-admin-1234567890").unwrap();
        assert_ne!(a, b, "a fresh nonce per seal");
        assert!(!a.contains("sk-admin") && !a.contains("1234567890"));
        assert_eq!(open(&secret, &a).unwrap(), "sk-admin-1234567890");
        assert!(open(&other, &a).is_err());
        let mut tampered = a.clone();
        tampered.pop();
        tampered.push('A');
        assert!(open(&secret, &tampered).is_err() || tampered == a);
        assert!(SecretKey::from_text("short").is_err());
    }
}
