//! The README's one line for applications that build a `reqwest::Client` of their own before
//! any SDK client, with no rustls provider of their own: this test binary is such an application
//! (its reqwest has no default features, and nothing here has built an SDK client), so this is
//! the only test in it.

#[test]
fn a_reqwest_client_of_your_own_builds_once_install_tls_provider_was_called() {
    let before = std::panic::catch_unwind(|| reqwest::Client::builder().build());
    assert!(
        before.is_err(),
        "without a provider, reqwest panics (the case the README documents)"
    );

    ehr_sdk::runtime::install_tls_provider();

    reqwest::Client::builder()
        .build()
        .expect("a client of your own");
}
