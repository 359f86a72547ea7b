-- An organisation's own list of a plugin's categories (portal/categories.h):
-- the documents' or the tickets' (kind is the plugin's name). An
-- organisation without rows of a kind has the plugin's default list; its
-- first change stores that list here and changes it.
CREATE TABLE org_categories (
  org_id BIGINT UNSIGNED NOT NULL,
  kind VARCHAR(32) NOT NULL,
  name VARCHAR(50) NOT NULL,
  position INT NOT NULL,
  PRIMARY KEY (org_id, kind, name),
  CONSTRAINT org_categories_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
