//! Email out over SMTP with lettre: STARTTLS on rustls (ring), trusting the web PKI roots
//! and `TOKENTALLY_CA_FILE`'s, as outgoing HTTPS does. One connection per message: a digest
//! run sends a few dozen at most, once a month.

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{Config, SmtpConfig, StartTls};

/// An email to send: both parts say the same (multipart/alternative).
#[derive(Debug, Clone)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Sends email with the configured SMTP server.
pub struct Mailer {
    smtp: SmtpConfig,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

pub const NO_SMTP: &str = "tokentally has no SMTP server to send email with: start it with TOKENTALLY_SMTP_HOST \
     and TOKENTALLY_SMTP_FROM set (see OPERATIONS.md)";

impl Mailer {
    /// The mailer of the settings; `Err` says why there is none.
    pub fn of(config: &Config) -> Result<Self, String> {
        let smtp = config.smtp.clone().ok_or(NO_SMTP)?;
        let from: Mailbox = smtp.from.parse().map_err(|e| {
            format!(
                "TOKENTALLY_SMTP_FROM `{}` is not an address: {e}",
                smtp.from
            )
        })?;
        let tls = match smtp.starttls {
            StartTls::None => Tls::None,
            mode => {
                let mut params = TlsParameters::builder(smtp.host.clone());
                if let Some(pem) = &config.ca_pem {
                    let roots = Certificate::from_pem(pem)
                        .map_err(|e| format!("TOKENTALLY_CA_FILE could not be read: {e}"))?;
                    params = params.add_root_certificate(roots);
                }
                let params = params
                    .build_rustls()
                    .map_err(|e| format!("setting up TLS for SMTP: {e}"))?;
                if mode == StartTls::Required {
                    Tls::Required(params)
                } else {
                    Tls::Opportunistic(params)
                }
            }
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.clone())
                .port(smtp.port)
                .tls(tls)
                .timeout(Some(std::time::Duration::from_secs(30)));
        if let Some(user) = &smtp.username {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                smtp.password.clone().unwrap_or_default(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            smtp,
            from,
        })
    }

    /// Sends one email; the error names the recipient and the server's answer, never the
    /// password.
    pub async fn send(&self, email: &Email) -> Result<(), String> {
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e| format!("`{}` is not an address: {e}", email.to))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .map_err(|e| format!("composing the email to {}: {e}", email.to))?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| {
            format!(
                "sending to {} through {}:{}: {e}",
                email.to, self.smtp.host, self.smtp.port
            )
        })
    }
}
