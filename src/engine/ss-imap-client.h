/* ss-imap-client.h: one IMAP connection (libcurl for connect/TLS/login, own protocol layer) */
#pragma once

#include <gio/gio.h>

#include "ss-config.h"
#include "ss-imap-parser.h"

G_BEGIN_DECLS

#define SS_TYPE_IMAP_CLIENT (ss_imap_client_get_type ())
G_DECLARE_FINAL_TYPE (SsImapClient, ss_imap_client, SS, IMAP_CLIENT, GObject)

/* Folder names in this API are the user's form: UTF-8, "/" between levels, "INBOX". The
 * client maps them to the server's delimiter and modified UTF-7. */

typedef struct
{
  char     *name;        /* user form */
  gboolean  junk;        /* \Junk SPECIAL-USE */
  gboolean  sent;        /* \Sent SPECIAL-USE */
  gboolean  noselect;    /* \Noselect or \NonExistent */
} SsImapFolder;

typedef struct
{
  guint32   uidvalidity;
  guint32   uidnext;
  guint32   exists;
  gboolean  keywords_ok;  /* PERMANENTFLAGS has \* : new keywords can be stored */
  gboolean  read_only;
} SsImapMailbox;

typedef struct
{
  guint32   uid;
  guint64   size;         /* RFC822.SIZE */
  gint64    internal_date;/* seconds since the epoch, 0 if unknown */
  char    **flags;        /* e.g. { "\\Seen", "$Junk", NULL } */
  GBytes   *body;         /* BODY[] (whole message) or BODY[HEADER]; NULL in meta fetches */
} SsImapMessage;

typedef enum {
  SS_IMAP_FETCH_META   = 0,       /* UID RFC822.SIZE FLAGS INTERNALDATE */
  SS_IMAP_FETCH_BODY   = 1 << 0,  /* + BODY.PEEK[] (never sets \Seen) */
  SS_IMAP_FETCH_HEADER = 1 << 1,  /* + BODY.PEEK[HEADER] */
} SsImapFetchFlags;

/* Called once per message as it arrives (on the calling thread). */
typedef void (*SsImapMessageFunc) (SsImapMessage *message,
                                   gpointer       user_data);

SsImapClient *ss_imap_client_new               (const SsConfig    *config);
/* Connects, negotiates TLS as configured, logs in, reads CAPABILITY and the delimiter.
 * Errors: SS_IMAP_ERROR_CONNECT / _TLS / _LOGIN / _TIMEOUT / _PROTOCOL. */
gboolean      ss_imap_client_connect           (SsImapClient      *self,
                                                const char        *password,
                                                GCancellable      *cancellable,
                                                GError           **error);
gboolean      ss_imap_client_is_connected      (SsImapClient      *self);
void          ss_imap_client_set_timeout       (SsImapClient      *self,
                                                guint              timeout_ms);
gboolean      ss_imap_client_has_capability    (SsImapClient      *self,
                                                const char        *capability);
char          ss_imap_client_get_delimiter     (SsImapClient      *self);
/* Sends LOGOUT (best effort) and closes. */
void          ss_imap_client_disconnect        (SsImapClient      *self);

/* GPtrArray of SsImapFolder* (all folders). */
GPtrArray    *ss_imap_client_list              (SsImapClient      *self,
                                                GCancellable      *cancellable,
                                                GError           **error);
/* CREATE; success if it already exists. */
gboolean      ss_imap_client_create            (SsImapClient      *self,
                                                const char        *folder,
                                                GCancellable      *cancellable,
                                                GError           **error);
gboolean      ss_imap_client_select            (SsImapClient      *self,
                                                const char        *folder,
                                                SsImapMailbox     *out,
                                                GCancellable      *cancellable,
                                                GError           **error);
/* EXAMINE: read-only (no flag changes, not even \Recent); then get_selected is folder. */
gboolean      ss_imap_client_examine           (SsImapClient      *self,
                                                const char        *folder,
                                                SsImapMailbox     *out,
                                                GCancellable      *cancellable,
                                                GError           **error);
const char   *ss_imap_client_get_selected      (SsImapClient      *self);
/* UID SEARCH criteria (7-bit criteria text, e.g. "UNDELETED"): sorted GArray of guint32. */
GArray       *ss_imap_client_uid_search        (SsImapClient      *self,
                                                const char        *criteria,
                                                GCancellable      *cancellable,
                                                GError           **error);
