-- The general invite link of each property. The token itself is never stored:
-- it is derived from the deployment's secret_key, the property and the
-- generation (portal_token_derive), so the link can be shown again, and
-- "Link erneuern" (generation + 1) kills the old one at once.
CREATE TABLE invite_links (
  property_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  org_id BIGINT UNSIGNED NOT NULL,
  generation INT UNSIGNED NOT NULL DEFAULT 1,
  token_hash BINARY(32) NOT NULL,
  approval_required TINYINT(1) NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL,
  UNIQUE KEY invite_links_token (token_hash),
  CONSTRAINT invite_links_property_fk FOREIGN KEY (property_id) REFERENCES properties (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
