/* ss-goa.h: GNOME Online Accounts for the app: the mail accounts that sign in with OAuth2
 * (Google, Microsoft), their IMAP settings, and fresh access tokens. SpamSieve stores only
 * the account id (GSettings goa-account); tokens stay with GOA. */
#pragma once

#define GOA_API_IS_SUBJECT_TO_CHANGE
#include <goa/goa.h>

#include "ss-auth.h"
#include "ss-config.h"

G_BEGIN_DECLS

/* The accounts of client with IMAP mail and OAuth2 sign-in (not mail-disabled): a list of
 * GoaObject references, in client order. */
GList    *ss_goa_list_mail_accounts (GoaClient      *client);
/* "Google" and "ann@gmail.com" for the row that offers it. */
char     *ss_goa_describe           (GoaObject      *object,
                                     char          **identity);
/* Sets url, tls, user, auth (xoauth2) and goa_account of config from the account's mail
 * settings; FALSE + SS_ENGINE_ERROR_CONFIG when it has no usable IMAP. */
gboolean  ss_goa_apply_account      (GoaObject      *object,
                                     SsConfig       *config,
                                     GError        **error);

/* A fresh access token of account_id: a new GoaClient, with refresh first EnsureCredentials
 * (after a refused token), then OAuth2Based.GetAccessToken. Errors:
 * SS_ENGINE_ERROR_CREDENTIALS. Finish returns a string for ss_credentials_password_free(). */
void      ss_goa_get_token_async    (const char          *account_id,
                                     gboolean             refresh,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
char     *ss_goa_get_token_finish   (GAsyncResult        *result,
                                     GError             **error);

/* The session's token provider (ss_session_set_token_func): run on the engine's worker
 * thread, it asks GOA on the main context it was made on (ss_goa_get_token_async) and waits
 * there for the answer (at most SS_GOA_TOKEN_TIMEOUT_S); the main context never blocks.
 * A config without goa_account falls back to its token-command. */
#define SS_GOA_TOKEN_TIMEOUT_S 60
typedef struct _SsGoaTokens SsGoaTokens;
SsGoaTokens *ss_goa_tokens_new      (void);
void         ss_goa_tokens_free     (SsGoaTokens    *self);
char        *ss_goa_tokens_func     (const SsConfig *config,
                                     gboolean        refresh,
                                     gpointer        tokens,
                                     GCancellable   *cancellable,
                                     GError        **error);

G_END_DECLS
