//! `healthcode demo`: the service on the embedded database, seeded on first run
//! with a synthetic population whose logins are printed.
//!
//! The population is deterministic (person *i* always has the same name,
//! document and phone `139` + *i* in eight digits), so the printed logins and the
//! load script work on every run. Everyone shares one demo password, hashed
//! once: hashing thousands of passwords with Argon2id would take minutes.

use std::collections::HashSet;

use anyhow::Context;
use healthcode_core::AppState;
use healthcode_core::accounts;
use healthcode_core::clock::china_date;
use healthcode_core::facts;
use healthcode_core::registration::{self, RegisterRequest, ValidCitizen};
use healthcode_core::sessions::hash_password;
use healthcode_core::venues;
use healthcode_domain::divisions;
use healthcode_domain::facts::{Fact, Provenance, SourceKind, Vaccination};
use healthcode_domain::identity::make_resident_id;
use healthcode_domain::mask::mask_name;
use healthcode_domain::role::Role;

use crate::config::{Config, ServeArgs, Source};
use crate::{province, runtime};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "healthcode-demo";

/// Staff accounts the demo creates, one per role (two authorities, because an
/// override needs a second approver).
const DEMO_STAFF: [(&str, Role); 7] = [
    ("checker", Role::Checker),
    ("collector", Role::Collector),
    ("lab", Role::Lab),
    ("venue", Role::Venue),
    ("authority", Role::Authority),
    ("authority2", Role::Authority),
    ("regulator", Role::Regulator),
];

#[derive(clap::Args)]
pub struct DemoArgs {
    #[command(flatten)]
    serve: ServeArgs,
    /// How many synthetic citizens to create on first run.
    #[arg(long, default_value_t = 3000)]
    people: u32,
    /// Seed and exit without serving.
    #[arg(long)]
    seed_only: bool,
}

pub async fn run(source: &Source, args: &DemoArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.serve.database_url.is_none(),
        "the demo runs on the embedded SQLite database; use `serve` for PostgreSQL"
    );
    let mut config = Config::load(source, Some(&args.serve))?;
    // Whatever the environment says, the demo is the embedded default.
    config.database_url = None;
    let state = runtime::app_state(&config).await?;
    let seeded = seed(&state, args.people).await?;
    let trust_path = config.data.join("trust-list.json");
    std::fs::write(
        &trust_path,
        serde_json::to_string_pretty(&state.trust_list())? + "\n",
    )
    .with_context(|| format!("cannot write {}", trust_path.display()))?;
    print_welcome(&config, &state, seeded).await?;
    if args.seed_only {
        state.store().close().await;
        return Ok(());
    }
    runtime::run_server(&config, state).await
}

/// Creates the population and staff if the database is empty; returns how many
/// citizens were created now.
async fn seed(state: &AppState, people: u32) -> anyhow::Result<u32> {
    if state.store().count_people().await? > 0 {
        return Ok(0);
    }
    let hash = hash_password(DEMO_PASSWORD)?;
    let ids = seed_citizens(state, people, &hash, |_| {}).await?;
    let created = ids.len();
    let now = state.now();
    vaccinate(state, &ids[..ids.len().min(VACCINATED)], now).await?;
    let venue_ids = check_in(state, &ids, &hash, now).await?;
    for (username, role) in DEMO_STAFF {
        accounts::create_staff_hashed(state.store(), role, username, hash.clone(), now).await?;
    }
    // The demo checker may record check-ins at every venue by scanning codes.
    venues::bind_checker_to_venues(state, "checker", &venue_ids).await?;
    tracing::info!(created, "seeded the demo population");
    Ok(u32::try_from(created).unwrap_or(u32::MAX))
}

/// Venues of the demo, in its first counties.
const VENUES: u32 = 40;
const VENUE_COUNTIES: usize = 8;
/// Check-ins per demo citizen, over the last days.
const CHECK_INS_EACH: u64 = 3;
const CHECK_IN_DAYS: u32 = 3;

