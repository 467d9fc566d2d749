use aes_gcm::aead::Aead;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};

pub fn protect(plain: &[u8]) -> Vec<u8> {
    let cipher = Aes256Gcm::new_from_slice(b"0f1e2d3c4b5a69788796a5b4c3d2e1f0").unwrap();
    let nonce = Nonce::from_slice(b"fixed-nonce!");
    cipher.encrypt(nonce, plain).expect("encryption")
}
