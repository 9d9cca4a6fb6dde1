/* libFuzzer target: ss_spamd_parse_reply must never crash, leak or read out of bounds. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "ss-spamd-parser.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
parse_once (const uint8_t *data,
            size_t         size,
            gboolean       is_symbols)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsSpamdReply) reply = ss_spamd_parse_reply (data, size, is_symbols, &error);

  /* exactly one of reply and error */
  g_assert ((reply == NULL) != (error == NULL));
  if (reply == NULL)
    return;
  g_assert (reply->message != NULL && reply->body != NULL && reply->symbols != NULL);
  g_assert (g_bytes_get_size (reply->body) <= size);
  g_assert (reply->content_length < 0 ||
            (guint64) reply->content_length == g_bytes_get_size (reply->body));
  if (!is_symbols || reply->code != 0)
    g_assert (reply->symbols[0] == NULL);
  if (reply->has_spam_header)
    g_assert (reply->score == reply->score && reply->threshold == reply->threshold);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  parse_once (data, size, TRUE);
  parse_once (data, size, FALSE);
  return 0;
}
