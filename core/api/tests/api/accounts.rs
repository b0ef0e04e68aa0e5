//! Accounts API: sign-up, login, logout and revocation, the login lock, owner-only addresses,
//! the GDPR export and erasure, staff with the TOTP second factor, roles on the admin API, and
//! bad input. Time moves through the app's clock (`state.auth.clock`), never by waiting.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use core_api::auth::{self, totp};
use serde_json::{Value, json};
use time::Duration;

use super::{Answer, TestApp, spawn_app};

const PASSWORD: &str = "correct horse battery";

async fn sign_up(app: &TestApp, email: &str, market: &str) -> Answer {
    app.post("/v1/accounts", json!({"email": email, "password": PASSWORD, "name": "Ada Lovelace", "market": market}))
        .await
}

async fn login(app: &TestApp, email: &str, password: &str) -> Answer {
    app.post("/v1/sessions", json!({"email": email, "password": password})).await
}

fn token(a: &Answer) -> String {
    a.body["token"].as_str().unwrap_or_else(|| panic!("no token in {}", a.body)).to_string()
}

fn code(a: &Answer) -> (u16, &str) {
    (a.status.as_u16(), a.code())
}

fn an_address(city: &str, is_default: bool) -> Value {
    json!({
        "name": "Ada Lovelace", "lines": ["12 rue de la Paix", "Bâtiment B"], "city": city, "postal_code": "75002",
        "country": "fr", "phone": "+33 1 23 45 67 89", "is_default": is_default
    })
}

#[tokio::test]
async fn sign_up_login_logout_and_revocation() {
    let app = spawn_app().await;
    let a = sign_up(&app, " Ada@Example.com ", "us").await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert!(a.body.get("password").is_none() && a.body.get("password_hash").is_none());
    assert_eq!(app.sql_count("SELECT count(*) FROM users WHERE password_hash LIKE '$argon2id$%'").await, 1);

    let s1 = login(&app, "ada@example.com", PASSWORD).await;
    assert_eq!(s1.status, 201, "{}", s1.body);
    assert_eq!(s1.headers["cache-control"], "no-store");
    assert_eq!(s1.body["home_region"], "us-east");
    let s1 = token(&s1);
    assert!(s1.starts_with("v1.") && s1.split('.').count() == 3);
    let me = app.with_token("GET", "/v1/accounts/me", &s1, None).await;
    assert_eq!((me.status.as_u16(), me.body["email"].as_str()), (200, Some("ada@example.com")));
    assert_eq!(me.body["home_region"], "us-east");
    assert_eq!(me.headers["cache-control"], "no-store");
    let s2 = token(&login(&app, "ADA@example.com", PASSWORD).await);

    // Logout ends that session only, at once.
    assert_eq!(app.with_token("DELETE", "/v1/sessions/current", &s1, None).await.status, 204);
    assert_eq!(code(&app.with_token("GET", "/v1/accounts/me", &s1, None).await), (401, "session_revoked"));
    assert_eq!(app.with_token("GET", "/v1/accounts/me", &s2, None).await.status, 200);

    // Revoking every session ends them all.
    let s3 = token(&login(&app, "ada@example.com", PASSWORD).await);
    assert_eq!(app.with_token("DELETE", "/v1/sessions", &s2, None).await.status, 204);
    for t in [&s2, &s3] {
        let a = app.with_token("GET", "/v1/accounts/me", t, None).await;
        assert_eq!(code(&a), (401, "session_revoked"));
        assert_eq!(a.headers["www-authenticate"], "Bearer");
    }
    // And a new login works.
    let s4 = token(&login(&app, "ada@example.com", PASSWORD).await);
    assert_eq!(app.with_token("GET", "/v1/accounts/me", &s4, None).await.status, 200);
    assert_eq!(app.sql_count("SELECT count(*) FROM sessions WHERE region = 'us-east'").await, 4, "home region");
}

