//! A minimal browser for page tests: keeps the session cookie, reads CSRF tokens from forms,
//! never follows redirects (tests look at them).

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, StatusCode};
use tokentally_server::auth::Role;

use crate::helpers::TestApp;

pub struct Browser<'a> {
    pub app: &'a TestApp,
    client: Client,
    pub cookie: Option<String>,
    /// The raw Set-Cookie header of the login, to check its attributes.
    pub set_cookie: Option<String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    /// The CSRF token of the page's first form.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("no CSRF field in {}", self.body))
            + marker.len();
        self.body[start..].split('"').next().unwrap().to_owned()
    }
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            app,
            client,
            cookie: None,
            set_cookie: None,
        }
    }

    /// A user with this role exists and is signed in.
    pub async fn signed_in(app: &'a TestApp, role: Role, teams: &[&str]) -> Browser<'a> {
        let email = format!("{}-{}@example.test", role, teams.join("-"));
        let teams: Vec<String> = teams.iter().map(|t| t.to_string()).collect();
        tokentally_server::app::accounts::add_user(
            &app.store,
            &email,
            "a long password",
            role,
            &teams,
        )
        .await
        .unwrap();
        let mut b = Browser::new(app);
        let page = b.login(&email, "a long password").await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "login failed: {}",
            page.body
        );
        b
    }

    fn with_cookie(&self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.cookie {
            Some(c) => r.header(COOKIE, format!("tt_session={c}")),
            None => r,
        }
    }

    async fn read(&mut self, r: reqwest::Response) -> Page {
        if let Some(sc) = r.headers().get(SET_COOKIE).and_then(|v| v.to_str().ok()) {
            self.set_cookie = Some(sc.to_owned());
            let value = sc
                .split(';')
                .next()
                .unwrap()
                .trim_start_matches("tt_session=")
                .to_owned();
            self.cookie = (!value.is_empty()).then_some(value);
        }
        let status = r.status();
        let location = r
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Page {
            status,
            location,
            body: r.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let r = self
            .with_cookie(self.client.get(self.app.url(path)))
            .send()
            .await
            .unwrap();
        self.read(r).await
    }

    pub async fn post_form(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let r = self
            .with_cookie(self.client.post(self.app.url(path)))
            .form(form)
            .send()
            .await
            .unwrap();
        self.read(r).await
    }

    pub async fn login(&mut self, email: &str, password: &str) -> Page {
        self.post_form(
            "/login",
            &[("email", email), ("password", password), ("next", "/")],
        )
        .await
    }
}
