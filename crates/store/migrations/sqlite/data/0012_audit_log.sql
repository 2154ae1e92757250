-- The audit log: every administrative act and every opening of a person's
-- data by someone other than the person, append-only, hashed as a Merkle tree
-- as Certificate Transparency does (RFC 6962). Entries name people only by a
-- keyed pseudonym, so nothing here is personal: retention, erasure and
-- disposal never delete from these tables.
--
-- `entry` holds the exact bytes that were hashed (canonical JSON); the other
-- columns repeat a few of its fields for the regulator's filters.
CREATE TABLE audit_entries (
    seq             BIGINT PRIMARY KEY,
    at              BIGINT NOT NULL,
    act             TEXT NOT NULL,
    actor_kind      TEXT NOT NULL,
    actor_account   TEXT,
    entry           BLOB NOT NULL
);
CREATE INDEX audit_entries_act ON audit_entries(act, seq);
CREATE INDEX audit_entries_at ON audit_entries(at);
CREATE INDEX audit_entries_account ON audit_entries(actor_account, seq);

-- The hash of every perfect subtree (2^level entries from idx << level),
-- level 0 being the leaf hashes: proofs for any tree size are built from them.
CREATE TABLE audit_nodes (
    level           INTEGER NOT NULL,
    idx             BIGINT NOT NULL,
    hash            BLOB NOT NULL,
    PRIMARY KEY (level, idx)
);

-- The tree heads the issuer signed, with the audit key's id.
CREATE TABLE audit_heads (
    size            BIGINT NOT NULL,
    at              BIGINT NOT NULL,
    root            BLOB NOT NULL,
    kid             TEXT NOT NULL,
    signature       BLOB NOT NULL,
    PRIMARY KEY (size, at)
);

-- The log's size, one row: appends lock it, so entries get their places one
-- after the other whatever the number of servers.
CREATE TABLE audit_tail (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    size            BIGINT NOT NULL
);
INSERT INTO audit_tail (id, size) VALUES (1, 0);
