-- The daily digest (digest.c): per resident and document, the last version a
-- digest covered (listed as new or changed, or passed over silently for a
-- resident who turned that mail off), and when. A row is written in the same
-- transaction as the resident's mail, so no version is announced twice; the
-- resident's page marks what is not covered yet and what their latest digest
-- listed ("neu", "geändert").
CREATE TABLE document_digest (
  user_id BIGINT UNSIGNED NOT NULL,
  document_id BIGINT UNSIGNED NOT NULL,
  org_id BIGINT UNSIGNED NOT NULL,
  version INT UNSIGNED NOT NULL,
  kind ENUM('new', 'changed') NOT NULL,
  listed_at DATETIME(6) NOT NULL,
  PRIMARY KEY (user_id, document_id),
  KEY document_digest_latest (user_id, listed_at),
  KEY document_digest_document (document_id),
  CONSTRAINT document_digest_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE,
  CONSTRAINT document_digest_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT document_digest_document_fk FOREIGN KEY (document_id) REFERENCES documents (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
