//! The client bundle: `crates/web`'s islands compiled to WebAssembly by `.ci/client`
//! (`tokentally_web.js` and `tokentally_web_bg.wasm`), with the islands' loader that the web
//! crate ships (`islands.js`). Read once at start from `TOKENTALLY_CLIENT_DIR`, gzipped once,
//! and served at `/pkg/<hash>/<file>`: the hash is of the files' content, so an address never
//! changes meaning and browsers may keep the files for a year. Without a bundle nothing is
//! served and the pages are static.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::extract::Path as UrlPath;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::Digest;

use crate::state::AppState;

/// The files wasm-bindgen writes for `--out-name tokentally_web --target web`.
const JS: &str = "tokentally_web.js";
const WASM: &str = "tokentally_web_bg.wasm";
const LOADER: &str = "islands.js";

struct File {
    name: &'static str,
    content_type: &'static str,
    gzip: Bytes,
    plain: Bytes,
}

pub struct ClientBundle {
    /// `/pkg/<hash>`: where the documents find it.
    path: String,
    hash: String,
    files: Vec<File>,
}

impl ClientBundle {
    /// Reads the bundle from `dir`; `None` when it has not been built there (no JavaScript
    /// module or no WebAssembly).
    pub fn load(dir: &Path) -> anyhow::Result<Option<Self>> {
        let (js, wasm) = (dir.join(JS), dir.join(WASM));
        if !js.is_file() || !wasm.is_file() {
            return Ok(None);
        }
        let read = |p: &Path| std::fs::read(p).with_context(|| format!("reading {}", p.display()));
        let sources = [
            (JS, "text/javascript; charset=utf-8", read(&js)?),
            (WASM, "application/wasm", read(&wasm)?),
            (
                LOADER,
                "text/javascript; charset=utf-8",
                tokentally_web::shell::ISLANDS_LOADER.as_bytes().to_vec(),
            ),
        ];
        let mut digest = sha2::Sha256::new();
        let mut files = Vec::new();
        for (name, content_type, plain) in sources {
            digest.update(name.as_bytes());
            digest.update(&plain);
            files.push(File {
                name,
                content_type,
                gzip: gzip(&plain)?.into(),
                plain: plain.into(),
            });
        }
        let hash = hex::encode(&digest.finalize()[..8]);
        Ok(Some(Self {
            path: format!("/pkg/{hash}"),
            hash,
            files,
        }))
    }

    /// Where the documents load it from: `/pkg/<hash>`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Each file's size as served compressed (gzip), for the log: `(name, plain, gzip)`.
    pub fn sizes(&self) -> Vec<(&'static str, usize, usize)> {
        self.files
            .iter()
            .map(|f| (f.name, f.plain.len(), f.gzip.len()))
            .collect()
    }

    fn answer(&self, hash: &str, name: &str, headers: &HeaderMap) -> Response {
        let Some(file) = self
            .files
            .iter()
            .find(|f| f.name == name)
            .filter(|_| hash == self.hash)
        else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let gzip_ok = headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
        let mut response = if gzip_ok {
            let mut r = file.gzip.clone().into_response();
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            r
        } else {
            file.plain.clone().into_response()
        };
        let h = response.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(file.content_type),
        );
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        response
    }
}

fn gzip(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

/// `GET /pkg/{hash}/{file}`: the bundle's files, or 404 (no bundle, another hash, another file).
pub fn routes(bundle: Option<Arc<ClientBundle>>) -> Router<AppState> {
    Router::new().route(
        "/pkg/{hash}/{file}",
        get(
            move |UrlPath((hash, file)): UrlPath<(String, String)>, headers: HeaderMap| {
                let bundle = bundle.clone();
                async move {
                    match bundle {
                        Some(b) => b.answer(&hash, &file, &headers),
                        None => StatusCode::NOT_FOUND.into_response(),
                    }
                }
            },
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle_in(dir: &Path) -> ClientBundle {
        std::fs::write(dir.join(JS), "export default function init() {}").unwrap();
        std::fs::write(dir.join(WASM), b"\0asm\x01\0\0\0").unwrap();
        ClientBundle::load(dir).unwrap().unwrap()
    }

    #[test]
    fn no_bundle_is_no_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(ClientBundle::load(dir.path()).unwrap().is_none());
    }

    #[test]
    fn files_are_served_under_their_hash_compressed_and_kept_a_year() {
        let dir = tempfile::tempdir().unwrap();
        let b = bundle_in(dir.path());
        let hash = b.path().strip_prefix("/pkg/").unwrap().to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, br"),
        );
        let r = b.answer(&hash, WASM, &headers);
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/wasm");
        assert_eq!(r.headers()[header::CONTENT_ENCODING], "gzip");
        assert!(
            r.headers()[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        let plain = b.answer(&hash, LOADER, &HeaderMap::new());
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(
            b.answer("0000", WASM, &headers).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            b.answer(&hash, "other.js", &headers).status(),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn the_hash_follows_the_content() {
        let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let a = bundle_in(one.path());
        std::fs::write(two.path().join(JS), "export default function init() { }").unwrap();
        std::fs::write(two.path().join(WASM), b"\0asm\x01\0\0\0").unwrap();
        let b = ClientBundle::load(two.path()).unwrap().unwrap();
        assert_ne!(a.path(), b.path());
    }
}
