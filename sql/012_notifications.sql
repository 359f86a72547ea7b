-- Which mails a resident wants, per kind (API.md: GET/PATCH /me/notifications).
-- No row, or a column never touched, means on: every kind of mail is wanted
-- until the resident turns it off.
CREATE TABLE notification_settings (
  user_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  announcements TINYINT(1) NOT NULL DEFAULT 1,
  appointments TINYINT(1) NOT NULL DEFAULT 1,
  documents TINYINT(1) NOT NULL DEFAULT 1,
  tickets TINYINT(1) NOT NULL DEFAULT 1,
  board TINYINT(1) NOT NULL DEFAULT 1,
  CONSTRAINT notification_settings_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
