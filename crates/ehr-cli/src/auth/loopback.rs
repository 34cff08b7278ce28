//! The redirect of an authorization-code login, received on 127.0.0.1 (RFC 8252, "loopback
//! interface redirection"): a listener on a port of the loopback interface only, answering
//! the browser's one request and checking its `state`.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::failure::Failure;

/// The longest a request head from the browser may be.
const MAX_HEAD: usize = 16 * 1024;

/// A listener waiting for the authorization server's redirect.
pub struct Redirect {
    listener: tokio::net::TcpListener,
    /// The redirect URI to register and send: `http://127.0.0.1:<port>/callback`.
    pub uri: String,
}

impl Redirect {
    /// Listens on `127.0.0.1:port` (any free port for 0).
    pub async fn bind(port: u16) -> Result<Self, Failure> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| Failure::Other(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| Failure::Other(format!("cannot listen: {e}")))?
            .port();
        Ok(Self {
            listener,
            uri: format!("http://127.0.0.1:{port}/callback"),
        })
    }

    /// Waits (at most `timeout`) for the browser's request to `/callback`, answers it with a
    /// page saying what happened, and returns its `code` when its `state` is `state`. Other
    /// paths (a browser's `/favicon.ico`) get 404 and the wait goes on; a refusal (`error`) or
    /// another `state` ends the login.
    pub async fn code(self, state: &str, timeout: Duration) -> Result<String, Failure> {
        tokio::time::timeout(timeout, self.receive(state))
            .await
            .map_err(|_| {
                Failure::Auth(format!(
                    "no redirect came to {} within {} s",
                    self.uri,
                    timeout.as_secs()
                ))
            })?
    }

    async fn receive(&self, state: &str) -> Result<String, Failure> {
        loop {
            let (mut socket, _) = self
                .listener
                .accept()
                .await
                .map_err(|e| Failure::Other(format!("the redirect listener failed: {e}")))?;
            let Some(target) = request_target(&mut socket).await else {
                continue;
            };
            let Some(query) = target.strip_prefix("/callback") else {
                answer(&mut socket, 404, "Not found.").await;
                continue;
            };
            let query = query.strip_prefix('?').unwrap_or("");
            let mut code = None;
            let mut returned_state = None;
            let mut error = None;
            for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
                match &*key {
                    "code" => code = Some(value.into_owned()),
                    "state" => returned_state = Some(value.into_owned()),
                    "error" => error = Some(value.into_owned()),
                    _ => {}
                }
            }
            if returned_state.as_deref() != Some(state) {
                answer(
                    &mut socket,
                    400,
                    "This redirect is not from this login; nothing was done.",
                )
                .await;
                return Err(Failure::Auth(
                    "the redirect's state does not match this login's: refused (run the login again)"
                        .into(),
                ));
            }
            if let Some(error) = error {
                answer(
                    &mut socket,
                    200,
                    "The authorization was refused; you can close this tab.",
                )
                .await;
                return Err(Failure::Auth(format!(
                    "the authorization was refused: {error}"
                )));
            }
            let Some(code) = code else {
                answer(&mut socket, 400, "The redirect has no code.").await;
                return Err(Failure::Auth("the redirect has no code".into()));
            };
            answer(
                &mut socket,
                200,
                "ehr is logged in; you can close this tab.",
            )
            .await;
            return Ok(code);
        }
    }
}

/// The target of a GET request read from `socket` (`/callback?code=…`), if it is one.
async fn request_target(socket: &mut tokio::net::TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut chunk = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 || head.len() + n > MAX_HEAD {
            return None;
        }
        head.extend_from_slice(&chunk[..n]);
    }
    let line = head.split(|b| *b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    (parts.next()? == "GET").then_some(())?;
    parts.next().map(str::to_string)
}

async fn answer(socket: &mut tokio::net::TcpStream, status: u16, message: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        _ => "Not Found",
    };
    let body = format!("<!doctype html><title>ehr</title><p>{message}</p>\n");
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: text/html; charset=utf-8\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = socket.write_all(response.as_bytes()).await;
    let _ = socket.shutdown().await;
}

/// A fresh `state`: 128 random bits from the operating system, as hex.
pub fn state() -> Result<String, Failure> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| Failure::Other(format!("no randomness for the login's state: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
