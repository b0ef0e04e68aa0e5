//! Accounts store tests against a real PostgreSQL (run with `cargo xtask test`): sign-up and
//! unique emails, the login lock (also under concurrent guesses), owner-only addresses, session
//! revocation, the GDPR export and erasure, and TOTP steps used once.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use core_store::accounts::{
    self as accounts, AccountError, AccountRejection, AddressInput, LockPolicy, LoginAttempt, NewSession, NewStaff,
    NewUser, Principal,
};
use core_store::{Store, StoreConfig, StoreError};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

struct Env {
    store: Store,
    regions: Arc<regions::Catalog>,
}

async fn env() -> Env {
    let db = testkit::TestDb::migrated().await.expect("test database");
    let config =
        StoreConfig { max_connections: 32, acquire_timeout: StdDuration::from_secs(120), ..StoreConfig::new(db.url) };
    Env {
        store: Store::connect(&config).expect("store"),
        regions: Arc::new(regions::Catalog::load_workspace().unwrap()),
    }
}

/// Microseconds, as the database keeps them.
fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1_000 * 1_000).unwrap()
}

impl Env {
    async fn user(&self, email: &str, market: &str) -> accounts::User {
        let new = NewUser::check(&self.regions, email, "Ada Lovelace", market).unwrap();
        let client = self.store.client().await.unwrap();
        accounts::create_user(&client, &new, "hash", now()).await.unwrap()
    }

    async fn begin(&self, email: &str, at: OffsetDateTime) -> LoginAttempt {
        let email = email.to_string();
        self.store
            .transaction(|tx| {
                let email = email.clone();
                Box::pin(async move {
                    accounts::begin_login(tx, Principal::Shopper, &email, at, LockPolicy::default()).await
                })
            })
            .await
            .unwrap()
    }

    async fn count(&self, sql: &str) -> i64 {
        self.store.client().await.unwrap().query_one(sql, &[]).await.unwrap().get(0)
    }
}

fn address(name: &str, is_default: bool) -> AddressInput {
    AddressInput {
        name: name.into(),
        lines: vec!["12 rue de la Paix".into()],
        city: "Paris".into(),
        postal_code: Some("75002".into()),
        subdivision: None,
        country: "FR".into(),
        phone: None,
        is_default,
    }
    .check()
    .unwrap()
}

#[tokio::test]
async fn sign_up_takes_the_market_region_and_a_unique_email() {
    let env = env().await;
    let ada = env.user(" Ada@Example.com ", "us").await;
    assert_eq!((ada.email.as_str(), ada.market.as_str(), ada.region.as_str()), ("ada@example.com", "us", "us-east"));
    let again = NewUser::check(&env.regions, "ADA@example.com", "Other", "fr").unwrap();
    let client = env.store.client().await.unwrap();
    let err = accounts::create_user(&client, &again, "hash", now()).await.unwrap_err();
    assert!(matches!(err, AccountError::Rejected(AccountRejection::EmailTaken)), "{err:?}");
    assert!(matches!(
        NewUser::check(&env.regions, "x@example.com", "X", "atlantis"),
        Err(AccountRejection::UnknownMarket { .. })
    ));
    assert_eq!(env.count("SELECT count(*) FROM users").await, 1);
}

#[tokio::test]
async fn ten_failures_lock_until_the_period_ends_and_a_success_resets_the_count() {
    let env = env().await;
    env.user("ada@example.com", "fr").await;
    let t0 = now();
    // Nine failures, then a success: the count starts again.
    for _ in 0..9 {
        assert!(matches!(env.begin("ada@example.com", t0).await, LoginAttempt::Proceed(_)));
    }
    let LoginAttempt::Proceed(c) = env.begin("ada@example.com", t0).await else { panic!("tenth attempt refused") };
    let client = env.store.client().await.unwrap();
    accounts::login_succeeded(&client, Principal::Shopper, c.id).await.unwrap();
    // Ten failures in a row: the tenth sets the lock.
    for _ in 0..10 {
        assert!(matches!(env.begin("ada@example.com", t0).await, LoginAttempt::Proceed(_)));
    }
    let LoginAttempt::Locked { until } = env.begin("ada@example.com", t0 + Duration::minutes(29)).await else {
        panic!("not locked")
    };
    assert_eq!(until, t0 + Duration::minutes(30));
    // After the period: a fresh count (one failure does not lock again).
    let after = t0 + Duration::minutes(30);
    assert!(matches!(env.begin("ada@example.com", after).await, LoginAttempt::Proceed(_)));
    assert!(matches!(env.begin("ada@example.com", after).await, LoginAttempt::Proceed(_)));
    assert_eq!(env.count("SELECT failed_logins::INT8 FROM users").await, 2);
    assert!(matches!(env.begin("nobody@example.com", t0).await, LoginAttempt::Unknown));
}

