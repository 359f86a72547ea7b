/* The documents plugin: papers of a property (house rules, minutes, bills,
 * notices, contracts) shared with exactly the residents they are meant for,
 * by group and by unit, bound to the tenancy ("Documents" in API.md). This
 * file declares the plugin; the handlers live in upload.c, list.c,
 * document.c, versions.c and acks.c, what they share in view.c and store.c.
 *
 * Every query is scoped by the caller's organisation, and whoever may not see
 * a document gets 404 for it, exactly as for one that does not exist. */
#include <magic.h>
#include <stdlib.h>

#include "documents.h"

#define MANAGER PORTAL_ACCESS_MANAGER
#define SIGNED_IN PORTAL_ACCESS_SIGNED_IN

const char *const documents_audiences[] = {"internal", "residents", "owners", "tenants", NULL};
/* The categories of an organisation that has no list of its own
 * (portal/categories.h), as API.md names them (pages translate them). */
const char *const documents_categories[] = {"Hausordnung", "Protokoll", "Abrechnung", "Aushang",
                                            "Vertrag",     "Sonstiges", NULL};

static const struct portal_route routes[] = {
    {"POST", "/properties/{id}/documents", NULL, MANAGER, 0, documents_upload, NULL, NULL,
     documents_upload_inputs},
    {"GET", "/properties/{id}/documents", NULL, SIGNED_IN, 0, documents_list, NULL, NULL,
     documents_list_inputs},
    {"GET", "/properties/{id}/documents/audience", NULL, MANAGER, 0, documents_audience, NULL, NULL,
     documents_audience_inputs},
    {"GET", "/documents/{id}/download", NULL, SIGNED_IN, 0, documents_download, NULL, NULL,
     documents_download_inputs},
    {"PATCH", "/documents/{id}", NULL, MANAGER, 0, documents_update, NULL, NULL,
     documents_update_inputs},
    {"DELETE", "/documents/{id}", NULL, MANAGER, 0, documents_delete, NULL, NULL},
    {"PUT", "/documents/{id}/file", NULL, MANAGER, 0, documents_replace, NULL, NULL,
     documents_replace_inputs},
    {"GET", "/documents/{id}/versions", NULL, MANAGER, 0, documents_versions, NULL, NULL},
    {"POST", "/documents/{id}/ack", NULL, PORTAL_ACCESS_RESIDENT, 0, documents_ack, NULL, NULL},
    {"GET", "/documents/{id}/acks", NULL, MANAGER, 0, documents_acks, NULL, NULL},

    /* The manager's pages (pages.c, acks_page.c): the property's tab, its
     * forms, and who acknowledged a document. */
    {"GET", NULL, "/app/properties/{id}/documents", MANAGER, 0, documents_page, "documents",
     "documents.title", documents_page_inputs},
    {"POST", NULL, "/app/properties/{id}/documents", MANAGER, 0, documents_page_upload, "documents",
     "documents.title", documents_upload_inputs, documents_page},
    {"POST", NULL, "/app/documents/{id}/delete", MANAGER, 0, documents_page_delete, "documents",
     "documents.title"},
    {"POST", NULL, "/app/documents/{id}/file", MANAGER, 0, documents_page_replace, "documents",
     "documents.title", documents_page_replace_inputs},
    {"GET", NULL, "/app/documents/{id}/acks", MANAGER, 0, documents_acks_page, "acks",
     "documents.acks_title", documents_acks_page_inputs},
    /* the resident's pages (portal.c) */
    {"GET", NULL, "/portal/documents", PORTAL_ACCESS_RESIDENT, 0, documents_portal_page,
     "portal_documents", "documents.title"},
    {"POST", NULL, "/portal/documents/{id}/ack", PORTAL_ACCESS_RESIDENT, 0, documents_ack,
     "portal_documents", "documents.title", NULL, documents_portal_page},
    {0},
};

static const struct portal_nav nav[] = {
    {"portal", "documents.nav", "/portal/documents", 40},
    {0},
};

/* Per person (group, unit, tenancy, acknowledgements): never shared. */
static const struct portal_home_section home[] = {
    {"home_documents", documents_home, 0},
    {0},
};

static const struct portal_job jobs[] = {
    {"digest", "daily @digest_time", documents_digest},
    {0},
};

static const struct portal_notification notifications[] = {
    {"documents", "documents.notify", "documents.notify_hint"},
    {0},
};

/* In portal.conf as "documents.max_file_mib = 20": larger files are a 413
 * (the core's max_file_bytes and nginx's client_max_body_size bound every
 * upload besides). */
static const struct portal_setting settings[] = {
    {"max_file_mib", "50", 1, 1024},
    /* when the daily digest goes out, in the deployment's time_zone */
    {"digest_time", "07:00", 0, 0, documents_time_refused},
    {0},
};

/* libmagic's database is read once per process, after the fork. */
static int documents_init(const struct portal_context *ctx, void **state)
{
	struct documents_state *st = calloc(1, sizeof *st);
	magic_t magic = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
	if (!st || !magic || magic_load(magic, NULL)) {
		portal_log("documents: cannot load libmagic's database: %s",
		           magic ? magic_error(magic) : "out of memory");
		if (magic)
			magic_close(magic);
		free(st);
		return -1;
	}
	(void)ctx;
	st->magic = magic;
	*state = st;
	return 0;
}

static void documents_fini(void *state)
{
	struct documents_state *st = state;
	if (st)
		magic_close(st->magic);
	free(st);
}

/* For export and erasure (portal/data.h). */
static const struct portal_table tables[] = {
    {"documents", .author = "uploaded_by"},
    {"document_files", .file = "file", .file_name = "name", .author = "uploaded_by"},
    /* An acknowledgement stays the manager's record when its resident is erased. */
    {"document_acks", .parent = "documents", .parent_column = "document_id", .author = "user_id"},
    {0},
};

const struct portal_plugin portal_plugin_v1 = {
    PORTAL_PLUGIN_V1,
    .name = "documents",
    .version = "0.1.0",
    .description = "Documents per property, shared by group and unit, bound to the tenancy",
    .routes = routes,
    .nav = nav,
    .home = home,
    .jobs = jobs,
    .notifications = notifications,
    .settings = settings,
    .init = documents_init,
    .fini = documents_fini,
    .tables = tables,
    .categories = documents_categories,
};
