-- An acknowledgement outlives its resident's erasure (portalctl resident
-- erase): user_id becomes NULL and the list shows "ehemalige Bewohnerin /
-- ehemaliger Bewohner", so the manager's record of who took note stays whole.
-- A NULL cannot be part of a primary key: the row gets an id, and the unique
-- key keeps one acknowledgement per resident and document.
ALTER TABLE document_acks
  DROP FOREIGN KEY document_acks_user_fk,
  DROP FOREIGN KEY document_acks_document_fk;
ALTER TABLE document_acks
  DROP PRIMARY KEY,
  ADD COLUMN id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY FIRST,
  MODIFY user_id BIGINT UNSIGNED NULL,
  ADD UNIQUE KEY document_acks_once (document_id, user_id),
  ADD CONSTRAINT document_acks_document_fk FOREIGN KEY (document_id) REFERENCES documents (id) ON DELETE CASCADE,
  ADD CONSTRAINT document_acks_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL;
