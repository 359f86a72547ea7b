/* How a plugin's tables hold an organisation's and a person's data, for
 * `portalctl export` (everything of one organisation, for a customer who
 * leaves) and `portalctl resident erase` (a person's account and personal
 * data, on their request). Declared in the plugin struct's .tables, terminated
 * by table NULL:
 *
 *   static const struct portal_table tables[] = {
 *       {"notes", .author = "user_id", .file = "file", .file_name = "name"},
 *       {"note_reads", .parent = "notes", .parent_column = "note_id"},
 *       {0},
 *   };
 *
 * A table with an org_id column is exported without a declaration; declare
 * it when it has no org_id, holds secrets or stored files, or keeps rows of
 * a person after their erasure. */
#ifndef PORTAL_DATA_H
#define PORTAL_DATA_H

#ifdef __cplusplus
extern "C" {
#endif

struct portal_table {
	const char *table; /* [a-z0-9_] */
	/* A table without org_id: its rows belong to the organisation of the row
	 * of parent (which has org_id, or a declaration of its own) whose id
	 * parent_column names. */
	const char *parent;
	const char *parent_column;
	/* Columns the export leaves out, space-separated; "*" leaves out the
	 * table. Columns named like password, token, hash or secret are left
	 * out whatever is declared. */
	const char *secret;
	/* A column naming a stored file (portal/files.h), and the column with
	 * the name users see: the export holds the file under that name. */
	const char *file;
	const char *file_name;
	/* A column naming the user who wrote what others read (a ticket, a
	 * comment, a post): when that person is erased the rows stay, this
	 * column set to NULL, and the plugin shows the author as the locale key
	 * "former_resident" ("ehemalige Bewohnerin / ehemaliger Bewohner").
	 * Other rows naming a user go with the person: give them a foreign key
	 * to users ON DELETE CASCADE. */
	const char *author;
	/* A column holding an email address: rows with the erased person's
	 * address go too (invitations to them, mail to them). */
	const char *email;
};

#ifdef __cplusplus
}
#endif

#endif