/// Concurrent guesses never get more than ten password checks per lock period.
#[tokio::test]
async fn concurrent_guesses_are_bounded_by_the_lock() {
    let env = Arc::new(env().await);
    env.user("ada@example.com", "fr").await;
    let t0 = now();
    let attempts = futures::future::join_all((0..40).map(|_| {
        let env = env.clone();
        async move { env.begin("ada@example.com", t0).await }
    }))
    .await;
    let proceeded = attempts.iter().filter(|a| matches!(a, LoginAttempt::Proceed(_))).count();
    let locked = attempts.iter().filter(|a| matches!(a, LoginAttempt::Locked { .. })).count();
    assert_eq!((proceeded, locked), (10, 30));
}

#[tokio::test]
async fn addresses_belong_to_their_shopper() {
    let env = env().await;
    let ada = env.user("ada@example.com", "fr").await;
    let bob = env.user("bob@example.com", "de").await;
    let client = env.store.client().await.unwrap();
    let home = accounts::add_address(&client, ada.id, &address("Ada", true), now()).await.unwrap();
    let work = accounts::add_address(&client, ada.id, &address("Ada at work", true), now()).await.unwrap();
    let list = accounts::addresses(&client, ada.id).await.unwrap();
    assert_eq!(
        list.iter().map(|a| (a.id, a.address.is_default)).collect::<Vec<_>>(),
        [(work.id, true), (home.id, false)]
    );
    assert_eq!(env.count("SELECT count(*) FROM addresses WHERE region = 'eu-west'").await, 2, "in the home region");

    // Bob cannot read, change or delete Ada's addresses.
    assert_eq!(accounts::address(&client, bob.id, home.id).await.unwrap(), None);
    let err = accounts::replace_address(&client, bob.id, home.id, &address("Bob", false), now()).await.unwrap_err();
    assert!(matches!(err, AccountError::NotFound("address")), "{err:?}");
    let err = accounts::delete_address(&client, bob.id, home.id).await.unwrap_err();
    assert!(matches!(err, AccountError::NotFound("address")), "{err:?}");
    assert!(accounts::addresses(&client, bob.id).await.unwrap().is_empty());
    assert_eq!(accounts::address(&client, ada.id, home.id).await.unwrap().unwrap().address.name, "Ada");
}

#[tokio::test]
async fn revoking_sessions_marks_them_and_keeps_the_current_one_when_asked() {
    let env = env().await;
    let ada = env.user("ada@example.com", "fr").await;
    let client = env.store.client().await.unwrap();
    let t = now();
    let ids: Vec<Uuid> = (0..3).map(|_| Uuid::new_v4()).collect();
    for id in &ids {
        let s = NewSession {
            id: *id,
            subject: ada.id,
            region: ada.region.clone(),
            created_at: t,
            expires_at: t + Duration::days(30),
        };
        accounts::create_session(&client, &s).await.unwrap();
    }
    assert!(accounts::revoke_session(&client, ada.id, ids[0], t).await.unwrap());
    assert!(!accounts::revoke_session(&client, ada.id, ids[0], t).await.unwrap(), "already revoked");
    assert_eq!(accounts::revoke_sessions(&client, ada.id, Some(ids[2]), t).await.unwrap(), 1);
    let revoked = |id: Uuid| {
        let client = &client;
        let region = ada.region.clone();
        async move { accounts::session(client, id, &region).await.unwrap().unwrap().revoked_at.is_some() }
    };
    assert!(revoked(ids[0]).await && revoked(ids[1]).await && !revoked(ids[2]).await);
    // A lookup in another region finds nothing.
    assert_eq!(accounts::session(&client, ids[2], "us-east").await.unwrap(), None);
}

