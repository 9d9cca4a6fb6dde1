/* libFuzzer target: the learner's model loader and its scorer on arbitrary bytes must never
 * crash, leak or read out of bounds; a loaded model scores finitely and round-trips. */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ss-learner.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
load_once (const uint8_t *data,
           size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsLearner) learner = ss_learner_new_from_data (data, size, &error);
  g_autoptr(SsLearner) again = NULL;
  g_autoptr(GBytes) bytes = NULL;
  const guint8 *out;

  /* exactly one of learner and error */
  g_assert ((learner == NULL) != (error == NULL));
  if (learner == NULL)
    {
      g_assert (error->domain == SS_LEARNER_ERROR);
      return;
    }
  g_assert (size == ss_learner_file_size (ss_learner_get_bits (learner)));
  g_assert (isfinite (ss_learner_score (learner, data, size)));
  bytes = ss_learner_serialize (learner);
  out = g_bytes_get_data (bytes, NULL);
  g_assert (g_bytes_get_size (bytes) == size);
  /* byte-exact, but for a model made with another prefix length: saved with this one (the
   * header's bytes 20..23), and so with another checksum (the last 32) */
  g_assert (memcmp (out, data, 20) == 0 && memcmp (out + 24, data + 24, size - 24 - 32) == 0);
  g_assert (out[20] == (SS_LEARNER_PREFIX & 0xff) && out[21] == ((SS_LEARNER_PREFIX >> 8) & 0xff)
            && out[22] == 0 && out[23] == 0);
  if (memcmp (data + 20, out + 20, 4) == 0)
    g_assert (memcmp (out, data, size) == 0);
  again = ss_learner_new_from_data (g_bytes_get_data (bytes, NULL), size, &error);
  g_assert (again != NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(SsLearner) fresh = ss_learner_new_full (SS_LEARNER_MIN_BITS);
  g_autofree guint8 *fixed = NULL;
  double before;

  load_once (data, size);

  /* the same bytes with a valid checksum, to get past it to the values */
  if (size >= 32)
    {
      g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
      gsize digest_len = 32;

      fixed = g_memdup2 (data, size);
      g_checksum_update (sum, fixed, size - 32);
      g_checksum_get_digest (sum, fixed + size - 32, &digest_len);
      load_once (fixed, size);
    }

  /* the bytes as a message */
  before = ss_learner_score (fresh, data, size);
  g_assert (before == 0);
  ss_learner_learn (fresh, data, size, size % 2);
  g_assert (isfinite (ss_learner_score (fresh, data, size)));
  g_assert (ss_learner_fuse (ss_learner_score (fresh, data, size), 5, 0) >= 0);
  return 0;
}
