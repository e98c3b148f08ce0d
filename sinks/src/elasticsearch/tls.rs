//! The TLS client configuration for `https://` nodes: the CA file or the system's roots, an
//! optional client certificate, or no verification at all (tests). Built on the ring
//! provider explicitly, so it does not depend on a process-wide default being installed.

use super::config::ElasticsearchConfig;
use crate::BuildError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_platform_verifier::BuilderVerifierExt;
use std::path::Path;
use std::sync::Arc;

/// Builds the TLS configuration the sink's HTTP client uses.
pub fn client_config(config: &ElasticsearchConfig) -> Result<ClientConfig, BuildError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| BuildError(format!("cannot set up TLS: {e}")))?;
    let builder = if config.ssl_insecure_skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
    } else if let Some(ca) = &config.ssl_ca_cert_file {
        let mut roots = RootCertStore::empty();
        for cert in read_certs(ca, "ssl_ca_cert_file")? {
            roots.add(cert).map_err(|e| {
                BuildError(format!(
                    "`ssl_ca_cert_file`: `{}` holds a certificate rustls cannot use: {e}",
                    ca.display()
                ))
            })?;
        }
        builder.with_root_certificates(roots)
    } else {
        builder.with_platform_verifier().map_err(|e| {
            BuildError(format!(
                "cannot load the system's root certificates: {e}; set `ssl_ca_cert_file`"
            ))
        })?
    };
    let mut tls = match (&config.ssl_cert_file, &config.ssl_key_file) {
        (Some(cert), Some(key)) => {
            let certs = read_certs(cert, "ssl_cert_file")?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
                BuildError(format!(
                    "`ssl_key_file`: cannot read a PEM private key from `{}`: {e}",
                    key.display()
                ))
            })?;
            builder.with_client_auth_cert(certs, key).map_err(|e| {
                BuildError(format!(
                    "`ssl_cert_file` / `ssl_key_file`: the certificate and key cannot be used together: {e}"
                ))
            })?
        }
        _ => builder.with_no_client_auth(),
    };
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tls)
}

/// The certificates of a PEM file; an error naming `option` when there are none.
fn read_certs(path: &Path, option: &str) -> Result<Vec<CertificateDer<'static>>, BuildError> {
    let fail = |why: String| {
        BuildError(format!(
            "`{option}`: cannot read PEM certificates from `{}`: {why}",
            path.display()
        ))
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| fail(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(e.to_string()))?;
    if certs.is_empty() {
        return Err(fail("the file holds no certificate".to_string()));
    }
    Ok(certs)
}

/// `ssl_insecure_skip_verify`: any certificate is accepted; handshake signatures are still
/// checked, so the connection is encrypted, just not authenticated.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
