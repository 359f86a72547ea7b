/* The tickets' search index (sql/002, portal/search.h): what a manager looks
 * a ticket up by. Its title, description and number, and the reporter's name
 * as the list shows it: a resident's own (which leaves the index with them
 * when they are erased) or the caller's name a manager noted. */
#include <portal/search.h>

#include "tickets.h"

const struct portal_search_index tickets_search[] = {
    {
        .name = "tickets",
        .table = "ticket_words",
        .id = "ticket_id",
        .objects = "tickets",
        .person = "person_id",
        .key_bits = "key_bits",
        .texts = "SELECT t.id, t.org_id, t.reporter_id AS person_id, ru.name AS person,"
                 " t.number, t.title, t.description, t.reporter_name"
                 " FROM JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) j"
                 " JOIN tickets t ON t.id = j.id LEFT JOIN users ru ON ru.id = t.reporter_id",
    },
    {0},
};

int tickets_search_refresh(struct portal_req *req, long long id, bool created)
{
	return created ? portal_search_add(req, tickets_search, &id, 1)
	               : portal_search_refresh(req, tickets_search, &id, 1);
}
