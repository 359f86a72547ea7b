/* A plugin with a job every two seconds that records each run in a table of
 * its own (its migration is written by the test into its share folder), so a
 * test can see that with two pools on one database each period runs once;
 * its init logs the context it got, and a setting with a check of its own. */
#include <portal/portal.h>
#include <string.h>

static int tick(struct portal_req *req)
{
	/* The period is the run's second rounded down to the interval; the
	 * table's key refuses a second run of it. */
	return portal_db_exec(req,
	                      "INSERT INTO ticker_runs (period, label, at)"
	                      " VALUES (FLOOR(UNIX_TIMESTAMP() / 2), ?, UTC_TIMESTAMP(3))",
	                      PORTAL_DB_ARGS(PDB_S(portal_setting(req, "label"))), NULL, NULL);
}

static const char *label_check(const char *value)
{
	return strcmp(value, "bad") == 0 ? "must not be \"bad\"" : NULL;
}

static int start(const struct portal_context *ctx, void **state)
{
	(void)state;
	portal_log("ticker init: plugin=%s label=%s share=%s", ctx->plugin,
	           portal_context_setting(ctx, "label"), ctx->share_dir);
	return 0;
}

static const struct portal_job jobs[] = {
    {"ticker", "every 2s", tick},
    {0},
};

static const struct portal_setting settings[] = {
    {"label", "tick", 0, 0, label_check},
    {0},
};

const struct portal_plugin portal_plugin_v1 = {
    PORTAL_PLUGIN_V1, .name = "ticker", .version = "1",
    .init = start,    .jobs = jobs,     .settings = settings,
};
