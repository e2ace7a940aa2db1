//! The only network code of the project: GET and multipart POST to a
//! notary-server, over HTTPS (system-independent Mozilla roots, or the CA
//! given with `--tls-ca`) or plain HTTP where [`endpoint`](crate::endpoint)
//! allows it.
//!
//! The server is hostile until its answers are checked: redirects are not
//! followed (a 3xx is an error naming where it pointed), answers are capped
//! in size and time, and any text from the server is made printable before
//! it reaches the terminal.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use crate::endpoint::Endpoint;
use crate::printable;
use ceremony::error::{Error, Result};
use ureq::tls::{Certificate, RootCerts, TlsConfig};

/// The most bytes read from one answer. A root, a key or an error is a few
/// KiB; the cap only has to stop a server that never ends its answer.
pub const MAX_ANSWER: u64 = 16 << 20;

/// A client for one server.
pub struct Server {
    agent: ureq::Agent,
    base: String,
}

/// A response: status and body.
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

fn net(e: ureq::Error, url: &str) -> Error {
    Error::input(format!(
        "cannot reach {url}: {}",
        printable(&e.to_string(), 300)
    ))
    .hint("check --server, the network, and --tls-ca for a private CA")
}

impl Server {
    /// A client for `endpoint`, trusting `tls_ca` (else the Mozilla roots).
    pub fn new(endpoint: &Endpoint, tls_ca: Option<&Path>) -> Result<Server> {
        let mut tls = TlsConfig::builder();
        if let Some(ca) = tls_ca {
            let pem =
                ceremony::transfer::input::read_file(ca, ceremony::transfer::input::Limit::Small)?;
            let cert = Certificate::from_pem(&pem).map_err(|e| {
                Error::input(format!("{}: not a PEM certificate: {e}", ca.display()))
            })?;
            tls = tls.root_certs(RootCerts::new_with_certs(&[cert]));
        }
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // A 3xx comes back as it is, to be refused by `check_status`.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .max_response_header_size(64 * 1024)
            .timeout_connect(Some(Duration::from_secs(15)))
            .timeout_global(Some(Duration::from_secs(60)))
            .tls_config(tls.build());
        if !endpoint.tls {
            // Plain HTTP goes straight to the host that was checked, never
            // through a proxy named in the environment (which would carry
            // it off this machine in the clear).
            config = config.proxy(None);
        }
        Ok(Server {
            agent: config.build().into(),
            base: endpoint.base.clone(),
        })
    }

    fn read(resp: ureq::http::Response<ureq::Body>, url: &str) -> Result<Reply> {
        let status = resp.status().as_u16();
        if (300..400).contains(&status) {
            let to = resp
                .headers()
                .get("location")
                .map(|l| printable(&String::from_utf8_lossy(l.as_bytes()), 200))
                .unwrap_or_else(|| "nowhere (no Location)".to_string());
            return Err(Error::input(format!(
                "{url}: the server redirects (HTTP {status}) to {to}; redirects are not followed"
            ))
            .hint("give the server's final address with --server, if it is one you trust"));
        }
        let mut body = Vec::new();
        resp.into_body()
            .into_reader()
            .take(MAX_ANSWER + 1)
            .read_to_end(&mut body)
            .map_err(|e| {
                Error::input(format!(
                    "{url}: cannot read the answer: {}",
                    printable(&e.to_string(), 300)
                ))
            })?;
        if body.len() as u64 > MAX_ANSWER {
            return Err(Error::input(format!(
                "{url}: the answer is larger than {} MiB; not read further",
                MAX_ANSWER >> 20
            ))
            .hint("this is not a notary-server answer: check --server"));
        }
        Ok(Reply { status, body })
    }

    /// GET `path` (starting with `/`).
    pub fn get(&self, path: &str) -> Result<Reply> {
        let url = format!("{}{path}", self.base);
        let resp = self.agent.get(&url).call().map_err(|e| net(e, &url))?;
        Self::read(resp, &url)
    }

    /// POSTs files as one multipart/form-data request, one part per file
    /// named by its file name, as the notary client does. Names are checked
    /// by the caller (no quote, no line break).
    pub fn post_files(&self, path: &str, files: &[(String, Vec<u8>)]) -> Result<Reply> {
        let url = format!("{}{path}", self.base);
        let mut nonce = [0u8; 12];
        rand::Rng::fill_bytes(&mut ceremony::secret::os_rng(), &mut nonce);
        let boundary = format!("ceremony-{}", hex::encode(nonce));
        let mut body = Vec::new();
        for (name, bytes) in files {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let resp = self
            .agent
            .post(&url)
            .content_type(format!("multipart/form-data; boundary={boundary}"))
            .send(&body[..])
            .map_err(|e| net(e, &url))?;
        Self::read(resp, &url)
    }
}

/// The server's error detail, in one printable line: `{"errors":[{"code",
/// "message", "detail":{"Name","Error":{"Msg"}}}]}`, or the raw body.
pub fn error_detail(body: &[u8]) -> String {
    printable(&error_text(body), 500)
}

fn error_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body).trim().to_string();
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return text;
    };
    let Some(errs) = v.get("errors").and_then(|e| e.as_array()) else {
        return text;
    };
    errs.iter()
        .take(5)
        .map(|e| {
            let code = e.get("code").and_then(|c| c.as_str()).unwrap_or("?");
            let msg = e.get("message").and_then(|c| c.as_str()).unwrap_or("");
            let detail = e.get("detail");
            let name = detail.and_then(|d| d.get("Name")).and_then(|n| n.as_str());
            let inner = detail
                .and_then(|d| d.get("Error"))
                .and_then(|x| x.get("Msg").or(Some(x)))
                .map(|m| {
                    m.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| m.to_string())
                });
            match (name, inner) {
                (Some(n), Some(i)) => format!("{code}: {msg} ({n}: {i})"),
                (Some(n), None) => format!("{code}: {msg} ({n})"),
                (None, Some(i)) if i != "null" => format!("{code}: {msg} ({i})"),
                _ => format!("{code}: {msg}"),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}
