-- No live token at rest: a mail that carries a secret link (activation,
-- reset, confirmation, invitation) is marked when it is queued, and its
-- bodies are cleared once it is sent or has failed for good; sent and failed
-- mail is purged after mail_retention_days (the job "mail-retention").
ALTER TABLE outbox ADD COLUMN secret TINYINT(1) NOT NULL DEFAULT 0 AFTER kind;

-- The mails queued before: the kinds that carry links (activation and invite
-- links, password resets) are secret, and those sent or failed lose their
-- bodies now rather than at the end of their retention.
UPDATE outbox SET secret = 1 WHERE kind IN ('invitation', 'password_reset');
UPDATE outbox SET body_text = '', body_html = ''
  WHERE secret = 1 AND status IN ('sent', 'failed');

-- The retention job finds old sent mail through this index, not a scan.
CREATE INDEX outbox_sent ON outbox (status, sent_at);

-- Mail quotas (portal_mail_quota): what managers sent to addresses that are
-- not yet residents, one row per request, summed over the last hour and day
-- per organisation and per manager. In the database, so that every host
-- shares the count. user_id outlives its manager (SET NULL): removing an
-- account must not give its organisation its quota back.
CREATE TABLE mail_quota_events (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  org_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NULL,
  mails INT UNSIGNED NOT NULL,
  at DATETIME NOT NULL,
  KEY mail_quota_org (org_id, at),
  KEY mail_quota_user (user_id, at),
  CONSTRAINT mail_quota_events_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE,
  CONSTRAINT mail_quota_events_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per organisation, locked (INSERT ... ON DUPLICATE KEY UPDATE takes
-- it exclusively at once) while a request counts and adds its mails, so two
-- requests on any hosts never both take the last room. A row of its own
-- rather than the organisation's: that row is the parent of many foreign
-- keys and bumped by content changes, and locking it would invite deadlocks.
CREATE TABLE mail_quota_locks (
  org_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  CONSTRAINT mail_quota_locks_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
