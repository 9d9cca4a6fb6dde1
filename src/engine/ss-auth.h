/* ss-auth.h: how the IMAP login proves itself: a password, or an OAuth2 access token
 * (SASL XOAUTH2 / OAUTHBEARER) from a token command or a provider the app installs */
#pragma once

#include <gio/gio.h>

#include "ss-config.h"

G_BEGIN_DECLS

typedef enum {
  SS_AUTH_PASSWORD,
  SS_AUTH_XOAUTH2,
  SS_AUTH_OAUTHBEARER,
} SsAuthMode;

/* "password", "xoauth2", "oauthbearer" (NULL or "" is "password"); FALSE for others. */
gboolean    ss_auth_mode_parse        (const char      *text,
                                       SsAuthMode      *mode);
SsAuthMode  ss_auth_mode_of           (const SsConfig  *config);
/* The libcurl CURLOPT_LOGIN_OPTIONS of the mode: NULL, "AUTH=XOAUTH2", "AUTH=OAUTHBEARER". */
const char *ss_auth_login_options     (SsAuthMode       mode);

/* Cross-field rules of [account] auth and token-command (called by ss_config_validate ()):
 * a known mode; with a token mode no password-file, and a token-command or a GOA account;
 * a token-command that parses as PROGRAM ARGS... (g_shell_parse_argv, no shell is run). */
gboolean    ss_auth_validate_config   (const SsConfig  *config,
                                       GError         **error);

/* A fresh access token, blocking, on the engine's thread. refresh: the last one was refused,
 * get a new one (not a cached one). Returns a g_malloc () string to free with
 * ss_credentials_password_free (), or NULL + SS_ENGINE_ERROR_TOKEN (may pass: retried with
 * back-off) or SS_ENGINE_ERROR_CREDENTIALS (the account must be signed in again). */
typedef char *(*SsTokenFunc) (const SsConfig  *config,
                              gboolean         refresh,
                              gpointer         user_data,
                              GCancellable    *cancellable,
                              GError         **error);

/* Runs command_line (g_shell_parse_argv; no shell) with no stdin, its environment unchanged,
 * and returns the first line of its stdout. Non-zero exit, a signal, empty output or
 * timeout_s passing (it is killed): SS_ENGINE_ERROR_TOKEN naming the exit status and
 * the first line of its stderr. The token is never logged. */
char       *ss_auth_run_token_command (const char      *command_line,
                                       guint            timeout_s,
                                       GCancellable    *cancellable,
                                       GError         **error);

/* The SsTokenFunc of [account] token-command (timeout SS_AUTH_TOKEN_TIMEOUT_S). */
#define SS_AUTH_TOKEN_TIMEOUT_S 30
char       *ss_auth_token_from_command (const SsConfig  *config,
                                        gboolean         refresh,
                                        gpointer         user_data,
                                        GCancellable    *cancellable,
                                        GError         **error);

G_END_DECLS
