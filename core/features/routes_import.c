/* The property import (POST /properties/import and /app/properties/import):
 * a spreadsheet's rows become properties. A row whose reference ID exists
 * updates that property (the monthly export of the accounting software can be
 * imported again); a row without one whose name and street exist is skipped.
 * Each row is checked before anything is written: a row with an error is
 * reported with its spreadsheet row number and not written, never half. The
 * rows that pass are written in bulk (import_write.c), and the page shows how
 * far the writing got while it goes (respond_stream_start). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/csv.h"
#include "import/import.h"
#include "portal/crypto.h"
#include "portal/files.h"
#include "portal/text.h"
#include "features/import_write.h"
#include "features/properties.h"
#include "features/routes.h"
#include "http/request.h"

#define PREVIEW_ROWS 5
/* A column's index as the preview's selects send it; -1 for none. */
#define COLUMN_NONE -1
#define COLUMN_MAX 255        /* the readers refuse a table of more columns */
#define EXTENSION_MAX_BYTES 7 /* ".xlsx"; a longer one is read as none */
#define FILE_NAME_MAX_CHARS 255

/* The preview's form: the kept upload, the extension of the file's name (it
 * tells the readers the format) and the chosen column of each field. */
#define COLUMN_INPUT(field)                                                \
	{                                                                  \
		"column_" field, PORTAL_IN_INT, 0, COLUMN_NONE, COLUMN_MAX \
	}
static const struct portal_input import_inputs[] = {
    {"upload", PORTAL_IN_STRING, 0, 1, PORTAL_TOKEN_CHARS, .message = "import.upload_gone"},
    {"extension", PORTAL_IN_STRING, 0, 1, FILE_NAME_MAX_CHARS},
    COLUMN_INPUT("name"),
    COLUMN_INPUT("reference_id"),
    COLUMN_INPUT("street"),
    COLUMN_INPUT("zip"),
    COLUMN_INPUT("city"),
    COLUMN_INPUT("country"),
    COLUMN_INPUT("notes"),
    {0},
};

static const size_t field_max[IMPORT_FIELD__MAX] = {200, 64, 200, 20, 200, 100, 5000};
static const char *const field_label[IMPORT_FIELD__MAX] = {
    "properties.name", "properties.reference_id", "properties.street", "properties.zip",
    "properties.city", "properties.country",      "properties.notes"};

struct outcome {
	struct import_counts counts;
	struct portal_value *errors; /* [{row, message}] */
	struct buf rejected;         /* the rejected rows as CSV, with their errors */
};

/* Postcodes stored as numbers lose their leading zero; only German ones are
 * five digits (Austria and Switzerland have four). */
static bool german(const char *country)
{
	return !*country || !strcasecmp(country, "Deutschland") ||
	       !strcasecmp(country, "Germany") || !strcasecmp(country, "DE") ||
	       !strcasecmp(country, "D");
}

static int reject(struct portal_req *req, struct outcome *o, const struct import_row *row,
                  const char *message)
{
	struct portal_arena *a = req->arena;
	struct portal_value *e = pv_object(a);
	if (!e || pv_set_int(a, e, "row", (long long)row->number) ||
	    pv_set_str(a, e, "message", message) || pv_push(a, o->errors, e))
		return 500;
	buf_printf(&o->rejected, "%lu;", row->number);
	csv_cell(&o->rejected, message);
	for (size_t c = 0; c < row->ncells; c++) {
		buf_puts(&o->rejected, ";");
		csv_cell(&o->rejected, row->cells[c]);
	}
	buf_puts(&o->rejected, "\r\n");
	return o->rejected.failed ? 500 : 0;
}

/* One row checked: a good one is appended to good (its cells stay the
 * table's), a bad one rejected with its row number. */
static int check_row(struct portal_req *req, const struct import_row *row,
                     const int columns[IMPORT_FIELD__MAX], struct outcome *o,
                     struct import_good_row *good, size_t *ngood)
{
	const char *v[IMPORT_FIELD__MAX];
	for (int f = 0; f < IMPORT_FIELD__MAX; f++) {
		v[f] = import_cell(row, columns[f]);
		if (portal_utf8_chars(v[f]) > field_max[f])
			return reject(req, o, row,
			              portal_sprintf(req->arena, "%s: %s",
			                             portal_t(req, field_label[f]),
			                             portal_t(req, "import.too_long")));
	}
	if (!*v[IMPORT_FIELD_NAME])
		return reject(req, o, row, portal_t(req, "import.name_missing"));
	if (german(v[IMPORT_FIELD_COUNTRY])) {
		char zip[6];
		const char *fixed = import_fix_zip(v[IMPORT_FIELD_ZIP], zip);
		if (fixed == zip && !(fixed = portal_strdup(req->arena, zip)))
			return 500;
		v[IMPORT_FIELD_ZIP] = fixed;
	}
	good[(*ngood)++] = (struct import_good_row){
	    .f = {.reference_id = v[IMPORT_FIELD_REFERENCE_ID],
	          .name = v[IMPORT_FIELD_NAME],
	          .street = v[IMPORT_FIELD_STREET],
	          .zip = v[IMPORT_FIELD_ZIP],
	          .city = v[IMPORT_FIELD_CITY],
	          .country = v[IMPORT_FIELD_COUNTRY],
	          .notes = v[IMPORT_FIELD_NOTES]},
	};
	return 0;
}

