//! The command line: `serve`, `demo`, `migrate`, `import`, `prices import`, `user add`,
//! `user list|disable|enable|delete|set-role|reset-password`, `token create`.

mod import;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::app::{accounts, people, prices};
use crate::auth::Role;
use crate::config::{Config, DEFAULT_BIND, DEFAULT_CLIENT_DIR, DEFAULT_DATABASE_URL};
use crate::startup::{Application, ensure_default_catalog};
use crate::storage::Store;

#[derive(Debug, Parser)]
#[command(
    name = "tokentally",
    version,
    about = "Token economics for AI spend: meter, price, attribute, show back and charge back."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// sqlite://FILE or postgres://USER@HOST/DB
    #[arg(long, global = true, env = "TOKENTALLY_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// Address to listen on.
    #[arg(long, global = true, env = "TOKENTALLY_BIND", default_value = DEFAULT_BIND)]
    pub bind: SocketAddr,
    /// Longest a request may take, a slow upload included, before it is answered 408.
    #[arg(
        long,
        global = true,
        env = "TOKENTALLY_REQUEST_TIMEOUT_SECS",
        default_value_t = 60
    )]
    pub request_timeout_secs: u64,
    /// Ingest requests stored at once; past them a request waits for a turn.
    #[arg(
        long,
        global = true,
        env = "TOKENTALLY_INGEST_CONCURRENCY",
        default_value_t = crate::config::DEFAULT_INGEST_CONCURRENCY
    )]
    pub ingest_concurrency: usize,
    /// How long an ingest request waits for a turn (milliseconds) before it is answered 503
    /// with `Retry-After`.
    #[arg(
        long,
        global = true,
        env = "TOKENTALLY_INGEST_WAIT_MS",
        default_value_t = 5000
    )]
    pub ingest_wait_ms: u64,
    /// Proxies (IP addresses, comma-separated) whose `X-Forwarded-For` names the client.
    #[arg(
        long,
        global = true,
        env = "TOKENTALLY_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Let alert webhooks target loopback and private addresses.
    #[arg(long, global = true, env = "TOKENTALLY_ALLOW_PRIVATE_WEBHOOKS")]
    pub allow_private_webhooks: bool,
    /// The server secret that seals stored provider keys (16 characters or more).
    #[arg(
        long,
        global = true,
        env = "TOKENTALLY_SECRET_KEY",
        hide_env_values = true
    )]
    pub secret_key: Option<String>,
    /// A file holding the server secret (instead of `--secret-key`).
    #[arg(long, global = true, env = "TOKENTALLY_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,
    /// A PEM file of further trusted roots for outgoing HTTPS (proxies, local fakes).
    #[arg(long, global = true, env = "TOKENTALLY_CA_FILE")]
    pub ca_file: Option<PathBuf>,
    /// The SMTP server for the monthly digest and reminders (none: no email).
    #[arg(long, global = true, env = "TOKENTALLY_SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// Its port (587 is the submission port that speaks STARTTLS).
    #[arg(
        long,
        global = true,
        env = "TOKENTALLY_SMTP_PORT",
        default_value_t = 587
    )]
    pub smtp_port: u16,
    /// The SMTP user name, when the server asks for one.
    #[arg(long, global = true, env = "TOKENTALLY_SMTP_USER")]
    pub smtp_user: Option<String>,
    /// The SMTP password.
    #[arg(
        long,
        global = true,
        env = "TOKENTALLY_SMTP_PASSWORD",
        hide_env_values = true
    )]
    pub smtp_password: Option<String>,
    /// A file holding the SMTP password (instead of `--smtp-password`).
    #[arg(long, global = true, env = "TOKENTALLY_SMTP_PASSWORD_FILE")]
    pub smtp_password_file: Option<PathBuf>,
    /// The sender of tokentally's email: `tokentally <finops@example.com>`.
    #[arg(long, global = true, env = "TOKENTALLY_SMTP_FROM")]
    pub smtp_from: Option<String>,
    /// required (the default), opportunistic, or none (a local relay only).
    #[arg(
        long,
        global = true,
        env = "TOKENTALLY_SMTP_STARTTLS",
        default_value = "required"
    )]
    pub smtp_starttls: String,
    /// The day of the month from which last month's digest is sent (1 to 28).
    #[arg(
        long,
        global = true,
        env = "TOKENTALLY_DIGEST_DAY",
        default_value_t = 2
    )]
    pub digest_day: u32,
    /// The day of the month finance is reminded of a previous month still open (0: never).
    #[arg(
        long,
        global = true,
        env = "TOKENTALLY_CLOSE_REMINDER_DAY",
        default_value_t = 5
    )]
    pub close_reminder_day: u32,
    /// The client bundle's folder (the islands: `.ci/client` builds it there); without it
    /// the pages are static and work the same with a reload.
    #[arg(long, global = true, env = "TOKENTALLY_CLIENT_DIR", default_value = DEFAULT_CLIENT_DIR)]
    pub client_dir: PathBuf,
}

