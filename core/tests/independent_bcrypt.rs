//! Hashes made by auth_sync verify with an independent bcrypt implementation (pwhash), and
//! hashes made by that implementation verify with ours: the two agree on the format.

use auth_sync_core::password::{hash_bcrypt, verify_bcrypt};

#[test]
fn our_hashes_verify_with_pwhash() {
    for (pw, cost) in [
        ("correct horse", 4),
        ("Pass, with comma", 5),
        ("ünïcödé-pässwörd", 4),
        (&"x".repeat(72)[..], 4),
    ] {
        let hash = hash_bcrypt(pw, cost).expect("hash");
        assert!(hash.starts_with(&format!("$2a${cost:02}$")), "{hash}");
        assert!(
            pwhash::bcrypt::verify(pw, &hash),
            "pwhash must verify our hash of {pw:?}"
        );
        assert!(!pwhash::bcrypt::verify("wrong password", &hash));
    }
}

#[test]
fn pwhash_hashes_verify_with_ours() {
    let setup = pwhash::bcrypt::BcryptSetup {
        cost: Some(5),
        variant: Some(pwhash::bcrypt::BcryptVariant::V2b),
        ..Default::default()
    };
    let hash = pwhash::bcrypt::hash_with(setup, "battery staple").expect("pwhash");
    assert!(verify_bcrypt("battery staple", &hash));
    assert!(!verify_bcrypt("battery stapler", &hash));
}
