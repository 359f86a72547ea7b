-- A number every change of what an organisation's residents see alike bumps
-- (portal_content_changed, in the change's transaction). The session's query
-- reads it with the caller, so every worker on every host sees a change on
-- its next request: the home's cached sections are keyed by it.
ALTER TABLE orgs ADD COLUMN content_generation BIGINT UNSIGNED NOT NULL DEFAULT 0;