impl Global {
    /// The server secret and the extra roots, read and checked (a bad one stops the start).
    pub fn secrets(&self) -> anyhow::Result<(Option<crate::config::SecretKey>, Option<Vec<u8>>)> {
        let text = match (&self.secret_key, &self.secret_key_file) {
            (Some(_), Some(_)) => {
                anyhow::bail!("set TOKENTALLY_SECRET_KEY or TOKENTALLY_SECRET_KEY_FILE, not both")
            }
            (Some(k), None) => Some(k.clone()),
            (None, Some(path)) => Some(
                std::fs::read_to_string(path)
                    .with_context(|| format!("reading the secret key file {}", path.display()))?,
            ),
            (None, None) => None,
        };
        let key = text
            .map(|t| crate::config::SecretKey::from_text(&t).map_err(anyhow::Error::msg))
            .transpose()?;
        let ca = match &self.ca_file {
            Some(path) => {
                let pem = std::fs::read(path)
                    .with_context(|| format!("reading TOKENTALLY_CA_FILE {}", path.display()))?;
                reqwest::Certificate::from_pem_bundle(&pem).with_context(|| {
                    format!(
                        "TOKENTALLY_CA_FILE {} holds no PEM certificate",
                        path.display()
                    )
                })?;
                Some(pem)
            }
            None => None,
        };
        Ok((key, ca))
    }

