/* The zip of portalctl export: tables/<table>.csv, files/<table>/<name>,
 * files.csv and README.txt, written to a temporary name and renamed when
 * complete. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/archive.h"
#include "ctl/export.h"
#include "lib/csv.h"

static const char readme_head[] =
    "Export der Organisation %lld / Export of organisation %lld\n"
    "\n"
    "Deutsch\n"
    "-------\n"
    "Alles, was das Portal von dieser Organisation speichert.\n"
    "\n"
    "- tables/<Tabelle>.csv: eine Datei je Tabelle, UTF-8, durch Kommas getrennt,\n"
    "  jede Zelle in doppelten Anführungszeichen (ein Anführungszeichen darin\n"
    "  verdoppelt), Zeilenende CR LF, in der ersten Zeile die Spaltennamen. Eine\n"
    "  leere Zelle ist ein leerer oder fehlender Wert. Eine Zelle, die mit = + - @\n"
    "  oder einem Tabulator begänne, beginnt mit einem Apostroph, damit\n"
    "  Tabellenprogramme sie als Text zeigen statt als Formel auszuführen.\n"
    "- Zeiten sind UTC, geschrieben 2026-12-05T06:30:00Z.\n"
    "- Zeilen verweisen über ihre id aufeinander: org_id ist die Organisation,\n"
    "  user_id und author_id eine Zeile aus users.csv, property_id eine aus\n"
    "  properties.csv usw.\n"
    "- files/<Tabelle>/<Name>: die gespeicherten Dateien (Dokumente, Anhänge, Logo)\n"
    "  unter dem Namen, den Nutzer sahen; ein doppelter Name bekommt \" (2)\",\n"
    "  \" (3)\" vor der Endung. Zeilen nennen eine Datei mit ihrer SHA-256 (Spalte\n"
    "  file); files.csv nennt für jede Tabelle, SHA-256 und Pfad in dieser ZIP-Datei.\n"
    "- Nicht enthalten, weil sie Zugänge öffnen würden: Passwort-Hashes, Sitzungen,\n"
    "  Aktivierungs-, Passwort-, Einladungs- und Kalender-Links (jede Spalte mit\n"
    "  password, token, hash oder secret im Namen) und der Text von E-Mails (er\n"
    "  kann einen Link mit Token enthalten): outbox.csv zeigt, wer wann welchen\n"
    "  Betreff bekam.\n"
    "- Abgeleitet, nicht eingegeben: tables/<...>_words.csv sind Suchindizes (die\n"
    "  Wörter anderer Zeilen, mit deren id), tables/<...>_counts.csv Zähler; das\n"
    "  Portal berechnet beide aus den übrigen Tabellen neu.\n"
    "\n"
    "English\n"
    "-------\n"
    "Everything the portal holds of this organisation.\n"
    "\n"
    "- tables/<table>.csv: one file per table, UTF-8, comma-separated, every cell in\n"
    "  double quotes (a quote inside doubled), lines ending in CR LF, the column\n"
    "  names in the first line. An empty cell is an empty or missing value. A cell\n"
    "  that would start with = + - @ or a tab starts with an apostrophe, so that\n"
    "  spreadsheets show it as text rather than run it as a formula.\n"
    "- Times are UTC, written 2026-12-05T06:30:00Z.\n"
    "- Rows refer to each other by id: org_id is the organisation, user_id and\n"
    "  author_id a row of users.csv, property_id a row of properties.csv, and so on.\n"
    "- files/<table>/<name>: the stored files (documents, attachments, the logo)\n"
    "  under the name users saw, made safe for a file system; a name used twice\n"
    "  gets \" (2)\", \" (3)\" before its extension. Rows name a stored file by its\n"
    "  SHA-256 (the column file); files.csv lists for each the table, that SHA-256\n"
    "  and its path in this zip.\n"
    "- Left out, because they would open accounts: password hashes, sessions,\n"
    "  activation, reset, invitation and calendar feed tokens (every column named\n"
    "  like password, token, hash or secret), and the text of mails (a mail may\n"
    "  carry a link with a token): outbox.csv keeps who was sent what subject when.\n"
    "- Derived, not entered: tables/<...>_words.csv are search indexes (the words\n"
    "  of other rows, with their id), tables/<...>_counts.csv counts; the portal\n"
    "  computes both again from the other tables.\n"
    "\n"
    "Tabellen und ihre Spalten / Tables and their columns\n"
    "----------------------------------------------------\n";

int export_open(struct export *x, const char *out)
{
	snprintf(x->out, sizeof x->out, "%s", out);
	snprintf(x->work, sizeof x->work, "%s/export-XXXXXX", config_get(x->c->cfg, "tmp_dir"));
	if (!mkdtemp(x->work)) {
		x->work[0] = '\0';
		return ctl_fail("cannot create a folder in tmp_dir: %s", strerror(errno));
	}
	snprintf(x->tmp, sizeof x->tmp, "%s.partial", out);
	int err = 0;
	unlink(x->tmp);
	x->zip = zip_open(x->tmp, ZIP_CREATE | ZIP_EXCL, &err);
	if (!x->zip)
		return ctl_fail("cannot write %s (libzip error %d)", x->tmp, err);
	buf_printf(&x->readme, readme_head, x->org_id, x->org_id);
	buf_puts(&x->files_csv, "\"table\",\"file\",\"path\"\r\n");
	return 0;
}

int export_readme_table(struct export *x, const char *table)
{
	return buf_printf(&x->readme, "\ntables/%s.csv:\n  ", table);
}

int export_readme_column(struct export *x, const char *column, const char *sep)
{
	return buf_printf(&x->readme, "%s%s", sep, column);
}

static int add_file(struct export *x, const char *name, const char *path)
{
	zip_source_t *src = zip_source_file(x->zip, path, 0, -1);
	if (!src || zip_file_add(x->zip, name, src, ZIP_FL_ENC_UTF_8) < 0) {
		if (src)
			zip_source_free(src);
		return ctl_fail("cannot add %s to the zip: %s", name, zip_strerror(x->zip));
	}
	return 0;
}

int export_add_table(struct export *x, const char *table, const char *path, long long rows)
{
	char name[300];
	snprintf(name, sizeof name, "tables/%s.csv", table);
	buf_printf(&x->readme, "\n  (%lld rows)\n", rows);
	x->table_count++;
	return add_file(x, name, path);
}

/* The display name as a file name: no folders, no control characters, no
 * leading dot, at most 150 bytes (cut at a character's start). */
