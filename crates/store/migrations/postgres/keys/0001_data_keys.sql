-- The key store: one wrapped data key per person, kept apart from the data it opens.
-- Deleting a row here makes that person's ciphertext unreadable in every copy of the data.

CREATE TABLE data_keys (
    person_id       TEXT PRIMARY KEY,
    wrapped_key     BYTEA NOT NULL,
    created_at      BIGINT NOT NULL
);