/// Venues in a few Fujian counties and a few check-ins for everyone over the
/// last days, mostly near home: the itinerary a province holds, and what its
/// end-of-epidemic disposal counts. Returns the venues' ids.
async fn check_in(
    state: &AppState,
    people: &[String],
    hash: &str,
    now: i64,
) -> anyhow::Result<Vec<String>> {
    let counties = fujian_counties();
    let counties = &counties[..counties.len().min(VENUE_COUNTIES)];
    let venues = province::load_venues(state, VENUES, counties, "venue-chain", hash).await?;
    let itinerary = province::Itinerary {
        counties,
        venues: &venues,
        days: CHECK_IN_DAYS,
        home_percent: 80,
        now,
    };
    let total = CHECK_INS_EACH * u64::try_from(people.len()).unwrap_or(0);
    itinerary.load(state, people, total, counties[0]).await?;
    Ok(venues.into_iter().map(|v| v.id).collect())
}

/// How many of the first demo citizens have a vaccination record (two doses),
/// so their travel certificates page has something to show.
const VACCINATED: usize = 100;

/// Records two CoronaVac doses, 200 and 170 days ago (after every synthetic
/// birth date), for each person, as an import from the vaccination registry
/// would.
async fn vaccinate(state: &AppState, people: &[String], now: i64) -> anyhow::Result<()> {
    let at = jiff::Timestamp::from_second(now)?;
    let today = china_date(state.clock().now());
    let days_ago = |days: i64| today.checked_sub(jiff::Span::new().days(days));
    let doses = [(1, days_ago(200)?), (2, days_ago(170)?)];
    for person_id in people {
        for (dose, date) in doses {
            let fact = Fact::Vaccination(Vaccination {
                id: format!("demo-vaccination-{person_id}-{dose}"),
                product: "CoronaVac".to_owned(),
                dose,
                of: 2,
                date,
                provenance: Provenance::epidemic(SourceKind::Import, "demo-registry", at),
            });
            facts::import(state, person_id, &fact, None).await?;
        }
    }
    Ok(())
}

/// Registers synthetic citizens `0..people` (skipping the rare duplicate
/// document) in transactions of 500, all with the given password hash;
/// `progress` hears how many were written after each. Returns their person ids.
pub async fn seed_citizens(
    state: &AppState,
    people: u32,
    password_hash: &str,
    mut progress: impl FnMut(usize),
) -> anyhow::Result<Vec<String>> {
    let population = Population::new(china_date(state.clock().now()));
    let mut seen = HashSet::new();
    let mut ids = Vec::with_capacity(usize::try_from(people).unwrap_or(0));
    let mut batch = Vec::with_capacity(500);
    for i in 0..people {
        let person = population.person(i);
        if !seen.insert(person.document_number.clone()) {
            continue;
        }
        batch.push(ValidCitizen::from_request(&person, population.today)?);
        if batch.len() == 500 {
            ids.extend(registration::register_many(state, &batch, password_hash).await?);
            batch.clear();
            progress(ids.len());
        }
    }
    ids.extend(registration::register_many(state, &batch, password_hash).await?);
    progress(ids.len());
    Ok(ids)
}

/// The phone number of demo person `i`.
pub fn demo_phone(i: u32) -> String {
    format!("139{i:08}")
}

const SURNAMES: [&str; 24] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "郑", "欧阳", "梁", "谢", "宋",
];
const GIVEN: [&str; 32] = [
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "晓东", "雪梅", "志强", "海燕",
    "文", "红", "丹", "婷",
];

/// The synthetic population: person `i` is mostly a Fujian resident, some are
/// from other provinces, and a few hold passports and permits.
struct Population {
    today: jiff::civil::Date,
    fujian: Vec<&'static str>,
    all: Vec<&'static str>,
}

impl Population {
    fn new(today: jiff::civil::Date) -> Population {
        Population {
            today,
            fujian: fujian_counties(),
            all: divisions::counties().map(|(code, _)| code).collect(),
        }
    }

