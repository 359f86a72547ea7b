-- A manager's search of several words (list_query.c) reads the rows of its
-- rarest term, and used to look every other term up in each ticket those
-- rows name: "Schmidt Heizung" looked for heizung in each of a few thousand
-- Schmidts' tickets. key_bits (portal/words.h) is a Bloom filter of the
-- ticket's keys in each of its rows, so that the search skips, without a
-- look-up, the tickets that cannot hold another term; it looks the terms up
-- only in those that may. Every bit, until the job search-index writes a
-- ticket's rows again: a row written before says "may hold anything".
--
-- The key on the terms replaces the one on the words: it leads with the
-- prefix, as the terms are asked (the rows of a term, not those of both of
-- its prefixes), and holds the ticket and the bits, so that reading a term's
-- rows reads no row of the table. Building it takes a while with many
-- tickets (half a minute for 100,000): each step may be run again, should
-- the migration's connection give up waiting while the server finishes it.
ALTER TABLE ticket_words
  ADD COLUMN IF NOT EXISTS key_bits BIGINT UNSIGNED NOT NULL DEFAULT 18446744073709551615;
ALTER TABLE ticket_words
  ADD KEY IF NOT EXISTS ticket_words_term (org_id, prefix, word, ticket_id, key_bits);
ALTER TABLE ticket_words DROP KEY IF EXISTS ticket_words_word;

INSERT INTO search_rebuilds (search) VALUES ('tickets') ON DUPLICATE KEY UPDATE after_id = 0;
