-- A person's surname and given name as their travel document prints them,
-- sealed under their data key like the name itself. Empty for people who
-- registered before the split was kept: their split is proposed from the name.

ALTER TABLE people ADD COLUMN name_parts_enc BYTEA;
