-- Two things the managers' property list reads on the row it is at: the count
-- of residents, and (for a search of several words) the property's words.
--
-- The count of a property's active residents (API.md's residents_count: its
-- memberships in state 'active'), kept on the property so that the managers'
-- list reads one range of properties instead of joining and grouping the
-- memberships of every row.
--
-- Triggers keep it, so that every write of memberships counts, whoever makes
-- it (the invites plugin, an erasure, SQL by hand or in tests). MariaDB fires
-- no trigger for what a foreign key does, so the cascades that remove
-- memberships are covered where they start: a deleted user (users ->
-- memberships) is uncounted by a trigger on users before its rows go; a
-- deleted property (properties -> memberships) takes its count along, and so
-- does a deleted organisation (orgs -> properties). A unit deleted only
-- clears memberships.unit_id. Signed, so that a count could never make a
-- write fail.
--
-- A trigger may not change a table that its statement reads: a statement
-- that writes memberships must not read properties (INSERT ... SELECT ...
-- FROM properties fails with error 1442), nor one that deletes users.
ALTER TABLE properties ADD COLUMN residents_count INT NOT NULL DEFAULT 0;

UPDATE properties p
SET p.residents_count = (SELECT COUNT(*) FROM memberships m
                         WHERE m.property_id = p.id AND m.state = 'active');

CREATE TRIGGER memberships_count_insert AFTER INSERT ON memberships FOR EACH ROW
  UPDATE properties SET residents_count = residents_count + 1
  WHERE id = NEW.property_id AND NEW.state = 'active';

CREATE TRIGGER memberships_count_update AFTER UPDATE ON memberships FOR EACH ROW
  UPDATE properties
  SET residents_count = residents_count
    + (id = NEW.property_id AND NEW.state = 'active')
    - (id = OLD.property_id AND OLD.state = 'active')
  WHERE id IN (NEW.property_id, OLD.property_id)
    AND (NEW.state = 'active' OR OLD.state = 'active')
    AND NOT (NEW.property_id = OLD.property_id AND NEW.state = OLD.state);

CREATE TRIGGER memberships_count_delete AFTER DELETE ON memberships FOR EACH ROW
  UPDATE properties SET residents_count = residents_count - 1
  WHERE id = OLD.property_id AND OLD.state = 'active';

CREATE TRIGGER users_count_delete BEFORE DELETE ON users FOR EACH ROW
  UPDATE properties p JOIN memberships m ON m.property_id = p.id
  SET p.residents_count = p.residents_count - 1
  WHERE m.user_id = OLD.id AND m.state = 'active';

-- The search (core/features/search.c): every row of property_words holds all
-- the words of its property, each after a space, so that a search of several
-- terms reads the rows of one term in the list's order and checks each
-- further term on the row it has read (words LIKE '% term%': the prefix of
-- any word, in the same collation as the keys) instead of looking up a key
-- per term and row. Filled here from the keys, which are the words; written
-- by the index from then on.
ALTER TABLE property_words ADD COLUMN words VARCHAR(2000) NOT NULL DEFAULT '';

SET SESSION group_concat_max_len = 65536;

UPDATE property_words w
JOIN (SELECT property_id, CONCAT(' ', GROUP_CONCAT(DISTINCT word SEPARATOR ' ')) AS words
      FROM property_words GROUP BY property_id) o ON o.property_id = w.property_id
SET w.words = o.words;