static void safe_name(const char *shown, char out[160])
{
	size_t n = 0;
	shown = shown ? shown : "";
	for (const unsigned char *p = (const unsigned char *)shown; *p && n < 150; p++) {
		bool bad = *p < 0x20 || *p == 0x7f || strchr("/\\:*?\"<>|", *p);
		out[n++] = bad ? '_' : (char)*p;
	}
	while (n > 0 && ((unsigned char)shown[n] & 0xc0) == 0x80)
		n--; /* cut before a character, not inside it */
	out[n] = '\0';
	while (out[0] == '.' || out[0] == ' ')
		memmove(out, out + 1, strlen(out));
	if (!out[0])
		snprintf(out, 160, "file");
}

static bool used(const struct export *x, const char *path)
{
	for (size_t i = 0; i < x->used_count; i++)
		if (strcmp(x->used[i], path) == 0)
			return true;
	return false;
}

/* files/<table>/<name>, or "<stem> (2)<extension>" and so on when taken. */
static char *unique_path(struct export *x, const char *table, const char *name)
{
	char path[600];
	const char *dot = strrchr(name, '.');
	int stem = dot && dot != name ? (int)(dot - name) : (int)strlen(name);
	const char *ext = dot && dot != name ? dot : "";
	snprintf(path, sizeof path, "files/%s/%s", table, name);
	for (int i = 2; used(x, path); i++)
		snprintf(path, sizeof path, "files/%s/%.*s (%d)%s", table, stem, name, i, ext);
	if (x->used_count == x->used_cap) {
		size_t cap = x->used_cap ? x->used_cap * 2 : 64;
		char **grown = realloc(x->used, cap * sizeof *grown);
		if (!grown)
			return NULL;
		x->used = grown;
		x->used_cap = cap;
	}
	return x->used[x->used_count++] = strdup(path);
}

int export_file_of(struct export *x, const struct portal_table *decl,
                   const struct portal_value *row)
{
	const char *file = pv_get_str(row, decl->file);
	if (!file || !archive_stored_name(file))
		return 0;
	char from[4200], name[160];
	snprintf(from, sizeof from, "%s/%s", config_get(x->c->cfg, "files_dir"), file);
	if (access(from, R_OK) != 0)
		return 0; /* gone with its last reference meanwhile */
	safe_name(decl->file_name ? pv_get_str(row, decl->file_name) : decl->file, name);
	const char *path = unique_path(x, decl->table, name);
	if (!path)
		return ctl_fail("out of memory");
	csv_cell(&x->files_csv, decl->table);
	buf_puts(&x->files_csv, ",");
	csv_cell(&x->files_csv, file);
	buf_puts(&x->files_csv, ",");
	csv_cell(&x->files_csv, path);
	buf_puts(&x->files_csv, "\r\n");
	x->file_count++;
	return add_file(x, path, from);
}

static int add_buffer(struct export *x, const char *name, const struct buf *b)
{
	char path[4300];
	snprintf(path, sizeof path, "%s/%s", x->work, name);
	FILE *f = b->failed ? NULL : fopen(path, "wx");
	if (!f)
		return ctl_fail("cannot write %s", path);
	bool ok = fwrite(b->data, 1, b->len, f) == b->len;
	if (fclose(f) || !ok)
		return ctl_fail("cannot write %s", path);
	return add_file(x, name, path);
}

int export_finish(struct export *x)
{
	buf_puts(&x->readme, "\nfiles.csv:\n  table, file, path\n");
	int rc = add_buffer(x, "README.txt", &x->readme);
	return rc ? rc : add_buffer(x, "files.csv", &x->files_csv);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int export_close(struct export *x, bool ok)
{
	int rc = ok ? 0 : 1;
	if (x->zip && ok) {
		if (zip_close(x->zip) < 0) {
			rc = ctl_fail("cannot write %s: %s", x->tmp, zip_strerror(x->zip));
			zip_discard(x->zip);
			unlink(x->tmp);
		} else if (rename(x->tmp, x->out)) {
			rc = ctl_fail("cannot rename %s: %s", x->tmp, strerror(errno));
			unlink(x->tmp);
		}
	} else if (x->zip) {
		zip_discard(x->zip);
	}
	if (x->work[0])
		nftw(x->work, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	for (size_t i = 0; i < x->used_count; i++)
		free(x->used[i]);
	free(x->used);
	buf_free(&x->readme);
	buf_free(&x->files_csv);
	return rc;
}
