-- Every column a plugin ever declared to name stored files (portal/files.h),
-- recorded when the plugin's migrations run. A file goes only when none of
-- them names it: also a plugin that is disabled for now keeps its files.
CREATE TABLE stored_file_columns (
  table_name VARCHAR(64) NOT NULL,
  column_name VARCHAR(64) NOT NULL,
  PRIMARY KEY (table_name, column_name)
) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin;

-- The columns of the plugins that existed before this table, recorded here
-- too: one disabled when this runs would otherwise not be known until it is
-- enabled again, and the sweep would take its files meanwhile.
INSERT INTO stored_file_columns (table_name, column_name) VALUES
  ('orgs', 'logo_file'),
  ('properties', 'image_file'),
  ('announcement_attachments', 'file'),
  ('document_files', 'file');