    /// Person `i`, the same on every run.
    fn person(&self, i: u32) -> RegisterRequest {
        let mut rng = SplitMix(u64::from(i).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x4865_616c_7468);
        let name = format!("{}{}", pick(&mut rng, &SURNAMES), pick(&mut rng, &GIVEN));
        let (document_type, document_number) = match i % 50 {
            7 => ("passport", format!("E{:08}", rng.below(100_000_000))),
            23 => ("hk_macao_permit", format!("H{:08}", rng.below(100_000_000))),
            _ => {
                let region = if rng.below(5) == 0 {
                    pick(&mut rng, &self.all)
                } else {
                    pick(&mut rng, &self.fujian)
                };
                let age_days = i64::try_from(rng.below(85 * 365)).unwrap_or(0) + 365;
                let birth = self
                    .today
                    .checked_sub(jiff::Span::new().days(age_days))
                    .unwrap_or(self.today);
                let sequence = u16::try_from(i % 1000).unwrap_or(0);
                (
                    "resident_id",
                    make_resident_id(region, birth, sequence).unwrap_or_default(),
                )
            }
        };
        RegisterRequest {
            name,
            document_type: document_type.to_owned(),
            document_number,
            phone: demo_phone(i),
            password: DEMO_PASSWORD.to_owned(),
            address: None,
            surname: None,
            given_name: None,
        }
    }
}

/// The counties (and districts) of Fujian, where the demo population lives.
pub fn fujian_counties() -> Vec<&'static str> {
    divisions::counties()
        .map(|(code, _)| code)
        .filter(|c| c.starts_with("35"))
        .collect()
}

fn pick<'a>(rng: &mut SplitMix, items: &[&'a str]) -> &'a str {
    let len = u64::try_from(items.len()).unwrap_or(1);
    items[usize::try_from(rng.below(len)).unwrap_or(0)]
}

/// SplitMix64: a tiny deterministic generator for synthetic data. Not for secrets.
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

async fn print_welcome(config: &Config, state: &AppState, seeded: u32) -> anyhow::Result<()> {
    let base = format!("http://{}", config.server.listen);
    let data = config.data.display();
    let people = state.store().count_people().await?;
    let population = Population::new(china_date(state.clock().now()));
    println!();
    println!(
        "healthcode demo: {people} synthetic citizens on embedded SQLite in {data}{}",
        if seeded > 0 { " (just created)" } else { "" }
    );
    println!();
    println!(
        "  web pages   {base}/  (the first {VACCINATED} citizens have vaccinations: see their travel certificates)"
    );
    println!("  OpenAPI     {base}/openapi.json");
    println!("  trust list  {base}/v1/trust-list  (copy in {data}/trust-list.json)");
    println!("  JWKS        {base}/.well-known/jwks.json  (SMART Health Cards)");
    println!("  metrics     {base}/metrics");
    println!();
    println!("Citizens (password {DEMO_PASSWORD}); log in with the document number or the phone:");
    for i in 0..4 {
        let p = population.person(i);
        println!(
            "  {:<8} {:<16} {:<20} {}",
            mask_name(&p.name),
            p.document_type,
            p.document_number,
            p.phone
        );
    }
    println!(
        "  ... and phones 139xxxxxxxx for every person up to 139{:08}",
        people.saturating_sub(1)
    );
    println!();
    println!(
        "Staff (password {DEMO_PASSWORD}): {}",
        DEMO_STAFF.map(|(u, _)| u).join(", ")
    );
    println!();
    println!("Fetch a code and verify it offline:");
    println!("  TOKEN=$(curl -s {base}/v1/sessions -H 'content-type: application/json' \\");
    println!(
        "    -d '{{\"phone\":\"{}\",\"password\":\"{DEMO_PASSWORD}\"}}' | sed 's/.*\"token\":\"\\([^\"]*\\)\".*/\\1/')",
        demo_phone(0)
    );
    println!(
        "  PAYLOAD=$(curl -s {base}/v1/me/code -H \"authorization: Bearer $TOKEN\" | sed 's/.*\"payload\":\"\\([^\"]*\\)\".*/\\1/')"
    );
    println!("  healthcode verify \"$PAYLOAD\" --trust {data}/trust-list.json");
    println!();
    Ok(())
}
