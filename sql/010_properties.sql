-- Properties (Liegenschaften), their units (Einheiten), and which residents
-- belong to which property (written by the invites plugin, read by everyone).
CREATE TABLE properties (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  org_id BIGINT UNSIGNED NOT NULL,
  reference_id VARCHAR(64) NOT NULL,
  name VARCHAR(200) NOT NULL,
  street VARCHAR(200) NOT NULL DEFAULT '',
  zip VARCHAR(20) NOT NULL DEFAULT '',
  city VARCHAR(200) NOT NULL DEFAULT '',
  country VARCHAR(100) NOT NULL DEFAULT '',
  notes TEXT NOT NULL,
  image_file CHAR(64) NULL,
  image_type VARCHAR(20) NULL,
  created_at DATETIME NOT NULL,
  UNIQUE KEY properties_reference (org_id, reference_id),
  KEY properties_name (org_id, name, id),
  CONSTRAINT properties_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE units (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  org_id BIGINT UNSIGNED NOT NULL,
  property_id BIGINT UNSIGNED NOT NULL,
  name VARCHAR(200) NOT NULL,
  created_at DATETIME NOT NULL,
  KEY units_property (property_id, name, id),
  CONSTRAINT units_property_fk FOREIGN KEY (property_id) REFERENCES properties (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE memberships (
  property_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  org_id BIGINT UNSIGNED NOT NULL,
  resident_group ENUM('resident', 'tenant', 'owner') NOT NULL DEFAULT 'resident',
  state ENUM('active', 'pending') NOT NULL DEFAULT 'active',
  joined_at DATETIME NOT NULL,
  PRIMARY KEY (property_id, user_id),
  KEY memberships_user (user_id, state),
  CONSTRAINT memberships_property_fk FOREIGN KEY (property_id) REFERENCES properties (id) ON DELETE CASCADE,
  CONSTRAINT memberships_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
