/* ss-error.h: error domains of the engine, and how to react to them */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SS_IMAP_ERROR   (ss_imap_error_quark ())
#define SS_SPAMD_ERROR  (ss_spamd_error_quark ())
#define SS_ENGINE_ERROR (ss_engine_error_quark ())

typedef enum {
  SS_IMAP_ERROR_CONNECT,       /* DNS, refused, unreachable, reset: transient */
  SS_IMAP_ERROR_TLS,           /* handshake or certificate failure: final */
  SS_IMAP_ERROR_LOGIN,         /* credentials refused: final */
  SS_IMAP_ERROR_PROTOCOL,      /* unparsable or hostile server data: transient */
  SS_IMAP_ERROR_TIMEOUT,       /* stall: transient */
  SS_IMAP_ERROR_BYE,           /* server closed the session: transient */
  SS_IMAP_ERROR_NO,            /* tagged NO: command refused */
  SS_IMAP_ERROR_BAD,           /* tagged BAD */
  SS_IMAP_ERROR_NO_MAILBOX,    /* a required folder does not exist: final */
  SS_IMAP_ERROR_UNSUPPORTED,   /* missing a capability the operation needs */
} SsImapError;

typedef enum {
  SS_SPAMD_ERROR_CONNECT,      /* refused, unreachable */
  SS_SPAMD_ERROR_TIMEOUT,
  SS_SPAMD_ERROR_PROTOCOL,     /* unparsable reply, or no Spam: header */
  SS_SPAMD_ERROR_REFUSED,      /* non-zero SPAMD code, e.g. TELL not enabled */
  SS_SPAMD_ERROR_START,        /* the private spamd could not be started */
} SsSpamdError;

typedef enum {
  SS_ENGINE_ERROR_CONFIG,      /* bad settings: final */
  SS_ENGINE_ERROR_CREDENTIALS, /* no password available: final */
  SS_ENGINE_ERROR_JOURNAL,     /* state database problem */
  SS_ENGINE_ERROR_FAILED,
  SS_ENGINE_ERROR_TOKEN,       /* no OAuth2 token (token command, GOA): transient */
} SsEngineError;

GQuark   ss_imap_error_quark   (void) G_GNUC_CONST;
GQuark   ss_spamd_error_quark  (void) G_GNUC_CONST;
GQuark   ss_engine_error_quark (void) G_GNUC_CONST;

/* Sets error to (domain, code) with the message "prefix: FORMAT..." (just FORMAT... when
 * prefix is NULL) and returns FALSE, for one-line failure paths. */
gboolean ss_error_set_prefixed (GError     **error,
                                GQuark       domain,
                                int          code,
                                const char  *prefix,
                                const char  *format,
                                ...) G_GNUC_PRINTF (5, 6);

gboolean ss_error_set_prefixed_valist (GError     **error,
                                       GQuark       domain,
                                       int          code,
                                       const char  *prefix,
                                       const char  *format,
                                       va_list      args) G_GNUC_PRINTF (5, 0);

/* TRUE when retrying later (reconnect, back off) can succeed without a settings change. */
gboolean ss_error_is_transient (const GError *error);

G_END_DECLS
