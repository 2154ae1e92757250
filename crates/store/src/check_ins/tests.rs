//! Check-in storage on SQLite: idempotent batches, the queries and their
//! indexes (checked with `EXPLAIN QUERY PLAN`), retention. The behaviour tests
//! run the same code on PostgreSQL too.

use healthcode_domain::actor::Actor;
use healthcode_domain::role::Role;

use super::*;
use crate::{CodeStatus, NewAccount, NewCitizen, NewPerson, StoreConfig, VenueRecord};

struct Fixture {
    store: Store,
    dir: std::path::PathBuf,
}

impl Fixture {
    async fn new() -> Fixture {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "hc-check-ins-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Store::open(&StoreConfig::sqlite_in(&dir))
            .await
            .expect("open");
        Fixture { store, dir }
    }

    async fn person(&self, id: &str) {
        let citizen = NewCitizen {
            person: NewPerson {
                id: id.to_owned(),
                document_type: "passport".to_owned(),
                document_index: format!("doc-{id}").into_bytes(),
                phone_index: format!("phone-{id}").into_bytes(),
                name_enc: vec![1],
                document_enc: vec![2],
                phone_enc: vec![3],
                address_enc: None,
                name_parts_enc: None,
                wrapped_key: vec![4],
                created_at: 0,
            },
            account: NewAccount {
                id: format!("acct-{id}"),
                role: Role::Citizen,
                person_id: Some(id.to_owned()),
                username: None,
                password_hash: "x".to_owned(),
                created_at: 0,
            },
            status: CodeStatus {
                person_id: id.to_owned(),
                colour: "green".to_owned(),
                reasons_enc: None,
                policy_version: "v".to_owned(),
                computed_at: 0,
                valid_until: None,
            },
        };
        self.store
            .register_citizens(&[citizen], Actor::Operator, 0)
            .await
            .expect("person");
    }

    async fn venue(&self, id: &str, owner: &str, division: &str) {
        if self
            .store
            .staff_accounts()
            .await
            .expect("staff")
            .iter()
            .all(|a| a.account_id != owner)
        {
            let mut unit = self.store.begin(Actor::Operator, 0).await.expect("unit");
            unit.create_staff(&NewAccount {
                id: owner.to_owned(),
                role: Role::Venue,
                person_id: None,
                username: Some(owner.to_owned()),
                password_hash: "x".to_owned(),
                created_at: 0,
            })
            .await
            .expect("owner");
            unit.commit().await.expect("commit");
        }
        let mut unit = self.store.begin(Actor::Operator, 0).await.expect("unit");
        unit.create_venue(&VenueRecord {
            id: id.to_owned(),
            owner_account: owner.to_owned(),
            name: format!("Venue {id}"),
            address: "1 Road".to_owned(),
            division: division.to_owned(),
            place_code: "HCV1:TEST".to_owned(),
            created_at: 0,
        })
        .await
        .expect("venue");
        unit.commit().await.expect("commit");
    }

