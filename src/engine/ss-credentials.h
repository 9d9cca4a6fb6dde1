/* ss-credentials.h: where the IMAP password lives (keyring or a 0600 file), never elsewhere */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* libsecret schema "org.example.SpamSieve.Account", attributes "server" and "user". */
#define SS_SECRET_SCHEMA_NAME "org.example.SpamSieve.Account"

/* Reads a password file: must be a regular file owned by the caller with mode 0600 (no group
 * or other bits), else SS_ENGINE_ERROR_CREDENTIALS naming the problem. The first line is the
 * password (trailing CR/LF removed); max 4 KiB. */
char     *ss_credentials_read_file       (const char    *path,
                                          GError       **error);

/* Every password returned here is ordinary g_malloc () memory: free it with this, which
 * wipes it first (g_free () works but leaves the bytes behind). NULL-safe. */
void      ss_credentials_password_free   (char          *password);

/* Keyring. server is the account URL's host[:port], user the login name. Lookup returns
 * NULL with no error when nothing is stored. All are cancellable and bounded by the caller. */
void      ss_credentials_lookup_async    (const char          *server,
                                          const char          *user,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
char     *ss_credentials_lookup_finish   (GAsyncResult        *result,
                                          GError             **error);
char     *ss_credentials_lookup_sync     (const char          *server,
                                          const char          *user,
                                          GCancellable        *cancellable,
                                          GError             **error);
/* The async lookup run to its end on a private main context (the caller's context is not
 * iterated), given up after timeout_s seconds: the keyring may sit behind an unlock prompt
 * nobody answers. For the headless runner; NULL with no error when nothing is stored. */
char     *ss_credentials_lookup_wait     (const char          *server,
                                          const char          *user,
                                          guint                timeout_s,
                                          GError             **error);
void      ss_credentials_store_async     (const char          *server,
                                          const char          *user,
                                          const char          *password,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean  ss_credentials_store_finish    (GAsyncResult        *result,
                                          GError             **error);
/* TRUE also when nothing was stored. */
gboolean  ss_credentials_clear_sync      (const char          *server,
                                          const char          *user,
                                          GCancellable        *cancellable,
                                          GError             **error);

G_END_DECLS
