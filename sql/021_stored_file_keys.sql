-- Whether a stored file is still named is asked of every column that names
-- one (portal/files.h), at every removal and by the sweep: by key, not by a
-- scan of the table.
ALTER TABLE properties ADD KEY properties_image_file (image_file);
ALTER TABLE orgs ADD KEY orgs_logo_file (logo_file);