    /// The SMTP settings, read and checked (a bad one stops the start).
    pub fn smtp(&self) -> anyhow::Result<Option<crate::config::SmtpConfig>> {
        if !(1..=28).contains(&self.digest_day) {
            anyhow::bail!("TOKENTALLY_DIGEST_DAY must be a day from 1 to 28");
        }
        if self.close_reminder_day > 28 {
            anyhow::bail!(
                "TOKENTALLY_CLOSE_REMINDER_DAY must be a day from 1 to 28, or 0 for never"
            );
        }
        let Some(host) = self
            .smtp_host
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
        else {
            return Ok(None);
        };
        let password = match (&self.smtp_password, &self.smtp_password_file) {
            (Some(_), Some(_)) => {
                anyhow::bail!(
                    "set TOKENTALLY_SMTP_PASSWORD or TOKENTALLY_SMTP_PASSWORD_FILE, not both"
                )
            }
            (Some(p), None) => Some(p.clone()),
            (None, Some(path)) => Some(
                std::fs::read_to_string(path)
                    .with_context(|| format!("reading the SMTP password file {}", path.display()))?
                    .trim_end_matches(['\r', '\n'])
                    .to_owned(),
            ),
            (None, None) => None,
        };
        if password.is_some() && self.smtp_user.is_none() {
            anyhow::bail!("an SMTP password needs TOKENTALLY_SMTP_USER too");
        }
        let from = self
            .smtp_from
            .clone()
            .context("TOKENTALLY_SMTP_HOST needs TOKENTALLY_SMTP_FROM, the sender's address")?;
        from.parse::<lettre::message::Mailbox>()
            .map_err(|e| anyhow::anyhow!("TOKENTALLY_SMTP_FROM `{from}` is not an address: {e}"))?;
        Ok(Some(crate::config::SmtpConfig {
            host: host.to_owned(),
            port: self.smtp_port,
            username: self.smtp_user.clone(),
            password,
            from,
            starttls: self.smtp_starttls.parse().map_err(anyhow::Error::msg)?,
        }))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the dashboard and the API.
    Serve,
    /// Serve a realistic, seeded demo organisation from an embedded SQLite file.
    Demo {
        /// The demo database file (created and seeded when missing, reused otherwise).
        #[arg(long, default_value = "tokentally-demo.db")]
        file: PathBuf,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Delete raw events from before a day. Rollups, and so every showback, drill-down and
    /// statement, stay; what needs the raw events (a workflow's own cost, late-usage
    /// adjustments, re-reading an event) is lost for those days.
    PruneEvents {
        /// The first day kept (YYYY-MM-DD).
        #[arg(long)]
        before: chrono::NaiveDate,
    },
    /// Import usage events from a file.
    Import {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = ImportFormat::Native)]
        format: ImportFormat,
        /// CSV only: send a column to a native field, a tag or nowhere
        /// (`--map "Cost Center=tags.cost_center"`, `--map Spend=reported_cost`, `--map Notes=`).
        #[arg(long = "map", value_name = "HEADER=FIELD")]
        map: Vec<String>,
        /// Read and check the file, show the first rows and every refused row, store nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Price catalog commands.
    Prices {
        #[command(subcommand)]
        command: PricesCommand,
    },
    /// User accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// tokentally's event format: a JSON array, {"events": [...]}, or NDJSON.
    Native,
    /// A CSV file; headers with native names map by themselves, `--map` sets the others.
    Csv,
    /// Chat Completions or Responses answers with their `usage` and owner fields.
    Openai,
    /// OpenAI organization Usage API pages (/v1/organization/usage/completions).
    OpenaiUsage,
    /// Anthropic Messages answers with their `usage` and owner fields.
    Anthropic,
    /// Anthropic Admin API usage report pages (/v1/organizations/usage_report/messages).
    AnthropicUsage,
    /// LiteLLM logging payloads (JSON) or spend-log rows (JSON or CSV).
    Litellm,
    /// AWS Bedrock model invocation logs (JSON lines, gzip or not).
    Bedrock,
    /// An OTLP/JSON traces export (ExportTraceServiceRequest).
    Otlp,
}

#[derive(Debug, Subcommand)]
pub enum PricesCommand {
    /// Import a LiteLLM model_prices_and_context_window.json file.
    Import {
        file: PathBuf,
        /// The day changed rates take effect (default: today).
        #[arg(long)]
        effective_from: Option<chrono::NaiveDate>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long, env = "TOKENTALLY_PASSWORD")]
        password: String,
        /// admin, finance, lead or viewer.
        #[arg(long)]
        role: String,
        /// A team the user leads (repeat for several).
        #[arg(long = "team")]
        teams: Vec<String>,
    },
    /// List the accounts: email, role, teams, and whether disabled.
    List,
    /// Disable an account: its sessions end and its own tokens stop at once.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Let a disabled account sign in again.
    Enable {
        #[arg(long)]
        email: String,
    },
    /// Delete an account: its sessions end and its own tokens are revoked.
    Delete {
        #[arg(long)]
        email: String,
    },
    /// Change an account's role and teams (the teams are replaced).
    SetRole {
        #[arg(long)]
        email: String,
        /// admin, finance, lead or viewer.
        #[arg(long)]
        role: String,
        /// A team the user leads (repeat for several).
        #[arg(long = "team")]
        teams: Vec<String>,
    },
    /// Give an account a new password; its sessions end.
    ResetPassword {
        #[arg(long)]
        email: String,
        #[arg(long, env = "TOKENTALLY_PASSWORD", hide_env_values = true)]
        password: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token; prints it alone on the last line.
    Create {
        #[arg(long)]
        name: String,
        /// ingest, or a user role (admin, finance, lead, viewer).
        #[arg(long, required_unless_present = "owner", conflicts_with = "owner")]
        role: Option<String>,
        #[arg(long = "team", conflicts_with = "owner")]
        teams: Vec<String>,
        /// The email of the person the token belongs to: it acts as them (their role and
        /// teams) and stops when their account is disabled or deleted.
        #[arg(long)]
        owner: Option<String>,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let g = cli.global;
    match cli.command {
        Command::Serve => {
            let mut config = Config::new(&g.database_url, g.bind);
            config.request_timeout = std::time::Duration::from_secs(g.request_timeout_secs.max(1));
            config.ingest_concurrency = g.ingest_concurrency.max(1);
            config.ingest_wait = std::time::Duration::from_millis(g.ingest_wait_ms);
            config.trusted_proxies = g.trusted_proxies.clone();
            config.allow_private_webhooks = g.allow_private_webhooks;
            (config.secret_key, config.ca_pem) = g.secrets()?;
            config.smtp = g.smtp()?;
            config.digest_day = g.digest_day;
            config.close_reminder_day = g.close_reminder_day;
            config.client_dir = Some(g.client_dir.clone());
            let app = Application::build(config).await?;
            println!(
                "tokentally is serving on http://{}",
                app_addr(g.bind, app.port())
            );
            app.run_until_stopped().await
        }
        Command::Demo { file } => Box::pin(crate::demo::run(&file, g.bind, &g.client_dir)).await,
        Command::Migrate => {
            connect(&g.database_url).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::PruneEvents { before } => {
            let store = connect(&g.database_url).await?;
            let n = store.prune_events(before).await?;
            store
                .add_audit(
                    "cli",
                    "events.prune",
                    &format!("events:before:{before}"),
                    None,
                    Some(serde_json::json!({"deleted": n})),
                )
                .await?;
            println!("deleted {n} raw events from before {before}; rollups are kept");
            Ok(())
        }
        Command::Import {
            file,
            format,
            map,
            dry_run,
        } => {
            let body =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            import::run(&g.database_url, &file, &body, format, &map, dry_run).await
        }
        Command::Prices {
            command:
                PricesCommand::Import {
                    file,
                    effective_from,
                },
        } => {
            let store = connect(&g.database_url).await?;
            let body =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let day = effective_from.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let report = prices::import_litellm(&store, &body, day).await?;
            // A server on this database keeps computed showbacks until the version moves.
            store.bump_data_version().await?;
            println!(
                "imported {} cards, {} unchanged, {} entries skipped",
                report.imported, report.unchanged, report.skipped
            );
            for (reason, n) in &report.skipped_by_reason {
                println!("  skipped {n}: {reason}");
            }
            Ok(())
        }
        Command::User { command } => {
            let store = connect(&g.database_url).await?;
            user_command(&store, command).await
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    name,
                    role,
                    teams,
                    owner,
                },
        } => {
            let store = connect(&g.database_url).await?;
            let token = match (owner, role) {
                (Some(owner), _) => {
                    let token = accounts::create_personal_token(&store, &name, &owner).await?;
                    eprintln!("created token `{name}` acting as {owner}; it is shown once:");
                    token
                }
                (None, Some(role)) => {
                    let role: Role = role.parse().map_err(anyhow::Error::msg)?;
                    let token = accounts::create_token(&store, &name, role, &teams).await?;
                    eprintln!("created {role} token `{name}`; it is shown once:");
                    token
                }
                (None, None) => anyhow::bail!("give --role or --owner"),
            };
            println!("{token}");
            Ok(())
        }
    }
}

/// `user list|disable|enable|delete|set-role|reset-password`, audited as `cli`.
async fn user_command(store: &Store, command: UserCommand) -> anyhow::Result<()> {
    const ACTOR: &str = "cli";
    let id_of = |email: String| async move { people::find(store, &email).await.map(|u| u.id) };
    match command {
        UserCommand::Add {
            email,
            password,
            role,
            teams,
        } => {
            let role = accounts::user_role(&role)?;
            accounts::add_user(store, &email, &password, role, &teams)
                .await
                .with_context(|| format!("creating user {email}"))?;
            println!("created {role} {email}");
        }
        UserCommand::List => {
            for u in store.list_users().await? {
                let state = if u.is_disabled() {
                    "disabled"
                } else {
                    "active"
                };
                println!("{}\t{}\t{}\t{state}", u.email, u.role, u.teams.join(","));
            }
        }
        UserCommand::Disable { email } => {
            let u = people::disable(store, ACTOR, id_of(email.clone()).await?).await?;
            println!(
                "disabled {}; their sessions and own tokens stopped",
                u.email
            );
        }
        UserCommand::Enable { email } => {
            let u = people::enable(store, ACTOR, id_of(email.clone()).await?).await?;
            println!("enabled {}", u.email);
        }
        UserCommand::Delete { email } => {
            let u = people::delete(store, ACTOR, id_of(email.clone()).await?).await?;
            println!("deleted {}", u.email);
        }
        UserCommand::SetRole { email, role, teams } => {
            let role = accounts::user_role(&role)?;
            let u =
                people::set_access(store, ACTOR, id_of(email.clone()).await?, role, &teams).await?;
            println!("{} is now {role}", u.email);
        }
        UserCommand::ResetPassword { email, password } => {
            let id = id_of(email.clone()).await?;
            let u = people::reset_password(store, ACTOR, id, &password).await?;
            println!("set a new password for {}; their sessions ended", u.email);
        }
    }
    Ok(())
}

pub(crate) async fn connect(url: &str) -> anyhow::Result<Store> {
    let store = Store::connect(url)
        .await
        .with_context(|| format!("opening {}", crate::storage::redact(url)))?;
    ensure_default_catalog(&store).await?;
    Ok(store)
}

fn app_addr(bind: SocketAddr, port: u16) -> SocketAddr {
    SocketAddr::new(bind.ip(), port)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::Cli;
    use crate::config::StartTls;

    fn smtp(args: &[&str]) -> anyhow::Result<Option<crate::config::SmtpConfig>> {
        let args = std::iter::once("tokentally")
            .chain(args.iter().copied())
            .chain(std::iter::once("serve"));
        Cli::try_parse_from(args)
            .expect("flags parse")
            .global
            .smtp()
    }

    #[test]
    fn smtp_settings_are_checked_at_start() {
        assert_eq!(smtp(&[]).unwrap(), None, "no host: no email");
        let s = smtp(&[
            "--smtp-host",
            "mail.example.com",
            "--smtp-from",
            "tokentally <finops@example.com>",
            "--smtp-user",
            "finops",
            "--smtp-password",
            "secret",
        ])
        .unwrap()
        .unwrap();
        assert_eq!((s.port, s.starttls), (587, StartTls::Required));
        assert!(
            !format!("{s:?}").contains("secret"),
            "the password is not shown"
        );
        let refused = [
            (&["--smtp-host", "h"][..], "TOKENTALLY_SMTP_FROM"),
            (
                &["--smtp-host", "h", "--smtp-from", "not an address"][..],
                "not an address",
            ),
            (
                &[
                    "--smtp-host",
                    "h",
                    "--smtp-from",
                    "a@b.c",
                    "--smtp-password",
                    "p",
                ][..],
                "TOKENTALLY_SMTP_USER",
            ),
            (
                &[
                    "--smtp-host",
                    "h",
                    "--smtp-from",
                    "a@b.c",
                    "--smtp-starttls",
                    "maybe",
                ][..],
                "required, opportunistic or none",
            ),
            (&["--digest-day", "31"][..], "TOKENTALLY_DIGEST_DAY"),
        ];
        for (args, says) in refused {
            let e = smtp(args).expect_err(says).to_string();
            assert!(e.contains(says), "{e}");
        }
    }
}
