/* What the content plugin's parts share about their forms: the property
 * picker every form shows (templates/targets.html). */
#ifndef CONTENT_FORMS_H
#define CONTENT_FORMS_H

#include <portal/portal.h>

/* The organisation's properties as the picker's choices ({id, name, city,
 * checked}), those of chosen ticked and "all" ticked when chosen->all; chosen
 * NULL ticks nothing. targets_id must be unique on the page; legend is a
 * locale key. 0 or an HTTP status. */
int content_choices(struct portal_req *req, struct portal_value *view,
                    const struct portal_ids *chosen, const char *targets_id, const char *legend);

/* The targets of a stored entry (all_properties, properties [{id}]), to tick
 * them in its edit form. 0 or 500. */
int content_stored_targets(struct portal_req *req, const struct portal_value *entry,
                           struct portal_ids *out);

#endif