#[tokio::test]
async fn sign_up_answers_the_same_for_a_taken_address_and_tells_its_owner_by_e_mail() {
    let app = spawn_app().await;
    let first = sign_up(&app, "grace@example.com", "fr").await;
    // Another sign-up with the address, in another case, another market, another password.
    let again = app
        .post(
            "/v1/accounts",
            json!({"email": " GRACE@example.com", "password": "another long password", "name": "Someone", "market": "us"}),
        )
        .await;
    assert_eq!(first.status, 202, "{}", first.body);
    assert_eq!((again.status, &again.body), (first.status, &first.body), "the answers differ");
    let headers = |a: &Answer| {
        let mut h: Vec<(String, String)> = a
            .headers
            .iter()
            .filter(|(n, _)| *n != "date")
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
            .collect();
        h.sort();
        h
    };
    assert_eq!(headers(&again), headers(&first));
    // Nothing changed for the account: one account, still in France, the first password.
    assert_eq!(app.sql_count("SELECT count(*) FROM users").await, 1);
    assert_eq!(app.sql_count("SELECT count(*) FROM users WHERE market = 'fr'").await, 1);
    assert_eq!(login(&app, "grace@example.com", PASSWORD).await.status, 201);
    assert_eq!(code(&login(&app, "grace@example.com", "another long password").await), (401, "invalid_credentials"));
    // The owner gets an e-mail each time, through the outbox, in the account's market's region.
    let client = app.state.store.client().await.unwrap();
    let events = client
        .query("SELECT topic, payload->>'to', payload->>'market', region FROM outbox ORDER BY created_at", &[])
        .await
        .unwrap();
    let events: Vec<(String, String, String, String)> =
        events.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect();
    assert_eq!(
        events,
        [
            ("mail.account_created".into(), "grace@example.com".into(), "fr".into(), "eu-west".into()),
            ("mail.sign_up_with_existing_address".into(), "grace@example.com".into(), "fr".into(), "eu-west".into())
        ]
    );
}

#[tokio::test]
async fn unknown_emails_and_wrong_passwords_get_the_same_answer() {
    let app = spawn_app().await;
    assert_eq!(sign_up(&app, "ada@example.com", "fr").await.status, 202);
    let wrong = login(&app, "ada@example.com", "not the password").await;
    let unknown = login(&app, "nobody@example.com", PASSWORD).await;
    let malformed = login(&app, "not an email", PASSWORD).await;
    for a in [&wrong, &unknown, &malformed] {
        assert_eq!(code(a), (401, "invalid_credentials"));
        assert_eq!(a.body, wrong.body);
    }
}

#[tokio::test]
async fn ten_failed_logins_lock_the_account_for_thirty_minutes() {
    let app = spawn_app().await;
    assert_eq!(sign_up(&app, "ada@example.com", "fr").await.status, 202);
    let clock = &app.state.auth.clock;
    // Nine failures, then a success: the count starts again.
    for _ in 0..9 {
        assert_eq!(code(&login(&app, "ada@example.com", "wrong password!").await), (401, "invalid_credentials"));
    }
    assert_eq!(login(&app, "ada@example.com", PASSWORD).await.status, 201);
    for _ in 0..10 {
        assert_eq!(code(&login(&app, "ada@example.com", "wrong password!").await), (401, "invalid_credentials"));
    }
    // Locked: even the right password is refused.
    let locked = login(&app, "ada@example.com", PASSWORD).await;
    assert_eq!(code(&locked), (423, "account_locked"));
    let retry: i64 = locked.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1_700..=1_800).contains(&retry), "{retry}");
    clock.advance(Duration::minutes(29));
    let still = login(&app, "ada@example.com", PASSWORD).await;
    assert_eq!(code(&still), (423, "account_locked"));
    let retry: i64 = still.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // After the period, the right password works and resets the count.
    clock.advance(Duration::minutes(1));
    assert_eq!(login(&app, "ada@example.com", PASSWORD).await.status, 201);
    assert_eq!(app.sql_count("SELECT failed_logins::INT8 FROM users").await, 0);
}

#[tokio::test]
async fn sessions_expire() {
    let app = spawn_app().await;
    let t = app.shopper("ada@example.com", "fr").await;
    app.state.auth.clock.advance(Duration::days(30) + Duration::seconds(1));
    assert_eq!(code(&app.with_token("GET", "/v1/accounts/me", &t, None).await), (401, "session_expired"));
}

