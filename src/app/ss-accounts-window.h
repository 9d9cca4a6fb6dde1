/* ss-accounts-window.h: the account list (add, edit, pause, remove each account) */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SS_TYPE_ACCOUNTS_WINDOW (ss_accounts_window_get_type ())
G_DECLARE_FINAL_TYPE (SsAccountsWindow, ss_accounts_window, SS, ACCOUNTS_WINDOW, AdwWindow)

/* accounts: a GListModel of SsAccount, the first account first. "Add Account" activates
 * app.add-account, a row app.edit-account(s id), its trash button (accounts set up)
 * app.remove-account(s id) after a confirmation; the switch pauses and resumes the account. */
SsAccountsWindow *ss_accounts_window_new          (GtkWindow        *parent,
                                                   GListModel       *accounts);
/* The row of the account with this id (tests), or NULL. */
AdwActionRow     *ss_accounts_window_get_row      (SsAccountsWindow *self,
                                                   const char       *id);
/* Its pause switch (on: filtering). */
GtkSwitch        *ss_accounts_window_get_switch   (SsAccountsWindow *self,
                                                   const char       *id);
/* The open confirmation of a removal, or NULL (tests). */
AdwMessageDialog *ss_accounts_window_get_confirmation (SsAccountsWindow *self);

G_END_DECLS
