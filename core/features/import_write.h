/* Writing the property import's checked rows (routes_import.c) in bulk: a
 * statement per thousand rows instead of two or three per row, with the same
 * outcome as writing them one after the other, in the file's order:
 *  - a row whose reference ID exists in the organisation updates that
 *    property; a later row with the same reference ID as an earlier one
 *    updates what the earlier one wrote;
 *  - a row without reference ID is skipped when a property of its name and
 *    street existed before the import or an earlier row has them; else it is
 *    created with a generated reference ID ("L-00042");
 *  - the search words of every property created or changed are written too.
 * Reference IDs, names and streets compare as the database compares them
 * (utf8mb4_unicode_ci: "ref-1" is "REF-1"). */
#ifndef CORE_IMPORT_WRITE_H
#define CORE_IMPORT_WRITE_H

#include <stddef.h>

#include "features/properties.h"
#include "portal/request.h"

/* A row that passed the checks: its fields (reference_id "" for none; all
 * of them non-NULL). */
struct import_good_row {
	struct property_fields f;
};

struct import_counts {
	long long created, updated, skipped;
};

/* Told after each step how much of the work (rows written, their words)
 * is done of total. */
typedef void (*import_progress_fn)(struct portal_req *req, size_t done, size_t total);

/* Writes rows (count of them, in the file's order) into the caller's
 * organisation, inside the caller's transaction, and counts what happened.
 * progress may be NULL. 0 or an HTTP status. */
int import_write(struct portal_req *req, const struct import_good_row *rows, size_t count,
                 struct import_counts *counts, import_progress_fn progress);

#endif
