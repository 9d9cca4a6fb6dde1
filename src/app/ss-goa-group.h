/* ss-goa-group.h: the setup dialog's choice between a password and one of the user's GNOME
 * Online Accounts mail accounts (Google, Microsoft: OAuth2). Hidden when there are none. */
#pragma once

#include <adwaita.h>

#include "ss-goa.h"

G_BEGIN_DECLS

#define SS_TYPE_GOA_GROUP (ss_goa_group_get_type ())
G_DECLARE_FINAL_TYPE (SsGoaGroup, ss_goa_group, SS, GOA_GROUP, AdwPreferencesGroup)

/* The picked account, NULL for "password". Notifies "account-id" when the user picks. */
GoaObject  *ss_goa_group_get_account    (SsGoaGroup *self);
const char *ss_goa_group_get_account_id (SsGoaGroup *self);
/* Picks id (NULL: password) now or, while the accounts still load, once they are there. */
void        ss_goa_group_select         (SsGoaGroup *self,
                                         const char *id);
/* The row offering account id (NULL: the password row); NULL when not (yet) listed. */
AdwActionRow *ss_goa_group_get_row      (SsGoaGroup *self,
                                         const char *id);
guint       ss_goa_group_get_n_accounts (SsGoaGroup *self);

G_END_DECLS
