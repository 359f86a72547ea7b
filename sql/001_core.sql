-- The core schema. Later migrations add organisations, accounts and properties.
-- Every table of an organisation's data carries org_id (see DESIGN.md, "Data").
CREATE TABLE IF NOT EXISTS portal_info (
  id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  installed_at DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT IGNORE INTO portal_info (id, installed_at) VALUES (1, UTC_TIMESTAMP());
