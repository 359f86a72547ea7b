/* A plugin whose job has a schedule that is none of the forms: refused at load. */
#include <portal/portal.h>

static int run(struct portal_req *req)
{
	(void)req;
	return 0;
}

static const struct portal_job jobs[] = {
    {"nightly", "every night", run},
    {0},
};

const struct portal_plugin portal_plugin_v1 = {
    PORTAL_PLUGIN_V1,
    .name = "bad_schedule",
    .version = "1",
    .jobs = jobs,
};
