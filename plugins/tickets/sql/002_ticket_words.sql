-- The search index of tickets (GET /tickets?q=, plugins/tickets/search.c,
-- portal/search.h): a search finds the prefix of any word of a ticket's
-- title, description, number and reporter's name. Each word has a row under
-- its first character and, from three characters on, one under its first
-- three (prefix). A term is read from the rows of its own prefix: they come
-- newest ticket first (ticket_id, the list's order), so a page of results
-- reads about a page of rows at any size of the organisation, and each
-- further term is a look-up per row. The key on the word itself tells the
-- rarest term by its exact rows (EXPLAIN's estimate, portal_search_order)
-- and lets the counts per status read only the tickets that match it.
-- person_id names the resident whose name the word is (and no other text
-- of the ticket has): erasing them removes it.
CREATE TABLE ticket_words (
  org_id BIGINT UNSIGNED NOT NULL,
  prefix VARCHAR(3) NOT NULL,
  ticket_id BIGINT UNSIGNED NOT NULL,
  word VARCHAR(32) NOT NULL,
  person_id BIGINT UNSIGNED NULL,
  PRIMARY KEY (org_id, prefix, ticket_id, word),
  KEY ticket_words_ticket (ticket_id),
  KEY ticket_words_word (org_id, word),
  KEY ticket_words_person (person_id),
  CONSTRAINT ticket_words_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE,
  CONSTRAINT ticket_words_ticket_fk FOREIGN KEY (ticket_id) REFERENCES tickets (id) ON DELETE CASCADE,
  CONSTRAINT ticket_words_person_fk FOREIGN KEY (person_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The tickets there are: the job search-index fills their rows (portalctl
-- search rebuild at once).
INSERT INTO search_rebuilds (search) VALUES ('tickets') ON DUPLICATE KEY UPDATE after_id = 0;
