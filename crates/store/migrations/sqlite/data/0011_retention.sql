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

-- The UTC day of each check-in (`at` div 86400): PostgreSQL partitions
-- check-ins by it, and the same statements run on both databases.
ALTER TABLE check_ins ADD COLUMN day BIGINT NOT NULL DEFAULT 0;
UPDATE check_ins SET day = at / 86400;
