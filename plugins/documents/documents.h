/* The documents plugin: what its files share. */
#ifndef DOCUMENTS_H
#define DOCUMENTS_H

#include <portal/categories.h>
#include <portal/files.h>
#include <portal/portal.h>

/* What init keeps for the process's life (req->plugin_state). */
struct documents_state {
	void *magic; /* libmagic's cookie: types are read from content, never the client */
};

extern const char *const documents_audiences[];
extern const char *const documents_categories[];

/* Whether the member m (memberships, active, of the document's property) may
 * see the document d: the audience matches their group, and a unit's
 * document only for members of that unit whose tenancy of it began before
 * the document was shared. Managers see every document of their
 * organisation; internal ones only they. */
#define DOCUMENTS_SEEN_BY_MEMBER                                                                \
	" ((d.audience = 'residents' OR (d.audience = 'owners' AND m.resident_group = 'owner')" \
	" OR (d.audience = 'tenants' AND m.resident_group = 'tenant'))"                         \
	" AND (d.unit_id IS NULL OR (m.unit_id = d.unit_id AND m.unit_since <= d.shared_at)))"

/* What the next digest says of document d to member m, with r their
 * document_digest row (LEFT JOIN): 'new' when no digest covered it and it was
 * shared after they joined (joining brings no old papers), 'changed' when a
 * version after the one covered (uploaded after they joined) asked to notify;
 * NULL when nothing. */
#define DOCUMENTS_PENDING                                                               \
	" (CASE WHEN r.user_id IS NULL AND d.shared_at > m.joined_at THEN 'new'"        \
	" WHEN EXISTS (SELECT 1 FROM document_files fv WHERE fv.document_id = d.id"     \
	" AND fv.notify = 1 AND fv.version > 1 AND fv.version > COALESCE(r.version, 0)" \
	" AND fv.uploaded_at >= m.joined_at) THEN 'changed' END)"

/* The columns of a document as the API shows it (documents_item), from d
 * (documents), f (its current document_files row) and un (its unit). */
#define DOCUMENTS_COLUMNS                                                                  \
	" d.id, d.title, d.category, d.audience, d.unit_id, un.name AS unit_name, f.size," \
	" f.content_type, d.created_at AS uploaded_at, d.updated_at, d.version, d.requires_ack"

/* For managers: of those who may see the document now, how many acknowledged
 * it (ack_count) and how many there are (ack_of). */
#define DOCUMENTS_ACK_COUNTS                                                                     \
	" (SELECT COUNT(*) FROM memberships m JOIN document_acks k ON k.document_id = d.id"      \
	" AND k.user_id = m.user_id WHERE m.property_id = d.property_id AND m.org_id = d.org_id" \
	" AND m.state = 'active' AND" DOCUMENTS_SEEN_BY_MEMBER ") AS ack_count,"                 \
	" (SELECT COUNT(*) FROM memberships m WHERE m.property_id = d.property_id"               \
	" AND m.org_id = d.org_id AND m.state = 'active' AND" DOCUMENTS_SEEN_BY_MEMBER           \
	") AS ack_of"

/* view.c: a row of DOCUMENTS_COLUMNS (with acknowledged_at for residents, or
 * DOCUMENTS_ACK_COUNTS for managers) as the API's item, in place; the items
 * with the given ids as managers see them, in the order of ids. */
int documents_item(struct portal_req *req, struct portal_value *row);
/* A row's unit_id and unit_name as unit: {id, name} or null, in place. */
int documents_unit_set(struct portal_req *req, struct portal_value *row);
int documents_load(struct portal_req *req, const long long *ids, size_t count,
                   struct portal_value **items);

/* store.c: files as the documents keep them */
const char *documents_type_of(struct portal_req *req, const struct portal_upload *up);
const char *documents_display_name(struct portal_req *req, const char *filename);
const char *documents_title_of(struct portal_req *req, const char *display_name);
void documents_release_files(struct portal_req *req, struct portal_value *files);
bool documents_inline_type(const char *content_type);

/* upload.c: POST /properties/{id}/documents */
extern const struct portal_input documents_upload_inputs[];
int documents_upload(struct portal_req *req, struct portal_value *view);

/* list.c: the property's documents and who a document would reach */
extern const struct portal_input documents_list_inputs[];
extern const struct portal_input documents_audience_inputs[];
int documents_list(struct portal_req *req, struct portal_value *view);
int documents_list_of(struct portal_req *req, struct portal_value *view, long long property_id,
                      const char *category);
int documents_audience(struct portal_req *req, struct portal_value *view);
int documents_audience_people(struct portal_req *req, long long property_id, const char *audience,
                              long long unit_id, struct portal_value **people);

/* document.c: one document */
extern const struct portal_input documents_download_inputs[];
extern const struct portal_input documents_update_inputs[];
int documents_download(struct portal_req *req, struct portal_value *view);
int documents_update(struct portal_req *req, struct portal_value *view);
int documents_delete(struct portal_req *req, struct portal_value *view);

/* versions.c: a new file behind the same link, and the old ones */
extern const struct portal_input documents_replace_inputs[];
int documents_replace(struct portal_req *req, struct portal_value *view);
int documents_versions(struct portal_req *req, struct portal_value *view);

/* acks.c: "Gelesen und zur Kenntnis genommen" */
int documents_ack(struct portal_req *req, struct portal_value *view);
int documents_acks(struct portal_req *req, struct portal_value *view);

/* pages.c: the manager's page of a property's documents (the upload, the
 * list, who will see it) and its forms; acks_page.c: who acknowledged a
 * document, as a page and as CSV */
extern const struct portal_input documents_page_inputs[];
extern const struct portal_input documents_page_replace_inputs[];
extern const struct portal_input documents_acks_page_inputs[];
int documents_page(struct portal_req *req, struct portal_value *view);
int documents_page_upload(struct portal_req *req, struct portal_value *view);
int documents_page_delete(struct portal_req *req, struct portal_value *view);
int documents_page_replace(struct portal_req *req, struct portal_value *view);
int documents_acks_page(struct portal_req *req, struct portal_value *view);
/* portal.c: the resident's documents page, its acknowledgement form, the
 * home section (also in the manager's preview, as a plain resident) */
int documents_portal_page(struct portal_req *req, struct portal_value *view);
int documents_home(struct portal_req *req, const long long *property_ids, size_t count,
                   struct portal_value *view);
const char *documents_size_text(struct portal_req *req, long long bytes);
const char *documents_type_text(struct portal_req *req, const char *content_type);

/* digest.c: the daily digest job, and the check of its time setting */
int documents_digest(struct portal_req *req);
const char *documents_time_refused(const char *value);

#endif
