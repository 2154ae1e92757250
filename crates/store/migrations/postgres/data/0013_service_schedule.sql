-- Services on a schedule: every closure an authority scheduled, kept when it
-- is cancelled or replaced (the public schedule is the live row per service;
-- the regulator reads the whole history). Nothing here is personal.
CREATE TABLE service_closures (
    id              TEXT PRIMARY KEY,
    service         TEXT NOT NULL,
    closure         TEXT NOT NULL,
    effective_from  BIGINT NOT NULL,
    notice_zh       TEXT NOT NULL,
    notice_en       TEXT NOT NULL,
    scheduled_by    TEXT NOT NULL,
    scheduled_at    BIGINT NOT NULL,
    -- Set when an authority cancelled it or scheduled another in its place.
    ended_by        TEXT,
    ended_at        BIGINT,
    CHECK (closure IN ('suspended', 'retired'))
);

CREATE UNIQUE INDEX service_closures_live ON service_closures(service) WHERE ended_at IS NULL;
