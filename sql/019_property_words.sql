-- The search index of properties (GET /properties?q=, core/features/search.c,
-- core/lib/words.h). A search finds the prefix of any word of a property's
-- name, street, zip, city and reference ID. Each word of a property has a row
-- under its first character and, from three characters on, one under its
-- first three (prefix). A term is read from the rows of its own first three
-- characters (or first one): they come in the list's order (name, id), so a
-- page of results reads about a page of rows at any size of the organisation,
-- and each further term is a look-up per row. name repeats the property's
-- name for that order and is rewritten with it.
CREATE TABLE property_words (
  org_id BIGINT UNSIGNED NOT NULL,
  prefix VARCHAR(3) NOT NULL,
  name VARCHAR(200) NOT NULL,
  property_id BIGINT UNSIGNED NOT NULL,
  word VARCHAR(32) NOT NULL,
  PRIMARY KEY (org_id, prefix, name, property_id, word),
  KEY property_words_property (property_id),
  CONSTRAINT property_words_property_fk FOREIGN KEY (property_id) REFERENCES properties (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What a search index holds is made by the words' rules in C: an index whose
-- rules are new (or that is new itself) is named here, and the jobs worker
-- (job search-index) fills it from after_id on, a slice at a time, then
-- removes the row. portalctl search rebuild does it at once.
CREATE TABLE search_rebuilds (
  search VARCHAR(48) NOT NULL PRIMARY KEY,
  after_id BIGINT UNSIGNED NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO search_rebuilds (search) VALUES ('properties');

-- The search no longer reads the organisation's rows (sql/011).
ALTER TABLE properties DROP KEY properties_search;
