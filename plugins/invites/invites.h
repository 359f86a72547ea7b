/* The invites plugin: its handlers, one file per part, and what they share. */
#ifndef INVITES_H
#define INVITES_H

#include <portal/portal.h>

/* link.c: the link, its QR codes, the poster, email invitations */
extern const struct portal_input invite_show_inputs[];
extern const struct portal_input invite_update_inputs[];
int invite_show(struct portal_req *req, struct portal_value *view);
int invite_rotate(struct portal_req *req, struct portal_value *view);
int invite_update(struct portal_req *req, struct portal_value *view);
int invite_qr_svg(struct portal_req *req, struct portal_value *view);
int invite_qr_png(struct portal_req *req, struct portal_value *view);
int invite_poster(struct portal_req *req, struct portal_value *view);
int invite_email(struct portal_req *req, struct portal_value *view);
int invite_email_form(struct portal_req *req, struct portal_value *view);
extern const struct portal_input invite_email_inputs[];

/* join.c: the sign-up page the QR code opens */
extern const struct portal_input join_inputs[];
int join_show(struct portal_req *req, struct portal_value *view);
int join_submit(struct portal_req *req, struct portal_value *view);

/* residents.c: the property's contacts (Kontakte) and the approval queue */
extern const struct portal_input residents_list_inputs[];
extern const struct portal_input residents_update_inputs[];
int residents_list(struct portal_req *req, struct portal_value *view);
int residents_again(struct portal_req *req, struct portal_value *view);
int residents_accept(struct portal_req *req, struct portal_value *view);
int residents_reject(struct portal_req *req, struct portal_value *view);
int residents_update(struct portal_req *req, struct portal_value *view);
int residents_remove(struct portal_req *req, struct portal_value *view);

#endif
