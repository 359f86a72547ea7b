-- Search by name, street and city (GET /properties?q=): this index gives the
-- list's order (name, id) and holds every searched column, so a search checks
-- rows without reading them and stops after a page of matches.
ALTER TABLE properties ADD KEY properties_search (org_id, name, id, street, city);
