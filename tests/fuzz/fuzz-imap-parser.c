/* fuzz-imap-parser.c: libFuzzer target for the IMAP response parser and its helpers.
 *
 * Feeds the input as a server byte stream (parse, advance by consumed, until INCOMPLETE or
 * FAILED) under the default and under tight limits, and checks properties: consumed within
 * bounds, every shorter prefix of a response INCOMPLETE with a hint in (prefix, response], and
 * round trips of quote, modified UTF-7 and UID sets on the parsed atoms and strings.
 */
#define G_LOG_DOMAIN "fuzz-imap-parser"

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ss-imap-parser.h"
#include "ss-imap-uid-set.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define FULL_PREFIX_CHECK_MAX 512   /* responses up to this size: check every prefix */
#define SAMPLED_PREFIXES      16

static void
check (gboolean    ok,
       const char *what)
{
  if (!ok)
    g_error ("property violated: %s", what);
}

static void
check_utf7 (const char *text)
{
  g_autofree char *utf8 = ss_imap_utf7_decode (text);
  g_autofree char *again = NULL;
  g_autofree char *utf8_again = NULL;

  if (utf8 == NULL)
    return;
  check (g_utf8_validate (utf8, -1, NULL), "utf7 decode gives valid UTF-8");
  again = ss_imap_utf7_encode (utf8);
  check (again != NULL, "utf7 encode of decoded text");
  utf8_again = ss_imap_utf7_decode (again);
  check (g_strcmp0 (utf8, utf8_again) == 0, "utf7 round trip");
}

static void
check_uid_set (const char *text)
{
  g_autoptr(GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GArray) again = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autofree char *set = NULL;

  if (!ss_imap_uid_set_parse (text, 10000, uids, NULL))
    {
      check (uids->len == 0, "failed uid set parse leaves the array alone");
      return;
    }
  check (uids->len > 0 && uids->len <= 10000, "uid set size");
  set = ss_imap_uid_set_format ((const guint32 *) (void *) uids->data, uids->len);
  check (set != NULL, "uid set format");
  check (ss_imap_uid_set_parse (set, 10000, again, NULL), "formatted uid set parses");
  check (again->len <= uids->len, "formatted uid set is deduplicated");
  for (guint i = 1; i < again->len; i++)
    check (g_array_index (again, guint32, i - 1) < g_array_index (again, guint32, i),
           "formatted uid set is sorted");
}

/* quote() output must parse back to the same string. */
static void
check_quote (const SsImapNode *node)
{
  g_autofree char *quoted = NULL;
  g_autofree char *line = NULL;
  g_autoptr(SsImapResponse) response = NULL;
  const SsImapNode *back;
  gsize consumed = 0;

  if (node->len > 256 || memchr (node->data, '\0', node->len) != NULL)
    return;
  quoted = ss_imap_quote (node->data);
  if (quoted == NULL)
    return;
  line = g_strconcat ("* X ", quoted, "\r\n", NULL);
  check (ss_imap_parse_response ((const guint8 *) line, strlen (line), NULL, &consumed,
                                 &response, NULL) == SS_IMAP_PARSE_DONE, "quoted parses");
  back = ss_imap_list_get (response->tokens, 1);
  check (back != NULL && back->type == SS_IMAP_NODE_STRING && back->len == node->len &&
         memcmp (back->data, node->data, node->len) == 0, "quote round trip");
}

static void
exercise_leaf (const SsImapNode *node)
{
  guint32 u32;
  guint64 u64;

  check (node->data[node->len] == '\0', "node data NUL-terminated");
  if (node->type == SS_IMAP_NODE_ATOM)
    {
      check (strlen (node->data) == node->len, "atom has no NUL");
      if (ss_imap_node_to_uint32 (node, &u32))
        check (ss_imap_node_to_uint64 (node, &u64) && u64 == u32, "uint32 == uint64");
      check (ss_imap_node_is_atom (node, node->data), "atom equals itself");
      check_uid_set (node->data);
    }
  else
    check_quote (node);
  check_utf7 (node->data);
}

