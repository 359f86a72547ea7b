/* Placeholder until faq_contacts.c exists: its routes and home sections. */
#ifndef CONTENT_FAQ_CONTACTS_H
#define CONTENT_FAQ_CONTACTS_H

#include <portal/portal.h>

#define FAQ_CONTACT_ROUTES
#define FAQ_CONTACT_HOME

#endif