/* Reads the uploaded file; 0 or the status recorded. */
static int read_table(struct portal_req *req, const char *path, const char *name,
                      struct import_table **t)
{
	char err[256];
	int status = import_read(path, name, &import_limits_default, t, err, sizeof err);
	if (status == 0)
		return portal_on_free(req->arena, (void (*)(void *))import_table_free, *t) ? 500
		                                                                           : 0;
	const char *code = status == 413   ? "too_large"
	                   : status == 415 ? "unsupported_media_type"
	                   : status == 400 ? "bad_request"
	                                   : "internal";
	const char *key = status == 413   ? "import.too_large"
	                  : status == 415 ? "import.wrong_type"
	                                  : "import.corrupt";
	return portal_fail(req, status, code, "file", key);
}

/* The column of each field: detected from the headers, or chosen on the
 * preview page (column_<field> = its index, -1 for none). */
static int choose_columns(struct portal_req *req, const struct import_table *t,
                          int columns[IMPORT_FIELD__MAX])
{
	char err[256];
	bool chosen_any = false;
	int detected = import_map_headers(t, columns, err, sizeof err);
	for (int f = 0; f < IMPORT_FIELD__MAX; f++) {
		char key[64];
		snprintf(key, sizeof key, "column_%s", import_field_key(f));
		if (portal_in_has(req, key)) {
			columns[f] = (int)portal_in_int(req, key, COLUMN_NONE);
			chosen_any = true;
		}
	}
	/* Headers that could not be matched are an error only when the manager
	 * did not choose the columns on the preview. */
	if (detected && !chosen_any)
		return portal_fail(req, 422, "validation", "file",
		                   columns[IMPORT_FIELD_NAME] < 0 ? "import.no_name_column"
		                                                  : portal_strdup(req->arena, err));
	if (columns[IMPORT_FIELD_NAME] < 0)
		return portal_fail(req, 422, "validation", "file", "import.no_name_column");
	return 0;
}

/* Every row checked: those that pass into *good (count in *ngood), the
 * others rejected with their row numbers. */
static int check_rows(struct portal_req *req, const struct import_table *t, struct outcome *o,
                      struct import_good_row **good, size_t *ngood)
{
	int columns[IMPORT_FIELD__MAX];
	int status = choose_columns(req, t, columns);
	*ngood = 0;
	if (status)
		return status;
	if (!(*good = portal_alloc(req->arena, t->nrows * sizeof **good)) ||
	    !(o->errors = pv_list(req->arena)))
		return 500;
	for (size_t r = 1; !status && r < t->nrows; r++)
		status = check_row(req, &t->rows[r], columns, o, *good, ngood);
	return status;
}

/* All rows that passed, in one transaction: all of them, or (on a database
 * failure) none. */
static int write_rows(struct portal_req *req, const struct import_good_row *good, size_t ngood,
                      struct outcome *o, import_progress_fn progress)
{
	int status = portal_db_begin(req);
	if (!status)
		status = import_write(req, good, ngood, &o->counts, progress);
	if (!status)
		status = portal_db_commit(req);
	return status;
}

/* Keeps the rejected rows for download; the jobs worker removes them after an
 * hour like other uploads. Returns the download's token, NULL when none. */
static const char *keep_rejected(struct portal_req *req, struct outcome *o)
{
	if (!o->rejected.len)
		return NULL;
	char token[PORTAL_TOKEN_CHARS + 1];
	unsigned char unused[PORTAL_HASH_BYTES];
	portal_token_new(token, unused);
	char *path = portal_sprintf(req->arena, "%s/upload-rejected-%lld-%s.csv",
	                            portal_config(req, "tmp_dir"), req->caller.org_id, token);
	FILE *f = path ? fopen(path, "wb") : NULL;
	if (!f)
		return NULL;
	/* A BOM, so Excel opens the UTF-8 file with its umlauts intact. */
	fputs("\xEF\xBB\xBF", f);
	fprintf(f, "%s;%s\r\n", portal_t(req, "import.row"), portal_t(req, "import.error"));
	fwrite(o->rejected.data, 1, o->rejected.len, f);
	return fclose(f) == 0 ? portal_strdup(req->arena, token) : NULL;
}

