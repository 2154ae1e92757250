-- The reasons for a colour describe the person's health or case ("fever
-- (temperature: 38.7 °C)", an official's justification): they are sealed under
-- the person's data key like every personal field, so they go with the key.
-- Only the colour, the policy version and the times the sweep needs stay in
-- clear. Statuses stored before this change held their reasons in clear: they
-- are dropped and every status falls due at once, so the next sweep recomputes
-- and seals them.
ALTER TABLE code_status DROP COLUMN reasons;
ALTER TABLE code_status ADD COLUMN reasons_enc BYTEA;
UPDATE code_status SET valid_until = 0;