#[tokio::test]
async fn the_profile_changes_and_a_new_password_ends_other_sessions() {
    let app = spawn_app().await;
    let t1 = app.shopper("ada@example.com", "fr").await;
    let t2 = token(&login(&app, "ada@example.com", "correct horse battery").await);
    let a = app.with_token("PATCH", "/v1/accounts/me", &t1, Some(json!({"name": "Ada King", "market": "de"}))).await;
    assert_eq!(
        (a.status.as_u16(), a.body["name"].as_str(), a.body["market"].as_str()),
        (200, Some("Ada King"), Some("de"))
    );
    let a = app.with_token("PATCH", "/v1/accounts/me", &t1, Some(json!({"market": "us"}))).await;
    assert_eq!(code(&a), (422, "market_in_other_region"));
    let a = app.with_token("PATCH", "/v1/accounts/me", &t1, Some(json!({"password": "a new long password"}))).await;
    assert_eq!(code(&a), (422, "validation_failed"), "needs the current password");
    let a = app
        .with_token(
            "PATCH",
            "/v1/accounts/me",
            &t1,
            Some(json!({"password": "a new long password", "current_password": "wrong password!"})),
        )
        .await;
    assert_eq!(code(&a), (422, "invalid_current_password"));
    let a = app
        .with_token(
            "PATCH",
            "/v1/accounts/me",
            &t1,
            Some(json!({"password": "a new long password", "current_password": PASSWORD})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(app.with_token("GET", "/v1/accounts/me", &t1, None).await.status, 200, "this session stays");
    assert_eq!(code(&app.with_token("GET", "/v1/accounts/me", &t2, None).await), (401, "session_revoked"));
    assert_eq!(code(&login(&app, "ada@example.com", PASSWORD).await), (401, "invalid_credentials"));
    assert_eq!(login(&app, "ada@example.com", "a new long password").await.status, 201);
}

#[tokio::test]
async fn addresses_are_owner_only() {
    let app = spawn_app().await;
    let ada = app.shopper("ada@example.com", "fr").await;
    let bob = app.shopper("bob@example.com", "fr").await;
    let path = "/v1/accounts/me/addresses";
    let home = app.with_token("POST", path, &ada, Some(an_address("Paris", true))).await;
    assert_eq!(home.status, 201, "{}", home.body);
    assert_eq!((home.body["country"].as_str(), home.body["is_default"].as_bool()), (Some("FR"), Some(true)));
    let home = home.body["id"].as_str().unwrap().to_string();
    let work = app.with_token("POST", path, &ada, Some(an_address("Lyon", true))).await;
    let work = work.body["id"].as_str().unwrap().to_string();
    let list = app.with_token("GET", path, &ada, None).await;
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!((items[0]["id"].as_str(), items[0]["is_default"].as_bool()), (Some(work.as_str()), Some(true)));
    assert_eq!(items[1]["is_default"], false, "one default at a time");

    // Bob sees none of Ada's addresses, and cannot change or delete them.
    assert_eq!(app.with_token("GET", path, &bob, None).await.body["items"], json!([]));
    let a = app.with_token("PUT", &format!("{path}/{home}"), &bob, Some(an_address("Nice", false))).await;
    assert_eq!(code(&a), (404, "address_not_found"));
    assert_eq!(
        code(&app.with_token("DELETE", &format!("{path}/{home}"), &bob, None).await),
        (404, "address_not_found")
    );
    let a = app.with_token("PUT", &format!("{path}/not-an-id"), &ada, Some(an_address("Nice", false))).await;
    assert_eq!(code(&a), (404, "address_not_found"));

    // Ada can.
    let a = app.with_token("PUT", &format!("{path}/{home}"), &ada, Some(an_address("Marseille", false))).await;
    assert_eq!((a.status.as_u16(), a.body["city"].as_str()), (200, Some("Marseille")));
    assert_eq!(app.with_token("DELETE", &format!("{path}/{home}"), &ada, None).await.status, 204);
    assert_eq!(app.with_token("GET", path, &ada, None).await.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(code(&app.get(path).await), (401, "unauthorized"));
}

#[tokio::test]
async fn gdpr_export_and_erasure() {
    let app = spawn_app().await;
    let ada = app.shopper("ada@example.com", "fr").await;
    let bob = app.shopper("bob@example.com", "fr").await;
    for t in [&ada, &bob] {
        assert_eq!(
            app.with_token("POST", "/v1/accounts/me/addresses", t, Some(an_address("Paris", true))).await.status,
            201
        );
    }
    let export = app.with_token("GET", "/v1/accounts/me/export", &ada, None).await;
    assert_eq!(export.status, 200, "{}", export.body);
    assert!(export.headers["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let body = &export.body;
    assert!(body["exported_at"].is_string());
    assert_eq!(
        (body["account"]["email"].as_str(), body["account"]["home_region"].as_str()),
        (Some("ada@example.com"), Some("eu-west"))
    );
    assert_eq!(body["addresses"][0]["city"], "Paris");
    assert_eq!(body["sessions"].as_array().unwrap().len(), 1);
    assert!(!body.to_string().contains("bob@example.com"));
    assert!(!body.to_string().contains("argon2"), "no password hash");

    assert_eq!(app.with_token("DELETE", "/v1/accounts/me", &ada, None).await.status, 204);
    for path in ["/v1/accounts/me", "/v1/accounts/me/export", "/v1/accounts/me/addresses"] {
        assert_eq!(code(&app.with_token("GET", path, &ada, None).await), (401, "session_revoked"), "{path}");
    }
    assert_eq!(code(&login(&app, "ada@example.com", PASSWORD).await), (401, "invalid_credentials"));
    assert_eq!(app.sql_count("SELECT count(*) FROM users WHERE email LIKE '%ada%' OR name LIKE '%Ada%'").await, 0);
    assert_eq!(
        app.sql_count("SELECT count(*) FROM users WHERE erased_at IS NOT NULL AND password_hash IS NULL").await,
        1
    );
    assert_eq!(app.sql_count("SELECT count(*) FROM addresses").await, 1, "Bob's stays");
    assert_eq!(app.sql_count("SELECT count(*) FROM sessions WHERE revoked_at IS NULL").await, 1, "Bob's stays");
    assert_eq!(app.with_token("GET", "/v1/accounts/me", &bob, None).await.status, 200);
    // The address is free again: a new, empty account.
    assert_eq!(sign_up(&app, "ada@example.com", "fr").await.status, 202);
    let again = token(&login(&app, "ada@example.com", PASSWORD).await);
    let export = app.with_token("GET", "/v1/accounts/me/export", &again, None).await;
    assert_eq!(export.body["addresses"], json!([]));
}

// ----- staff -----

fn current_code(app: &TestApp, secret_base32: &str) -> String {
    let secret = totp::from_base32(secret_base32).unwrap();
    totp::code(&secret, totp::step(app.state.auth.clock.now().unix_timestamp()))
}

async fn create_staff(app: &TestApp, email: &str, role: &str) {
    let body = json!({"email": email, "name": "Staff Member", "password": PASSWORD, "role": role});
    let a = app.admin("POST", "/admin/v1/staff", Some(body)).await;
    assert_eq!(a.status, 201, "{}", a.body);
}

/// Creates a staff member, enrols their second factor; returns a full session token and the
/// TOTP secret.
async fn staff_token(app: &TestApp, email: &str, role: &str) -> (String, String) {
    create_staff(app, email, role).await;
    let a = app.post("/admin/v1/sessions", json!({"email": email, "password": PASSWORD})).await;
    let enrolment = token(&a);
    let a = app.with_token("POST", "/admin/v1/staff/me/totp", &enrolment, None).await;
    let secret = a.body["secret"].as_str().unwrap().to_string();
    let code = current_code(app, &secret);
    let a = app.with_token("POST", "/admin/v1/staff/me/totp/confirm", &enrolment, Some(json!({"code": code}))).await;
    assert_eq!(a.status, 201, "{}", a.body);
    (token(&a), secret)
}

#[tokio::test]
async fn every_request_on_the_staff_listener_is_audited_with_who_what_when_and_where() {
    let app = spawn_app().await;
    let (token, _) = staff_token(&app, "auditor@example.com", "admin").await;
    let me = app.with_token("GET", "/admin/v1/staff/me", &token, None).await;
    let staff_id = me.body["id"].as_str().unwrap().to_string();
    // An action of the staff member, from their workstation's address.
    let mut request = axum::http::Request::post("/admin/v1/categories")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("x-request-id", "req-audit-1")
        .body(axum::body::Body::from(
            json!({"code": "audited", "translations": {"en": {"name": "Audited", "slug": "audited"}}}).to_string(),
        ))
        .unwrap();
    let from: std::net::SocketAddr = "10.1.2.3:50123".parse().unwrap();
    request.extensions_mut().insert(axum::extract::ConnectInfo(from));
    assert_eq!(app.send(request).await.status, 201);
    // A request without credentials, one refused for bad input, and one with the service token.
    assert_eq!(app.post("/admin/v1/attributes", json!({})).await.status, 401);
    assert_eq!(app.admin("GET", "/admin/v1/products/%00", None).await.status, 400);
    assert_eq!(app.admin("GET", "/admin/v1/outbox", None).await.status, 200);

    let audit = app.with_token("GET", "/admin/v1/audit?limit=100", &token, None).await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    let entries = audit.body["items"].as_array().unwrap();
    let find = |route: &str, status: u64| {
        entries
            .iter()
            .find(|e| e["route"] == route && e["status"] == status)
            .unwrap_or_else(|| panic!("no entry for {route} {status}: {}", audit.body))
    };
    let action = find("/admin/v1/categories", 201);
    assert_eq!(
        (&action["actor"], &action["staff_id"], &action["method"], &action["client"], &action["request_id"]),
        (&json!("staff"), &json!(staff_id), &json!("POST"), &json!("10.1.2.3"), &json!("req-audit-1"))
    );
    assert!(action["session_id"].is_string() && action["at"].is_string(), "{action}");
    assert_eq!(find("/admin/v1/attributes", 401)["actor"], "anonymous");
    assert_eq!(find("/admin/v1/products/{id}", 400)["target"], "/admin/v1/products/*");
    assert_eq!(find("/admin/v1/outbox", 200)["actor"], "service_token");
    assert_eq!(find("/admin/v1/sessions", 201)["actor"], "anonymous", "the login itself");
    assert_eq!(find("/admin/v1/staff/me/totp/confirm", 201)["actor"], "staff", "the enrolment session");
    // One member's requests, newest first; the audit log is for admins only.
    let mine = app.with_token("GET", &format!("/admin/v1/audit?staff_id={staff_id}"), &token, None).await;
    let mine = mine.body["items"].as_array().unwrap();
    assert!(mine.iter().all(|e| e["staff_id"] == json!(staff_id)) && mine.len() >= 3, "{mine:?}");
    assert!(mine.windows(2).all(|w| w[0]["at"].as_str() >= w[1]["at"].as_str()));
    let (support, _) = staff_token(&app, "support@example.com", "support").await;
    assert_eq!(code(&app.with_token("GET", "/admin/v1/audit", &support, None).await), (403, "forbidden"));
    // Rows are only ever added: the log holds every request above.
    assert!(app.sql_count("SELECT count(*) FROM staff_audit").await >= 12);
}

#[tokio::test]
async fn the_shoppers_door_does_not_serve_the_admin_api() {
    let app = spawn_app().await;
    for (method, path) in
        [("GET", "/admin/v1/outbox"), ("POST", "/admin/v1/categories"), ("POST", "/admin/v1/sessions")]
    {
        let request = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {}", super::TOKEN))
            .body(axum::body::Body::empty())
            .unwrap();
        let a = app.send_to(&app.router, request).await;
        assert_eq!(code(&a), (404, "not_found"), "{method} {path}");
    }
    assert_eq!(app.sql_count("SELECT count(*) FROM staff_audit").await, 0);
}

#[tokio::test]
async fn staff_enrol_the_second_factor_and_log_in_with_codes() {
    let app = spawn_app().await;
    create_staff(&app, "Merch@Example.com", "merchandiser").await;
    let staff_login = |totp: Option<String>| {
        let mut body = json!({"email": "merch@example.com", "password": PASSWORD});
        if let Some(code) = totp {
            body["totp"] = json!(code);
        }
        app.post("/admin/v1/sessions", body)
    };

    // Before enrolment: only an enrolment session, refused by the admin API.
    let a = staff_login(None).await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(
        (a.body["stage"].as_str(), a.body["totp_enrolment_required"].as_bool()),
        (Some("enrolment"), Some(true))
    );
    let enrolment = token(&a);
    let refused = app
        .with_token("POST", "/admin/v1/categories", &enrolment, Some(json!({"code": "c", "translations": {}})))
        .await;
    assert_eq!(code(&refused), (403, "totp_enrolment_required"));
    assert_eq!(
        code(&app.with_token("GET", "/admin/v1/staff/me", &enrolment, None).await),
        (403, "totp_enrolment_required")
    );

    let a = app.with_token("POST", "/admin/v1/staff/me/totp", &enrolment, None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let secret = a.body["secret"].as_str().unwrap().to_string();
    assert_eq!(totp::from_base32(&secret).unwrap().len(), totp::SECRET_BYTES);
    let uri = a.body["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/Shop:merch%40example.com?secret=") && uri.contains(&secret), "{uri}");
    let wrong =
        app.with_token("POST", "/admin/v1/staff/me/totp/confirm", &enrolment, Some(json!({"code": "000000"}))).await;
    // (A one-in-a-million chance that 000000 is right; then the next assertion shows it.)
    assert_eq!(code(&wrong), (422, "invalid_totp_code"));
    let first_code = current_code(&app, &secret);
    let confirmed =
        app.with_token("POST", "/admin/v1/staff/me/totp/confirm", &enrolment, Some(json!({"code": first_code}))).await;
    assert_eq!(confirmed.status, 201, "{}", confirmed.body);
    assert_eq!(confirmed.body["stage"], "full");
    let full = token(&confirmed);
    assert_eq!(code(&app.with_token("GET", "/admin/v1/staff/me", &enrolment, None).await), (401, "session_revoked"));
    let me = app.with_token("GET", "/admin/v1/staff/me", &full, None).await;
    assert_eq!((me.body["role"].as_str(), me.body["totp_enrolled"].as_bool()), (Some("merchandiser"), Some(true)));

    // Enrolled: the code is required, must be right, and is accepted once.
    assert_eq!(code(&staff_login(None).await), (401, "totp_required"));
    let wrong = if first_code == "123456" { "654321" } else { "123456" };
    assert_eq!(code(&staff_login(Some(wrong.into())).await), (401, "invalid_credentials"));
    assert_eq!(code(&staff_login(Some(first_code.clone())).await), (401, "invalid_credentials"), "already used");
    app.state.auth.clock.advance(Duration::seconds(totp::PERIOD));
    let next_code = current_code(&app, &secret);
    let a = staff_login(Some(next_code.clone())).await;
    assert_eq!((a.status.as_u16(), a.body["stage"].as_str()), (201, Some("full")), "{}", a.body);
    let second = token(&a);
    assert_eq!(code(&staff_login(Some(next_code)).await), (401, "invalid_credentials"), "replayed");
    assert_eq!(app.with_token("POST", "/admin/v1/staff/me/totp", &second, None).await.code(), "totp_already_enrolled");

    // Logout.
    assert_eq!(app.with_token("DELETE", "/admin/v1/sessions/current", &second, None).await.status, 204);
    assert_eq!(code(&app.with_token("GET", "/admin/v1/staff/me", &second, None).await), (401, "session_revoked"));
    assert_eq!(app.with_token("GET", "/admin/v1/staff/me", &full, None).await.status, 200);
}

#[tokio::test]
async fn roles_decide_what_staff_may_do_on_the_admin_api() {
    let app = spawn_app().await;
    let (merch, _) = staff_token(&app, "merch@example.com", "merchandiser").await;
    let (support, _) = staff_token(&app, "support@example.com", "support").await;
    let (admin, _) = staff_token(&app, "admin@example.com", "admin").await;
    let category = |code: &str| Some(json!({"code": code, "translations": {"en": {"name": code, "slug": code}}}));

    // Merchandisers and admins use the catalog and promotions APIs; support staff may not.
    assert_eq!(app.with_token("POST", "/admin/v1/categories", &merch, category("a")).await.status, 201);
    assert_eq!(app.with_token("POST", "/admin/v1/categories", &admin, category("b")).await.status, 201);
    assert_eq!(app.with_token("GET", "/admin/v1/promotions", &merch, None).await.status, 200);
    assert_eq!(
        code(&app.with_token("POST", "/admin/v1/categories", &support, category("c")).await),
        (403, "forbidden")
    );
    assert_eq!(code(&app.with_token("GET", "/admin/v1/promotions", &support, None).await), (403, "forbidden"));
    assert_eq!(app.sql_count("SELECT count(*) FROM categories").await, 2);
    assert_eq!(app.with_token("GET", "/admin/v1/staff/me", &support, None).await.status, 200);

    // Only admins (and the service token) manage staff.
    let new = |email: &str| Some(json!({"email": email, "name": "New", "password": PASSWORD, "role": "support"}));
    assert_eq!(
        code(&app.with_token("POST", "/admin/v1/staff", &merch, new("x@example.com")).await),
        (403, "forbidden")
    );
    assert_eq!(
        code(&app.with_token("POST", "/admin/v1/staff", &support, new("y@example.com")).await),
        (403, "forbidden")
    );
    assert_eq!(app.with_token("POST", "/admin/v1/staff", &admin, new("z@example.com")).await.status, 201);
    assert_eq!(app.sql_count("SELECT count(*) FROM staff").await, 4);

    // Shoppers' and staff's tokens do not cross over; no token is no access.
    let shopper = app.shopper("ada@example.com", "fr").await;
    assert_eq!(code(&app.with_token("GET", "/admin/v1/promotions", &shopper, None).await), (401, "unauthorized"));
    assert_eq!(
        code(&app.with_token("POST", "/admin/v1/staff", &shopper, new("w@example.com")).await),
        (401, "unauthorized")
    );
    assert_eq!(code(&app.with_token("GET", "/v1/accounts/me", &merch, None).await), (401, "unauthorized"));
    assert_eq!(code(&app.post("/admin/v1/staff", new("v@example.com").unwrap()).await), (401, "unauthorized"));

    // A role change applies to live sessions at once.
    let client = app.state.store.client().await.unwrap();
    client.execute("UPDATE staff SET role = 'support' WHERE email = 'merch@example.com'", &[]).await.unwrap();
    assert_eq!(code(&app.with_token("POST", "/admin/v1/categories", &merch, category("d")).await), (403, "forbidden"));
}

#[tokio::test]
async fn an_admin_resets_a_lost_second_factor() {
    let app = spawn_app().await;
    let (token_before, _) = staff_token(&app, "merch@example.com", "merchandiser").await;
    let id: uuid::Uuid =
        app.state.store.client().await.unwrap().query_one("SELECT id FROM staff", &[]).await.unwrap().get(0);
    let a = app.admin("POST", &format!("/admin/v1/staff/{id}/totp/reset"), None).await;
    assert_eq!((a.status.as_u16(), a.body["totp_enrolled"].as_bool()), (200, Some(false)));
    assert_eq!(code(&app.with_token("GET", "/admin/v1/staff/me", &token_before, None).await), (401, "session_revoked"));
    let a = app.post("/admin/v1/sessions", json!({"email": "merch@example.com", "password": PASSWORD})).await;
    assert_eq!(a.body["stage"], "enrolment");
}

#[tokio::test]
async fn staff_logins_lock_too() {
    let app = spawn_app().await;
    create_staff(&app, "ops@example.com", "support").await;
    for _ in 0..10 {
        let a =
            app.post("/admin/v1/sessions", json!({"email": "ops@example.com", "password": "wrong password!"})).await;
        assert_eq!(code(&a), (401, "invalid_credentials"));
    }
    let a = app.post("/admin/v1/sessions", json!({"email": "ops@example.com", "password": PASSWORD})).await;
    assert_eq!(code(&a), (423, "account_locked"));
    assert!(a.headers.contains_key("retry-after"));
}

// ----- bad input -----

#[tokio::test]
async fn bad_sign_ups_are_refused_and_store_nothing() {
    let app = spawn_app().await;
    let ok = json!({"email": "ada@example.com", "password": PASSWORD, "name": "Ada", "market": "fr"});
    let with = |field: &str, value: Value| {
        let mut b = ok.clone();
        b[field] = value;
        b
    };
    let mut unknown_field = ok.clone();
    unknown_field["admin"] = json!(true);
    let mut missing = ok.clone();
    missing.as_object_mut().unwrap().remove("name");
    for (body, expected) in [
        (with("password", json!("short")), (422, "password_too_short")),
        (with("password", json!("elevenchars")), (422, "password_too_short")),
        (with("email", json!("ada")), (422, "invalid_email")),
        (with("email", json!("ada@example")), (422, "invalid_email")),
        (with("email", json!("ada @example.com")), (422, "invalid_email")),
        (with("market", json!("atlantis")), (422, "unknown_market")),
        (with("name", json!("  ")), (422, "validation_failed")),
        (with("password", json!(12345678901234_i64)), (422, "validation_failed")),
        (unknown_field, (422, "validation_failed")),
        (missing, (422, "validation_failed")),
    ] {
        let a = app.post("/v1/accounts", body.clone()).await;
        assert_eq!(code(&a), expected, "{body}");
    }
    let req = axum::http::Request::post("/v1/accounts")
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{\"email\": "))
        .unwrap();
    assert_eq!(code(&app.send(req).await), (400, "invalid_json"));
    assert_eq!(app.sql_count("SELECT count(*) FROM users").await, 0);

    let bad_staff = json!({"email": "x@example.com", "name": "X", "password": PASSWORD, "role": "root"});
    assert_eq!(code(&app.admin("POST", "/admin/v1/staff", Some(bad_staff)).await), (422, "unknown_role"));
    let bad_staff =
        json!({"email": "x@example.com", "name": "X", "password": PASSWORD, "role": "admin", "region": "mars"});
    assert_eq!(code(&app.admin("POST", "/admin/v1/staff", Some(bad_staff)).await), (422, "unknown_region"));
    assert_eq!(app.sql_count("SELECT count(*) FROM staff").await, 0);

    // Bad addresses store nothing either.
    let t = app.shopper("ada@example.com", "fr").await;
    for (field, value) in
        [("country", json!("France")), ("lines", json!([])), ("phone", json!("call me")), ("city", json!(""))]
    {
        let mut body = an_address("Paris", false);
        body[field] = value;
        let a = app.with_token("POST", "/v1/accounts/me/addresses", &t, Some(body)).await;
        assert_eq!(code(&a), (422, "validation_failed"), "{field}");
    }
    assert_eq!(app.sql_count("SELECT count(*) FROM addresses").await, 0);
}

#[tokio::test]
async fn malformed_tampered_and_foreign_tokens_are_refused() {
    let app = spawn_app().await;
    let ada = app.shopper("ada@example.com", "fr").await;
    let bob = app.shopper("bob@example.com", "fr").await;
    let mut parts = ada.split('.');
    let (_, payload, mac) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());

    // Ada's token, with Bob's id put in and Ada's MAC kept.
    let bob_id = app.with_token("GET", "/v1/accounts/me", &bob, None).await.body["id"].clone();
    let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["sub"] = bob_id;
    let forged = format!("v1.{}.{mac}", URL_SAFE_NO_PAD.encode(claims.to_string()));
    // A well-formed token signed with another key.
    let foreign_key = auth::SessionSecret::parse(&"another key of at least 32 bytes!".repeat(2)).unwrap();
    let claims: auth::Claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let foreign = auth::sign(&foreign_key, &claims);
    // Our key, but a session that does not exist.
    let unknown = {
        let issued = app.state.auth.issue(auth::TokenKind::Customer, claims.sub, &claims.reg, Duration::hours(1));
        issued.token
    };

    for bad in [
        "garbage".to_string(),
        "v1.abc.def".to_string(),
        format!("v2.{payload}.{mac}"),
        format!("v1.{payload}.{}", mac.chars().rev().collect::<String>()),
        forged,
        foreign,
        unknown,
        ada[..ada.len() - 1].to_string(),
    ] {
        let a = app.with_token("GET", "/v1/accounts/me", &bad, None).await;
        assert_eq!(code(&a), (401, "unauthorized"), "{bad}");
        assert_eq!(a.headers["www-authenticate"], "Bearer");
    }
    let basic = axum::http::Request::get("/v1/accounts/me")
        .header("authorization", "Basic YWRhOnBhc3N3b3Jk")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(code(&app.send(basic).await), (401, "unauthorized"));
    // The real token still works, and nothing was changed.
    assert_eq!(app.with_token("GET", "/v1/accounts/me", &ada, None).await.body["email"], "ada@example.com");
    assert_eq!(app.sql_count("SELECT count(*) FROM sessions WHERE revoked_at IS NOT NULL").await, 0);
}
