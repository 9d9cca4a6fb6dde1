/* ss-imap-parser.h: pure, byte-exact, bounded IMAP response parser (no I/O) */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SS_IMAP_PARSE_ERROR (ss_imap_parse_error_quark ())

typedef enum {
  SS_IMAP_PARSE_ERROR_SYNTAX,      /* malformed response */
  SS_IMAP_PARSE_ERROR_TOO_LARGE,   /* a literal, line or response exceeds the limits */
  SS_IMAP_PARSE_ERROR_TOO_DEEP,    /* parenthesis nesting deeper than the limit */
} SsImapParseError;

typedef enum {
  SS_IMAP_NODE_ATOM,      /* atom or number; may contain a [section] e.g. BODY[HEADER.FIELDS (FROM)] */
  SS_IMAP_NODE_STRING,    /* quoted string (unescaped) or literal; may contain NULs and any bytes */
  SS_IMAP_NODE_NIL,
  SS_IMAP_NODE_LIST,      /* ( ... ) */
} SsImapNodeType;

typedef struct _SsImapNode SsImapNode;
struct _SsImapNode
{
  SsImapNodeType  type;
  char           *data;     /* ATOM/STRING: bytes, always NUL-terminated one past len */
  gsize           len;
  GPtrArray      *children; /* LIST: SsImapNode* (owned) */
};

typedef enum {
  SS_IMAP_RESPONSE_UNTAGGED,      /* "* ..." */
  SS_IMAP_RESPONSE_TAGGED,        /* "TAG ..." */
  SS_IMAP_RESPONSE_CONTINUATION,  /* "+ ..." */
} SsImapResponseKind;

typedef enum {
  SS_IMAP_STATUS_NONE,  /* not a status response (e.g. "* 3 EXISTS", "* LIST ...") */
  SS_IMAP_STATUS_OK,
  SS_IMAP_STATUS_NO,
  SS_IMAP_STATUS_BAD,
  SS_IMAP_STATUS_BYE,
  SS_IMAP_STATUS_PREAUTH,
} SsImapStatus;

typedef struct
{
  SsImapResponseKind  kind;
  char               *tag;       /* TAGGED only */
  SsImapStatus        status;    /* OK/NO/BAD/BYE/PREAUTH for status responses */
  /* Status responses: the response code inside [...] as a token list (code->children[0] is
   * the code name atom, e.g. "COPYUID", "PERMANENTFLAGS"), or NULL; and the free text ("" if
   * none; made valid UTF-8). A code that does not tokenize is left in the text, code NULL. */
  SsImapNode         *code;
  char               *text;
  /* Untagged non-status responses: the tokens after "* ", e.g. for "* 3 FETCH (UID 7 ...)"
   * a LIST node with children [ATOM "3", ATOM "FETCH", LIST (...)]; for "* 4 EXISTS"
   * [ATOM "4", ATOM "EXISTS"]. Continuation: NULL, text holds the rest of the line. */
  SsImapNode         *tokens;
} SsImapResponse;

typedef struct
{
  gsize max_literal;    /* largest single literal accepted (bytes) */
  gsize max_line;       /* longest line between literals, CRLF excluded */
  gsize max_response;   /* total bytes of one response incl. literals */
  guint max_depth;      /* parenthesis nesting */
  guint max_tokens;     /* total nodes in one response */
} SsImapLimits;

typedef enum {
  SS_IMAP_PARSE_DONE,        /* *out set, *consumed = bytes of this response incl. final CRLF */
  SS_IMAP_PARSE_INCOMPLETE,  /* need more input; *consumed = minimum total length to retry with
                              * (never more than the response's real length) */
  SS_IMAP_PARSE_FAILED,      /* error set; the stream cannot be resynchronised: drop the connection */
} SsImapParseResult;

GQuark             ss_imap_parse_error_quark      (void) G_GNUC_CONST;
void               ss_imap_limits_init_default    (SsImapLimits         *limits);
/* limits NULL: the defaults (64 MiB literal, 1 MiB line, 80 MiB response, depth 32, 1e6 nodes) */
SsImapParseResult  ss_imap_parse_response         (const guint8         *buf,
                                                   gsize                 len,
                                                   const SsImapLimits   *limits,
                                                   gsize                *consumed,
                                                   SsImapResponse      **out,
                                                   GError              **error);
void               ss_imap_response_free          (SsImapResponse       *response);
void               ss_imap_node_free              (SsImapNode           *node);

/* Helpers over parsed trees. */
gboolean           ss_imap_node_is_atom           (const SsImapNode     *node,
                                                   const char           *ascii_ci);
gboolean           ss_imap_node_to_uint32         (const SsImapNode     *node,
                                                   guint32              *out);
gboolean           ss_imap_node_to_uint64         (const SsImapNode     *node,
                                                   guint64              *out);
const SsImapNode  *ss_imap_list_get               (const SsImapNode     *list,
                                                   guint                 index);
guint              ss_imap_list_length            (const SsImapNode     *list);
/* In a FETCH attribute list (name value name value ...), the value for NAME (case-insensitive). */
const SsImapNode  *ss_imap_fetch_get              (const SsImapNode     *fetch_list,
                                                   const char           *name);

/* Quoting for outgoing commands: an IMAP quoted string if possible, else a synchronizing
 * literal is needed: returns NULL and the caller must send a literal (8-bit or CR/LF). */
char              *ss_imap_quote                  (const char           *str);

/* Modified UTF-7 (RFC 3501 §5.1.3) mailbox name encoding. decode returns NULL on bad input. */
char              *ss_imap_utf7_encode            (const char           *utf8);
char              *ss_imap_utf7_decode            (const char           *mutf7);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsImapResponse, ss_imap_response_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsImapNode, ss_imap_node_free)

G_END_DECLS
