-- Documents of a property (API.md, "Documents"). A document keeps its id and
-- link across versions; each version is a stored file (files_dir, named by its
-- SHA-256) with what it was uploaded as. shared_at is when the document
-- reached its unit: a unit's documents are seen only by members whose tenancy
-- of the unit (memberships.unit_since) began before it, hence microseconds.
-- unit_id has no foreign key on purpose: a deleted unit must not turn its
-- papers into everyone's (SET NULL would), so they stay for managers only.
CREATE TABLE documents (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  org_id BIGINT UNSIGNED NOT NULL,
  property_id BIGINT UNSIGNED NOT NULL,
  title VARCHAR(200) NOT NULL,
  category VARCHAR(50) NOT NULL,
  audience ENUM('internal', 'residents', 'owners', 'tenants') NOT NULL,
  unit_id BIGINT UNSIGNED NULL,
  requires_ack TINYINT(1) NOT NULL DEFAULT 0,
  version INT UNSIGNED NOT NULL DEFAULT 1,
  shared_at DATETIME(6) NOT NULL,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  uploaded_by BIGINT UNSIGNED NULL,
  KEY documents_property (property_id, id),
  KEY documents_org (org_id, id),
  CONSTRAINT documents_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE,
  CONSTRAINT documents_property_fk FOREIGN KEY (property_id) REFERENCES properties (id) ON DELETE CASCADE,
  CONSTRAINT documents_uploader_fk FOREIGN KEY (uploaded_by) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every version of a document's file; the current one is documents.version.
-- name is the client's file name as display text only, never a path. notify
-- is 0 for a replacement the manager did not want residents told about.
CREATE TABLE document_files (
  document_id BIGINT UNSIGNED NOT NULL,
  version INT UNSIGNED NOT NULL,
  org_id BIGINT UNSIGNED NOT NULL,
  file CHAR(64) NOT NULL,
  size BIGINT UNSIGNED NOT NULL,
  content_type VARCHAR(100) NOT NULL,
  name VARCHAR(255) NOT NULL,
  uploaded_at DATETIME NOT NULL,
  uploaded_by BIGINT UNSIGNED NULL,
  notify TINYINT(1) NOT NULL DEFAULT 1, -- a new version the digest lists as changed
  PRIMARY KEY (document_id, version),
  KEY document_files_file (file),
  CONSTRAINT document_files_document_fk FOREIGN KEY (document_id) REFERENCES documents (id) ON DELETE CASCADE,
  CONSTRAINT document_files_uploader_fk FOREIGN KEY (uploaded_by) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- "Gelesen und zur Kenntnis genommen", once per resident and document.
CREATE TABLE document_acks (
  document_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  acknowledged_at DATETIME NOT NULL,
  PRIMARY KEY (document_id, user_id),
  CONSTRAINT document_acks_document_fk FOREIGN KEY (document_id) REFERENCES documents (id) ON DELETE CASCADE,
  CONSTRAINT document_acks_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