static int result_view(struct portal_req *req, struct portal_value *view, struct outcome *o)
{
	struct portal_arena *a = req->arena;
	const char *token = keep_rejected(req, o);
	if (pv_set_int(a, view, "created", o->counts.created) ||
	    pv_set_int(a, view, "updated", o->counts.updated) ||
	    pv_set_int(a, view, "skipped", o->counts.skipped) ||
	    pv_set(a, view, "errors", o->errors) ||
	    (token && pv_set_str(a, view, "rejected_url",
	                         portal_sprintf(a, "/app/properties/import/rejected/%s", token))))
		return 500;
	return 200;
}

/* POST /api/v1/properties/import (multipart "file"). */
static int import_api(struct portal_req *req, struct portal_value *view)
{
	const struct portal_upload *up = portal_upload_of(req, "file");
	if (!up)
		return portal_fail(req, 422, "validation", "file", "import.file_missing");
	struct import_table *t;
	struct import_good_row *good = NULL;
	size_t ngood = 0;
	struct outcome o = {0};
	int status = read_table(req, up->path, up->filename, &t);
	if (!status)
		status = check_rows(req, t, &o, &good, &ngood);
	if (!status)
		status = write_rows(req, good, ngood, &o, NULL);
	if (!status)
		status = result_view(req, view, &o);
	buf_free(&o.rejected);
	return status;
}

/* The upload kept between the preview and the import, under tmp_dir (the
 * jobs worker removes it after an hour). Its name holds the organisation. */
static char *kept_path(struct portal_req *req, const char *token)
{
	return portal_token_valid(token)
	           ? portal_sprintf(req->arena, "%s/upload-import-%lld-%s",
	                            portal_config(req, "tmp_dir"), req->caller.org_id, token)
	           : NULL;
}

/* POST /app/properties/import/preview: the first rows and the detected
 * mapping, which the manager may change before importing. */
static int import_preview(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	const struct portal_upload *up = portal_upload_of(req, "file");
	if (!up)
		return portal_fail(req, 422, "validation", "file", "import.file_missing");
	struct import_table *t;
	int columns[IMPORT_FIELD__MAX];
	int status = read_table(req, up->path, up->filename, &t);
	if (!status)
		status = choose_columns(req, t, columns);
	if (status)
		return status;
	char token[PORTAL_TOKEN_CHARS + 1];
	unsigned char unused[PORTAL_HASH_BYTES];
	portal_token_new(token, unused);
	char *kept = kept_path(req, token);
	if (!kept || link(up->path, kept))
		return 500;
	const char *dot = up->filename ? strrchr(up->filename, '.') : NULL;
	struct portal_value *headers = pv_list(a), *fields = pv_list(a), *rows = pv_list(a);
	if (!headers || !fields || !rows)
		return 500;
	const struct import_row *head = &t->rows[0];
	for (size_t c = 0; c < head->ncells; c++) {
		struct portal_value *h = pv_object(a);
		if (!h || pv_set_int(a, h, "index", (long long)c) ||
		    pv_set_str(a, h, "name", head->cells[c]) || pv_push(a, headers, h))
			return 500;
	}
	for (int f = 0; f < IMPORT_FIELD__MAX; f++) {
		struct portal_value *fv = pv_object(a), *options = pv_list(a);
		for (size_t c = 0; fv && options && c < head->ncells; c++) {
			struct portal_value *opt = pv_object(a);
			if (!opt || pv_set_int(a, opt, "index", (long long)c) ||
			    pv_set_str(a, opt, "name", head->cells[c]) ||
			    pv_set_bool(a, opt, "selected", columns[f] == (int)c) ||
			    pv_push(a, options, opt))
				return 500;
		}
		if (!fv || pv_set_str(a, fv, "key", import_field_key(f)) ||
		    pv_set_str(a, fv, "label", portal_t(req, field_label[f])) ||
		    pv_set_bool(a, fv, "none", columns[f] < 0) ||
		    pv_set(a, fv, "options", options) || pv_push(a, fields, fv))
			return 500;
	}
	for (size_t r = 1; r < t->nrows && r <= PREVIEW_ROWS; r++) {
		struct portal_value *row = pv_object(a), *cells = pv_list(a);
		for (size_t c = 0; row && cells && c < head->ncells; c++)
			if (pv_push(a, cells, pv_string(a, import_cell(&t->rows[r], (int)c))))
				return 500;
		if (!row || pv_set_int(a, row, "number", (long long)t->rows[r].number) ||
		    pv_set(a, row, "cells", cells) || pv_push(a, rows, row))
			return 500;
	}
	if (pv_set_str(a, view, "upload", token) || pv_set(a, view, "headers", headers) ||
	    pv_set(a, view, "fields", fields) || pv_set(a, view, "rows", rows) ||
	    pv_set_int(a, view, "total", (long long)t->nrows - 1) ||
	    pv_set_str(a, view, "extension", dot ? dot : ""))
		return 500;
	return 200;
}