/* Visits every node with an explicit stack. */
static void
exercise_tree (const SsImapNode *root)
{
  g_autoptr(GPtrArray) pending = g_ptr_array_new ();

  if (root != NULL)
    g_ptr_array_add (pending, (gpointer) root);
  while (pending->len > 0)
    {
      const SsImapNode *node = g_ptr_array_steal_index_fast (pending, pending->len - 1);
      guint n = ss_imap_list_length (node);

      if (node->type != SS_IMAP_NODE_LIST)
        {
          if (node->type != SS_IMAP_NODE_NIL)
            exercise_leaf (node);
          continue;
        }
      check (ss_imap_list_get (node, n) == NULL, "list_get out of range");
      (void) ss_imap_fetch_get (node, "UID");
      (void) ss_imap_fetch_get (node, "BODY[]");
      (void) ss_imap_fetch_get (node, "FLAGS");
      for (guint i = 0; i < n; i++)
        g_ptr_array_add (pending, (gpointer) ss_imap_list_get (node, i));
    }
}

static void
exercise_response (const SsImapResponse *response)
{
  check (response->kind != SS_IMAP_RESPONSE_TAGGED || response->tag != NULL, "tag set");
  check ((response->status != SS_IMAP_STATUS_NONE ||
          response->kind == SS_IMAP_RESPONSE_CONTINUATION) == (response->text != NULL),
         "text iff status or continuation");
  check ((response->tokens != NULL) ==
         (response->kind == SS_IMAP_RESPONSE_UNTAGGED &&
          response->status == SS_IMAP_STATUS_NONE), "tokens iff untagged data");
  if (response->text != NULL)
    check (g_utf8_validate (response->text, -1, NULL), "text is UTF-8");
  if (response->code != NULL)
    check (ss_imap_list_get (response->code, 0)->type == SS_IMAP_NODE_ATOM, "code name atom");
  exercise_tree (response->code);
  exercise_tree (response->tokens);
}

static void
check_prefix (const guint8       *buf,
              gsize               k,
              gsize               full,
              const SsImapLimits *limits)
{
  g_autoptr(SsImapResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  gsize hint = 0;

  check (ss_imap_parse_response (buf, k, limits, &hint, &response, &error) ==
         SS_IMAP_PARSE_INCOMPLETE, "a prefix of a response is INCOMPLETE");
  check (hint > k && hint <= full, "INCOMPLETE hint within (prefix, response]");
}

static void
check_prefixes (const guint8       *buf,
                gsize               full,
                const SsImapLimits *limits,
                gboolean            exhaustive)
{
  if (exhaustive && full <= FULL_PREFIX_CHECK_MAX)
    {
      for (gsize k = 0; k < full; k++)
        check_prefix (buf, k, full, limits);
      return;
    }
  for (gsize i = 0; i < SAMPLED_PREFIXES; i++)
    check_prefix (buf, full * i / SAMPLED_PREFIXES, full, limits);
  check_prefix (buf, full - 1, full, limits);
}

static void
run_stream (const guint8       *data,
            gsize               size,
            const SsImapLimits *limits)
{
  gsize off = 0;
  guint n = 0;

  while (off < size)
    {
      g_autoptr(SsImapResponse) response = NULL;
      g_autoptr(GError) error = NULL;
      gsize consumed = 0;
      SsImapParseResult result;

      result = ss_imap_parse_response (data + off, size - off, limits, &consumed, &response,
                                       &error);
      if (result == SS_IMAP_PARSE_INCOMPLETE)
        {
          check (error == NULL && response == NULL, "INCOMPLETE sets nothing");
          check (consumed > size - off, "INCOMPLETE asks for more");
          return;
        }
      if (result == SS_IMAP_PARSE_FAILED)
        {
          check (error != NULL && error->domain == SS_IMAP_PARSE_ERROR, "FAILED sets error");
          check (response == NULL, "FAILED returns no response");
          return;
        }
      check (response != NULL && error == NULL, "DONE returns a response");
      check (consumed > 0 && consumed <= size - off, "DONE consumed within the buffer");
      check (data[off + consumed - 1] == '\n', "DONE ends at an LF");
      check (consumed <= limits->max_response, "DONE within max_response");
      exercise_response (response);
      check_prefixes (data + off, consumed, limits, n++ < 4);
      off += consumed;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static gsize initialized = 0;
  SsImapLimits limits;

  if (g_once_init_enter (&initialized))
    {
      /* A g_critical () from the parser (passes disagreeing) is a finding. */
      g_log_set_always_fatal (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
      g_once_init_leave (&initialized, 1);
    }

  ss_imap_limits_init_default (&limits);
  run_stream (data, size, &limits);

  /* Tight limits reach every limit check with small inputs. */
  limits.max_literal = 64;
  limits.max_line = 80;
  limits.max_response = 512;
  limits.max_depth = 3;
  limits.max_tokens = 24;
  run_stream (data, size, &limits);
  return 0;
}