/* UID FETCH: func is called per message; messages that vanished are simply not reported. */
gboolean      ss_imap_client_uid_fetch         (SsImapClient      *self,
                                                const guint32     *uids,
                                                gsize              n_uids,
                                                SsImapFetchFlags   flags,
                                                SsImapMessageFunc  func,
                                                gpointer           user_data,
                                                GCancellable      *cancellable,
                                                GError           **error);
/* UID STORE uids +FLAGS.SILENT (add) / -FLAGS.SILENT (remove); either may be NULL. */
gboolean      ss_imap_client_uid_store         (SsImapClient      *self,
                                                const guint32     *uids,
                                                gsize              n_uids,
                                                const char        *add,
                                                const char        *remove,
                                                GCancellable      *cancellable,
                                                GError           **error);
typedef enum {
  SS_IMAP_TRANSFER_MOVE,  /* UID MOVE, else UID COPY + \Deleted + UID EXPUNGE */
  SS_IMAP_TRANSFER_COPY,  /* UID COPY only */
} SsImapTransfer;

/* Moves or copies uids to folder. src_uids_out and dest_uids_out (may be NULL) receive the
 * COPYUID pairs (guint32, in the same order), dest_uidvalidity the destination's. */
gboolean      ss_imap_client_uid_transfer      (SsImapClient      *self,
                                                SsImapTransfer     how,
                                                const guint32     *uids,
                                                gsize              n_uids,
                                                const char        *folder,
                                                GArray            *src_uids_out,
                                                GArray            *dest_uids_out,
                                                guint32           *dest_uidvalidity,
                                                GCancellable      *cancellable,
                                                GError           **error);
/* ss_imap_client_uid_move/_copy (self, uids, n_uids, folder, src_uids_out, dest_uids_out,
 * dest_uidvalidity, cancellable, error) */
#define ss_imap_client_uid_move(self, ...) \
  ss_imap_client_uid_transfer ((self), SS_IMAP_TRANSFER_MOVE, __VA_ARGS__)
#define ss_imap_client_uid_copy(self, ...) \
  ss_imap_client_uid_transfer ((self), SS_IMAP_TRANSFER_COPY, __VA_ARGS__)
/* Deletes exactly uids: \Deleted + UID EXPUNGE (or a plain EXPUNGE only when no other message
 * of the folder is \Deleted). */
gboolean      ss_imap_client_uid_delete        (SsImapClient      *self,
                                                const guint32     *uids,
                                                gsize              n_uids,
                                                GCancellable      *cancellable,
                                                GError           **error);
typedef enum {
  SS_IMAP_IDLE_NEW_MAIL,  /* EXISTS grew */
  SS_IMAP_IDLE_TIMEOUT,   /* max_ms passed: re-issue (and it proved the link alive) */
  SS_IMAP_IDLE_WOKEN,     /* wake was cancelled (a command for the engine) */
} SsImapIdleResult;

/* IDLE (RFC 2177) on the selected folder until new mail, wake or max_ms; always ends with
 * DONE and the tagged OK. SS_IMAP_ERROR_UNSUPPORTED without the capability. */
gboolean      ss_imap_client_idle              (SsImapClient      *self,
                                                GCancellable      *wake,
                                                guint              max_ms,
                                                SsImapIdleResult  *result,
                                                GError           **error);
/* STATUS folder (UIDNEXT). */
gboolean      ss_imap_client_status_uidnext    (SsImapClient      *self,
                                                const char        *folder,
                                                guint32           *uidnext,
                                                GCancellable      *cancellable,
                                                GError           **error);
typedef struct
{
  guint32  uidvalidity;
  guint32  uidnext;
  guint32  messages;
} SsImapStatusItems;

/* STATUS folder (UIDVALIDITY UIDNEXT MESSAGES); items the server leaves out are 0. */
gboolean      ss_imap_client_status            (SsImapClient      *self,
                                                const char        *folder,
                                                SsImapStatusItems *out,
                                                GCancellable      *cancellable,
                                                GError           **error);
gboolean      ss_imap_client_noop              (SsImapClient      *self,
                                                GCancellable      *cancellable,
                                                GError           **error);

void          ss_imap_message_free             (SsImapMessage     *message);
void          ss_imap_folder_free              (SsImapFolder      *folder);
gboolean      ss_imap_message_has_flag         (const SsImapMessage *message,
                                                const char          *flag);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsImapMessage, ss_imap_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsImapFolder, ss_imap_folder_free)

G_END_DECLS
