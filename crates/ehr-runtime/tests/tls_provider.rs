//! An application that installs its own rustls crypto provider keeps it: building the SDK's
//! HTTP client does not replace it. (Its own test binary: the provider is process-wide.)
#![cfg(feature = "rustls")]

use std::sync::Arc;

#[test]
fn an_installed_crypto_provider_is_kept() {
    let mut mine = rustls::crypto::ring::default_provider();
    // Distinguishable from the one the SDK would install: one cipher suite only.
    mine.cipher_suites.truncate(1);
    mine.install_default().expect("nothing installed yet");
    let before = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap();

    ehr_runtime::http_client_builder()
        .build()
        .expect("the client builds with the application's provider");
    let after = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap();
    assert!(Arc::ptr_eq(&before, &after));
    assert_eq!(after.cipher_suites.len(), 1);
}
