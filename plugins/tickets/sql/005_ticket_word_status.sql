-- A manager's search counts its tickets per status (GET /tickets?q=, API.md)
-- and used to look each match up in tickets for its status: 12,500 look-ups
-- for "heizung" among 100,000 tickets, most of the search's time. Each row
-- of a ticket's words now carries the ticket's status, and the key on the
-- terms holds it, so that a search without other filters counts the rows of
-- its terms alone (list_query.c).
--
-- Triggers keep it, whoever writes (the plugin, the job search-index, SQL by
-- hand or in tests): a new row takes its ticket's status, a changed status
-- goes to all of the ticket's rows. A statement that changes tickets must
-- not read ticket_words then (error 1442). The status is read where the
-- ticket is already held: a change of a ticket takes its row before its
-- words, and the job locks the tickets of a slice before writing their rows.
--
-- Each step may be run again (as in 004: the key takes a while at 100,000
-- tickets).
ALTER TABLE ticket_words
  ADD COLUMN IF NOT EXISTS status ENUM('open', 'in_progress', 'waiting', 'resolved', 'closed')
    NOT NULL DEFAULT 'open';

CREATE OR REPLACE TRIGGER ticket_words_status BEFORE INSERT ON ticket_words FOR EACH ROW
  SET NEW.status = (SELECT t.status FROM tickets t WHERE t.id = NEW.ticket_id);

CREATE OR REPLACE TRIGGER tickets_words_status AFTER UPDATE ON tickets FOR EACH ROW
  UPDATE ticket_words SET status = NEW.status
  WHERE ticket_id = NEW.id AND NOT (NEW.status <=> OLD.status);

-- The rows there are take their ticket's status, the tickets of an id range
-- at a time: each range is a transaction of its own, so that no write grows
-- with the number of tickets (on a Galera cluster a write set has a limit,
-- wsrep_max_ws_size).
BEGIN NOT ATOMIC
  DECLARE next_id BIGINT UNSIGNED DEFAULT 0;
  DECLARE last_id BIGINT UNSIGNED DEFAULT (SELECT COALESCE(MAX(id), 0) FROM tickets);
  WHILE next_id <= last_id DO
    UPDATE ticket_words w JOIN tickets t ON t.id = w.ticket_id SET w.status = t.status
    WHERE w.ticket_id >= next_id AND w.ticket_id < next_id + 1000 AND w.status <> t.status;
    SET next_id = next_id + 1000;
  END WHILE;
END;

ALTER TABLE ticket_words
  ADD KEY IF NOT EXISTS ticket_words_terms (org_id, prefix, word, ticket_id, key_bits, status);
ALTER TABLE ticket_words DROP KEY IF EXISTS ticket_words_term;
