//! Outbound HTTP over `wasi:http`, for sinks. The pump only lets a plugin reach the hosts
//! on its `allow_hosts` list; any other request fails with an error naming the host.

use std::fmt;

/// A response: status and the whole body.
#[derive(Debug, Clone)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The response body.
    pub body: Vec<u8>,
}

/// Why a request got no response.
#[derive(Debug, Clone)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Sends `POST url` with the headers and body, and reads the whole response.
pub fn post(url: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<Response, Error> {
    send("POST", url, headers, body)
}

/// Sends a request with any method, and reads the whole response.
pub fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Response, Error> {
    let target = Target::parse(url)?;
    imp::send(method, &target, headers, body)
}

/// The parts of an `http://` or `https://` URL a request needs.
#[derive(Debug, PartialEq, Eq)]
struct Target<'a> {
    https: bool,
    authority: &'a str,
    path_and_query: &'a str,
}

impl<'a> Target<'a> {
    fn parse(url: &'a str) -> Result<Self, Error> {
        let (https, rest) = if let Some(r) = url.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("http://") {
            (false, r)
        } else {
            return Err(Error(format!("`{url}` is not an http:// or https:// URL")));
        };
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        if authority.is_empty() {
            return Err(Error(format!("`{url}` has no host")));
        }
        Ok(Target {
            https,
            authority,
            path_and_query: if path.is_empty() { "/" } else { path },
        })
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::{Error, Response, Target};
    use wasip2::http::outgoing_handler;
    use wasip2::http::types::{Fields, Method, OutgoingBody, OutgoingRequest, Scheme};

    /// What one `blocking_write_and_flush` may take.
    const CHUNK: usize = 4096;

    pub fn send(
        method: &str,
        target: &Target<'_>,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Response, Error> {
        let fields = Fields::new();
        // A declared length lets the request go out in one piece rather than chunked.
        if !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        {
            fields
                .append("content-length", body.len().to_string().as_bytes())
                .map_err(|e| Error(format!("header `content-length`: {e:?}")))?;
        }
        for (name, value) in headers {
            fields
                .append(name, value.as_bytes())
                .map_err(|e| Error(format!("header `{name}`: {e:?}")))?;
        }
        let request = OutgoingRequest::new(fields);
        let method = match method {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "PATCH" => Method::Patch,
            "HEAD" => Method::Head,
            other => Method::Other(other.to_string()),
        };
        let invalid = |what: &str| Error(format!("invalid request {what}"));
        request
            .set_method(&method)
            .map_err(|()| invalid("method"))?;
        let scheme = if target.https {
            Scheme::Https
        } else {
            Scheme::Http
        };
        request
            .set_scheme(Some(&scheme))
            .map_err(|()| invalid("scheme"))?;
        request
            .set_authority(Some(target.authority))
            .map_err(|()| invalid("host"))?;
        request
            .set_path_with_query(Some(target.path_and_query))
            .map_err(|()| invalid("path"))?;

        let outgoing = request.body().map_err(|()| invalid("body"))?;
        let pending = outgoing_handler::handle(request, None)
            .map_err(|e| Error(format!("request to {} refused: {e:?}", target.authority)))?;
        let sent = (|| {
            let stream = outgoing.write().map_err(|()| invalid("body stream"))?;
            for chunk in body.chunks(CHUNK) {
                stream
                    .blocking_write_and_flush(chunk)
                    .map_err(|e| Error(format!("sending the body: {e:?}")))?;
            }
            drop(stream);
            OutgoingBody::finish(outgoing, None)
                .map_err(|e| Error(format!("finishing the body: {e:?}")))
        })();

        pending.subscribe().block();
        let response = match pending.get() {
            // The request's own failure (refused, unreachable) says more than the body's.
            Some(Ok(Err(code))) => {
                return Err(Error(format!("request to {}: {code:?}", target.authority)));
            }
            // A server may answer before taking the whole body (413, say): its answer counts.
            Some(Ok(Ok(r))) => r,
            Some(Err(())) | None => {
                sent?;
                return Err(Error("no response".into()));
            }
        };
        let status = response.status();
        let incoming = response.consume().map_err(|()| Error("no body".into()))?;
        let mut body = Vec::new();
        {
            let stream = incoming.stream().map_err(|()| Error("no body".into()))?;
            loop {
                match stream.blocking_read(64 * 1024) {
                    Ok(bytes) => body.extend_from_slice(&bytes),
                    Err(wasip2::io::streams::StreamError::Closed) => break,
                    Err(e) => return Err(Error(format!("reading the response: {e:?}"))),
                }
            }
        }
        Ok(Response { status, body })
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::{Error, Response, Target};

    pub fn send(
        _method: &str,
        target: &Target<'_>,
        _headers: &[(&str, &str)],
        _body: &[u8],
    ) -> Result<Response, Error> {
        Err(Error(format!(
            "HTTP to {} is only available inside the pump (wasm32-wasip2)",
            target.authority
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_urls_into_what_a_request_needs() {
        let t = Target::parse("http://127.0.0.1:9000/ingest?x=1").unwrap();
        assert_eq!(
            t,
            Target {
                https: false,
                authority: "127.0.0.1:9000",
                path_and_query: "/ingest?x=1"
            }
        );
        assert_eq!(
            Target::parse("https://hec.example").unwrap().path_and_query,
            "/"
        );
        assert!(Target::parse("ftp://x/").is_err());
        assert!(Target::parse("http:///x").is_err());
    }
}
