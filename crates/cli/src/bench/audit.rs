//! `bench audit`: the audit log's proofs over a large log. It appends
//! `--entries` entries through the same unit-of-work path as every audited
//! act (in units of 10,000), then produces and verifies inclusion proofs of
//! random entries and consistency proofs between random sizes, from the
//! store, and reports the latencies.

use std::time::Instant;

use healthcode_core::audit;
use healthcode_domain::actor::Actor;
use healthcode_domain::audit::merkle;
use healthcode_domain::audit::{Act, Draft, Entry};

use super::{Latencies, StoreArgs, backend_name, in_store, progress, report_load};
use crate::config::Source;
use crate::demo::SplitMix;
use crate::runtime;

#[derive(clap::Args)]
pub struct AuditArgs {
    /// Entries in the log.
    #[arg(long, default_value_t = 10_000_000)]
    entries: u64,
    /// Proofs of each kind to produce and verify.
    #[arg(long, default_value_t = 2_000)]
    proofs: u32,
    #[command(flatten)]
    store: StoreArgs,
}

/// Entries per unit of work while loading.
const LOAD_UNIT: u64 = 10_000;

pub async fn run(source: &Source, args: &AuditArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.entries >= 2, "--entries must be at least 2");
    in_store(source, &args.store, |config| async move {
        let state = runtime::app_state(&config).await?;
        println!(
            "healthcode bench audit on {}: {} entries, {} proofs of each kind",
            backend_name(&config),
            args.entries,
            args.proofs
        );
        let store = state.store();
        let have = store.audit_size().await?;
        let started = Instant::now();
        let bar = progress(args.entries, "entries");
        bar.set_position(have.min(args.entries));
        let mut size = have;
        let job = Actor::Job {
            name: "bench".to_owned(),
        };
        while size < args.entries {
            let n = LOAD_UNIT.min(args.entries - size);
            let mut unit = store.begin(job.clone(), state.now()).await?;
            for i in 0..n {
                unit.audit(
                    Draft::new(Act::DataOpened)
                        .purpose("check_in")
                        .subject(format!("{:032x}", size + i))
                        .detail("fields", "colour,masked_name"),
                );
            }
            unit.commit().await?;
            size += n;
            bar.set_position(size);
        }
        bar.finish_and_clear();
        report_load("entries", size - have, started.elapsed());
        let size = store.audit_size().await?;
        let root = store.audit_root(size).await?;
        let mut rng = SplitMix(0x5eed);
        let (mut produce, mut check) = (Latencies::default(), Latencies::default());
        for _ in 0..args.proofs {
            let index = rng.next() % size;
            let started = Instant::now();
            let proof = audit::prove_inclusion(store, index, size).await?;
            produce.push(started.elapsed());
            let entry = store.audit_entries(index, index + 1).await?;
            let bytes = &entry
                .first()
                .ok_or_else(|| anyhow::anyhow!("entry {index} missing"))?
                .entry;
            anyhow::ensure!(
                Entry::from_bytes(bytes)?.seq == index,
                "entry {index} out of place"
            );
            let started = Instant::now();
            merkle::verify_inclusion(&root, size, index, bytes, &proof)?;
            check.push(started.elapsed());
        }
        println!(
            "  inclusion proof, produced from the store: {}",
            produce.summary_us()
        );
        println!("  inclusion proof, verified: {}", check.summary_us());
        let (mut produce, mut check) = (Latencies::default(), Latencies::default());
        for _ in 0..args.proofs {
            let first = 1 + rng.next() % (size - 1);
            let first_root = store.audit_root(first).await?;
            let started = Instant::now();
            let proof = audit::prove_consistency(store, first, size).await?;
            produce.push(started.elapsed());
            let started = Instant::now();
            merkle::verify_consistency(first, &first_root, size, &root, &proof)?;
            check.push(started.elapsed());
        }
        println!(
            "  consistency proof, produced from the store: {}",
            produce.summary_us()
        );
        println!("  consistency proof, verified: {}", check.summary_us());
        state.store().close().await;
        Ok(())
    })
    .await
}
