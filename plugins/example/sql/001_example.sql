-- The example plugin's tables. Migrations are applied once, in file name order,
-- and recorded in schema_migrations as "example/001_example.sql".
CREATE TABLE IF NOT EXISTS example_items (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  created_at DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS example_daily (
  day DATE NOT NULL PRIMARY KEY,
  items INT UNSIGNED NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO example_items (name, created_at) VALUES ('Hausordnung', UTC_TIMESTAMP());
