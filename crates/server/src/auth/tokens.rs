//! API tokens: random, shown once, stored as a SHA-256 digest. A token is high-entropy, so
//! a fast digest is the right lookup key (a slow password hash would only cost time).

use rand::RngCore;
use sha2::{Digest, Sha256};

pub const PREFIX: &str = "tt_";

pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{PREFIX}{}", hex::encode(bytes))
}

pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_random_and_digests_stable() {
        let (a, b) = (super::generate(), super::generate());
        assert_ne!(a, b);
        assert!(a.starts_with("tt_") && a.len() == 67);
        assert_eq!(super::digest(&a), super::digest(&a));
        assert_ne!(super::digest(&a), a);
    }
}