/* A step of the page's import done: a progress bar of it, sent at once. A
 * bar that cannot be sent leaves the page to show the result alone. */
static void page_progress(struct portal_req *req, size_t done, size_t total)
{
	struct portal_value *v = pv_object(req->arena);
	long long percent = total ? (long long)(done * 100 / total) : 100;
	if (v && !pv_set_int(req->arena, v, "percent", percent))
		(void)respond_stream_part(req, "import_progress", v);
}

/* POST /app/properties/import: imports the kept upload with the mapping of
 * the preview's form. */
static int import_page(struct portal_req *req, struct portal_value *view)
{
	const char *token = portal_in_str(req, "upload");
	const char *ext = portal_in_str(req, "extension");
	char *kept = token ? kept_path(req, token) : NULL;
	if (!kept || access(kept, R_OK) != 0)
		return portal_fail(req, 422, "validation", "file", "import.upload_gone");
	bool known = ext && strlen(ext) <= EXTENSION_MAX_BYTES;
	char *name = portal_sprintf(req->arena, "upload%s", known ? ext : "");
	struct import_table *t;
	struct import_good_row *good = NULL;
	size_t ngood = 0;
	struct outcome o = {0};
	int status = read_table(req, kept, name, &t);
	if (!status)
		status = check_rows(req, t, &o, &good, &ngood);
	/* From here on the page shows how far the writing got. Without its
	 * start (a template without the mark) the result comes all at once. */
	bool streaming = !status && respond_stream_start(req, view) == 0;
	if (!status)
		status = write_rows(req, good, ngood, &o, streaming ? page_progress : NULL);
	if (!status)
		status = result_view(req, view, &o);
	buf_free(&o.rejected);
	unlink(kept);
	return status;
}

/* GET /app/properties/import/rejected/{token}: the rejected rows as CSV. */
static int import_rejected(struct portal_req *req, struct portal_value *view)
{
	const char *token = portal_param_str(req, "token");
	char *path = portal_token_valid(token)
	                 ? portal_sprintf(req->arena, "%s/upload-rejected-%lld-%s.csv",
	                                  portal_config(req, "tmp_dir"), req->caller.org_id, token)
	                 : NULL;
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0)
		return portal_not_found(req);
	struct buf b = {0};
	char chunk[65536];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof chunk)) > 0 && b.len < (64u << 20))
		buf_append(&b, chunk, (size_t)n);
	close(fd);
	int status =
	    b.failed ? 500
	    : portal_set_header(req, "Content-Disposition",
	                        "attachment; filename=\"abgelehnte-zeilen.csv\"")
	        ? 500
	        : portal_respond_raw(req, "text/csv; charset=utf-8", b.data ? b.data : "", b.len);
	buf_free(&b);
	return status;
}

/* GET /app/properties/import: the upload form. */
static int import_form(struct portal_req *req, struct portal_value *view)
{
	return 200;
}

/* GET /app/properties/import/preview: the preview's address reloaded (the
 * upload's script shows it there). The preview needs the file: back to the
 * form. */
static int import_preview_again(struct portal_req *req, struct portal_value *view)
{
	return portal_redirect(req, "/app/properties/import");
}

const struct portal_route routes_import[] = {
    {"POST", "/properties/import", NULL, PORTAL_ACCESS_MANAGER, 0, import_api, NULL, NULL},
    {"GET", NULL, "/app/properties/import", PORTAL_ACCESS_MANAGER, 0, import_form, "import",
     "import.title"},
    {"POST", NULL, "/app/properties/import/preview", PORTAL_ACCESS_MANAGER, 0, import_preview,
     "import_preview", "import.title"},
    {"GET", NULL, "/app/properties/import/preview", PORTAL_ACCESS_MANAGER, 0, import_preview_again,
     NULL, NULL},
    {"POST", NULL, "/app/properties/import", PORTAL_ACCESS_MANAGER, 0, import_page, "import_result",
     "import.title", import_inputs},
    {"GET", NULL, "/app/properties/import/rejected/{token}", PORTAL_ACCESS_MANAGER, 0,
     import_rejected, NULL, NULL},
    {0},
};
