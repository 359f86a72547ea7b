-- The kinds of mail are the plugins' (each declares the kinds it sends), so
-- the settings are one row per resident and kind instead of a column per
-- kind. No row still means on. The rows of 012 carry over as they were.
RENAME TABLE notification_settings TO notification_settings_012;

CREATE TABLE notification_settings (
  user_id BIGINT UNSIGNED NOT NULL,
  kind VARCHAR(32) NOT NULL,
  enabled TINYINT(1) NOT NULL,
  PRIMARY KEY (user_id, kind),
  CONSTRAINT notification_settings_kind_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO notification_settings (user_id, kind, enabled)
  SELECT user_id, 'announcements', announcements FROM notification_settings_012
  UNION ALL SELECT user_id, 'appointments', appointments FROM notification_settings_012
  UNION ALL SELECT user_id, 'documents', documents FROM notification_settings_012
  UNION ALL SELECT user_id, 'tickets', tickets FROM notification_settings_012
  UNION ALL SELECT user_id, 'board', board FROM notification_settings_012;

DROP TABLE notification_settings_012;

-- Jobs: one row per job, claimed per period so that with several pools on
-- one database each period runs once (portal/portal.h, struct portal_job).
CREATE TABLE jobs (
  name VARCHAR(48) NOT NULL PRIMARY KEY,
  period_start DATETIME NULL,       -- the last period claimed (UTC)
  claimed_by VARCHAR(128) NULL,     -- host and pid of that run
  started_at DATETIME(3) NULL,      -- the last run, scheduled or by hand
  finished_at DATETIME(3) NULL,
  outcome ENUM('running', 'ok', 'failed') NULL,
  message VARCHAR(255) NULL         -- why it failed
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