#[tokio::test]
async fn erasure_removes_personal_data_in_one_transaction_and_keeps_the_row() {
    let env = env().await;
    let ada = env.user("ada@example.com", "fr").await;
    let bob = env.user("bob@example.com", "fr").await;
    let client = env.store.client().await.unwrap();
    accounts::add_address(&client, ada.id, &address("Ada", true), now()).await.unwrap();
    accounts::add_address(&client, bob.id, &address("Bob", true), now()).await.unwrap();
    let t = now();
    let session = NewSession {
        id: Uuid::new_v4(),
        subject: ada.id,
        region: ada.region.clone(),
        created_at: t,
        expires_at: t + Duration::days(30),
    };
    accounts::create_session(&client, &session).await.unwrap();

    let export = core_store::gdpr::export(&client, ada.id).await.unwrap().unwrap();
    assert_eq!(export.account.email, "ada@example.com");
    assert_eq!(export.addresses[0].address.name, "Ada");
    assert_eq!(export.sessions[0].id, session.id);

    // A failing statement after the erasure rolls it back whole.
    let failed: Result<(), StoreError> = env
        .store
        .transaction(|tx| {
            Box::pin(async move {
                assert!(core_store::gdpr::erase(tx, ada.id, now()).await?);
                tx.execute("SELECT 1/0", &[]).await?;
                Ok(())
            })
        })
        .await;
    assert!(failed.is_err());
    assert_eq!(accounts::user(&client, ada.id).await.unwrap().unwrap().email, "ada@example.com");

    let erased = env
        .store
        .transaction(|tx| Box::pin(async move { core_store::gdpr::erase(tx, ada.id, now()).await }))
        .await
        .unwrap();
    assert!(erased);
    assert_eq!(accounts::user(&client, ada.id).await.unwrap(), None);
    assert_eq!(core_store::gdpr::export(&client, ada.id).await.unwrap(), None);
    assert!(matches!(env.begin("ada@example.com", now()).await, LoginAttempt::Unknown));
    let row = client
        .query_one(
            "SELECT email, name, password_hash IS NULL, erased_at IS NOT NULL FROM users WHERE id = $1",
            &[&ada.id],
        )
        .await
        .unwrap();
    let (email, name): (String, String) = (row.get(0), row.get(1));
    assert!(
        email.starts_with("erased-") && email.ends_with("@erased.invalid") && !email.contains("example"),
        "{email}"
    );
    assert_eq!(name, "");
    assert!(row.get::<_, bool>(2) && row.get::<_, bool>(3));
    let left: i64 =
        client.query_one("SELECT count(*) FROM addresses WHERE user_id = $1", &[&ada.id]).await.unwrap().get(0);
    assert_eq!(left, 0);
    assert!(accounts::session(&client, session.id, &ada.region).await.unwrap().unwrap().revoked_at.is_some());
    // Others are untouched; erasing again changes nothing.
    assert_eq!(accounts::addresses(&client, bob.id).await.unwrap().len(), 1);
    assert!(!core_store::gdpr::erase(&client, ada.id, now()).await.unwrap());
    // The email can be used again.
    env.user("ada@example.com", "fr").await;
}

#[tokio::test]
async fn staff_totp_codes_are_used_once_and_resets_revoke_sessions() {
    let env = env().await;
    let client = env.store.client().await.unwrap();
    let new = NewStaff::check(&env.regions, "ops@example.com", "Ops", "support", "eu-west").unwrap();
    let member = accounts::create_staff(&client, &new, "hash", now()).await.unwrap();
    assert!(!member.totp_enrolled);
    accounts::start_totp_enrolment(&client, member.id, "SECRET", now()).await.unwrap();
    assert_eq!(accounts::pending_totp_secret(&client, member.id).await.unwrap().as_deref(), Some("SECRET"));
    accounts::confirm_totp(&client, member.id, 100, now()).await.unwrap();
    assert!(accounts::staff_member(&client, member.id).await.unwrap().unwrap().totp_enrolled);
    let err = accounts::start_totp_enrolment(&client, member.id, "OTHER", now()).await.unwrap_err();
    assert!(matches!(err, AccountError::Rejected(AccountRejection::TotpAlreadyEnrolled)), "{err:?}");
    assert!(!accounts::use_totp_step(&client, member.id, 100).await.unwrap(), "the confirming code is used");
    assert!(accounts::use_totp_step(&client, member.id, 101).await.unwrap());
    assert!(!accounts::use_totp_step(&client, member.id, 101).await.unwrap());
    assert!(!accounts::use_totp_step(&client, member.id, 100).await.unwrap(), "nor an older one");

    let t = now();
    let s = NewSession {
        id: Uuid::new_v4(),
        subject: member.id,
        region: "eu-west".into(),
        created_at: t,
        expires_at: t + Duration::hours(1),
    };
    accounts::create_staff_session(&client, &s, accounts::StaffStage::Full).await.unwrap();
    accounts::reset_totp(&client, member.id, t).await.unwrap();
    let session = accounts::staff_session(&client, s.id, "eu-west").await.unwrap().unwrap();
    assert!(session.session.revoked_at.is_some());
    assert!(!accounts::staff_member(&client, member.id).await.unwrap().unwrap().totp_enrolled);
}

/// The net under the API's input checks: text the database cannot take (a NUL in text, 22021;
/// in JSON, 22P05) is the client's bad value, never a server error.
#[tokio::test]
async fn values_the_database_refuses_are_invalid_input() {
    let env = env().await;
    let client = env.store.client().await.unwrap();
    let mut new = NewUser::check(&env.regions, "nul@example.com", "Ada", "fr").unwrap();
    new.name = "Ada\u{0}Lovelace".into();
    let refused = accounts::create_user(&client, &new, "hash", now()).await.unwrap_err();
    assert!(
        matches!(&refused, AccountError::Store(StoreError::InvalidInput { sqlstate }) if sqlstate == "22021"),
        "{refused:?}"
    );
    let json = serde_json::json!({"line": "a\u{0}b"});
    let refused = client.execute("SELECT $1::JSONB", &[&json]).await.map_err(StoreError::from).unwrap_err();
    assert!(matches!(&refused, StoreError::InvalidInput { sqlstate } if sqlstate == "22P05"), "{refused:?}");
    assert!(!refused.to_string().contains("a\u{0}b"), "the message quotes no value: {refused}");
}
