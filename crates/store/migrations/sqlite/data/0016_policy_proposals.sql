-- A policy version takes two authorities: one proposes it, a second, different
-- one approves it, and only then is it published (a row of `policies`). A
-- proposal holds the policy document and who proposed it; nothing personal.

CREATE TABLE policy_proposals (
    version         TEXT PRIMARY KEY,
    effective_from  BIGINT NOT NULL,
    document        TEXT NOT NULL,
    proposed_by     TEXT NOT NULL,
    proposed_at     BIGINT NOT NULL
);

ALTER TABLE policies ADD COLUMN proposed_by TEXT;
