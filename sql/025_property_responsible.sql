-- A property's responsible employee (a manager account of its organisation,
-- or none): new tickets of the property are mailed to them instead of to all
-- managers (plugin tickets). An employee who goes leaves the property without
-- one, and the mail goes to all managers again.
ALTER TABLE properties
  ADD COLUMN responsible_id BIGINT UNSIGNED NULL AFTER notes,
  ADD KEY properties_responsible (responsible_id),
  ADD CONSTRAINT properties_responsible_fk FOREIGN KEY (responsible_id) REFERENCES users (id) ON DELETE SET NULL;
