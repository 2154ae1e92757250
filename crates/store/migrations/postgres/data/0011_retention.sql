-- Retention by purpose: the published retention schedules (versioned like the
-- code policies), and what the continuous deletion needs to find what is due
-- without scanning whole tables.
CREATE TABLE retention_schedules (
    version         TEXT PRIMARY KEY,
    effective_from  BIGINT NOT NULL UNIQUE,
    document        TEXT NOT NULL,
    published_by    TEXT,
    published_at    BIGINT NOT NULL
);

CREATE INDEX facts_kind_time ON facts(kind, occurred_at);
CREATE INDEX overrides_expiry ON overrides(expires_at);
CREATE INDEX erasures_completed ON erasures(completed_at);

-- Check-ins partitioned by UTC day (`day` = `at` div 86400): retention drops a
-- whole day at once instead of deleting its rows one by one. The key includes
-- the day, so a scan repeated within its day is still one check-in (the
-- window of a scan without a client id never crosses a day). The store
-- creates each day's partition ahead of time; the default partition catches
-- anything outside them. Existing check-ins move into partitions of their days.
ALTER TABLE check_ins RENAME TO check_ins_before_partitioning;
ALTER TABLE check_ins_before_partitioning RENAME CONSTRAINT check_ins_pkey TO check_ins_before_partitioning_pkey;
DROP INDEX check_ins_venue_at;
CREATE TABLE check_ins (
    person_id       TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    id              TEXT NOT NULL,
    venue_id        TEXT NOT NULL REFERENCES venues(id),
    division        TEXT NOT NULL,
    at              BIGINT NOT NULL,
    source          TEXT NOT NULL,
    recorded_by     TEXT,
    purpose         TEXT NOT NULL,
    day             BIGINT NOT NULL,
    PRIMARY KEY (person_id, id, day),
    CHECK (source IN ('place_code', 'personal_code'))
) PARTITION BY RANGE (day);
CREATE TABLE check_ins_default PARTITION OF check_ins DEFAULT;
DO $$
DECLARE d BIGINT;
BEGIN
    FOR d IN SELECT DISTINCT at / 86400 FROM check_ins_before_partitioning LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF check_ins FOR VALUES FROM (%s) TO (%s)',
                       'check_ins_d' || d, d, d + 1);
    END LOOP;
END $$;
INSERT INTO check_ins (person_id, id, venue_id, division, at, source, recorded_by, purpose, day)
    SELECT person_id, id, venue_id, division, at, source, recorded_by, purpose, at / 86400
    FROM check_ins_before_partitioning;
DROP TABLE check_ins_before_partitioning;
CREATE INDEX check_ins_venue_at ON check_ins(venue_id, at);
