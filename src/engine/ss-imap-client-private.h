/* ss-imap-client-private.h: what the ss-imap-client*.c files share (not for app/headless) */
#pragma once

#include <curl/curl.h>

#include "ss-imap-client.h"

G_BEGIN_DECLS

#define SS_IMAP_DEFAULT_TIMEOUT_MS (60 * 1000)

struct _SsImapClient
{
  GObject        parent_instance;

  /* Owned */
  SsConfig      *config;
  CURL          *curl;
  GByteArray    *rbuf;
  char          *selected;
  char         **caps;
  char          *bye_text;
  GArray        *copyuid_src;   /* from the last COPYUID response code */
  GArray        *copyuid_dst;

  curl_socket_t  fd;
  gsize          rpos;          /* start of unparsed data in rbuf */
  gsize          need;          /* parser hint: bytes after rpos worth a retry */
  SsImapLimits   limits;
  SsImapMailbox  mailbox;
  guint32        copyuid_validity;
  guint          tag;
  guint          timeout_ms;
  char           delimiter;
  char           errbuf[CURL_ERROR_SIZE];
};

/* Called for each untagged response of a command, after the common handling. */
typedef gboolean (*UntaggedFunc) (SsImapClient   *self,
                                  SsImapResponse *response,
                                  gpointer        user_data,
                                  GError        **error);

/* ss-imap-client.c */
void             _ss_imap_client_close_connection (SsImapClient   *self);
/* User form ("Spam/False Positives") to the quoted wire form in the server's hierarchy. */
char            *_ss_imap_client_wire_mailbox     (SsImapClient   *self,
                                                   const char     *folder,
                                                   GError        **error);

/* ss-imap-client-io.c: the socket and the tagged command path */
/* Sets error (SS_IMAP_ERROR, code), closes the connection, returns FALSE. */
gboolean         _ss_imap_client_set_io_error     (SsImapClient   *self,
                                                   GError        **error,
                                                   int             code,
                                                   const char     *what);
/* Waits until the socket is ready for events (POLLIN/POLLOUT), wake fires or timeout_ms
 * passes: 1 ready, 2 woken, 0 timeout, -1 with errno. */
int              _ss_imap_client_poll             (SsImapClient   *self,
                                                   short           events,
                                                   GCancellable   *wake,
                                                   int             timeout_ms);
gboolean         _ss_imap_client_send_all         (SsImapClient   *self,
                                                   const char     *data,
                                                   gsize           len,
                                                   GCancellable   *cancellable,
                                                   GError        **error);
/* One non-blocking read into rbuf. *got is FALSE when nothing was there (CURLE_AGAIN). */
gboolean         _ss_imap_client_recv_once        (SsImapClient   *self,
                                                   gboolean       *got,
                                                   GError        **error);
/* A complete response from rbuf, or NULL: with *error set the stream is broken, else more
 * bytes are needed. */
SsImapResponse  *_ss_imap_client_parse_buffered   (SsImapClient   *self,
                                                   GError        **error);
SsImapResponse  *_ss_imap_client_read_response    (SsImapClient   *self,
                                                   GCancellable   *cancellable,
                                                   GError        **error);
/* Untagged responses every command may see (BYE, CAPABILITY, EXISTS, EXPUNGE, codes). */
void             _ss_imap_client_handle_common    (SsImapClient   *self,
                                                   SsImapResponse *response);
/* A tagged NO/BAD as an SS_IMAP_ERROR; returns FALSE. */
gboolean         _ss_imap_client_tagged_error     (SsImapClient   *self,
                                                   SsImapResponse *response,
                                                   const char     *command,
                                                   GError        **error);
/* Sends "TAG <command>\r\n" and reads until the tagged reply. Untagged responses go to
 * _ss_imap_client_handle_common, then to func. */
gboolean         _ss_imap_client_run_command      (SsImapClient   *self,
                                                   UntaggedFunc    func,
                                                   gpointer        user_data,
                                                   GCancellable   *cancellable,
                                                   GError        **error,
                                                   const char     *format,
                                                   ...) G_GNUC_PRINTF (6, 7);

G_END_DECLS
