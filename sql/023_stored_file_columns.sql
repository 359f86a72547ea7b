-- Every column a plugin ever declared to name stored files (.file of its
-- .tables, portal/data.h), recorded when the plugin's migrations run. A file
-- goes only when none of them names it: also a plugin that is disabled for
-- now keeps its files. The migrator creates the table before any migration
-- (core/plugin/migrate.c); here it is the schema's too.
CREATE TABLE IF NOT EXISTS stored_file_columns (
  table_name VARCHAR(64) NOT NULL,
  column_name VARCHAR(64) NOT NULL,
  PRIMARY KEY (table_name, column_name)
) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin;

-- The columns of the plugins that existed before this table, recorded here
-- too: one disabled when this runs would otherwise not be known until it is
-- enabled again, and the sweep would take its files meanwhile.
INSERT IGNORE INTO stored_file_columns (table_name, column_name) VALUES
  ('orgs', 'logo_file'),
  ('properties', 'image_file'),
  ('announcement_attachments', 'file'),
  ('document_files', 'file');
