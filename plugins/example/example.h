/* The example plugin: what its files share. */
#ifndef EXAMPLE_H
#define EXAMPLE_H

#include <portal/portal.h>

/* What init keeps for the process's life (req->plugin_state). */
struct example_state {
	long long keep_days; /* the setting example.keep_days */
};

/* items.c: the organisation's items, for managers, and the residents' home */
extern const struct portal_input example_list_inputs[];
extern const struct portal_input example_create_inputs[];
extern const struct portal_input example_update_inputs[];
int example_items_list(struct portal_req *req, struct portal_value *view);
int example_item_create(struct portal_req *req, struct portal_value *view);
int example_item_show(struct portal_req *req, struct portal_value *view);
int example_item_update(struct portal_req *req, struct portal_value *view);
int example_item_delete(struct portal_req *req, struct portal_value *view);
int example_home(struct portal_req *req, const long long *property_ids, size_t count,
                 struct portal_value *view);

#endif