    async fn cleanup(self) {
        self.store.close().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn check_in(id: &str, person: &str, venue: &str, division: &str, at: i64) -> NewCheckIn {
    NewCheckIn {
        id: id.to_owned(),
        person_id: person.to_owned(),
        venue_id: venue.to_owned(),
        division: division.to_owned(),
        at,
        source: CheckInSource::PlaceCode,
        recorded_by: None,
        purpose: CHECK_IN_PURPOSE.to_owned(),
        code: None,
        access: None,
        audit: None,
    }
}

/// A check-in made by scanning the personal code named `code`.
fn scanned(id: &str, person: &str, venue: &str, at: i64, code: &str) -> NewCheckIn {
    NewCheckIn {
        source: CheckInSource::PersonalCode,
        recorded_by: Some("checker".to_owned()),
        code: Some(ScannedCode {
            fingerprint: code.to_owned(),
            expires_at: at + 210,
        }),
        ..check_in(id, person, venue, "350102", at)
    }
}

async fn scanned_codes(store: &Store) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM scanned_codes")
        .fetch_one(&store.data)
        .await
        .expect("count")
}

#[tokio::test]
async fn a_scanned_code_records_one_check_in_and_repeats_it_only() {
    let f = Fixture::new().await;
    f.person("p1").await;
    f.person("p2").await;
    f.venue("v1", "owner", "350102").await;
    f.venue("v2", "owner", "350102").await;
    let write = |rows: Vec<NewCheckIn>| {
        let store = f.store.clone();
        async move {
            store
                .insert_check_ins(&rows, CommitSync::Normal)
                .await
                .expect("insert")
        }
    };

    // In one batch: the code's first check-in is recorded, the same scan
    // again is a repeat, another check-in by the same code is refused, and
    // other codes are unaffected.
    let first = write(vec![
        scanned("a", "p1", "v1", 100, "code-1"),
        scanned("a", "p1", "v1", 101, "code-1"),
        scanned("b", "p1", "v2", 102, "code-1"),
        scanned("c", "p2", "v1", 103, "code-2"),
    ])
    .await;
    assert_eq!(
        first,
        vec![
            CheckInOutcome::New,
            CheckInOutcome::Repeat { at: 100 },
            CheckInOutcome::CodeUsed,
            CheckInOutcome::New,
        ]
    );
    // In later batches (on the slow path and on the fast one alike).
    let later = write(vec![
        scanned("a", "p1", "v1", 150, "code-1"),
        scanned("d", "p1", "v1", 151, "code-1"),
        scanned("e", "p1", "v2", 152, "code-1"),
        scanned("f", "p1", "v2", 153, "code-3"),
    ])
    .await;
    assert_eq!(
        later,
        vec![
            CheckInOutcome::Repeat { at: 100 },
            CheckInOutcome::CodeUsed,
            CheckInOutcome::CodeUsed,
            CheckInOutcome::New,
        ]
    );
    assert_eq!(
        write(vec![scanned("g", "p2", "v2", 160, "code-2")]).await,
        vec![CheckInOutcome::CodeUsed]
    );
    // A check-in by place code is not a code's: the same visit scanned by a
    // code afterwards is its repeat, and binds the code to it.
    write(vec![check_in("h", "p2", "v2", "350102", 170)]).await;
    assert_eq!(
        write(vec![
            scanned("h", "p2", "v2", 171, "code-4"),
            scanned("i", "p2", "v1", 172, "code-4"),
        ])
        .await,
        vec![CheckInOutcome::Repeat { at: 170 }, CheckInOutcome::CodeUsed]
    );
    assert_eq!(f.store.count_check_ins().await.expect("count"), 4);
    assert_eq!(scanned_codes(&f.store).await, 4);

    // A code is forgotten an hour after it stops verifying, when a later
    // batch with codes is written: code-4 verified until 381.
    let later = 381 + SCANNED_CODES_KEPT_FOR;
    write(vec![check_in("j", "p1", "v1", "350102", later)]).await;
    assert_eq!(scanned_codes(&f.store).await, 4, "only batches with codes");
    write(vec![scanned("k", "p1", "v1", later, "code-5")]).await;
    assert_eq!(scanned_codes(&f.store).await, 2, "code-4 and code-5");
    f.cleanup().await;
}

#[tokio::test]
async fn a_code_of_a_missing_person_fails_the_batch_as_not_found() {
    let f = Fixture::new().await;
    f.person("p1").await;
    f.venue("v1", "owner", "350102").await;
    let err = f
        .store
        .insert_check_ins(
            &[
                scanned("a", "p1", "v1", 100, "code-1"),
                scanned("b", "gone", "v1", 100, "code-2"),
            ],
            CommitSync::Normal,
        )
        .await
        .expect_err("refused");
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    assert_eq!(scanned_codes(&f.store).await, 0, "nothing was written");
    f.cleanup().await;
}

#[tokio::test]
async fn batches_are_idempotent_and_say_which_rows_are_new() {
    let f = Fixture::new().await;
    f.person("p1").await;
    f.person("p2").await;
    f.venue("v1", "owner", "350102").await;

    let first = f
        .store
        .insert_check_ins(
            &[
                check_in("a", "p1", "v1", "350102", 100),
                check_in("b", "p2", "v1", "350102", 101),
                // The same scan twice in one batch is one check-in.
                check_in("a", "p1", "v1", "350102", 105),
            ],
            CommitSync::Normal,
        )
        .await
        .expect("insert");
    assert_eq!(
        first,
        vec![
            CheckInOutcome::New,
            CheckInOutcome::New,
            CheckInOutcome::Repeat { at: 100 }
        ]
    );
    // Submitted again later: a repeat carrying the first time, nothing written.
    let again = f
        .store
        .insert_check_ins(
            &[
                check_in("b", "p2", "v1", "350102", 500),
                check_in("c", "p2", "v1", "350102", 501),
            ],
            CommitSync::Full,
        )
        .await
        .expect("insert");
    assert_eq!(
        again,
        vec![CheckInOutcome::Repeat { at: 101 }, CheckInOutcome::New]
    );
    assert_eq!(f.store.count_check_ins().await.expect("count"), 3);
    assert_eq!(
        f.store
            .insert_check_ins(&[], CommitSync::Normal)
            .await
            .expect("empty"),
        vec![]
    );
    f.cleanup().await;
}

#[tokio::test]
async fn large_batches_span_several_statements() {
    let f = Fixture::new().await;
    f.person("p1").await;
    f.venue("v1", "owner", "350102").await;
    // More than one statement's worth (512 rows).
    let rows: Vec<NewCheckIn> = (0..1100)
        .map(|i| check_in(&format!("id{i}"), "p1", "v1", "350102", i))
        .collect();
    let outcomes = f
        .store
        .insert_check_ins(&rows, CommitSync::Normal)
        .await
        .expect("insert");
    assert!(outcomes.iter().all(|o| *o == CheckInOutcome::New));
    assert_eq!(f.store.count_check_ins().await.expect("count"), 1100);
    let outcomes = f
        .store
        .insert_check_ins(&rows[..600], CommitSync::Normal)
        .await
        .expect("insert");
    assert!(
        outcomes
            .iter()
            .zip(0..)
            .all(|(o, i)| *o == CheckInOutcome::Repeat { at: i })
    );
    f.cleanup().await;
}

#[tokio::test]
async fn a_missing_person_fails_the_whole_batch_as_not_found() {
    let f = Fixture::new().await;
    f.person("p1").await;
    f.venue("v1", "owner", "350102").await;
    let err = f
        .store
        .insert_check_ins(
            &[
                check_in("a", "p1", "v1", "350102", 1),
                check_in("b", "nobody", "v1", "350102", 1),
            ],
            CommitSync::Normal,
        )
        .await
        .expect_err("refused");
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    assert_eq!(
        f.store.count_check_ins().await.expect("count"),
        0,
        "all or nothing"
    );
    f.cleanup().await;
}

#[tokio::test]
async fn queries_find_people_by_division_at_any_level_venue_and_window() {
    let f = Fixture::new().await;
    for p in ["p1", "p2", "p3", "p4"] {
        f.person(p).await;
    }
    f.venue("gulou", "owner", "350102").await;
    f.venue("taijiang", "owner", "350103").await;
    f.venue("xiamen", "owner", "350203").await;
    f.venue("beijing", "other", "110101").await;
    f.store
        .insert_check_ins(
            &[
                check_in("1", "p1", "gulou", "350102", 1_000),
                check_in("2", "p2", "taijiang", "350103", 2_000),
                check_in("3", "p3", "xiamen", "350203", 3_000),
                check_in("4", "p4", "beijing", "110101", 4_000),
                check_in("5", "p1", "gulou", "350102", 5_000),
            ],
            CommitSync::Normal,
        )
        .await
        .expect("insert");
    let people = |scope, from, until| {
        let store = f.store.clone();
        async move {
            let mut found = store
                .people_checked_in(scope, from, until)
                .await
                .expect("query");
            found.sort();
            found
        }
    };
    let all = i64::MAX;
    assert_eq!(
        people(CheckInScope::Division("350000"), 0, all).await,
        ["p1", "p2", "p3"]
    );
    assert_eq!(
        people(CheckInScope::Division("350100"), 0, all).await,
        ["p1", "p2"]
    );
    assert_eq!(
        people(CheckInScope::Division("350102"), 0, all).await,
        ["p1"]
    );
    assert_eq!(
        people(CheckInScope::Division("110000"), 0, all).await,
        ["p4"]
    );
    assert!(
        people(CheckInScope::Division("35"), 0, all)
            .await
            .is_empty()
    );
    assert!(
        people(CheckInScope::Division("000000"), 0, all)
            .await
            .is_empty()
    );
    // The window is [from, until).
    assert_eq!(
        people(CheckInScope::Division("350000"), 2_000, 3_000).await,
        ["p2"]
    );
    assert_eq!(
        people(CheckInScope::Venue("gulou"), 1_001, all).await,
        ["p1"]
    );
    assert!(
        people(CheckInScope::Venue("gulou"), 1_001, 5_000)
            .await
            .is_empty()
    );

    let itinerary = f.store.check_ins_of("p1", 0, 10).await.expect("itinerary");
    assert_eq!(
        itinerary.iter().map(|c| c.at).collect::<Vec<_>>(),
        [5_000, 1_000]
    );
    assert_eq!(itinerary[0].venue_name, "Venue gulou");
    assert_eq!(itinerary[0].source, CheckInSource::PlaceCode);
    assert_eq!(
        f.store
            .check_ins_of("p1", 1_001, 10)
            .await
            .expect("x")
            .len(),
        1
    );
    f.cleanup().await;
}

#[tokio::test]
async fn counts_are_per_day_in_the_given_time_zone() {
    let f = Fixture::new().await;
    f.person("p1").await;
    f.person("p2").await;
    f.venue("v1", "owner", "350102").await;
    let day = 86_400;
    let cst = 8 * 3600;
    // 15:59:59 UTC is still day 0 in China; 16:00 UTC is day 1 there.
    f.store
        .insert_check_ins(
            &[
                check_in("a", "p1", "v1", "350102", 16 * 3600 - 1),
                check_in("b", "p2", "v1", "350102", 16 * 3600),
                check_in("c", "p1", "v1", "350102", 16 * 3600 + 60),
                check_in("d", "p1", "v1", "350102", 3 * day),
            ],
            CommitSync::Normal,
        )
        .await
        .expect("insert");
    let counts = f
        .store
        .check_in_counts("v1", 0, 10 * day, cst)
        .await
        .expect("counts");
    assert_eq!(
        counts,
        vec![
            DayCount { day: 0, count: 1 },
            DayCount { day: 1, count: 2 },
            DayCount { day: 3, count: 1 },
        ]
    );
    assert!(
        f.store
            .check_in_counts("other", 0, 10 * day, cst)
            .await
            .expect("counts")
            .is_empty()
    );
    f.cleanup().await;
}

#[tokio::test]
async fn purge_removes_only_what_is_older_and_deleting_a_person_cascades() {
    let f = Fixture::new().await;
    f.person("p1").await;
    f.person("p2").await;
    f.venue("v1", "owner", "350102").await;
    f.venue("v2", "owner", "350203").await;
    f.store
        .insert_check_ins(
            &[
                check_in("a", "p1", "v1", "350102", 100),
                check_in("b", "p1", "v2", "350203", 86_399),
                check_in("c", "p1", "v1", "350102", 86_400),
                check_in("d", "p2", "v2", "350203", 2 * 86_400),
            ],
            CommitSync::Normal,
        )
        .await
        .expect("insert");
    // Whole days go: day 0 (two check-ins), then nothing more.
    let job = Actor::Job {
        name: "retention".to_owned(),
    };
    let purge = || f.store.purge_check_ins(&job, 3 * 86_400, 1);
    assert_eq!(purge().await.expect("purge"), 2);
    assert_eq!(purge().await.expect("purge"), 0);
    assert_eq!(f.store.count_check_ins().await.expect("count"), 2);
    sqlx::query("DELETE FROM people WHERE id = $1")
        .bind("p2")
        .execute(&f.store.data)
        .await
        .expect("delete");
    assert_eq!(f.store.count_check_ins().await.expect("count"), 1);
    f.cleanup().await;
}

/// The plan SQLite picks for a statement, one `detail` line per step.
async fn plan(store: &Store, sql: &str, binds: &[&str]) -> String {
    let explain = format!("EXPLAIN QUERY PLAN {sql}");
    let mut query = sqlx::query(&explain);
    for b in binds {
        query = query.bind(*b);
    }
    let rows = query.fetch_all(&store.data).await.expect("explain");
    rows.iter()
        .map(|r| r.try_get::<String, _>("detail").expect("detail"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn every_query_uses_its_index() {
    let f = Fixture::new().await;
    // Many people, a few venues in two divisions, like real data.
    let mut people = Vec::new();
    for i in 0..40 {
        let id = format!("p{i}");
        f.person(&id).await;
        people.push(id);
    }
    let venues = [
        ("v1", "350102"),
        ("v2", "350102"),
        ("v3", "350203"),
        ("v4", "350203"),
    ];
    for (venue, division) in venues {
        f.venue(venue, "owner", division).await;
    }
    let rows: Vec<NewCheckIn> = (0..400)
        .map(|i| {
            let (venue, division) = venues[i % venues.len()];
            let at = i64::try_from(i).expect("small");
            check_in(
                &format!("id{i}"),
                &people[i % people.len()],
                venue,
                division,
                at,
            )
        })
        .collect();
    f.store
        .insert_check_ins(&rows, CommitSync::Normal)
        .await
        .expect("insert");
    let store = &f.store;
    let cases = [
        (
            PEOPLE_IN_DIVISION,
            vec!["350000", "360000", "0", "9"],
            "INDEX venues_division (division>? AND division<?)",
        ),
        (
            PEOPLE_IN_DIVISION,
            vec!["350000", "360000", "0", "9"],
            "INDEX check_ins_venue_at (venue_id=? AND at>? AND at<?)",
        ),
        (
            PEOPLE_AT_VENUE,
            vec!["v1", "0", "9"],
            "INDEX check_ins_venue_at (venue_id=? AND at>? AND at<?)",
        ),
        (
            COUNTS,
            vec!["v1", "0", "0", "9"],
            "INDEX check_ins_venue_at (venue_id=? AND at>? AND at<?)",
        ),
        (
            ITINERARY,
            vec!["p1", "0", "10"],
            "INDEX sqlite_autoindex_check_ins_1 (person_id=?)",
        ),
        (
            crate::retention::PURGE_CHECK_INS_SQLITE,
            vec!["350102", "9", "10"],
            "INDEX check_ins_venue_at (venue_id=? AND at<?)",
        ),
        (
            crate::retention::PURGE_CHECK_INS_SQLITE,
            vec!["350102", "9", "10"],
            "INDEX venues_division (division=?)",
        ),
        (
            FORGET_SCANNED_CODES,
            vec!["9"],
            "INDEX scanned_codes_expiry (expires_at<?)",
        ),
    ];
    // As shipped (SQLite has no statistics until someone runs ANALYZE), and
    // with statistics.
    for analyzed in [false, true] {
        if analyzed {
            sqlx::query("ANALYZE")
                .execute(&f.store.data)
                .await
                .expect("analyze");
        }
        for (sql, binds, expected) in &cases {
            let found = plan(store, sql, binds).await;
            assert!(
                found.contains(expected) && !found.contains("SCAN c"),
                "{sql} (analyzed: {analyzed})\nexpected {expected}\nplan:\n{found}"
            );
        }
    }
    f.cleanup().await;
}

#[test]
fn division_ranges_cover_exactly_the_divisions_inside() {
    let range = |low: &str, high: &str| Some((low.to_owned(), high.to_owned()));
    assert_eq!(division_range("350000"), range("350000", "360000"));
    assert_eq!(division_range("350100"), range("350100", "350200"));
    assert_eq!(division_range("359900"), range("359900", "360000"));
    assert_eq!(division_range("350102"), range("350102", "350103"));
    assert_eq!(division_range("35"), None);
    assert_eq!(division_range("000000"), None);
}
